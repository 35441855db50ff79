import { FakeClock } from '../../src/core/shared/clock.port.js';
import { createServices, type ServiceOptions, type Services } from '../../src/services.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';

/** A BALLOT_SECRET for tests (secret ballots, the default, need one to open). */
export const TEST_BALLOT_SECRET = 'test-ballot-secret-0123456789abcdef';

/** Services on an in-memory embedded store and a fake clock, with one workspace. */
export async function makeServices(
  start = '2026-03-02T10:00:00Z',
  options: ServiceOptions = { ballotSecret: TEST_BALLOT_SECRET },
) {
  const clock = new FakeClock(start);
  const store = await openEmbeddedStore();
  const services: Services = createServices(store, clock, options);
  const workspace = await services.workspaces.ensure('slack', 'T1', { name: 'Acme' });
  return { services, clock, store, workspace };
}

export const alice = { userId: 'U_ALICE', name: 'Alice', team: 'Support' };
export const bob = { userId: 'U_BOB', name: 'Bob', team: 'Sales' };
export const carol = { userId: 'U_CAROL', name: 'Carol', team: 'Product' };
