import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { isPebbleError } from '../../src/core/shared/errors.js';
import { redactUri } from '../../src/store/mongo/mongo.errors.js';
import { openMongoStore, type MongoServerInfo } from '../../src/store/mongo/mongo.store.js';
import { expectMigratedSupports, legacyPebble } from './legacy-supports.js';
import { describeStoreContract, type StoreContractOptions } from './store.contract.js';

const uri = process.env.MONGODB_URI;
/** One database per run of this file, dropped at the end, so runs never see each other's data. */
const dbName = `pebblebot_test_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;

let server: MongoServerInfo | undefined;
if (uri) {
  const probe = await openMongoStore({ uri, dbName });
  server = probe.server;
  await probe.close();
} else {
  console.warn(
    'MongoDB contract suite skipped: set MONGODB_URI to run it (CI runs it against FerretDB).',
  );
}

const contractOptions: StoreContractOptions = {
  async resetSequence(_store, workspaceId) {
    const client = new MongoClient(uri!);
    try {
      await client
        .db(dbName)
        .collection<{ _id: string; seq: number }>('sequences')
        .updateOne({ _id: `${workspaceId}:pebble` }, { $set: { seq: 0 } });
    } finally {
      await client.close();
    }
  },
};
if (server?.product === 'ferretdb') {
  contractOptions.nonAtomicDocumentUpdates =
    `FerretDB ${server.version} applies an update by reading the document, changing it and ` +
    'writing it back without isolation, so concurrent updates of one document overwrite each ' +
    'other (real MongoDB runs these tests).';
}

(uri ? describe : describe.skip)('mongodb store', () => {
  afterAll(async () => {
    const client = new MongoClient(uri!);
    try {
      await client.db(dbName).dropDatabase();
    } finally {
      await client.close();
    }
  });

  describeStoreContract(
    `mongodb (${server?.product ?? 'server'} ${server?.version ?? ''} at ${uri ? redactUri(uri) : '-'}, database ${dbName})`,
    () => openMongoStore({ uri: uri!, dbName, appName: 'pebblebot-tests' }),
    contractOptions,
  );

  it('creates the indexes the repositories rely on', async () => {
    const client = new MongoClient(uri!);
    try {
      const indexes = await client.db(dbName).collection('pebbles').listIndexes().toArray();
      expect(indexes).toContainEqual(
        expect.objectContaining({ key: { workspaceId: 1, number: 1 }, unique: true }),
      );
      expect(indexes).toContainEqual(
        expect.objectContaining({ key: { workspaceId: 1, status: 1 } }),
      );
      expect(indexes).toContainEqual(
        expect.objectContaining({ key: { workspaceId: 1, createdAt: 1 } }),
      );
      const events = await client.db(dbName).collection('events').listIndexes().toArray();
      expect(events).toContainEqual(expect.objectContaining({ key: { expiresAt: 1 } }));
    } finally {
      await client.close();
    }
  });

  it('sweeps expired processed-event claims, so their keys can be claimed again', async () => {
    const store = await openMongoStore({ uri: uri!, dbName });
    try {
      const key = `evt-${randomUUID()}`;
      expect(await store.events.claim(key, new Date(Date.now() - 1_000))).toBe(true);
      const events = store.events as unknown as { sweep(): Promise<number> };
      await events.sweep();
      expect(await store.events.claim(key, new Date(Date.now() + 60_000))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('moves the supporters an older version kept inside pebbles into support documents, once', async () => {
    const client = new MongoClient(uri!);
    const workspaceId = `test:${randomUUID()}`;
    const at = (m: number) => new Date(Date.parse('2026-01-05T10:00:00Z') + m * 60_000);
    try {
      await client
        .db(dbName)
        .collection<{ _id: string }>('pebbles')
        .insertOne(legacyPebble(randomUUID(), workspaceId, at));
      for (let open = 0; open < 2; open++) {
        const store = await openMongoStore({ uri: uri!, dbName });
        try {
          await expectMigratedSupports(store, workspaceId);
        } finally {
          await store.close();
        }
      }
      const raw = await client.db(dbName).collection('pebbles').findOne({ workspaceId });
      expect(raw).not.toHaveProperty('supporters');
      expect(await client.db(dbName).collection('supports').countDocuments({ workspaceId })).toBe(
        2,
      );
    } finally {
      await client.close();
    }
  });

  it('refuses a stored document that breaks the domain schema', async () => {
    const client = new MongoClient(uri!);
    const store = await openMongoStore({ uri: uri!, dbName });
    try {
      const workspaceId = `test:${randomUUID()}`;
      await client
        .db(dbName)
        .collection<{ _id: string }>('pebbles')
        .insertOne({
          _id: randomUUID(),
          workspaceId,
          number: 1,
          title: '',
          status: 'lost',
        } as { _id: string });
      await expect(store.pebbles.get(workspaceId, 1)).rejects.toThrow();
    } finally {
      await store.close();
      await client.close();
    }
  });
});

describe('mongodb store: connection failures', () => {
  it('fails fast with STORE.UNAVAILABLE when nothing listens on MONGODB_URI', async () => {
    const started = Date.now();
    const error = await openMongoStore({
      uri: 'mongodb://ana:s3cret-Pa55@127.0.0.1:1/pebbles?authSource=admin',
      dbName: 'pebbles',
    }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;

    expect(isPebbleError(error, 'STORE.UNAVAILABLE')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('MONGODB_URI');
    expect(message).toContain('mongodb://ana:***@127.0.0.1:1/pebbles');
    expect(message).not.toContain('s3cret');
    expect(elapsed).toBeLessThan(10_000);
  });

  it('names MONGODB_URI when it is not a connection string', async () => {
    const error = await openMongoStore({ uri: 'http://user:pw@db.example', dbName: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(isPebbleError(error, 'STORE.UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('MONGODB_URI');
    expect((error as Error).message).not.toContain('pw');
  });

  it('shows connection strings without passwords or options', () => {
    expect(redactUri('mongodb://ana:p%40ss@db1:27017,db2:27017/pebbles?replicaSet=rs0')).toBe(
      'mongodb://ana:***@db1:27017,db2:27017/pebbles',
    );
    expect(redactUri('mongodb+srv://svc@cluster0.example.net/')).toBe(
      'mongodb+srv://svc@cluster0.example.net/',
    );
    expect(redactUri('mongodb://127.0.0.1:27017')).toBe('mongodb://127.0.0.1:27017');
  });
});
