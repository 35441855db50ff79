import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/ports/store.port.js';

const T0 = new Date('2026-01-05T09:00:00.000Z');
const later = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function reference(conversationId: string, serviceUrl = 'https://smba.trafficmanager.net/emea/') {
  return {
    channelId: 'msteams',
    serviceUrl,
    conversation: { id: conversationId, tenantId: 'tenant-1' },
    bot: { id: '28:bot', name: 'Pebblebot' },
  };
}

/** Conversation addresses (Teams conversation references) on every store adapter. */
export function describeConversationContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`conversation addresses: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store.close();
    });
    const ws = () => `teams:${randomUUID()}`;

    it('saves a personal chat and finds it by conversation and by person', async () => {
      const workspaceId = ws();
      await store.conversations.save({
        workspaceId,
        conversationId: 'a:personal-1',
        kind: 'personal',
        userId: '29:ana',
        reference: reference('a:personal-1'),
        updatedAt: T0,
      });
      const byConversation = await store.conversations.byConversation(workspaceId, 'a:personal-1');
      expect(byConversation).toEqual({
        workspaceId,
        conversationId: 'a:personal-1',
        kind: 'personal',
        userId: '29:ana',
        reference: reference('a:personal-1'),
        updatedAt: T0,
      });
      expect(await store.conversations.byUser(workspaceId, '29:ana')).toEqual(byConversation);
      expect(await store.conversations.byUser(workspaceId, '29:bob')).toBeNull();
      expect(await store.conversations.byUser(ws(), '29:ana')).toBeNull();
    });

    it('refreshes a saved reference in place (one address per conversation)', async () => {
      const workspaceId = ws();
      const base = {
        workspaceId,
        conversationId: '19:general@thread.tacv2',
        kind: 'channel' as const,
      };
      await store.conversations.save({
        ...base,
        reference: reference(base.conversationId),
        updatedAt: T0,
      });
      await store.conversations.save({
        ...base,
        reference: reference(base.conversationId, 'https://smba.trafficmanager.net/amer/'),
        updatedAt: later(5),
      });
      const saved = await store.conversations.byConversation(workspaceId, base.conversationId);
      expect(saved?.reference.serviceUrl).toBe('https://smba.trafficmanager.net/amer/');
      expect(saved?.updatedAt).toEqual(later(5));
      expect(saved?.userId).toBeUndefined();
    });

    it('marks a conversation blocked, and a later save (reinstall) clears the block', async () => {
      const workspaceId = ws();
      const address = {
        workspaceId,
        conversationId: 'a:personal-2',
        kind: 'personal' as const,
        userId: '29:bob',
        reference: reference('a:personal-2'),
        updatedAt: T0,
      };
      await store.conversations.save(address);
      expect(
        await store.conversations.markBlocked(
          workspaceId,
          'a:personal-2',
          later(1),
          'MessageWritesBlocked',
        ),
      ).toBe(true);
      const blocked = await store.conversations.byUser(workspaceId, '29:bob');
      expect(blocked).toMatchObject({ blockedAt: later(1), blockedReason: 'MessageWritesBlocked' });

      await store.conversations.save({ ...address, updatedAt: later(10) });
      const again = await store.conversations.byUser(workspaceId, '29:bob');
      expect(again?.blockedAt).toBeUndefined();
      expect(again?.blockedReason).toBeUndefined();
    });

    it('says false when blocking a conversation it never saw', async () => {
      expect(await store.conversations.markBlocked(ws(), 'a:nobody', T0, 'x')).toBe(false);
    });

    it('refuses an address without a conversation id, writing nothing', async () => {
      const workspaceId = ws();
      await expect(
        store.conversations.save({
          workspaceId,
          conversationId: '',
          kind: 'personal',
          userId: '29:x',
          reference: {},
          updatedAt: T0,
        }),
      ).rejects.toThrow();
      expect(await store.conversations.byUser(workspaceId, '29:x')).toBeNull();
    });
  });
}
