import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/core/shared/outbox.port.js';
import { createSlackChatGateway, OUTBOX_EVENT_TYPE } from '../../src/slack/chat-gateway.js';
import { FakeSlackApi, type FakeReply } from '../helpers/fake-slack-api.js';

const logger = pino({ level: 'silent' });
const view = { text: 'Hello', blocks: [{ type: 'section' as const, text: 'Hello <there>' }] };
let fake: FakeSlackApi;

afterEach(async () => {
  await fake?.stop();
});

async function gateway(
  reply?: (method: string, body: Record<string, unknown>) => FakeReply,
  options: Parameters<typeof createSlackChatGateway>[3] = {},
) {
  fake = new FakeSlackApi(reply ? { reply } : {});
  const url = await fake.start();
  return createSlackChatGateway(
    'xoxb-test',
    { slackApiUrl: url, logger: undefined },
    logger,
    options,
  );
}

async function errorOf(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe('Slack ChatGateway (the outbox’s way out)', () => {
  it('posts a DM as Block Kit, tagged with its outbox key in message metadata', async () => {
    const chat = await gateway();
    const ref = await chat.send(
      'slack:T1',
      { kind: 'dm', userId: 'U1' },
      view,
      'nudge:slack:T1:U1:2026-03-02',
    );
    expect(ref).toEqual({ channelId: 'DU1', messageId: fake.messages[0]!.ts });
    const posted = fake.messages[0]!;
    expect(posted.metadata).toEqual({
      event_type: OUTBOX_EVENT_TYPE,
      event_payload: { key: 'nudge:slack:T1:U1:2026-03-02' },
    });
    expect(posted.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: 'Hello &lt;there&gt;' } },
    ]);
  });

  it('finds a message already posted with a key, and nothing for another key', async () => {
    const chat = await gateway();
    const since = new Date(Date.now() - 60_000);
    const ref = await chat.send('slack:T1', { kind: 'dm', userId: 'U1' }, view, 'k-1');
    expect(await chat.findSent('slack:T1', { kind: 'dm', userId: 'U1' }, 'k-1', since)).toEqual(
      ref,
    );
    expect(
      await chat.findSent('slack:T1', { kind: 'dm', userId: 'U1' }, 'k-2', since),
    ).toBeUndefined();
    expect(
      await chat.findSent('slack:T1', { kind: 'dm', userId: 'U2' }, 'k-1', since),
    ).toBeUndefined();
    const history = fake.calls.find((c) => c.method === 'conversations.history')!;
    expect(history.body).toMatchObject({ include_all_metadata: 'true' });
  });

  it('spaces messages to one channel a second apart, and sends to different channels at once', async () => {
    const chat = await gateway();
    const started = performance.now();
    await Promise.all(
      [1, 2, 3].map((i) =>
        chat.send('slack:T1', { kind: 'channel', channelId: 'C1' }, view, `c-${i}`),
      ),
    );
    const oneChannel = performance.now() - started;
    const times = fake.messages.map((m) => m.at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(900);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(900);
    expect(oneChannel).toBeGreaterThanOrEqual(1_900);

    const again = performance.now();
    await Promise.all(
      [1, 2, 3, 4].map((i) =>
        chat.send('slack:T1', { kind: 'dm', userId: `U${i}` }, view, `d-${i}`),
      ),
    );
    expect(performance.now() - again).toBeLessThan(1_500);
  });

  it('turns a 429 into a Retry-After delay and pauses that channel for it', async () => {
    let limited = true;
    const chat = await gateway((method) => {
      if (method === 'chat.postMessage' && limited) {
        limited = false;
        return { status: 429, retryAfter: 2 };
      }
      return 'ok';
    });
    const first = await errorOf(
      chat.send('slack:T1', { kind: 'channel', channelId: 'C1' }, view, 'k'),
    );
    expect(first.retryAfterMs).toBe(2_000);
    expect(first.permanent).toBe(false);
    // Still paused: refused without calling Slack.
    const calls = fake.calls.length;
    const paused = await errorOf(
      chat.send('slack:T1', { kind: 'channel', channelId: 'C1' }, view, 'k'),
    );
    expect(paused.retryAfterMs).toBeGreaterThan(0);
    expect(fake.calls.length).toBe(calls);
    // Other channels are not held up.
    await chat.send('slack:T1', { kind: 'channel', channelId: 'C2' }, view, 'k2');
  });

  it('calls a refusal that retrying cannot fix permanent, and a hung request transient', async () => {
    const chat = await gateway(
      (method, body) =>
        method === 'chat.postMessage' && body.channel === 'UGONE'
          ? { error: 'user_not_found' }
          : method === 'chat.postMessage' && body.channel === 'USLOW'
            ? 'hang'
            : 'ok',
      { requestTimeoutMs: 150 },
    );
    const gone = await errorOf(chat.send('slack:T1', { kind: 'dm', userId: 'UGONE' }, view, 'k'));
    expect(gone.permanent).toBe(true);
    const slow = await errorOf(chat.send('slack:T1', { kind: 'dm', userId: 'USLOW' }, view, 'k'));
    expect(slow.permanent).toBe(false);
  });
});
