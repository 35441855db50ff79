import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { Collection, Filter, Sort } from 'mongodb';
import type { FixFeedback, Improvement } from '../../core/improvements/improvement.model.js';
import type { HistoryEntry } from '../../core/shared/actor.js';
import { PebbleError } from '../../core/shared/errors.js';
import type {
  ImprovementChange,
  ImprovementFilter,
  ImprovementRepository,
  ImprovementSortField,
  NewImprovement,
} from '../../core/ports/improvements.port.js';
import type { ListOptions, Page } from '../../core/ports/store.port.js';
import {
  improvementConditions,
  improvementOperations,
  improvementQuery,
  toImprovement,
  type ImprovementDoc,
} from '../improvement-operations.js';
import { guard, isDuplicateKey } from './mongo.errors.js';
import { KeyedQueue, nextSequence, raiseSequence, type SequenceDoc } from './sequences.mongo.js';

const MAX_CREATE_ATTEMPTS = 50;

export class MongoImprovementRepository implements ImprovementRepository {
  /** Per-workspace queues of creates whose first number was taken (see `create`). */
  private readonly retries = new KeyedQueue();

  constructor(
    private readonly db: Collection<ImprovementDoc>,
    private readonly sequences: Collection<SequenceDoc>,
  ) {}

  static async indexes(db: Collection<ImprovementDoc>): Promise<void> {
    await db.createIndex({ workspaceId: 1, number: 1 }, { unique: true });
    await db.createIndex({ workspaceId: 1, status: 1 });
  }

  /**
   * The number comes from the workspace counter; the unique {workspaceId, number} index is the
   * arbiter. A taken number (a counter behind the data, or a server whose `$inc` loses
   * concurrent updates, such as FerretDB 1.x) raises the counter to the highest number in use
   * and tries again; retries of one workspace wait for each other in this process, as pebbles
   * do. An idempotency key is the `_id`, so a repeated create finds the first one.
   */
  create(
    improvement: NewImprovement,
    options: { idempotencyKey?: string } = {},
  ): Promise<{ improvement: Improvement; created: boolean }> {
    return guard(async () => {
      const id = options.idempotencyKey
        ? `${improvement.workspaceId}:${options.idempotencyKey}`
        : randomUUID();
      if (options.idempotencyKey) {
        const existing = await this.db.findOne({ _id: id });
        if (existing) return { improvement: toImprovement(existing), created: false };
      }
      const key = `${improvement.workspaceId}:improvement`;
      const first = await this.insertNext(improvement, id, key);
      if (first) return first;
      return this.retries.run(key, async () => {
        for (let attempt = 2; attempt <= MAX_CREATE_ATTEMPTS; attempt++) {
          const [last] = await this.db
            .find({ workspaceId: improvement.workspaceId })
            .sort({ number: -1 })
            .limit(1)
            .toArray();
          if (last) await raiseSequence(this.sequences, key, last.number);
          const retried = await this.insertNext(improvement, id, key);
          if (retried) return retried;
          await setTimeout(Math.random() * Math.min(2 ** attempt, 250));
        }
        throw new PebbleError(
          'STORE.DUPLICATE',
          `Could not give a new improvement of workspace ${improvement.workspaceId} a free number.`,
        );
      });
    });
  }

  /** Inserts with the next counter value; the existing one for a repeated key; null if taken. */
  private async insertNext(
    improvement: NewImprovement,
    id: string,
    key: string,
  ): Promise<{ improvement: Improvement; created: boolean } | null> {
    const doc: ImprovementDoc = {
      ...improvement,
      _id: id,
      number: await nextSequence(this.sequences, key),
      feedbackIds: [],
    };
    try {
      await this.db.insertOne(doc);
      return { improvement: toImprovement(doc), created: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.db.findOne({ _id: id });
      return existing ? { improvement: toImprovement(existing), created: false } : null;
    }
  }

  get(workspaceId: string, number: number): Promise<Improvement | null> {
    return guard(async () => {
      const doc = await this.db.findOne({ workspaceId, number });
      return doc ? toImprovement(doc) : null;
    });
  }

  list(
    workspaceId: string,
    filter?: ImprovementFilter,
    options: ListOptions<ImprovementSortField> = {},
  ): Promise<Page<Improvement>> {
    return guard(async () => {
      const query = improvementQuery(workspaceId, filter);
      const sort = options.sort ?? { field: 'number', direction: 'asc' };
      const dir = sort.direction === 'asc' ? 1 : -1;
      const order: Sort =
        sort.field === 'number' ? { number: dir } : { [sort.field]: dir, number: dir };
      let cursor = this.db.find(query).sort(order);
      if (options.offset) cursor = cursor.skip(options.offset);
      if (options.limit !== undefined) cursor = cursor.limit(options.limit);
      const [docs, total] = await Promise.all([cursor.toArray(), this.db.countDocuments(query)]);
      return { items: docs.map(toImprovement), total };
    });
  }

  count(workspaceId: string, filter?: ImprovementFilter): Promise<number> {
    return guard(() => this.db.countDocuments(improvementQuery(workspaceId, filter)));
  }

  update(
    workspaceId: string,
    number: number,
    change: ImprovementChange,
  ): Promise<Improvement | null> {
    return guard(async () => {
      const query = {
        ...improvementConditions(change),
        workspaceId,
        number,
      } as Filter<ImprovementDoc>;
      const doc = await this.db.findOneAndUpdate(query, improvementOperations(change, ''), {
        returnDocument: 'after',
      });
      return doc ? toImprovement(doc) : null;
    });
  }

  /** One updateMany: each document's update is atomic, its conditions checked per document. */
  updateMany(workspaceId: string, numbers: number[], change: ImprovementChange): Promise<number> {
    return guard(async () => {
      if (numbers.length === 0) return 0;
      const query = {
        ...improvementConditions(change),
        workspaceId,
        number: { $in: [...new Set(numbers)] },
      } as Filter<ImprovementDoc>;
      return (await this.db.updateMany(query, improvementOperations(change, ''))).modifiedCount;
    });
  }

  /** One conditional update: the filter only matches while the user has not answered yet. */
  addFeedback(
    workspaceId: string,
    number: number,
    feedback: FixFeedback,
    history: HistoryEntry,
  ): Promise<{ added: boolean; improvement: Improvement | null }> {
    return guard(async () => {
      const doc = await this.db.findOneAndUpdate(
        { workspaceId, number, feedbackIds: { $ne: feedback.userId } },
        {
          $push: { feedback, feedbackIds: feedback.userId, history },
          $set: { updatedAt: history.at },
        },
        { returnDocument: 'after' },
      );
      if (doc) return { added: true, improvement: toImprovement(doc) };
      return { added: false, improvement: await this.get(workspaceId, number) };
    });
  }
}
