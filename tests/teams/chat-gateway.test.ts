import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/core/shared/outbox.port.js';
import type { TeamsChatGateway } from '../../src/teams/chat-gateway.js';
import {
  ConversationBlockedError,
  NoConversationReferenceError,
} from '../../src/teams/chat-gateway.js';
import { noticeView } from '../../src/views/pebble.view.js';
import {
  activityFixture,
  FakeBotFramework,
  startTeamsApp,
  TENANT,
  type TeamsApp,
} from './harness.js';

const bf = new FakeBotFramework();
let app: TeamsApp;
const workspaceId = `teams:${TENANT}`;
const USER = '29:1xXxFakeUserBase64IdStringForTeamsPlatformAbcDeFgHiJkLmNoPqRsTuVwXyZ012345ABCDEF';

beforeAll(async () => {
  await bf.start();
  app = await startTeamsApp(bf.config(), {
    onActivity: () => Promise.resolve({}),
    gateway: { backoffMs: 20, maxInlineWaitMs: 3_000 },
  });
});
afterAll(async () => {
  await app?.close();
  await bf.stop();
});
beforeEach(async () => {
  // The person writes to the bot first: that stores their personal chat's reference.
  await app.post(
    { ...activityFixture('activity-personal-message.json'), serviceUrl: bf.serviceUrl },
    { authorization: `Bearer ${bf.token()}` },
  );
  bf.connectorCalls.length = 0;
  bf.connectorAnswers.length = 0;
});

const gateway = () => app.channel.chat as TeamsChatGateway;

describe('Teams ChatGateway (proactive sends with stored conversation references)', () => {
  it('sends a card to a person through their stored personal chat', async () => {
    const ref = await gateway().send(
      workspaceId,
      { kind: 'dm', userId: USER },
      noticeView('Your improvement is due Friday.'),
    );
    expect(bf.connectorCalls).toHaveLength(1);
    const call = bf.connectorCalls[0]!;
    expect(call.authorization).toBe('Bearer outgoing-token');
    expect(decodeURIComponent(call.path)).toContain(
      `/v3/conversations/${ref.channelId}/activities`,
    );
    expect(JSON.stringify(call.body)).toContain('Your improvement is due Friday.');
    expect(ref.messageId).toBe('activity-1');
  });

  it('skips a person who never installed the app, with a typed permanent error', async () => {
    const error = await gateway()
      .send(workspaceId, { kind: 'dm', userId: '29:stranger' }, noticeView('x'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoConversationReferenceError);
    expect(error).toMatchObject({ code: 'TEAMS.NO_REFERENCE', permanent: true });
    expect(bf.connectorCalls).toHaveLength(0);
  });

  it('retries 429 after its Retry-After, and 503 with backoff', async () => {
    bf.connectorAnswers.push(
      {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { error: { code: 'TooManyRequests' } },
      },
      { status: 503, body: {} },
    );
    const started = Date.now();
    await gateway().send(workspaceId, { kind: 'dm', userId: USER }, noticeView('retried'));
    expect(bf.connectorCalls).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it.each([412, 502, 503, 504])(
    'retries %i with growing backoff, then delivers once',
    async (status) => {
      bf.connectorAnswers.push({ status, body: {} }, { status, body: {} });
      await gateway().send(
        workspaceId,
        { kind: 'dm', userId: USER },
        noticeView(`after ${status}`),
      );
      // Two refusals, one delivery: no retry storm, and no second copy once it went through.
      expect(bf.connectorCalls).toHaveLength(3);
      const [first, second, third] = bf.connectorCalls.map((c) => c.at);
      // Backoff of 20 ms, then 40 ms, each with up to half taken off by jitter.
      expect(second! - first!).toBeGreaterThanOrEqual(9);
      expect(third! - second!).toBeGreaterThanOrEqual(19);
      expect(JSON.stringify(bf.connectorCalls[2]!.body)).toContain(`after ${status}`);
    },
  );

  it('gives a send that keeps failing back to the outbox after its tries, to retry later', async () => {
    for (let i = 0; i < 4; i++) bf.connectorAnswers.push({ status: 502, body: {} });
    const error = await gateway()
      .send(workspaceId, { kind: 'dm', userId: USER }, noticeView('still down'))
      .catch((e: unknown) => e);
    expect(bf.connectorCalls).toHaveLength(4);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ permanent: false });
    expect((error as DeliveryError).retryAfterMs).toBeGreaterThanOrEqual(1_000);
    // The conversation is not marked blocked by a server error.
    expect((await app.store.conversations.byUser(workspaceId, USER))?.blockedAt).toBeUndefined();
  });

  it('hands a long Retry-After back to the outbox instead of waiting', async () => {
    bf.connectorAnswers.push({ status: 429, headers: { 'retry-after': '120' }, body: {} });
    const error = await gateway()
      .send(workspaceId, { kind: 'dm', userId: USER }, noticeView('later'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ permanent: false, retryAfterMs: 120_000 });
  });

  it('marks a conversation blocked on 403 and sends nothing more there', async () => {
    bf.connectorAnswers.push({ status: 403, body: { error: { code: 'MessageWritesBlocked' } } });
    const target = { kind: 'dm' as const, userId: USER };
    await expect(gateway().send(workspaceId, target, noticeView('blocked'))).rejects.toBeInstanceOf(
      ConversationBlockedError,
    );
    expect((await app.store.conversations.byUser(workspaceId, USER))?.blockedAt).toBeInstanceOf(
      Date,
    );
    bf.connectorCalls.length = 0;
    await expect(gateway().send(workspaceId, target, noticeView('again'))).rejects.toMatchObject({
      permanent: true,
    });
    expect(bf.connectorCalls).toHaveLength(0);
  });

  it('keeps to 7 messages per second and 8 per 2 seconds in one conversation', async () => {
    const target = { kind: 'dm' as const, userId: USER };
    const sends = Array.from({ length: 9 }, (_, i) =>
      gateway().send(workspaceId, target, noticeView(`burst ${i}`)),
    );
    await Promise.all(sends);
    const times = bf.connectorCalls.map((c) => c.at);
    expect(times).toHaveLength(9);
    // The 8th message waits for the first second to pass, the 9th for the first two seconds.
    expect(times[7]! - times[0]!).toBeGreaterThanOrEqual(950);
    expect(times[8]! - times[0]!).toBeGreaterThanOrEqual(1_950);
  });
});
