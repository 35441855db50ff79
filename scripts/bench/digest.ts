/**
 * Weekly digest over a big workspace: seeds 100,000 pebbles, 10,000 improvements and 1,000
 * council votes (plus 5,000 close-the-loop notices) in one workspace, two years of history,
 * then computes the digest of the last week (metrics + narrative) and prints the time it took
 * and the peak RSS, once per store: the embedded store always, MongoDB when MONGODB_URI is set.
 *
 *   npm run bench:digest -- [--pebbles 100000] [--improvements 10000] [--votes 1000] [--runs 5]
 *   MONGODB_URI=mongodb://127.0.0.1:27017 npm run bench:digest
 *
 * Each store runs in its own child process, so each peak RSS is that store's alone. The store
 * reopened from its files is measured twice: through tsx, as `npm start` runs the bot, and
 * compiled to JavaScript (this script bundled by esbuild, packages left to node_modules), as the
 * Docker image runs it (`node dist/main.js`): tsx's loader holds some 30 MB of its own. Data is
 * bulk-loaded in the documents' stored shape (through the adapters' own collections), because
 * the benchmark measures the digest, not a hundred thousand creates.
 * Goal (DESIGN.md): under 1 s and under 300 MB RSS on 2 cores.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Document } from 'mongodb';
import { DigestService } from '../../src/core/digest/digest.service.js';
import { completedPeriod } from '../../src/core/digest/period.js';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import { defaultSettings } from '../../src/core/workspaces/workspace.model.js';
import type { Datastore } from '../../src/store/nedb/datastore.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { Store } from '../../src/core/ports/store.port.js';
import { newSupportDoc } from '../../src/store/supports.js';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string' },
    phase: { type: 'string' },
    dir: { type: 'string' },
    pebbles: { type: 'string', default: '100000' },
    improvements: { type: 'string', default: '10000' },
    votes: { type: 'string', default: '1000' },
    notices: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '5' },
  },
});

const COUNTS = {
  pebbles: Number(args.pebbles),
  improvements: Number(args.improvements),
  votes: Number(args.votes),
  notices: Number(args.notices),
};
const RUNS = Math.max(1, Number(args.runs));
/** The Node flags the bot runs with (`npm start` in package.json, the Dockerfile's CMD). */
const BOT_NODE_FLAGS = ['--max-semi-space-size=8'];
/** The digest computed: the week that ended Monday 30 March 2026, 09:00 in Berlin. */
const NOW = new Date('2026-03-30T07:00:00Z');
const SPAN_MS = 104 * 7 * 86_400_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const BATCH = 5_000;
const STAGES = ['discover', 'buy', 'onboard', 'use', 'get-help', 'renew-or-leave'];
const STAKEHOLDERS = ['customer', 'customer', 'customer', 'employee', 'partner'] as const;
const FREQUENCIES = ['once', 'monthly', 'weekly', 'daily', 'hourly'] as const;
const TEAMS = ['Support', 'Sales', 'Product', 'Ops', 'Finance', 'Marketing', 'Legal', 'IT'];

/** Deterministic PRNG (mulberry32), so every run seeds the same data. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(42);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
const isoDate = (at: number) => new Date(at).toISOString().slice(0, 10);

function pebbleDoc(workspaceId: string, number: number): Document {
  const created = NOW.getTime() - SPAN_MS + Math.floor((number / COUNTS.pebbles) * SPAN_MS);
  const reporter = `U${int(2_000)}`;
  const history: Document[] = [
    { at: new Date(created), actor: reporter, action: 'reported', to: 'new' },
  ];
  const path: [string, number][] = [['triaged', created + (1 + int(48)) * HOUR]];
  const fate = rnd();
  if (fate < 0.55) {
    const approved = path[0]![1] + (1 + int(10)) * DAY;
    path.push(['approved', approved], ['resolved', approved + (5 + int(40)) * DAY]);
  } else if (fate < 0.75) path.push(['declined', path[0]![1] + (1 + int(10)) * DAY]);
  else if (fate < 0.8) path.push(['duplicate', path[0]![1] + int(5) * HOUR]);
  let status = 'new';
  for (const [to, at] of path) {
    if (at >= NOW.getTime()) break;
    history.push({ at: new Date(at), actor: 'U-admin', action: 'status', from: status, to });
    status = to;
  }
  const supporters = Array.from({ length: int(5) === 0 ? 2 + int(3) : int(2) }, () => ({
    userId: `U${int(2_000)}`,
    team: pick(TEAMS),
    at: new Date(Math.min(NOW.getTime() - 1, created + int(14 * DAY))),
  })).filter((s, i, all) => all.findIndex((o) => o.userId === s.userId) === i);
  const staged = rnd() < 0.9;
  const costed = rnd() < 0.3;
  return {
    _id: randomUUID(),
    workspaceId,
    number,
    title: `Friction ${number}: ${pick(STAGES)} takes too long`,
    description: 'A sentence or two about what got in the way, as people write them.',
    stakeholder: pick(STAKEHOLDERS),
    ...(staged ? { journey: 'customer', stage: pick(STAGES) } : {}),
    severity: 1 + int(4),
    ...(costed ? { frequency: pick(FREQUENCIES), minutesLost: 5 + int(55) } : {}),
    anonymous: rnd() < 0.1,
    reporter: { userId: reporter, name: `Person ${reporter}`, team: pick(TEAMS) },
    source: { kind: 'slash' },
    status,
    ...(status === 'duplicate' && number > 1 ? { duplicateOf: 1 + int(number - 1) } : {}),
    // Split off into support documents by `seed` (one per +1, as the store keeps them).
    supporters,
    createdAt: new Date(created),
    updatedAt: history.at(-1)!.at as Date,
    history,
  };
}

function improvementDoc(workspaceId: string, number: number): Document {
  const created = NOW.getTime() - SPAN_MS + Math.floor((number / COUNTS.improvements) * SPAN_MS);
  const old = NOW.getTime() - created > 6 * 7 * DAY;
  const roll = rnd();
  const status = old
    ? roll < 0.8
      ? 'done'
      : roll < 0.95
        ? 'dropped'
        : pick(['on-track', 'at-risk', 'blocked'])
    : roll < 0.3
      ? 'done'
      : pick(['planned', 'on-track', 'at-risk', 'blocked']);
  const owner = `U-owner-${int(300)}`;
  const promised = created + (14 + int(42)) * DAY;
  const doneAt = Math.min(NOW.getTime() - HOUR, created + (7 + int(42)) * DAY);
  const promises: Document[] = [];
  if (rnd() < 0.3)
    promises.push({
      promisedDate: isoDate(promised - 7 * DAY),
      ownerId: owner,
      madeAt: new Date(created),
      outcome: 'broken',
      closedAt: new Date(created + 3 * DAY),
    });
  if (status === 'done')
    promises.push({
      promisedDate: isoDate(promised),
      ownerId: owner,
      madeAt: new Date(created),
      outcome: doneAt <= promised ? 'kept' : 'broken',
      closedAt: new Date(doneAt),
    });
  const active = status !== 'done' && status !== 'dropped';
  const feedback =
    status === 'done'
      ? Array.from({ length: int(4) }, (_, i) => ({
          userId: `U${int(2_000)}`,
          answer: rnd() < 0.8 ? 'yes' : 'no',
          at: new Date(Math.min(NOW.getTime() - 1, doneAt + (i + 1) * DAY)),
        }))
      : [];
  return {
    _id: randomUUID(),
    workspaceId,
    number,
    title: `Improvement ${number}`,
    pebbleNumbers: Array.from({ length: 1 + int(3) }, () => 1 + int(COUNTS.pebbles)),
    status,
    ownerId: owner,
    ownerName: `Owner ${owner}`,
    ownerPending: false,
    ...(active
      ? {
          promisedDate: isoDate(promised),
          promise: {
            promisedDate: isoDate(promised),
            ownerId: owner,
            madeAt: new Date(created),
            outcome: 'open',
          },
        }
      : {}),
    promises,
    checkIns: [],
    nudgesSent: 0,
    escalationLevel: 0,
    ...(status === 'done' ? { doneAt: new Date(doneAt) } : {}),
    feedback,
    feedbackIds: feedback.map((f) => f.userId),
    recurrences: 0,
    createdAt: new Date(created),
    updatedAt: new Date(created),
    history: [{ at: new Date(created), actor: 'U-admin', action: 'planned' }],
  };
}

function voteDoc(workspaceId: string, number: number): Document {
  const opened = NOW.getTime() - SPAN_MS + Math.floor((number / COUNTS.votes) * SPAN_MS);
  const closed = opened + 3 * DAY;
  const electorate = Array.from({ length: 9 }, (_, i) => ({ userId: `U-member-${i}` }));
  const cast = 3 + int(7);
  const secret = rnd() < 0.7;
  const decided = rnd() < 0.75;
  return {
    _id: randomUUID(),
    workspaceId,
    number,
    pebbleNumbers: [1 + int(COUNTS.pebbles)],
    proposedBy: 'U-admin',
    status: decided ? 'decided' : 'escalated',
    electorate,
    rules: { threshold: 50, secret, wipLimit: 5 },
    channelId: 'C-council',
    openedAt: new Date(opened),
    deadline: new Date(closed),
    closedAt: new Date(closed),
    closedBy: 'deadline',
    result: {
      tally: { 'fix-now': cast, 'next-cycle': 0, 'not-now': 0, 'need-info': 0 },
      cast,
      recused: int(2),
      electorate: 9,
      quorumRequired: 5,
      quorumMet: cast >= 5,
      functionsVoted: 3,
      balanceMet: true,
      thresholdMet: decided,
      outcome: decided ? 'decided' : 'no-quorum',
      leading: [],
      ...(secret
        ? {}
        : { names: { 'fix-now': electorate.slice(0, cast).map((m) => ({ userId: m.userId })) } }),
    },
    ...(decided ? { decision: { option: 'fix-now', by: 'council', at: new Date(closed) } } : {}),
    applied: true,
    createdAt: new Date(opened),
    updatedAt: new Date(closed),
    history: [],
  };
}

function noticeDoc(workspaceId: string, i: number): Document {
  const created = NOW.getTime() - SPAN_MS + Math.floor((i / Math.max(1, COUNTS.notices)) * SPAN_MS);
  return {
    _id: `close-loop:${workspaceId}:${i}`,
    workspaceId,
    kind: 'improvement.close-the-loop',
    target: { kind: 'dm', userId: `U${int(2_000)}` },
    view: { text: 'It is fixed', blocks: [] },
    status: rnd() < 0.95 ? 'sent' : 'failed',
    attempts: 1,
    nextAttemptAt: new Date(created),
    createdAt: new Date(created),
  };
}

type Insert = (
  collection: 'pebbles' | 'improvements' | 'votes' | 'outbox' | 'supports',
  docs: Document[],
) => Promise<void>;

async function seed(insert: Insert, workspaceId: string): Promise<void> {
  const kinds: [
    Exclude<Parameters<Insert>[0], 'supports'>,
    number,
    (ws: string, n: number) => Document,
  ][] = [
    ['pebbles', COUNTS.pebbles, pebbleDoc],
    ['improvements', COUNTS.improvements, improvementDoc],
    ['votes', COUNTS.votes, voteDoc],
    ['outbox', COUNTS.notices, noticeDoc],
  ];
  for (const [collection, count, make] of kinds) {
    for (let from = 1; from <= count; from += BATCH) {
      const docs: Document[] = [];
      for (let n = from; n < Math.min(count + 1, from + BATCH); n++)
        docs.push(make(workspaceId, n));
      if (collection === 'pebbles') {
        const supports: Document[] = [];
        for (const doc of docs) {
          const { supporters } = doc as {
            supporters: { userId: string; team: string; at: Date }[];
          };
          delete doc.supporters;
          for (const s of supporters)
            supports.push(newSupportDoc(workspaceId, doc.number as number, s));
        }
        if (supports.length) await insert('supports', supports);
      }
      await insert(collection, docs);
    }
  }
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** The workspace of a data folder seeded by the `seed` phase. */
const FILES_WORKSPACE = 'slack:T-bench-files';

async function runOne(kind: 'embedded' | 'embedded-files' | 'mongodb'): Promise<void> {
  // embedded-files runs twice: `seed` writes the data folder and exits, `measure` opens it
  // the way the bot does when it starts, and computes the digest.
  const measureFiles = kind === 'embedded-files' && args.phase === 'measure';
  const workspaceId =
    kind === 'embedded-files' ? FILES_WORKSPACE : `slack:T-bench-${randomUUID().slice(0, 8)}`;
  let store: Store;
  let insert: Insert;
  let cleanup: () => Promise<unknown> = () => Promise.resolve();
  let server = 'embedded nedb, in memory';
  const opened = performance.now();
  if (measureFiles) {
    store = await openEmbeddedStore({ dataDir: args.dir! });
    server = 'embedded nedb, reopened from its files';
    insert = () => Promise.reject(new Error('the measure phase writes nothing'));
  } else if (kind === 'embedded' || kind === 'embedded-files') {
    store = await openEmbeddedStore(kind === 'embedded-files' ? { dataDir: args.dir! } : {});
    // The adapters' own datastores (private fields), for a bulk load in the stored shape.
    const dbOf = (repo: unknown) => (repo as { db: Datastore }).db;
    const dbs = {
      pebbles: dbOf(store.pebbles),
      supports: (store.pebbles as unknown as { supports: Datastore }).supports,
      improvements: dbOf(store.improvements),
      votes: dbOf(store.votes),
      outbox: dbOf(store.outbox),
    };
    insert = async (collection, docs) => {
      await dbs[collection].insertAsync(docs);
    };
  } else {
    // Imported here, as the bot imports them only on MongoDB (src/store/open-store.ts), so the
    // embedded stores' processes do not hold the driver.
    const { MongoClient } = await import('mongodb');
    const { openMongoStore } = await import('../../src/store/mongo/mongo.store.js');
    const uri = process.env.MONGODB_URI!;
    const dbName = `pebblebot_bench_${Date.now().toString(36)}`;
    const mongo = await openMongoStore({ uri, dbName, appName: 'pebblebot-bench' });
    store = mongo;
    server = `${mongo.server.product} ${mongo.server.version}`;
    const client = new MongoClient(uri);
    await client.connect();
    insert = async (collection, docs) => {
      await client.db(dbName).collection(collection).insertMany(docs, { ordered: false });
    };
    cleanup = async () => {
      await client.db(dbName).dropDatabase();
      await client.close();
    };
  }

  const seedStarted = performance.now();
  if (!measureFiles) {
    await store.workspaces.ensure({
      id: workspaceId,
      platform: 'slack',
      externalId: workspaceId.slice(6),
      name: 'Bench',
      settings: { ...defaultSettings(), timezone: 'Europe/Berlin' },
      createdAt: new Date('2024-01-01T00:00:00Z'),
      updatedAt: new Date('2024-01-01T00:00:00Z'),
    });
    await seed(insert, workspaceId);
  }
  const seedMs = performance.now() - (measureFiles ? opened : seedStarted);
  if (kind === 'embedded-files' && !measureFiles) {
    await store.close();
    process.stdout.write(`${JSON.stringify({ seedOnly: true })}\n`);
    return;
  }
  const workspace = (await store.workspaces.get(workspaceId))!;
  // The seeding's garbage is not the digest's: collect it (the child runs with --expose-gc).
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const rssAfterSeed = process.memoryUsage().rss;
  const heapAfterSeed = process.memoryUsage().heapUsed;

  const service = new DigestService({ store, clock: new FakeClock(NOW) });
  const period = completedPeriod(NOW, workspace.settings.digest, workspace.settings.timezone);
  const times: number[] = [];
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 5);
  let digest: Awaited<ReturnType<DigestService['compute']>> | undefined;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    digest = await service.compute(workspace, period, false);
    times.push(performance.now() - started);
  }
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const sorted = [...times].sort((a, b) => a - b);
  const result = {
    store: kind,
    server,
    seeded: COUNTS,
    seedSeconds: Math.round(seedMs / 100) / 10,
    period: period.key,
    newPebbles: digest!.metrics.youSaid.total,
    firstMs: Math.round(times[0]!),
    medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]!),
    maxMs: Math.round(sorted.at(-1)!),
    runsMs: times.map((t) => Math.round(t)),
    rssAfterSeedMb: mb(rssAfterSeed),
    heapAfterSeedMb: mb(heapAfterSeed),
    peakRssDuringDigestMb: mb(peakRss),
    peakRssOfProcessMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await cleanup();
  await store.close();
}

/** Runs each store in its own process and prints one line per store. */
async function main(): Promise<void> {
  if (args.store === 'embedded' || args.store === 'mongodb' || args.store === 'embedded-files')
    return runOne(args.store);
  const stores = ['embedded', 'embedded-files', ...(process.env.MONGODB_URI ? ['mongodb'] : [])];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pebblebot-bench-digest-'));
  // Inside the project, so the bundle's imports of packages resolve to its node_modules.
  const compiled = fileURLToPath(
    new URL('../../node_modules/.cache/pebblebot-bench/digest.mjs', import.meta.url),
  );
  const { build } = await import('esbuild');
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: compiled,
    logLevel: 'warning',
  });
  if (!process.env.MONGODB_URI) console.log('(MONGODB_URI unset: MongoDB skipped)');
  console.log(
    `Digest benchmark: ${COUNTS.pebbles} pebbles, ${COUNTS.improvements} improvements, ${COUNTS.votes} votes, ${COUNTS.notices} notices in one workspace; ${RUNS} runs; goal < 1000 ms, < 300 MB`,
  );
  const phases = stores.flatMap((store) =>
    store === 'embedded-files'
      ? [`${store}:seed`, `${store}:measure`, `${store}:measure:compiled`]
      : [store],
  );
  for (const phased of phases) {
    const [store, phase, form] = phased.split(':') as [string, string?, string?];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--expose-gc',
          ...BOT_NODE_FLAGS,
          ...(form === 'compiled'
            ? [compiled]
            : [...process.execArgv, fileURLToPath(import.meta.url)]),
          ...process.argv.slice(2),
          '--store',
          store,
          ...(phase ? ['--phase', phase, '--dir', dir] : []),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`${store} bench exited ${code}`)),
      );
    });
    const r = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
    if (r.seedOnly) continue;
    const how = phase ? (form === 'compiled' ? ', compiled' : ', through tsx') : '';
    console.log(
      `${String(r.store).padEnd(9)} ${String(r.server)}${how}: digest ${String(r.period)} (${String(r.newPebbles)} new pebbles) first ${String(r.firstMs)} ms, median ${String(r.medianMs)} ms, max ${String(r.maxMs)} ms (each run: ${(r.runsMs as number[]).join(', ')} ms); ` +
        `peak RSS ${String(r.peakRssDuringDigestMb)} MB while computing (data loaded: ${String(r.rssAfterSeedMb)} MB RSS, ${String(r.heapAfterSeedMb)} MB heap; process peak incl. ${phase ? 'opening' : 'seeding'} ${String(r.peakRssOfProcessMb)} MB, ${phase ? 'opening' : 'seeding'} ${String(r.seedSeconds)} s)`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `load average (1/5/15 min): ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
