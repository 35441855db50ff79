import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/ports/store.port.js';

export interface AiContractOptions {
  /** Set (with the reason) where the server does not isolate concurrent updates of one document. */
  nonAtomicDocumentUpdates?: string;
}

/** The AI usage counters and the embedding cache, run against every store adapter. */
export function describeAiContract(
  name: string,
  makeStore: () => Promise<Store>,
  options: AiContractOptions = {},
): void {
  describe(`AI store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store.close();
    });
    const ws = () => `W-${randomUUID().slice(0, 8)}`;

    it('counts calls and tokens per workspace and day, starting from zero', async () => {
      const w = ws();
      expect(await store.aiUsage.get(w, '2026-03-02')).toEqual({ calls: 0, tokens: 0 });
      expect(await store.aiUsage.reserve(w, '2026-03-02', { maxCalls: 10, maxTokens: 1000 })).toBe(
        true,
      );
      await store.aiUsage.addTokens(w, '2026-03-02', 120);
      await store.aiUsage.addTokens(w, '2026-03-02', 0);
      expect(await store.aiUsage.get(w, '2026-03-02')).toEqual({ calls: 1, tokens: 120 });
      expect(await store.aiUsage.get(w, '2026-03-03')).toEqual({ calls: 0, tokens: 0 });
      expect(await store.aiUsage.get(ws(), '2026-03-02')).toEqual({ calls: 0, tokens: 0 });
    });

    it('refuses a call once the day reaches the call cap, without counting it', async () => {
      const w = ws();
      const caps = { maxCalls: 2, maxTokens: 1000 };
      expect(await store.aiUsage.reserve(w, 'd', caps)).toBe(true);
      expect(await store.aiUsage.reserve(w, 'd', caps)).toBe(true);
      expect(await store.aiUsage.reserve(w, 'd', caps)).toBe(false);
      expect((await store.aiUsage.get(w, 'd')).calls).toBe(2);
      expect(await store.aiUsage.reserve(w, 'next-day', caps)).toBe(true);
    });

    it('refuses a call once the day has used its tokens', async () => {
      const w = ws();
      const caps = { maxCalls: 100, maxTokens: 500 };
      expect(await store.aiUsage.reserve(w, 'd', caps)).toBe(true);
      await store.aiUsage.addTokens(w, 'd', 500);
      expect(await store.aiUsage.reserve(w, 'd', caps)).toBe(false);
      expect(await store.aiUsage.get(w, 'd')).toEqual({ calls: 1, tokens: 500 });
    });

    it.skipIf(options.nonAtomicDocumentUpdates)(
      'lets exactly the cap through when 40 calls race for 25 slots',
      async () => {
        const w = ws();
        const results = await Promise.all(
          Array.from({ length: 40 }, () =>
            store.aiUsage.reserve(w, 'd', { maxCalls: 25, maxTokens: 10_000 }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(25);
        expect((await store.aiUsage.get(w, 'd')).calls).toBe(25);
      },
    );

    it('caches embedding vectors by key, first write wins, float32 precision', async () => {
      const a = `k-${randomUUID()}`;
      const b = `k-${randomUUID()}`;
      expect((await store.embeddings.get([a, b])).size).toBe(0);
      await store.embeddings.put([{ key: a, vector: [0.5, -0.25, 0.125, 1 / 3] }]);
      await store.embeddings.put([
        { key: a, vector: [9, 9, 9, 9] },
        { key: b, vector: [1, 2] },
      ]);
      const found = await store.embeddings.get([a, b, 'missing']);
      expect(found.size).toBe(2);
      expect(found.get(a)?.slice(0, 3)).toEqual([0.5, -0.25, 0.125]);
      expect(found.get(a)?.[3]).toBeCloseTo(1 / 3, 6);
      expect(found.get(b)).toEqual([1, 2]);
      expect((await store.embeddings.get([])).size).toBe(0);
    });
  });
}
