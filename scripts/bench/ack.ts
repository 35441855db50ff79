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
 * each run on their own worker thread (kit.ts), so neither steals the measured event loop.
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Services } from '../../src/services.js';
import { slackScenario, startSlackBot } from './compare.js';
import {
  BOT_USER,
  ms,
  percentile,
  runWorkerRole,
  startBare,
  startFakes,
  steadyLoad,
  summary,
  TEAM,
  type Fakes,
} from './kit.js';

const SCRIPT = import.meta.url;

/** `count` signed `/pebble` reports at `rate` per second (open loop), each ack timed. */
async function runLoad(url: string, count: number, rate: number, fakes: Fakes) {
  const result = await steadyLoad(SCRIPT, slackScenario(fakes, url), rate, count / rate, 0, [
    'report',
  ]);
  return { latencies: result.byKind.report ?? [], failures: result.failures.report ?? 0 };
}

const withP95 = (latencies: number[]) => ({
  ...summary(latencies),
  p95: percentile(
    [...latencies].sort((a, b) => a - b),
    95,
  ),
});

const BENCH_KEY = 'be'.repeat(32);

async function pebblebot(apiUrl: string, mongoUri: string | undefined, oauth = false) {
  const { app, url, stop } = await startSlackBot(apiUrl, {
    name: 'bench',
    mongoUri,
    env: oauth
      ? {
          SLACK_CLIENT_ID: '1.2',
          SLACK_CLIENT_SECRET: 'bench-client-secret',
          SLACK_STATE_SECRET: 'bench-state-secret',
          PEBBLEBOT_ENCRYPTION_KEY: BENCH_KEY,
        }
      : { SLACK_BOT_TOKEN: 'xoxb-bench' },
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
    url,
    count: async () => (await app.services.pebbles.list(ws, {}, { limit: 1 })).total,
    stop,
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

const fmt = (value: number) => ms(value).padStart(9);

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

  const fakes = await startFakes(SCRIPT);
  const { apiUrl } = fakes;

  const targets: {
    label: string;
    start: () => Promise<{ url: string; stop: () => Promise<void>; count?: () => Promise<number> }>;
  }[] = [
    {
      label: 'bare Bolt (HTTPReceiver, ack only)',
      start: async () => {
        const bare = await startBare(fakes);
        return { url: bare.slackUrl, stop: () => bare.stop() };
      },
    },
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
    await runLoad(t.system.url, warmup, rate, fakes);
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
      const result = await runLoad(t.system.url, perRound, rate, fakes);
      delay.disable();
      latencies.get(t.label)!.push(...result.latencies);
      failures.set(t.label, failures.get(t.label)! + result.failures);
      await drain(t, warmup + perRound * (round + 1));
    }
  }
  const expected = warmup + perRound * rounds;

  console.log(
    `\n${'target'.padEnd(36)}${'p50'.padStart(9)}${'p95'.padStart(9)}${'p99'.padStart(9)}${'max'.padStart(9)}  non-200  loop delay p99`,
  );
  const bare = withP95(latencies.get(targets[0]!.label)!);
  const rows: { label: string; p99: number; p50: number }[] = [];
  for (const t of running) {
    const s = withP95(latencies.get(t.label)!);
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
  const calls = await fakes.calls();
  console.log(`fake Slack API answered ${calls} Web API calls and response_url posts`);
  for (const t of running) await t.system.stop();
  fakes.stop();
}

if (!runWorkerRole()) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
