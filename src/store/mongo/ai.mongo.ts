import type { Collection } from 'mongodb';
import {
  decodeVector,
  encodeVector,
  usageId,
  type AiCaps,
  type AiUsageRepository,
  type EmbeddingCacheRepository,
} from '../../core/ports/ai.port.js';
import { guard, isDuplicateKey } from './mongo.errors.js';

export interface AiUsageDoc {
  _id: string;
  workspaceId: string;
  day: string;
  calls: number;
  tokens: number;
}

export interface EmbeddingDoc {
  _id: string;
  vector: string;
}

/** AI usage counters on MongoDB: one conditional upsert per call, no read-modify-write. */
export class MongoAiUsageRepository implements AiUsageRepository {
  constructor(private readonly db: Collection<AiUsageDoc>) {}

  reserve(workspaceId: string, day: string, caps: AiCaps): Promise<boolean> {
    return guard(async () => {
      const _id = usageId(workspaceId, day);
      // The day's counter is created first, so the conditional increment below is one atomic
      // update that either counts the call under both caps or changes nothing.
      try {
        await this.db.updateOne(
          { _id },
          { $inc: { calls: 0, tokens: 0 }, $setOnInsert: { workspaceId, day } },
          { upsert: true },
        );
      } catch (error) {
        // Another replica created the counter at the same moment: it exists, which is the point.
        if (!isDuplicateKey(error)) throw error;
      }
      const result = await this.db.updateOne(
        { _id, calls: { $lt: caps.maxCalls }, tokens: { $lt: caps.maxTokens } },
        { $inc: { calls: 1 } },
      );
      return result.modifiedCount > 0;
    });
  }

  addTokens(workspaceId: string, day: string, tokens: number): Promise<void> {
    if (tokens <= 0) return Promise.resolve();
    return guard(async () => {
      await this.db.updateOne(
        { _id: usageId(workspaceId, day) },
        { $inc: { tokens, calls: 0 }, $setOnInsert: { workspaceId, day } },
        { upsert: true },
      );
    });
  }

  get(workspaceId: string, day: string): Promise<{ calls: number; tokens: number }> {
    return guard(async () => {
      const doc = await this.db.findOne({ _id: usageId(workspaceId, day) });
      return { calls: doc?.calls ?? 0, tokens: doc?.tokens ?? 0 };
    });
  }
}

export class MongoEmbeddingCacheRepository implements EmbeddingCacheRepository {
  constructor(private readonly db: Collection<EmbeddingDoc>) {}

  get(keys: readonly string[]): Promise<Map<string, number[]>> {
    if (keys.length === 0) return Promise.resolve(new Map<string, number[]>());
    return guard(async () => {
      const docs: EmbeddingDoc[] = await this.db.find({ _id: { $in: [...keys] } }).toArray();
      return new Map(docs.map((d) => [d._id, decodeVector(d.vector)]));
    });
  }

  put(entries: readonly { key: string; vector: readonly number[] }[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return guard(async () => {
      await this.db.bulkWrite(
        entries.map(({ key, vector }) => ({
          updateOne: {
            filter: { _id: key },
            update: { $setOnInsert: { vector: encodeVector(vector) } },
            upsert: true,
          },
        })),
        { ordered: false },
      );
    });
  }
}
