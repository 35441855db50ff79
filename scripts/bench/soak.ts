/**
 * Soak: steady mixed traffic (the mix of bench:load: reports, +1s, ballots, App Home opens,
 * Teams messages and invokes) against Pebblebot's real server for `--minutes`, with its own
 * scheduler running (outbox, vote refreshes) and the weekly digest job's work (the digest of the
 * busy workspace) run once a minute on top. Prints, each minute, the acknowledgement p50/p99,
 * the event-loop delay p99, RSS, heap and buffers (Node's memory outside the heap) after a full
 * GC, and at the end whether RSS or heap grow: a least-squares slope over the minutes after the
 * first.
 *
 *   npm run bench:soak -- [--minutes 10] [--rate 100] [--only plusOne,ballot,home,teamsInvoke]
 *
 * --only sends just the kinds named: without reports, nothing new is stored but the claims that
 * make deliveries happen once (an hour each) and the first +1s of each person.
 */
import {
  constants,
  monitorEventLoopDelay,
  type PerformanceEntry,
  PerformanceObserver,
} from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DigestService } from '../../src/core/digest/digest.service.js';
import { completedPeriod } from '../../src/core/digest/period.js';
import { systemClock } from '../../src/core/shared/clock.port.js';
import {
  commandLine,
  cpuSince,
  cpuTimes,
  KINDS,
  loadAverage,
  machine,
  mb,
  ms,
  parseKinds,
  runWorkerRole,
  scenarioOf,
  startFakes,
  startPebblebot,
  steadyLoad,
  summary,
} from './kit.js';

const SCRIPT = import.meta.url;

/** Least-squares slope (per step) and R² of a series. */
function trend(values: number[]): { slope: number; r2: number } {
  const n = values.length;
  if (n < 3) return { slope: 0, r2: 0 };
  const mx = (n - 1) / 2;
  const my = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - mx) * (values[i]! - my);
    sxx += (i - mx) ** 2;
    syy += (values[i]! - my) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, r2: syy === 0 ? 0 : (sxy * sxy) / (sxx * syy) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      rate: { type: 'string', default: '100' },
      'minute-seconds': { type: 'string', default: '60' },
      only: { type: 'string' },
    },
  });
  const minutes = Math.max(1, Number(values.minutes));
  const rate = Number(values.rate);
  // A shorter "minute" for a quick check of the script itself.
  const minuteSeconds = Number(values['minute-seconds']);
  // Kinds that store nothing new (e.g. "plusOne,ballot,home,teamsInvoke") keep the data as it
  // is: what the memory does then is the process's own, not the data's.
  const only = parseKinds(values.only);
  const kinds = only ?? KINDS;
  const gc = (globalThis as { gc?: () => void }).gc;
  console.log(`$ ${commandLine('bench:soak')}`);
  console.log(`machine: ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${loadAverage()}`);
  if (!gc)
    console.log('(run through npm run bench:soak for --expose-gc: RSS is read without a GC)');
  const fakes = await startFakes(SCRIPT);
  const bot = await startPebblebot(fakes);
  const digests = new DigestService({ store: bot.services.store, clock: systemClock });
  console.log(
    `${rate} requests/s of ${only ? only.join(', ') : `mixed traffic (${KINDS.join(', ')})`} for ${minutes} x ${minuteSeconds} s, ` +
      `Pebblebot on the embedded store with its scheduler, plus the weekly digest computed each minute\n`,
  );
  console.log(
    `${'minute'.padEnd(7)}${'requests'.padStart(9)}${'failed'.padStart(8)}${'ack p50'.padStart(10)}${'ack p99'.padStart(11)}${'loop p99'.padStart(10)}${'digest'.padStart(10)}${'RSS'.padStart(8)}${'heap'.padStart(8)}${'buffers'.padStart(9)}  pebbles  load average`,
  );
  const rss: number[] = [];
  const heap: number[] = [];
  const loopP99: number[] = [];
  const ackP99: number[] = [];
  let offset = 0;
  let failedAll = 0;
  const failures = new Map<string, number>();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  // The collector's pauses on the main thread, to tell a stall of the loop from one of ours.
  let collections: { at: number; ms: number; major: boolean }[] = [];
  const collector = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      collections.push({
        at: entry.startTime,
        ms: entry.duration,
        major:
          (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ===
          constants.NODE_PERFORMANCE_GC_MAJOR,
      });
  });
  collector.observe({ entryTypes: ['gc'] });
  for (let minute = 1; minute <= minutes; minute++) {
    delay.reset();
    const minuteStarted = performance.now();
    const cpu = cpuTimes();
    delay.enable();
    const result = await steadyLoad(
      SCRIPT,
      scenarioOf(bot, fakes, bot),
      rate,
      minuteSeconds,
      offset,
      only,
    );
    offset += result.sent;
    const workspace = await bot.services.workspaces.get(bot.slackWorkspace.id);
    const period = completedPeriod(
      new Date(),
      workspace.settings.digest,
      workspace.settings.timezone,
    );
    const started = performance.now();
    await digests.compute(workspace, period, false);
    const digestMs = performance.now() - started;
    delay.disable();
    // Only the collections of the minute's traffic and digest: not the full one forced below.
    const forcedAt = performance.now();
    const cpuShares = cpuSince(cpu);
    gc?.();
    const memory = process.memoryUsage();
    rss.push(memory.rss);
    heap.push(memory.heapUsed);
    await new Promise((resolve) => setImmediate(resolve));
    const pauses = collections.filter((c) => c.at >= minuteStarted && c.at < forcedAt);
    collections = [];
    const paused = (list: typeof pauses) => list.reduce((sum, c) => sum + c.ms, 0);
    const latencies = kinds.flatMap((k) => result.byKind[k] ?? []);
    const s = summary(latencies);
    loopP99.push(delay.percentile(99) / 1e6);
    ackP99.push(s.p99);
    const failed = kinds.reduce((n, k) => n + (result.failures[k] ?? 0), 0);
    failedAll += failed;
    for (const [status, n] of Object.entries(result.statuses))
      if (!status.endsWith(':200')) failures.set(status, (failures.get(status) ?? 0) + n);
    console.log(
      `${String(minute).padEnd(7)}${String(result.sent).padStart(9)}${String(failed).padStart(8)}${ms(s.p50).padStart(10)}${ms(s.p99).padStart(11)}${ms(delay.percentile(99) / 1e6).padStart(10)}${ms(digestMs).padStart(10)}${mb(memory.rss).padStart(8)}${mb(memory.heapUsed).padStart(8)}${mb(memory.external).padStart(9)}  ${String(await bot.pebbleCount()).padStart(7)}  ${loadAverage()}`,
    );
    // Which kinds make the tail, and what the loop, the collector and the machine did meanwhile.
    console.log(
      `${''.padEnd(7)}p99 by kind: ${kinds.map((k) => `${k} ${ms(summary(result.byKind[k] ?? []).p99)}`).join(', ')}`,
    );
    // A stall of the loop longer than any collection's pause is work queued behind work; the
    // CPU stolen from this virtual machine makes every request wait alike.
    console.log(
      `${''.padEnd(7)}loop max ${ms(delay.max / 1e6)}; collections ${pauses.length}: ${ms(paused(pauses))} in all, ${ms(paused(pauses.filter((c) => c.major)))} major, longest ${ms(Math.max(0, ...pauses.map((c) => c.ms)))}; CPU ${cpuShares}`,
    );
  }
  // The first minute fills caches and compiles code paths: the trend is read after it.
  const verdict = (name: string, series: number[], unit: 'MB' | 'ms') => {
    const t = trend(series.slice(1));
    const mean = series.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, series.length - 1);
    // A growth trend: rising by more than 1% of the mean a minute, steadily (R² > 0.5).
    const growing = t.slope > 0.01 * mean && t.r2 > 0.5;
    const slope = unit === 'MB' ? t.slope / 1024 / 1024 : t.slope;
    return `${name} ${growing ? 'GROWS' : 'no growth trend'} (${slope.toFixed(1)} ${unit} a minute, R² ${t.r2.toFixed(2)})`;
  };
  console.log(
    `\n${
      minutes > 3
        ? [
            verdict('RSS', rss, 'MB'),
            verdict('heap', heap, 'MB'),
            verdict('loop p99', loopP99, 'ms'),
            verdict('ack p99', ackP99, 'ms'),
          ].join('; ')
        : 'too short to read a trend (4 minutes at least)'
    }`,
  );
  console.log(
    `${failedAll} requests failed${failures.size ? ` (${[...failures].map(([k, n]) => `${k} ×${n}`).join(', ')})` : ''}; load average at the end (1/5/15 min): ${loadAverage()}`,
  );
  collector.disconnect();
  await bot.stop();
  fakes.stop();
  process.exitCode = failedAll === 0 ? 0 : 1;
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
