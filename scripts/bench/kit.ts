/**
 * What the load benchmarks share: signed Slack requests and Bot Framework activities shaped like
 * the real ones, a loopback fake of Slack and of the Bot Framework (its OpenID keys, login and
 * connector), a load generator, the baselines (a bare Bolt app, a bare botbuilder CloudAdapter)
 * and Pebblebot started through its real entry point. The fakes and the load generator run on
 * worker threads, so the event loop being measured (Pebblebot's) does only Pebblebot's work.
 *
 * A worker runs the script that started it (the script calls `runWorkerRole()` first), so this
 * file is imported by the main thread and by every worker.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { TurnContext } from 'botbuilder';
import pino from 'pino';
import type { Workspace } from '../../src/core/workspaces/workspace.model.js';
import type { Services } from '../../src/services.js';

export const SECRET = 'bench-signing-secret';
export const TEAM = 'T0BENCH';
export const BOT_USER = 'U0BENCHBOT';
export const COUNCIL = 'C0COUNCIL';
export const TENANT = '7e1f0c2a-5b3d-4c8e-9a10-2f6b8d4e1c01';
const APP_ID = '11111111-2222-3333-4444-555555555555';
const ISSUER = 'https://api.botframework.test';
const OPTIONS = ['fix-now', 'next-cycle', 'not-now', 'need-info'] as const;
/** Council members who click in mixed traffic; the council is larger, so the vote stays open. */
const VOTERS = 300;
export const COUNCIL_SIZE = 400;

export const memberId = (i: number) => `U${String(i).padStart(7, '0')}`;

// ------------------------------------------------------------------ measuring

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function summary(latencies: number[]): Summary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** The 1, 5 and 15 minute load averages: every figure is printed with them (shared machine). */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

/** The machine's CPU time counters so far (Linux's /proc/stat), or undefined elsewhere. */
export interface CpuTimes {
  total: number;
  busy: number;
  steal: number;
}

export function cpuTimes(): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // user nice system idle iowait irq softirq steal (guest time is counted in user already)
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .split(/\s+/)
      .slice(1, 9)
      .map(Number) as [number, number, number, number, number, number, number, number];
    return {
      total: user + nice + system + idle + iowait + irq + softirq + steal,
      busy: user + nice + system + irq + softirq,
      steal,
    };
  } catch {
    return undefined;
  }
}

/**
 * The share of the machine's CPU time busy, and stolen by the hypervisor, since `from`: on a
 * virtual machine a stolen share is time a vCPU waited for a real one, and every request on it
 * waited too, so a tail that moves with it is the machine's, not Pebblebot's.
 */
export function cpuSince(from: CpuTimes | undefined): string {
  const now = cpuTimes();
  if (!from || !now || now.total === from.total) return 'n/a';
  const share = (d: number) => `${Math.round((100 * d) / (now.total - from.total))}%`;
  return `${share(now.busy - from.busy)} busy, ${share(now.steal - from.steal)} stolen`;
}

/** One line naming the machine, printed before the figures. */
/**
 * Waits until this thread has been idle (event-loop utilization under 5%) for a whole 250 ms
 * window, at most `maxMs`: what one system under test still does after its burst (answers,
 * message refreshes) must not run during the next one's. Returns the time waited.
 */
export async function settle(maxMs = 30_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const before = performance.eventLoopUtilization();
    await new Promise((r) => setTimeout(r, 250));
    const { utilization } = performance.eventLoopUtilization(before);
    const waited = performance.now() - started;
    if (utilization < 0.05 || waited > maxMs) return waited;
  }
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${os.cpus().length} CPUs (${cpu}), ${mb(os.totalmem())} RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** The command that produced the figures, as it can be typed again. */
export function commandLine(script: string): string {
  const args = process.argv.slice(2);
  return `npm run ${script}${args.length ? ` -- ${args.join(' ')}` : ''}`;
}

// ------------------------------------------------------------------ requests

export type Kind = 'report' | 'plusOne' | 'ballot' | 'home' | 'teamsMessage' | 'teamsInvoke';
export const KINDS: Kind[] = ['report', 'plusOne', 'ballot', 'home', 'teamsMessage', 'teamsInvoke'];
/** The mix of steady traffic, in shares of the requests sent. */
export const MIX: Record<Kind, number> = {
  report: 0.2,
  plusOne: 0.2,
  ballot: 0.2,
  home: 0.15,
  teamsMessage: 0.125,
  teamsInvoke: 0.125,
};

/** What a load worker needs to build requests that Pebblebot accepts. */
export interface Scenario {
  slackUrl: string;
  teamsUrl: string;
  responseUrl: string;
  /** The fake connector, where Teams activities say replies go. */
  serviceUrl: string;
  /** A Bot Framework token for `serviceUrl` (real tokens also live an hour). */
  teamsToken: string;
  /** Pebbles 1..n exist in both workspaces (+1s name them). */
  pebbles: number;
  /** The open vote ballots go to. */
  vote: number;
}

export interface Prepared {
  kind: Kind;
  url: string;
  body: string;
  headers: Record<string, string>;
}

function signedSlack(body: string, contentType: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  return {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`,
  };
}

const PLACES = ['checkout', 'onboarding', 'invoice', 'VPN', 'badge reader', 'expense tool', 'wiki'];
const PROBLEMS = [
  'times out',
  'asks twice for the address',
  'loses the attachment',
  'is blank on mobile',
  'needs three approvals',
];
const friction = (i: number) =>
  `The ${PLACES[i % PLACES.length]} ${PROBLEMS[i % PROBLEMS.length]} (case ${i})`;

function blockAction(
  i: number,
  s: Scenario,
  user: string,
  actionId: string,
  value: string,
  channel: string,
) {
  const ts = Math.floor(Date.now() / 1000);
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user, team_id: TEAM },
    api_app_id: 'A0BENCH',
    token: 'legacy',
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: channel },
    trigger_id: `${i}.${randomUUID()}`,
    team: { id: TEAM, domain: 'bench' },
    channel: { id: channel, name: 'bench' },
    message: { type: 'message', ts: '1700000000.000100', text: 'bench' },
    response_url: `${s.responseUrl}/${i}`,
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'b1',
        text: { type: 'plain_text', text: 'click' },
        value,
        action_ts: `${ts}.${String(i % 1_000_000).padStart(6, '0')}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A Bot Framework activity from the Teams user `i`, shaped like tests/fixtures/teams. */
function activity(i: number, s: Scenario, extra: Record<string, unknown>) {
  const user = `29:bench-user-${i % 40}`;
  return {
    id: `${Date.now()}${i}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: s.serviceUrl,
    from: { id: user, name: `Teams user ${i % 40}`, aadObjectId: `aad-${i % 40}` },
    conversation: { conversationType: 'personal', tenantId: TENANT, id: `a:bench-chat-${i % 40}` },
    recipient: { id: `28:${APP_ID}`, name: 'Pebblebot' },
    channelData: { tenant: { id: TENANT } },
    locale: 'en-GB',
    ...extra,
  };
}

/** A ballot click of council member `member` on `vote`, freshly signed. */
export function ballotClick(i: number, s: Scenario, member: number, vote: number): Prepared {
  const body = blockAction(
    i,
    s,
    memberId(member),
    'council.ballot',
    `${vote}:${OPTIONS[member % OPTIONS.length]}`,
    COUNCIL,
  );
  return {
    kind: 'ballot',
    url: s.slackUrl,
    body,
    headers: signedSlack(body, 'application/x-www-form-urlencoded'),
  };
}

/** The `i`th request of a kind, freshly signed. */
export function prepare(kind: Kind, i: number, s: Scenario): Prepared {
  switch (kind) {
    case 'report': {
      const body = new URLSearchParams({
        token: 'legacy',
        team_id: TEAM,
        team_domain: 'bench',
        channel_id: 'C0BENCH',
        channel_name: 'general',
        user_id: `U0USER${i % 40}`,
        user_name: `user${i % 40}`,
        command: '/pebble',
        text: `${friction(i)}\nSeen by a customer on ${(i % 28) + 1} March.`,
        api_app_id: 'A0BENCH',
        is_enterprise_install: 'false',
        response_url: `${s.responseUrl}/${i}`,
        trigger_id: `${i}.${randomUUID()}`,
      }).toString();
      return {
        kind,
        url: s.slackUrl,
        body,
        headers: signedSlack(body, 'application/x-www-form-urlencoded'),
      };
    }
    case 'plusOne': {
      const body = blockAction(
        i,
        s,
        `U0FAN${i % 200}`,
        'pebble.support',
        String((i % s.pebbles) + 1),
        'C0TRIAGE',
      );
      return {
        kind,
        url: s.slackUrl,
        body,
        headers: signedSlack(body, 'application/x-www-form-urlencoded'),
      };
    }
    case 'ballot': {
      const body = blockAction(
        i,
        s,
        memberId(i % VOTERS),
        'council.ballot',
        `${s.vote}:${OPTIONS[Math.floor(i / VOTERS) % OPTIONS.length]}`,
        COUNCIL,
      );
      return {
        kind,
        url: s.slackUrl,
        body,
        headers: signedSlack(body, 'application/x-www-form-urlencoded'),
      };
    }
    case 'home': {
      const body = JSON.stringify({
        token: 'legacy',
        team_id: TEAM,
        api_app_id: 'A0BENCH',
        type: 'event_callback',
        event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 16)}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: TEAM, user_id: BOT_USER, is_bot: true }],
        event: {
          type: 'app_home_opened',
          user: `U0USER${i % 40}`,
          channel: `D0USER${i % 40}`,
          tab: 'home',
          event_ts: `${Date.now() / 1000}`,
        },
      });
      return { kind, url: s.slackUrl, body, headers: signedSlack(body, 'application/json') };
    }
    case 'teamsMessage': {
      const body = JSON.stringify(
        activity(i, s, { type: 'message', textFormat: 'plain', text: `report ${friction(i)}` }),
      );
      return {
        kind,
        url: s.teamsUrl,
        body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.teamsToken}` },
      };
    }
    case 'teamsInvoke': {
      const value = String((i % s.pebbles) + 1);
      const body = JSON.stringify(
        activity(i, s, {
          type: 'invoke',
          name: 'adaptiveCard/action',
          replyToId: `${1764662800000 + (i % s.pebbles)}`,
          value: {
            action: {
              type: 'Action.Execute',
              id: 'support',
              verb: 'pebble.support',
              data: { action: 'pebble.support', value },
            },
            trigger: 'manual',
          },
        }),
      );
      return {
        kind,
        url: s.teamsUrl,
        body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.teamsToken}` },
      };
    }
  }
}

/** The kinds named by `--only` ("report,home"), or every kind when it is not given. */
export function parseKinds(only: string | undefined): Kind[] | undefined {
  return only?.split(',').map((k) => {
    if (!KINDS.includes(k as Kind))
      throw new Error(`--only: ${k} is not one of ${KINDS.join(', ')}`);
    return k as Kind;
  });
}

/** The kind of the `i`th request of steady traffic: a fixed interleaving that follows MIX. */
export function kindAt(i: number): Kind {
  let at = (i * 0.618034) % 1;
  for (const kind of KINDS) {
    at -= MIX[kind];
    if (at < 0) return kind;
  }
  return 'report';
}

// ------------------------------------------------------------------ workers

type Job =
  | { role: 'fakes'; socketUrl?: string }
  | {
      role: 'steady';
      scenario: Scenario;
      rate: number;
      seconds: number;
      offset: number;
      only?: Kind[];
    }
  | { role: 'burst'; requests: Prepared[] };

export interface LoadResult {
  byKind: Partial<Record<Kind, number[]>>;
  failures: Partial<Record<Kind, number>>;
  statuses: Record<string, number>;
  sent: number;
  ms: number;
  /** Requests slower than 250 ms: kind, send time (ms since the load began) and latency. */
  slow?: [Kind, number, number][];
}

export interface Fakes {
  apiUrl: string;
  responseUrl: string;
  serviceUrl: string;
  openIdUrl: string;
  loginUrl: string;
  teamsToken: string;
  cert: string;
}

/**
 * Worker: loopback Slack Web API (answers every method), response_urls and a Bot Connector
 * (replies, card updates), which keep no record (a soak runs for many minutes), plus the Bot
 * Framework's OpenID keys and login (tests/teams/harness.ts).
 */
async function fakes(job: Extract<Job, { role: 'fakes' }>): Promise<void> {
  const { FakeBotFramework, signToken } = await import('../../tests/teams/harness.js');
  let calls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      const url = req.url ?? '';
      const method = url.replace(/^\/api\//, '').split('?')[0];
      const body = url.startsWith('/v3/')
        ? { id: `activity-${calls}` }
        : method === 'auth.test'
          ? { ok: true, user_id: BOT_USER, bot_id: 'B0BENCH', team_id: TEAM }
          : method === 'chat.postMessage'
            ? { ok: true, channel: COUNCIL, ts: `${(Date.now() / 1000).toFixed(6)}` }
            : method === 'users.info'
              ? { ok: true, user: { id: 'U0', name: 'bench user', is_admin: false, tz: 'UTC' } }
              : method === 'conversations.open'
                ? { ok: true, channel: { id: 'D0BENCH' } }
                : method === 'apps.connections.open'
                  ? { ok: true, url: job.socketUrl }
                  : { ok: true };
      const payload = JSON.stringify(body);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      });
      res.end(payload);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bot = new FakeBotFramework();
  await bot.start();
  const serviceUrl = `${base}/teams/`;
  const tlsDir = (bot as unknown as { tlsDir: string }).tlsDir;
  const result: Fakes = {
    apiUrl: `${base}/api/`,
    responseUrl: `${base}/respond`,
    serviceUrl,
    openIdUrl: bot.openIdUrl,
    loginUrl: bot.loginUrl,
    teamsToken: signToken(bot.key, { iss: ISSUER, aud: APP_ID, serviceurl: serviceUrl }),
    cert: readFileSync(path.join(tlsDir, 'cert.pem'), 'utf8'),
  };
  parentPort!.postMessage(result);
  parentPort!.on('message', (message: string) => {
    if (message === 'calls') parentPort!.postMessage({ calls });
    if (message === 'stop') void bot.stop().then(() => server.close(() => process.exit(0)));
  });
}

/** Sends prepared requests, each timed from its send to the end of its answer. */
function sender() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2_000 });
  const origin = performance.now();
  const result: LoadResult = { byKind: {}, failures: {}, statuses: {}, sent: 0, ms: 0 };
  const send = (p: Prepared) =>
    new Promise<void>((resolve) => {
      const target = new URL(p.url);
      const started = performance.now();
      result.sent++;
      const fail = (error: Error) => {
        result.failures[p.kind] = (result.failures[p.kind] ?? 0) + 1;
        const status = `${p.kind}:${error.message === 'timeout' ? 'no answer in 30 s' : error.message}`;
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        resolve();
      };
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: p.headers,
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const took = performance.now() - started;
            (result.byKind[p.kind] ??= []).push(took);
            if (took > 250)
              (result.slow ??= []).push([p.kind, Math.round(started - origin), Math.round(took)]);
            const status = `${p.kind}:${res.statusCode}`;
            result.statuses[status] = (result.statuses[status] ?? 0) + 1;
            if (res.statusCode !== 200)
              result.failures[p.kind] = (result.failures[p.kind] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('error', fail);
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      req.end(p.body);
    });
  return { send, result, close: () => agent.destroy() };
}

/** Worker: steady open-loop traffic at `rate` per second for `seconds`. */
async function steady(job: Extract<Job, { role: 'steady' }>): Promise<void> {
  const { send, result, close } = sender();
  const interval = 1000 / job.rate;
  const count = Math.round(job.rate * job.seconds);
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let n = 0; n < count; n++) {
    const due = started + n * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const i = job.offset + n;
    const kind = job.only ? job.only[i % job.only.length]! : kindAt(i);
    inFlight.push(send(prepare(kind, i, job.scenario)));
  }
  await Promise.all(inFlight);
  result.ms = performance.now() - started;
  close();
  parentPort!.postMessage(result);
}

/** Worker: every prepared request at once. */
async function burst(job: Extract<Job, { role: 'burst' }>): Promise<void> {
  const { send, result, close } = sender();
  const started = performance.now();
  await Promise.all(job.requests.map(send));
  result.ms = performance.now() - started;
  close();
  parentPort!.postMessage(result);
}

/** Call first in every benchmark script: in a worker it plays its role and returns true. */
export function runWorkerRole(): boolean {
  if (isMainThread) return false;
  const job = workerData as Job;
  if (job.role === 'fakes') void fakes(job);
  else if (job.role === 'steady') void steady(job);
  else void burst(job);
  return true;
}

function worker<T>(script: string, job: Job): { worker: Worker; first: Promise<T> } {
  // The worker runs the calling TypeScript script: it registers tsx's loader first.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`;
  const w = new Worker(bootstrap, { eval: true, workerData: job });
  const first = new Promise<T>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return { worker: w, first };
}

/** Starts the fakes; Pebblebot's outgoing https calls (the Bot Framework login) trust them. */
export async function startFakes(script: string, socketUrl?: string) {
  const { worker: w, first } = worker<Fakes>(script, {
    role: 'fakes',
    ...(socketUrl ? { socketUrl } : {}),
  });
  const fakesReady = await first;
  // Only the fake is ever called over https here: trusting its certificate alone keeps each
  // new TLS context from parsing every root certificate again.
  https.globalAgent.options.ca = [fakesReady.cert];
  return {
    ...fakesReady,
    calls: async () => {
      w.postMessage('calls');
      return (await new Promise<{ calls: number }>((resolve) => w.once('message', resolve))).calls;
    },
    stop: () => w.postMessage('stop'),
  };
}

export async function steadyLoad(
  script: string,
  scenario: Scenario,
  rate: number,
  seconds: number,
  offset: number,
  only?: Kind[],
): Promise<LoadResult> {
  const { worker: w, first } = worker<LoadResult>(script, {
    role: 'steady',
    scenario,
    rate,
    seconds,
    offset,
    ...(only?.length ? { only } : {}),
  });
  const result = await first;
  await w.terminate();
  return result;
}

export async function burstLoad(script: string, requests: Prepared[]): Promise<LoadResult> {
  const { worker: w, first } = worker<LoadResult>(script, { role: 'burst', requests });
  const result = await first;
  await w.terminate();
  return result;
}

// ------------------------------------------------------------------ systems under test

export interface System {
  slackUrl: string;
  teamsUrl: string;
  stop(): Promise<void>;
}

/**
 * The baselines: a bare Bolt app (same HTTPReceiver, listeners that only acknowledge) and a
 * bare botbuilder CloudAdapter (same Bot Framework authentication, a bot that only answers what
 * the protocol requires: an invoke response), both in this process.
 */
export async function startBare(fakes: Fakes): Promise<System> {
  const receiver = new HTTPReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR });
  const app = new App({
    receiver,
    authorize: () =>
      Promise.resolve({ botToken: 'xoxb-bench', botId: 'B0BENCH', botUserId: BOT_USER }),
    logLevel: LogLevel.ERROR,
  });
  app.command('/pebble', async ({ ack }) => ack());
  app.action(/./, async ({ ack }) => ack());
  app.event('app_home_opened', () => Promise.resolve());
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as http.Server;
  const slackPort = (server.address() as AddressInfo).port;

  const [{ CloudAdapter }, { createBotFrameworkAuthentication }] = await Promise.all([
    import('botbuilder'),
    import('../../src/teams/teams-auth.js'),
  ]);
  const adapter = new CloudAdapter(createBotFrameworkAuthentication(teamsConfig(fakes)));
  const teams = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const shim = {
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        headers: req.headers,
        method: req.method,
      };
      const reply = {
        socket: res.socket,
        status: (code: number) => (res.statusCode = code),
        header: (name: string, value: unknown) => res.setHeader(name, String(value)),
        send: (body?: unknown) => {
          if (body !== undefined) res.setHeader('content-type', 'application/json');
          res.end(body === undefined ? undefined : JSON.stringify(body));
        },
        end: () => res.end(),
      };
      void adapter.process(shim, reply, async (context: TurnContext) => {
        if (context.activity.type === 'invoke')
          await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body: {} } });
      });
    });
  });
  await new Promise<void>((resolve) => teams.listen(0, '127.0.0.1', resolve));
  const teamsPort = (teams.address() as AddressInfo).port;
  return {
    slackUrl: `http://127.0.0.1:${slackPort}/slack/events`,
    teamsUrl: `http://127.0.0.1:${teamsPort}/api/messages`,
    stop: async () => {
      await (app.stop() as Promise<void>);
      teams.closeAllConnections();
      await new Promise<void>((resolve) => teams.close(() => resolve()));
    },
  };
}

function teamsConfig(fakes: Fakes) {
  return {
    appId: APP_ID,
    appPassword: 'bench-client-secret',
    appType: 'MultiTenant' as const,
    allowUnauthenticated: false,
    openIdMetadataUrl: fakes.openIdUrl,
    tokenIssuer: ISSUER,
    loginUrl: fakes.loginUrl,
    oauthScope: 'https://api.botframework.com',
  };
}

export interface Pebblebot extends System {
  services: Services;
  slackWorkspace: Workspace;
  vote: number;
  pebbles: number;
  /** Pebbles stored in both workspaces. */
  pebbleCount(): Promise<number>;
}

/**
 * Pebblebot through its composition root (`startApp` + `createChannels`), Slack over HTTP and
 * Teams, on the embedded store in a fresh folder (or MongoDB when `mongoUri` is given): a
 * triage channel, a council of COUNCIL_SIZE with one open vote, and `pebbles` pebbles in each
 * workspace for the +1s to name.
 */
export async function startPebblebot(
  fakes: Fakes,
  options: { pebbles?: number; councilSize?: number; socketMode?: boolean; mongoUri?: string } = {},
): Promise<Pebblebot> {
  const [{ startApp }, { createChannels }, { loadConfig }] = await Promise.all([
    import('../../src/app.js'),
    import('../../src/channels.js'),
    import('../../src/config.js'),
  ]);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pebblebot-load-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    ...(options.socketMode ? { SLACK_APP_TOKEN: 'xapp-1-bench' } : {}),
    SLACK_API_URL: fakes.apiUrl,
    MICROSOFT_APP_ID: APP_ID,
    MICROSOFT_APP_PASSWORD: 'bench-client-secret',
    BOTFRAMEWORK_OPENID_METADATA_URL: fakes.openIdUrl,
    BOTFRAMEWORK_TOKEN_ISSUER: ISSUER,
    BOTFRAMEWORK_LOGIN_URL: fakes.loginUrl,
    BALLOT_SECRET: 'bench-ballot-secret-of-at-least-32-chars',
    LOG_LEVEL: 'warn',
    ...(options.mongoUri
      ? { MONGODB_URI: options.mongoUri, MONGODB_DB: `pebblebot_load_${randomUUID().slice(0, 8)}` }
      : {}),
  });
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const app = await startApp(config, {
    logger,
    channels: (services) => createChannels(config, services, logger),
  });
  const { services } = app;
  const admin = { userId: 'U0ADMIN', platformAdmin: true };
  let slack = await services.workspaces.ensure('slack', TEAM);
  slack = await services.workspaces.updateSettings(slack, admin, { triageChannel: 'C0TRIAGE' });
  ({ workspace: slack } = await services.council.configure(slack, admin, {
    members: Array.from({ length: options.councilSize ?? COUNCIL_SIZE }, (_, i) => ({
      userId: memberId(i),
      name: `member ${i}`,
      function: ['Product', 'Support', 'Sales', 'Engineering'][i % 4]!,
    })),
    channel: COUNCIL,
  }));
  const teams = await services.workspaces.ensure('teams', TENANT);
  const pebbles = options.pebbles ?? 20;
  for (let i = 0; i < pebbles; i++) {
    for (const ws of [slack, teams])
      await services.pebbles.report(
        ws,
        { userId: `U0SEED${i}`, name: 'seed' },
        { text: friction(i), severity: 2, journey: 'customer', stage: 'buy' },
        { kind: 'slash' },
      );
  }
  // With no pebble there is nothing to vote on (the Socket Mode benchmark needs none).
  const vote = pebbles > 0 ? (await services.council.propose(slack, admin, [1])).vote : undefined;
  return {
    services,
    slackWorkspace: slack,
    vote: vote?.number ?? 0,
    pebbles,
    slackUrl: `http://127.0.0.1:${app.http!.port}/slack/events`,
    teamsUrl: `http://127.0.0.1:${app.http!.port}/api/messages`,
    pebbleCount: async () =>
      (await services.pebbles.list(slack, {}, { limit: 1 })).total +
      (await services.pebbles.list(teams, {}, { limit: 1 })).total,
    stop: async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function scenarioOf(
  system: Pick<System, 'slackUrl' | 'teamsUrl'>,
  fakes: Fakes,
  bot: Pebblebot,
): Scenario {
  return {
    slackUrl: system.slackUrl,
    teamsUrl: system.teamsUrl,
    responseUrl: fakes.responseUrl,
    serviceUrl: fakes.serviceUrl,
    teamsToken: fakes.teamsToken,
    pebbles: bot.pebbles,
    vote: bot.vote,
  };
}
