import { expect } from 'vitest';
import type { Store } from '../../src/core/ports/store.port.js';

/**
 * A pebble as versions before support documents stored it: its +1s inside it. `at` writes a
 * time the way the store's own format does (a Date for MongoDB, `$$date` in an nedb file).
 */
export function legacyPebble<T>(
  id: string,
  workspaceId: string,
  at: (minutes: number) => T,
): Record<string, unknown> & { _id: string } {
  return {
    _id: id,
    workspaceId,
    number: 1,
    title: 'Printer jams',
    description: '',
    stakeholder: 'employee',
    anonymous: false,
    reporter: { userId: 'U-1' },
    source: { kind: 'console' },
    status: 'new',
    createdAt: at(0),
    updatedAt: at(2),
    history: [
      { at: at(0), actor: 'U-1', action: 'reported' },
      { at: at(1), actor: 'U-2', action: 'supported' },
      { at: at(2), actor: 'U-3', action: 'supported' },
    ],
    supporters: [
      { userId: 'U-2', team: 'Ops', at: at(1) },
      { userId: 'U-3', at: at(2) },
    ],
    supporterIds: ['U-2', 'U-3'],
    supporterCount: 2,
  };
}

/** What a store opened on legacyPebble's data shows: its +1s moved, none doubled or lost. */
export async function expectMigratedSupports(store: Store, workspaceId: string): Promise<void> {
  const pebble = await store.pebbles.get(workspaceId, 1);
  expect(pebble!.supporterCount).toBe(2);
  expect(pebble!.supporters.map((s) => s.userId)).toEqual(['U-2', 'U-3']);
  expect(pebble!.supporters[0]!.team).toBe('Ops');
  // The +1s' history entries were in the pebble already: not doubled.
  expect(pebble!.history.map((h) => h.action)).toEqual(['reported', 'supported', 'supported']);
  expect((await store.pebbles.list(workspaceId, { supporterId: 'U-3' })).total).toBe(1);
  const again = await store.pebbles.addSupporter(
    workspaceId,
    1,
    { userId: 'U-2', at: new Date() },
    { at: new Date(), actor: 'U-2', action: 'supported' },
  );
  expect(again.added).toBe(false);
}
