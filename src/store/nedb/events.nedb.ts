import type { ProcessedEventRepository } from '../../core/ports/store.port.js';
import { isUniqueViolation, type Datastore } from './datastore.js';

/** How often claims past their expiry are swept out. */
const SWEEP_INTERVAL_MS = 60_000;

export class NedbProcessedEventRepository implements ProcessedEventRepository {
  private lastSweep = Date.now();

  constructor(private readonly db: Datastore) {}

  static async indexes(db: Datastore): Promise<void> {
    await db.ensureIndexAsync({ fieldName: 'expiresAt', expireAfterSeconds: 0 });
  }

  async claim(key: string, expiresAt: Date): Promise<boolean> {
    this.sweep();
    try {
      await this.db.insertAsync({ _id: key, expiresAt });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /**
   * nedb drops an expired document only when a query meets it, and claims never query: without
   * a sweep every claim (one per Slack event, Teams activity and scheduler tick) stays in memory
   * for good. A range on the TTL index finds just the expired ones.
   */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    void this.db
      .removeAsync({ expiresAt: { $lt: new Date(now) } }, { multi: true })
      .catch(() => undefined);
  }
}
