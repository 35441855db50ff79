import { DigestSnapshotSchema, type DigestSnapshot } from '../../core/digest/digest.model.js';
import type { DigestRepository } from '../../core/ports/digests.port.js';
import { isUniqueViolation, update, type Datastore } from './datastore.js';

type DigestDoc = DigestSnapshot & { _id: string };

function toSnapshot({ _id: _ignored, ...rest }: DigestDoc): DigestSnapshot {
  return DigestSnapshotSchema.parse(rest);
}

const idOf = (workspaceId: string, period: string) => `${workspaceId}:${period}`;

/** Digest snapshots on nedb: `{workspace}:{period}` is the `_id`, unique by construction. */
export class NedbDigestRepository implements DigestRepository {
  constructor(private readonly db: Datastore) {}

  static async indexes(db: Datastore): Promise<void> {
    await db.ensureIndexAsync({ fieldName: 'workspaceId' });
  }

  async saveOnce(
    snapshot: DigestSnapshot,
  ): Promise<{ snapshot: DigestSnapshot; created: boolean }> {
    const _id = idOf(snapshot.workspaceId, snapshot.period);
    try {
      const doc = (await this.db.insertAsync({ ...snapshot, _id })) as DigestDoc;
      return { snapshot: toSnapshot(doc), created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.get(snapshot.workspaceId, snapshot.period);
      if (!existing) throw error;
      return { snapshot: existing, created: false };
    }
  }

  async get(workspaceId: string, period: string): Promise<DigestSnapshot | null> {
    const doc = (await this.db.findOneAsync({
      _id: idOf(workspaceId, period),
    })) as DigestDoc | null;
    return doc ? toSnapshot(doc) : null;
  }

  async markQueued(workspaceId: string, period: string, at: Date): Promise<boolean> {
    const result = await update<DigestDoc>(
      this.db,
      { _id: idOf(workspaceId, period), queuedAt: { $exists: false } },
      { $set: { queuedAt: at } },
    );
    return result.numAffected > 0;
  }

  async list(workspaceId: string, limit: number): Promise<DigestSnapshot[]> {
    const docs = (await this.db
      .findAsync({ workspaceId })
      .sort({ period: -1 })
      .limit(limit)) as unknown as DigestDoc[];
    return docs.map(toSnapshot);
  }
}
