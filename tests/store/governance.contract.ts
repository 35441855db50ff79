import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETAINED_TITLE } from '../../src/core/governance/governance.model.js';
import { defaultSettings } from '../../src/core/workspaces/workspace.model.js';
import type { Store } from '../../src/core/ports/store.port.js';

const T0 = new Date('2026-01-05T09:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const hash = (c: string) => c.repeat(64);

/** The audit log, API tokens and data rights on every store adapter. */
export function describeGovernanceContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`governance: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store.close();
    });
    const ws = () => `slack:T${randomUUID().slice(0, 8)}`;

    async function seed(workspaceId: string) {
      await store.workspaces.ensure({
        id: workspaceId,
        platform: 'slack',
        externalId: workspaceId.slice(6),
        name: 'Acme',
        settings: { ...defaultSettings(), admins: ['U-ANA'] },
        createdAt: T0,
        updatedAt: T0,
      });
      const base = {
        workspaceId,
        description: 'Customers type it twice.',
        stakeholder: 'customer' as const,
        source: { kind: 'console' as const },
        createdAt: T0,
        updatedAt: T0,
      };
      const p1 = await store.pebbles.create({
        ...base,
        title: 'Address asked twice',
        anonymous: false,
        reporter: { userId: 'U-ANA', name: 'Ana', team: 'Support' },
        status: 'resolved',
        suggestion: {
          title: 'Address asked twice at checkout',
          stakeholder: 'customer',
          severity: 2,
          summary: 'Customers type their address twice.',
          model: 'gpt-test',
          at: T0,
        },
        history: [{ at: T0, actor: 'U-ANA', action: 'reported' }],
      });
      const p2 = await store.pebbles.create({
        ...base,
        title: 'VAT number wrong',
        anonymous: false,
        reporter: { userId: 'U-BEN', name: 'Ben' },
        status: 'new',
        history: [{ at: T0, actor: 'U-BEN', action: 'reported' }],
      });
      await store.pebbles.addSupporter(
        workspaceId,
        p2.number,
        { userId: 'U-ANA', name: 'Ana', team: 'Support', at: at(1) },
        { at: at(1), actor: 'U-ANA', action: 'supported' },
      );
      await store.outbox.enqueue({
        key: `notice:${workspaceId}:U-ANA:1`,
        workspaceId,
        kind: 'notice',
        target: { kind: 'dm', userId: 'U-ANA' },
        view: { text: 'Hi', blocks: [] },
        nextAttemptAt: T0,
        createdAt: T0,
      });
      return { p1, p2 };
    }

    it('records audit entries and lists them newest first, a page at a time, per workspace', async () => {
      const a = ws();
      for (let i = 0; i < 3; i++)
        await store.audit.record({
          workspaceId: a,
          at: at(i),
          actor: 'U-ANA',
          action: 'settings',
          what: 'reactionEmoji',
          before: JSON.stringify({ reactionEmoji: `e${i}` }),
          after: JSON.stringify({ reactionEmoji: `e${i + 1}` }),
        });
      await store.audit.record({
        workspaceId: ws(),
        at: at(9),
        actor: 'U-X',
        action: 'settings',
        what: 'x',
        before: 'null',
        after: 'null',
      });
      const first = await store.audit.list(a, { limit: 2 });
      expect(first.total).toBe(3);
      expect(first.items.map((e) => e.at)).toEqual([at(2), at(1)]);
      expect(JSON.parse(first.items[0]!.after)).toEqual({ reactionEmoji: 'e3' });
      const second = await store.audit.list(a, { limit: 2, offset: 2 });
      expect(second.items.map((e) => e.at)).toEqual([at(0)]);
    });

    it('stores API tokens by hash, lists them per workspace and revokes once, only in their workspace', async () => {
      const a = ws();
      const id = `tok_${randomUUID().slice(0, 8)}`;
      const h = hash(
        randomUUID()
          .replace(/[^0-9a-f]/g, '')
          .slice(0, 1) || 'a',
      );
      await store.apiTokens.create({
        id,
        workspaceId: a,
        name: 'power-bi',
        hash: h,
        createdBy: 'U-ANA',
        createdAt: T0,
      });
      expect((await store.apiTokens.byHash(h))?.id).toBe(id);
      expect((await store.apiTokens.list(a)).map((t) => t.name)).toEqual(['power-bi']);
      expect(await store.apiTokens.revoke(ws(), id, 'U-X', at(1))).toBeNull();
      const revoked = await store.apiTokens.revoke(a, id, 'U-ANA', at(2));
      expect(revoked?.revokedAt).toEqual(at(2));
      expect(await store.apiTokens.revoke(a, id, 'U-ANA', at(3))).toBeNull();
      expect((await store.apiTokens.byHash(h))?.revokedBy).toBe('U-ANA');
      await store.dataRights.deleteWorkspace(a);
    });

    it('forgets a member everywhere in the workspace, keeping the content and other workspaces', async () => {
      const a = ws();
      const other = ws();
      const { p1, p2 } = await seed(a);
      await seed(other);
      const counts = await store.dataRights.forgetMember(a, 'U-ANA', 'former-x1');
      expect(counts.pebbles).toBeGreaterThanOrEqual(1);
      const mine = (await store.pebbles.get(a, p1.number))!;
      expect(mine.title).toBe('Address asked twice');
      expect(mine.reporter).toEqual({ userId: 'former-x1', name: 'a former member' });
      expect(mine.history[0]!.actor).toBe('former-x1');
      const supported = (await store.pebbles.get(a, p2.number))!;
      expect(supported.supporterCount).toBe(1);
      expect(supported.supporters[0]).toMatchObject({
        userId: 'former-x1',
        name: 'a former member',
      });
      expect(supported.supporters[0]!.team).toBeUndefined();
      expect((await store.pebbles.list(a, { reporterId: 'U-ANA' })).total).toBe(0);
      const outbox = await store.outbox.list({ workspaceId: a });
      expect(outbox).toHaveLength(1);
      expect(outbox[0]!.target).toEqual({ kind: 'dm', userId: 'former-x1' });
      expect(outbox[0]!.status).toBe('failed');
      expect((await store.workspaces.get(a))!.settings.admins).toEqual(['former-x1']);
      expect(JSON.stringify(await store.pebbles.list(a))).not.toContain('U-ANA');
      // The other workspace keeps its member.
      expect((await store.pebbles.list(other, { reporterId: 'U-ANA' })).total).toBe(1);
    });

    it("deletes a workspace's data and nothing of another workspace", async () => {
      const a = ws();
      const other = ws();
      await seed(a);
      await seed(other);
      await store.audit.record({
        workspaceId: a,
        at: T0,
        actor: 'U-ANA',
        action: 'settings',
        what: 'x',
        before: 'null',
        after: 'null',
      });
      const counts = await store.dataRights.deleteWorkspace(a);
      expect(counts.pebbles).toBe(2);
      expect(await store.workspaces.get(a)).toBeNull();
      expect((await store.pebbles.list(a)).total).toBe(0);
      expect(await store.outbox.list({ workspaceId: a })).toHaveLength(0);
      expect((await store.audit.list(a)).total).toBe(1);
      expect((await store.pebbles.list(other)).total).toBe(2);
      // Numbering starts again for a workspace created anew under the same id.
      await seed(a);
      expect((await store.pebbles.list(a)).items.map((p) => p.number).sort()).toEqual([1, 2]);
    });

    it('empties the text of closed pebbles older than the cut-off, once', async () => {
      const a = ws();
      const { p1, p2 } = await seed(a);
      const entry = { at: at(60), actor: 'pebblebot', action: 'retention' };
      expect(await store.dataRights.redactClosedPebbles(a, T0, entry)).toBe(0);
      expect(await store.dataRights.redactClosedPebbles(a, at(30), entry)).toBe(1);
      expect(await store.dataRights.redactClosedPebbles(a, at(30), entry)).toBe(0);
      const redacted = (await store.pebbles.get(a, p1.number))!;
      expect(redacted.title).toBe(RETAINED_TITLE);
      expect(redacted.description).toBe('');
      expect(redacted.suggestion).toBeUndefined();
      expect(redacted.history.at(-1)?.action).toBe('retention');
      expect((await store.pebbles.get(a, p2.number))!.title).toBe('VAT number wrong');
    });
  });
}
