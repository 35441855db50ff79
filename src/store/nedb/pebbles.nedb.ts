import { randomUUID } from 'node:crypto';
import {
  isOpen,
  OPEN_STATUSES,
  type Pebble,
  type PebbleStatus,
  type Supporter,
} from '../../core/pebbles/pebble.model.js';
import type { HistoryEntry } from '../../core/shared/actor.js';
import type {
  ListOptions,
  NewPebble,
  OpenPlace,
  Page,
  PebbleChange,
  PebbleFilter,
  PebbleRepository,
  PebbleSortField,
} from '../../core/ports/store.port.js';
import { pebbleQuery } from '../pebble-queries.js';
import {
  addSupport,
  legacySupportDocs,
  LEGACY_SUPPORT_FIELDS,
  orderByDerived,
  supportKeyRange,
  supportsOf,
  toPebble,
  withSupports,
  type PebbleDoc,
  type SupportDoc,
  type SupportReader,
} from '../supports.js';
import {
  DerivedState,
  isUniqueViolation,
  storedIndex,
  update,
  type Datastore,
  type StoredIndex,
} from './datastore.js';
import { numbersToTimes, type StoredTimes } from './numeric-times.js';
import { nextSequence } from './sequences.nedb.js';

/**
 * Pebbles in one file and their +1s in another, one document per +1 under its unique key
 * (see supports.ts), as in the MongoDB adapter.
 */
export class NedbPebbleRepository implements PebbleRepository {
  /** Per workspace, the place (see `placeOf`) of each open pebble by number. */
  private readonly openPlaces = new DerivedState(() => {
    const places = new Map<string, Map<number, string>>();
    for (const doc of this.db.getAllData() as StoredPebble[]) track(places, doc);
    return places;
  });

  constructor(
    private readonly db: Datastore,
    private readonly sequences: Datastore,
    private readonly supports: Datastore,
  ) {}

  static async indexes(db: Datastore, supports: Datastore): Promise<void> {
    await db.ensureIndexAsync({ fieldName: ['workspaceId', 'number'], unique: true });
    // A person's own pebbles (App Home, `/pebble mine`): without it every pebble is matched.
    await db.ensureIndexAsync({ fieldName: 'reporter.userId' });
    // NOTE: no index on status: nedb removes a document from an index key by scanning that
    // key's documents, so with most pebbles resolved, every update or removal of one (the
    // retention sweep, deleting a workspace) would scan them all.
    // NOTE: no single-field workspaceId index: nedb would pick it over the compound one and
    // scan a whole workspace for every update by number (data folders of older versions have it).
    await db.removeIndexAsync('workspaceId');
    // The `_id` is the unique (workspace, pebble, user) key, and a pebble's +1s are one range
    // of it (see `readSupports`); `userId` serves a person's +1s. No index on the pebble's
    // number, alone or with the workspace: each held a tree node per +1 (about 11 and 15 MB at
    // 100,000) for lookups the `_id` range serves; data folders of older versions have them.
    const indexes = (supports as unknown as { indexes: Record<string, unknown> }).indexes;
    if (indexes['number,workspaceId']) await supports.removeIndexAsync('number,workspaceId');
    if (indexes.number) await supports.removeIndexAsync('number');
    await supports.ensureIndexAsync({ fieldName: 'userId' });
  }

  /**
   * Moves the supporters that older versions kept inside pebble documents into the supports
   * file: inserted under their unique key (a second run finds them), then removed from the
   * pebble. Idempotent, so it simply runs on every open.
   */
  static async migrate(db: Datastore, supports: Datastore): Promise<number> {
    const legacy = (await db.findAsync({
      $or: LEGACY_SUPPORT_FIELDS.map((field) => ({ [field]: { $exists: true } })),
    })) as unknown as PebbleDoc[];
    let moved = 0;
    for (const doc of legacy) {
      for (const support of legacySupportDocs(doc)) {
        try {
          await supports.insertAsync(support);
          moved++;
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
      }
      await db.updateAsync(
        { _id: doc._id },
        { $unset: Object.fromEntries(LEGACY_SUPPORT_FIELDS.map((f) => [f, true])) },
        {},
      );
    }
    return moved;
  }

  /**
   * The +1s of these pebbles, in place through the `_id` index: each pebble's are one range of
   * keys (see `supportKeyRange`). In place, as pebbles are read (see `listInPlace`): a page of
   * 500 similarity candidates would otherwise queue 500 lookups on the file.
   */
  private readonly readSupports: SupportReader = (workspaceId, numbers) => {
    const byKey = storedIndex<StoredTimes<SupportDoc>>(this.supports, '_id');
    const found: SupportDoc[] = [];
    for (const number of new Set(numbers))
      for (const doc of byKey.getBetweenBounds(supportKeyRange(workspaceId, number)))
        found.push(numbersToTimes<SupportDoc>(doc));
    return Promise.resolve(found);
  };

  private supportsOf(workspaceId: string, numbers: number[]): Promise<Map<number, SupportDoc[]>> {
    return supportsOf(this.readSupports, workspaceId, numbers);
  }

  private async withSupports(doc: PebbleDoc): Promise<Pebble> {
    const [pebble] = await withSupports(this.readSupports, [doc]);
    return pebble!;
  }

  async create(pebble: NewPebble): Promise<Pebble> {
    const number = await nextSequence(this.sequences, `${pebble.workspaceId}:pebble`);
    const doc: PebbleDoc = { ...pebble, _id: randomUUID(), number };
    const stored = await this.db.insertAsync(doc);
    track(this.openPlaces.peek(), stored);
    return toPebble(stored, []);
  }

  async get(workspaceId: string, number: number): Promise<Pebble | null> {
    const doc = (await this.db.findOneAsync({ workspaceId, number })) as PebbleDoc | null;
    return doc ? this.withSupports(doc) : null;
  }

  async list(
    workspaceId: string,
    filter?: PebbleFilter,
    options: ListOptions<PebbleSortField> = {},
  ): Promise<Page<Pebble>> {
    const query = pebbleQuery(workspaceId, filter);
    if (filter?.supporterId) {
      const supported = (await this.supports.findAsync(
        { workspaceId, userId: filter.supporterId },
        { number: 1 },
      )) as unknown as { number: number }[];
      if (supported.length === 0) return { items: [], total: 0 };
      // By `_id`, which nedb looks up in its index: given `number: {$in}` (no index of its
      // own), it would match every pebble of every workspace. Each id comes from the unique key.
      const found = await Promise.all(
        supported.map(({ number }) => this.db.findOneAsync({ workspaceId, number }, { _id: 1 })),
      );
      query._id = { $in: (found as ({ _id: string } | null)[]).flatMap((d) => (d ? [d._id] : [])) };
    }
    const sort = options.sort ?? { field: 'number', direction: 'desc' };
    if (sort.field === 'number' && onlyOpen(filter))
      return this.listOpen(workspaceId, sort.direction, options);
    const derived = sort.field === 'supporterCount' || sort.field === 'updatedAt';
    if (onlyStatusOrReporter(filter) && (sort.field === 'number' || derived))
      return this.listInPlace(workspaceId, filter?.status, filter?.reporterId, sort, options);
    if (sort.field === 'supporterCount' || sort.field === 'updatedAt') {
      const docs = (await this.db.findAsync(query)) as unknown as PebbleDoc[];
      return this.listByDerived(workspaceId, docs, sort.field, sort.direction, options);
    }
    const dir = sort.direction === 'asc' ? 1 : -1;
    let cursor = this.db
      .findAsync(query)
      .sort(sort.field === 'number' ? { number: dir } : { [sort.field]: dir, number: dir });
    if (options.offset) cursor = cursor.skip(options.offset);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    const [docs, total] = await Promise.all([
      cursor as unknown as Promise<PebbleDoc[]>,
      this.db.countAsync(query) as unknown as Promise<number>,
    ]);
    return { items: await withSupports(this.readSupports, docs), total };
  }

  /**
   * App Home asks on every open, and a query per stage would match every pebble of every
   * workspace once per stage (and again for its count); even one pass over every pebble costs
   * milliseconds per open once there are tens of thousands. So the open pebbles' places are
   * kept here by number, per workspace (`openPlaces`); the newest of each place are then read
   * by their unique key.
   */
  async openByPlace(workspaceId: string, newest: number): Promise<OpenPlace[]> {
    const places = new Map<string, { total: number; numbers: number[] }>();
    for (const [number, key] of this.openPlaces.get().get(workspaceId) ?? []) {
      let place = places.get(key);
      if (!place) places.set(key, (place = { total: 0, numbers: [] }));
      place.total++;
      keepHighest(place.numbers, number, newest);
    }
    return Promise.all(
      [...places].map(async ([key, { numbers, total }]) => {
        const [journey, stage] = key.split(PLACE_SEPARATOR);
        const place = { ...(journey ? { journey } : {}), ...(stage ? { stage } : {}), total };
        // In place by the unique key (see `listOpen`): no lookups queued on every open.
        const found = numbers.flatMap((number) =>
          this.byKey().getMatching({ workspaceId, number }),
        );
        return { ...place, newest: await withSupports(this.readSupports, found.map(asDoc)) };
      }),
    );
  }

  /**
   * The open pebbles by number (the similarity candidates, reread every 30 s per workspace; the
   * read API's metrics): from the open pebbles' numbers kept for App Home, then each by its
   * unique key. Matching and sorting every pebble instead held the file's queue, and every
   * request waiting on it, for longer as pebbles accumulated (60 ms at 6,000 in the soak).
   */
  private async listOpen(
    workspaceId: string,
    direction: 'asc' | 'desc',
    options: ListOptions<PebbleSortField>,
  ): Promise<Page<Pebble>> {
    const numbers = [...(this.openPlaces.get().get(workspaceId)?.keys() ?? [])].sort((a, b) =>
      direction === 'asc' ? a - b : b - a,
    );
    const start = options.offset ?? 0;
    const page = numbers.slice(
      start,
      options.limit === undefined ? undefined : start + options.limit,
    );
    // In place through the unique key, as `listInPlace` reads: 500 lookups queued at once held
    // every request that touched the file behind them.
    const found = page.flatMap((number) => this.byKey().getMatching({ workspaceId, number }));
    return {
      items: await withSupports(this.readSupports, found.map(asDoc)),
      total: numbers.length,
    };
  }

  /** The unique (workspace, number) index; nedb names a compound index by its sorted fields. */
  private byKey(): StoredIndex<StoredPebble> {
    return this.index('number,workspaceId');
  }

  /** One of nedb's indexes, read in place (see `listInPlace`). */
  private index(name: string): StoredIndex<StoredPebble> {
    return storedIndex<StoredPebble>(this.db, name);
  }

  /**
   * A workspace's pebbles, or those in some statuses or of one reporter (the recurring-issue
   * candidates each minute, App Home's own pebbles on every open, the read API). nedb has no
   * index for most (none on status, see `indexes`), so it matched every pebble of every
   * workspace through its generic matcher and sorted the matches while the file's queue
   * waited, 80 to 200 ms per read at 10,000 pebbles in the soak; even through the reporter
   * index, each App Home open matched, sorted and counted that person's pebbles on the queue.
   * A pass over the stored documents in place (read only: nedb replaces a document on update,
   * and `toPebble` builds new objects) takes about a millisecond per 10,000 and holds no queue.
   */
  private async listInPlace(
    workspaceId: string,
    statuses: PebbleStatus[] | undefined,
    reporterId: string | undefined,
    sort: { field: PebbleSortField; direction: 'asc' | 'desc' },
    options: ListOptions<PebbleSortField>,
  ): Promise<Page<Pebble>> {
    const wanted = statuses?.length ? new Set<string>(statuses) : undefined;
    // A person's own pebbles (App Home on every open) through their index: a few per person.
    const stored = reporterId
      ? this.index('reporter.userId').getMatching(reporterId)
      : (this.db.getAllData() as StoredPebble[]);
    const docs = stored.filter(
      (d) => d.workspaceId === workspaceId && (!wanted || wanted.has(d.status)),
    );
    if (sort.field === 'supporterCount' || sort.field === 'updatedAt')
      return this.listByDerived(workspaceId, docs, sort.field, sort.direction, options);
    const dir = sort.direction === 'asc' ? 1 : -1;
    docs.sort((a, b) => dir * (a.number - b.number));
    const start = options.offset ?? 0;
    const page = docs.slice(start, options.limit === undefined ? undefined : start + options.limit);
    return { items: await withSupports(this.readSupports, page.map(asDoc)), total: docs.length };
  }

  /** Sorts by a field +1s change, computed from the support documents (see supports.ts). */
  private async listByDerived(
    workspaceId: string,
    docs: (PebbleDoc | StoredPebble)[],
    field: 'supporterCount' | 'updatedAt',
    direction: 'asc' | 'desc',
    options: ListOptions<PebbleSortField>,
  ): Promise<Page<Pebble>> {
    const supports = await this.supportsOf(
      workspaceId,
      docs.map((d) => d.number),
    );
    const start = options.offset ?? 0;
    const ordered = orderByDerived(docs, [...supports.values()].flat(), field, direction);
    const page = ordered.slice(
      start,
      options.limit === undefined ? undefined : start + options.limit,
    );
    const byNumber = new Map(docs.map((d) => [d.number, d]));
    const items = page.map((n) => toPebble(asDoc(byNumber.get(n)!), supports.get(n) ?? []));
    return { items, total: docs.length };
  }

  async update(workspaceId: string, number: number, change: PebbleChange): Promise<Pebble | null> {
    const query: Record<string, unknown> = { workspaceId, number };
    if (change.ifStatus) query.status = { $in: change.ifStatus };
    const ops: Record<string, unknown> = {
      $set: { ...change.set, updatedAt: change.history.at },
      $push: { history: change.history },
    };
    if (change.unset?.length) ops.$unset = Object.fromEntries(change.unset.map((k) => [k, true]));
    const result = await update<PebbleDoc>(this.db, query, ops);
    const doc = result.affectedDocuments;
    if (!doc || Array.isArray(doc)) return null;
    track(this.openPlaces.peek(), doc);
    return this.withSupports(doc);
  }

  /** One insert under the unique (workspace, pebble, user) key; the pebble is not written. */
  async addSupporter(
    workspaceId: string,
    number: number,
    supporter: Supporter,
    history: HistoryEntry,
  ): Promise<{ added: boolean; pebble: Pebble | null }> {
    return addSupport(
      {
        exists: async () => (await this.db.countAsync({ workspaceId, number })) > 0,
        insert: async (support) => {
          try {
            await this.supports.insertAsync(support);
            return true;
          } catch (error) {
            if (!isUniqueViolation(error)) throw error;
            return false;
          }
        },
        remove: async (id) => {
          await this.supports.removeAsync({ _id: id }, {});
        },
        get: () => this.get(workspaceId, number),
      },
      workspaceId,
      number,
      supporter,
      history,
    );
  }

  /** Removes the pebble, then its supports (left over only if a crash falls in between). */
  async delete(workspaceId: string, number: number): Promise<boolean> {
    const deleted = (await this.db.removeAsync({ workspaceId, number }, {})) > 0;
    if (deleted) track(this.openPlaces.peek(), { workspaceId, number });
    if (deleted)
      await this.supports.removeAsync(
        { _id: supportKeyRange(workspaceId, number) },
        { multi: true },
      );
    return deleted;
  }
}

/** Whether a filter asks for exactly the open pebbles and nothing else. */
function onlyOpen(filter: PebbleFilter | undefined): boolean {
  if (!filter?.status) return false;
  const { status, ...rest } = filter;
  return (
    Object.values(rest).every((v) => v === undefined) &&
    status.length === OPEN_STATUSES.length &&
    OPEN_STATUSES.every((s) => status.includes(s))
  );
}

/**
 * A pebble as the file holds it, read in place: its times are numbers (the pebbles file is held
 * with `holdTimesAsNumbers`, see nedb.store.ts); nedb's operations read them back as Dates.
 */
type StoredPebble = StoredTimes<PebbleDoc>;

/** A pebble read in place with its times as Dates, or one read through nedb as it is. */
function asDoc(doc: PebbleDoc | StoredPebble): PebbleDoc {
  return typeof doc.createdAt === 'number'
    ? numbersToTimes<PebbleDoc>(doc as StoredPebble)
    : (doc as PebbleDoc);
}

/** Whether a filter asks for pebbles by status and reporter at most (or for all of them). */
function onlyStatusOrReporter(filter: PebbleFilter | undefined): boolean {
  const { status: _status, reporterId: _reporter, ...rest } = filter ?? {};
  return Object.values(rest).every((v) => v === undefined);
}

/** Keeps `numbers` as the `size` highest seen so far, highest first. */
function keepHighest(numbers: number[], number: number, size: number): void {
  if (numbers.length === size && number <= numbers[size - 1]!) return;
  let at = numbers.findIndex((n) => n < number);
  if (at === -1) at = numbers.length;
  numbers.splice(at, 0, number);
  if (numbers.length > size) numbers.length = size;
}

/** Records where a pebble now is: its place while open, nowhere once closed or deleted. */
function track(
  places: Map<string, Map<number, string>> | undefined,
  doc: Pick<PebbleDoc, 'workspaceId' | 'number'> &
    Partial<Pick<PebbleDoc, 'status' | 'journey' | 'stage'>>,
): void {
  if (!places) return;
  let ofWorkspace = places.get(doc.workspaceId);
  if (!ofWorkspace) places.set(doc.workspaceId, (ofWorkspace = new Map<number, string>()));
  if (doc.status && isOpen(doc.status)) ofWorkspace.set(doc.number, placeOf(doc));
  else ofWorkspace.delete(doc.number);
}

/** Between journey and stage in a place's key (neither can hold control characters). */
const PLACE_SEPARATOR = '\u0000';

function placeOf(doc: Partial<Pick<PebbleDoc, 'journey' | 'stage'>>): string {
  return `${doc.journey ?? ''}${PLACE_SEPARATOR}${doc.stage ?? ''}`;
}
