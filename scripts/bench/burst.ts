/**
 * Vote burst: a council of 1,000 clicks a ballot on one vote at the same moment (signed Slack
 * block_actions over HTTP on 127.0.0.1). Rounds alternate between a bare Bolt app (same
 * receiver, a listener that only acknowledges) and Pebblebot's real server, each round with
 * the same burst (Pebblebot: on a fresh vote), so both meet the same machine. Prints each
 * round's acknowledgement p50/p99, the p99 ratio (goal <= 1.5x), and the tally of every
 * Pebblebot vote, which must count each member exactly once.
 *
 *   npm run bench:burst -- [--members 1000] [--rounds 3]
 *
 * Every ballot is stored before its acknowledgement (a crash loses nothing acknowledged), so
 * the ack waits for the embedded store's append of that ballot.
 */
import { parseArgs } from 'node:util';
import {
  ballotClick,
  burstLoad,
  commandLine,
  loadAverage,
  machine,
  mb,
  ms,
  runWorkerRole,
  scenarioOf,
  settle,
  startBare,
  startFakes,
  startPebblebot,
  summary,
  type LoadResult,
} from './kit.js';

const SCRIPT = import.meta.url;

const failures = (r: LoadResult) => r.failures.ballot ?? 0;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const members = Number(values.members);
  const rounds = Math.max(1, Number(values.rounds));
  console.log(`$ ${commandLine('bench:burst')}`);
  console.log(`machine: ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${loadAverage()}`);
  const fakes = await startFakes(SCRIPT);
  const bare = await startBare(fakes);
  const bot = await startPebblebot(fakes, { councilSize: members, pebbles: rounds + 1 });
  const { services } = bot;
  const admin = { userId: 'U0ADMIN', platformAdmin: true };
  console.log(
    `${members} council members click a ballot at once, ${rounds} rounds (bare Bolt, then Pebblebot on a fresh vote)`,
  );

  // A warm-up burst each, so neither is measured compiling its code paths.
  const warm = Math.min(200, members);
  const clicks = (url: { slackUrl: string; teamsUrl: string }, vote: number, count: number) =>
    Array.from({ length: count }, (_, m) => ballotClick(m, scenarioOf(url, fakes, bot), m, vote));
  await burstLoad(SCRIPT, clicks(bare, 1, warm));
  await burstLoad(SCRIPT, clicks(bot, bot.vote, warm));

  const bareAll: number[] = [];
  const botAll: number[] = [];
  let exact = true;
  let failed = 0;
  let lostAcks = false;
  console.log(
    `\n${'round'.padEnd(7)}${'bare p50'.padStart(11)}${'bare p99'.padStart(11)}${'Pebblebot p50'.padStart(15)}${'p99'.padStart(11)}  ratio  tally        load average`,
  );
  for (let round = 1; round <= rounds; round++) {
    const { vote } = await services.council.propose(bot.slackWorkspace, admin, [round + 1]);
    await settle();
    const b = await burstLoad(SCRIPT, clicks(bare, vote.number, members));
    await settle();
    const started = performance.now();
    const p = await burstLoad(SCRIPT, clicks(bot, vote.number, members));
    let counts = await services.store.ballots.counts(vote.id);
    const total = () => Object.values(counts).reduce((n, c) => n + c, 0);
    while (total() < members && performance.now() - started < 60_000) {
      await new Promise((r) => setTimeout(r, 50));
      counts = await services.store.ballots.counts(vote.id);
    }
    // Every acknowledged ballot counts, once: with every click acknowledged, the tally is exact.
    const acked = p.byKind.ballot?.length ?? 0;
    exact &&= total() === members;
    lostAcks ||= total() < acked;
    failed += failures(b) + failures(p);
    const bs = summary(b.byKind.ballot ?? []);
    const ps = summary(p.byKind.ballot ?? []);
    bareAll.push(...(b.byKind.ballot ?? []));
    botAll.push(...(p.byKind.ballot ?? []));
    console.log(
      `${String(round).padEnd(7)}${ms(bs.p50).padStart(11)}${ms(bs.p99).padStart(11)}${ms(ps.p50).padStart(15)}${ms(ps.p99).padStart(11)}  ${(ps.p99 / bs.p99).toFixed(2)}x  ${`${total()} of ${members}`.padEnd(12)} ${loadAverage()}`,
    );
  }
  const bs = summary(bareAll);
  const ps = summary(botAll);
  const ratio = ps.p99 / bs.p99;
  console.log(
    `\nall rounds: bare Bolt p50 ${ms(bs.p50)} p99 ${ms(bs.p99)}; Pebblebot p50 ${ms(ps.p50)} p99 ${ms(ps.p99)}; ` +
      `p99 ratio ${ratio.toFixed(2)}x (goal <= 1.5x: ${ratio <= 1.5 ? 'met' : 'not met'})`,
  );
  console.log(
    `tally: ${exact ? `exact in every round (${members} of ${members})` : 'NOT exact'}; ` +
      `${failed} requests failed (no answer within 30 s, or not 200); ` +
      `${lostAcks ? 'an ACKNOWLEDGED BALLOT IS MISSING' : 'every acknowledged ballot counted'}`,
  );
  console.log(`RSS at the end ${mb(process.memoryUsage().rss)}`);
  console.log(`load average at the end (1/5/15 min): ${loadAverage()}`);
  await bare.stop();
  await bot.stop();
  fakes.stop();
  process.exitCode = exact && failed === 0 && !lostAcks ? 0 : 1;
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
