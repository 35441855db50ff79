import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import type { Store } from '../../src/core/ports/store.port.js';
import { openMongoStore } from '../../src/store/mongo/mongo.store.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import { tempDir } from '../helpers/run-cli.js';

const isSchedulerClaim = (collection: string, id: unknown) =>
  collection === 'events' && typeof id === 'string' && id.startsWith('cron:');

/**
 * What an embedded store folder holds, document by document, as one comparable string: the
 * append-only files replayed (last write of an id wins, deletions drop it), so two snapshots
 * are equal exactly when no document was written, whatever compaction did to the files.
 * Leases are left out, and so are the scheduler's claims of a tick in `events` (`cron:…`): the
 * scheduler writes them on its own clock, not because of a request.
 */
export function snapshotStore(dataDir: string, skip: string[] = ['leases']): string {
  if (!existsSync(dataDir)) return '{}';
  const collections: Record<string, Record<string, unknown>> = {};
  for (const file of readdirSync(dataDir).sort()) {
    if (!file.endsWith('.db')) continue;
    const name = file.slice(0, -3);
    if (skip.includes(name)) continue;
    const docs: Record<string, unknown> = {};
    for (const line of readFileSync(path.join(dataDir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const doc = JSON.parse(line) as { _id?: string; $$deleted?: boolean };
      if (typeof doc._id !== 'string' || isSchedulerClaim(name, doc._id)) continue;
      if (doc.$$deleted) delete docs[doc._id];
      else docs[doc._id] = doc;
    }
    collections[name] = Object.fromEntries(
      Object.entries(docs).sort(([a], [b]) => a.localeCompare(b)),
    );
  }
  return JSON.stringify(collections);
}

/** One of the stores a hostile suite runs on, and how to read everything it holds. */
export interface HostileStore {
  readonly kind: 'embedded' | 'mongodb';
  /** The describe block's name. */
  readonly label: string;
  /** The environment that points the app at this store (DATA_DIR, or MONGODB_URI and MONGODB_DB). */
  readonly env: Record<string, string>;
  /**
   * fast-check runs for a property that the embedded store gets `runs` of. FerretDB answers a
   * write in milliseconds where the embedded store takes microseconds, so MongoDB gets fewer
   * (still each kind of payload); the embedded runs keep their full count.
   */
  runs(runs: number): number;
  open(): Promise<Store>;
  /** Every document, collection by collection, as one comparable string (see snapshotStore). */
  snapshot(skip?: string[]): Promise<string>;
  /** Removes the database (the embedded folder is left to the temporary directory). */
  drop(): Promise<void>;
}

/** Share of the embedded store's fast-check runs that MongoDB gets. */
const MONGODB_RUNS = 0.5;

function embedded(prefix: string): HostileStore {
  const dataDir = tempDir(`pebblebot-hostile-${prefix}-`);
  return {
    kind: 'embedded',
    label: 'embedded store',
    env: { DATA_DIR: dataDir },
    runs: (runs) => runs,
    open: () => openEmbeddedStore({ dataDir }),
    snapshot: (skip) => Promise.resolve(snapshotStore(dataDir, skip)),
    drop: () => Promise.resolve(),
  };
}

function mongodb(prefix: string, uri: string): HostileStore {
  const dbName = `pebblebot_hostile_${prefix}_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;
  // One client for every snapshot: opening one per snapshot would cost more than the reads.
  let client: MongoClient | undefined;
  const db = () => (client ??= new MongoClient(uri, { appName: 'pebblebot-tests' })).db(dbName);
  return {
    kind: 'mongodb',
    label: 'MongoDB (MONGODB_URI)',
    // DATA_DIR too: the app keeps nothing there with MONGODB_URI set, but config wants a folder.
    env: {
      MONGODB_URI: uri,
      MONGODB_DB: dbName,
      DATA_DIR: tempDir(`pebblebot-hostile-${prefix}-`),
    },
    runs: (runs) => Math.max(2, Math.ceil(runs * MONGODB_RUNS)),
    open: () => openMongoStore({ uri, dbName, appName: 'pebblebot-tests' }),
    async snapshot(skip = ['leases']) {
      const collections: Record<string, Record<string, unknown>> = {};
      const names = (await db().listCollections({}, { nameOnly: true }).toArray())
        .map((c) => c.name)
        .filter((name) => !skip.includes(name) && !name.startsWith('system.'))
        .sort();
      // An empty database means the app wrote elsewhere: every suite stores something first.
      if (!names.length) throw new Error(`nothing stored in MongoDB database ${dbName}`);
      for (const name of names) {
        const docs = (await db().collection(name).find({}).toArray()).filter(
          (doc) => !isSchedulerClaim(name, doc._id),
        );
        // Ids are strings in every collection; EJSON keeps dates and other types apart from text.
        collections[name] = Object.fromEntries(
          docs
            .map((doc) => [BSON.EJSON.stringify(doc._id), doc] as const)
            .sort(([a], [b]) => a.localeCompare(b)),
        );
      }
      return BSON.EJSON.stringify(collections);
    },
    async drop() {
      try {
        await db().dropDatabase();
      } finally {
        await client?.close();
        client = undefined;
      }
    },
  };
}

/**
 * The stores a hostile suite runs on: the embedded store always, MongoDB too when MONGODB_URI
 * is set (a fresh database each call, so each test file or test starts empty). Without
 * MONGODB_URI the MongoDB entry is still listed, as `skip`, so the run says what it left out.
 */
export function hostileStores(
  prefix: string,
): { store: () => HostileStore; skip: boolean; label: string }[] {
  const uri = process.env.MONGODB_URI;
  return [
    { label: 'embedded store', skip: false, store: () => embedded(prefix) },
    {
      label: 'MongoDB (MONGODB_URI)',
      skip: !uri,
      store: () => mongodb(prefix, uri!),
    },
  ];
}
