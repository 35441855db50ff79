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
  /** Signature -> the time (ms) after which its timestamp is stale anyway. Insertion-ordered. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowSec = 5 * 60,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records a verified request; false when the same signature was recorded before and is
   * still within its window (a replay).
   */
  admit(signature: string, timestampSec: number): boolean {
    const now = this.now();
    this.prune(now);
    const until = this.seen.get(signature);
    if (until !== undefined && until > now) return false;
    this.seen.set(signature, (timestampSec + this.windowSec) * 1000);
    // A bound on memory, should Slack's own traffic ever exceed it within the window: the
    // oldest go first, and they are the nearest to going stale.
    while (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
    return true;
  }

  private prune(now: number): void {
    // Entries arrive in roughly timestamp order: stop at the first one still live.
    for (const [signature, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(signature);
    }
  }
}
