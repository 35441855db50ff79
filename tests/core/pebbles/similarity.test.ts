import { describe, expect, it } from 'vitest';
import type { Pebble } from '../../../src/core/pebbles/pebble.model.js';
import { LexicalSimilarity } from '../../../src/core/pebbles/similarity.js';

const pebble = (number: number, title: string, description = ''): Pebble =>
  ({ number, title, description }) as Pebble;

describe('lexical similarity', () => {
  const similarity = new LexicalSimilarity();
  const candidates = [
    pebble(1, 'Invoice export times out', 'The export of invoices fails after a minute'),
    pebble(2, 'Login page is slow', 'Signing in takes ages on mobile'),
    pebble(3, 'Refund form loses the address'),
  ];

  it('ranks by TF-IDF cosine: the same words, stemmed, score highest', async () => {
    const found = await similarity.findSimilar('Exporting invoices timed out', candidates);
    expect(found.map((f) => f.pebble.number)).toEqual([1]);
    expect(found[0]!.score).toBeGreaterThan(0.5);
    expect(found[0]!.score).toBeLessThanOrEqual(1);
  });

  it('scores a pebble sharing no word 0, and returns it only when asked for every score', async () => {
    const all = await similarity.findSimilar('Invoice export', candidates, {
      threshold: 0,
      limit: 10,
    });
    expect(all.map((f) => [f.pebble.number, f.score > 0])).toEqual([
      [1, true],
      [2, false],
      [3, false],
    ]);
    const some = await similarity.findSimilar('Invoice export', candidates, { limit: 10 });
    expect(some.map((f) => f.pebble.number)).toEqual([1]);
  });

  it('reads a changed pebble afresh (a changed pebble is a new object)', async () => {
    const before = await similarity.findSimilar('refund address', candidates);
    expect(before.map((f) => f.pebble.number)).toEqual([3]);
    const renamed = [...candidates.slice(0, 2), pebble(3, 'Checkout button hidden')];
    expect(await similarity.findSimilar('refund address', renamed)).toEqual([]);
  });
});
