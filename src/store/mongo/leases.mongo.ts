import type { Collection } from 'mongodb';
import type { Lease, LeaseRepository } from '../../core/ports/improvements.port.js';
import { guard, isDuplicateKey } from './mongo.errors.js';

export interface LeaseDoc {
  _id: string;
  holder: string;
  lockedUntil: Date;
}

/**
 * Leases on MongoDB: findOneAndUpdate on `lockedUntil` with upsert. While someone else holds
 * the lease the filter matches nothing and the upsert's insert of the same `_id` fails with
 * E11000: not acquired. No TTL index decides anything (the TTL monitor runs once a minute).
 */
export class MongoLeaseRepository implements LeaseRepository {
  constructor(private readonly db: Collection<LeaseDoc>) {}

  acquire(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    return guard(async () => {
      try {
        const doc = await this.db.findOneAndUpdate(
          { _id: name, $or: [{ lockedUntil: { $lte: now } }, { holder }] },
          { $set: { holder, lockedUntil: until } },
          { upsert: true, returnDocument: 'after' },
        );
        return doc?.holder === holder;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }

  release(name: string, holder: string): Promise<boolean> {
    return guard(async () => (await this.db.deleteOne({ _id: name, holder })).deletedCount > 0);
  }

  get(name: string): Promise<Lease | null> {
    return guard(async () => {
      const doc = await this.db.findOne({ _id: name });
      return doc ? { name: doc._id, holder: doc.holder, lockedUntil: doc.lockedUntil } : null;
    });
  }
}
