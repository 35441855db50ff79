/** Where a vote lives, to refresh its message. */
export interface VoteAddress {
  workspaceId: string;
  voteId: string;
  number: number;
}

export interface VoteRefresherOptions {
  /** Renders the vote's current state into its message (and closes it when all have voted). */
  refresh(address: VoteAddress): Promise<void>;
  /**
   * Claims a refresh slot across replicas (a unique insert in the store): true for the first
   * claimer of `key` only.
   */
  claim(key: string, expiresAt: Date): Promise<boolean>;
  /** What a failed refresh is reported to. */
  onError?(error: unknown, address: VoteAddress): void;
  // NOTE: chat.update is Tier 3 (50+ per minute per workspace): one update per message every
  // 2 seconds keeps a busy vote well inside it.
  /** Minimum spacing of refreshes of one message (default 2,000 ms). */
  intervalMs?: number;
  /** Real time, for the spacing (not the domain clock, which tests stop). */
  now?: () => number;
}

/**
 * Refreshes a vote's message at most once per interval, across replicas. Time is cut into
 * slots of `intervalMs`; a ballot asks for a refresh at the start of the next slot, and only
 * the replica that claims that slot in the store refreshes. The refresh reads the store when
 * it runs, so every ballot recorded before a slot starts is shown by that slot's refresh.
 */
export class VoteRefresher {
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; address: VoteAddress }>();
  private readonly running = new Set<Promise<void>>();
  /** When each vote's message was last refreshed here (a late timer must not crowd the next). */
  private readonly lastRun = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly options: VoteRefresherOptions) {
    this.intervalMs = options.intervalMs ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  /** Asks for a refresh of this vote's message at the next slot (one request per slot). */
  request(address: VoteAddress): void {
    if (this.stopped || this.pending.has(address.voteId)) return;
    const now = this.now();
    const last = this.lastRun.get(address.voteId) ?? -Infinity;
    const slot = Math.floor(Math.max(now, last + this.intervalMs - 1) / this.intervalMs) + 1;
    const timer = setTimeout(
      () => {
        this.pending.delete(address.voteId);
        this.track(this.runSlot(address, slot));
      },
      slot * this.intervalMs - now,
    );
    timer.unref();
    this.pending.set(address.voteId, { timer, address });
  }

  /** Runs every pending refresh now, without waiting for its slot (tests, shutdown). */
  async flush(): Promise<void> {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { timer, address } of pending) {
      clearTimeout(timer);
      this.track(this.run(address));
    }
    await this.idle();
  }

  /** Waits for refreshes in flight. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** Refreshes what is pending one last time and accepts no more requests. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  private track(run: Promise<void>): void {
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private async runSlot(address: VoteAddress, slot: number): Promise<void> {
    try {
      const expiresAt = new Date(this.now() + 60 * 60_000);
      if (!(await this.options.claim(`council-refresh:${address.voteId}:${slot}`, expiresAt)))
        return;
    } catch (error) {
      this.options.onError?.(error, address);
      return;
    }
    await this.run(address);
  }

  private async run(address: VoteAddress): Promise<void> {
    this.lastRun.set(address.voteId, this.now());
    if (this.lastRun.size > 10_000) {
      const [oldest] = this.lastRun.keys();
      if (oldest !== undefined) this.lastRun.delete(oldest);
    }
    try {
      await this.options.refresh(address);
    } catch (error) {
      this.options.onError?.(error, address);
    }
  }
}
