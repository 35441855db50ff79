import { describe, expect, it } from 'vitest';
import { loadingCache } from '../../src/slack/ttl-cache.js';

const T0 = 1_000_000;

describe('loadingCache', () => {
  it('loads once, shares a load in flight, expires, and keeps nothing after a failure', async () => {
    // lru-cache treats a start time of 0 as "no time to live": the clock starts later.
    let now = T0;
    let loads = 0;
    let fail = false;
    const cache = loadingCache<number>({
      ttlMs: 1_000,
      max: 10,
      now: () => now,
      load: () => (fail ? Promise.reject(new Error('down')) : Promise.resolve(++loads)),
    });
    expect(await Promise.all([cache.fetch('a'), cache.fetch('a')])).toEqual([1, 1]);
    now = T0 + 999;
    expect(await cache.fetch('a')).toBe(1);
    // lru-cache counts a value stale once it is older than its time to live.
    now = T0 + 1_001;
    expect(await cache.fetch('a')).toBe(2);
    fail = true;
    await expect(cache.fetch('b')).rejects.toThrow('down');
    fail = false;
    expect(await cache.fetch('b')).toBe(3);
  });

  it('serves a stale value at once while it refreshes, when asked to', async () => {
    // lru-cache treats a start time of 0 as "no time to live": the clock starts later.
    let now = T0;
    let next: () => Promise<string> = () => Promise.resolve('v1');
    const cache = loadingCache<string>({
      ttlMs: 1_000,
      max: 10,
      now: () => now,
      load: () => next(),
      staleWhileRevalidate: true,
    });
    await cache.fetch('w');
    now = T0 + 5_000;
    let release!: (v: string) => void;
    const slow = new Promise<string>((r) => (release = r));
    next = () => slow;
    expect(await cache.fetch('w')).toBe('v1');
    release('v2');
    await slow;
    // The refresh is stored once its promise settles, a tick after the loader's own.
    await new Promise((r) => setImmediate(r));
    next = () => Promise.resolve('v3');
    expect(await cache.fetch('w')).toBe('v2');
    // A failing refresh keeps serving the stale value.
    now = T0 + 10_000;
    next = () => Promise.reject(new Error('down'));
    expect(await cache.fetch('w')).toBe('v2');
  });

  it('keeps at most its bound, dropping the oldest', async () => {
    const cache = loadingCache<number>({ ttlMs: 1_000, max: 2, load: () => Promise.resolve(1) });
    for (const k of ['a', 'b', 'c']) await cache.fetch(k);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBe(1);
  });
});
