import type { Collection } from 'mongodb';
import { DigestSnapshotSchema, type DigestSnapshot } from '../../core/digest/digest.model.js';
import type { DigestRepository } from '../../core/ports/digests.port.js';
import { guard, isDuplicateKey } from './mongo.errors.js';

export type DigestDoc = DigestSnapshot & { _id: string };

function toSnapshot({ _id: _ignored, ...rest }: DigestDoc): DigestSnapshot {
  return DigestSnapshotSchema.parse(rest);
}

const idOf = (workspaceId: string, period: string) => `${workspaceId}:${period}`;

/**
 * Digest snapshots on MongoDB: `{workspace}:{period}` is the `_id`, so a second insert for the
 * same period fails with a duplicate key and the first snapshot stands (one insert, atomic).
 */
export class MongoDigestRepository implements DigestRepository {
  constructor(private readonly db: Collection<DigestDoc>) {}

  static async indexes(db: Collection<DigestDoc>): Promise<void> {
    await db.createIndex({ workspaceId: 1, period: -1 });
  }

  saveOnce(snapshot: DigestSnapshot): Promise<{ snapshot: DigestSnapshot; created: boolean }> {
    return guard(async () => {
      const _id = idOf(snapshot.workspaceId, snapshot.period);
      try {
        await this.db.insertOne({ ...snapshot, _id });
        return { snapshot: DigestSnapshotSchema.parse(snapshot), created: true };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const existing = await this.db.findOne({ _id });
        if (!existing) throw error;
        return { snapshot: toSnapshot(existing), created: false };
      }
    });
  }

  get(workspaceId: string, period: string): Promise<DigestSnapshot | null> {
    return guard(async () => {
      const doc = await this.db.findOne({ _id: idOf(workspaceId, period) });
      return doc ? toSnapshot(doc) : null;
    });
  }

  markQueued(workspaceId: string, period: string, at: Date): Promise<boolean> {
    return guard(async () => {
      const result = await this.db.updateOne(
        { _id: idOf(workspaceId, period), queuedAt: { $exists: false } },
        { $set: { queuedAt: at } },
      );
      return result.modifiedCount > 0;
    });
  }

  list(workspaceId: string, limit: number): Promise<DigestSnapshot[]> {
    return guard(async () => {
      const docs = await this.db.find({ workspaceId }).sort({ period: -1 }).limit(limit).toArray();
      return docs.map(toSnapshot);
    });
  }
}
