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
 * each run on their own worker thread (kit.ts), so neither steals the measured event loop.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { slackScenario, startSlackBot, withOption } from './compare.js';
import {
  ballotClick,
  burstLoad,
  COUNCIL,
  memberId,
  ms,
  percentile,
  runWorkerRole,
  startBare,
  startFakes,
  TEAM,
  type Fakes,
  type LoadResult,
  type Prepared,
} from './kit.js';

const SCRIPT = import.meta.url;
const OPTIONS = ['fix-now', 'next-cycle', 'not-now', 'need-info'] as const;

/** Every click at once, each ack timed; the ack latencies sorted, and the requests that failed. */
async function runLoad(clicks: Prepared[]) {
  const result: LoadResult = await burstLoad(SCRIPT, clicks);
  const sorted = [...(result.byKind.ballot ?? [])].sort((a, b) => a - b);
  return { sorted, failures: result.failures.ballot ?? 0 };
}

/** Member `member`'s click on `vote` sent to `url` (its option follows the member). */
const click = (fakes: Fakes, url: string, i: number, member: number, vote: number) =>
  ballotClick(i, slackScenario(fakes, url, vote), member, vote);

/** Pebblebot through its composition root, a council of `members`, and one open vote. */
async function pebblebot(apiUrl: string, mongoUri: string | undefined, members: number) {
  const { app, url, stop } = await startSlackBot(apiUrl, {
    name: 'bench-votes',
    mongoUri,
    env: {
      SLACK_BOT_TOKEN: 'xoxb-bench',
      BALLOT_SECRET: 'bench-ballot-secret-of-at-least-32-chars',
    },
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
    url,
    label: server ? `MongoDB (${server.product} ${server.version})` : 'embedded store',
    vote,
    counts: () => services.store.ballots.counts(vote.id),
    closed: () => services.council.getVote(ws, vote.number),
    stop,
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

  const fakes = await startFakes(SCRIPT);
  const { apiUrl } = fakes;

  const stores: { label: string; uri?: string }[] = [{ label: 'embedded store' }];
  if (mongoUri) stores.push({ label: 'MongoDB', uri: mongoUri });
  else console.log('(MONGODB_URI is not set: the MongoDB run is skipped)');

  console.log(
    `Council ballots: ${members} members click at once on one vote (signed block_actions over ` +
      `HTTP, 127.0.0.1), after one member clicked ${repeats} times at once; ${os.cpus().length} CPUs, Node ${process.version}`,
  );
  const bare = await startBare(fakes);
  const baseline = await runLoad(
    Array.from({ length: members }, (_, i) => click(fakes, bare.slackUrl, i, i, 1)),
  );
  await bare.stop();
  const bareSorted = baseline.sorted;
  console.log(
    `\nbare Bolt (same receiver, ack only, same ${members}-click burst)\n  ack latency:         p50 ${ms(percentile(bareSorted, 50))}, p99 ${ms(percentile(bareSorted, 99))}, max ${ms(bareSorted.at(-1) ?? Number.NaN)}`,
  );
  let failed = false;
  for (const store of stores) {
    const system = await pebblebot(apiUrl, store.uri, members);
    // One member, many times at once: one ballot.
    const same = Array.from({ length: repeats }, (_, i) =>
      withOption(
        click(fakes, system.url, i, 0, system.vote.number),
        system.vote.number,
        OPTIONS[i % OPTIONS.length]!,
      ),
    );
    const repeated = await runLoad(same);
    let counts = await system.counts();
    const deadlineRepeat = performance.now() + 10_000;
    while (total(counts) < 1 && performance.now() < deadlineRepeat) {
      await new Promise((r) => setTimeout(r, 20));
      counts = await system.counts();
    }
    await new Promise((r) => setTimeout(r, 200));
    const afterRepeats = total(await system.counts());
    // Then every member at once (the first one changing their ballot).
    const clicks = Array.from({ length: members }, (_, i) =>
      click(fakes, system.url, i, i, system.vote.number),
    );
    const started = performance.now();
    const burst = await runLoad(clicks);
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
    const { sorted } = burst;
    const non200 = burst.failures;
    const counted = total(after);
    const ok = counted === members && afterRepeats === 1 && non200 === 0;
    failed ||= !ok;
    console.log(`\n${system.label}`);
    console.log(
      `  ballots/s:           ${(members / seconds).toFixed(0)} (${members} ballots stored ${seconds.toFixed(2)} s after the first click)`,
    );
    console.log(
      `  ack latency:         p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))} (${(percentile(sorted, 99) / percentile(bareSorted, 99)).toFixed(2)}x bare Bolt), max ${ms(sorted.at(-1) ?? Number.NaN)} (${sorted.length} acks, ${non200} not 200)`,
    );
    console.log(
      `  ${repeats} clicks, 1 member: ${afterRepeats} ballot (acks p99 ${ms(percentile(repeated.sorted, 99))})`,
    );
    console.log(
      `  final tally:         ${JSON.stringify(after)} = ${counted} (must be ${members}): ${ok ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      `  vote:                ${vote.status}${vote.closedBy ? ` (${vote.closedBy})` : ''}, result cast ${vote.result?.cast ?? '-'} + recused ${vote.result?.recused ?? '-'}, outcome ${vote.result?.outcome ?? '-'}`,
    );
    await system.stop();
  }
  console.log(`\nfake Slack API: ${await fakes.calls()} Web API calls and response_url posts`);
  fakes.stop();
  if (failed) process.exitCode = 1;
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
