import { describe, expect, it } from 'vitest';
import type { NewPebble } from '../../src/core/ports/store.port.js';
import type { Datastore } from '../../src/store/nedb/datastore.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';

const WS = 'slack:T-metrics-numbers';
const at = (day: number) => new Date(Date.UTC(2026, 2, day, 9));

function pebble(day: number): NewPebble {
  return {
    workspaceId: WS,
    title: `Pebble of day ${day}`,
    description: '',
    stakeholder: 'customer',
    anonymous: false,
    reporter: { userId: `U-${day}`, team: 'Support' },
    source: { kind: 'console' },
    status: 'new',
    createdAt: at(day),
    updatedAt: at(day),
    history: [{ at: at(day), actor: `U-${day}`, action: 'reported', to: 'new' }],
  };
}

describe('digest metrics on the embedded store', () => {
  it('find pebbles and count their +1s by number, also numbers far beyond the workspace’s count', async () => {
    const store = await openEmbeddedStore();
    try {
      await store.pebbles.create(pebble(2));
      await store.pebbles.create(pebble(3));
      // A counter far ahead of the pebbles (numbers are kept by a counter, not a count).
      const { sequences } = store.pebbles as unknown as { sequences: Datastore };
      await sequences.updateAsync({ _id: `${WS}:pebble` }, { $set: { seq: 9_999_990 } }, {});
      const far = await store.pebbles.create(pebble(4));
      expect(far.number).toBe(9_999_991);
      for (const [number, user, day] of [
        [far.number, 'U-a', 5],
        [far.number, 'U-b', 5],
        [2, 'U-a', 6],
      ] as const)
        await store.pebbles.addSupporter(
          WS,
          number,
          { userId: user, at: at(day) },
          { at: at(day), actor: user, action: 'supported' },
        );

      const metrics = await store.metrics.open(WS);
      const counts = (await metrics.pebbles([1, 2, far.number, 77])).map((p) => [
        p.number,
        p.supporterCount,
      ]);
      expect(counts).toEqual([
        [1, 0],
        [2, 1],
        [far.number, 2],
      ]);
      const top = await metrics.mostSupported({ from: at(1), to: at(10) }, 2);
      expect(top.map((p) => p.number)).toEqual([far.number, 2]);
      const resolved = await metrics.resolvedAt([far.number], at(10));
      expect(resolved).toEqual([]);
      const people = await metrics.participation({ from: at(5), to: at(6) });
      expect([people.supporters, people.reporters]).toEqual([2, 0]);
    } finally {
      await store.close();
    }
  });
});
