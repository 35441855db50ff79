/**
 * Nudge benchmark: 10,000 journey improvements due across 2,000 owners. Plans and enqueues the
 * day's nudges (one per owner, in each owner's time zone), then delivers them through the
 * outbox and the Slack ChatGateway (Bottleneck: 1 message/s per channel, a cap on sends in
 * flight, Retry-After on 429) against a loopback fake of the Slack Web API running in its own
 * process, with several replicas draining one store. Prints the time to plan and enqueue, the
 * messages sent (must equal the owners due, without duplicates) and sends per second.
 *
 *   npm run bench:nudges [-- --improvements 10000 --owners 2000 --replicas 2 --rate-limited 3]
 *   MONGODB_URI=mongodb://127.0.0.1:27017 npm run bench:nudges   (MongoDB instead of nedb)
 *
 * Progress goes to stderr. On FerretDB 1.x, seed with `--seed-concurrency 1`: its `$inc` is not
 * atomic, so concurrent creates collide on numbers and retry.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { sweepNudges } from '../../src/core/improvements/improvement.jobs.js';
import { defaultSettings } from '../../src/core/workspaces/workspace.model.js';
import { OutboxDispatcher, pool, StoreOutbox } from '../../src/scheduler/outbox.js';
import { createSlackChatGateway } from '../../src/slack/chat-gateway.js';
import type { NewImprovement } from '../../src/core/ports/improvements.port.js';
import { openMongoStore } from '../../src/store/mongo/mongo.store.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { Store } from '../../src/core/ports/store.port.js';
import { improvementNotices } from '../../src/views/improvement.view.js';

const { values: args } = parseArgs({
  options: {
    improvements: { type: 'string', default: '10000' },
    owners: { type: 'string', default: '2000' },
    replicas: { type: 'string', default: '2' },
    'rate-limited': { type: 'string', default: '3' },
    'seed-concurrency': { type: 'string', default: '16' },
  },
});
const IMPROVEMENTS = Number(args.improvements);
const OWNERS = Number(args.owners);
const REPLICAS = Number(args.replicas);
const RATE_LIMITED = Number(args['rate-limited']);
const SEED_CONCURRENCY = Number(args['seed-concurrency']);

/** Wednesday 16 December 2026, 14:00 UTC: a working hour in every zone below but Tokyo's. */
const NOW = new Date('2026-12-16T14:00:00Z');
const ZONES = [
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Sao_Paulo',
  'Asia/Tokyo',
];
const QUIET_ZONES = new Set(['Asia/Tokyo']);
const WS = 'slack:TBENCH';
const logger = pino({ level: 'silent' });

const ms = (from: number) => performance.now() - from;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ownerId = (n: number) => `U${String(n).padStart(6, '0')}`;

/** What the fake Slack received. */
interface Received {
  messages: { channel: string; key?: string }[];
  calls: number;
}

/** Starts the loopback fake of the Slack Web API in its own process, so it does not share ours. */
async function startFakeSlack(): Promise<{ url: string; stop(): Promise<Received> }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-slack-server.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, RATE_LIMITED: String(RATE_LIMITED) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const { url } = JSON.parse(String((await lines.next()).value)) as { url: string };
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      return JSON.parse(String((await lines.next()).value)) as Received;
    },
  };
}

async function openStore(): Promise<Store> {
  const uri = process.env.MONGODB_URI;
  if (!uri) return openEmbeddedStore();
  return openMongoStore({ uri, dbName: `pebblebot_bench_${Date.now().toString(36)}` });
}

/** One workspace; improvements owned round robin, each promised for about now. */
async function seed(store: Store): Promise<void> {
  await store.workspaces.ensure({
    id: WS,
    platform: 'slack',
    externalId: 'TBENCH',
    settings: defaultSettings(),
    createdAt: NOW,
    updatedAt: NOW,
  });
  const madeAt = new Date('2026-12-01T10:00:00Z');
  const docs: NewImprovement[] = Array.from({ length: IMPROVEMENTS }, (_, i) => {
    const owner = i % OWNERS;
    // Due tomorrow, the day after, or a day late: each one needs its owner's nudge today.
    const date = ['2026-12-17', '2026-12-15', '2026-12-18'][i % 3]!;
    return {
      workspaceId: WS,
      title: `Journey improvement ${i + 1}`,
      pebbleNumbers: [i + 1],
      status: 'on-track',
      ownerId: ownerId(owner),
      ownerPending: false,
      ownerTimezone: ZONES[owner % ZONES.length],
      promisedDate: date,
      promise: { promisedDate: date, ownerId: ownerId(owner), madeAt, outcome: 'open' },
      promises: [],
      checkIns: [],
      nudgesSent: 0,
      escalationLevel: 0,
      feedback: [],
      recurrences: 0,
      assignedAt: madeAt,
      createdAt: madeAt,
      updatedAt: madeAt,
      history: [],
    };
  });
  await pool(docs, SEED_CONCURRENCY, async (doc) => {
    await store.improvements.create(doc);
  });
}

async function main(): Promise<void> {
  const store = await openStore();
  const fake = await startFakeSlack();
  let received: Received | undefined;
  try {
    const progress = (what: string) => process.stderr.write(`… ${what}\n`);
    progress(`seeding ${fmt(IMPROVEMENTS)} improvements`);
    const seeded = performance.now();
    await seed(store);
    const seedMs = ms(seeded);
    progress(`seeded in ${fmt(seedMs)} ms; planning`);
    let ownersDue = 0;
    for (let o = 0; o < OWNERS; o++) if (!QUIET_ZONES.has(ZONES[o % ZONES.length]!)) ownersDue++;

    // Plan and enqueue: the nudge sweep, as the scheduler runs it.
    const deps = {
      store,
      outbox: new StoreOutbox(store, { now: () => NOW }),
      notices: improvementNotices,
    };
    const planned = performance.now();
    const sweep = await sweepNudges(deps, NOW);
    const planMs = ms(planned);
    progress(`planned in ${fmt(planMs)} ms; delivering`);
    const again = await sweepNudges(deps, NOW);

    // Deliver: replicas drain the one outbox, each with its own Slack gateway and limiter, on
    // a clock that starts at the benchmark's "now" and runs at real speed (Retry-After waits).
    const startedAt = Date.now();
    const clock = { now: () => new Date(NOW.getTime() + (Date.now() - startedAt)) };
    const dispatchers = Array.from({ length: REPLICAS }, (_, r) => {
      const gateway = createSlackChatGateway('xoxb-bench', { slackApiUrl: fake.url }, logger);
      return new OutboxDispatcher({
        store,
        clock,
        logger,
        worker: `replica-${r}`,
        gatewayFor: () => gateway,
        concurrency: 8,
      });
    });
    const delivering = performance.now();
    let retried = 0;
    for (;;) {
      const results = await Promise.all(dispatchers.map((d) => d.drain()));
      for (const r of results) retried += r.retried;
      if ((await store.outbox.count({ status: ['pending', 'sending'] })) === 0) break;
      // Messages waiting out a Retry-After: look again shortly.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const deliverMs = ms(delivering);

    received = await fake.stop();
    const { messages } = received;
    const perKey = new Map<string, number>();
    for (const m of messages) perKey.set(m.key ?? '', (perKey.get(m.key ?? '') ?? 0) + 1);
    const duplicates = [...perKey.values()].filter((n) => n > 1).length;
    const channels = new Set(messages.map((m) => m.channel)).size;
    const ok = messages.length === ownersDue && duplicates === 0 && channels === ownersDue;

    const quiet = [...QUIET_ZONES].join(', ');
    const rows: [string, string][] = [
      ['store', store.kind === 'mongodb' ? 'MongoDB (MONGODB_URI)' : 'embedded nedb (in memory)'],
      ['improvements due', fmt(IMPROVEMENTS)],
      ['owners', `${fmt(OWNERS)} in ${ZONES.length} time zones`],
      ['owners due now', `${fmt(ownersDue)} (${fmt(OWNERS - ownersDue)} in quiet hours: ${quiet})`],
      ['seed', `${fmt(seedMs)} ms`],
      ['plan + enqueue', `${fmt(planMs)} ms (${fmt(sweep.nudges)} nudges queued)`],
      ['owners deferred', `${fmt(sweep.deferred)} (quiet hours)`],
      ['same sweep again', `${fmt(again.nudges)} new nudges`],
      ['replicas draining', String(REPLICAS)],
      ['deliver', `${fmt(deliverMs)} ms`],
      ['messages sent', `${fmt(messages.length)} to ${fmt(channels)} DM channels`],
      ['duplicates', String(duplicates)],
      ['429 (Retry-After: 1)', `${received.calls - messages.length} answered, ${retried} retried`],
      ['sends/s', fmt(messages.length / (deliverMs / 1000), 1)],
      ['verdict', ok ? 'OK: one nudge per owner due, no duplicates' : 'FAILED'],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`\nNudge benchmark (Node ${process.version})\n`);
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
    if (!ok) process.exitCode = 1;
  } finally {
    if (!received) await fake.stop().catch(() => undefined);
    await store.close();
  }
}

await main();
