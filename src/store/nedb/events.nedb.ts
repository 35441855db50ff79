import type { ProcessedEventRepository } from '../../core/ports/store.port.js';
import { isUniqueViolation, type Datastore } from './datastore.js';

export class NedbProcessedEventRepository implements ProcessedEventRepository {
  constructor(private readonly db: Datastore) {}

  static async indexes(db: Datastore): Promise<void> {
    await db.ensureIndexAsync({ fieldName: 'expiresAt', expireAfterSeconds: 0 });
  }

  async claim(key: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.db.insertAsync({ _id: key, expiresAt });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}
