import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { createChannels } from '../../src/channels.js';
import { loadConfig } from '../../src/config.js';
import { FakeSlackApi } from '../helpers/fake-slack-api.js';
import {
  apiError,
  FakeOpenAi,
  structuredReply,
  type ScriptedReply,
} from '../helpers/fake-openai.js';
import { tempDir } from '../helpers/run-cli.js';

const SECRET = 'openai-outage-signing-secret';
const TEAM = 'T1';
const TRIAGE = 'C0TRIAGE01';
/** The AI call's own deadline (OPENAI_TIMEOUT_MS) in this test. */
const AI_TIMEOUT_MS = 1_500;
/** Far below the AI deadline: an acknowledgement that waited for the AI could not meet it. */
const ACK_BOUND_MS = 1_000;
const logger = pino({ level: 'silent' });

const REPORTS = [
  'Checkout loops back to the cart\nOn my phone, Pay sends me back to the cart.',
  'Pay button returns to the cart on mobile',
  'The VPN drops every hour',
];

let app: RunningApp | undefined;
let slack: FakeSlackApi | undefined;
let openai: FakeOpenAi | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await slack?.stop();
  await openai?.stop();
});

async function until<T>(what: string, probe: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * The real app with the Slack channel and, unless `failure` is undefined, AI configured
 * against a loopback OpenAI that answers every call with `failure`. Reports REPORTS one by
 * one; returns each acknowledgement's time, the reporter's answers and the triage cards.
 */
async function reportAll(failure: ScriptedReply | 'no-ai') {
  slack = new FakeSlackApi();
  const api = await slack.start();
  openai = new FakeOpenAi();
  const baseUrl = await openai.start();
  if (failure !== 'no-ai') openai.always = failure;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('pebblebot-openai-outage-'),
    SLACK_BOT_TOKEN: 'xoxb-openai-outage',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: api,
    ...(failure === 'no-ai'
      ? {}
      : {
          OPENAI_API_KEY: 'sk-test',
          OPENAI_BASE_URL: baseUrl,
          OPENAI_TIMEOUT_MS: String(AI_TIMEOUT_MS),
          OPENAI_MAX_RETRIES: '1',
        }),
  });
  app = await startApp(config, {
    logger,
    channels: (services) =>
      createChannels(config, services, logger, {
        slack: { clientOptions: { retryConfig: { retries: 0 } } },
      }),
  });
  const workspace = await app.services.workspaces.ensure('slack', TEAM);
  await app.services.workspaces.updateSettings(
    workspace,
    { userId: 'U0ADMIN', platformAdmin: true },
    { triageChannel: TRIAGE },
  );
  const url = `http://127.0.0.1:${app.http!.port}/slack/events`;
  const acks: number[] = [];
  const answers: string[] = [];
  for (const [i, text] of REPORTS.entries()) {
    const path = `response/${i}`;
    const body = new URLSearchParams({
      team_id: TEAM,
      channel_id: 'C0GENERAL1',
      user_id: 'U0ALICE',
      user_name: 'alice',
      command: '/pebble',
      text,
      response_url: `${slack.url}/${path}`,
      trigger_id: `trigger-${i}`,
    }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
    const started = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signature,
      },
      body,
    });
    await res.arrayBuffer();
    acks.push(performance.now() - started);
    expect(res.status).toBe(200);
    const calls = await until(`the answer to report ${i}`, () => {
      const found = slack!.calls.filter((c) => c.method === path);
      return found.length ? found : undefined;
    });
    answers.push(calls.map((c) => JSON.stringify(c.body)).join('\n'));
  }
  const cards = await until('the triage cards', () => {
    const posted = slack!.messages.filter((m) => m.channel === TRIAGE);
    return posted.length === REPORTS.length ? posted : undefined;
  });
  const page = await app.services.store.pebbles.list(workspace.id, {}, { limit: 10 });
  return {
    acks,
    answers,
    cards: cards.map((c) => JSON.stringify({ text: c.text, blocks: c.blocks })),
    titles: page.items.map((p) => p.title).sort(),
    aiRequests: openai.requests.length,
  };
}

const FAILURES: [string, ScriptedReply][] = [
  [
    '429 rate_limit_exceeded',
    {
      status: 429,
      headers: { 'retry-after': '1' },
      body: apiError('requests', 'rate_limit_exceeded'),
    },
  ],
  [
    '429 insufficient_quota',
    { status: 429, body: apiError('insufficient_quota', 'insufficient_quota') },
  ],
  ['500', { status: 500, body: apiError('server_error', null) }],
  ['a timeout (no answer within OPENAI_TIMEOUT_MS)', { delayMs: 60_000 }],
  [
    'malformed output',
    { status: 200, body: structuredReply('responses', 'Sure! It is severity high, stage buy') },
  ],
];

describe('OpenAI failing: reports are acknowledged as fast, and fall back to what no AI gives', () => {
  let baseline: Awaited<ReturnType<typeof reportAll>> | undefined;
  it.each(FAILURES)(
    '%s',
    async (_name, failure) => {
      if (!baseline) {
        baseline = await reportAll('no-ai');
        await app!.stop();
        app = undefined;
        await slack!.stop();
        await openai!.stop();
      }

      const failing = await reportAll(failure);
      // The AI was asked (it is configured), and failed every time.
      expect(failing.aiRequests).toBeGreaterThan(0);
      for (const ms of failing.acks) expect(ms).toBeLessThan(ACK_BOUND_MS);
      // Every report stored; the reporter and the triage channel see what they see without AI.
      expect(failing.titles).toEqual(baseline.titles);
      expect(failing.answers).toEqual(baseline.answers);
      expect(failing.cards).toEqual(baseline.cards);
    },
    90_000,
  );
});
