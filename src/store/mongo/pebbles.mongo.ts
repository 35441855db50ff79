import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import {
  MongoBulkWriteError,
  type Collection,
  type Filter,
  type Sort,
  type UpdateFilter,
} from 'mongodb';
import { OPEN_STATUSES, type Pebble, type Supporter } from '../../core/pebbles/pebble.model.js';
import type { HistoryEntry } from '../../core/shared/actor.js';
import { PebbleError } from '../../core/shared/errors.js';
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
import { guard, isDuplicateKey } from './mongo.errors.js';
import { KeyedQueue, nextSequence, raiseSequence, type SequenceDoc } from './sequences.mongo.js';
import { pebbleQuery } from '../pebble-queries.js';
import {
  addSupport,
  legacySupportDocs,
  LEGACY_SUPPORT_FIELDS,
  orderByDerived,
  supportsOf,
  supportsQuery,
  toPebble,
  withSupports,
  type PebbleDoc,
  type SupportDoc,
  type SupportReader,
} from '../supports.js';

/** Attempts to store one new pebble before giving up; each failed attempt means a number was taken. */
const MAX_CREATE_ATTEMPTS = 50;

export class MongoPebbleRepository implements PebbleRepository {
  /** Per-workspace queues of creates whose first number was taken (see `create`). */
  private readonly retries = new KeyedQueue();

  constructor(
    private readonly db: Collection<PebbleDoc>,
    private readonly sequences: Collection<SequenceDoc>,
    private readonly supports: Collection<SupportDoc>,
  ) {}

  static async indexes(db: Collection<PebbleDoc>, supports: Collection<SupportDoc>): Promise<void> {
    await db.createIndex({ workspaceId: 1, number: 1 }, { unique: true });
    await db.createIndex({ workspaceId: 1, status: 1 });
    await db.createIndex({ workspaceId: 1, createdAt: 1 });
    // The `_id` already is the unique key; this index serves "the supports of one pebble".
    await supports.createIndex({ workspaceId: 1, number: 1, userId: 1 }, { unique: true });
    await supports.createIndex({ workspaceId: 1, userId: 1 });
    await supports.createIndex({ workspaceId: 1, at: 1 });
  }

  /**
   * Moves the supporters that older versions kept inside pebble documents into support
   * documents. Idempotent and safe to interrupt: the documents are inserted under their unique
   * key (a second run finds them there) before the old fields are removed. It runs on every
   * open, so +1s an older replica still recorded the old way during a rolling update are
   * picked up at the next start.
   */
  static async migrate(
    db: Collection<PebbleDoc>,
    supports: Collection<SupportDoc>,
  ): Promise<number> {
    const legacy = db.find(
      { $or: LEGACY_SUPPORT_FIELDS.map((field) => ({ [field]: { $exists: true } })) },
      { projection: { _id: 1, workspaceId: 1, number: 1, supporters: 1 } },
    );
    let moved = 0;
    for await (const doc of legacy) {
      const docs = legacySupportDocs(doc);
      if (docs.length) {
        try {
          moved += (await supports.insertMany(docs, { ordered: false })).insertedCount;
        } catch (error) {
          const duplicatesOnly =
            error instanceof MongoBulkWriteError &&
            ([] as { code: number }[])
              .concat(error.writeErrors as { code: number } | { code: number }[])
              .every((e) => e.code === 11000);
          if (!duplicatesOnly) throw error;
          moved += error.insertedCount;
        }
      }
      await db.updateOne(
        { _id: doc._id },
        { $unset: Object.fromEntries(LEGACY_SUPPORT_FIELDS.map((f) => [f, ''])) },
      );
    }
    return moved;
  }

  private readonly readSupports: SupportReader = (workspaceId, numbers) =>
    this.supports.find(supportsQuery(workspaceId, numbers)).toArray();

  /** The support documents of these pebbles, by number. */
  private supportsOf(workspaceId: string, numbers: number[]): Promise<Map<number, SupportDoc[]>> {
    return supportsOf(this.readSupports, workspaceId, numbers);
  }

  private async withSupports(doc: PebbleDoc): Promise<Pebble> {
    const [pebble] = await withSupports(this.readSupports, [doc]);
    return pebble!;
  }

  /**
   * The number comes from the workspace counter (`$inc` with upsert, atomic on MongoDB); the
   * unique index on {workspaceId, number} is the final arbiter. Should the number be taken
   * already (a counter behind the data after a restore, or a server whose `$inc` loses
   * concurrent updates, such as FerretDB 1.x), the counter is raised to the highest number in
   * use and the create retried. Retries of one workspace wait for each other in this process,
   * so racing creators stop colliding; across processes the unique index still decides.
   */
  create(pebble: NewPebble): Promise<Pebble> {
    return guard(async () => {
      const key = `${pebble.workspaceId}:pebble`;
      const created = await this.insertNext(pebble, key);
      if (created) return created;
      return this.retries.run(key, async () => {
        for (let attempt = 2; attempt <= MAX_CREATE_ATTEMPTS; attempt++) {
          await this.repairSequence(pebble.workspaceId, key);
          const retried = await this.insertNext(pebble, key);
          if (retried) return retried;
          // Another process took it too: back off a little before the next try.
          await setTimeout(Math.random() * Math.min(2 ** attempt, 250));
        }
        throw new PebbleError(
          'STORE.DUPLICATE',
          `Could not give a new pebble of workspace ${pebble.workspaceId} a free number after ${MAX_CREATE_ATTEMPTS} attempts.`,
        );
      });
    });
  }

  /** Inserts the pebble with the next counter value; null when that number is taken. */
  private async insertNext(pebble: NewPebble, key: string): Promise<Pebble | null> {
    const doc: PebbleDoc = {
      ...pebble,
      _id: randomUUID(),
      number: await nextSequence(this.sequences, key),
    };
    try {
      await this.db.insertOne(doc);
      return toPebble(doc, []);
    } catch (error) {
      if (isDuplicateKey(error)) return null;
      throw error;
    }
  }

  /** Raises the counter to the highest number in use, so its next value is free. */
  private async repairSequence(workspaceId: string, key: string): Promise<void> {
    const [last] = await this.db.find({ workspaceId }).sort({ number: -1 }).limit(1).toArray();
    if (last) await raiseSequence(this.sequences, key, last.number);
  }

  get(workspaceId: string, number: number): Promise<Pebble | null> {
    return guard(async () => {
      const doc = await this.db.findOne({ workspaceId, number });
      return doc ? this.withSupports(doc) : null;
    });
  }

  list(
    workspaceId: string,
    filter?: PebbleFilter,
    options: ListOptions<PebbleSortField> = {},
  ): Promise<Page<Pebble>> {
    return guard(async () => {
      const query: Filter<PebbleDoc> = pebbleQuery(workspaceId, filter);
      if (filter?.supporterId) {
        const supported = await this.supports
          .find({ workspaceId, userId: filter.supporterId }, { projection: { number: 1 } })
          .toArray();
        if (supported.length === 0) return { items: [], total: 0 };
        query.number = { $in: supported.map((s) => s.number) };
      }
      const sort = options.sort ?? { field: 'number', direction: 'desc' };
      if (sort.field === 'supporterCount' || sort.field === 'updatedAt') {
        return this.listByDerived(workspaceId, query, sort.field, sort.direction, options);
      }
      const dir = sort.direction === 'asc' ? 1 : -1;
      const order: Sort =
        sort.field === 'number' ? { number: dir } : { [sort.field]: dir, number: dir };
      let cursor = this.db.find(query).sort(order);
      if (options.offset) cursor = cursor.skip(options.offset);
      if (options.limit !== undefined) cursor = cursor.limit(options.limit);
      const [docs, total] = await Promise.all([cursor.toArray(), this.db.countDocuments(query)]);
      return {
        items: await withSupports(this.readSupports, docs),
        total,
      };
    });
  }

  /** Counts per place in one aggregation, then the newest of each place through the index. */
  openByPlace(workspaceId: string, newest: number): Promise<OpenPlace[]> {
    return guard(async () => {
      const open = { workspaceId, status: { $in: [...OPEN_STATUSES] } };
      const groups = await this.db
        .aggregate<{ _id: { journey?: string | null; stage?: string | null }; total: number }>([
          { $match: open },
          { $group: { _id: { journey: '$journey', stage: '$stage' }, total: { $sum: 1 } } },
        ])
        .toArray();
      return Promise.all(
        groups.map(async ({ _id, total }) => {
          // null matches a missing field: the place of pebbles with no journey or stage.
          const place = { ...open, journey: _id.journey ?? null, stage: _id.stage ?? null };
          const docs = newest
            ? await this.db
                .find(place as Filter<PebbleDoc>)
                .sort({ number: -1 })
                .limit(newest)
                .toArray()
            : [];
          return {
            ...(_id.journey ? { journey: _id.journey } : {}),
            ...(_id.stage ? { stage: _id.stage } : {}),
            total,
            newest: await withSupports(this.readSupports, docs),
          };
        }),
      );
    });
  }

  /**
   * Sorts by a field +1s change, computed from the support documents of the matching pebbles
   * (no stored count to trust): reads the numbers of every match, then the page's documents.
   */
  private async listByDerived(
    workspaceId: string,
    query: Filter<PebbleDoc>,
    field: 'supporterCount' | 'updatedAt',
    direction: 'asc' | 'desc',
    options: ListOptions<PebbleSortField>,
  ): Promise<Page<Pebble>> {
    const rows = await this.db
      .find(query, { projection: { _id: 0, number: 1, updatedAt: 1 } })
      .toArray();
    const supports = await this.supports
      .find(
        { workspaceId, number: { $in: rows.map((r) => r.number) } },
        { projection: { _id: 0, number: 1, at: 1 } },
      )
      .toArray();
    const start = options.offset ?? 0;
    const ordered = orderByDerived(rows, supports, field, direction);
    const page = ordered.slice(
      start,
      options.limit === undefined ? undefined : start + options.limit,
    );
    const docs = page.length
      ? await this.db.find({ workspaceId, number: { $in: page } }).toArray()
      : [];
    const byNumber = new Map(docs.map((d) => [d.number, d]));
    const pageSupports = await this.supportsOf(workspaceId, page);
    const items = page
      .map((n) => byNumber.get(n))
      .filter((d): d is NonNullable<typeof d> => d !== undefined)
      .map((d) => toPebble(d, pageSupports.get(d.number) ?? []));
    return { items, total: rows.length };
  }

  update(workspaceId: string, number: number, change: PebbleChange): Promise<Pebble | null> {
    return guard(async () => {
      const query: Filter<PebbleDoc> = { workspaceId, number };
      if (change.ifStatus) query.status = { $in: change.ifStatus };
      // A field set to undefined is cleared, as in the embedded store (the driver would skip it).
      const entries = Object.entries(change.set ?? {});
      const cleared = entries.filter(([, value]) => value === undefined).map(([key]) => key);
      const unset = [...(change.unset ?? []), ...cleared];
      const ops: UpdateFilter<PebbleDoc> = {
        $set: {
          ...Object.fromEntries(entries.filter(([, value]) => value !== undefined)),
          updatedAt: change.history.at,
        },
        $push: { history: change.history },
      };
      if (unset.length) {
        ops.$unset = Object.fromEntries(
          unset.map((k) => [k, '']),
        ) as UpdateFilter<PebbleDoc>['$unset'];
      }
      const doc = await this.db.findOneAndUpdate(query, ops, { returnDocument: 'after' });
      return doc ? this.withSupports(doc) : null;
    });
  }

  /**
   * One insert under the unique (workspace, pebble, user) key: of any number of concurrent +1s
   * of one person exactly one is added, on every server. The pebble document is not written.
   */
  addSupporter(
    workspaceId: string,
    number: number,
    supporter: Supporter,
    history: HistoryEntry,
  ): Promise<{ added: boolean; pebble: Pebble | null }> {
    return guard(() =>
      addSupport(
        {
          exists: async () =>
            (await this.db.findOne({ workspaceId, number }, { projection: { _id: 1 } })) !== null,
          insert: async (support) => {
            try {
              await this.supports.insertOne(support);
              return true;
            } catch (error) {
              if (!isDuplicateKey(error)) throw error;
              return false;
            }
          },
          remove: async (id) => {
            await this.supports.deleteOne({ _id: id });
          },
          get: () => this.get(workspaceId, number),
        },
        workspaceId,
        number,
        supporter,
        history,
      ),
    );
  }

  /** Removes the pebble, then its supports (left over only if a crash falls in between). */
  delete(workspaceId: string, number: number): Promise<boolean> {
    return guard(async () => {
      const deleted = (await this.db.deleteOne({ workspaceId, number })).deletedCount > 0;
      if (deleted) await this.supports.deleteMany({ workspaceId, number });
      return deleted;
    });
  }
}
