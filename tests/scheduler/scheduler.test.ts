import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, systemClock, type Clock } from '../../src/core/shared/clock.port.js';
import type { ScheduledJob } from '../../src/core/shared/job.port.js';
import { nudgeJob } from '../../src/core/improvements/improvement.jobs.js';
import { OutboxDispatcher, outboxJob } from '../../src/scheduler/outbox.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { improvementNotices } from '../../src/views/improvement.view.js';
import { makeServices } from '../helpers/services.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { Store } from '../../src/core/ports/store.port.js';

let store: Store;
const schedulers: Scheduler[] = [];
const logs: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  }),
);

beforeEach(async () => {
  store = await openEmbeddedStore();
  logs.length = 0;
});

afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
  await store.close();
});

/** A job that records which instance ran which slot. */
function recordingJob(
  runs: { instance: string; slot: string }[],
  instance: string,
  cron = '*/15 * * * *',
  work?: () => Promise<void>,
): ScheduledJob {
  return {
    name: 'test.sweep',
    cron,
    run: async ({ slot }) => {
      runs.push({ instance, slot: slot.toISOString() });
      await work?.();
      return { swept: 1 };
    },
  };
}

function scheduler(
  instanceId: string,
  jobs: ScheduledJob[],
  clock: Clock = systemClock,
  leaseMs = 60_000,
) {
  const s = new Scheduler({
    store,
    clock,
    logger,
    jobs,
    instanceId,
    leaseMs,
    stopTimeoutMs: 2_000,
  });
  schedulers.push(s);
  return s;
}

describe('scheduler: one replica runs each tick', () => {
  it('two instances on one store never both run a slot', async () => {
    const runs: { instance: string; slot: string }[] = [];
    const a = scheduler('A', [recordingJob(runs, 'A')]);
    const b = scheduler('B', [recordingJob(runs, 'B')]);
    const slots = Array.from({ length: 10 }, (_, i) => new Date(Date.UTC(2026, 2, 2, 10, i * 15)));
    for (const slot of slots) {
      const outcomes = await Promise.all([a.tick('test.sweep', slot), b.tick('test.sweep', slot)]);
      expect(outcomes.filter((o) => o === 'ran')).toHaveLength(1);
    }
    expect(runs).toHaveLength(10);
    expect(new Set(runs.map((r) => r.slot)).size).toBe(10);
    // Replaying a slot (a retried tick) runs nothing.
    expect(await a.tick('test.sweep', slots[0]!)).toBe('not-elected');
    expect(runs).toHaveLength(10);
  });

  it('never overlaps a long run with the next slot on another instance', async () => {
    const runs: { instance: string; slot: string }[] = [];
    let finish!: () => void;
    const slow = new Promise<void>((r) => (finish = r));
    const a = scheduler('A', [recordingJob(runs, 'A', undefined, () => slow)]);
    const b = scheduler('B', [recordingJob(runs, 'B')]);
    const first = a.tick('test.sweep', new Date('2026-03-02T10:00:00Z'));
    await new Promise((r) => setTimeout(r, 20));
    expect(await b.tick('test.sweep', new Date('2026-03-02T10:15:00Z'))).toBe('not-elected');
    finish();
    expect(await first).toBe('ran');
    expect(await b.tick('test.sweep', new Date('2026-03-02T10:30:00Z'))).toBe('ran');
    expect(runs.map((r) => r.instance)).toEqual(['A', 'B']);
    expect(logs.join('')).toContain('previous run still going');
  });

  it('lets another instance take over once a crashed holder’s lease runs out', async () => {
    const clock = new FakeClock('2026-03-02T10:00:00Z');
    const runs: { instance: string; slot: string }[] = [];
    const b = scheduler('B', [recordingJob(runs, 'B')], clock, 60_000);
    // Instance A took the lease and died without releasing it.
    await store.leases.acquire(
      'job:test.sweep',
      'A',
      clock.now(),
      new Date(clock.now().getTime() + 60_000),
    );
    expect(await b.tick('test.sweep', new Date('2026-03-02T10:00:00Z'))).toBe('not-elected');
    clock.advance(60_000);
    expect(await b.tick('test.sweep', new Date('2026-03-02T10:15:00Z'))).toBe('ran');
  });

  it('captures and logs a failing job, and runs the next tick', async () => {
    let calls = 0;
    const s = scheduler('A', [
      {
        name: 'test.flaky',
        cron: '* * * * *',
        run: () => {
          calls++;
          if (calls === 1) throw new Error('boom');
          return Promise.resolve();
        },
      },
    ]);
    expect(await s.tick('test.flaky', new Date('2026-03-02T10:00:00Z'))).toBe('ran');
    expect(await s.tick('test.flaky', new Date('2026-03-02T10:01:00Z'))).toBe('ran');
    expect(calls).toBe(2);
    expect(logs.join('')).toContain('job failed');
    expect(await store.leases.get('job:test.flaky')).toBeNull();
  });

  it('runs a kicked job now, and once more when kicked while running', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = scheduler('A', [
      {
        name: 'test.kick',
        cron: '0 0 1 1 *',
        run: async () => {
          calls++;
          if (calls === 1) await gate;
        },
      },
    ]);
    s.kick('test.kick');
    await new Promise((r) => setTimeout(r, 20));
    s.kick('test.kick');
    s.kick('test.kick');
    release();
    await new Promise((r) => setTimeout(r, 50));
    await s.idle();
    expect(calls).toBe(2);
  });

  it('refuses an invalid cron expression', () => {
    expect(() =>
      scheduler('A', [{ name: 'bad', cron: 'every day', run: () => Promise.resolve() }]),
    ).toThrow(/invalid cron/);
  });

  it('with real node-cron timers, two started instances run each second’s slot once', async () => {
    const runs: { instance: string; slot: string }[] = [];
    const a = scheduler('A', [recordingJob(runs, 'A', '* * * * * *')]);
    const b = scheduler('B', [recordingJob(runs, 'B', '* * * * * *')]);
    a.start();
    b.start();
    await new Promise((r) => setTimeout(r, 2_600));
    await a.stop();
    await b.stop();
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs.map((r) => r.slot)).size).toBe(runs.length);
  });
});

describe('scheduler: a run longer than its interval', () => {
  it('skips the ticks it overlaps without a warning in the log (debug only)', async () => {
    const runs: { instance: string; slot: string }[] = [];
    const slow = () => new Promise<void>((r) => setTimeout(r, 2_200));
    const a = scheduler('A', [recordingJob(runs, 'A', '* * * * * *', slow)]);
    a.start();
    await new Promise((r) => setTimeout(r, 3_300));
    await a.stop();
    const entries = logs.map((l) => JSON.parse(l) as { level: number; msg: string; job?: string });
    const overlaps = entries.filter((e) => /overlap prevention/.test(e.msg));
    expect(overlaps.length).toBeGreaterThan(0);
    expect(overlaps.every((e) => e.level === 20 && e.job === 'test.sweep')).toBe(true);
    expect(entries.filter((e) => e.level >= 40)).toEqual([]);
  });
});

describe('scheduler: two instances sending nudges through one store', () => {
  it('deliver each owner’s nudge exactly once, whichever instance runs the ticks', async () => {
    const { services, clock, workspace } = await makeServices('2026-03-02T09:00:00Z');
    const admin = { userId: 'U_ADMIN', platformAdmin: true };
    await services.pebbles.report(workspace, { userId: 'U_R' }, { text: 'x' }, { kind: 'slash' });
    const owners = ['U_A', 'U_B', 'U_C'];
    for (let i = 0; i < 6; i++) {
      const { number } = await services.improvements.createFromPebbles(workspace, admin, {
        title: `Fix ${i}`,
        pebbleNumbers: [1],
      });
      const owner = owners[i % 3]!;
      await services.improvements.assign(workspace, admin, number, {
        ownerId: owner,
        promisedDate: '2026-03-04',
      });
      await services.improvements.accept(workspace, { userId: owner }, number);
    }
    const sent: string[] = [];
    const instance = (id: string) => {
      const gateway = {
        send: (_ws: string, _t: unknown, _v: unknown, key?: string) => {
          sent.push(key ?? '');
          return Promise.resolve({ channelId: 'D', messageId: String(sent.length) });
        },
        update: () => Promise.resolve(),
        uploadImage: () => Promise.resolve(),
      };
      const dispatcher = new OutboxDispatcher({
        store: services.store,
        clock,
        logger,
        worker: id,
        gatewayFor: () => gateway,
      });
      const deps = { store: services.store, outbox: services.outbox, notices: improvementNotices };
      const s = new Scheduler({
        store: services.store,
        clock,
        logger,
        instanceId: id,
        jobs: [nudgeJob(deps), outboxJob(dispatcher)],
      });
      schedulers.push(s);
      return s;
    };
    const [a, b] = [instance('A'), instance('B')];
    try {
      for (let i = 0; i < 4; i++) {
        const slot = new Date(clock.now().getTime() + i * 15 * 60_000);
        await Promise.all([
          a.tick('improvements.nudges', slot),
          b.tick('improvements.nudges', slot),
        ]);
        await Promise.all([a.tick('outbox.deliver', slot), b.tick('outbox.deliver', slot)]);
      }
      const nudges = sent.filter((k) => k.startsWith('nudge:'));
      expect(nudges.sort()).toEqual(owners.map((o) => `nudge:${workspace.id}:${o}:2026-03-02`));
      expect(new Set(sent).size).toBe(sent.length);
    } finally {
      await services.store.close();
    }
  });
});
