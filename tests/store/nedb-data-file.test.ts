import { createRequire } from 'node:module';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewPebble, Store } from '../../src/core/ports/store.port.js';
import { readAndCompactInChunks, readDataLines } from '../../src/store/nedb/data-file.js';
import { appendThroughOpenFile, Datastore } from '../../src/store/nedb/datastore.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';

const model = createRequire(import.meta.url)('@seald-io/nedb/lib/model.js') as {
  serialize(doc: unknown): string;
};

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pebblebot-datafile-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

/** Hands `text` over in pieces of `size` characters, as a file stream would. */
function inPieces(text: string, size: number): AsyncIterable<string> {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
  return Readable.from(pieces);
}

const WS = 'slack:T-datafile';

function pebble(title: string, description: string, day: number): NewPebble {
  const at = new Date(Date.UTC(2026, 0, 1 + day, 9));
  return {
    workspaceId: WS,
    title,
    description,
    stakeholder: 'employee',
    anonymous: false,
    reporter: { userId: 'U-1', name: 'Ann', team: 'Support' },
    source: { kind: 'console' },
    status: 'new',
    createdAt: at,
    updatedAt: at,
    history: [{ at, actor: 'U-1', action: 'created' }],
  };
}

describe('the embedded store’s data file reader', () => {
  it('reads lines split anywhere across pieces: the last line of a document wins, deletions and index lines apply', async () => {
    const lines = [
      { _id: 'a', n: 1, at: new Date('2026-01-01T00:00:00Z'), text: 'zwölf € 🙂' },
      { _id: 'b', n: 2 },
      { $$indexCreated: { fieldName: 'n', unique: false, sparse: false } },
      { $$indexCreated: { fieldName: 'gone', unique: false, sparse: false } },
      { _id: 'a', n: 3, at: new Date('2026-01-02T00:00:00Z'), text: 'zwölf € 🙂' },
      { _id: 'b', $$deleted: true },
      { $$indexRemoved: 'gone' },
      { _id: 'c', n: 4 },
    ];
    const text = lines.map((l) => model.serialize(l)).join('\n');
    for (const size of [1, 3, 7, 64, text.length]) {
      const { data, indexes } = await readDataLines(inPieces(text, size), {
        corruptAlertThreshold: 0.1,
      });
      expect(data).toEqual([
        { _id: 'a', n: 3, at: new Date('2026-01-02T00:00:00Z'), text: 'zwölf € 🙂' },
        { _id: 'c', n: 4 },
      ]);
      expect(indexes).toEqual({ n: { fieldName: 'n', unique: false, sparse: false } });
    }
  });

  it('keeps a document whose text holds line and paragraph separators (nedb’s own reader cut it in two and dropped it)', async () => {
    const title = 'Line\u2028separator, paragraph\u2029separator, next\u0085line, \v \f \r';
    const doc = { _id: 'a', title, at: new Date('2026-01-01T00:00:00Z') };
    const { data } = await readDataLines(inPieces(`${model.serialize(doc)}\n`, 5), {
      corruptAlertThreshold: 0,
    });
    expect(data).toEqual([doc]);
  });

  it('refuses a file with too many unreadable lines, and tolerates a few', async () => {
    const good = Array.from({ length: 9 }, (_, i) => model.serialize({ _id: `d${i}` }));
    const text = [...good, '{"_id":"torn'].join('\n');
    const read = (threshold: number) =>
      readDataLines(inPieces(text, 16), { corruptAlertThreshold: threshold });
    expect((await read(0.1)).data).toHaveLength(9);
    await expect(read(0.05)).rejects.toThrow(/10% of the data file is corrupt/);
  });

  it('reads every date as a Date, equal dates of one document as equal values', async () => {
    const at = new Date('2026-03-01T10:00:00Z');
    const doc = { _id: 'a', createdAt: at, updatedAt: at, history: [{ at }, { at: new Date(0) }] };
    const [read] = (
      await readDataLines(inPieces(model.serialize(doc), 10), {
        corruptAlertThreshold: 0,
      })
    ).data;
    expect(read).toEqual(doc);
    expect(read!.createdAt).toBeInstanceOf(Date);
  });
});

describe('the embedded store on a folder larger than a compaction chunk', () => {
  it('returns identical documents after close and reopen, and its files read back the same', async () => {
    const dir = await tempDir();
    const first = await openEmbeddedStore({ dataDir: dir });
    await first.workspaces.ensure({
      id: WS,
      platform: 'slack',
      externalId: 'T-datafile',
      settings: (await import('../../src/core/workspaces/workspace.model.js')).defaultSettings(),
      createdAt: new Date('2026-01-01T00:00:00Z'),
      updatedAt: new Date('2026-01-01T00:00:00Z'),
    });
    // ~3 MB of pebbles: the compaction writes its copy in several pieces.
    const long = 'ä'.repeat(2_000);
    for (let i = 0; i < 700; i++)
      await first.pebbles.create(
        pebble(i % 100 === 0 ? `Title\u2028with a separator ${i}` : `Pebble ${i}`, long, i % 60),
      );
    await first.pebbles.update(WS, 7, {
      set: { status: 'triaged' },
      history: { at: new Date('2026-03-01T09:00:00Z'), actor: 'U-2', action: 'status' },
    });
    await first.pebbles.addSupporter(
      WS,
      7,
      { userId: 'U-3', team: 'Ops', at: new Date('2026-03-02T09:00:00Z') },
      { at: new Date('2026-03-02T09:00:00Z'), actor: 'U-3', action: 'supported' },
    );
    const before = await first.pebbles.list(WS, undefined, {
      sort: { field: 'number', direction: 'asc' },
    });
    await first.close();
    const compacted = await readFile(path.join(dir, 'pebbles.db'), 'utf8');
    expect(Buffer.byteLength(compacted)).toBeGreaterThan(2 * (1 << 20));

    let second: Store | undefined = await openEmbeddedStore({ dataDir: dir });
    try {
      const after = await second.pebbles.list(WS, undefined, {
        sort: { field: 'number', direction: 'asc' },
      });
      expect(after.total).toBe(700);
      expect(after).toEqual(before);
      expect((await second.pebbles.get(WS, 7))?.supporterCount).toBe(1);
      // The copy written at this open is line for line what nedb itself writes.
      const db = (second.pebbles as unknown as { db: Datastore }).db;
      const expected = db
        .getAllData()
        .map((doc) => `${model.serialize(doc)}\n`)
        .join('');
      const index = { fieldName: 'number,workspaceId', unique: true, sparse: false };
      const reopened = await readFile(path.join(dir, 'pebbles.db'), 'utf8');
      // (then what this open appended: the removal of an index older versions had)
      expect(
        reopened.startsWith(`${expected}${model.serialize({ $$indexCreated: index })}\n`),
      ).toBe(true);
    } finally {
      await second.close();
      second = undefined;
    }
  });
});

describe('the embedded store’s compaction', () => {
  it('writes its copy a piece at a time instead of holding the whole file in memory', async () => {
    const dir = await tempDir();
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      const db = (store.pebbles as unknown as { db: Datastore }).db;
      const text = 'x'.repeat(8_000);
      // In small batches, so no large buffer of the inserts is still waiting for collection.
      for (let from = 0; from < 3_000; from += 50)
        await db.insertAsync(
          Array.from({ length: 50 }, (_, i) => ({
            ...pebble(`Pebble ${from + i}`, text, i),
            number: from + i + 1,
          })),
        );
      // ~24 MB of lines. nedb's own compaction queued every line on a write stream at once,
      // so their buffers (outside the heap) grew towards the size of the file.
      let peak = 0;
      let sampling = true;
      const base = process.memoryUsage().arrayBuffers;
      const sample = () => {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
        if (sampling) setImmediate(sample);
      };
      sample();
      await db.compactDatafileAsync();
      sampling = false;
      expect(Buffer.byteLength(await readFile(path.join(dir, 'pebbles.db'))) > 24e6).toBe(true);
      expect(peak).toBeLessThan(6 * (1 << 20));
    } finally {
      await store.close();
    }
  });
});

describe('the embedded store’s compaction beside the queue', () => {
  async function openFile(dir: string) {
    const db = new Datastore({ filename: path.join(dir, 'things.db') });
    readAndCompactInChunks(db);
    const file = appendThroughOpenFile(db);
    await db.loadDatabaseAsync();
    return { db, file };
  }

  it('serves writes while it rewrites, and the file keeps every one of them', async () => {
    const dir = await tempDir();
    const { db, file } = await openFile(dir);
    try {
      for (let n = 0; n < 2_000; n += 100)
        await db.insertAsync(Array.from({ length: 100 }, (_, i) => ({ _id: `t${n + i}`, n: 0 })));
      for (let i = 0; i < 2_000; i++) await db.updateAsync({ _id: `t${i}` }, { $set: { n: 1 } });
      expect(file.lines()).toBe(4_000);
      const order: string[] = [];
      const compaction = file
        .compactBesideQueue(() => false)
        .then((done) => {
          order.push('compacted');
          return done;
        });
      // Queued after the compaction took its documents: served while the copy is written.
      const writes = Promise.all([
        db.insertAsync({ _id: 'during', n: 7 }),
        db.updateAsync({ _id: 't1' }, { $set: { n: 2 } }),
        db.removeAsync({ _id: 't2' }, {}),
      ]).then(() => order.push('written'));
      await Promise.all([compaction, writes]);
      expect(await compaction).toBe(true);
      expect(order).toEqual(['written', 'compacted']);
      // The 2,000 documents once each, and the three writes made during the rewrite.
      expect(file.lines()).toBe(2_003);
      await db.insertAsync({ _id: 'after', n: 8 });
    } finally {
      // What a kill -9 leaves: the file as it is now, read as the next start reads it.
      file.close();
    }
    const text = await readFile(path.join(dir, 'things.db'), 'utf8');
    expect(text.split('\n').filter(Boolean).length).toBeLessThan(2_010);
    const again = await openFile(dir);
    try {
      expect(await again.db.countAsync({})).toBe(2_001);
      expect(await again.db.findOneAsync({ _id: 't1' })).toMatchObject({ n: 2 });
      expect(await again.db.findOneAsync({ _id: 't2' })).toBeNull();
      expect(await again.db.findOneAsync({ _id: 't3' })).toMatchObject({ n: 1 });
      expect(await again.db.findOneAsync({ _id: 'during' })).toMatchObject({ n: 7 });
      expect(await again.db.findOneAsync({ _id: 'after' })).toMatchObject({ n: 8 });
      expect(await readdir(dir)).toEqual(['things.db']);
    } finally {
      again.file.close();
    }
  });

  it('gives up, leaving the file as it was, when writes are refused meanwhile', async () => {
    const dir = await tempDir();
    const { db, file } = await openFile(dir);
    try {
      for (let i = 0; i < 50; i++) await db.updateAsync({ _id: 'one' }, { n: i }, { upsert: true });
      const before = await readFile(path.join(dir, 'things.db'), 'utf8');
      let refused = false;
      const compaction = file.compactBesideQueue(() => refused);
      refused = true;
      expect(await compaction).toBe(false);
      expect(await readFile(path.join(dir, 'things.db'), 'utf8')).toBe(before);
      expect(await readdir(dir)).toEqual(['things.db']);
    } finally {
      file.close();
    }
  });
});
