import type { Collection } from 'mongodb';
import type { ProcessedEventRepository } from '../../core/ports/store.port.js';
import { guard, isDuplicateKey, isNotImplemented } from './mongo.errors.js';

export interface ProcessedEventDoc {
  _id: string;
  expiresAt: Date;
}

export class MongoProcessedEventRepository implements ProcessedEventRepository {
  constructor(private readonly db: Collection<ProcessedEventDoc>) {}

  /**
   * A TTL index removes claims once `expiresAt` has passed. Servers without TTL indexes
   * (FerretDB 1.x) get a plain index instead; `expiresByTtl` is then false and the store sweeps
   * expired claims itself with `sweep()`.
   */
  static async indexes(db: Collection<ProcessedEventDoc>): Promise<{ expiresByTtl: boolean }> {
    try {
      await db.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
      return { expiresByTtl: true };
    } catch (error) {
      if (!isNotImplemented(error)) throw error;
      await db.createIndex({ expiresAt: 1 });
      return { expiresByTtl: false };
    }
  }

  claim(key: string, expiresAt: Date): Promise<boolean> {
    return guard(async () => {
      try {
        await this.db.insertOne({ _id: key, expiresAt });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }

  /** Deletes expired claims (what the TTL monitor does where TTL indexes exist). */
  sweep(now: Date = new Date()): Promise<number> {
    return guard(async () => (await this.db.deleteMany({ expiresAt: { $lte: now } })).deletedCount);
  }
}
