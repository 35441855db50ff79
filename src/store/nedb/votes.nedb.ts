import { randomUUID } from 'node:crypto';
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
import { isUniqueViolation, update, type Datastore } from './datastore.js';
import { nextSequence } from './sequences.nedb.js';

type VoteDoc = Omit<Vote, 'id'> & { _id: string };

function toVote({ _id, ...rest }: VoteDoc): Vote {
  return VoteSchema.parse({ ...rest, id: _id });
}

const MAX_CREATE_ATTEMPTS = 5;

export class NedbVoteRepository implements VoteRepository {
  constructor(
    private readonly db: Datastore,
    private readonly sequences: Datastore,
  ) {}

  static async indexes(db: Datastore): Promise<void> {
    await db.ensureIndexAsync({ fieldName: ['workspaceId', 'number'], unique: true });
    await db.ensureIndexAsync({ fieldName: 'workspaceId' });
    await db.ensureIndexAsync({ fieldName: 'status' });
  }

  async create(vote: NewVote): Promise<Vote> {
    const key = `${vote.workspaceId}:vote`;
    for (let attempt = 1; attempt <= MAX_CREATE_ATTEMPTS; attempt++) {
      const doc: VoteDoc = {
        ...(defined(vote) as NewVote),
        _id: randomUUID(),
        number: await nextSequence(this.sequences, key),
      };
      try {
        return toVote(await this.db.insertAsync(doc));
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // The number is taken (a counter behind the data): move the counter past the highest.
        const [last] = (await this.db
          .findAsync({ workspaceId: vote.workspaceId })
          .sort({ number: -1 })
          .limit(1)) as unknown as VoteDoc[];
        if (last) await update(this.sequences, { _id: key }, { $max: { seq: last.number } });
      }
    }
    throw new PebbleError(
      'STORE.DUPLICATE',
      `Could not give a new vote of workspace ${vote.workspaceId} a free number.`,
    );
  }

  async get(workspaceId: string, number: number): Promise<Vote | null> {
    const doc = (await this.db.findOneAsync({ workspaceId, number })) as VoteDoc | null;
    return doc ? toVote(doc) : null;
  }

  async list(
    workspaceId: string,
    filter?: VoteFilter,
    options: ListOptions<'number'> = {},
  ): Promise<Page<Vote>> {
    const query = voteQuery(workspaceId, filter);
    const dir = options.sort?.direction === 'asc' ? 1 : -1;
    let cursor = this.db.findAsync(query).sort({ number: dir });
    if (options.offset) cursor = cursor.skip(options.offset);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    const [docs, total] = await Promise.all([
      cursor as unknown as Promise<VoteDoc[]>,
      this.db.countAsync(query) as unknown as Promise<number>,
    ]);
    return { items: docs.map(toVote), total };
  }

  async update(workspaceId: string, number: number, change: VoteChange): Promise<Vote | null> {
    const query = { ...voteConditions(change), workspaceId, number };
    const ops: Record<string, unknown> = {
      $set: { ...defined(change.set ?? {}), updatedAt: change.history.at },
      $push: { history: change.history },
    };
    if (change.unset?.length) ops.$unset = Object.fromEntries(change.unset.map((k) => [k, true]));
    const result = await update<VoteDoc>(this.db, query, ops);
    const doc = result.affectedDocuments;
    return doc && !Array.isArray(doc) ? toVote(doc) : null;
  }

  async needingAttention(now: Date, limit: number): Promise<Vote[]> {
    const docs = (await this.db
      .findAsync(attentionQuery(now))
      .sort({ createdAt: 1 })
      .limit(limit)) as unknown as VoteDoc[];
    return docs.map(toVote);
  }
}
