import type { Collection, Filter } from 'mongodb';
import type { MessageRef } from '../../core/shared/chat-gateway.port.js';
import { OutboxMessageSchema, type OutboxMessage } from '../../core/shared/outbox.port.js';
import type {
  NewOutboxMessage,
  OutboxFilter,
  OutboxRepository,
} from '../../core/ports/improvements.port.js';
import { outboxQuery, reopenQuery } from '../outbox-queries.js';
import { guard, isDuplicateKey } from './mongo.errors.js';

export type OutboxDoc = Omit<OutboxMessage, 'key'> & { _id: string };

/** One attempt's claim: `_id` is `{key}#{attempt}`, so only one worker can make it. */
export interface OutboxClaimDoc {
  _id: string;
  key: string;
  worker: string;
  at: Date;
}

function toMessage({ _id, ...rest }: OutboxDoc): OutboxMessage {
  return OutboxMessageSchema.parse({ ...rest, key: _id });
}

/**
 * The outbox on MongoDB: the key is `_id` (unique). A claim is decided by a unique insert of
 * `{key}#{attempt}` into `outbox_claims`, then recorded on the message with an update
 * conditioned on the attempt: MongoDB would not need the insert (findOneAndUpdate is atomic),
 * but MongoDB-compatible servers that do not isolate concurrent updates of one document
 * (FerretDB 1.x) would otherwise let two replicas claim, and send, the same message.
 */
export class MongoOutboxRepository implements OutboxRepository {
  constructor(
    private readonly db: Collection<OutboxDoc>,
    private readonly claims: Collection<OutboxClaimDoc>,
  ) {}

  static async indexes(
    db: Collection<OutboxDoc>,
    claims: Collection<OutboxClaimDoc>,
  ): Promise<void> {
    await db.createIndex({ status: 1, nextAttemptAt: 1 });
    await db.createIndex({ status: 1, lockedUntil: 1 });
    await db.createIndex({ createdAt: 1 });
    await claims.createIndex({ key: 1 });
  }

  enqueue(message: NewOutboxMessage): Promise<boolean> {
    return guard(async () => {
      const { key, ...rest } = message;
      try {
        await this.db.insertOne({ ...rest, _id: key, status: 'pending', attempts: 0 });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }

  get(key: string): Promise<OutboxMessage | null> {
    return guard(async () => {
      const doc = await this.db.findOne({ _id: key });
      return doc ? toMessage(doc) : null;
    });
  }

  claimDue(worker: string, now: Date, lockedUntil: Date, limit: number): Promise<OutboxMessage[]> {
    return guard(async () => {
      const claimed: OutboxMessage[] = [];
      const phases: [Filter<OutboxDoc>, boolean][] = [
        [{ status: 'sending', lockedUntil: { $lt: now } }, true],
        [{ status: 'pending', nextAttemptAt: { $lte: now } }, false],
      ];
      for (const [query, recovered] of phases) {
        while (claimed.length < limit) {
          const candidates = await this.db
            .find(query, { projection: { _id: 1, attempts: 1 } })
            .sort({ nextAttemptAt: 1 })
            .limit(limit - claimed.length)
            .toArray();
          if (candidates.length === 0) break;
          const before = claimed.length;
          for (const { _id: key, attempts } of candidates) {
            const message = await this.claim(key, attempts, query, worker, lockedUntil, recovered);
            if (message) claimed.push(message);
          }
          // Every candidate went to another worker: leave the rest for the next round.
          if (claimed.length === before) break;
        }
      }
      return claimed;
    });
  }

  /** Claims one attempt of one message: the unique insert decides, the update records it. */
  private async claim(
    key: string,
    attempts: number,
    query: Filter<OutboxDoc>,
    worker: string,
    lockedUntil: Date,
    recovered: boolean,
  ): Promise<OutboxMessage | null> {
    const claimId = `${key}#${attempts + 1}`;
    try {
      await this.claims.insertOne({ _id: claimId, key, worker, at: new Date() });
    } catch (error) {
      if (isDuplicateKey(error)) return null;
      throw error;
    }
    const doc = await this.db.findOneAndUpdate(
      { ...query, _id: key, attempts },
      {
        $set: { status: 'sending', lockedBy: worker, lockedUntil, recovered },
        $inc: { attempts: 1 },
      },
      { returnDocument: 'after' },
    );
    if (doc) return toMessage(doc);
    // The message changed since it was listed (sent, released): the claim is void.
    await this.claims.deleteOne({ _id: claimId });
    return null;
  }

  markSent(key: string, worker: string, result: { at: Date; ref?: MessageRef }): Promise<boolean> {
    return guard(async () => {
      const done = await this.db.updateOne(
        { _id: key, status: 'sending', lockedBy: worker },
        {
          $set: {
            status: 'sent',
            sentAt: result.at,
            'view.blocks': [],
            ...(result.ref ? { ref: result.ref } : {}),
          },
          $unset: { lockedUntil: '' },
        },
      );
      if (done.modifiedCount > 0) await this.claims.deleteMany({ key });
      return done.modifiedCount > 0;
    });
  }

  release(
    key: string,
    worker: string,
    result: { nextAttemptAt: Date; error: string; failed?: boolean },
  ): Promise<boolean> {
    return guard(async () => {
      const done = await this.db.updateOne(
        { _id: key, status: 'sending', lockedBy: worker },
        {
          $set: {
            status: result.failed ? 'failed' : 'pending',
            nextAttemptAt: result.nextAttemptAt,
            lastError: result.error.slice(0, 1_000),
          },
          $unset: { lockedUntil: '' },
        },
      );
      if (done.modifiedCount > 0) await this.claims.deleteMany({ key });
      return done.modifiedCount > 0;
    });
  }

  reopenChannel(
    workspaceId: string,
    channelId: string,
    kinds: string[],
    now: Date,
  ): Promise<number> {
    return guard(async () => {
      const done = await this.db.updateMany(reopenQuery(workspaceId, channelId, kinds), {
        $set: { status: 'pending', nextAttemptAt: now },
      });
      return done.modifiedCount;
    });
  }

  list(filter?: OutboxFilter, options: { limit?: number } = {}): Promise<OutboxMessage[]> {
    return guard(async () => {
      let cursor = this.db.find(outboxQuery(filter)).sort({ createdAt: 1, _id: 1 });
      if (options.limit !== undefined) cursor = cursor.limit(options.limit);
      return (await cursor.toArray()).map(toMessage);
    });
  }

  count(filter?: OutboxFilter): Promise<number> {
    return guard(() => this.db.countDocuments(outboxQuery(filter)));
  }
}
