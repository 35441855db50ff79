import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { openMongoStore } from '../../src/store/mongo/mongo.store.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { NewPebble, Store } from '../../src/core/ports/store.port.js';

const uri = process.env.MONGODB_URI;

function pebble(
  workspaceId: string,
  title: string,
  channelId?: string,
  messageTs?: string,
): NewPebble {
  const at = new Date('2026-01-05T09:00:00Z');
  return {
    workspaceId,
    title,
    description: '',
    stakeholder: 'customer',
    anonymous: false,
    reporter: { userId: 'U-1' },
    source: {
      kind: 'reaction',
      ...(channelId ? { channelId } : {}),
      ...(messageTs ? { messageTs } : {}),
    },
    status: 'new',
    createdAt: at,
    updatedAt: at,
    history: [{ at, actor: 'U-1', action: 'reported' }],
  };
}

const dbName = `pebblebot_test_src_${randomUUID().slice(0, 8)}`;
const adapters: [string, () => Promise<Store>][] = [['embedded', () => openEmbeddedStore()]];
if (uri) adapters.push(['mongodb', () => openMongoStore({ uri, dbName })]);

afterAll(async () => {
  if (!uri) return;
  const client = new MongoClient(uri);
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
});

describe.each(adapters)('%s store: pebbles by source message', (_name, open) => {
  it('finds the pebble reported from one message (channel and ts both match)', async () => {
    const store = await open();
    try {
      const ws = `test:${randomUUID()}`;
      await store.pebbles.create(pebble(ws, 'From C1/1.1', 'C1', '1.1'));
      await store.pebbles.create(pebble(ws, 'From C2/1.1', 'C2', '1.1'));
      await store.pebbles.create(pebble(ws, 'No source message'));
      const page = await store.pebbles.list(ws, {
        sourceMessage: { channelId: 'C1', messageTs: '1.1' },
      });
      expect(page.items.map((p) => p.title)).toEqual(['From C1/1.1']);
      expect(
        (await store.pebbles.list(ws, { sourceMessage: { channelId: 'C1', messageTs: '2.2' } }))
          .total,
      ).toBe(0);
      expect(
        (
          await store.pebbles.list(`test:${randomUUID()}`, {
            sourceMessage: { channelId: 'C1', messageTs: '1.1' },
          })
        ).total,
      ).toBe(0);
    } finally {
      await store.close();
    }
  });
});
