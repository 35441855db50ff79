import { createHmac } from 'node:crypto';
import { webApi } from '@slack/bolt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { createChannels } from '../../src/channels.js';
import { loadConfig } from '../../src/config.js';
import { councilVoteKey } from '../../src/core/council/council.service.js';
import type { OutboxMessage } from '../../src/core/shared/outbox.port.js';
import { triageCardKey } from '../../src/conversation/cards.js';
import { createAnsweringClient, SlackGateway } from '../../src/slack/gateway.js';
import { FakeSlackApi, type FakeReply } from '../helpers/fake-slack-api.js';
import { tempDir } from '../helpers/run-cli.js';

const SECRET = 'outage-test-signing-secret';
const TEAM = 'T1';
const TRIAGE = 'C0TRIAGE01';
const COUNCIL = 'C0COUNCIL1';
/** The longest wait between two attempts: a minute, plus the back-off's 20 % jitter. */
const CAPPED_WAIT_MS = 72_000;
const logger = pino({ level: 'silent' });

let app: RunningApp | undefined;
let fake: FakeSlackApi | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await fake?.stop();
});

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The real app with the Slack channel over HTTP, a loopback Slack, and a clock we move. */
async function start(reply: (method: string, body: Record<string, unknown>) => FakeReply) {
  fake = new FakeSlackApi({ reply });
  const api = await fake.start();
  let offset = 0;
  const clock = { now: () => new Date(Date.now() + offset) };
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('pebblebot-outage-'),
    SLACK_BOT_TOKEN: 'xoxb-outage-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: api,
  });
  app = await startApp(config, {
    logger,
    clock,
    channels: (services) =>
      createChannels(config, services, logger, {
        slack: { clientOptions: { retryConfig: { retries: 0 } } },
      }),
  });
  const { services } = app;
  const workspace = await services.workspaces.ensure('slack', TEAM);
  await services.workspaces.updateSettings(
    workspace,
    { userId: 'U0ADMIN', platformAdmin: true },
    { triageChannel: TRIAGE },
  );
  const url = `http://127.0.0.1:${app.http!.port}/slack/events`;
  const post = async (body: string, contentType: string, headers: Record<string, string> = {}) => {
    const ts = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signature,
        ...headers,
      },
      body,
    });
    return response.status;
  };
  const report = (text: string, responsePath: string, userId = 'U0ALICE') =>
    post(
      new URLSearchParams({
        team_id: TEAM,
        channel_id: 'C0GENERAL1',
        user_id: userId,
        user_name: userId.toLowerCase(),
        command: '/pebble',
        text,
        response_url: `${fake!.url}/${responsePath}`,
        trigger_id: `trigger-${responsePath}`,
      }).toString(),
      'application/x-www-form-urlencoded',
    );
  /** An Events API callback; the same `eventId` again, with `retry`, is Slack's retry of it. */
  const event = (payload: Record<string, unknown>, eventId: string, retry = 0) =>
    post(
      JSON.stringify({
        token: 'legacy',
        team_id: TEAM,
        api_app_id: 'A0PEBBLE',
        event: payload,
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
      }),
      'application/json',
      retry ? { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_timeout' } : {},
    );
  return {
    services,
    workspace,
    report,
    event,
    advance: (ms: number) => (offset += ms),
    now: () => clock.now().getTime(),
  };
}

const ADMIN = { userId: 'U0ADMIN', platformAdmin: true };

/**
 * The council set up in COUNCIL with these members, then P-1 reported through Slack, triaged
 * and proposed to the council through Slack. Returns the workspace as it is then.
 */
async function proposeP1(
  bot: Awaited<ReturnType<typeof start>>,
  members: { userId: string; name: string }[],
) {
  await bot.services.council.configure(bot.workspace, ADMIN, {
    members,
    channel: COUNCIL,
    secret: false,
  });
  expect(await bot.report('Expenses lose the receipts', 'response/1')).toBe(200);
  await until('P-1', async () =>
    (await bot.services.store.pebbles.get(bot.workspace.id, 1)) ? true : undefined,
  );
  const workspace = await bot.services.workspaces.get(bot.workspace.id);
  await bot.services.pebbles.transition(workspace, ADMIN, 1, 'triaged');
  expect(await bot.report('council propose P-1', 'response/2')).toBe(200);
  return workspace;
}

describe('Slack outage: nothing owed is dropped, nobody is misled', () => {
  it('posts the triage card once, within the capped back-off after Slack recovers', async () => {
    let down = true;
    const bot = await start((method) =>
      down && method === 'chat.postMessage' ? { status: 503 } : 'ok',
    );
    const key = triageCardKey(bot.workspace.id, 1);
    expect(await bot.report('The VPN drops every hour', 'response/1')).toBe(200);

    // Slack keeps failing for more attempts than the outbox used to allow before giving up.
    let message: OutboxMessage | undefined;
    for (let attempt = 1; attempt <= 10; attempt++) {
      message = await until(`attempt ${attempt}`, async () => {
        const m = await bot.services.store.outbox.get(key);
        return m && m.attempts === attempt && m.status === 'pending' ? m : undefined;
      });
      expect(message.nextAttemptAt.getTime() - bot.now()).toBeLessThanOrEqual(CAPPED_WAIT_MS);
      bot.advance(message.nextAttemptAt.getTime() - bot.now() + 1);
      bot.services.outbox.wake();
    }
    await until('attempt 11', async () => {
      const m = await bot.services.store.outbox.get(key);
      return m?.attempts === 11 && m.status === 'pending' ? true : undefined;
    });
    expect(fake!.messages).toEqual([]);

    // Slack is back: the card goes out at the next attempt, at most a capped wait away.
    down = false;
    const pending = (await bot.services.store.outbox.get(key))!;
    expect(pending.status).toBe('pending');
    expect(pending.nextAttemptAt.getTime() - bot.now()).toBeLessThanOrEqual(CAPPED_WAIT_MS);
    bot.advance(CAPPED_WAIT_MS + 1);
    bot.services.outbox.wake();
    const card = await until('the card', async () =>
      (await bot.services.pebbles.get(bot.workspace, 1)).triageCard ? true : undefined,
    );
    expect(card).toBe(true);
    const cards = fake!.messages.filter((m) => m.channel === TRIAGE);
    expect(cards).toHaveLength(1);
    expect(cards[0]!.text).toContain('P-1');
    // Posted then updated in place: the pebble knows the card's ts.
    const pebble = await bot.services.pebbles.get(bot.workspace, 1);
    expect(pebble.triageCard).toEqual({ channelId: TRIAGE, ts: cards[0]!.ts });
    expect((await bot.services.store.outbox.get(key))?.status).toBe('sent');
    // Nothing more goes out on later rounds.
    bot.advance(10 * 60_000);
    bot.services.outbox.wake();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake!.messages.filter((m) => m.channel === TRIAGE)).toHaveLength(1);
  }, 60_000);

  it('tells the reporter the pebble was saved as P-n when the confirmation fails', async () => {
    let failures = 1;
    const bot = await start((method) =>
      method.startsWith('response/') && failures-- > 0 ? { status: 500 } : 'ok',
    );
    expect(await bot.report('The expense tool logs me out', 'response/2')).toBe(200);
    const answers = await until('an answer', () => {
      const calls = fake!.calls.filter((c) => c.method === 'response/2');
      return calls.length ? calls : undefined;
    });
    const texts = answers.map((c) => JSON.stringify(c.body));
    expect(texts.join('\n')).toMatch(/Saved as \*?P-1/);
    expect(texts.join('\n')).not.toMatch(/try again/i);
    expect((await bot.services.pebbles.get(bot.workspace, 1)).title).toContain('expense tool');
  }, 30_000);

  it('posts a council vote proposed during the outage once, with the ballots cast meanwhile', async () => {
    let down = true;
    const bot = await start((method) =>
      down && method === 'chat.postMessage' ? { status: 503 } : 'ok',
    );
    const workspace = await proposeP1(bot, [
      { userId: 'U0ALICE', name: 'Alice' },
      { userId: 'U0BOB', name: 'Bob' },
      { userId: 'U0CAROL', name: 'Carol' },
    ]);

    const key = councilVoteKey(workspace.id, 1);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const message = await until(`attempt ${attempt}`, async () => {
        const m = await bot.services.store.outbox.get(key);
        return m && m.attempts === attempt && m.status === 'pending' ? m : undefined;
      });
      if (attempt === 2)
        await bot.services.council.cast(workspace, { userId: 'U0BOB', name: 'Bob' }, 1, 'fix-now');
      // The sweep's safety net queues nothing new (same key) and never posts by itself.
      expect((await bot.services.council.sweep(new Date(bot.now()))).posted).toBe(0);
      expect(message.nextAttemptAt.getTime() - bot.now()).toBeLessThanOrEqual(CAPPED_WAIT_MS);
      bot.advance(message.nextAttemptAt.getTime() - bot.now() + 1);
      bot.services.outbox.wake();
    }
    await until('attempt 6', async () => {
      const m = await bot.services.store.outbox.get(key);
      return m?.attempts === 6 ? true : undefined;
    });
    expect(fake!.messages.filter((m) => m.channel === COUNCIL)).toEqual([]);
    expect((await bot.services.council.getVote(workspace, 1)).message).toBeUndefined();

    down = false;
    bot.advance(CAPPED_WAIT_MS + 1);
    bot.services.outbox.wake();
    const recorded = await until(
      'the vote message',
      async () => (await bot.services.council.getVote(workspace, 1)).message,
    );
    const posts = fake!.messages.filter((m) => m.channel === COUNCIL);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.metadata?.event_payload.key).toBe(key);
    expect(recorded).toEqual({ channelId: COUNCIL, messageId: posts[0]!.ts });
    // Its delivery asks for one refresh: the ballot cast while it waited shows.
    const update = await until('the refresh', () =>
      fake!.calls.find((c) => c.method === 'chat.update' && c.body.ts === posts[0]!.ts),
    );
    expect(JSON.stringify(update.body)).toContain('1 of 3 members voted');
    bot.advance(10 * 60_000);
    bot.services.outbox.wake();
    expect((await bot.services.council.sweep(new Date(bot.now()))).posted).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake!.messages.filter((m) => m.channel === COUNCIL)).toHaveLength(1);
  }, 60_000);
});

describe('a vote post Slack refuses for good', () => {
  /** Slack refuses the council channel until the bot is invited; the vote is proposed then. */
  async function refusedVote() {
    const state = { invited: false };
    const bot = await start((method, body) =>
      method === 'chat.postMessage' && body.channel === COUNCIL && !state.invited
        ? { error: 'not_in_channel' }
        : 'ok',
    );
    await bot.services.workspaces.updateSettings(bot.workspace, ADMIN, { admins: [ADMIN.userId] });
    const workspace = await proposeP1(bot, [
      { userId: 'U0ALICE', name: 'Alice' },
      { userId: 'U0BOB', name: 'Bob' },
    ]);
    const key = councilVoteKey(workspace.id, 1);
    await until('given up', async () => {
      const m = await bot.services.store.outbox.get(key);
      return m?.status === 'failed' ? m : undefined;
    });
    // Given up for good: neither the outbox nor the sweep tries again by itself.
    bot.advance(10 * 60_000);
    bot.services.outbox.wake();
    expect((await bot.services.council.sweep(new Date(bot.now()))).posted).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await bot.services.store.outbox.get(key))?.status).toBe('failed');
    const tries = () =>
      fake!.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === COUNCIL);
    expect(tries()).toHaveLength(1);
    return { bot, state, workspace, key, tries };
  }

  const posts = () => fake!.messages.filter((m) => m.channel === COUNCIL);

  it('is posted once when the bot is invited to the channel (member_joined_channel)', async () => {
    const { bot, state, workspace, key, tries } = await refusedVote();
    state.invited = true;
    // Someone else joining the channel changes nothing.
    const joined = (user: string) => ({
      type: 'member_joined_channel',
      user,
      channel: COUNCIL,
      channel_type: 'G',
      team: TEAM,
      inviter: 'U0ADMIN',
      event_ts: `${Math.floor(Date.now() / 1000)}.000100`,
    });
    expect(await bot.event(joined('U0CAROL'), 'Ev0CAROL')).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await bot.services.store.outbox.get(key))?.status).toBe('failed');

    expect(await bot.event(joined('UBOT'), 'Ev0BOT1')).toBe(200);
    const recorded = await until(
      'the vote message',
      async () => (await bot.services.council.getVote(workspace, 1)).message,
    );
    expect(posts()).toHaveLength(1);
    expect(posts()[0]!.metadata?.event_payload.key).toBe(key);
    expect(recorded).toEqual({ channelId: COUNCIL, messageId: posts()[0]!.ts });
    expect((await bot.services.store.outbox.get(key))?.status).toBe('sent');

    // Slack's retry of the event, a second invitation, a sweep: still one post.
    expect(await bot.event(joined('UBOT'), 'Ev0BOT1', 1)).toBe(200);
    expect(await bot.event(joined('UBOT'), 'Ev0BOT2')).toBe(200);
    bot.advance(10 * 60_000);
    bot.services.outbox.wake();
    expect((await bot.services.council.sweep(new Date(bot.now()))).posted).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(posts()).toHaveLength(1);
    expect(tries()).toHaveLength(2);
  }, 60_000);

  it('is posted once after the next council configuration by an admin', async () => {
    const { bot, state, workspace, key } = await refusedVote();
    state.invited = true;
    expect(
      await bot.report(`config council channel <#${COUNCIL}|council>`, 'response/3', 'U0ADMIN'),
    ).toBe(200);
    const recorded = await until(
      'the vote message',
      async () => (await bot.services.council.getVote(workspace, 1)).message,
    );
    expect(recorded).toEqual({ channelId: COUNCIL, messageId: posts()[0]!.ts });
    expect(await bot.report('config council quorum 1', 'response/4', 'U0ADMIN')).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(posts()).toHaveLength(1);
    expect((await bot.services.store.outbox.get(key))?.status).toBe('sent');
  }, 60_000);
});

describe('the client that answers people', () => {
  it('gives up on a hanging Slack API call after its timeout, and refuses a flood at once', async () => {
    fake = new FakeSlackApi({ reply: () => 'hang' });
    await fake.start();
    const client = createAnsweringClient(
      'xoxb-test',
      { slackApiUrl: `${fake.url}/`, retryConfig: { retries: 0 }, logLevel: webApi.LogLevel.ERROR },
      { timeoutMs: 300, maxConcurrent: 2, maxQueued: 2 },
    );
    const gateway = new SlackGateway(client, logger);
    const started = performance.now();
    const calls = Array.from({ length: 5 }, (_, i) =>
      gateway.ephemeral('C0GENERAL1', `U${i}`, { text: 'hello', blocks: [] }).then(
        () => 'answered',
        (error: unknown) => ({ error, ms: performance.now() - started }),
      ),
    );
    const results = await Promise.all(calls);
    for (const result of results) expect(result).not.toBe('answered');
    const times = results.map((r) => (r as { ms: number }).ms);
    // Two in flight, two waiting, the fifth refused without waiting for any of them.
    expect(Math.min(...times)).toBeLessThan(250);
    // Each waiting call gets its own timeout after a slot frees: nothing hangs for long.
    expect(Math.max(...times)).toBeLessThan(3_000);
  }, 20_000);
});
