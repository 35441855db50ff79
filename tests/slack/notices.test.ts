import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DECLINED_NOTICE_KIND,
  DUPLICATE_NOTICE_KIND,
} from '../../src/core/pebbles/pebble.notices.js';
import type { OutboxMessage } from '../../src/core/shared/outbox.port.js';
import {
  alice,
  API,
  bob,
  carol,
  eventually,
  startSlackApp,
  TEAM,
  viewSubmission,
  type Call,
  type SlackTestApp,
} from './harness.js';

let t: SlackTestApp;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

const dan = { id: 'U0DAN', name: 'dan' };
const admin = (body: Record<string, unknown>) => ({
  user: { id: body.user, name: 'carol', is_admin: true, is_owner: false },
});

/**
 * The app with a clock that runs with real time plus `advance`d steps (the outbox's back-off
 * waits on it), and P-1 reported by Alice with +1s from Bob and Dan.
 */
async function start() {
  let offset = 0;
  t = await startSlackApp({ clock: { now: () => new Date(Date.now() + offset) } });
  const { services } = t.app;
  const ws = await services.workspaces.ensure('slack', TEAM);
  await services.pebbles.report(
    ws,
    { userId: alice.id, name: alice.name },
    { text: 'Refunds take three weeks to reach the card' },
    { kind: 'slash' },
  );
  for (const who of [bob, dan])
    await services.pebbles.support(ws, { userId: who.id, name: who.name }, 1);
  return {
    ws,
    advance: (ms: number) => (offset += ms),
    now: () => Date.now() + offset,
  };
}

const declineSubmission = () =>
  viewSubmission(carol, {
    callback_id: 'pebble_decline',
    private_metadata: JSON.stringify({ n: 1 }),
    values: {
      reason: {
        reason: { type: 'plain_text_input', value: 'Card networks set that delay, not us.' },
      },
    },
  });

/** The outbox key a post carried in its message metadata (what findSent looks for). */
const keyOf = (call: Call) =>
  (call.body.metadata as { event_payload?: { key?: string } } | undefined)?.event_payload?.key;

/**
 * The notices Slack received: posts to a person that carry an outbox key (the admin's own
 * answer, "P-1 is declined.", is a post to her without one).
 */
const dmsIn = (calls: Call[]) =>
  calls.filter((c) => c.method === 'chat.postMessage' && keyOf(c) !== undefined);
/** The admin's answers. */
const answersIn = (calls: Call[]) =>
  calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === carol.id && !keyOf(c));

async function queued(kind: string): Promise<OutboxMessage[]> {
  return t.app.services.store.outbox.list({ kind });
}

describe('Slack: decline and duplicate notices go through the outbox', () => {
  it('DMs each person once; a Slack 500 is retried and delivered once; a repeated decline sends nothing', async () => {
    const bot = await start();
    // Bob's first delivery meets a Slack 500; registered first, so it answers before the others.
    let failed = 0;
    nock(API)
      .post('/api/chat.postMessage', (body) => JSON.stringify(body).includes(bob.id))
      .reply(500, () => {
        failed++;
        return 'upstream error';
      });
    t.slack
      .expect('users.info', admin)
      // Alice's and Dan's notices, and the answer to Carol.
      .expect('chat.postMessage', (b) => ({ channel: `D${String(b.channel)}`, ts: '1.1' }), 3);
    const first = await t.interaction(declineSubmission());
    expect(first.status).toBe(200);
    // Acknowledged only once every notice was recorded in the outbox.
    expect(await queued(DECLINED_NOTICE_KIND)).toHaveLength(3);
    await t.slack.done();
    expect((await t.app.services.pebbles.get(bot.ws, 1)).status).toBe('declined');
    expect(
      dmsIn(t.slack.calls)
        .map((c) => c.body.channel)
        .sort(),
    ).toEqual([alice.id, dan.id]);
    const bobKey = `${DECLINED_NOTICE_KIND}:${bot.ws.id}:P-1:1:${bob.id}`;
    const waiting = await eventually(async () => {
      const m = await t.app.services.store.outbox.get(bobKey);
      return m?.attempts === 1 && m.status === 'pending' && m;
    });
    expect(failed).toBe(1);

    // The retry looks for a copy Slack may have kept (none), then posts Bob's notice once.
    t.slack
      .expect('conversations.open', { channel: { id: 'D0BOB' } })
      .expect('conversations.history', { messages: [], has_more: false })
      .expect('chat.postMessage', { channel: 'D0BOB', ts: '1.2' });
    bot.advance(waiting.nextAttemptAt.getTime() - bot.now() + 1);
    t.app.services.outbox.wake();
    await t.slack.done();
    await eventually(
      async () => (await t.app.services.store.outbox.get(bobKey))?.status === 'sent',
    );

    const dms = dmsIn(t.slack.calls);
    expect(dms.map((c) => c.body.channel).sort()).toEqual([alice.id, bob.id, dan.id]);
    expect(dms.find((c) => c.body.channel === alice.id)!.body.text).toBe('P-1 was declined');
    expect(JSON.stringify(dms.find((c) => c.body.channel === alice.id)!.body.blocks)).toContain(
      'Your pebble',
    );
    expect(JSON.stringify(dms.find((c) => c.body.channel === bob.id)!.body.blocks)).toContain(
      'A pebble you supported',
    );
    // Each DM left through the outbox: it carries its outbox key, and the record is sent.
    expect(dms.map(keyOf).sort()).toEqual(
      (await queued(DECLINED_NOTICE_KIND)).map((m) => m.key).sort(),
    );
    expect((await queued(DECLINED_NOTICE_KIND)).map((m) => m.status)).toEqual([
      'sent',
      'sent',
      'sent',
    ]);

    expect(answersIn(t.slack.calls).map((c) => c.body.text)).toEqual(['P-1 is declined.']);

    // The same decline again (the form opened and sent twice): Carol hears it is done, and
    // nobody is told twice.
    t.slack.expect('chat.postMessage', { channel: 'D0CAROL', ts: '1.3' });
    const again = await t.interaction(declineSubmission());
    expect(again.status).toBe(200);
    await t.slack.done();
    bot.advance(10 * 60_000);
    t.app.services.outbox.wake();
    await new Promise((r) => setTimeout(r, 300));
    expect(answersIn(t.slack.calls)).toHaveLength(2);
    expect(dmsIn(t.slack.calls)).toHaveLength(3);
    expect(await queued(DECLINED_NOTICE_KIND)).toHaveLength(3);
  });

  it('tells the duplicate’s reporter and supporters once, even when the admin submits twice', async () => {
    const bot = await start();
    await t.app.services.pebbles.report(
      bot.ws,
      { userId: bob.id, name: bob.name },
      { text: 'Refund to card is slow' },
      { kind: 'slash' },
    );
    await t.app.services.pebbles.support(bot.ws, { userId: dan.id, name: dan.name }, 2);
    const submission = () =>
      viewSubmission(carol, {
        callback_id: 'pebble_duplicate',
        private_metadata: JSON.stringify({ n: 2 }),
        values: { of: { of: { type: 'plain_text_input', value: 'P-1' } } },
      });
    t.slack
      .expect('users.info', admin)
      .expect('chat.postMessage', (b) => ({ channel: `D${String(b.channel)}`, ts: '2.1' }), 3);
    expect((await t.interaction(submission())).status).toBe(200);
    await t.slack.done();
    t.slack.expect('chat.postMessage', { channel: 'D0CAROL', ts: '2.2' });
    expect((await t.interaction(submission())).status).toBe(200);
    await t.slack.done();
    t.app.services.outbox.wake();
    await new Promise((r) => setTimeout(r, 300));

    const dms = dmsIn(t.slack.calls);
    expect(dms.map((c) => c.body.channel).sort()).toEqual([bob.id, dan.id]);
    expect(dms.every((c) => c.body.text === 'P-2 is a duplicate of P-1')).toBe(true);
    expect(answersIn(t.slack.calls).map((c) => c.body.text)).toEqual([
      'P-2 is marked as a duplicate of P-1.',
      'P-2 is marked as a duplicate of P-1.',
    ]);
    expect(dms.map(keyOf).sort()).toEqual([
      `${DUPLICATE_NOTICE_KIND}:${bot.ws.id}:P-2:1:${dan.id}`,
      `${DUPLICATE_NOTICE_KIND}:${bot.ws.id}:P-2:1:reporter`,
    ]);
    expect(await t.app.services.pebbles.get(bot.ws, 2)).toMatchObject({
      status: 'duplicate',
      duplicateOf: 1,
    });
  });
});
