import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  ChatGateway,
  ChatTarget,
  MessageRef,
} from '../../src/core/shared/chat-gateway.port.js';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import { DeliveryError, type OutboxMessage } from '../../src/core/shared/outbox.port.js';
import { OutboxDispatcher, StoreOutbox, outboxJob } from '../../src/scheduler/outbox.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { Store } from '../../src/core/ports/store.port.js';
import type { MessageView } from '../../src/core/ports/message-view.port.js';

const logger = pino({ level: 'silent' });
const WS = 'slack:T1';

type Behaviour = 'ok' | 'hang' | 'deliver-then-hang' | Error;

/** A chat platform that remembers what it received, by outbox key, and can misbehave. */
class FakePlatform implements ChatGateway {
  readonly delivered: { key: string; target: ChatTarget; view: MessageView }[] = [];
  behaviour: (key: string) => Behaviour = () => 'ok';
  findSentCalls = 0;

  send(_ws: string, target: ChatTarget, view: MessageView, key?: string): Promise<MessageRef> {
    const how = this.behaviour(key ?? '');
    if (how instanceof Error) return Promise.reject(how);
    if (how === 'hang') return new Promise(() => undefined);
    this.delivered.push({ key: key ?? '', target, view });
    if (how === 'deliver-then-hang') return new Promise(() => undefined);
    return Promise.resolve({ channelId: 'D1', messageId: String(this.delivered.length) });
  }

  update(): Promise<void> {
    return Promise.resolve();
  }

  uploadImage(): Promise<void> {
    return Promise.resolve();
  }

  findSent(_ws: string, _target: ChatTarget, key: string): Promise<MessageRef | undefined> {
    this.findSentCalls++;
    const index = this.delivered.findIndex((d) => d.key === key);
    return Promise.resolve(
      index === -1 ? undefined : { channelId: 'D1', messageId: String(index + 1) },
    );
  }

  count(key: string): number {
    return this.delivered.filter((d) => d.key === key).length;
  }
}

let store: Store;
let clock: FakeClock;
let outbox: StoreOutbox;
let platform: FakePlatform;

beforeEach(async () => {
  store = await openEmbeddedStore();
  clock = new FakeClock('2026-03-02T10:00:00Z');
  outbox = new StoreOutbox(store, clock);
  platform = new FakePlatform();
});

afterEach(async () => {
  await store.close();
});

function dispatcher(worker: string, gateway: ChatGateway | null = platform, extra = {}) {
  return new OutboxDispatcher({
    store,
    clock,
    logger,
    worker,
    gatewayFor: () => gateway ?? undefined,
    claimMs: 60_000,
    ...extra,
  });
}

async function enqueue(n: number, prefix = 'nudge'): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = `${prefix}:${WS}:U${i}:2026-03-02`;
    keys.push(key);
    await outbox.enqueue({
      key,
      workspaceId: WS,
      kind: 'test',
      target: { kind: 'dm', userId: `U${i}` },
      view: { text: `hello U${i}`, blocks: [{ type: 'section', text: 'hi' }] },
    });
  }
  return keys;
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('outbox: exactly once', () => {
  it('delivers each pending message once, with its key, and records where it went', async () => {
    const [key] = await enqueue(1);
    const result = await dispatcher('w1').drain();
    expect(result).toMatchObject({ sent: 1, failed: 0 });
    expect(platform.delivered).toEqual([
      {
        key,
        target: { kind: 'dm', userId: 'U0' },
        view: expect.objectContaining({ text: 'hello U0' }),
      },
    ]);
    expect(await store.outbox.get(key!)).toMatchObject({
      status: 'sent',
      ref: { channelId: 'D1', messageId: '1' },
      sentAt: clock.now(),
    });
    // A retried tick finds nothing to do.
    expect(await dispatcher('w1').drain()).toMatchObject({ sent: 0 });
    expect(platform.delivered).toHaveLength(1);
  });

  it("runs the follow-up of a message's kind registered for its workspace's platform", async () => {
    const ran: string[] = [];
    outbox.onDelivered('test', () => Promise.resolve(void ran.push('any')));
    outbox.onDelivered('test', () => Promise.resolve(void ran.push('teams')), 'teams');
    const message = { workspaceId: WS, kind: 'test' } as OutboxMessage;
    await outbox.delivered(message, { channelId: 'C1', messageId: '1' });
    await outbox.delivered(
      { ...message, workspaceId: 'teams:tenant-1' },
      {
        channelId: '19:c@thread.tacv2',
        messageId: '2',
      },
    );
    expect(ran).toEqual(['any', 'teams']);
  });

  it('never decides a message twice: a repeated enqueue is a no-op', async () => {
    await enqueue(1);
    expect(await enqueue(1)).toHaveLength(1);
    expect(await store.outbox.count()).toBe(1);
  });

  it('sends what a crashed process decided but never sent (crash between deciding and sending)', async () => {
    const keys = await enqueue(3);
    // The deciding process died here; a fresh one (another worker) starts later.
    const result = await dispatcher('after-restart').drain();
    expect(result.sent).toBe(3);
    for (const key of keys) expect(platform.count(key)).toBe(1);
  });

  it('does not send twice when a worker died after Slack took the message, before recording it', async () => {
    const keys = await enqueue(3);
    // Worker A hands the 2nd message to the platform, then dies before hearing back.
    platform.behaviour = (key) => (key === keys[1] ? 'deliver-then-hang' : 'ok');
    void dispatcher('A', platform, { concurrency: 1 }).drain();
    await tick();
    expect(platform.delivered.map((d) => d.key)).toEqual([keys[0], keys[1]]);
    // A is gone for good; its claim runs out; B takes over.
    platform.behaviour = () => 'ok';
    clock.advance(61_000);
    const result = await dispatcher('B').drain();
    expect(result).toMatchObject({ recovered: 1, sent: 1 });
    expect(platform.findSentCalls).toBeGreaterThanOrEqual(1);
    for (const key of keys) expect(platform.count(key)).toBe(1);
    for (const key of keys) expect((await store.outbox.get(key))?.status).toBe('sent');
  });

  it('sends a message whose worker died after claiming it but before sending (lease ran out)', async () => {
    const [key] = await enqueue(1);
    await store.outbox.claimDue(
      'dead-worker',
      clock.now(),
      new Date(clock.now().getTime() + 60_000),
      10,
    );
    expect(await dispatcher('B').drain()).toMatchObject({ sent: 0 });
    clock.advance(60_001);
    expect(await dispatcher('B').drain()).toMatchObject({ sent: 1, recovered: 0 });
    expect(platform.count(key!)).toBe(1);
  });

  it('two workers draining one store deliver 200 messages once each', async () => {
    const keys = await enqueue(200);
    const [a, b] = await Promise.all([dispatcher('A').drain(), dispatcher('B').drain()]);
    expect(a.sent + b.sent).toBe(200);
    expect(platform.delivered).toHaveLength(200);
    expect(new Set(platform.delivered.map((d) => d.key))).toEqual(new Set(keys));
  });
});

describe('outbox: failures', () => {
  it('honours Retry-After: the message waits exactly that long, then goes', async () => {
    const [key] = await enqueue(1);
    let first = true;
    platform.behaviour = () => {
      if (!first) return 'ok';
      first = false;
      return new DeliveryError('429', { retryAfterMs: 30_000 });
    };
    expect(await dispatcher('w').drain()).toMatchObject({ retried: 1, sent: 0 });
    expect(await store.outbox.get(key!)).toMatchObject({
      status: 'pending',
      nextAttemptAt: new Date(clock.now().getTime() + 30_000),
      lastError: '429',
    });
    clock.advance(29_999);
    expect(await dispatcher('w').drain()).toMatchObject({ sent: 0 });
    clock.advance(1);
    expect(await dispatcher('w').drain()).toMatchObject({ sent: 1 });
    expect(platform.count(key!)).toBe(1);
  });

  it('gives up at once on a permanent refusal, and after the last attempt on a transient one', async () => {
    const [gone, flaky] = await enqueue(2);
    platform.behaviour = (key) =>
      key === gone
        ? new DeliveryError('user_not_found', { permanent: true })
        : new Error('socket hang up');
    const d = dispatcher('w', platform, { maxAttempts: 3 });
    expect(await d.drain()).toMatchObject({ failed: 1, retried: 1 });
    expect(await store.outbox.get(gone!)).toMatchObject({
      status: 'failed',
      lastError: 'user_not_found',
    });
    for (let i = 0; i < 2; i++) {
      clock.advance(60 * 60_000);
      await d.drain();
    }
    expect(await store.outbox.get(flaky!)).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it('keeps messages for a platform with no running channel', async () => {
    const [key] = await enqueue(1);
    expect(await dispatcher('w', null).drain()).toMatchObject({ deferred: 1 });
    expect(await store.outbox.get(key!)).toMatchObject({ status: 'pending' });
  });

  it('is the scheduled job outbox.deliver', async () => {
    await enqueue(2);
    const job = outboxJob(dispatcher('w'));
    expect(job.name).toBe('outbox.deliver');
    const result = await job.run({
      now: clock.now(),
      slot: clock.now(),
      signal: new AbortController().signal,
    });
    expect(result).toMatchObject({ sent: 2 });
  });

  it('tells listeners when a new message is enqueued, not for a repeat', async () => {
    let told = 0;
    const stop = outbox.onEnqueued(() => told++);
    await enqueue(1);
    await enqueue(1);
    stop();
    await enqueue(1, 'other');
    expect(told).toBe(1);
  });
});
