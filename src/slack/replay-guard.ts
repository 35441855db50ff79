import { LRUCache } from 'lru-cache';

/**
 * Remembers the signatures of the Slack requests this process accepted, until their timestamp
 * leaves the window in which a signature is valid at all, so a captured request sent again
 * (same body, same signature, same timestamp) is refused instead of acted on twice.
 *
 * NOTE: Slack accepts a signature for 5 minutes either side of its timestamp
 * (api.slack.com/authentication/verifying-requests-from-slack); a signature therefore needs
 * remembering until its timestamp is 5 minutes old, never longer.
 *
 * The memory is per process: a replay sent to another replica meets that replica's own
 * guard only. What it could do there is bounded by the idempotency the listeners already
 * have (event ids, trigger ids, one ballot and one +1 per person).
 */
export class ReplayGuard {
  // A bound on memory, should Slack's own traffic ever exceed it within the window: the oldest
  // go first, and they are the nearest to going stale.
  private readonly seen: LRUCache<string, true>;

  constructor(
    private readonly windowSec = 5 * 60,
    maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    this.seen = new LRUCache({ max: maxEntries, ttlResolution: 0, perf: { now } });
  }

  /**
   * Records a verified request; false when the same signature was recorded before and is
   * still within its window (a replay).
   */
  admit(signature: string, timestampSec: number): boolean {
    if (this.seen.has(signature)) return false;
    const ttl = (timestampSec + this.windowSec) * 1000 - this.now();
    if (ttl > 0) this.seen.set(signature, true, { ttl });
    return true;
  }
}
