import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, describe } from 'vitest';
import { openMongoStore } from '../../src/store/mongo/mongo.store.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import { describeInstallationContract } from './installations.contract.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describeInstallationContract('embedded (nedb in memory)', () => openEmbeddedStore());
describeInstallationContract('embedded (nedb on a DATA_DIR folder)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pebblebot-installations-store-'));
  dirs.push(dir);
  return openEmbeddedStore({ dataDir: dir });
});

const uri = process.env.MONGODB_URI;
const dbName = `pebblebot_installations_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;

(uri ? describe : describe.skip)('mongodb installations', () => {
  afterAll(async () => {
    const client = new MongoClient(uri!);
    try {
      await client.db(dbName).dropDatabase();
    } finally {
      await client.close();
    }
  });
  describeInstallationContract('mongodb', () =>
    openMongoStore({ uri: uri!, dbName, appName: 'pebblebot-tests' }),
  );
});
