import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../src/slack/ttl-cache.js';

describe('TtlCache', () => {
  it('loads once, shares a load in flight, expires, and keeps nothing after a failure', async () => {
    let now = 0;
    const cache = new TtlCache<number>(1_000, 10, () => now);
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    expect(await Promise.all([cache.getOrLoad('a', load), cache.getOrLoad('a', load)])).toEqual([
      1, 1,
    ]);
    now = 999;
    expect(await cache.getOrLoad('a', load)).toBe(1);
    now = 1_000;
    expect(await cache.getOrLoad('a', load)).toBe(2);
    await expect(cache.getOrLoad('b', () => Promise.reject(new Error('down')))).rejects.toThrow(
      'down',
    );
    expect(await cache.getOrLoad('b', load)).toBe(3);
  });

  it('serves a stale value at once while it refreshes, when asked to', async () => {
    let now = 0;
    const cache = new TtlCache<string>(1_000, 10, () => now);
    await cache.getOrLoad('w', () => Promise.resolve('v1'));
    now = 5_000;
    let release!: (v: string) => void;
    const slow = new Promise<string>((r) => (release = r));
    expect(await cache.getOrLoad('w', () => slow, { staleWhileRevalidate: true })).toBe('v1');
    release('v2');
    await slow;
    expect(
      await cache.getOrLoad('w', () => Promise.resolve('v3'), { staleWhileRevalidate: true }),
    ).toBe('v2');
    // A failing refresh keeps serving the stale value.
    now = 10_000;
    expect(
      await cache.getOrLoad('w', () => Promise.reject(new Error('down')), {
        staleWhileRevalidate: true,
      }),
    ).toBe('v2');
  });

  it('keeps at most its bound, dropping the oldest', async () => {
    const cache = new TtlCache<number>(1_000, 2);
    for (const k of ['a', 'b', 'c']) await cache.getOrLoad(k, () => Promise.resolve(1));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBe(1);
  });
});
