import { describe, expect, it } from 'vitest';
import {
  ImprovementSchema,
  type Improvement,
} from '../../../src/core/improvements/improvement.model.js';
import {
  daysBetween,
  isQuietTime,
  planEscalations,
  planNudges,
} from '../../../src/core/improvements/nudge.planner.js';
import {
  WorkspaceSettingsSchema,
  type WorkspaceSettings,
} from '../../../src/core/workspaces/workspace.model.js';
import { DateTime } from 'luxon';

const T0 = new Date('2026-03-02T09:00:00Z'); // a Monday

function improvement(overrides: Partial<Improvement> & { number: number }): Improvement {
  return ImprovementSchema.parse({
    id: `i-${overrides.number}`,
    workspaceId: 'slack:T1',
    title: `Improvement ${overrides.number}`,
    pebbleNumbers: [1],
    status: 'on-track',
    ownerId: 'U_OWNER',
    ownerPending: false,
    promisedDate: '2026-05-01',
    promise: { promisedDate: '2026-05-01', ownerId: 'U_OWNER', madeAt: T0, outcome: 'open' },
    assignedAt: T0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  });
}

function promised(date: string, extra: Partial<Improvement> & { number: number }): Improvement {
  return improvement({
    promisedDate: date,
    promise: {
      promisedDate: date,
      ownerId: extra.ownerId ?? 'U_OWNER',
      madeAt: T0,
      outcome: 'open',
    },
    ...extra,
  });
}

function workspace(settings: Partial<WorkspaceSettings> = {}) {
  return {
    id: 'slack:T1',
    settings: WorkspaceSettingsSchema.parse({ timezone: 'Europe/Berlin', ...settings }),
  };
}

const at = (iso: string) => new Date(iso);

describe('nudge planning: cadence', () => {
  it('checks in weekly while the date is far, counted from the last touch', () => {
    const items = [improvement({ number: 1 })];
    expect(planNudges(at('2026-03-05T10:00:00Z'), workspace(), items).nudges).toEqual([]);
    const monday = planNudges(at('2026-03-09T10:00:00Z'), workspace(), items).nudges;
    expect(monday).toHaveLength(1);
    expect(monday[0]).toMatchObject({
      ownerId: 'U_OWNER',
      localDate: '2026-03-09',
      key: 'nudge:slack:T1:U_OWNER:2026-03-09',
    });
    expect(monday[0]!.items[0]).toMatchObject({ reason: 'check-in' });
    // A check-in on Friday restarts the week.
    const checked = [improvement({ number: 1, lastCheckInAt: at('2026-03-06T15:00:00Z') })];
    expect(planNudges(at('2026-03-09T10:00:00Z'), workspace(), checked).nudges).toEqual([]);
  });

  it('nudges daily from three days before the promised date, and every day once overdue', () => {
    const soon = [promised('2026-03-12', { number: 1 })];
    const plan = planNudges(at('2026-03-09T10:00:00Z'), workspace(), soon).nudges;
    expect(plan[0]!.items[0]).toMatchObject({ reason: 'due-soon', daysLeft: 3 });
    const nudgedMonday = [
      promised('2026-03-12', {
        number: 1,
        lastNudgedOn: '2026-03-09',
        lastNudgedAt: at('2026-03-09T10:00:00Z'),
      }),
    ];
    expect(planNudges(at('2026-03-09T15:00:00Z'), workspace(), nudgedMonday).nudges).toEqual([]);
    expect(
      planNudges(at('2026-03-10T10:00:00Z'), workspace(), nudgedMonday).nudges[0]!.items[0],
    ).toMatchObject({ reason: 'due-soon', daysLeft: 2 });
    const late = [promised('2026-03-06', { number: 1, lastNudgedOn: '2026-03-06' })];
    expect(
      planNudges(at('2026-03-09T10:00:00Z'), workspace(), late).nudges[0]!.items[0],
    ).toMatchObject({ reason: 'overdue', daysLeft: -3 });
  });

  it('combines all of an owner’s due improvements into one nudge, overdue first', () => {
    const items = [
      promised('2026-03-11', { number: 1 }),
      promised('2026-03-06', { number: 2 }),
      promised('2026-06-01', { number: 3, lastCheckInAt: at('2026-03-08T10:00:00Z') }),
      promised('2026-03-10', { number: 4, ownerId: 'U_OTHER' }),
    ];
    const { nudges } = planNudges(at('2026-03-09T10:00:00Z'), workspace(), items);
    expect(nudges.map((n) => n.ownerId)).toEqual(['U_OTHER', 'U_OWNER']);
    expect(nudges[1]!.items.map((i) => [i.improvement.number, i.reason])).toEqual([
      [2, 'overdue'],
      [1, 'due-soon'],
    ]);
  });

  it('skips snoozed improvements, closed ones and those without an owner', () => {
    const items = [
      promised('2026-03-10', { number: 1, snoozedUntil: at('2026-03-10T00:00:00Z') }),
      promised('2026-03-10', { number: 2, status: 'done' }),
      promised('2026-03-10', { number: 3, ownerId: undefined }),
    ];
    expect(planNudges(at('2026-03-09T10:00:00Z'), workspace(), items).nudges).toEqual([]);
    expect(planNudges(at('2026-03-10T10:00:00Z'), workspace(), items).nudges).toHaveLength(1);
  });

  it('reminds an owner who has not answered yet', () => {
    const items = [
      improvement({
        number: 1,
        ownerPending: true,
        promise: undefined,
        promisedDate: undefined,
        proposedDate: '2026-03-11',
      }),
    ];
    const { nudges } = planNudges(at('2026-03-09T10:00:00Z'), workspace(), items);
    expect(nudges[0]!.items[0]).toMatchObject({ reason: 'awaiting-answer', daysLeft: 2 });
  });
});

describe('nudge planning: the owner’s clock', () => {
  const due = (extra: Partial<Improvement> = {}) => [
    promised('2026-03-09', { number: 1, ...extra }),
  ];

  it('never nudges in quiet hours (19:00–08:00 in the owner’s zone)', () => {
    const tokyo = due({ ownerTimezone: 'Asia/Tokyo' });
    // 21:00 in Tokyo.
    const evening = planNudges(at('2026-03-09T12:00:00Z'), workspace(), tokyo);
    expect(evening).toEqual({ nudges: [], deferred: 1 });
    // 09:30 in Tokyo, still the 9th.
    const morning = planNudges(at('2026-03-09T00:30:00Z'), workspace(), tokyo).nudges;
    expect(morning[0]).toMatchObject({ timezone: 'Asia/Tokyo', localDate: '2026-03-09' });
  });

  it('never nudges on the owner’s weekend, unless weekends are allowed', () => {
    const saturday = at('2026-03-07T10:00:00Z');
    expect(planNudges(saturday, workspace(), due()).deferred).toBe(1);
    const allowed = workspace({ nudges: { ...workspace().settings.nudges, skipWeekends: false } });
    expect(planNudges(saturday, allowed, due()).nudges).toHaveLength(1);
  });

  it('uses the owner’s local date, not UTC’s, for the once-a-day key', () => {
    // 18:30 on Monday the 9th in Los Angeles is already Tuesday the 10th in UTC.
    const la = due({ ownerTimezone: 'America/Los_Angeles' });
    const plan = planNudges(at('2026-03-10T01:30:00Z'), workspace(), la).nudges;
    expect(plan[0]).toMatchObject({
      localDate: '2026-03-09',
      key: 'nudge:slack:T1:U_OWNER:2026-03-09',
    });
    // 19:00 there: quiet.
    expect(planNudges(at('2026-03-10T02:00:00Z'), workspace(), la).nudges).toEqual([]);
  });

  it('follows daylight saving time: 08:00 in New York is 13:00Z before the change, 12:00Z after', () => {
    const ny = due({ ownerTimezone: 'America/New_York' });
    // Friday 6 March, EST (UTC-5).
    expect(planNudges(at('2026-03-06T12:30:00Z'), workspace(), ny).nudges).toEqual([]);
    expect(planNudges(at('2026-03-06T13:30:00Z'), workspace(), ny).nudges).toHaveLength(1);
    // Monday 9 March, EDT (UTC-4) since Sunday the 8th.
    expect(planNudges(at('2026-03-09T12:30:00Z'), workspace(), ny).nudges).toHaveLength(1);
    expect(planNudges(at('2026-03-09T11:30:00Z'), workspace(), ny).nudges).toEqual([]);
    // Quiet from 19:00 EDT = 23:00Z.
    expect(planNudges(at('2026-03-09T22:59:00Z'), workspace(), ny).nudges).toHaveLength(1);
    expect(planNudges(at('2026-03-09T23:00:00Z'), workspace(), ny).nudges).toEqual([]);
  });

  it('falls back to the workspace zone when the owner’s zone is unknown or invalid', () => {
    const plan = planNudges(
      at('2026-03-09T10:00:00Z'),
      workspace(),
      due({ ownerTimezone: 'Mars/Olympus' }),
    );
    expect(plan.nudges[0]!.timezone).toBe('Europe/Berlin');
  });

  it('reads quiet hours that wrap midnight, and none when start equals end', () => {
    const local = (h: number, m = 0) =>
      DateTime.fromObject({ hour: h, minute: m }, { zone: 'UTC' });
    const q = { quietStart: '19:00', quietEnd: '08:00' };
    expect([6, 7, 8, 12, 18, 19, 23].map((h) => isQuietTime(local(h), q))).toEqual([
      true,
      true,
      false,
      false,
      false,
      true,
      true,
    ]);
    expect(isQuietTime(local(7, 59), q)).toBe(true);
    expect(isQuietTime(local(3), { quietStart: '12:00', quietEnd: '14:00' })).toBe(false);
    expect(isQuietTime(local(3), { quietStart: '00:00', quietEnd: '00:00' })).toBe(false);
    expect(daysBetween('2026-03-07', '2026-03-10')).toBe(3);
  });
});

describe('escalation levels', () => {
  const sponsored = workspace({ sponsor: 'U_SPONSOR' });
  const level = (items: Improvement[], when: string, ws = sponsored) =>
    planEscalations(at(when), ws, items).escalations.map((e) => [e.improvement.number, e.level]);

  it('escalates overdue by N days as level 1, 2N as level 2, up to 3', () => {
    const late = (extra: Partial<Improvement> = {}) => [
      promised('2026-03-02', { number: 1, ...extra }),
    ];
    expect(level(late(), '2026-03-04T10:00:00Z')).toEqual([]);
    expect(level(late(), '2026-03-05T10:00:00Z')).toEqual([[1, 1]]);
    expect(level(late({ escalationLevel: 1 }), '2026-03-06T10:00:00Z')).toEqual([]);
    expect(level(late({ escalationLevel: 1 }), '2026-03-09T10:00:00Z')).toEqual([[1, 2]]);
    expect(level(late({ escalationLevel: 2 }), '2026-03-30T10:00:00Z')).toEqual([[1, 3]]);
    expect(level(late({ escalationLevel: 3 }), '2026-04-30T10:00:00Z')).toEqual([]);
  });

  it('escalates blocked for N days, even before the date', () => {
    const blocked = [
      improvement({ number: 1, status: 'blocked', blockedSince: at('2026-03-02T15:00:00Z') }),
    ];
    expect(level(blocked, '2026-03-04T10:00:00Z')).toEqual([]);
    const plan = planEscalations(at('2026-03-05T10:00:00Z'), sponsored, blocked).escalations;
    expect(plan[0]).toMatchObject({
      level: 1,
      blockedDays: 3,
      overdueDays: 0,
      sponsorId: 'U_SPONSOR',
    });
  });

  it('starts a new cycle of keys when the promise changes', () => {
    const first = promised('2026-03-02', { number: 1 });
    const moved = promised('2026-03-02', {
      number: 1,
      promise: {
        promisedDate: '2026-03-02',
        ownerId: 'U_OWNER',
        madeAt: at('2026-03-03T08:00:00Z'),
        outcome: 'open',
      },
    });
    const [a] = planEscalations(at('2026-03-05T10:00:00Z'), sponsored, [first]).escalations;
    const [b] = planEscalations(at('2026-03-05T10:00:00Z'), sponsored, [moved]).escalations;
    expect(a!.key).not.toEqual(b!.key);
  });

  it('sends nothing without a sponsor, and waits for the sponsor’s working hours', () => {
    const late = [promised('2026-03-02', { number: 1 })];
    expect(level(late, '2026-03-05T10:00:00Z', workspace())).toEqual([]);
    expect(planEscalations(at('2026-03-05T22:00:00Z'), sponsored, late)).toEqual({
      escalations: [],
      deferred: true,
    });
  });
});
