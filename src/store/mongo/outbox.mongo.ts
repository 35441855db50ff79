import type { Collection, Filter } from 'mongodb';
import type { MessageRef } from '../../core/shared/chat-gateway.port.js';
import { OutboxMessageSchema, type OutboxMessage } from '../../core/shared/outbox.port.js';
import type { NewOutboxMessage, OutboxFilter, OutboxRepository } from '../improvements.port.js';
import { guard, isDuplicateKey } from './mongo.errors.js';

export type OutboxDoc = Omit<OutboxMessage, 'key'> & { _id: string };

function toMessage({ _id, ...rest }: OutboxDoc): OutboxMessage {
  return OutboxMessageSchema.parse({ ...rest, key: _id });
}

function toQuery(filter: OutboxFilter = {}): Filter<OutboxDoc> {
  const query: Record<string, unknown> = {};
  if (filter.status?.length) query.status = { $in: filter.status };
  if (filter.workspaceId) query.workspaceId = filter.workspaceId;
  if (filter.kind) query.kind = filter.kind;
  return query;
}

/** The outbox on MongoDB: the key is `_id` (unique), each claim one findOneAndUpdate. */
export class MongoOutboxRepository implements OutboxRepository {
  constructor(private readonly db: Collection<OutboxDoc>) {}

  static async indexes(db: Collection<OutboxDoc>): Promise<void> {
    await db.createIndex({ status: 1, nextAttemptAt: 1 });
    await db.createIndex({ status: 1, lockedUntil: 1 });
    await db.createIndex({ createdAt: 1 });
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
          const doc = await this.db.findOneAndUpdate(
            query,
            {
              $set: { status: 'sending', lockedBy: worker, lockedUntil, recovered },
              $inc: { attempts: 1 },
            },
            { sort: { nextAttemptAt: 1 }, returnDocument: 'after' },
          );
          if (!doc) break;
          claimed.push(toMessage(doc));
        }
      }
      return claimed;
    });
  }

  markSent(key: string, worker: string, result: { at: Date; ref?: MessageRef }): Promise<boolean> {
    return guard(async () => {
      const done = await this.db.updateOne(
        { _id: key, status: 'sending', lockedBy: worker },
        {
          $set: { status: 'sent', sentAt: result.at, ...(result.ref ? { ref: result.ref } : {}) },
          $unset: { lockedUntil: '' },
        },
      );
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
      return done.modifiedCount > 0;
    });
  }

  list(filter?: OutboxFilter, options: { limit?: number } = {}): Promise<OutboxMessage[]> {
    return guard(async () => {
      let cursor = this.db.find(toQuery(filter)).sort({ createdAt: 1, _id: 1 });
      if (options.limit !== undefined) cursor = cursor.limit(options.limit);
      return (await cursor.toArray()).map(toMessage);
    });
  }

  count(filter?: OutboxFilter): Promise<number> {
    return guard(() => this.db.countDocuments(toQuery(filter)));
  }
}
