import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import nock from 'nock';
import pino from 'pino';
import { startApp, type RunningApp } from '../../src/app.js';
import { createChannels } from '../../src/channels.js';
import { loadConfig } from '../../src/config.js';
import type { Clock } from '../../src/core/shared/clock.port.js';
import { ROOT, tempDir } from '../helpers/run-cli.js';
import { TEST_BALLOT_SECRET } from '../helpers/services.js';
import { recordLog, recordOutgoing } from '../helpers/privacy.js';

export const SECRET = 'test-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-test-token';
export const TEAM = 'T0PEBBLE1';
export const BOT_USER = 'U0PEBBLEBOT';
export const BOT_ID = 'B0PEBBLE';
export const CHANNEL = 'C0GENERAL1';
export const TRIAGE = 'C0TRIAGE01';
export const API = 'https://slack.com';
export const HOOKS = 'https://hooks.slack.com';

/** The project's own Slack payloads and schemas (see tests/fixtures/README.md). */
export const FIXTURES = path.join(ROOT, 'tests/fixtures/slack');

/** A fixture file of tests/fixtures/slack, written after a real payload of the same path. */
export function fixture<T = Record<string, unknown>>(relative: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, relative), 'utf8')) as T;
}

/** One outgoing request: a Web API call or a response_url answer. */
export interface Call {
  method: string;
  body: Record<string, unknown>;
  raw: string;
}

function decodeForm(raw: string): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    try {
      body[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
    } catch {
      body[key] = value;
    }
  }
  return body;
}

function decode(raw: unknown): { raw: string; body: Record<string, unknown> } {
  if (typeof raw === 'string') {
    try {
      return { raw, body: JSON.parse(raw) as Record<string, unknown> };
    } catch {
      return { raw, body: decodeForm(raw) };
    }
  }
  return { raw: JSON.stringify(raw), body: (raw ?? {}) as Record<string, unknown> };
}

type Reply = Record<string, unknown> | ((body: Record<string, unknown>) => Record<string, unknown>);

/**
 * Slack's Web API and response_urls faked with nock. Each expected call is an interceptor
 * (so `done()` proves it happened); every request's body is recorded for leak scans; a call
 * nobody expected is collected in `unexpected`.
 */
export class FakeSlack {
  readonly calls: Call[] = [];
  readonly unexpected: string[] = [];
  /** Replies expected so far: `done()` waits for the reply functions, not just the matches. */
  private expected = 0;
  private readonly api = nock(API);
  private readonly hooks = nock(HOOKS);
  private readonly onNoMatch = (req: {
    method?: string;
    path?: string;
    href?: string;
    host?: string;
    hostname?: string;
  }) => {
    const where = `${req.href ?? ''} ${req.host ?? ''} ${req.hostname ?? ''}`;
    if (/127\.0\.0\.1|localhost/.test(where)) return;
    this.unexpected.push(`${req.method} ${req.href ?? req.path}`);
  };

  constructor() {
    nock.emitter.on('no match', this.onNoMatch);
  }

  /** Expects `times` calls of a Web API method, answering `{ ok: true, ...reply }`. */
  expect(method: string, reply: Reply = {}, times = 1): this {
    this.expected += times;
    this.api
      .post(`/api/${method}`)
      .times(times)
      .reply(200, (_uri, requestBody) => {
        const { raw, body } = decode(requestBody);
        this.calls.push({ method, body, raw });
        recordOutgoing('slack', method, body);
        return { ok: true, ...(typeof reply === 'function' ? reply(body) : reply) };
      });
    return this;
  }

  /** Expects a failed Web API call (`{ ok: false, error }`). */
  fail(method: string, error: string, times = 1): this {
    this.expected += times;
    this.api
      .post(`/api/${method}`)
      .times(times)
      .reply(200, (_uri, requestBody) => {
        const { raw, body } = decode(requestBody);
        this.calls.push({ method, body, raw });
        recordOutgoing('slack', method, body);
        return { ok: false, error };
      });
    return this;
  }

  /** Expects answers on a response_url path (e.g. `/commands/T1/1/abc`). */
  expectRespond(urlPath: string, times = 1): this {
    this.expected += times;
    this.hooks
      .post(urlPath)
      .times(times)
      .reply(200, (_uri, requestBody) => {
        const { raw, body } = decode(requestBody);
        this.calls.push({ method: `respond ${urlPath}`, body, raw });
        recordOutgoing('slack', 'response_url', body, urlPath);
        return 'ok';
      });
    return this;
  }

  /** The recorded calls of one method (`respond …` for response_urls). */
  of(method: string): Call[] {
    return this.calls.filter((c) => c.method === method || c.method.startsWith(`${method} `));
  }

  isDone(): boolean {
    return this.api.isDone() && this.hooks.isDone() && this.calls.length >= this.expected;
  }

  pending(): string[] {
    return [...this.api.pendingMocks(), ...this.hooks.pendingMocks()];
  }

  /** Waits until every expected call happened (listeners work after their ack). */
  async done(timeoutMs = 5_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.isDone()) {
      if (Date.now() > until)
        throw new Error(
          `Slack calls still expected: ${this.pending().join(', ')}\nmade: ${this.calls.map((c) => c.method).join(', ')}\nunexpected: ${this.unexpected.join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    nock.emitter.off('no match', this.onNoMatch);
  }
}

export function sign(body: string, timestamp = Math.floor(Date.now() / 1000), secret = SECRET) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

export interface SlackTestApp {
  app: RunningApp;
  slack: FakeSlack;
  url: string;
  logs: string[];
  /** POSTs a signed body to /slack/events. */
  post(
    body: string,
    options?: { contentType?: string; headers?: Record<string, string>; timestamp?: number },
  ): Promise<{ status: number; text: string; ms: number }>;
  command(
    text: string,
    overrides?: Record<string, string>,
  ): Promise<{ status: number; text: string; ms: number }>;
  interaction(payload: object): Promise<{ status: number; text: string; ms: number }>;
  event(
    event: object,
    options?: { eventId?: string; retryNum?: number },
  ): Promise<{ status: number; text: string; ms: number }>;
  stop(): Promise<void>;
}

let counter = 0;
/** A unique id for triggers, action timestamps and response_urls. */
export function uid(prefix = ''): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

/** The response_url path of a command or action, to expect answers on. */
export function responsePath(id: string): string {
  return `/commands/${TEAM}/${id}/tok`;
}

/** A slash command body shaped like the recorded one in the fixtures. */
export function commandBody(
  text: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const recorded = fixture<{ slashCommandWithArgs: Record<string, string> }>(
    'payloads/third-party-captures/vercel-chat__slash-commands__slack.json',
  ).slashCommandWithArgs;
  const id = uid();
  return {
    ...recorded,
    team_id: TEAM,
    team_domain: 'acme',
    channel_id: CHANNEL,
    channel_name: 'general',
    user_id: 'U0ALICE',
    user_name: 'alice',
    command: '/pebble',
    text,
    response_url: `${HOOKS}${responsePath(id)}`,
    trigger_id: `trigger-${id}`,
    ...overrides,
  };
}

/** Starts Pebblebot through the real composition root with the Slack channel over HTTP. */
export async function startSlackApp(
  options: {
    env?: Record<string, string>;
    socket?: boolean;
    logLevel?: string;
    /** Expectations needed while starting (Socket Mode opens its connection then). */
    prepare?: (slack: FakeSlack) => void;
    /** The services' clock (a FakeClock, for a story replayed on several channels). */
    clock?: Clock;
  } = {},
): Promise<SlackTestApp> {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  const slack = new FakeSlack();
  slack.expect('auth.test', { user_id: BOT_USER, bot_id: BOT_ID, team_id: TEAM });
  options.prepare?.(slack);
  const logs: string[] = [];
  const logger = pino(
    { level: options.logLevel ?? 'info' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        recordLog(chunk.toString());
        cb();
      },
    }),
  );
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('pebblebot-slack-'),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    BALLOT_SECRET: TEST_BALLOT_SECRET,
    ...(options.socket ? { SLACK_APP_TOKEN: 'xapp-test-token' } : { SLACK_SIGNING_SECRET: SECRET }),
    ...options.env,
  });
  const app = await startApp(config, {
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    channels: (services) =>
      createChannels(config, services, logger, {
        slack: {
          clientOptions: { retryConfig: { retries: 0 } },
          socketMode: { autoReconnectEnabled: false },
        },
      }),
  });
  const url = `http://127.0.0.1:${app.http?.port ?? 0}/slack/events`;

  const post: SlackTestApp['post'] = async (body, opts = {}) => {
    const started = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: {
        'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
        ...sign(body, opts.timestamp),
        ...opts.headers,
      },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started };
  };
  return {
    app,
    slack,
    url,
    logs,
    post,
    command: (text, overrides) =>
      post(new URLSearchParams(commandBody(text, overrides)).toString()),
    interaction: (payload) =>
      post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString()),
    event: (event, opts = {}) =>
      post(
        JSON.stringify({
          token: 'legacy',
          team_id: TEAM,
          api_app_id: 'A0PEBBLE',
          event,
          type: 'event_callback',
          event_id: opts.eventId ?? `Ev${uid()}`,
          event_time: Math.floor(Date.now() / 1000),
          authorizations: [
            {
              enterprise_id: null,
              team_id: TEAM,
              user_id: BOT_USER,
              is_bot: true,
              is_enterprise_install: false,
            },
          ],
          is_ext_shared_channel: false,
        }),
        {
          contentType: 'application/json',
          ...(opts.retryNum !== undefined
            ? {
                headers: {
                  'x-slack-retry-num': String(opts.retryNum),
                  'x-slack-retry-reason': 'http_timeout',
                },
              }
            : {}),
        },
      ),
    stop: async () => {
      await app.stop();
      slack.close();
      nock.cleanAll();
    },
  };
}

/** A block_actions payload for a button (shape of the recorded one in the fixtures). */
export function blockAction(
  user: { id: string; name: string },
  action: { action_id: string; value?: string; selected?: string },
  options: {
    responseUrlId?: string;
    container?: 'message' | 'view';
    channel?: string;
    messageTs?: string;
  } = {},
): Record<string, unknown> {
  const recorded = fixture<{ action: Record<string, unknown> }>(
    'payloads/third-party-captures/vercel-chat__actions-reactions__slack.json',
  ).action;
  const ts = `${Math.floor(Date.now() / 1000)}.${uid().slice(-6)}`;
  const base: Record<string, unknown> = {
    ...recorded,
    user: { id: user.id, username: user.name, name: user.name, team_id: TEAM },
    team: { id: TEAM, domain: 'acme' },
    trigger_id: `trigger-${uid()}`,
    actions: [
      action.selected
        ? {
            type: 'static_select',
            action_id: action.action_id,
            block_id: 'b1',
            selected_option: { text: { type: 'plain_text', text: 'x' }, value: action.selected },
            action_ts: ts,
          }
        : {
            type: 'button',
            action_id: action.action_id,
            block_id: 'b1',
            text: { type: 'plain_text', text: 'x' },
            value: action.value,
            action_ts: ts,
          },
    ],
  };
  if (options.container === 'view') {
    base.container = { type: 'view', view_id: 'V0HOME' };
    delete base.channel;
    delete base.message;
    delete base.response_url;
  } else {
    const channel = options.channel ?? CHANNEL;
    base.container = {
      type: 'message',
      message_ts: options.messageTs ?? ts,
      channel_id: channel,
      is_ephemeral: true,
    };
    base.channel = { id: channel, name: 'general' };
    base.response_url = `${HOOKS}${responsePath(options.responseUrlId ?? uid())}`;
  }
  return base;
}

/** A view_submission payload (shape of the recorded one) with the given state and metadata. */
export function viewSubmission(
  user: { id: string; name: string },
  view: {
    callback_id: string;
    private_metadata: string;
    values: Record<string, Record<string, unknown>>;
    id?: string;
    hash?: string;
  },
): Record<string, unknown> {
  const recorded = fixture<{
    viewSubmission: Record<string, unknown> & { view: Record<string, unknown> };
  }>('payloads/third-party-captures/vercel-chat__modals__slack.json').viewSubmission;
  return {
    ...recorded,
    team: { id: TEAM, domain: 'acme' },
    user: { id: user.id, username: user.name, name: user.name, team_id: TEAM },
    view: {
      ...recorded.view,
      id: view.id ?? `V${uid()}`,
      hash: view.hash ?? `${Date.now()}.${randomUUID().slice(0, 8)}`,
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      state: { values: view.values },
    },
  };
}

export const alice = { id: 'U0ALICE', name: 'alice' };
export const bob = { id: 'U0BOB', name: 'bob' };
export const carol = { id: 'U0CAROL', name: 'carol' };

/** Waits for a condition checked in a loop (store state changed after an ack). */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What Pebblebot asked of Slack: a Web API method, or `respond <path>` for a response_url. */
export interface Recorded {
  method: string;
  body: Record<string, unknown>;
}

/**
 * Answers every Web API call and response_url and records them in order, without expecting a
 * number of calls (for tests that read what was sent rather than count it). users.info answers
 * as `user` says; `reply` may answer other methods, which otherwise get a channel and a ts.
 * `scan` hands every call to the suite's privacy scan, as FakeSlack does.
 */
export function recordSlack(options: {
  user: (id: string) => { name: string; is_admin: boolean };
  reply?: (method: string, body: Record<string, unknown>) => Record<string, unknown> | undefined;
  scan?: boolean;
}): Recorded[] {
  const calls: Recorded[] = [];
  nock(API)
    .post(/^\/api\/.+/)
    .reply(200, (uri, raw) => {
      const method = uri.replace(/^\/api\//, '');
      const { body } = decode(raw);
      calls.push({ method, body });
      if (options.scan) recordOutgoing('slack', method, body);
      if (method === 'users.info') {
        const id = String(body.user);
        return { ok: true, user: { id, ...options.user(id) } };
      }
      return {
        ok: true,
        ...(options.reply?.(method, body) ?? {
          channel: body.channel ?? 'D0',
          ts: `${Date.now() / 1000}`,
        }),
      };
    })
    .persist();
  nock(HOOKS)
    .post(/.*/)
    .reply(200, (uri, raw) => {
      const { body } = decode(raw);
      calls.push({ method: `respond ${uri}`, body });
      if (options.scan) recordOutgoing('slack', 'response_url', body, uri);
      return 'ok';
    })
    .persist();
  return calls;
}
