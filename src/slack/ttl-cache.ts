import { LRUCache } from 'lru-cache';

/**
 * A bounded cache with a time to live for what may be briefly stale (a user's admin flag, a
 * workspace's settings), filled by `load`: a load is shared by callers asking for the same key
 * while it runs, and only a success is kept (failures are retried). With
 * `staleWhileRevalidate`, an expired value is still returned at once while a fresh one loads in
 * the background, and keeps serving while refreshes fail, so a caller waits on the loader only
 * the very first time.
 */
export function loadingCache<V extends NonNullable<unknown>>(options: {
  ttlMs: number;
  max: number;
  load: (key: string) => Promise<V>;
  staleWhileRevalidate?: boolean;
  now?: () => number;
}): LRUCache<string, V> {
  const stale = options.staleWhileRevalidate ?? false;
  return new LRUCache<string, V>({
    max: options.max,
    ttl: options.ttlMs,
    // Staleness is checked against the clock on every read, not a timer-refreshed copy of it.
    ttlResolution: 0,
    ...(options.now ? { perf: { now: options.now } } : {}),
    fetchMethod: (key) => options.load(key),
    allowStale: stale,
    noDeleteOnFetchRejection: stale,
    allowStaleOnFetchRejection: stale,
  });
}
