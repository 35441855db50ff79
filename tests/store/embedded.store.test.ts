import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { OPEN_STATUSES } from '../../src/core/pebbles/pebble.model.js';
import { defaultSettings } from '../../src/core/workspaces/workspace.model.js';
import { isPebbleError } from '../../src/core/shared/errors.js';
import type { Datastore } from '../../src/store/nedb/datastore.js';
import { COMPACTION_FLOOR } from '../../src/store/nedb/data-file.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { NewPebble, Store } from '../../src/core/ports/store.port.js';
import { expectMigratedSupports, legacyPebble } from './legacy-supports.js';
import { describeStoreContract } from './store.contract.js';

const LOCK_FILE = 'pebblebot.lock';
const tempDirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pebblebot-store-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

/**
 * How many documents each query of `db` hands to nedb's matcher from now on: nedb's own step
 * that picks the documents a query then matches one by one.
 */
function countMatched(db: Datastore): number[] {
  const internals = db as unknown as {
    _getCandidatesAsync(...args: unknown[]): Promise<unknown[]>;
  };
  const candidates = internals._getCandidatesAsync.bind(db);
  const matched: number[] = [];
  internals._getCandidatesAsync = async (...args) => {
    const found = await candidates(...args);
    matched.push(found.length);
    return found;
  };
  return matched;
}

/** Reaches into the nedb adapter to rewind a counter (test only: proves the unique index holds). */
async function resetSequence(store: Store, workspaceId: string): Promise<void> {
  const { sequences } = store.pebbles as unknown as { sequences: Datastore };
  await sequences.updateAsync({ _id: `${workspaceId}:pebble` }, { $set: { seq: 0 } }, {});
}

describeStoreContract('embedded (nedb in memory)', () => openEmbeddedStore(), { resetSequence });
describeStoreContract(
  'embedded (nedb on a DATA_DIR folder)',
  async () => openEmbeddedStore({ dataDir: await tempDir() }),
  { resetSequence },
);

function pebble(workspaceId: string, title: string): NewPebble {
  const at = new Date('2026-01-05T09:00:00Z');
  return {
    workspaceId,
    title,
    description: '',
    stakeholder: 'employee',
    anonymous: true,
    reporter: { userId: 'U-1' },
    source: { kind: 'console' },
    status: 'new',
    createdAt: at,
    updatedAt: at,
    history: [{ at, actor: 'U-1', action: 'created' }],
  };
}

/** A process that stays alive until killed; its pid stands for "another Pebblebot". */
function liveProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

describe('embedded store: processed-event claims', () => {
  afterEach(() => vi.useRealTimers());

  it('sweeps out claims past their expiry, which nedb alone would keep in memory for good', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = await openEmbeddedStore();
    const { db } = store.events as unknown as { db: Datastore };
    const inAMinute = new Date(Date.now() + 60_000);
    for (let i = 0; i < 100; i++) await store.events.claim(`evt-old-${i}`, inAMinute);
    await store.events.claim('evt-kept', new Date(Date.now() + 3_600_000));
    expect(db.getAllData()).toHaveLength(101);

    vi.setSystemTime(Date.now() + 2 * 60_000);
    expect(await store.events.claim('evt-new', new Date(Date.now() + 60_000))).toBe(true);
    await vi.waitFor(() => expect(db.getAllData()).toHaveLength(2));
    expect(await store.events.claim('evt-kept', new Date())).toBe(false);
    await store.close();
  });
});

describe('embedded store: open pebbles', () => {
  it('lists the newest open pebbles without matching every pebble', async () => {
    const store = await openEmbeddedStore();
    const ws = 'slack:T-open';
    for (let i = 1; i <= 300; i++) await store.pebbles.create(pebble(ws, `Pebble ${i}`));
    const { db } = store.pebbles as unknown as { db: Datastore };
    const matched = countMatched(db);
    const page = await store.pebbles.list(ws, { status: [...OPEN_STATUSES] }, { limit: 5 });
    expect(page.items.map((p) => p.number)).toEqual([300, 299, 298, 297, 296]);
    expect(page.total).toBe(300);
    expect(Math.max(0, ...matched)).toBeLessThanOrEqual(1);
    await store.close();
  });

  it('lists pebbles by status and reporter alone without nedb matching every pebble', async () => {
    const store = await openEmbeddedStore();
    const ws = 'slack:T-status';
    for (let i = 1; i <= 300; i++) await store.pebbles.create(pebble(ws, `Pebble ${i}`));
    await store.pebbles.create(pebble('slack:T-other', 'Elsewhere'));
    for (const number of [7, 70, 170])
      await store.pebbles.update(ws, number, {
        set: { status: 'resolved' },
        history: { at: new Date(), actor: 'U-1', action: 'resolved' },
      });
    const { db } = store.pebbles as unknown as { db: Datastore };
    const matched = countMatched(db);
    const resolved = await store.pebbles.list(
      ws,
      { status: ['resolved'] },
      { sort: { field: 'updatedAt', direction: 'desc' }, limit: 2 },
    );
    expect(resolved.items.map((p) => p.number)).toEqual([170, 70]);
    expect(resolved.total).toBe(3);
    const all = await store.pebbles.list(
      ws,
      {},
      { sort: { field: 'number', direction: 'asc' }, limit: 1 },
    );
    expect(all.items.map((p) => p.number)).toEqual([1]);
    expect(all.total).toBe(300);
    const mine = await store.pebbles.list(ws, { reporterId: 'U-1', status: ['new'] }, { limit: 2 });
    expect(mine.items.map((p) => p.number)).toEqual([300, 299]);
    expect(mine.total).toBe(297);
    expect(Math.max(0, ...matched)).toBeLessThanOrEqual(1);
    await store.close();
  });
});

describe('embedded store: what pebbles and +1s hold in memory', () => {
  const stored = (store: Store) =>
    store.pebbles as unknown as { db: Datastore; supports: Datastore };
  const day = (d: number) => new Date(Date.parse('2026-01-05T09:00:00Z') + d * 86_400_000);

  it('holds their times as numbers, in memory and in the file, and hands them out as Dates', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-times';
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      for (const d of [0, 1, 2])
        await store.pebbles.create({
          ...pebble(ws, `Day ${d}`),
          createdAt: day(d),
          updatedAt: day(d),
        });
      await store.pebbles.addSupporter(
        ws,
        2,
        { userId: 'U-2', at: day(3) },
        { at: day(3), actor: 'U-2', action: 'supported' },
      );
      await store.pebbles.update(ws, 2, {
        set: { status: 'triaged' },
        history: { at: day(4), actor: 'U-1', action: 'triaged' },
      });
      const { db, supports } = stored(store);
      const doc = (db.getAllData() as { number: number }[]).find(
        (d) => d.number === 2,
      ) as unknown as {
        createdAt: unknown;
        updatedAt: unknown;
        history: { at: unknown }[];
      };
      expect(doc.createdAt).toBe(day(1).getTime());
      expect(doc.updatedAt).toBe(day(4).getTime());
      expect(doc.history.map((h) => h.at)).toEqual([day(0).getTime(), day(4).getTime()]);
      expect((supports.getAllData()[0] as unknown as { at: unknown }).at).toBe(day(3).getTime());

      const read = await store.pebbles.get(ws, 2);
      expect(read?.createdAt).toEqual(day(1));
      expect(read?.updatedAt).toEqual(day(4));
      expect(read?.supporters).toEqual([{ userId: 'U-2', at: day(3) }]);
      expect(read?.history.map((h) => h.at)).toEqual([day(0), day(3), day(4)]);
      // A query on a time compares the numbers.
      const between = await store.pebbles.list(ws, { createdFrom: day(1), createdTo: day(2) });
      expect(between.items.map((p) => p.number)).toEqual([2]);
      await store.close();
      for (const file of ['pebbles.db', 'supports.db'])
        expect(await readFile(path.join(dir, file), 'utf8')).not.toContain('$$date');
    } finally {
      await store.close();
    }
  });

  it('reads the Dates of a file written before as numbers, and gives back the same pebble', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-older';
    const at = (d: number) => ({ $$date: day(d).getTime() });
    const older = {
      _id: 'older-1',
      workspaceId: ws,
      number: 1,
      title: 'Written by an older version',
      description: '',
      stakeholder: 'customer',
      anonymous: false,
      reporter: { userId: 'U-1' },
      source: { kind: 'slash' },
      status: 'triaged',
      createdAt: at(0),
      updatedAt: at(1),
      history: [
        { at: at(0), actor: 'U-1', action: 'created' },
        { at: at(1), actor: 'U-1', action: 'triaged' },
      ],
    };
    const plusOne = {
      _id: JSON.stringify([ws, 1, 'U-2']),
      workspaceId: ws,
      number: 1,
      userId: 'U-2',
      at: at(2),
      order: 1,
    };
    await writeFile(path.join(dir, 'pebbles.db'), `${JSON.stringify(older)}\n`);
    await writeFile(path.join(dir, 'supports.db'), `${JSON.stringify(plusOne)}\n`);
    await writeFile(
      path.join(dir, 'sequences.db'),
      `${JSON.stringify({ _id: `${ws}:pebble`, seq: 1 })}\n`,
    );
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      const read = await store.pebbles.get(ws, 1);
      expect(read?.createdAt).toEqual(day(0));
      expect(read?.updatedAt).toEqual(day(2));
      expect(read?.supporters).toEqual([{ userId: 'U-2', at: day(2) }]);
      expect(
        (stored(store).db.getAllData()[0] as unknown as { createdAt: unknown }).createdAt,
      ).toBe(day(0).getTime());
      // Opening rewrites the file, in the new form.
      expect(await readFile(path.join(dir, 'pebbles.db'), 'utf8')).not.toContain('$$date');
    } finally {
      await store.close();
    }
  });

  it("reads a pebble's +1s by their key, with no index on the pebble's number", async () => {
    const store = await openEmbeddedStore();
    try {
      // Numbers and workspaces whose keys begin alike: 1 and 10, T1 and T10.
      for (const ws of ['slack:T1', 'slack:T10'])
        for (let n = 1; n <= 11; n++) await store.pebbles.create(pebble(ws, `${ws} ${n}`));
      const support = (ws: string, number: number, userId: string) =>
        store.pebbles.addSupporter(
          ws,
          number,
          { userId, at: day(1) },
          { at: day(1), actor: userId, action: 'supported' },
        );
      await support('slack:T1', 1, 'U-a');
      await support('slack:T1', 10, 'U-b');
      await support('slack:T1', 11, 'U-c');
      await support('slack:T10', 1, 'U-d');
      await support('slack:T1', 1, 'U-e');
      const { supports } = stored(store);
      expect(Object.keys((supports as unknown as { indexes: object }).indexes).sort()).toEqual([
        '_id',
        'userId',
      ]);
      const matched = countMatched(supports);
      const one = await store.pebbles.get('slack:T1', 1);
      expect(one?.supporters.map((s) => s.userId)).toEqual(['U-a', 'U-e']);
      const page = await store.pebbles.list(
        'slack:T1',
        {},
        { sort: { field: 'number', direction: 'desc' } },
      );
      expect(page.items.map((p) => [p.number, p.supporterCount])).toEqual([
        [11, 1],
        [10, 1],
        [9, 0],
        [8, 0],
        [7, 0],
        [6, 0],
        [5, 0],
        [4, 0],
        [3, 0],
        [2, 0],
        [1, 2],
      ]);
      expect((await store.pebbles.get('slack:T10', 1))?.supporters.map((s) => s.userId)).toEqual([
        'U-d',
      ]);
      // Read in place: no query on the +1s' file.
      expect(matched).toEqual([]);

      expect(await store.pebbles.delete('slack:T1', 1)).toBe(true);
      expect(
        supports
          .getAllData()
          .map((s) => (s as unknown as { userId: string }).userId)
          .sort(),
      ).toEqual(['U-b', 'U-c', 'U-d']);
    } finally {
      await store.close();
    }
  });

  it('shares one object among the pebbles that repeat a small one (reporter, source), read from the file', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-shared';
    const first = await openEmbeddedStore({ dataDir: dir });
    const reporter = { userId: 'U-7', name: 'Ada', team: 'Support' };
    for (const title of ['One', 'Two'])
      await first.pebbles.create({ ...pebble(ws, title), anonymous: false, reporter });
    await first.close();

    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      const [a, b] = stored(store).db.getAllData() as { reporter: object; source: object }[];
      expect(a!.reporter).toBe(b!.reporter);
      expect(a!.source).toBe(b!.source);
      // What nedb hands out is a copy; an update replaces the document, not the shared object.
      await store.pebbles.update(ws, 1, {
        set: { status: 'triaged' },
        history: { at: day(1), actor: 'U-1', action: 'triaged' },
      });
      expect((await store.pebbles.get(ws, 2))?.reporter).toEqual(reporter);
      expect((await store.pebbles.get(ws, 1))?.reporter).toEqual(reporter);
    } finally {
      await store.close();
    }
  });
});

describe('embedded store: outbox claims', () => {
  afterEach(() => vi.useRealTimers());

  const message = (key: string, at: Date) => ({
    key,
    workspaceId: 'test:outbox',
    kind: 'test',
    target: { kind: 'dm' as const, userId: 'U-1' },
    view: { text: key, blocks: [] },
    nextAttemptAt: at,
    createdAt: at,
  });

  it('looks only at undelivered messages, however many were delivered', async () => {
    const store = await openEmbeddedStore();
    const { db } = store.outbox as unknown as { db: Datastore };
    const at = new Date('2026-03-02T09:00:00Z');
    for (let i = 0; i < 300; i++) await store.outbox.enqueue(message(`sent-${i}`, at));
    for (const m of await store.outbox.claimDue('w1', at, new Date(at.getTime() + 60_000), 300))
      await store.outbox.markSent(m.key, 'w1', { at });
    await store.outbox.enqueue(message('due', at));

    const matched = countMatched(db);
    const claimed = await store.outbox.claimDue('w2', at, new Date(at.getTime() + 60_000), 10);
    expect(claimed.map((m) => m.key)).toEqual(['due']);
    expect(Math.max(...matched)).toBeLessThanOrEqual(1);
    await store.close();
  });

  it('picks the messages due longest among many waiting without matching them all', async () => {
    const store = await openEmbeddedStore();
    const { db } = store.outbox as unknown as { db: Datastore };
    const at = new Date('2026-03-02T09:00:00Z');
    // Waiting in reverse order of their due times, as a backlog behind a rate limit may be.
    for (let i = 300; i > 0; i--)
      await store.outbox.enqueue(message(`m-${i}`, new Date(at.getTime() + i * 1_000)));
    const matched = countMatched(db);
    const now = new Date(at.getTime() + 250_000);
    const claimed = await store.outbox.claimDue('w1', now, new Date(now.getTime() + 60_000), 3);
    expect(claimed.map((m) => m.key)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(Math.max(...matched)).toBeLessThanOrEqual(1);
    await store.close();
  });

  it('finds within a minute a due message it was not told about', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = await openEmbeddedStore();
    const { db } = store.outbox as unknown as { db: Datastore };
    const at = new Date('2026-03-02T09:00:00Z');
    await store.outbox.enqueue(message('known', at));
    expect((await store.outbox.claimDue('w1', at, at, 10)).map((m) => m.key)).toEqual(['known']);
    // Written around the adapter (an older version's file, a repair by hand).
    await db.insertAsync({
      ...message('unknown', at),
      _id: 'unknown',
      status: 'pending',
      attempts: 0,
    });
    expect(await store.outbox.claimDue('w1', at, at, 10)).toEqual([]);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await store.outbox.claimDue('w1', at, at, 10)).map((m) => m.key)).toEqual(['unknown']);
    await store.close();
  });
});

describe('embedded store on a DATA_DIR folder', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill();
  });

  it('keeps pebbles, supporters, workspaces, claims and counters across close and reopen', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-persist';
    const at = new Date('2026-01-05T10:00:00Z');

    const first = await openEmbeddedStore({ dataDir: dir });
    await first.workspaces.ensure({
      id: ws,
      platform: 'slack',
      externalId: 'T-persist',
      settings: defaultSettings(),
      createdAt: at,
      updatedAt: at,
    });
    await first.workspaces.updateSettings(
      ws,
      { timezone: 'Europe/Berlin' },
      { at, actor: 'U-1', action: 'settings' },
    );
    await first.pebbles.create(pebble(ws, 'Expense form loses attachments'));
    await first.pebbles.create(pebble(ws, 'VPN drops every hour'));
    await first.pebbles.addSupporter(
      ws,
      2,
      { userId: 'U-2', at },
      { at, actor: 'U-2', action: 'supported' },
    );
    await first.pebbles.update(ws, 1, {
      set: { status: 'triaged' },
      history: { at, actor: 'U-1', action: 'triaged' },
    });
    expect(await first.events.claim('evt-1', new Date(Date.now() + 3_600_000))).toBe(true);
    const before = {
      workspace: await first.workspaces.get(ws),
      pebbles: await first.pebbles.list(ws),
    };
    await first.close();

    const second = await openEmbeddedStore({ dataDir: dir });
    try {
      expect(await second.workspaces.get(ws)).toEqual(before.workspace);
      expect(await second.pebbles.list(ws)).toEqual(before.pebbles);
      expect((await second.pebbles.get(ws, 2))?.supporterCount).toBe(1);
      expect(await second.events.claim('evt-1', new Date(Date.now() + 3_600_000))).toBe(false);
      expect((await second.pebbles.create(pebble(ws, 'Third'))).number).toBe(3);
    } finally {
      await second.close();
    }
  });

  it('has every acknowledged write in its file, before and after a compaction, without a close', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-append';
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      await store.pebbles.create(pebble(ws, 'Written before the compaction'));
      // A compaction replaces the file: later appends must reach the new one, not the old inode.
      await (store.pebbles as unknown as { db: Datastore }).db.compactDatafileAsync();
      await store.pebbles.create(pebble(ws, 'Written after the compaction'));
      // What a kill -9 leaves: the file as it is now (closing would rewrite it from memory).
      const file = await readFile(path.join(dir, 'pebbles.db'), 'utf8');
      expect(file).toContain('Written before the compaction');
      expect(file).toContain('Written after the compaction');
    } finally {
      await store.close();
    }
  });

  it('keeps a whole file as it is when opening, and appends to it', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-keep';
    const file = path.join(dir, 'pebbles.db');
    const first = await openEmbeddedStore({ dataDir: dir });
    try {
      for (let i = 1; i <= 3; i++) await first.pebbles.create(pebble(ws, `Kept ${i}`));
    } finally {
      await first.close();
    }
    // A rewrite replaces the file (a copy renamed over it): the same inode means none.
    const before = await stat(file);
    const ballots = path.join(dir, 'ballots.db');
    const ballotsBefore = await stat(ballots);
    const second = await openEmbeddedStore({ dataDir: dir });
    try {
      expect((await stat(file)).ino).toBe(before.ino);
      // Except the ballots' file, whose order of lines would tell the order of the ballots.
      expect((await stat(ballots)).ino).not.toBe(ballotsBefore.ino);
      await second.pebbles.create(pebble(ws, 'Appended after opening'));
      // What a kill -9 leaves now: the file as it is, every line whole.
      const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
      expect(lines.filter((l) => l.includes('"Kept ')).length).toBe(3);
      expect(lines.some((l) => l.includes('Appended after opening'))).toBe(true);
    } finally {
      await second.close();
    }
    const third = await openEmbeddedStore({ dataDir: dir });
    try {
      const all = await third.pebbles.list(ws, {}, { limit: 10 });
      expect(all.total).toBe(4);
      expect((await third.pebbles.create(pebble(ws, 'Fifth'))).number).toBe(5);
    } finally {
      await third.close();
    }
  });

  it('rewrites a file torn by a crash when opening, so that the next write is a line of its own', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-torn';
    const file = path.join(dir, 'pebbles.db');
    const first = await openEmbeddedStore({ dataDir: dir });
    try {
      // Enough lines that one torn line stays under nedb's share of corrupt lines (10%).
      for (let i = 1; i <= 20; i++) await first.pebbles.create(pebble(ws, `Whole ${i}`));
    } finally {
      await first.close();
    }
    // A kill -9 in the middle of an append: a line without its end.
    await appendFile(file, '{"_id":"torn","workspaceId":"slack:T-torn","title":"Half');
    const before = await stat(file);
    const second = await openEmbeddedStore({ dataDir: dir });
    try {
      expect((await stat(file)).ino).not.toBe(before.ino);
      expect(await readFile(file, 'utf8')).not.toContain('"Half');
      await second.pebbles.create(pebble(ws, 'After the crash'));
    } finally {
      await second.close();
    }
    const third = await openEmbeddedStore({ dataDir: dir });
    try {
      const all = await third.pebbles.list(ws, {}, { limit: 50 });
      expect(all.total).toBe(21);
      expect(all.items.map((p) => p.title)).toContain('After the crash');
    } finally {
      await third.close();
    }
  });

  it('leaves no earlier line of what it forgets, deletes or redacts in its files', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-erase';
    const gone = 'slack:T-gone';
    const files = async () =>
      (
        await Promise.all(
          ['pebbles', 'supports', 'workspaces', 'sequences'].map((name) =>
            readFile(path.join(dir, `${name}.db`), 'utf8').catch(() => ''),
          ),
        )
      ).join('\n');
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      const ana = { userId: 'U-ANA', name: 'Ana Erasable', team: 'Billing' };
      const at = new Date('2026-01-05T09:00:00Z');
      await store.pebbles.create({
        ...pebble(ws, 'Reported by Ana'),
        anonymous: false,
        reporter: ana,
        history: [{ at, actor: ana.userId, action: 'created' }],
      });
      await store.pebbles.create(pebble(ws, 'Once a private detail'));
      await store.pebbles.update(ws, 2, {
        set: { status: 'resolved', updatedAt: at },
        history: { at, actor: 'U-1', action: 'resolved' },
      });
      await store.pebbles.create(pebble(gone, 'In a workspace deleted'));
      expect(await files()).toContain('Ana Erasable');

      await store.dataRights.forgetMember(ws, 'U-ANA', 'former-erased');
      await store.dataRights.redactClosedPebbles(ws, new Date('2026-02-01T00:00:00Z'), {
        at,
        actor: 'pebblebot',
        action: 'retention',
      });
      await store.dataRights.deleteWorkspace(gone);

      // Without a close: the files as a kill -9 would leave them.
      const text = await files();
      for (const erased of ['U-ANA', 'Ana Erasable', 'Once a private detail', 'T-gone'])
        expect(text, erased).not.toContain(erased);
      expect(text).toContain('Reported by Ana');
      expect((await store.pebbles.get(ws, 1))?.reporter.userId).toBe('former-erased');
    } finally {
      await store.close();
    }
  });

  it('rewrites a file only when its stale lines outnumber its documents', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-compact';
    const store = await openEmbeddedStore({ dataDir: dir, compactionIntervalMs: 10 });
    const { db: pebbles, sequences } = store.pebbles as unknown as {
      db: Datastore;
      sequences: Datastore;
    };
    const rewrites = { pebbles: 0, sequences: 0 };
    pebbles.on('compaction.done', () => rewrites.pebbles++);
    sequences.on('compaction.done', () => rewrites.sequences++);
    const created = COMPACTION_FLOOR + 200;
    try {
      // Each pebble is one insert in its file (a file that only grows) and one more update of
      // the workspace's one counter document (a file that is almost all stale lines).
      for (let i = 1; i <= created; i++) await store.pebbles.create(pebble(ws, `Pebble ${i}`));
      await vi.waitFor(() => expect(rewrites.sequences).toBeGreaterThan(0), { timeout: 5_000 });
      const counterLines = (await readFile(path.join(dir, 'sequences.db'), 'utf8')).split('\n');
      expect(counterLines.length).toBeLessThan(COMPACTION_FLOOR);
      // Many more checks, none of which finds the pebbles' file worth rewriting.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(rewrites.pebbles).toBe(0);
      // Updating every pebble twice leaves two stale lines in that file per document: now it is.
      for (const status of ['triaged', 'approved'] as const)
        for (let number = 1; number <= created; number++)
          await store.pebbles.update(ws, number, {
            set: { status },
            history: { at: new Date(), actor: 'U-1', action: status },
          });
      await vi.waitFor(() => expect(rewrites.pebbles).toBeGreaterThan(0), { timeout: 5_000 });
    } finally {
      await store.close();
    }
    const reopened = await openEmbeddedStore({ dataDir: dir });
    try {
      const approved = await reopened.pebbles.list(ws, { status: ['approved'] }, { limit: 1 });
      expect(approved.total).toBe(created);
      expect((await reopened.pebbles.create(pebble(ws, 'Next'))).number).toBe(created + 1);
    } finally {
      await reopened.close();
    }
  });

  it('holds the folder lock while open and releases it on close', async () => {
    const dir = await tempDir();
    const store = await openEmbeddedStore({ dataDir: dir });
    expect((await stat(path.join(dir, LOCK_FILE))).isDirectory()).toBe(true);
    await store.close();
    await expect(stat(path.join(dir, LOCK_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a folder locked by a live process of an older version (pid file) with STORE.LOCKED', async () => {
    const dir = await tempDir();
    const child = liveProcess();
    children.push(child);
    await once(child, 'spawn');
    await writeFile(path.join(dir, LOCK_FILE), String(child.pid));

    const error = await openEmbeddedStore({ dataDir: dir }).catch((e: unknown) => e);
    expect(isPebbleError(error, 'STORE.LOCKED')).toBe(true);
    expect((error as Error).message).toContain(path.resolve(dir));
    expect((error as Error).message).toContain(String(child.pid));
    // The lock of the other process is left alone.
    expect((await readFile(path.join(dir, LOCK_FILE), 'utf8')).trim()).toBe(String(child.pid));

    // Once that process is gone, its lock is stale and is taken over.
    child.kill();
    await once(child, 'exit');
    const store = await openEmbeddedStore({ dataDir: dir });
    expect((await stat(path.join(dir, LOCK_FILE))).isDirectory()).toBe(true);
    await store.close();
  });

  it("refuses a folder locked by this process's parent with STORE.LOCKED", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, LOCK_FILE), String(process.ppid));
    const error = await openEmbeddedStore({ dataDir: dir }).catch((e: unknown) => e);
    expect(isPebbleError(error, 'STORE.LOCKED')).toBe(true);
    expect((error as Error).message).toContain(path.resolve(dir));
  });

  it('takes over a pid-file lock left by an older version whose process no longer runs', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, LOCK_FILE), String(await deadPid()));
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      expect((await stat(path.join(dir, LOCK_FILE))).isDirectory()).toBe(true);
      await store.pebbles.create(pebble('slack:T-stale', 'Works after takeover'));
    } finally {
      await store.close();
    }
  });

  it('takes over an unreadable lock file', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, LOCK_FILE), 'not a pid');
    const store = await openEmbeddedStore({ dataDir: dir });
    await store.close();
  });

  it('moves the supporters an older version kept inside pebbles into support documents, once', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-legacy';
    const at = (m: number) => ({ $$date: Date.parse('2026-01-05T10:00:00Z') + m * 60_000 });
    const legacy = legacyPebble('legacy-1', ws, at);
    await writeFile(path.join(dir, 'pebbles.db'), `${JSON.stringify(legacy)}\n`);
    await writeFile(
      path.join(dir, 'sequences.db'),
      `${JSON.stringify({ _id: `${ws}:pebble`, seq: 1 })}\n`,
    );

    for (let open = 0; open < 2; open++) {
      const store = await openEmbeddedStore({ dataDir: dir });
      try {
        await expectMigratedSupports(store, ws);
      } finally {
        await store.close();
      }
    }
    const file = await readFile(path.join(dir, 'pebbles.db'), 'utf8');
    expect(file).not.toContain('supporterIds');
  });

  it('never duplicates a number when the counter file is rewound behind its back', async () => {
    const dir = await tempDir();
    const ws = 'slack:T-rewind';
    const first = await openEmbeddedStore({ dataDir: dir });
    for (const title of ['One', 'Two', 'Three']) await first.pebbles.create(pebble(ws, title));
    await first.close();
    // nedb files are append-only: a later line for the same _id wins when the file is loaded.
    await appendFile(
      path.join(dir, 'sequences.db'),
      `${JSON.stringify({ _id: `${ws}:pebble`, seq: 0 })}\n`,
    );

    const second = await openEmbeddedStore({ dataDir: dir });
    try {
      await second.pebbles.create(pebble(ws, 'After rewind')).catch(() => undefined);
      const all = await second.pebbles.list(
        ws,
        {},
        { sort: { field: 'number', direction: 'asc' } },
      );
      expect(new Set(all.items.map((p) => p.number)).size).toBe(all.items.length);
      expect(all.items.slice(0, 3).map((p) => p.title)).toEqual(['One', 'Two', 'Three']);
    } finally {
      await second.close();
    }
  });
});
