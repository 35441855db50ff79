/**
 * A small in-process cache with a time to live and a size bound (oldest entries go first).
 * Used for what may be briefly stale: a user's admin flag, a workspace's settings.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private readonly loading = new Map<string, Promise<V>>();
  /** Expired values, kept (bounded like the entries) for stale-while-revalidate reads. */
  private readonly stale = new Map<string, V>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      this.stale.set(key, entry.value);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    this.stale.delete(key);
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    while (this.stale.size > this.maxEntries) {
      const oldest = this.stale.keys().next().value;
      if (oldest === undefined) break;
      this.stale.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
    this.stale.delete(key);
  }

  /**
   * The cached value, or the loader's: cached on success only (failures are retried), and
   * shared by callers asking for the same key while it loads. With `staleWhileRevalidate`,
   * an expired value is still returned at once while a fresh one loads in the background, so
   * a caller waits on the loader only the very first time.
   */
  async getOrLoad(
    key: string,
    load: () => Promise<V>,
    options: { staleWhileRevalidate?: boolean } = {},
  ): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const stale = options.staleWhileRevalidate ? this.stale.get(key) : undefined;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load().then(
        (value) => {
          this.loading.delete(key);
          this.set(key, value);
          return value;
        },
        (error: unknown) => {
          this.loading.delete(key);
          throw error;
        },
      );
      this.loading.set(key, pending);
    }
    if (stale !== undefined) {
      // The background load's failure is not the caller's: the stale value serves until a later load succeeds.
      pending.catch(() => undefined);
      return stale;
    }
    return pending;
  }
}
