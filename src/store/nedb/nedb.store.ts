import path from 'node:path';
import type { Store } from '../store.port.js';
import { lockDataDir } from './data-lock.js';
import { Datastore } from './datastore.js';
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
  'ai_usage',
  'embeddings',
] as const;
type CollectionName = (typeof COLLECTIONS)[number];

/** The zero-setup store: nedb files in DATA_DIR, one process per folder. */
export async function openEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<Store> {
  const unlock = options.dataDir ? await lockDataDir(options.dataDir) : () => Promise.resolve();
  try {
    const dbs = {} as Record<CollectionName, Datastore>;
    for (const name of COLLECTIONS) {
      dbs[name] = options.dataDir
        ? new Datastore({ filename: path.join(options.dataDir, `${name}.db`) })
        : new Datastore({ inMemoryOnly: true });
      await dbs[name].loadDatabaseAsync();
      if (options.dataDir)
        dbs[name].setAutocompactionInterval(options.compactionIntervalMs ?? 10 * 60_000);
    }
    await NedbPebbleRepository.indexes(dbs.pebbles);
    await NedbProcessedEventRepository.indexes(dbs.events);
    await NedbImprovementRepository.indexes(dbs.improvements);
    await NedbOutboxRepository.indexes(dbs.outbox);
    await NedbVoteRepository.indexes(dbs.votes);
    await NedbBallotRepository.indexes(dbs.ballots);
    await NedbDigestRepository.indexes(dbs.digests);

    return {
      kind: 'embedded',
      workspaces: new NedbWorkspaceRepository(dbs.workspaces),
      pebbles: new NedbPebbleRepository(dbs.pebbles, dbs.sequences),
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
      }),
      digests: new NedbDigestRepository(dbs.digests),
      aiUsage: new NedbAiUsageRepository(dbs.ai_usage),
      embeddings: new NedbEmbeddingCacheRepository(dbs.embeddings),
      ballots: new NedbBallotRepository(
        dbs.ballots,
        options.dataDir ? [dbs.ballots, dbs.votes] : [],
      ),
      ping: () => Promise.resolve(),
      close: async () => {
        for (const db of Object.values(dbs)) {
          db.stopAutocompaction();
          if (options.dataDir) await db.compactDatafileAsync();
        }
        await unlock();
      },
    };
  } catch (error) {
    await unlock();
    throw error;
  }
}
