/**
 * Council ballots under load: 1,000 council members click a ballot button on one vote at the
 * same time, as signed Slack block_actions to Pebblebot's real HTTP endpoint (after one of them
 * clicked 50 times at once). Prints ballots/s, acknowledgement latency (p50/p99/max) and the final
 * tally, which must count each member exactly once (1,000), for the embedded store and, when
 * MONGODB_URI is set, for MongoDB. Web API calls and response_urls go to a loopback fake
 * (SLACK_API_URL).
 *
 *   npm run bench:votes -- [--members 1000] [--clicks 50]
 *
 * The system under test runs on the main thread; the load generator and the fake Slack API
 * each run on their own worker thread, so neither steals the measured event loop.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { MongoClient } from 'mongodb';
import pino from 'pino';

const SECRET = 'bench-signing-secret';
const TEAM = 'T0BENCH';
const BOT_USER = 'U0BENCHBOT';
const COUNCIL = 'C0COUNCIL';
const OPTIONS = ['fix-now', 'next-cycle', 'not-now', 'need-info'] as const;

type Job =
  | { role: 'fake-api' }
  | { role: 'load'; url: string; clicks: { user: string; value: string }[]; responseUrl: string };

interface LoadResult {
  latencies: number[];
  errors: number;
  statuses: Record<string, number>;
  ms: number;
}

const memberId = (i: number) => `U${String(i).padStart(7, '0')}`;

/** A signed block_actions payload: a ballot button on the vote message in the council channel. */
function ballotRequest(
  i: number,
  click: { user: string; value: string },
  responseUrl: string,
): { body: string; headers: Record<string, string> } {
  const ts = Math.floor(Date.now() / 1000);
  const payload = {
    type: 'block_actions',
    user: { id: click.user, username: click.user.toLowerCase(), name: click.user, team_id: TEAM },
    api_app_id: 'A0BENCH',
    token: 'legacy',
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: COUNCIL },
    trigger_id: `${i}.${randomUUID()}`,
    team: { id: TEAM, domain: 'bench' },
    channel: { id: COUNCIL, name: 'cx-council' },
    message: { type: 'message', ts: '1700000000.000100', text: 'Council vote V-1' },
    response_url: `${responseUrl}/${i}`,
    actions: [
      {
        type: 'button',
        action_id: 'council.ballot',
        block_id: 'b1',
        text: { type: 'plain_text', text: 'vote' },
        value: click.value,
        action_ts: `${ts}.${String(i).padStart(6, '0')}`,
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
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
  const calls: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
      const key = method.startsWith('/respond') ? 'response_url' : method;
      calls[key] = (calls[key] ?? 0) + 1;
      const body =
        method === 'auth.test'
          ? { ok: true, user_id: BOT_USER, bot_id: 'B0BENCH', team_id: TEAM }
          : method === 'chat.postMessage'
            ? { ok: true, channel: COUNCIL, ts: `${(Date.now() / 1000).toFixed(6)}` }
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

/** Worker: sends every click at once and times each acknowledgement. */
async function load(job: Extract<Job, { role: 'load' }>): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.clicks.length });
  const target = new URL(job.url);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const requests = job.clicks.map((click, i) => ballotRequest(i, click, job.responseUrl));
  const started = performance.now();
  await Promise.all(
    requests.map(
      ({ body, headers }) =>
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
          req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
          req.end(body);
        }),
    ),
  );
  agent.destroy();
  const result: LoadResult = { latencies, errors, statuses, ms: performance.now() - started };
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
  clicks: { user: string; value: string }[],
  responseUrl: string,
) {
  const { worker: w, first } = worker<LoadResult>({ role: 'load', url, clicks, responseUrl });
  const result = await first;
  await w.terminate();
  return result;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** The baseline: a bare Bolt app on the same receiver that only acknowledges the button. */
async function bareBolt(): Promise<{ url: string; stop: () => Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR });
  const app = new App({
    receiver,
    authorize: () =>
      Promise.resolve({ botToken: 'xoxb-bench', botId: 'B0BENCH', botUserId: BOT_USER }),
    logLevel: LogLevel.ERROR,
  });
  app.action('council.ballot', async ({ ack }) => {
    await ack();
  });
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as http.Server;
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/slack/events`, stop: () => app.stop() as Promise<void> };
}

/** Pebblebot through its composition root, a council of `members`, and one open vote. */
async function pebblebot(apiUrl: string, mongoUri: string | undefined, members: number) {
  const [{ startApp }, { createChannels }, { loadConfig }] = await Promise.all([
    import('../../src/app.js'),
    import('../../src/channels.js'),
    import('../../src/config.js'),
  ]);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pebblebot-bench-votes-'));
  const dbName = `pebblebot_bench_votes_${randomUUID().slice(0, 8)}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_API_URL: apiUrl,
    BALLOT_SECRET: 'bench-ballot-secret-of-at-least-32-chars',
    ...(mongoUri ? { MONGODB_URI: mongoUri, MONGODB_DB: dbName } : {}),
  });
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const app = await startApp(config, {
    logger,
    channels: (services) => createChannels(config, services, logger),
  });
  const { services } = app;
  const admin = { userId: 'U0ADMIN', platformAdmin: true };
  let ws = await services.workspaces.ensure('slack', TEAM);
  ({ workspace: ws } = await services.council.configure(ws, admin, {
    members: Array.from({ length: members }, (_, i) => ({
      userId: memberId(i),
      name: `member ${i}`,
      function: ['Product', 'Support', 'Sales', 'Engineering'][i % 4]!,
    })),
    channel: COUNCIL,
  }));
  const { pebble } = await services.pebbles.report(
    ws,
    { userId: 'U0REPORTER', name: 'reporter' },
    { text: 'Checkout asks for the address twice', severity: 3, journey: 'customer', stage: 'buy' },
    { kind: 'slash' },
  );
  const { vote } = await services.council.propose(ws, admin, [pebble.number]);
  const server = (services.store as { server?: { product: string; version: string } }).server;
  return {
    url: `http://127.0.0.1:${app.http!.port}/slack/events`,
    label: server ? `MongoDB (${server.product} ${server.version})` : 'embedded store',
    vote,
    counts: () => services.store.ballots.counts(vote.id),
    closed: () => services.council.getVote(ws, vote.number),
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

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string', default: '1000' },
      clicks: { type: 'string', default: '50' },
    },
  });
  const members = Number(values.members);
  const repeats = Number(values.clicks);
  const mongoUri = process.env.MONGODB_URI;

  const api = worker<{ port: number }>({ role: 'fake-api' });
  const apiPort = (await api.first).port;
  const apiUrl = `http://127.0.0.1:${apiPort}/api/`;
  const responseUrl = `http://127.0.0.1:${apiPort}/respond`;

  const stores: { label: string; uri?: string }[] = [{ label: 'embedded store' }];
  if (mongoUri) stores.push({ label: 'MongoDB', uri: mongoUri });
  else console.log('(MONGODB_URI is not set: the MongoDB run is skipped)');

  console.log(
    `Council ballots: ${members} members click at once on one vote (signed block_actions over ` +
      `HTTP, 127.0.0.1), after one member clicked ${repeats} times at once; ${os.cpus().length} CPUs, Node ${process.version}`,
  );
  const bare = await bareBolt();
  const baseline = await runLoad(
    bare.url,
    Array.from({ length: members }, (_, i) => ({ user: memberId(i), value: '1:fix-now' })),
    responseUrl,
  );
  await bare.stop();
  const bareSorted = [...baseline.latencies].sort((a, b) => a - b);
  console.log(
    `\nbare Bolt (same receiver, ack only, same ${members}-click burst)\n  ack latency:         p50 ${fmt(percentile(bareSorted, 50))}, p99 ${fmt(percentile(bareSorted, 99))}, max ${fmt(bareSorted.at(-1) ?? Number.NaN)}`,
  );
  let failed = false;
  for (const store of stores) {
    const system = await pebblebot(apiUrl, store.uri, members);
    // One member, many times at once: one ballot.
    const same = Array.from({ length: repeats }, (_, i) => ({
      user: memberId(0),
      value: `${system.vote.number}:${OPTIONS[i % OPTIONS.length]}`,
    }));
    const repeated = await runLoad(system.url, same, responseUrl);
    let counts = await system.counts();
    const deadlineRepeat = performance.now() + 10_000;
    while (total(counts) < 1 && performance.now() < deadlineRepeat) {
      await new Promise((r) => setTimeout(r, 20));
      counts = await system.counts();
    }
    await new Promise((r) => setTimeout(r, 200));
    const afterRepeats = total(await system.counts());
    // Then every member at once (the first one changing their ballot).
    const clicks = Array.from({ length: members }, (_, i) => ({
      user: memberId(i),
      value: `${system.vote.number}:${OPTIONS[i % OPTIONS.length]}`,
    }));
    const started = performance.now();
    const burst = await runLoad(system.url, clicks, responseUrl);
    counts = await system.counts();
    while (total(counts) < members && performance.now() - started < 120_000) {
      await new Promise((r) => setTimeout(r, 20));
      counts = await system.counts();
    }
    const seconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 300));
    const after = await system.counts();
    // Every member voted: the vote closes by itself within two refresh slots (≤ 4 s).
    let vote = await system.closed();
    const waitClose = performance.now();
    while (vote.status === 'open' && performance.now() - waitClose < 15_000) {
      await new Promise((r) => setTimeout(r, 100));
      vote = await system.closed();
    }
    const sorted = [...burst.latencies].sort((a, b) => a - b);
    const non200 =
      burst.errors +
      Object.entries(burst.statuses)
        .filter(([s]) => s !== '200')
        .reduce((n, [, c]) => n + c, 0);
    const counted = total(after);
    const ok = counted === members && afterRepeats === 1 && non200 === 0;
    failed ||= !ok;
    console.log(`\n${system.label}`);
    console.log(
      `  ballots/s:           ${(members / seconds).toFixed(0)} (${members} ballots stored ${seconds.toFixed(2)} s after the first click)`,
    );
    console.log(
      `  ack latency:         p50 ${fmt(percentile(sorted, 50))}, p99 ${fmt(percentile(sorted, 99))} (${(percentile(sorted, 99) / percentile(bareSorted, 99)).toFixed(2)}x bare Bolt), max ${fmt(sorted.at(-1) ?? Number.NaN)} (${burst.latencies.length} acks, ${non200} not 200)`,
    );
    console.log(
      `  ${repeats} clicks, 1 member: ${afterRepeats} ballot (acks p99 ${fmt(
        percentile(
          [...repeated.latencies].sort((a, b) => a - b),
          99,
        ),
      )})`,
    );
    console.log(
      `  final tally:         ${JSON.stringify(after)} = ${counted} (must be ${members}): ${ok ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      `  vote:                ${vote.status}${vote.closedBy ? ` (${vote.closedBy})` : ''}, result cast ${vote.result?.cast ?? '-'} + recused ${vote.result?.recused ?? '-'}, outcome ${vote.result?.outcome ?? '-'}`,
    );
    await system.stop();
  }
  api.worker.postMessage('calls');
  const { calls } = await new Promise<{ calls: Record<string, number> }>((resolve) =>
    api.worker.once('message', resolve),
  );
  console.log(`\nfake Slack API: ${JSON.stringify(calls)}`);
  api.worker.postMessage('stop');
  if (failed) process.exitCode = 1;
}

if (isMainThread) {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
