/**
 * Slack acknowledgement latency: signed `/pebble <text>` requests at a fixed rate on loopback,
 * against (a) a bare Bolt app that only acknowledges and (b) Pebblebot's real Slack channel
 * (same HTTPReceiver, same run), with the embedded store and, when MONGODB_URI is set, with
 * MongoDB. Web API calls and response_urls go to a loopback fake (SLACK_API_URL). Pebblebot also
 * runs in OAuth mode (many workspaces: the token of each request comes from the installation
 * store, sealed at rest, cached in memory), to measure what the installation look-up adds.
 *
 *   npx tsx scripts/bench/ack.ts [--requests 1000] [--rate 100] [--rounds 10] [--warmup 200]
 *
 * The systems under test run on the main thread; the load generator and the fake Slack API
 * each run on their own worker thread, so neither steals the measured event loop.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import type { Services } from '../../src/services.js';

const SECRET = 'bench-signing-secret';
const TEAM = 'T0BENCH';
const BOT_USER = 'U0BENCHBOT';
const PATHS = ['checkout', 'onboarding', 'invoice', 'VPN', 'badge reader', 'expense tool', 'wiki'];
const PROBLEMS = [
  'times out',
  'asks twice for the address',
  'loses the attachment',
  'is blank on mobile',
  'needs three approvals',
];

type Job =
  | { role: 'fake-api' }
  | { role: 'load'; url: string; count: number; rate: number; responseUrl: string; label: string };

interface LoadResult {
  latencies: number[];
  errors: number;
  statuses: Record<string, number>;
}

/** A signed slash command, shaped like Slack's (see tests/fixtures/slack/payloads). */
function commandRequest(
  i: number,
  responseUrl: string,
): { body: string; headers: Record<string, string> } {
  const text = `The ${PATHS[i % PATHS.length]} ${PROBLEMS[i % PROBLEMS.length]} (case ${i})\nSeen by a customer on ${(i % 28) + 1} March.`;
  const body = new URLSearchParams({
    token: 'legacy',
    team_id: TEAM,
    team_domain: 'bench',
    channel_id: 'C0BENCH',
    channel_name: 'general',
    user_id: `U0USER${i % 40}`,
    user_name: `user${i % 40}`,
    command: '/pebble',
    text,
    api_app_id: 'A0BENCH',
    is_enterprise_install: 'false',
    response_url: `${responseUrl}/${i}`,
    trigger_id: `${i}.${randomUUID()}`,
  }).toString();
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signature,
    },
  };
}

/** Worker: a loopback Slack Web API (and response_url endpoint) that answers at once. */
function fakeApi(): void {
  let calls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
      const body =
        method === 'auth.test'
          ? { ok: true, user_id: BOT_USER, bot_id: 'B0BENCH', team_id: TEAM }
          : method === 'chat.postMessage'
            ? { ok: true, channel: 'C0TRIAGE', ts: `${Date.now() / 1000}` }
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
  server.listen(0, '127.0.0.1', () => {
    parentPort!.postMessage({ port: (server.address() as AddressInfo).port });
  });
  parentPort!.on('message', (message: string) => {
    if (message === 'calls') parentPort!.postMessage({ calls });
    if (message === 'stop') server.close(() => process.exit(0));
  });
}

/** Worker: sends `count` requests at `rate` per second (open loop) and times each acknowledgement. */
async function load(job: Extract<Job, { role: 'load' }>): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(job.url);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const interval = 1000 / job.rate;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < job.count; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const { body, headers } = commandRequest(i, job.responseUrl);
    inFlight.push(
      new Promise<void>((resolve) => {
        const sent = performance.now();
        const req = http.request(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            headers,
            agent,
          },
          (res) => {
            latencies.push(performance.now() - sent);
            statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
            res.resume();
            res.on('end', () => resolve());
          },
        );
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
        req.end(body);
      }),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  const result: LoadResult = { latencies, errors, statuses };
  parentPort!.postMessage(result);
}

if (!isMainThread) {
  const job = workerData as Job;
  if (job.role === 'fake-api') fakeApi();
  else void load(job);
}

// ---------------------------------------------------------------- main thread

function worker<T>(job: Job): { worker: Worker; first: Promise<T> } {
  // The worker runs this same TypeScript file: it registers tsx's loader first.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const w = new Worker(bootstrap, { eval: true, workerData: job });
  const first = new Promise<T>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return { worker: w, first };
}

async function runLoad(
  url: string,
  count: number,
  rate: number,
  responseUrl: string,
  label: string,
) {
  const { worker: w, first } = worker<LoadResult>({
    role: 'load',
    url,
    count,
    rate,
    responseUrl,
    label,
  });
  const result = await first;
  await w.terminate();
  return result;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

async function bareBolt(): Promise<{ url: string; stop: () => Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR });
  const app = new App({
    receiver,
    authorize: () =>
      Promise.resolve({ botToken: 'xoxb-bench', botId: 'B0BENCH', botUserId: BOT_USER }),
    logLevel: LogLevel.ERROR,
  });
  app.command('/pebble', async ({ ack }) => {
    await ack();
  });
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as http.Server;
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/slack/events`, stop: () => app.stop() as Promise<void> };
}

const BENCH_KEY = 'be'.repeat(32);

async function pebblebot(apiUrl: string, mongoUri: string | undefined, oauth = false) {
  const [{ startApp }, { createChannels }, { loadConfig }] = await Promise.all([
    import('../../src/app.js'),
    import('../../src/channels.js'),
    import('../../src/config.js'),
  ]);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pebblebot-bench-'));
  const dbName = `pebblebot_bench_${randomUUID().slice(0, 8)}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SLACK_SIGNING_SECRET: SECRET,
    ...(oauth
      ? {
          SLACK_CLIENT_ID: '1.2',
          SLACK_CLIENT_SECRET: 'bench-client-secret',
          SLACK_STATE_SECRET: 'bench-state-secret',
          PEBBLEBOT_ENCRYPTION_KEY: BENCH_KEY,
        }
      : { SLACK_BOT_TOKEN: 'xoxb-bench' }),
    SLACK_API_URL: apiUrl,
    ...(mongoUri ? { MONGODB_URI: mongoUri, MONGODB_DB: dbName } : {}),
  });
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const app = await startApp(config, {
    logger,
    channels: (services) => createChannels(config, services, logger),
  });
  if (oauth) await installBench(app.services);
  // Every report also goes to a triage channel: the full path of a real workspace.
  const ws = await app.services.workspaces.ensure('slack', TEAM);
  await app.services.workspaces.updateSettings(
    ws,
    { userId: 'U0ADMIN', platformAdmin: true },
    { triageChannel: 'C0TRIAGE' },
  );
  return {
    url: `http://127.0.0.1:${app.http!.port}/slack/events`,
    count: async () => (await app.services.pebbles.list(ws, {}, { limit: 1 })).total,
    stop: async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (mongoUri) {
        const client = new MongoClient(mongoUri);
        await client
          .db(dbName)
          .dropDatabase()
          .finally(() => client.close());
      }
    },
  };
}

/** The bench workspace's installation, stored the way /slack/oauth_redirect stores one. */
async function installBench(services: Services) {
  const installations = await benchInstallations(services);
  await installations.storeInstallation({
    team: { id: TEAM, name: 'Bench' },
    enterprise: undefined,
    user: { id: 'U0ADMIN', token: undefined, scopes: undefined },
    bot: { token: 'xoxb-bench', userId: BOT_USER, id: 'B0BENCH', scopes: ['commands'] },
    isEnterpriseInstall: false,
    authVersion: 'v2',
  });
  return installations;
}

async function benchInstallations(services: Services) {
  const [{ Installations }, { TokenCipher }] = await Promise.all([
    import('../../src/slack/oauth/installations.js'),
    import('../../src/slack/oauth/token-cipher.js'),
  ]);
  return new Installations(
    services.store,
    new TokenCipher(BENCH_KEY),
    services.clock,
    pino({ level: 'warn' }, pino.destination(2)),
  );
}

/**
 * The installation look-up on its own, as the acknowledgement path meets it: Bolt's authorize
 * for a request of an installed workspace, served from the cache (the first call of a
 * workspace, which reads the store and decrypts, is timed apart).
 */
async function authorizeMicrobench(calls = 20_000) {
  const [{ openEmbeddedStore }, { createServices }, { systemClock }] = await Promise.all([
    import('../../src/store/nedb/nedb.store.js'),
    import('../../src/services.js'),
    import('../../src/core/shared/clock.port.js'),
  ]);
  const store = await openEmbeddedStore();
  const services = createServices(store, systemClock);
  const installations = await installBench(services);
  const source = { teamId: TEAM, enterpriseId: undefined, isEnterpriseInstall: false as const };
  const cold = performance.now();
  await installations.authorize(source);
  const coldMs = performance.now() - cold;
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await installations.authorize(source);
    times.push(performance.now() - started);
  }
  await store.close();
  return { coldMs, ...summary(times) };
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`.padStart(9);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '100' },
      rounds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '200' },
    },
  });
  const requests = Number(values.requests);
  const rate = Number(values.rate);
  const rounds = Math.max(1, Number(values.rounds));
  const warmup = Number(values.warmup);
  const perRound = Math.ceil(requests / rounds);
  const mongoUri = process.env.MONGODB_URI;

  const api = worker<{ port: number }>({ role: 'fake-api' });
  const apiPort = (await api.first).port;
  const apiUrl = `http://127.0.0.1:${apiPort}/api/`;
  const responseUrl = `http://127.0.0.1:${apiPort}/respond`;

  const targets: {
    label: string;
    start: () => Promise<{ url: string; stop: () => Promise<void>; count?: () => Promise<number> }>;
  }[] = [
    { label: 'bare Bolt (HTTPReceiver, ack only)', start: bareBolt },
    { label: 'Pebblebot, embedded store', start: () => pebblebot(apiUrl, undefined) },
  ];
  targets.push({
    label: 'Pebblebot OAuth, embedded store',
    start: () => pebblebot(apiUrl, undefined, true),
  });
  if (mongoUri)
    targets.push({ label: 'Pebblebot, MongoDB', start: () => pebblebot(apiUrl, mongoUri) });

  console.log(
    `Slack ack latency: signed "/pebble <text>" at ${rate}/s, ${perRound * rounds} requests per target ` +
      `in ${rounds} interleaved rounds (+${warmup} warm-up), 127.0.0.1, ${os.cpus().length} CPUs, Node ${process.version}`,
  );
  type System = Awaited<ReturnType<(typeof targets)[number]['start']>>;
  const running: ((typeof targets)[number] & { system: System })[] = [];
  for (const target of targets) running.push({ ...target, system: await target.start() });

  // Each target's work after the acknowledgements (store, similar search, answers, triage
  // cards) goes on after its last request: the next round starts only once it is done (up to
  // 2 minutes), so no target is measured while another one's backlog still runs.
  const recorded = new Map<string, number>(running.map((t) => [t.label, 0]));
  const drainSeconds = new Map<string, number>(running.map((t) => [t.label, 0]));
  const drain = async (t: (typeof running)[number], sent: number) => {
    if (!t.system.count) return;
    const started = performance.now();
    let count = await t.system.count();
    while (count < sent && performance.now() - started < 120_000) {
      await new Promise((r) => setTimeout(r, 100));
      count = await t.system.count();
    }
    recorded.set(t.label, count);
    drainSeconds.set(
      t.label,
      Math.max(drainSeconds.get(t.label)!, (performance.now() - started) / 1000),
    );
  };
  for (const t of running) {
    await runLoad(t.system.url, warmup, rate, responseUrl, `${t.label} warm-up`);
    await drain(t, warmup);
  }

  const latencies = new Map<string, number[]>(running.map((t) => [t.label, []]));
  const failures = new Map<string, number>(running.map((t) => [t.label, 0]));
  // How long the main thread's event loop (where every target runs) was kept busy.
  const loopDelay = new Map(
    running.map((t) => [t.label, monitorEventLoopDelay({ resolution: 1 })]),
  );
  for (let round = 0; round < rounds; round++) {
    for (const t of running) {
      const delay = loopDelay.get(t.label)!;
      delay.enable();
      const result = await runLoad(t.system.url, perRound, rate, responseUrl, t.label);
      delay.disable();
      latencies.get(t.label)!.push(...result.latencies);
      const bad =
        result.errors +
        Object.entries(result.statuses)
          .filter(([s]) => s !== '200')
          .reduce((n, [, c]) => n + c, 0);
      failures.set(t.label, failures.get(t.label)! + bad);
      await drain(t, warmup + perRound * (round + 1));
    }
  }
  const expected = warmup + perRound * rounds;

  console.log(
    `\n${'target'.padEnd(36)}${'p50'.padStart(9)}${'p95'.padStart(9)}${'p99'.padStart(9)}${'max'.padStart(9)}  non-200  loop delay p99`,
  );
  const bare = summary(latencies.get(targets[0]!.label)!);
  const rows: { label: string; p99: number; p50: number }[] = [];
  for (const t of running) {
    const s = summary(latencies.get(t.label)!);
    rows.push({ label: t.label, p99: s.p99, p50: s.p50 });
    const loop = loopDelay.get(t.label)!.percentile(99) / 1e6;
    console.log(
      `${t.label.padEnd(36)}${fmt(s.p50)}${fmt(s.p95)}${fmt(s.p99)}${fmt(s.max)}  ${String(failures.get(t.label)).padStart(7)}  ${fmt(loop)}`,
    );
  }
  console.log('');
  for (const row of rows.slice(1)) {
    const ratio = row.p99 / bare.p99;
    const ok = ratio <= 1.5 && row.p99 < 100;
    console.log(
      `${row.label}: p99 ${ratio.toFixed(2)}x bare Bolt (goal <= 1.5x and < 100 ms): ${ok ? 'PASS' : 'FAIL'}`,
    );
  }
  const token = rows.find((r) => r.label === 'Pebblebot, embedded store');
  const oauth = rows.find((r) => r.label === 'Pebblebot OAuth, embedded store');
  if (token && oauth) {
    const overhead = oauth.p50 - token.p50;
    console.log(
      `OAuth installation look-up, end to end: p50 ${overhead >= 0 ? '+' : ''}${overhead.toFixed(2)} ms ` +
        `over token mode (goal < 1 ms): ${overhead < 1 ? 'PASS' : 'FAIL'}`,
    );
  }
  const micro = await authorizeMicrobench();
  console.log(
    `OAuth installation look-up alone (authorize, cached): p50 ${(micro.p50 * 1000).toFixed(1)} µs, ` +
      `p99 ${(micro.p99 * 1000).toFixed(1)} µs; first look-up of a workspace (store + decryption) ` +
      `${micro.coldMs.toFixed(2)} ms (goal p50 < 1 ms): ${micro.p50 < 1 ? 'PASS' : 'FAIL'}`,
  );
  for (const t of running) {
    if (!t.system.count) continue;
    console.log(
      `${t.label}: ${recorded.get(t.label)} of ${expected} pebbles recorded; its work after the acks ` +
        `finished at most ${drainSeconds.get(t.label)!.toFixed(1)} s after a round's last request`,
    );
  }
  api.worker.postMessage('calls');
  const { calls } = await new Promise<{ calls: number }>((resolve) =>
    api.worker.once('message', resolve),
  );
  console.log(`fake Slack API answered ${calls} Web API calls and response_url posts`);
  for (const t of running) await t.system.stop();
  api.worker.postMessage('stop');
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
