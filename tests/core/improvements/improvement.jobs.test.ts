import { beforeEach, describe, expect, it } from 'vitest';
import { nudgeJob, sweepNudges } from '../../../src/core/improvements/improvement.jobs.js';
import type { FakeClock } from '../../../src/core/shared/clock.port.js';
import type { Workspace } from '../../../src/core/workspaces/workspace.model.js';
import type { Services } from '../../../src/services.js';
import type { Store } from '../../../src/core/ports/store.port.js';
import { improvementNotices } from '../../../src/views/improvement.view.js';
import { alice, makeServices } from '../../helpers/services.js';

const admin = { userId: 'U_ADMIN', platformAdmin: true };
const sponsor = { userId: 'U_SPONSOR' };

let services: Services;
let clock: FakeClock;
let store: Store;
let workspace: Workspace;
let deps: Parameters<typeof sweepNudges>[0];

beforeEach(async () => {
  // Monday 2 March 2026, 10:00 in Berlin.
  ({ services, clock, store, workspace } = await makeServices('2026-03-02T09:00:00Z'));
  workspace = await services.workspaces.updateSettings(workspace, admin, {
    sponsor: sponsor.userId,
    timezone: 'Europe/Berlin',
  });
  deps = { store, outbox: services.outbox, notices: improvementNotices };
});

/** `count` improvements owned by `owners` (round robin), accepted, promised for `date`. */
async function owned(count: number, owners: string[], date: string): Promise<void> {
  await services.pebbles.report(workspace, alice, { text: 'Friction' }, { kind: 'slash' });
  for (let i = 0; i < count; i++) {
    const owner = owners[i % owners.length]!;
    const improvement = await services.improvements.createFromPebbles(workspace, admin, {
      title: `Fix ${i + 1}`,
      pebbleNumbers: [1],
    });
    await services.improvements.assign(workspace, admin, improvement.number, {
      ownerId: owner,
      promisedDate: date,
      ownerTimezone: 'Europe/Berlin',
    });
    await services.improvements.accept(workspace, { userId: owner }, improvement.number);
  }
}

const nudges = () => store.outbox.list({ kind: 'improvement.nudge' });

describe('the nudge sweep', () => {
  it('puts one nudge per owner and day in the outbox, combining their improvements', async () => {
    await owned(6, ['U_A', 'U_B', 'U_C'], '2026-03-04');
    const first = await sweepNudges(deps, clock.now());
    expect(first).toMatchObject({ nudges: 3, alreadyQueued: 0 });
    const queued = await nudges();
    expect(queued.map((m) => m.key).sort()).toEqual(
      ['U_A', 'U_B', 'U_C'].map((o) => `nudge:${workspace.id}:${o}:2026-03-02`),
    );
    expect(queued[0]!.view.text).toContain('2 journey improvements need a status update');
    const marked = await services.improvements.get(workspace, 1);
    expect(marked).toMatchObject({ nudgesSent: 1, lastNudgedOn: '2026-03-02' });

    // The same tick again, and later the same day: nothing new.
    expect(await sweepNudges(deps, clock.now())).toMatchObject({ nudges: 0 });
    clock.advance(4 * 3_600_000);
    expect(await sweepNudges(deps, clock.now())).toMatchObject({ nudges: 0 });
    // Next morning: one more each.
    clock.set('2026-03-03T07:30:00Z');
    expect(await sweepNudges(deps, clock.now())).toMatchObject({ nudges: 3 });
    expect(await nudges()).toHaveLength(6);
  });

  it('two sweeps at once (two replicas) enqueue each nudge once', async () => {
    await owned(8, ['U_A', 'U_B', 'U_C', 'U_D'], '2026-03-04');
    const [a, b] = await Promise.all([
      sweepNudges(deps, clock.now()),
      sweepNudges(deps, clock.now()),
    ]);
    expect(a.nudges + b.nudges).toBe(4);
    expect(await nudges()).toHaveLength(4);
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8])
      expect((await services.improvements.get(workspace, n)).nudgesSent).toBe(1);
  });

  it('after a crash between enqueueing and recording, the re-run records without a second nudge', async () => {
    await owned(2, ['U_A'], '2026-03-04');
    // The crashed run got as far as the outbox.
    const key = `nudge:${workspace.id}:U_A:2026-03-02`;
    await services.outbox.enqueue({
      key,
      workspaceId: workspace.id,
      kind: 'improvement.nudge',
      target: { kind: 'dm', userId: 'U_A' },
      view: { text: 'decided before the crash', blocks: [] },
    });
    expect(await sweepNudges(deps, clock.now())).toMatchObject({ nudges: 0, alreadyQueued: 1 });
    expect((await nudges()).map((m) => m.view.text)).toEqual(['decided before the crash']);
    expect((await services.improvements.get(workspace, 1)).lastNudgedOn).toBe('2026-03-02');
  });

  it('waits for the owner’s morning, then nudges', async () => {
    await owned(1, ['U_A'], '2026-03-04');
    clock.set('2026-03-02T19:30:00Z');
    expect(await sweepNudges(deps, clock.now())).toMatchObject({ nudges: 0, deferred: 1 });
    clock.set('2026-03-03T07:00:00Z');
    expect(await sweepNudges(deps, clock.now())).toMatchObject({ nudges: 1 });
    expect((await nudges())[0]!.key).toBe(`nudge:${workspace.id}:U_A:2026-03-03`);
  });

  it('escalates to the sponsor once per level as an improvement stays overdue', async () => {
    await owned(1, ['U_A'], '2026-03-03');
    const escalations = () => store.outbox.list({ kind: 'improvement.escalation' });
    clock.set('2026-03-05T09:00:00Z');
    await sweepNudges(deps, clock.now());
    expect(await escalations()).toHaveLength(0);
    clock.set('2026-03-06T09:00:00Z'); // 3 days overdue
    expect(await sweepNudges(deps, clock.now())).toMatchObject({ escalations: 1 });
    expect(await sweepNudges(deps, clock.now())).toMatchObject({ escalations: 0 });
    clock.set('2026-03-09T09:00:00Z'); // 6 days overdue
    expect(await sweepNudges(deps, clock.now())).toMatchObject({ escalations: 1 });
    const sent = await escalations();
    expect(sent.map((m) => m.target)).toEqual([
      { kind: 'dm', userId: sponsor.userId },
      { kind: 'dm', userId: sponsor.userId },
    ]);
    expect(JSON.stringify(sent[1]!.view)).toContain('improvement.reassign');
    expect((await services.improvements.get(workspace, 1)).escalationLevel).toBe(2);

    // The sponsor extends the date: the next lateness starts over at level 1.
    await services.improvements.changeDate(workspace, sponsor, 1, '2026-03-10');
    clock.set('2026-03-13T09:00:00Z');
    expect(await sweepNudges(deps, clock.now())).toMatchObject({ escalations: 1 });
    expect(await escalations()).toHaveLength(3);
  });

  it('is a scheduled job named improvements.nudges', async () => {
    await owned(1, ['U_A'], '2026-03-04');
    const job = nudgeJob(deps);
    expect(job).toMatchObject({ name: 'improvements.nudges', cron: '*/15 * * * *' });
    const result = await job.run({
      now: clock.now(),
      slot: clock.now(),
      signal: new AbortController().signal,
    });
    expect(result).toMatchObject({ nudges: 1 });
  });
});
