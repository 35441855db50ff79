import path from 'node:path';
import type { PebbleError } from '../../core/shared/errors.js';
import type { Store } from '../../core/ports/store.port.js';
import { lockDataDir, type DataLock } from './data-lock.js';
import { readAndCompactInChunks } from './data-file.js';
import { appendThroughOpenFile, Datastore } from './datastore.js';
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
  /** How often the append-only files are rewritten compactly. */
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
  const descriptors: (() => void)[] = [];
  let lost: PebbleError | undefined;
  const onCompromised = (error: PebbleError) => {
    if (lost) return;
    lost = error;
    for (const db of Object.values(dbs)) refuseWrites(db, error);
    (options.onLockLost ?? ((e) => process.stderr.write(`${e.message}\n`)))(error);
  };
  const lock: DataLock = options.dataDir
    ? await lockDataDir(options.dataDir, { ...options.lock, onCompromised })
    : { release: () => Promise.resolve() };
  const unlock = () => {
    for (const release of descriptors.splice(0)) release();
    return lock.release();
  };
  try {
    for (const name of COLLECTIONS) {
      dbs[name] = options.dataDir
        ? new Datastore({ filename: path.join(options.dataDir, `${name}.db`) })
        : new Datastore({ inMemoryOnly: true });
      readAndCompactInChunks(dbs[name]);
      descriptors.push(appendThroughOpenFile(dbs[name]));
      if (lost) refuseWrites(dbs[name], lost);
      await dbs[name].loadDatabaseAsync();
      if (options.dataDir)
        dbs[name].setAutocompactionInterval(options.compactionIntervalMs ?? 10 * 60_000);
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
      dataRights: new NedbDataRightsRepository(dbs, dbs.api_tokens),
      installations: new NedbInstallationRepository(dbs.installations, dbs.installation_links),
      ballots: new NedbBallotRepository(
        dbs.ballots,
        options.dataDir ? [dbs.ballots, dbs.votes] : [],
      ),
      ping: () => (lost ? Promise.reject(lost) : Promise.resolve()),
      close: async () => {
        for (const db of Object.values(dbs)) {
          db.stopAutocompaction();
          if (options.dataDir && !lost) await db.compactDatafileAsync();
        }
        await unlock();
      },
    };
  } catch (error) {
    await unlock();
    throw error;
  }
}
