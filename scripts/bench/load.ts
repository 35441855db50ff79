/**
 * Acknowledgement latency under steady mixed traffic: reports (/pebble), +1s and ballots
 * (signed block_actions), App Home opens (signed events), Teams messages and Adaptive Card
 * invokes (Bot Framework activities with a signed token), at a fixed rate on 127.0.0.1, against
 * Pebblebot's real server and, in the same run, a bare Bolt app and a bare botbuilder
 * CloudAdapter. The targets take turns (rounds), so both meet the same machine; the ratio of
 * their p99s is the figure to read on a shared machine. Prints RSS at the start and the end.
 *
 *   npm run bench:load -- [--rate 100] [--seconds 60] [--rounds 6] [--warmup 5] [--only report,home] [--slow]
 *
 * --seconds is the measured time per target (120 s in all with the defaults). --only sends just
 * the kinds named; --slow prints, per round, when the requests slower than 250 ms were sent.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  commandLine,
  KINDS,
  loadAverage,
  machine,
  mb,
  ms,
  parseKinds,
  runWorkerRole,
  scenarioOf,
  startBare,
  startFakes,
  startPebblebot,
  steadyLoad,
  summary,
  type Kind,
  type LoadResult,
} from './kit.js';

const SCRIPT = import.meta.url;
/**
 * DESIGN.md's bar for the acknowledgement: p99 well under Slack's 3 s deadline, read here as a
 * tenth of it. The ratio to the bare apps is printed beside it (issue 16 asks for it); 1.5x is
 * the goal of the vote burst, where nothing but the ballot runs before the ack.
 */
const P99_GOAL_MS = 300;
const SLACK_KINDS: Kind[] = ['report', 'plusOne', 'ballot', 'home'];
const TEAMS_KINDS: Kind[] = ['teamsMessage', 'teamsInvoke'];

function merge(into: LoadResult, from: LoadResult): void {
  for (const kind of KINDS) {
    if (from.byKind[kind]) (into.byKind[kind] ??= []).push(...from.byKind[kind]);
    if (from.failures[kind]) into.failures[kind] = (into.failures[kind] ?? 0) + from.failures[kind];
  }
  into.sent += from.sent;
}

const pick = (r: LoadResult, kinds: Kind[]) => kinds.flatMap((k) => r.byKind[k] ?? []);
const failed = (r: LoadResult, kinds: Kind[]) =>
  kinds.reduce((n, k) => n + (r.failures[k] ?? 0), 0);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '60' },
      rounds: { type: 'string', default: '6' },
      warmup: { type: 'string', default: '5' },
      only: { type: 'string' },
      slow: { type: 'boolean', default: false },
    },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const rounds = Math.max(1, Number(values.rounds));
  const warmup = Number(values.warmup);
  const perRound = seconds / rounds;
  const only = parseKinds(values.only);

  console.log(`$ ${commandLine('bench:load')}`);
  console.log(`machine: ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${loadAverage()}`);
  if (!global.gc)
    console.log('(run through npm run bench:load for --expose-gc: memory is read without a GC)');
  const fakes = await startFakes(SCRIPT);
  const bare = await startBare(fakes);
  const bot = await startPebblebot(fakes);
  const targets = [
    { label: 'bare (Bolt + CloudAdapter)', system: bare },
    { label: 'Pebblebot, embedded store', system: bot },
  ];
  console.log(
    `${rate} requests/s of ${only ? only.join(', ') : `mixed traffic (${KINDS.join(', ')})`}, ${seconds} s per target in ` +
      `${rounds} alternating rounds, after ${warmup} s of warm-up each`,
  );

  let offset = 0;
  const expectedPebbles = { count: await bot.pebbleCount() };
  const countReports = (r: LoadResult) =>
    (r.byKind.report?.length ?? 0) + (r.byKind.teamsMessage?.length ?? 0);
  for (const t of targets) {
    const r = await steadyLoad(
      SCRIPT,
      scenarioOf(t.system, fakes, bot),
      rate,
      warmup,
      offset,
      only,
    );
    offset += r.sent;
    if (t.system === bot) expectedPebbles.count += countReports(r);
  }
  global.gc?.();
  const rssStart = process.memoryUsage().rss;
  const heapStart = process.memoryUsage().heapUsed;

  const results = targets.map((): LoadResult => ({
    byKind: {},
    failures: {},
    statuses: {},
    sent: 0,
    ms: 0,
  }));
  const loopDelay = targets.map(() => monitorEventLoopDelay({ resolution: 1 }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, t] of targets.entries()) {
      loopDelay[i]!.enable();
      const r = await steadyLoad(
        SCRIPT,
        scenarioOf(t.system, fakes, bot),
        rate,
        perRound,
        offset,
        only,
      );
      loopDelay[i]!.disable();
      offset += r.sent;
      merge(results[i]!, r);
      if (t.system === bot) expectedPebbles.count += countReports(r);
      if (values.slow && r.slow?.length) {
        const bySecond = new Map<number, number>();
        for (const [, at] of r.slow)
          bySecond.set(Math.floor(at / 1000), (bySecond.get(Math.floor(at / 1000)) ?? 0) + 1);
        console.log(
          `    ${t.label}: ${r.slow.length} slower than 250 ms, by second of the round: ${[...bySecond].map(([sec, n]) => `${sec}s ${n}`).join(', ')}; slowest ${Math.max(...r.slow.map((x) => x[2]))} ms`,
        );
      }
    }
    process.stdout.write(`  round ${round + 1}/${rounds} done (load average ${loadAverage()})\n`);
  }
  // Reports are stored before their ack, but give the work after the acks a moment to end.
  await new Promise((r) => setTimeout(r, 2_000));
  global.gc?.();
  const rssEnd = process.memoryUsage().rss;
  const heapEnd = process.memoryUsage().heapUsed;
  const stored = await bot.pebbleCount();

  console.log(
    `\n${'kind'.padEnd(14)}${'bare p50'.padStart(11)}${'bare p99'.padStart(11)}${'Pebblebot p50'.padStart(15)}${'p99'.padStart(11)}  p99 ratio  requests  failed`,
  );
  for (const kind of KINDS) {
    const b = summary(results[0]!.byKind[kind] ?? []);
    const p = summary(results[1]!.byKind[kind] ?? []);
    console.log(
      `${kind.padEnd(14)}${ms(b.p50).padStart(11)}${ms(b.p99).padStart(11)}${ms(p.p50).padStart(15)}${ms(p.p99).padStart(11)}  ${(p.p99 / b.p99).toFixed(2).padStart(8)}x  ${String(p.n).padStart(8)}  ${String(results[1]!.failures[kind] ?? 0).padStart(6)}`,
    );
  }
  console.log('');
  let ok = true;
  for (const [name, kinds] of [
    ['Slack (Bolt HTTPReceiver)', SLACK_KINDS],
    ['Teams (CloudAdapter)', TEAMS_KINDS],
  ] as const) {
    const b = summary(pick(results[0]!, kinds));
    const p = summary(pick(results[1]!, kinds));
    const ratio = p.p99 / b.p99;
    const fails = failed(results[1]!, kinds) + failed(results[0]!, kinds);
    ok &&= fails === 0;
    console.log(
      `${name}: bare p50 ${ms(b.p50)} p99 ${ms(b.p99)}; Pebblebot p50 ${ms(p.p50)} p99 ${ms(p.p99)} ` +
        `(goal <= ${ms(P99_GOAL_MS)}, well under Slack's 3 s: ${p.p99 <= P99_GOAL_MS ? 'met' : 'not met'}); ` +
        `p99 ratio ${ratio.toFixed(2)}x (recorded; work after the ack shares the thread); ${fails} failed`,
    );
  }
  console.log(
    `event-loop delay p99 while each served: bare ${ms(loopDelay[0]!.percentile(99) / 1e6)}, ` +
      `Pebblebot ${ms(loopDelay[1]!.percentile(99) / 1e6)}`,
  );
  const growth = (rssEnd - rssStart) / rssStart;
  console.log(
    `RSS of the process after warm-up ${mb(rssStart)}, at the end ${mb(rssEnd)}: ` +
      `${(growth * 100).toFixed(1)}% (goal < 20%: ${growth < 0.2 ? 'met' : 'not met'}); ` +
      `main heap ${mb(heapStart)} -> ${mb(heapEnd)}`,
  );
  console.log(
    `pebbles stored: ${stored} of ${expectedPebbles.count} reported (Slack and Teams together)`,
  );
  console.log(`fake platform answered ${await fakes.calls()} calls`);
  console.log(`load average at the end (1/5/15 min): ${loadAverage()}`);
  if (stored !== expectedPebbles.count) ok = false;
  await bare.stop();
  await bot.stop();
  fakes.stop();
  process.exitCode = ok ? 0 : 1;
}

if (!runWorkerRole()) {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
