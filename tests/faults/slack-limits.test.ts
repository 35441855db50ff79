import { setTimeout as sleep } from 'node:timers/promises';
import { webApi } from '@slack/bolt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/ports/store.port.js';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import { OutboxDispatcher, StoreOutbox } from '../../src/scheduler/outbox.js';
import { createSlackChatGateway } from '../../src/slack/chat-gateway.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import { FakeSlackApi, type FakeReply } from '../helpers/fake-slack-api.js';

const logger = pino({ level: 'silent' });
const WORKSPACE = 'slack:T1';
/** The gateway's cap on Web API calls in flight for a workspace (its default). */
const MAX_IN_FLIGHT = 4;

let store: Store | undefined;
let fake: FakeSlackApi | undefined;
afterEach(async () => {
  await fake?.stop();
  await store?.close();
});

/**
 * The production outbox dispatcher and Slack gateway (its default client options) against a loopback Slack whose chat.postMessage answers as `mode()` says, with
 * `count` messages due, to `channels` channels. Counts requests and the most ever in flight.
 */
async function setup(count: number, channels: number, mode: () => FakeReply) {
  store = await openEmbeddedStore();
  const clock = new FakeClock('2026-03-02T10:00:00Z');
  const outbox = new StoreOutbox(store, clock);
  const posts: number[] = [];
  let maxInFlight = 0;
  fake = new FakeSlackApi({
    reply: (method) => {
      if (method !== 'chat.postMessage') return 'ok';
      posts.push(Date.now());
      const reply = mode();
      if (reply === 'hang' || reply === 'post-then-hang')
        maxInFlight = Math.max(maxInFlight, fake!.openUnanswered + 1);
      return reply;
    },
  });
  const url = await fake.start();
  const gateway = createSlackChatGateway(
    'xoxb-limits',
    { slackApiUrl: url, logLevel: webApi.LogLevel.ERROR },
    logger,
    {
      requestTimeoutMs: 300,
      perChannelMinTimeMs: 0,
    },
  );
  const dispatcher = new OutboxDispatcher({
    store,
    clock,
    logger,
    worker: 'limits',
    gatewayFor: () => gateway,
  });
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = `nudge:${WORKSPACE}:U${i}:2026-03-02`;
    keys.push(key);
    await outbox.enqueue({
      key,
      workspaceId: WORKSPACE,
      kind: 'improvement.nudge',
      target: { kind: 'channel', channelId: `C0CH${i % channels}` },
      view: { text: `nudge ${i}`, blocks: [] },
    });
  }
  return {
    clock,
    dispatcher,
    keys,
    posts,
    /** The most unanswered requests ever open at once. */
    maxInFlight: () => maxInFlight,
  };
}

/** Each key's message reached Slack exactly once, and the outbox knows it sent them all. */
async function expectDeliveredOnce(keys: string[]) {
  const byKey = fake!.byKey();
  expect([...byKey.keys()].sort()).toEqual([...keys].sort());
  for (const key of keys) expect(byKey.get(key), key).toHaveLength(1);
  expect(await store!.outbox.count({ status: ['sent'] })).toBe(keys.length);
}

describe('Slack outage and limits, under the outbox', () => {
  it('429 with Retry-After: one request per channel, the rest wait for it, then each goes once', async () => {
    let limited = true;
    const t = await setup(12, 3, () => (limited ? { status: 429, retryAfter: 1 } : 'ok'));
    const first = await t.dispatcher.drain();
    expect(first).toMatchObject({ sent: 0, retried: 12 });
    // One 429 per channel: the other messages to a paused channel never leave the process.
    expect(t.posts).toHaveLength(3);
    for (const m of await store!.outbox.list({ status: ['pending'] }))
      expect(m.nextAttemptAt.getTime()).toBeGreaterThan(t.clock.now().getTime());
    // Asked again before the Retry-After: nothing is due, nothing is sent.
    expect(await t.dispatcher.drain()).toMatchObject({ sent: 0, retried: 0 });
    expect(t.posts).toHaveLength(3);

    limited = false;
    await sleep(1_100);
    t.clock.advance(1_100);
    expect(await t.dispatcher.drain()).toMatchObject({ sent: 12, failed: 0 });
    expect(t.posts).toHaveLength(3 + 12);
    await expectDeliveredOnce(t.keys);
  });

  it('500s: one request per attempt, then back-off, never a storm; delivered once after', async () => {
    let down = true;
    const t = await setup(10, 10, () => (down ? { status: 500 } : 'ok'));
    const first = await t.dispatcher.drain();
    expect(first).toMatchObject({ sent: 0, retried: 10 });
    // One request per message per attempt: the client does not retry on its own.
    expect(t.posts).toHaveLength(10);
    const afterFirst = t.posts.length;
    // During the back-off (5 s and more), rounds send nothing.
    t.clock.advance(3_000);
    expect(await t.dispatcher.drain()).toMatchObject({ retried: 0, sent: 0 });
    expect(t.posts).toHaveLength(afterFirst);

    down = false;
    t.clock.advance(10_000);
    expect(await t.dispatcher.drain()).toMatchObject({ sent: 10, failed: 0 });
    await expectDeliveredOnce(t.keys);
  });

  it('a hanging API: each request ends at its timeout, few in flight at once, and a lost answer is not sent twice', async () => {
    let mode: FakeReply = 'hang';
    const t = await setup(16, 16, () => mode);
    const started = performance.now();
    const first = await t.dispatcher.drain();
    // Bounded: every send gave up at its timeout (300 ms), four at a time: about 1.2 s for
    // the 16, never an open-ended wait; one request each.
    expect(first).toMatchObject({ sent: 0, retried: 16 });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(t.posts).toHaveLength(16);
    // Bounded memory: however many messages are due, only a few requests are open at once.
    expect(t.maxInFlight()).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    expect(fake!.messages).toHaveLength(0);

    // Slack takes the messages now, but its answers are lost: each post times out again.
    mode = 'post-then-hang';
    t.clock.advance(60_000);
    const second = await t.dispatcher.drain();
    expect(second).toMatchObject({ sent: 0, retried: 16 });
    expect(t.maxInFlight()).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    // Each was posted once: a post whose answer was lost is not retried by the client.
    const posted = fake!.messages.length;
    expect(posted).toBe(16);

    // Slack answers again: what arrived is found in the channel's history, the rest is sent.
    mode = 'ok';
    t.clock.advance(120_000);
    const third = await t.dispatcher.drain();
    expect(third.recovered).toBe(posted);
    expect(third.sent + third.recovered).toBe(16);
    await expectDeliveredOnce(t.keys);
  }, 60_000);
});
