import type { Lease, LeaseRepository } from '../../core/ports/improvements.port.js';
import { isUniqueViolation, update, type Datastore } from './datastore.js';

interface LeaseDoc {
  _id: string;
  holder: string;
  lockedUntil: Date;
}

/** Leases on nedb: one conditional upsert per acquisition, decided by `lockedUntil`. */
export class NedbLeaseRepository implements LeaseRepository {
  constructor(private readonly db: Datastore) {}

  async acquire(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    try {
      // Matches a lease that is free (expired) or already ours; when none matches, the upsert
      // inserts `{ _id: name }`, which fails on the unique _id while someone else holds it.
      const result = await update<LeaseDoc>(
        this.db,
        { _id: name, $or: [{ lockedUntil: { $lte: now } }, { holder }] },
        { $set: { holder, lockedUntil: until } },
        { upsert: true },
      );
      return result.numAffected > 0;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async release(name: string, holder: string): Promise<boolean> {
    return (await this.db.removeAsync({ _id: name, holder }, {})) > 0;
  }

  async get(name: string): Promise<Lease | null> {
    const doc = (await this.db.findOneAsync({ _id: name })) as LeaseDoc | null;
    return doc ? { name: doc._id, holder: doc.holder, lockedUntil: doc.lockedUntil } : null;
  }
}
