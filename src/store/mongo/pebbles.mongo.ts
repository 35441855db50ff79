import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { Collection, Filter, Sort, UpdateFilter } from 'mongodb';
import { PebbleSchema, type Pebble, type Supporter } from '../../core/pebbles/pebble.model.js';
import type { HistoryEntry } from '../../core/shared/actor.js';
import { PebbleError } from '../../core/shared/errors.js';
import type {
  ListOptions,
  NewPebble,
  Page,
  PebbleChange,
  PebbleFilter,
  PebbleRepository,
  PebbleSortField,
} from '../store.port.js';
import { guard, isDuplicateKey } from './mongo.errors.js';
import { nextSequence, raiseSequence, type SequenceDoc } from './sequences.mongo.js';

export type PebbleDoc = Omit<Pebble, 'id'> & { _id: string; supporterIds: string[] };

function toPebble(doc: PebbleDoc): Pebble {
  const { _id, supporterIds: _ignored, ...rest } = doc;
  return PebbleSchema.parse({ ...rest, id: _id });
}

function toQuery(workspaceId: string, filter: PebbleFilter = {}): Filter<PebbleDoc> {
  const query: Record<string, unknown> = { workspaceId };
  if (filter.status?.length) query.status = { $in: filter.status };
  if (filter.journey) query.journey = filter.journey;
  if (filter.stage) query.stage = filter.stage;
  if (filter.stakeholder) query.stakeholder = filter.stakeholder;
  if (filter.reporterId) query['reporter.userId'] = filter.reporterId;
  if (filter.supporterId) query.supporterIds = filter.supporterId;
  if (filter.sourceMessage) {
    query['source.channelId'] = filter.sourceMessage.channelId;
    query['source.messageTs'] = filter.sourceMessage.messageTs;
  }
  if (filter.createdFrom || filter.createdTo) {
    query.createdAt = {
      ...(filter.createdFrom ? { $gte: filter.createdFrom } : {}),
      ...(filter.createdTo ? { $lt: filter.createdTo } : {}),
    };
  }
  return query;
}

/** Attempts to store one new pebble before giving up; each failed attempt means a number was taken. */
const MAX_CREATE_ATTEMPTS = 50;

export class MongoPebbleRepository implements PebbleRepository {
  /** Per-workspace queues of creates whose first number was taken (see `create`). */
  private readonly retries = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: Collection<PebbleDoc>,
    private readonly sequences: Collection<SequenceDoc>,
  ) {}

  static async indexes(db: Collection<PebbleDoc>): Promise<void> {
    await db.createIndex({ workspaceId: 1, number: 1 }, { unique: true });
    await db.createIndex({ workspaceId: 1, status: 1 });
    await db.createIndex({ workspaceId: 1, createdAt: 1 });
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
      return this.queued(key, async () => {
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
      supporters: [],
      supporterIds: [],
      supporterCount: 0,
    };
    try {
      await this.db.insertOne(doc);
      return toPebble(doc);
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

  /** Runs `task` after the tasks queued before it under `key`. */
  private queued<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.retries.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.retries.set(key, tail);
    void tail.then(() => {
      if (this.retries.get(key) === tail) this.retries.delete(key);
    });
    return run;
  }

  get(workspaceId: string, number: number): Promise<Pebble | null> {
    return guard(async () => {
      const doc = await this.db.findOne({ workspaceId, number });
      return doc ? toPebble(doc) : null;
    });
  }

  list(
    workspaceId: string,
    filter?: PebbleFilter,
    options: ListOptions<PebbleSortField> = {},
  ): Promise<Page<Pebble>> {
    return guard(async () => {
      const query = toQuery(workspaceId, filter);
      const sort = options.sort ?? { field: 'number', direction: 'desc' };
      const dir = sort.direction === 'asc' ? 1 : -1;
      const order: Sort =
        sort.field === 'number' ? { number: dir } : { [sort.field]: dir, number: dir };
      let cursor = this.db.find(query).sort(order);
      if (options.offset) cursor = cursor.skip(options.offset);
      if (options.limit !== undefined) cursor = cursor.limit(options.limit);
      const [docs, total] = await Promise.all([cursor.toArray(), this.db.countDocuments(query)]);
      return { items: docs.map(toPebble), total };
    });
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
      return doc ? toPebble(doc) : null;
    });
  }

  /** One conditional update: the filter only matches while the user is not yet a supporter. */
  addSupporter(
    workspaceId: string,
    number: number,
    supporter: Supporter,
    history: HistoryEntry,
  ): Promise<{ added: boolean; pebble: Pebble | null }> {
    return guard(async () => {
      const doc = await this.db.findOneAndUpdate(
        { workspaceId, number, supporterIds: { $ne: supporter.userId } },
        {
          $push: { supporters: supporter, supporterIds: supporter.userId, history },
          $inc: { supporterCount: 1 },
          $set: { updatedAt: history.at },
        },
        { returnDocument: 'after' },
      );
      if (doc) return { added: true, pebble: toPebble(doc) };
      return { added: false, pebble: await this.get(workspaceId, number) };
    });
  }

  delete(workspaceId: string, number: number): Promise<boolean> {
    return guard(async () => (await this.db.deleteOne({ workspaceId, number })).deletedCount > 0);
  }
}
