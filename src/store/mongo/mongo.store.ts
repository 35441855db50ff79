import {
  MongoApiTokenRepository,
  MongoAuditRepository,
  MongoDataRightsRepository,
} from './governance.mongo.js';
import { MongoClient, type Db } from 'mongodb';
import { PebbleError } from '../../core/shared/errors.js';
import type { Store } from '../../core/ports/store.port.js';
import {
  MongoConversationAddressRepository,
  type ConversationAddressDoc,
} from './conversations.mongo.js';
import {
  MongoInstallationRepository,
  type InstallationDoc,
  type InstallationLinkDoc,
} from './installations.mongo.js';
import { MongoProcessedEventRepository, type ProcessedEventDoc } from './events.mongo.js';
import type { ImprovementDoc } from '../improvement-operations.js';
import { MongoImprovementRepository } from './improvements.mongo.js';
import { MongoLeaseRepository, type LeaseDoc } from './leases.mongo.js';
import {
  MongoAiUsageRepository,
  MongoEmbeddingCacheRepository,
  type AiUsageDoc,
  type EmbeddingDoc,
} from './ai.mongo.js';
import { MongoBallotRepository, type BallotDoc } from './ballots.mongo.js';
import { MongoVoteRepository, type VoteDoc } from './votes.mongo.js';
import { MongoDigestRepository, type DigestDoc } from './digests.mongo.js';
import { MongoMetricsRepository, type MetricsCollections } from './metrics.mongo.js';
import { MongoOutboxRepository, type OutboxClaimDoc, type OutboxDoc } from './outbox.mongo.js';
import { redactUri, toStoreError } from './mongo.errors.js';
import { MongoPebbleRepository } from './pebbles.mongo.js';
import type { SequenceDoc } from './sequences.mongo.js';
import type { PebbleDoc, SupportDoc } from '../supports.js';
import { MongoWorkspaceRepository, type WorkspaceDoc } from './workspaces.mongo.js';

export interface MongoStoreOptions {
  /** MONGODB_URI. */
  uri: string;
  /** MONGODB_DB. */
  dbName: string;
  /** Shown in the server's logs and currentOp (default `pebblebot`). */
  appName?: string;
  /** How long an operation waits for a reachable server before failing (default 5000 ms). */
  serverSelectionTimeoutMS?: number;
}

/** What answered on MONGODB_URI. FerretDB speaks the protocol but lacks some features. */
export interface MongoServerInfo {
  product: 'mongodb' | 'ferretdb';
  version: string;
}

export type MongoStore = Store & { readonly kind: 'mongodb'; readonly server: MongoServerInfo };

/** How often expired processed-event claims are swept where the server has no TTL indexes. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * FerretDB 1.x (SQLite backend) gives each database a pool of 100 SQLite connections, and an
 * update holds one connection for its query while it waits for a second one to write: 100
 * concurrent updates on one database deadlock the server for good (seen with FerretDB 1.24.2
 * and 200 concurrent creates). Fewer client connections keep it well below that.
 */
const FERRETDB_MAX_POOL_SIZE = 40;

function createClient(options: MongoStoreOptions, maxPoolSize?: number): MongoClient {
  try {
    return new MongoClient(options.uri, {
      appName: options.appName ?? 'pebblebot',
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
      connectTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
      // Optional fields left undefined are omitted, never stored as null (the schemas reject null).
      ignoreUndefined: true,
      ...(maxPoolSize ? { maxPoolSize } : {}),
    });
  } catch {
    // NOTE: the parser's message may quote the password, so it is not passed on.
    throw new PebbleError(
      'STORE.UNAVAILABLE',
      `MONGODB_URI is not a valid MongoDB connection string: ${redactUri(options.uri)}. ` +
        'Expected mongodb://[user:password@]host[:port][/database] or mongodb+srv://…',
    );
  }
}

async function serverInfo(db: Db): Promise<MongoServerInfo> {
  const info = await db.admin().command({ buildInfo: 1 });
  if (typeof info.ferretdbVersion === 'string') {
    return { product: 'ferretdb', version: info.ferretdbVersion };
  }
  return {
    product: 'mongodb',
    version: typeof info.version === 'string' ? info.version : 'unknown',
  };
}

/**
 * The production store on the official driver. Fails fast (STORE.UNAVAILABLE) when the server
 * cannot be reached, and creates the indexes the repositories rely on. Every write is a single
 * atomic operation on one document (no transactions, no change streams), so it also runs on
 * MongoDB-compatible servers such as FerretDB; FerretDB 1.x however does not isolate
 * concurrent updates of one document (see tests/store/mongo.store.test.ts).
 */
export async function openMongoStore(options: MongoStoreOptions): Promise<MongoStore> {
  let client = createClient(options);
  let sweeper: NodeJS.Timeout | undefined;
  try {
    await client.connect();
    const server = await serverInfo(client.db(options.dbName));
    if (server.product === 'ferretdb' && client.options.maxPoolSize > FERRETDB_MAX_POOL_SIZE) {
      await client.close();
      client = createClient(options, FERRETDB_MAX_POOL_SIZE);
      await client.connect();
    }
    const db = client.db(options.dbName);
    const pebbles = db.collection<PebbleDoc>('pebbles');
    const supports = db.collection<SupportDoc>('supports');
    const events = db.collection<ProcessedEventDoc>('events');
    await MongoPebbleRepository.indexes(pebbles, supports);
    await MongoPebbleRepository.migrate(pebbles, supports);
    const improvements = db.collection<ImprovementDoc>('improvements');
    const outbox = db.collection<OutboxDoc>('outbox');
    const outboxClaims = db.collection<OutboxClaimDoc>('outbox_claims');
    await MongoImprovementRepository.indexes(improvements);
    await MongoOutboxRepository.indexes(outbox, outboxClaims);
    const votes = db.collection<VoteDoc>('votes');
    const ballots = db.collection<BallotDoc>('ballots');
    await MongoVoteRepository.indexes(votes);
    await MongoBallotRepository.indexes(ballots);
    const digests = db.collection<DigestDoc>('digests');
    await MongoDigestRepository.indexes(digests);
    const conversations = db.collection<ConversationAddressDoc>('conversations');
    await MongoConversationAddressRepository.indexes(conversations);
    const installationLinks = db.collection<InstallationLinkDoc>('installation_links');
    await MongoInstallationRepository.indexes(installationLinks);
    const metricCollections: MetricsCollections = {
      pebbles: db.collection('pebbles'),
      improvements: db.collection('improvements'),
      outbox: db.collection('outbox'),
      votes: db.collection('votes'),
      supports: db.collection('supports'),
    };
    await MongoMetricsRepository.indexes(metricCollections);
    const { expiresByTtl } = await MongoProcessedEventRepository.indexes(events);

    const eventRepository = new MongoProcessedEventRepository(events);
    const audit = db.collection<{ _id: string }>('audit');
    const apiTokens = db.collection<{ _id: string }>('api_tokens');
    await MongoAuditRepository.indexes(audit);
    await MongoApiTokenRepository.indexes(apiTokens);
    if (!expiresByTtl) {
      sweeper = setInterval(() => {
        eventRepository.sweep().catch(() => undefined);
      }, SWEEP_INTERVAL_MS);
      sweeper.unref();
    }

    return {
      kind: 'mongodb',
      server,
      workspaces: new MongoWorkspaceRepository(db.collection<WorkspaceDoc>('workspaces')),
      pebbles: new MongoPebbleRepository(
        pebbles,
        db.collection<SequenceDoc>('sequences'),
        supports,
      ),
      events: eventRepository,
      improvements: new MongoImprovementRepository(
        improvements,
        db.collection<SequenceDoc>('sequences'),
      ),
      outbox: new MongoOutboxRepository(outbox, outboxClaims),
      leases: new MongoLeaseRepository(db.collection<LeaseDoc>('leases')),
      votes: new MongoVoteRepository(votes, db.collection<SequenceDoc>('sequences')),
      ballots: new MongoBallotRepository(ballots),
      metrics: new MongoMetricsRepository(metricCollections),
      digests: new MongoDigestRepository(digests),
      conversations: new MongoConversationAddressRepository(conversations),
      aiUsage: new MongoAiUsageRepository(db.collection<AiUsageDoc>('ai_usage')),
      embeddings: new MongoEmbeddingCacheRepository(db.collection<EmbeddingDoc>('embeddings')),
      audit: new MongoAuditRepository(audit),
      apiTokens: new MongoApiTokenRepository(apiTokens),
      dataRights: new MongoDataRightsRepository(db),
      installations: new MongoInstallationRepository(
        db.collection<InstallationDoc>('installations'),
        installationLinks,
      ),
      ping: async () => {
        try {
          await db.command({ ping: 1 });
        } catch (error) {
          throw toStoreError(error, options.uri);
        }
      },
      close: async () => {
        if (sweeper) clearInterval(sweeper);
        await client.close();
      },
    };
  } catch (error) {
    if (sweeper) clearInterval(sweeper);
    await client.close().catch(() => undefined);
    throw toStoreError(error, options.uri);
  }
}
