import type { MessageRef } from '../../core/shared/chat-gateway.port.js';
import { OutboxMessageSchema, type OutboxMessage } from '../../core/shared/outbox.port.js';
import type {
  NewOutboxMessage,
  OutboxFilter,
  OutboxRepository,
} from '../../core/ports/improvements.port.js';
import { outboxQuery, reopenQuery } from '../outbox-queries.js';
import {
  DerivedState,
  isUniqueViolation,
  matchesQuery,
  update,
  type Datastore,
} from './datastore.js';

type OutboxDoc = Omit<OutboxMessage, 'key'> & { _id: string };

/** nedb's unique index on `_id`: the stored document itself, or none. */
interface IdIndex {
  getMatching(id: string): OutboxDoc[];
}

function toMessage({ _id, ...rest }: OutboxDoc): OutboxMessage {
  return OutboxMessageSchema.parse({ ...rest, key: _id });
}

/** The outbox on nedb: the key is the document's `_id`, so it is unique by construction. */
export class NedbOutboxRepository implements OutboxRepository {
  /**
   * The keys of messages not yet delivered or given up, where a claim looks for work. Without
   * it every claim would match every message ever sent (nedb keeps them all in memory, and an
   * index on status would make each later update or removal scan all delivered ones).
   */
  private readonly unsent = new DerivedState(
    () =>
      new Set(
        (this.db.getAllData() as OutboxDoc[])
          .filter((d) => d.status === 'pending' || d.status === 'sending')
          .map((d) => d._id),
      ),
  );

  constructor(private readonly db: Datastore) {}

  /**
   * No index but `_id`: every claim and delivery updates one message by `_id`, and a
   * low-cardinality index (status) would make each of those updates cost O(messages) in nedb.
   * Claims find their candidates through the keys of undelivered messages instead.
   */
  static async indexes(_db: Datastore): Promise<void> {
    await Promise.resolve();
  }

  async enqueue(message: NewOutboxMessage): Promise<boolean> {
    const { key, ...rest } = message;
    try {
      await this.db.insertAsync({ ...rest, _id: key, status: 'pending', attempts: 0 });
      this.unsent.peek()?.add(key);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async get(key: string): Promise<OutboxMessage | null> {
    const doc = (await this.db.findOneAsync({ _id: key })) as OutboxDoc | null;
    return doc ? toMessage(doc) : null;
  }

  async claimDue(
    worker: string,
    now: Date,
    lockedUntil: Date,
    limit: number,
  ): Promise<OutboxMessage[]> {
    const claimed: OutboxMessage[] = [];
    const expired = { status: 'sending', lockedUntil: { $lt: now } };
    const due = { status: 'pending', nextAttemptAt: { $lte: now } };
    for (const [query, recovered] of [
      [expired, true],
      [due, false],
    ] as const) {
      while (claimed.length < limit) {
        const candidates = this.candidates(query, limit - claimed.length);
        if (candidates.length === 0) break;
        const before = claimed.length;
        for (const _id of candidates) {
          // The same condition again, on one document: a worker that got there first wins.
          const result = await update<OutboxDoc>(
            this.db,
            { ...query, _id },
            {
              $set: { status: 'sending', lockedBy: worker, lockedUntil, recovered },
              $inc: { attempts: 1 },
            },
          );
          const doc = result.affectedDocuments;
          if (doc && !Array.isArray(doc)) claimed.push(toMessage(doc));
        }
        // Every candidate went to another worker: leave the rest for the next round.
        if (claimed.length === before) break;
      }
    }
    return claimed;
  }

  /**
   * The keys of the `limit` undelivered messages that match `query`, due the longest first, read
   * in place from nedb's `_id` index (nedb never changes a stored document in place, so this
   * reads each as it now is, without a copy). Given the keys as `_id: {$in}` instead, nedb
   * compared each candidate with every key, then sorted them all, while the outbox's queue
   * waited: 0.8 s per claim in the soak once a busy channel's messages had piled up (6,000
   * waiting for its one-a-second limit), for the enqueues of every request's answers.
   */
  private candidates(query: Record<string, unknown>, limit: number): string[] {
    const byId = (this.db as unknown as { indexes: { _id: IdIndex } }).indexes._id;
    const found: OutboxDoc[] = [];
    for (const key of this.unsent.get()) {
      const doc = byId.getMatching(key)[0];
      if (doc && matchesQuery(doc, query)) found.push(doc);
    }
    return found
      .sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime())
      .slice(0, limit)
      .map((d) => d._id);
  }

  async markSent(
    key: string,
    worker: string,
    result: { at: Date; ref?: MessageRef },
  ): Promise<boolean> {
    const done = await update<OutboxDoc>(
      this.db,
      { _id: key, status: 'sending', lockedBy: worker },
      {
        $set: {
          status: 'sent',
          sentAt: result.at,
          'view.blocks': [],
          ...(result.ref ? { ref: result.ref } : {}),
        },
        $unset: { lockedUntil: true },
      },
    );
    if (done.numAffected > 0) this.unsent.peek()?.delete(key);
    return done.numAffected > 0;
  }

  async release(
    key: string,
    worker: string,
    result: { nextAttemptAt: Date; error: string; failed?: boolean },
  ): Promise<boolean> {
    const done = await update<OutboxDoc>(
      this.db,
      { _id: key, status: 'sending', lockedBy: worker },
      {
        $set: {
          status: result.failed ? 'failed' : 'pending',
          nextAttemptAt: result.nextAttemptAt,
          lastError: result.error.slice(0, 1_000),
        },
        $unset: { lockedUntil: true },
      },
    );
    if (done.numAffected > 0 && result.failed) this.unsent.peek()?.delete(key);
    return done.numAffected > 0;
  }

  async reopenChannel(
    workspaceId: string,
    channelId: string,
    kinds: string[],
    now: Date,
  ): Promise<number> {
    const done = await update<OutboxDoc>(
      this.db,
      reopenQuery(workspaceId, channelId, kinds),
      { $set: { status: 'pending', nextAttemptAt: now } },
      { multi: true },
    );
    const reopened = done.affectedDocuments;
    for (const doc of Array.isArray(reopened) ? reopened : reopened ? [reopened] : [])
      this.unsent.peek()?.add(doc._id);
    return done.numAffected;
  }

  async list(filter?: OutboxFilter, options: { limit?: number } = {}): Promise<OutboxMessage[]> {
    let cursor = this.db.findAsync(outboxQuery(filter)).sort({ createdAt: 1 });
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    return ((await cursor) as unknown as OutboxDoc[]).map(toMessage);
  }

  async count(filter?: OutboxFilter): Promise<number> {
    return this.db.countAsync(outboxQuery(filter));
  }
}
