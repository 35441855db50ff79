import {
  decodeVector,
  encodeVector,
  usageId,
  type AiCaps,
  type AiUsageRepository,
  type EmbeddingCacheRepository,
} from '../../core/ports/ai.port.js';
import { isUniqueViolation, update, type Datastore } from './datastore.js';

interface UsageDoc {
  _id: string;
  workspaceId: string;
  day: string;
  calls: number;
  tokens: number;
}

/** AI usage counters on nedb (operations on one datastore run one at a time). */
export class NedbAiUsageRepository implements AiUsageRepository {
  constructor(private readonly db: Datastore) {}

  async reserve(workspaceId: string, day: string, caps: AiCaps): Promise<boolean> {
    const _id = usageId(workspaceId, day);
    // The day's counter is created first, so the conditional increment below is one atomic
    // update that either counts the call under both caps or changes nothing.
    await update<UsageDoc>(
      this.db,
      { _id },
      { $inc: { calls: 0, tokens: 0 }, $set: { workspaceId, day } },
      { upsert: true },
    );
    const result = await update<UsageDoc>(
      this.db,
      { _id, calls: { $lt: caps.maxCalls }, tokens: { $lt: caps.maxTokens } },
      { $inc: { calls: 1 } },
    );
    return result.numAffected > 0;
  }

  async addTokens(workspaceId: string, day: string, tokens: number): Promise<void> {
    if (tokens <= 0) return;
    await update<UsageDoc>(
      this.db,
      { _id: usageId(workspaceId, day) },
      { $inc: { tokens }, $set: { workspaceId, day } },
      { upsert: true },
    );
  }

  async get(workspaceId: string, day: string): Promise<{ calls: number; tokens: number }> {
    const doc = (await this.db.findOneAsync({ _id: usageId(workspaceId, day) })) as UsageDoc | null;
    return { calls: doc?.calls ?? 0, tokens: doc?.tokens ?? 0 };
  }
}

interface EmbeddingDoc {
  _id: string;
  vector: string;
}

export class NedbEmbeddingCacheRepository implements EmbeddingCacheRepository {
  constructor(private readonly db: Datastore) {}

  async get(keys: readonly string[]): Promise<Map<string, number[]>> {
    if (keys.length === 0) return new Map<string, number[]>();
    const docs = (await this.db.findAsync({
      _id: { $in: [...keys] },
    })) as unknown as EmbeddingDoc[];
    return new Map(docs.map((d) => [d._id, decodeVector(d.vector)]));
  }

  async put(entries: readonly { key: string; vector: readonly number[] }[]): Promise<void> {
    for (const { key, vector } of entries) {
      try {
        await this.db.insertAsync({ _id: key, vector: encodeVector(vector) });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
  }
}
