import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, describe } from 'vitest';
import type { Store } from '../../src/core/ports/store.port.js';
import { openMongoStore } from '../../src/store/mongo/mongo.store.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';

/** What a contract may skip on a server that lacks single-document isolation (FerretDB). */
export interface AtomicityOptions {
  nonAtomicDocumentUpdates?: string;
}

type DescribeContract<O> = (name: string, makeStore: () => Promise<Store>, options?: O) => void;

/**
 * Runs one store contract on every adapter: the embedded store in memory and on a DATA_DIR
 * folder, and MongoDB when MONGODB_URI is set (skipped, and said so, otherwise). With
 * `probeAtomicity`, a FerretDB server is told to the contract so it skips, naming why, what
 * needs single-document isolation.
 */
export async function describeOnEveryStore<O extends AtomicityOptions>(
  topic: string,
  describeContract: DescribeContract<O>,
  { probeAtomicity = false }: { probeAtomicity?: boolean } = {},
): Promise<void> {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  describeContract('embedded (nedb in memory)', () => openEmbeddedStore());
  describeContract('embedded (nedb on a DATA_DIR folder)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), `pebblebot-${topic}-store-`));
    dirs.push(dir);
    return openEmbeddedStore({ dataDir: dir });
  });

  const uri = process.env.MONGODB_URI;
  const dbName = `pebblebot_${topic}_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;
  const options = {} as O;
  if (uri && probeAtomicity) {
    const probe = await openMongoStore({ uri, dbName });
    if (probe.server.product === 'ferretdb')
      options.nonAtomicDocumentUpdates = `FerretDB ${probe.server.version} does not isolate concurrent updates of one document.`;
    await probe.close();
  }
  (uri ? describe : describe.skip)(`mongodb ${topic} store`, () => {
    afterAll(async () => {
      const client = new MongoClient(uri!);
      try {
        await client.db(dbName).dropDatabase();
      } finally {
        await client.close();
      }
    });
    describeContract(
      'mongodb',
      () => openMongoStore({ uri: uri!, dbName, appName: 'pebblebot-tests' }),
      options,
    );
  });
}
