import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { councilSweepJob, COUNCIL_SWEEP_JOB } from '../../../src/core/council/council.jobs.js';
import { systemClock } from '../../../src/core/shared/clock.port.js';
import { Scheduler } from '../../../src/scheduler/scheduler.js';
import { createServices, type Services } from '../../../src/services.js';
import { openEmbeddedStore } from '../../../src/store/nedb/nedb.store.js';
import type { Store } from '../../../src/core/ports/store.port.js';
import { admin, FakeGateway, member, setUpCouncil, triagedPebble } from './fakes.js';
import { TEST_BALLOT_SECRET } from '../../helpers/services.js';

const MINUTE = 60_000;
let store: Store;
let services: Services;
let scheduler: Scheduler | undefined;

beforeEach(async () => {
  // NOTE: only timers and Date are faked; nedb's own scheduling (setImmediate) stays real.
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
  vi.setSystemTime(new Date('2026-01-05T09:00:00Z'));
  store = await openEmbeddedStore();
  services = createServices(store, systemClock, { ballotSecret: TEST_BALLOT_SECRET });
  services.council.connect('slack', { gateway: new FakeGateway() });
});

afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
  await services.council.stop();
  await store.close();
  vi.useRealTimers();
});

function startScheduler(): Scheduler {
  const started = new Scheduler({
    store,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    jobs: [councilSweepJob(services.council)],
    stopTimeoutMs: 1_000,
  });
  started.start();
  return started;
}

/** Lets the fake clock run `ms`, cron ticks included, then the store work they started. */
async function run(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await vi.waitFor(async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await scheduler?.idle(COUNCIL_SWEEP_JOB);
  });
}

describe('council sweep on the scheduler (fake timers)', () => {
  it('reminds non-voters 24 h before the deadline and closes at the deadline', async () => {
    let workspace = await services.workspaces.ensure('slack', 'T1');
    workspace = await setUpCouncil(services, workspace);
    const pebble = await triagedPebble(services, workspace);
    const { vote } = await services.council.propose(workspace, admin, [pebble.number]);
    await services.council.cast(workspace, member(0), vote.number, 'fix-now');
    await services.council.cast(workspace, member(1), vote.number, 'fix-now');
    scheduler = startScheduler();

    // Just before the reminder time nothing is sent.
    vi.setSystemTime(new Date('2026-01-07T08:57:30Z'));
    await run(MINUTE);
    expect(await store.outbox.list({ kind: 'council.reminder' })).toHaveLength(0);

    await run(3 * MINUTE);
    const reminders = await store.outbox.list({ kind: 'council.reminder' });
    expect(
      reminders
        .map((r) => r.target)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      { kind: 'dm', userId: 'U_M3' },
      { kind: 'dm', userId: 'U_M4' },
    ]);
    await run(5 * MINUTE);
    expect(await store.outbox.list({ kind: 'council.reminder' })).toHaveLength(2);
    expect((await services.council.getVote(workspace, vote.number)).status).toBe('open');

    // The deadline passes: the next tick closes the vote (2 of 4 is a quorum; 2 of 2 a majority).
    vi.setSystemTime(new Date('2026-01-08T08:58:30Z'));
    await run(MINUTE);
    expect((await services.council.getVote(workspace, vote.number)).status).toBe('open');
    await run(2 * MINUTE);
    const closed = await services.council.getVote(workspace, vote.number);
    expect(closed).toMatchObject({
      status: 'decided',
      closedBy: 'deadline',
      decision: { option: 'fix-now' },
      improvementNumber: 1,
    });
    expect(closed.closedAt!.getTime()).toBeGreaterThanOrEqual(
      new Date('2026-01-08T09:00:00Z').getTime(),
    );
    expect(closed.closedAt!.getTime()).toBeLessThan(new Date('2026-01-08T09:01:01Z').getTime());
  });

  it('picks up a deadline that passed while no process was running', async () => {
    let workspace = await services.workspaces.ensure('slack', 'T1');
    workspace = await setUpCouncil(services, workspace);
    const { vote } = await services.council.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    // Down for a week: the first tick after the start closes it (and sends no late reminder).
    vi.setSystemTime(new Date('2026-01-12T10:00:30Z'));
    scheduler = startScheduler();
    await run(MINUTE);
    const closed = await services.council.getVote(workspace, vote.number);
    expect(closed).toMatchObject({
      status: 'escalated',
      closedBy: 'deadline',
      result: { outcome: 'no-quorum' },
    });
    expect(await store.outbox.list({ kind: 'council.reminder' })).toHaveLength(0);
    expect(await store.outbox.list({ kind: 'council.escalation' })).toHaveLength(1);
  });
});
