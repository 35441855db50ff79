import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { VoteSchema, type Vote } from '../../core/council/council.model.js';
import { PebbleError } from '../../core/shared/errors.js';
import type {
  NewVote,
  VoteChange,
  VoteFilter,
  VoteRepository,
} from '../../core/ports/council.port.js';
import { attentionQuery, defined, voteConditions, voteQuery } from '../council-queries.js';
import type { ListOptions, Page } from '../../core/ports/store.port.js';
import { guard, isDuplicateKey } from './mongo.errors.js';
import { nextSequence, raiseSequence, type SequenceDoc } from './sequences.mongo.js';

export type VoteDoc = Omit<Vote, 'id'> & { _id: string };

function toVote({ _id, ...rest }: VoteDoc): Vote {
  return VoteSchema.parse({ ...rest, id: _id });
}

/** Attempts to number a new vote; each failed one means a number was taken meanwhile. */
const MAX_CREATE_ATTEMPTS = 20;

export class MongoVoteRepository implements VoteRepository {
  constructor(
    private readonly db: Collection<VoteDoc>,
    private readonly sequences: Collection<SequenceDoc>,
  ) {}

  static async indexes(db: Collection<VoteDoc>): Promise<void> {
    await db.createIndex({ workspaceId: 1, number: 1 }, { unique: true });
    await db.createIndex({ status: 1, deadline: 1 });
  }

  /**
   * Numbered from the workspace counter; the unique {workspaceId, number} index decides. On a
   * collision (a counter behind the data, or a server whose `$inc` is not atomic, FerretDB 1.x)
   * the counter is raised past the highest number and the insert retried.
   */
  create(vote: NewVote): Promise<Vote> {
    return guard(async () => {
      const key = `${vote.workspaceId}:vote`;
      for (let attempt = 1; attempt <= MAX_CREATE_ATTEMPTS; attempt++) {
        const doc = {
          ...(defined(vote) as NewVote),
          _id: randomUUID(),
          number: await nextSequence(this.sequences, key),
        } satisfies VoteDoc;
        try {
          await this.db.insertOne(doc);
          return toVote(doc);
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          const [last] = await this.db
            .find({ workspaceId: vote.workspaceId })
            .sort({ number: -1 })
            .limit(1)
            .toArray();
          if (last) await raiseSequence(this.sequences, key, last.number);
          await setTimeout(Math.random() * Math.min(2 ** attempt, 100));
        }
      }
      throw new PebbleError(
        'STORE.DUPLICATE',
        `Could not give a new vote of workspace ${vote.workspaceId} a free number.`,
      );
    });
  }

  get(workspaceId: string, number: number): Promise<Vote | null> {
    return guard(async () => {
      const doc = await this.db.findOne({ workspaceId, number });
      return doc ? toVote(doc) : null;
    });
  }

  list(
    workspaceId: string,
    filter?: VoteFilter,
    options: ListOptions<'number'> = {},
  ): Promise<Page<Vote>> {
    return guard(async () => {
      const query = voteQuery(workspaceId, filter) as Filter<VoteDoc>;
      const dir = options.sort?.direction === 'asc' ? 1 : -1;
      let cursor = this.db.find(query).sort({ number: dir });
      if (options.offset) cursor = cursor.skip(options.offset);
      if (options.limit !== undefined) cursor = cursor.limit(options.limit);
      const [docs, total] = await Promise.all([cursor.toArray(), this.db.countDocuments(query)]);
      return { items: docs.map(toVote), total };
    });
  }

  update(workspaceId: string, number: number, change: VoteChange): Promise<Vote | null> {
    return guard(async () => {
      const query = { ...voteConditions(change), workspaceId, number } as Filter<VoteDoc>;
      const ops: UpdateFilter<VoteDoc> = {
        $set: { ...defined(change.set ?? {}), updatedAt: change.history.at },
        $push: { history: change.history },
      };
      if (change.unset?.length) {
        ops.$unset = Object.fromEntries(
          change.unset.map((k) => [k, '']),
        ) as UpdateFilter<VoteDoc>['$unset'];
      }
      const doc = await this.db.findOneAndUpdate(query, ops, { returnDocument: 'after' });
      return doc ? toVote(doc) : null;
    });
  }

  needingAttention(now: Date, limit: number): Promise<Vote[]> {
    return guard(async () => {
      const docs = await this.db
        .find(attentionQuery(now) as Filter<VoteDoc>)
        .sort({ createdAt: 1 })
        .limit(limit)
        .toArray();
      return docs.map(toVote);
    });
  }
}
