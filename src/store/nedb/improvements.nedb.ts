import { randomUUID } from 'node:crypto';
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
import { isUniqueViolation, update, type Datastore } from './datastore.js';
import { nextSequence } from './sequences.nedb.js';

const MAX_CREATE_ATTEMPTS = 5;

export class NedbImprovementRepository implements ImprovementRepository {
  constructor(
    private readonly db: Datastore,
    private readonly sequences: Datastore,
  ) {}

  static async indexes(db: Datastore): Promise<void> {
    // NOTE: nedb picks a single-field index on an equality before a compound one, and keeps
    // the documents of one index key in an array that every update of one of them rewrites:
    // an index on workspaceId or status would make each `{ workspaceId, number }` update cost
    // O(documents) (10,000 improvements: a nudge sweep went from 6 s to under 1 s without).
    // The compound index serves the updates; lists scan, which nedb does fast in memory.
    await db.ensureIndexAsync({ fieldName: ['workspaceId', 'number'], unique: true });
  }

  async create(
    improvement: NewImprovement,
    options: { idempotencyKey?: string } = {},
  ): Promise<{ improvement: Improvement; created: boolean }> {
    const id = options.idempotencyKey
      ? `${improvement.workspaceId}:${options.idempotencyKey}`
      : randomUUID();
    if (options.idempotencyKey) {
      const existing = (await this.db.findOneAsync({ _id: id })) as ImprovementDoc | null;
      if (existing) return { improvement: toImprovement(existing), created: false };
    }
    const key = `${improvement.workspaceId}:improvement`;
    for (let attempt = 1; attempt <= MAX_CREATE_ATTEMPTS; attempt++) {
      const doc: ImprovementDoc = {
        ...improvement,
        _id: id,
        number: await nextSequence(this.sequences, key),
        feedbackIds: [],
      };
      try {
        return { improvement: toImprovement(await this.db.insertAsync(doc)), created: true };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const existing = (await this.db.findOneAsync({ _id: id })) as ImprovementDoc | null;
        if (existing) return { improvement: toImprovement(existing), created: false };
        // The number is taken (a counter behind the data): move the counter past the highest.
        const [last] = (await this.db
          .findAsync({ workspaceId: improvement.workspaceId })
          .sort({ number: -1 })
          .limit(1)) as unknown as ImprovementDoc[];
        if (last) await update(this.sequences, { _id: key }, { $max: { seq: last.number } });
      }
    }
    throw new PebbleError(
      'STORE.DUPLICATE',
      `Could not give a new improvement of workspace ${improvement.workspaceId} a free number.`,
    );
  }

  async get(workspaceId: string, number: number): Promise<Improvement | null> {
    const doc = (await this.db.findOneAsync({ workspaceId, number })) as ImprovementDoc | null;
    return doc ? toImprovement(doc) : null;
  }

  async list(
    workspaceId: string,
    filter?: ImprovementFilter,
    options: ListOptions<ImprovementSortField> = {},
  ): Promise<Page<Improvement>> {
    const query = improvementQuery(workspaceId, filter);
    const sort = options.sort ?? { field: 'number', direction: 'asc' };
    const dir = sort.direction === 'asc' ? 1 : -1;
    let cursor = this.db
      .findAsync(query)
      .sort(sort.field === 'number' ? { number: dir } : { [sort.field]: dir, number: dir });
    if (options.offset) cursor = cursor.skip(options.offset);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    const [docs, total] = await Promise.all([
      cursor as unknown as Promise<ImprovementDoc[]>,
      this.db.countAsync(query) as unknown as Promise<number>,
    ]);
    return { items: docs.map(toImprovement), total };
  }

  async count(workspaceId: string, filter?: ImprovementFilter): Promise<number> {
    return this.db.countAsync(improvementQuery(workspaceId, filter));
  }

  async update(
    workspaceId: string,
    number: number,
    change: ImprovementChange,
  ): Promise<Improvement | null> {
    const query = { ...improvementConditions(change), workspaceId, number };
    const result = await update<ImprovementDoc>(
      this.db,
      query,
      improvementOperations(change, true),
    );
    const doc = result.affectedDocuments;
    return doc && !Array.isArray(doc) ? toImprovement(doc) : null;
  }

  async updateMany(
    workspaceId: string,
    numbers: number[],
    change: ImprovementChange,
  ): Promise<number> {
    // One update per improvement: each uses the compound index (a `$in` would scan them all).
    let changed = 0;
    for (const number of new Set(numbers)) {
      const query = { ...improvementConditions(change), workspaceId, number };
      changed += (await update<ImprovementDoc>(this.db, query, improvementOperations(change, true)))
        .numAffected;
    }
    return changed;
  }

  async addFeedback(
    workspaceId: string,
    number: number,
    feedback: FixFeedback,
    history: HistoryEntry,
  ): Promise<{ added: boolean; improvement: Improvement | null }> {
    // NOTE: nedb matches `{ array: { $ne: x } }` when any element differs; a top-level $not
    // says "not yet answered" (nedb runs one operation at a time per file).
    const result = await update<ImprovementDoc>(
      this.db,
      { workspaceId, number, $not: { feedbackIds: feedback.userId } },
      {
        $push: { feedback, feedbackIds: feedback.userId, history },
        $set: { updatedAt: history.at },
      },
    );
    const doc = result.affectedDocuments;
    if (doc && !Array.isArray(doc)) return { added: true, improvement: toImprovement(doc) };
    return { added: false, improvement: await this.get(workspaceId, number) };
  }
}
