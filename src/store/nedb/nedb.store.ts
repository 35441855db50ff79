import { rm } from 'node:fs/promises';
import path from 'node:path';
import { PebbleError } from '../../core/shared/errors.js';
import type { Store } from '../../core/ports/store.port.js';
import { lockDataDir, type DataLock } from './data-lock.js';
import { COMPACTION_FLOOR, readAndCompactInChunks, worthCompacting } from './data-file.js';
import { holdTimesAsNumbers } from './numeric-times.js';
import {
  appendThroughOpenFile,
  besideQueueCopy,
  Datastore,
  type AppendedFile,
} from './datastore.js';
import { NedbConversationAddressRepository } from './conversations.nedb.js';
import {
  NedbApiTokenRepository,
  NedbAuditRepository,
  NedbDataRightsRepository,
} from './governance.nedb.js';
import { NedbInstallationRepository } from './installations.nedb.js';
import { NedbProcessedEventRepository } from './events.nedb.js';
import { NedbImprovementRepository } from './improvements.nedb.js';
import { NedbLeaseRepository } from './leases.nedb.js';
import { NedbAiUsageRepository, NedbEmbeddingCacheRepository } from './ai.nedb.js';
import { NedbBallotRepository } from './ballots.nedb.js';
import { NedbDigestRepository } from './digests.nedb.js';
import { NedbMetricsRepository } from './metrics.nedb.js';
import { NedbVoteRepository } from './votes.nedb.js';
import { NedbOutboxRepository } from './outbox.nedb.js';
import { NedbPebbleRepository } from './pebbles.nedb.js';
import { NedbWorkspaceRepository } from './workspaces.nedb.js';

export interface EmbeddedStoreOptions {
  /** Folder of the data files; omit for an in-memory store (tests, benchmarks). */
  dataDir?: string;
  /**
   * How often each append-only file is looked at, and rewritten compactly when its stale lines
   * outnumber its documents (see `worthCompacting`). Default: a minute.
   */
  compactionIntervalMs?: number;
  /** The folder lock's staleness window and refresh period (tests shorten them). */
  lock?: { staleMs?: number; updateMs?: number };
  /**
   * Called once if the folder lock is lost while the store is open. The store has already
   * stopped writing by then (every write fails, ping fails); the caller decides what else to do
   * (the app exits, see open-store.ts). Default: a line on stderr.
   */
  onLockLost?: (error: PebbleError) => void;
}

const COLLECTIONS = [
  'workspaces',
  'pebbles',
  'sequences',
  'events',
  'improvements',
  'outbox',
  'leases',
  'votes',
  'ballots',
  'digests',
  'conversations',
  'supports',
  'ai_usage',
  'embeddings',
  'audit',
  'api_tokens',
  'installations',
  'installation_links',
] as const;
type CollectionName = (typeof COLLECTIONS)[number];

/**
 * The files that hold their documents' times as numbers (see `holdTimesAsNumbers`): the two
 * that grow with every report and +1, where Date objects were a sixth of the heap at 100,000
 * pebbles.
 */
const TIMES_AS_NUMBERS = new Set<CollectionName>(['pebbles', 'supports']);

/**
 * Files every start rewrites, whole or not: the order of their lines is the order ballots were
 * cast, which a closed vote forgets (`forgetWriteOrder`); a crash between a vote's close and
 * that rewrite is mended at the next start, as nedb did for every file.
 */
const REWRITTEN_AT_OPEN = new Set<CollectionName>(['ballots', 'votes']);

/**
 * Makes every later write of `db` fail without touching its file. Used once the folder lock is
 * lost: another process may own the files now, and a write from here (an append or a
 * compaction that rewrites the whole file from this process's memory) would corrupt them.
 */
function refuseWrites(db: Datastore, error: PebbleError): void {
  db.stopAutocompaction();
  const persistence = db.persistence as unknown as Record<string, unknown>;
  const refuse = () => Promise.reject(error);
  persistence.persistNewStateAsync = refuse;
  persistence.persistCachedDatabaseAsync = refuse;
}

/** The zero-setup store: nedb files in DATA_DIR, one process per folder. */
export async function openEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<Store> {
  const dbs = {} as Record<CollectionName, Datastore>;
  const files = new Map<Datastore, AppendedFile>();
  let lost: PebbleError | undefined;
  let closing: Promise<void> | undefined;
  const onCompromised = (error: PebbleError) => {
    if (lost) return;
    lost = error;
    for (const db of Object.values(dbs)) refuseWrites(db, error);
    (options.onLockLost ?? ((e) => process.stderr.write(`${e.message}\n`)))(error);
  };
  const lock: DataLock = options.dataDir
    ? await lockDataDir(options.dataDir, { ...options.lock, onCompromised })
    : { release: () => Promise.resolve() };
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;
  /** The rewrites beside the queue, one after another (two at once on a file would clash). */
  let rewriting: Promise<unknown> = Promise.resolve();
  const rewriteBesideQueue = (db: Datastore): Promise<boolean> => {
    const run = rewriting.then(() => {
      const file = files.get(db);
      return !file || lost ? false : file.compactBesideQueue(() => lost !== undefined);
    });
    rewriting = run.catch(() => undefined);
    return run;
  };
  const compactWhereWorth = async () => {
    // One file at a time: the other files' queues keep serving meanwhile.
    for (const [db, file] of files) {
      if (lost) return;
      // Counting the documents walks the _id index: only for files past the floor.
      if (file.lines() <= COMPACTION_FLOOR) continue;
      if (worthCompacting(file.lines(), db.getAllData().length)) await rewriteBesideQueue(db);
    }
  };
  const eraseStaleLines = async (erased: Datastore[]) => {
    for (const db of new Set(erased)) await rewriteBesideQueue(db);
  };
  const unlock = () => {
    for (const file of files.values()) file.close();
    files.clear();
    return lock.release();
  };
  try {
    for (const name of COLLECTIONS) {
      const filename = options.dataDir && path.join(options.dataDir, `${name}.db`);
      // A copy left by a crash during a compaction beside the queue: the file itself is whole.
      if (filename) await rm(besideQueueCopy(filename), { force: true });
      dbs[name] = filename ? new Datastore({ filename }) : new Datastore({ inMemoryOnly: true });
      const numericTimes = TIMES_AS_NUMBERS.has(name);
      if (numericTimes) holdTimesAsNumbers(dbs[name]);
      readAndCompactInChunks(dbs[name], {
        timesAsNumbers: numericTimes,
        rewriteAtOpen: REWRITTEN_AT_OPEN.has(name),
      });
      files.set(dbs[name], appendThroughOpenFile(dbs[name]));
      if (lost) refuseWrites(dbs[name], lost);
      await dbs[name].loadDatabaseAsync();
    }
    await NedbPebbleRepository.indexes(dbs.pebbles, dbs.supports);
    await NedbPebbleRepository.migrate(dbs.pebbles, dbs.supports);
    await NedbProcessedEventRepository.indexes(dbs.events);
    await NedbImprovementRepository.indexes(dbs.improvements);
    await NedbOutboxRepository.indexes(dbs.outbox);
    await NedbVoteRepository.indexes(dbs.votes);
    await NedbBallotRepository.indexes(dbs.ballots);
    await NedbDigestRepository.indexes(dbs.digests);
    await NedbConversationAddressRepository.indexes(dbs.conversations);
    await NedbAuditRepository.indexes(dbs.audit);
    await NedbApiTokenRepository.indexes(dbs.api_tokens);
    await NedbInstallationRepository.indexes(dbs.installation_links);
    if (options.dataDir) {
      timer = setInterval(() => {
        // A check still running (a long rewrite) is not started twice. A failed rewrite (a full
        // disk) leaves the file as it was, with every write in it, and is tried again next time.
        checking ??= compactWhereWorth()
          .catch(() => undefined)
          .finally(() => (checking = undefined));
      }, options.compactionIntervalMs ?? 60_000);
      timer.unref();
    }

    return {
      kind: 'embedded',
      workspaces: new NedbWorkspaceRepository(dbs.workspaces),
      pebbles: new NedbPebbleRepository(dbs.pebbles, dbs.sequences, dbs.supports),
      events: new NedbProcessedEventRepository(dbs.events),
      improvements: new NedbImprovementRepository(dbs.improvements, dbs.sequences),
      outbox: new NedbOutboxRepository(dbs.outbox),
      leases: new NedbLeaseRepository(dbs.leases),
      votes: new NedbVoteRepository(dbs.votes, dbs.sequences),
      metrics: new NedbMetricsRepository({
        pebbles: dbs.pebbles,
        improvements: dbs.improvements,
        outbox: dbs.outbox,
        votes: dbs.votes,
        supports: dbs.supports,
      }),
      digests: new NedbDigestRepository(dbs.digests),
      conversations: new NedbConversationAddressRepository(dbs.conversations),
      aiUsage: new NedbAiUsageRepository(dbs.ai_usage),
      embeddings: new NedbEmbeddingCacheRepository(dbs.embeddings),
      audit: new NedbAuditRepository(dbs.audit),
      apiTokens: new NedbApiTokenRepository(dbs.api_tokens),
      dataRights: new NedbDataRightsRepository(dbs, dbs.api_tokens, eraseStaleLines),
      installations: new NedbInstallationRepository(dbs.installations, dbs.installation_links),
      ballots: new NedbBallotRepository(
        dbs.ballots,
        options.dataDir ? [dbs.ballots, dbs.votes] : [],
      ),
      ping: () => (lost ? Promise.reject(lost) : Promise.resolve()),
      // Once: a second close would find every write refused.
      close: () =>
        (closing ??= (async () => {
          clearInterval(timer);
          await checking;
          await rewriting;
          for (const db of Object.values(dbs)) {
            db.stopAutocompaction();
            if (options.dataDir && !lost) await db.compactDatafileAsync();
          }
          // Work still under way when the app stopped waiting (a delivery held back by a
          // platform's rate limit) must not reopen a file once the folder is unlocked: another
          // process may own it by then.
          if (options.dataDir)
            for (const db of Object.values(dbs))
              refuseWrites(
                db,
                lost ??
                  new PebbleError(
                    'STORE.UNAVAILABLE',
                    'The embedded store is closed: Pebblebot is stopping.',
                  ),
              );
          await unlock();
        })()),
    };
  } catch (error) {
    clearInterval(timer);
    await unlock();
    throw error;
  }
}
