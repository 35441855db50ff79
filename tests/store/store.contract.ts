import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OPEN_STATUSES,
  type Pebble,
  type PebbleStatus,
  type Supporter,
} from '../../src/core/pebbles/pebble.model.js';
import type { HistoryEntry } from '../../src/core/shared/actor.js';
import { isPebbleError } from '../../src/core/shared/errors.js';
import { defaultSettings, type Workspace } from '../../src/core/workspaces/workspace.model.js';
import { describeImprovementStoreContract } from './improvements.contract.js';
import type {
  ListOptions,
  NewPebble,
  PebbleFilter,
  PebbleSortField,
  Store,
} from '../../src/core/ports/store.port.js';

export interface StoreContractOptions {
  /**
   * Set when the server is known to lose concurrent updates of one document (FerretDB 1.x
   * reads, modifies and rewrites the whole document without isolation). The text says why;
   * the tests that update one document concurrently are then skipped, not weakened.
   */
  nonAtomicDocumentUpdates?: string;
  /**
   * Sets the per-workspace pebble counter back to 0 behind the store's back, to prove that the
   * unique {workspaceId, number} constraint, not the counter alone, prevents duplicate numbers.
   */
  resetSequence?: (store: Store, workspaceId: string) => Promise<void>;
}

const T0 = new Date('2026-01-05T09:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

/** A workspace id nobody else uses, so suites can share one MongoDB database. */
function freshWorkspaceId(): string {
  return `test:${randomUUID()}`;
}

function entry(action: string, at: Date = T0, actor = 'U-admin'): HistoryEntry {
  return { at, actor, action };
}

function newPebble(workspaceId: string, overrides: Partial<NewPebble> = {}): NewPebble {
  const at = overrides.createdAt ?? T0;
  return {
    workspaceId,
    title: 'Checkout asks for the delivery address twice',
    description: 'Customers type their address on the cart page and again at payment.',
    stakeholder: 'customer',
    anonymous: false,
    reporter: { userId: 'U-reporter', name: 'Ana', team: 'Support' },
    source: { kind: 'console' },
    status: 'new',
    createdAt: at,
    updatedAt: at,
    history: [entry('created', at, overrides.reporter?.userId ?? 'U-reporter')],
    ...overrides,
  };
}

function newWorkspace(id: string): Omit<Workspace, 'history'> {
  return {
    id,
    platform: 'slack',
    externalId: id.slice(5),
    name: 'Acme',
    settings: defaultSettings(),
    createdAt: T0,
    updatedAt: T0,
  };
}

function supporter(userId: string, at: Date = minutes(1)): Supporter {
  return { userId, name: `Name of ${userId}`, team: 'Sales', at };
}

/** Time allowed to the tests that run hundreds of operations (FerretDB on a busy CI machine). */
const HEAVY_TEST_TIMEOUT_MS = 120_000;

function numbers(pebbles: Pebble[]): number[] {
  return pebbles.map((p) => p.number);
}

/**
 * The behaviour every Store adapter promises, run against each of them (embedded nedb in
 * memory and on disk, MongoDB / FerretDB). One store per suite; every test works in its own
 * random workspace.
 */
export function describeStoreContract(
  name: string,
  makeStore: () => Promise<Store>,
  options: StoreContractOptions = {},
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;

    beforeAll(async () => {
      store = await makeStore();
      if (options.nonAtomicDocumentUpdates) {
        console.warn(
          `[${name}] concurrent updates of one document are not atomic on this server: ` +
            `${options.nonAtomicDocumentUpdates} The tests that need them are skipped.`,
        );
      }
    });

    afterAll(async () => {
      await store?.close();
    });

    /** Tests that hammer one document concurrently; skipped where the server cannot do it. */
    const itAtomic = options.nonAtomicDocumentUpdates ? it.skip : it;

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('pebbles: create and read', () => {
      it('stores a pebble with number 1, an id, no supporters and its creation history', async () => {
        const ws = freshWorkspaceId();
        const created = await store.pebbles.create(
          newPebble(ws, { journey: 'customer', stage: 'buy', severity: 3, segment: 'SMB' }),
        );
        expect(created).toMatchObject({
          workspaceId: ws,
          number: 1,
          title: 'Checkout asks for the delivery address twice',
          journey: 'customer',
          stage: 'buy',
          severity: 3,
          segment: 'SMB',
          status: 'new',
          supporters: [],
          supporterCount: 0,
          reporter: { userId: 'U-reporter', name: 'Ana', team: 'Support' },
          source: { kind: 'console' },
        });
        expect(created.id).toEqual(expect.any(String));
        expect(created.createdAt).toEqual(T0);
        expect(created.history).toEqual([entry('created', T0, 'U-reporter')]);
        expect(created).not.toHaveProperty('supporterIds');
        expect(created).not.toHaveProperty('_id');

        const read = await store.pebbles.get(ws, 1);
        expect(read).toEqual(created);
      });

      it('leaves optional fields out instead of storing them as null', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws, { journey: undefined, severity: undefined }));
        const read = await store.pebbles.get(ws, 1);
        expect(read).not.toBeNull();
        expect(read!.journey).toBeUndefined();
        expect(read!.severity).toBeUndefined();
      });

      it('returns null for an unknown number or another workspace', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws));
        expect(await store.pebbles.get(ws, 2)).toBeNull();
        expect(await store.pebbles.get(freshWorkspaceId(), 1)).toBeNull();
      });

      it('numbers pebbles 1, 2, 3 per workspace; another workspace starts at 1', async () => {
        const a = freshWorkspaceId();
        const b = freshWorkspaceId();
        const first = await store.pebbles.create(newPebble(a));
        const second = await store.pebbles.create(newPebble(a));
        const other = await store.pebbles.create(newPebble(b));
        const third = await store.pebbles.create(newPebble(a));
        expect([first.number, second.number, third.number]).toEqual([1, 2, 3]);
        expect(other.number).toBe(1);
        expect(new Set([first.id, second.id, third.id, other.id]).size).toBe(4);
      });

      it(
        'gives 200 concurrent creates in one workspace exactly the numbers 1..200',
        async () => {
          const ws = freshWorkspaceId();
          const other = freshWorkspaceId();
          const created = await Promise.all(
            Array.from({ length: 200 }, (_, i) =>
              store.pebbles.create(newPebble(ws, { title: `Concurrent pebble ${i}` })),
            ),
          );
          const got = numbers(created).sort((x, y) => x - y);
          expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

          const stored = await store.pebbles.list(
            ws,
            {},
            { sort: { field: 'number', direction: 'asc' } },
          );
          expect(stored.total).toBe(200);
          expect(numbers(stored.items)).toEqual(got);
          // Each number belongs to the pebble that was told it.
          const titles = new Map(stored.items.map((p) => [p.number, p.title]));
          for (const pebble of created) expect(titles.get(pebble.number)).toBe(pebble.title);

          expect((await store.pebbles.create(newPebble(other))).number).toBe(1);
          expect((await store.pebbles.create(newPebble(ws))).number).toBe(201);
        },
        HEAVY_TEST_TIMEOUT_MS,
      );

      it('never stores two pebbles with the same number, even when the counter is reset', async (ctx) => {
        if (!options.resetSequence) ctx.skip();
        const ws = freshWorkspaceId();
        for (let i = 0; i < 3; i++)
          await store.pebbles.create(newPebble(ws, { title: `Original ${i + 1}` }));
        await options.resetSequence!(store, ws);

        const outcome = await store.pebbles
          .create(newPebble(ws, { title: 'After the reset' }))
          .then(
            (pebble) => ({ pebble }),
            (error: unknown) => ({ error }),
          );
        if ('pebble' in outcome) expect(outcome.pebble.number).toBeGreaterThan(3);

        const all = await store.pebbles.list(
          ws,
          {},
          { sort: { field: 'number', direction: 'asc' } },
        );
        expect(new Set(numbers(all.items)).size).toBe(all.items.length);
        for (let n = 1; n <= 3; n++)
          expect((await store.pebbles.get(ws, n))?.title).toBe(`Original ${n}`);
      });
    });

    describe('pebbles: list', () => {
      const ws = freshWorkspaceId();
      const other = freshWorkspaceId();

      beforeAll(async () => {
        // Created one after another so numbers follow the table.
        const rows: Partial<NewPebble>[] = [
          /* 1 */ {
            status: 'new',
            journey: 'customer',
            stage: 'buy',
            stakeholder: 'customer',
            severity: 2,
            createdAt: minutes(0),
          },
          /* 2 */ {
            status: 'triaged',
            journey: 'customer',
            stage: 'use',
            stakeholder: 'employee',
            severity: 4,
            createdAt: minutes(10),
          },
          /* 3 */ {
            status: 'resolved',
            journey: 'partner',
            stage: 'onboard',
            stakeholder: 'partner',
            severity: 1,
            createdAt: minutes(20),
            reporter: { userId: 'U-bea' },
          },
          /* 4 */ {
            status: 'new',
            journey: 'customer',
            stage: 'buy',
            stakeholder: 'employee',
            severity: 3,
            createdAt: minutes(30),
            reporter: { userId: 'U-bea' },
          },
          /* 5 */ {
            status: 'declined',
            journey: 'customer',
            stage: 'get-help',
            stakeholder: 'customer',
            severity: 2,
            createdAt: minutes(40),
          },
        ];
        for (const row of rows) await store.pebbles.create(newPebble(ws, row));
        await store.pebbles.create(newPebble(other, { status: 'new' }));
        // Supporters: 2 has three, 4 has one (U-carl), 5 has two.
        for (const user of ['U-carl', 'U-dan', 'U-eve'])
          await store.pebbles.addSupporter(ws, 2, supporter(user), entry('supported'));
        await store.pebbles.addSupporter(ws, 4, supporter('U-carl'), entry('supported'));
        for (const user of ['U-dan', 'U-eve'])
          await store.pebbles.addSupporter(ws, 5, supporter(user), entry('supported'));
        await store.pebbles.addSupporter(other, 1, supporter('U-carl'), entry('supported'));
      });

      const list = (filter?: PebbleFilter, listOptions?: ListOptions<PebbleSortField>) =>
        store.pebbles.list(ws, filter, listOptions);

      it('lists a workspace only, newest number first by default', async () => {
        const page = await list();
        expect(numbers(page.items)).toEqual([5, 4, 3, 2, 1]);
        expect(page.total).toBe(5);
        expect(page.items.every((p) => p.workspaceId === ws)).toBe(true);
      });

      it('filters by status (any of several)', async () => {
        expect(numbers((await list({ status: ['new'] })).items)).toEqual([4, 1]);
        expect(numbers((await list({ status: ['resolved', 'declined'] })).items)).toEqual([5, 3]);
        expect(numbers((await list({ status: [] })).items)).toEqual([5, 4, 3, 2, 1]);
      });

      it('filters by journey, stage and stakeholder', async () => {
        expect(numbers((await list({ journey: 'customer' })).items)).toEqual([5, 4, 2, 1]);
        expect(numbers((await list({ journey: 'customer', stage: 'buy' })).items)).toEqual([4, 1]);
        expect(numbers((await list({ stakeholder: 'employee' })).items)).toEqual([4, 2]);
        expect(numbers((await list({ stakeholder: 'partner' })).items)).toEqual([3]);
      });

      it('filters by reporter and by supporter', async () => {
        expect(numbers((await list({ reporterId: 'U-bea' })).items)).toEqual([4, 3]);
        expect(numbers((await list({ supporterId: 'U-carl' })).items)).toEqual([4, 2]);
        expect(numbers((await list({ supporterId: 'U-eve' })).items)).toEqual([5, 2]);
        expect((await list({ supporterId: 'U-nobody' })).total).toBe(0);
      });

      it('filters by creation range: from inclusive, to exclusive', async () => {
        expect(numbers((await list({ createdFrom: minutes(10) })).items)).toEqual([5, 4, 3, 2]);
        expect(numbers((await list({ createdTo: minutes(20) })).items)).toEqual([2, 1]);
        expect(
          numbers((await list({ createdFrom: minutes(10), createdTo: minutes(30) })).items),
        ).toEqual([3, 2]);
        expect(
          numbers((await list({ createdFrom: minutes(10), createdTo: minutes(10) })).items),
        ).toEqual([]);
      });

      it('combines filters', async () => {
        const page = await list({
          status: ['new', 'triaged'],
          stakeholder: 'employee',
          createdFrom: minutes(20),
        });
        expect(numbers(page.items)).toEqual([4]);
        expect(page.total).toBe(1);
      });

      it('sorts by number, createdAt, severity and supporterCount, both ways', async () => {
        const by = async (field: PebbleSortField, direction: 'asc' | 'desc') =>
          numbers((await list({}, { sort: { field, direction } })).items);
        expect(await by('number', 'asc')).toEqual([1, 2, 3, 4, 5]);
        expect(await by('createdAt', 'asc')).toEqual([1, 2, 3, 4, 5]);
        expect(await by('createdAt', 'desc')).toEqual([5, 4, 3, 2, 1]);
        expect(await by('severity', 'desc')).toEqual([2, 4, 5, 1, 3]);
        expect(await by('severity', 'asc')).toEqual([3, 1, 5, 4, 2]);
        // Ties (0 supporters: 1 and 3) fall back to the number, in the same direction.
        expect(await by('supporterCount', 'desc')).toEqual([2, 5, 4, 3, 1]);
        expect(await by('supporterCount', 'asc')).toEqual([1, 3, 4, 5, 2]);
      });

      it('pages with limit and offset; total counts every match', async () => {
        const sort = { field: 'number', direction: 'asc' } as const;
        const first = await list({}, { sort, limit: 2 });
        const second = await list({}, { sort, limit: 2, offset: 2 });
        const last = await list({}, { sort, limit: 2, offset: 4 });
        const beyond = await list({}, { sort, limit: 2, offset: 10 });
        expect(numbers(first.items)).toEqual([1, 2]);
        expect(numbers(second.items)).toEqual([3, 4]);
        expect(numbers(last.items)).toEqual([5]);
        expect(beyond.items).toEqual([]);
        expect([first.total, second.total, last.total, beyond.total]).toEqual([5, 5, 5, 5]);

        const filtered = await list({ journey: 'customer' }, { sort, limit: 1, offset: 1 });
        expect(numbers(filtered.items)).toEqual([2]);
        expect(filtered.total).toBe(4);
      });

      it('lists nothing for a workspace without pebbles', async () => {
        expect(await store.pebbles.list(freshWorkspaceId())).toEqual({ items: [], total: 0 });
      });
    });

    describe('pebbles: open by place', () => {
      it('counts the open pebbles of each place and gives the newest of each, with their +1s', async () => {
        const ws = freshWorkspaceId();
        const rows: Partial<NewPebble>[] = [
          /* 1 */ { journey: 'customer', stage: 'buy' },
          /* 2 */ { journey: 'customer', stage: 'buy', status: 'triaged' },
          /* 3 */ { journey: 'customer', stage: 'buy', status: 'resolved' },
          /* 4 */ { journey: 'customer', stage: 'buy', status: 'approved' },
          /* 5 */ { journey: 'customer', stage: 'use', status: 'declined' },
          /* 6 */ { journey: 'customer', stage: 'use' },
          /* 7 */ {},
          /* 8 */ { journey: 'partner' },
          /* 9 */ {},
          /* 10 */ { journey: 'customer', stage: 'buy', status: 'duplicate' },
        ];
        for (const row of rows) await store.pebbles.create(newPebble(ws, row));
        await store.pebbles.create(
          newPebble(freshWorkspaceId(), { journey: 'customer', stage: 'buy' }),
        );
        await store.pebbles.addSupporter(ws, 4, supporter('U-carl'), entry('supported'));

        const places = await store.pebbles.openByPlace(ws, 2);
        const summary = places
          .map((p) => ({
            place: `${p.journey ?? '-'}/${p.stage ?? '-'}`,
            total: p.total,
            newest: numbers(p.newest),
          }))
          .sort((a, b) => a.place.localeCompare(b.place));
        expect(summary).toEqual([
          { place: '-/-', total: 2, newest: [9, 7] },
          { place: 'customer/buy', total: 3, newest: [4, 2] },
          { place: 'customer/use', total: 1, newest: [6] },
          { place: 'partner/-', total: 1, newest: [8] },
        ]);
        const buy = places.find((p) => p.stage === 'buy')!;
        expect(buy.newest[0]!.supporterCount).toBe(1);
        expect(buy.newest[0]!.title).toBe('Checkout asks for the delivery address twice');
        expect(places.find((p) => !p.journey)).not.toHaveProperty('journey');
      });

      it('follows pebbles that close, reopen, move and are deleted after a first reading', async () => {
        const ws = freshWorkspaceId();
        for (const row of [
          { journey: 'customer', stage: 'buy' },
          { journey: 'customer', stage: 'buy' },
          { journey: 'customer', stage: 'use', status: 'resolved' as const },
        ])
          await store.pebbles.create(newPebble(ws, row));
        const read = async () =>
          (await store.pebbles.openByPlace(ws, 5))
            .map((p) => `${p.stage ?? '-'}:${numbers(p.newest).join(',')}`)
            .sort();
        expect(await read()).toEqual(['buy:2,1']);
        const change = (set: Partial<NewPebble>) => ({ set, history: entry('status') });
        await store.pebbles.update(ws, 1, change({ status: 'resolved' }));
        await store.pebbles.update(ws, 3, change({ status: 'approved' }));
        await store.pebbles.update(ws, 2, change({ stage: 'onboard' }));
        expect(await read()).toEqual(['onboard:2', 'use:3']);
        await store.pebbles.delete(ws, 2);
        await store.pebbles.create(newPebble(ws, { journey: 'customer', stage: 'use' }));
        expect(await read()).toEqual(['use:4,3']);
      });

      it('lists the open pebbles by number, paged, following closes, reopens and deletes', async () => {
        const ws = freshWorkspaceId();
        for (const status of ['new', 'resolved', 'triaged', 'declined', 'in-council'] as const)
          await store.pebbles.create(newPebble(ws, { status }));
        await store.pebbles.create(newPebble(freshWorkspaceId(), { status: 'new' }));
        const open = { status: [...OPEN_STATUSES] };
        const read = async (options?: ListOptions<PebbleSortField>) => {
          const page = await store.pebbles.list(ws, open, options);
          return { numbers: numbers(page.items), total: page.total };
        };
        expect(await read()).toEqual({ numbers: [5, 3, 1], total: 3 });
        const change = (set: Partial<NewPebble>) => ({ set, history: entry('status') });
        await store.pebbles.update(ws, 3, change({ status: 'resolved' }));
        await store.pebbles.update(ws, 2, change({ status: 'approved' }));
        await store.pebbles.delete(ws, 5);
        await store.pebbles.create(newPebble(ws, { status: 'in-progress' }));
        expect(await read()).toEqual({ numbers: [6, 2, 1], total: 3 });
        const asc = { field: 'number', direction: 'asc' } as const;
        expect(await read({ sort: asc, offset: 1, limit: 1 })).toEqual({ numbers: [2], total: 3 });
        expect(await read({ limit: 2 })).toEqual({ numbers: [6, 2], total: 3 });
        const first = (await store.pebbles.list(ws, open, { limit: 1 })).items[0];
        expect(first).toEqual(await store.pebbles.get(ws, 6));
      });

      it('finds no place in a workspace without open pebbles', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws, { status: 'resolved', journey: 'customer' }));
        expect(await store.pebbles.openByPlace(ws, 3)).toEqual([]);
      });
    });

    describe('pebbles: update', () => {
      it('sets and clears fields, stamps updatedAt and appends history', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(
          newPebble(ws, { journey: 'customer', stage: 'buy', severity: 2 }),
        );
        const at = minutes(5);
        const updated = await store.pebbles.update(ws, 1, {
          set: { title: 'Address asked twice at checkout', status: 'triaged', severity: 4 },
          unset: ['stage', 'journey'],
          history: { at, actor: 'U-triage', action: 'triaged', from: 'new', to: 'triaged' },
        });
        expect(updated).toMatchObject({
          title: 'Address asked twice at checkout',
          status: 'triaged',
          severity: 4,
        });
        expect(updated!.journey).toBeUndefined();
        expect(updated!.stage).toBeUndefined();
        expect(updated!.updatedAt).toEqual(at);
        expect(updated!.createdAt).toEqual(T0);
        expect(updated!.history.map((h) => h.action)).toEqual(['created', 'triaged']);
        expect(updated!.history[1]).toEqual({
          at,
          actor: 'U-triage',
          action: 'triaged',
          from: 'new',
          to: 'triaged',
        });
        expect(await store.pebbles.get(ws, 1)).toEqual(updated);
      });

      it('clears a field set to undefined', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws, { segment: 'Enterprise', severity: 2 }));
        const updated = await store.pebbles.update(ws, 1, {
          set: { segment: undefined, severity: 3 },
          history: entry('edited', minutes(1)),
        });
        expect(updated!.segment).toBeUndefined();
        expect(updated!.severity).toBe(3);
        expect((await store.pebbles.get(ws, 1))!.segment).toBeUndefined();
      });

      it('applies the change while the status is still one of ifStatus', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws));
        const updated = await store.pebbles.update(ws, 1, {
          set: { status: 'triaged' },
          ifStatus: ['new', 'declined'],
          history: entry('triaged', minutes(1)),
        });
        expect(updated?.status).toBe('triaged');
      });

      it('returns null and changes nothing when ifStatus no longer matches', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws));
        await store.pebbles.update(ws, 1, {
          set: { status: 'triaged' },
          history: entry('triaged', minutes(1)),
        });
        const before = await store.pebbles.get(ws, 1);

        const result = await store.pebbles.update(ws, 1, {
          set: { status: 'declined', declineReason: 'late' },
          ifStatus: ['new'],
          history: entry('declined', minutes(2)),
        });
        expect(result).toBeNull();
        expect(await store.pebbles.get(ws, 1)).toEqual(before);
      });

      it('returns null for a pebble that does not exist', async () => {
        const ws = freshWorkspaceId();
        expect(
          await store.pebbles.update(ws, 7, { set: { title: 'x' }, history: entry('edited') }),
        ).toBeNull();
        expect(await store.pebbles.get(ws, 7)).toBeNull();
      });

      it(
        'applies 150 concurrent updates of 150 different pebbles',
        async () => {
          const ws = freshWorkspaceId();
          for (let i = 0; i < 150; i++) await store.pebbles.create(newPebble(ws));
          const results = await Promise.all(
            Array.from({ length: 150 }, (_, i) =>
              store.pebbles.update(ws, i + 1, {
                set: { title: `Renamed ${i + 1}` },
                ifStatus: ['new'],
                history: entry('renamed', minutes(1)),
              }),
            ),
          );
          expect(results.map((p) => p?.title)).toEqual(
            Array.from({ length: 150 }, (_, i) => `Renamed ${i + 1}`),
          );
          const page = await store.pebbles.list(
            ws,
            {},
            { sort: { field: 'number', direction: 'asc' } },
          );
          expect(page.items.map((p) => p.title)).toEqual(results.map((p) => p?.title));
          expect(page.items.every((p) => p.history.length === 2)).toBe(true);
        },
        HEAVY_TEST_TIMEOUT_MS,
      );

      itAtomic(
        'lets exactly one of 20 concurrent updates with the same ifStatus win',
        async () => {
          const ws = freshWorkspaceId();
          await store.pebbles.create(newPebble(ws));
          const targets: PebbleStatus[] = ['triaged', 'declined', 'duplicate'];
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              store.pebbles.update(ws, 1, {
                set: { status: targets[i % 3]! },
                ifStatus: ['new'],
                history: entry(`attempt ${i}`, minutes(1)),
              }),
            ),
          );
          const winners = results.filter((r) => r !== null);
          expect(winners).toHaveLength(1);
          const stored = await store.pebbles.get(ws, 1);
          expect(stored!.status).toBe(winners[0]!.status);
          expect(stored!.history).toHaveLength(2);
        },
        HEAVY_TEST_TIMEOUT_MS,
      );
    });

    describe('pebbles: supporters', () => {
      it('counts a supporter once, however often they +1', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws));
        const first = await store.pebbles.addSupporter(
          ws,
          1,
          supporter('U-sam', minutes(1)),
          entry('supported', minutes(1), 'U-sam'),
        );
        const again = await store.pebbles.addSupporter(
          ws,
          1,
          supporter('U-sam', minutes(2)),
          entry('supported', minutes(2), 'U-sam'),
        );

        expect(first.added).toBe(true);
        expect(first.pebble).toMatchObject({
          supporterCount: 1,
          supporters: [supporter('U-sam', minutes(1))],
        });
        expect(first.pebble!.updatedAt).toEqual(minutes(1));
        expect(first.pebble!.history.map((h) => h.action)).toEqual(['created', 'supported']);
        expect(first.pebble).not.toHaveProperty('supporterIds');

        expect(again.added).toBe(false);
        expect(again.pebble).toEqual(first.pebble);
        expect(await store.pebbles.get(ws, 1)).toEqual(first.pebble);
      });

      it('adds different supporters one after another', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws));
        await store.pebbles.addSupporter(ws, 1, supporter('U-a'), entry('supported'));
        const { pebble } = await store.pebbles.addSupporter(
          ws,
          1,
          supporter('U-b'),
          entry('supported'),
        );
        expect(pebble!.supporterCount).toBe(2);
        expect(pebble!.supporters.map((s) => s.userId)).toEqual(['U-a', 'U-b']);
        expect(pebble!.history).toHaveLength(3);
      });

      it('reports a missing pebble as not added', async () => {
        expect(
          await store.pebbles.addSupporter(
            freshWorkspaceId(),
            1,
            supporter('U-a'),
            entry('supported'),
          ),
        ).toEqual({ added: false, pebble: null });
      });

      // Not `itAtomic`: each +1 is an insert under a unique key, so this holds on FerretDB too.
      it(
        'counts 100 concurrent +1s by the same person once',
        async () => {
          const ws = freshWorkspaceId();
          await store.pebbles.create(newPebble(ws));
          const results = await Promise.all(
            Array.from({ length: 100 }, () =>
              store.pebbles.addSupporter(
                ws,
                1,
                supporter('U-clicker'),
                entry('supported', minutes(1), 'U-clicker'),
              ),
            ),
          );
          expect(results.filter((r) => r.added)).toHaveLength(1);
          const stored = await store.pebbles.get(ws, 1);
          expect(stored!.supporterCount).toBe(1);
          expect(stored!.supporters).toHaveLength(1);
          expect(stored!.history).toHaveLength(2);
        },
        HEAVY_TEST_TIMEOUT_MS,
      );

      it(
        'counts 100 concurrent +1s by 100 people as 100',
        async () => {
          const ws = freshWorkspaceId();
          await store.pebbles.create(newPebble(ws));
          const users = Array.from({ length: 100 }, (_, i) => `U-${i}`);
          const results = await Promise.all(
            users.map((u) =>
              store.pebbles.addSupporter(ws, 1, supporter(u), entry('supported', minutes(1), u)),
            ),
          );
          expect(results.every((r) => r.added)).toBe(true);
          const stored = await store.pebbles.get(ws, 1);
          expect(stored!.supporterCount).toBe(100);
          expect(stored!.supporters).toHaveLength(100);
          expect(new Set(stored!.supporters.map((s) => s.userId))).toEqual(new Set(users));
          expect(stored!.history).toHaveLength(101);
          expect((await store.pebbles.list(ws, { supporterId: 'U-42' })).total).toBe(1);
        },
        HEAVY_TEST_TIMEOUT_MS,
      );
      it(
        'answers "added" exactly 100 times to 100 people and once to one person clicking 50 times, all at once',
        async () => {
          const ws = freshWorkspaceId();
          await store.pebbles.create(newPebble(ws));
          const users = Array.from({ length: 100 }, (_, i) => `U-crowd-${i}`);
          const crowd = users.map((u) =>
            store.pebbles.addSupporter(ws, 1, supporter(u), entry('supported', minutes(1), u)),
          );
          const clicks = Array.from({ length: 50 }, () =>
            store.pebbles.addSupporter(
              ws,
              1,
              supporter('U-eager'),
              entry('supported', minutes(1), 'U-eager'),
            ),
          );
          const [crowdResults, clickResults] = await Promise.all([
            Promise.all(crowd),
            Promise.all(clicks),
          ]);
          expect(crowdResults.filter((r) => r.added)).toHaveLength(100);
          expect(clickResults.filter((r) => r.added)).toHaveLength(1);
          // Every answer counts at least its own +1 (the receipt's "now +N").
          for (const r of [...crowdResults, ...clickResults])
            expect(r.pebble!.supporterCount).toBeGreaterThanOrEqual(1);

          const stored = await store.pebbles.get(ws, 1);
          expect(stored!.supporterCount).toBe(101);
          expect(stored!.supporters.filter((s) => s.userId === 'U-eager')).toHaveLength(1);
          expect(new Set(stored!.supporters.map((s) => s.userId)).size).toBe(101);
          expect(stored!.history.filter((h) => h.action === 'supported')).toHaveLength(101);
          const top = await store.pebbles.list(
            ws,
            { supporterId: 'U-eager' },
            { sort: { field: 'supporterCount', direction: 'desc' } },
          );
          expect(top.items.map((p) => [p.number, p.supporterCount])).toEqual([[1, 101]]);
        },
        HEAVY_TEST_TIMEOUT_MS,
      );

      it('keeps supporters and their count when the pebble itself changes meanwhile', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws));
        await Promise.all([
          ...Array.from({ length: 20 }, (_, i) =>
            store.pebbles.addSupporter(ws, 1, supporter(`U-${i}`), entry('supported')),
          ),
          store.pebbles.update(ws, 1, {
            set: { status: 'triaged' },
            ifStatus: ['new'],
            history: entry('triaged', minutes(2)),
          }),
        ]);
        const stored = await store.pebbles.get(ws, 1);
        expect(stored!.status).toBe('triaged');
        expect(stored!.supporterCount).toBe(20);
        expect(stored!.history.map((h) => h.action)).toEqual([
          'created',
          ...Array.from({ length: 20 }, () => 'supported'),
          'triaged',
        ]);
      });

      it('removes the supports of a deleted pebble', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws));
        await store.pebbles.addSupporter(ws, 1, supporter('U-a'), entry('supported'));
        await store.pebbles.delete(ws, 1);
        expect((await store.pebbles.list(ws, { supporterId: 'U-a' })).total).toBe(0);
      });
    });

    describe('pebbles: delete', () => {
      it('removes one pebble for good and never reuses its number', async () => {
        const ws = freshWorkspaceId();
        await store.pebbles.create(newPebble(ws));
        await store.pebbles.create(newPebble(ws));
        expect(await store.pebbles.delete(ws, 2)).toBe(true);
        expect(await store.pebbles.delete(ws, 2)).toBe(false);
        expect(await store.pebbles.get(ws, 2)).toBeNull();
        expect(await store.pebbles.get(ws, 1)).not.toBeNull();
        expect((await store.pebbles.list(ws)).total).toBe(1);
        expect((await store.pebbles.create(newPebble(ws))).number).toBe(3);
      });

      it('answers false for a pebble that does not exist', async () => {
        expect(await store.pebbles.delete(freshWorkspaceId(), 1)).toBe(false);
      });
    });

    describe('processed events', () => {
      it('claims a key once: true the first time, false afterwards', async () => {
        const key = `evt-${randomUUID()}`;
        const expiresAt = new Date(Date.now() + 3_600_000);
        expect(await store.events.claim(key, expiresAt)).toBe(true);
        expect(await store.events.claim(key, expiresAt)).toBe(false);
        expect(await store.events.claim(`evt-${randomUUID()}`, expiresAt)).toBe(true);
      });

      it('lets exactly one of 50 concurrent claims of one key win', async () => {
        const key = `evt-${randomUUID()}`;
        const expiresAt = new Date(Date.now() + 3_600_000);
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.events.claim(key, expiresAt)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('workspaces', () => {
      it('creates a workspace on first contact with an empty history', async () => {
        const id = freshWorkspaceId();
        expect(await store.workspaces.get(id)).toBeNull();
        const ws = await store.workspaces.ensure(newWorkspace(id));
        expect(ws).toEqual({ ...newWorkspace(id), history: [] });
        expect(await store.workspaces.get(id)).toEqual(ws);
      });

      it('never overwrites an existing workspace on a later ensure', async () => {
        const id = freshWorkspaceId();
        await store.workspaces.ensure(newWorkspace(id));
        const changed = await store.workspaces.updateSettings(
          id,
          { timezone: 'Europe/Paris' },
          entry('settings', minutes(1)),
        );
        const again = await store.workspaces.ensure({
          ...newWorkspace(id),
          name: 'Renamed',
          settings: { ...defaultSettings(), timezone: 'Asia/Tokyo', aiEnabled: false },
          updatedAt: minutes(2),
        });
        expect(again).toEqual(changed);
        expect(again.settings.timezone).toBe('Europe/Paris');
        expect(again.name).toBe('Acme');
      });

      it('is idempotent under 20 concurrent ensure calls', async () => {
        const id = freshWorkspaceId();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.workspaces.ensure({ ...newWorkspace(id), name: `Attempt ${i}` }),
          ),
        );
        const stored = await store.workspaces.get(id);
        expect(stored).not.toBeNull();
        expect(stored!.history).toEqual([]);
        for (const result of results) expect(result).toEqual(stored);
        expect((await store.workspaces.list()).filter((w) => w.id === id)).toHaveLength(1);
      });

      it('updates settings keys, keeps the others and appends history', async () => {
        const id = freshWorkspaceId();
        await store.workspaces.ensure(newWorkspace(id));
        const at = minutes(3);
        const journeys = [
          { key: 'renewal', name: 'Renewal', stages: [{ key: 'notice', name: 'Notice' }] },
        ];
        const first = await store.workspaces.updateSettings(
          id,
          { triageChannel: 'C-triage', journeys },
          { at, actor: 'U-admin', action: 'settings', note: 'triage channel, journeys' },
        );
        expect(first.settings).toEqual({
          ...defaultSettings(),
          triageChannel: 'C-triage',
          journeys,
        });
        expect(first.updatedAt).toEqual(at);
        expect(first.history).toEqual([
          { at, actor: 'U-admin', action: 'settings', note: 'triage channel, journeys' },
        ]);

        const second = await store.workspaces.updateSettings(
          id,
          { aiEnabled: false },
          entry('settings', minutes(4)),
        );
        expect(second.settings).toEqual({ ...first.settings, aiEnabled: false });
        expect(second.history).toHaveLength(2);
        expect(await store.workspaces.get(id)).toEqual(second);
      });

      it('clears an optional setting given as undefined', async () => {
        const id = freshWorkspaceId();
        await store.workspaces.ensure(newWorkspace(id));
        await store.workspaces.updateSettings(id, { triageChannel: 'C-1' }, entry('settings'));
        const cleared = await store.workspaces.updateSettings(
          id,
          { triageChannel: undefined },
          entry('settings'),
        );
        expect(cleared.settings.triageChannel).toBeUndefined();
        expect((await store.workspaces.get(id))!.settings.triageChannel).toBeUndefined();
      });

      it('refuses to update a workspace that does not exist', async () => {
        const id = freshWorkspaceId();
        const error = await store.workspaces
          .updateSettings(id, { timezone: 'UTC' }, entry('settings'))
          .catch((e: unknown) => e);
        expect(isPebbleError(error, 'WORKSPACE.NOT_FOUND')).toBe(true);
        expect(await store.workspaces.get(id)).toBeNull();
      });

      it('lists workspaces ordered by id', async () => {
        const ids = [freshWorkspaceId(), freshWorkspaceId(), freshWorkspaceId()];
        for (const id of ids) await store.workspaces.ensure(newWorkspace(id));
        const listed = (await store.workspaces.list()).map((w) => w.id);
        const mine = listed.filter((id) => ids.includes(id));
        expect(mine).toEqual([...ids].sort());
        expect([...listed].sort()).toEqual(listed);
      });
    });

    describeImprovementStoreContract(() => store, itAtomic);
  });
}
