import { FakeClock } from '../../src/core/shared/clock.port.js';
import { createServices, type Services } from '../../src/services.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';

/** Services on an in-memory embedded store and a fake clock, with one workspace. */
export async function makeServices(start = '2026-03-02T10:00:00Z') {
  const clock = new FakeClock(start);
  const store = await openEmbeddedStore();
  const services: Services = createServices(store, clock);
  const workspace = await services.workspaces.ensure('slack', 'T1', { name: 'Acme' });
  return { services, clock, store, workspace };
}

export const alice = { userId: 'U_ALICE', name: 'Alice', team: 'Support' };
export const bob = { userId: 'U_BOB', name: 'Bob', team: 'Sales' };
export const carol = { userId: 'U_CAROL', name: 'Carol', team: 'Product' };
