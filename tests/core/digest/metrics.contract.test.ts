import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestMetrics } from '../../../src/core/digest/digest.model.js';
import { narrateNumbers } from '../../../src/core/digest/numbers.narrator.js';
import { completedPeriod, runningPeriod } from '../../../src/core/digest/period.js';
import { DigestMetricsCalculator } from '../../../src/core/metrics/digest-metrics.js';
import { openMongoStore } from '../../../src/store/mongo/mongo.store.js';
import { openEmbeddedStore } from '../../../src/store/nedb/nedb.store.js';
import type { Store } from '../../../src/core/ports/store.port.js';
import type { Workspace } from '../../../src/core/workspaces/workspace.model.js';
import { seedWeek } from './dataset.js';
import { addPebble, d, makeWorkspace } from './fixtures.js';

const uri = process.env.MONGODB_URI;
const dbName = `pebblebot_digest_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;

const adapters: [string, () => Promise<Store>][] = [
  ['embedded (nedb in memory)', () => openEmbeddedStore()],
];
if (uri)
  adapters.push([
    `mongodb (${dbName})`,
    () => openMongoStore({ uri, dbName, appName: 'pebblebot-tests' }),
  ]);
else console.warn('Digest metrics on MongoDB skipped: set MONGODB_URI to run them.');

afterAll(async () => {
  if (!uri) return;
  const client = new MongoClient(uri);
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
});

const W13_END = '2026-03-30T07:00:00.000Z';

describe.each(adapters)('Store contract: digest metrics on %s', (_name, open) => {
  let store: Store;
  let m: DigestMetrics;
  let seeded: Workspace;

  beforeAll(async () => {
    store = await open();
    const { workspace } = await seedWeek(store);
    seeded = workspace;
    const period = completedPeriod(
      d(W13_END),
      workspace.settings.digest,
      workspace.settings.timezone,
    );
    m = await new DigestMetricsCalculator(store.metrics).compute(
      workspace.id,
      workspace.settings,
      period,
    );
  });

  afterAll(async () => {
    await store?.close();
  });

  it('reports the week that ended at Monday 09:00 in Berlin: 167 hours across the DST change', () => {
    expect(m.period).toEqual({
      key: '2026-W13',
      start: d('2026-03-23T08:00:00Z'),
      end: d(W13_END),
      asOf: d(W13_END),
      timezone: 'Europe/Berlin',
      startDate: '2026-03-23',
      endDate: '2026-03-30',
    });
    expect(m.previous).toEqual({
      key: '2026-W12',
      start: d('2026-03-16T08:00:00Z'),
      end: d('2026-03-23T08:00:00Z'),
    });
  });

  it('you said: counts pebbles on the edges of the week by stage and stakeholder, with the trend', () => {
    // In: P2 (first instant), P3, P4, P5 (last minute), P11, P12. Out: P1 (a minute early),
    // P6 (the next week's first instant), P7 (inside a naive 168 h week only).
    expect(m.youSaid.total).toBe(6);
    expect(m.youSaid.previous).toBe(2);
    expect(m.youSaid.byStage).toEqual([
      { ref: 'customer/buy', name: 'Buy', count: 1, previous: 1 },
      { ref: 'customer/onboard', name: 'Onboard', count: 2, previous: 1 },
      { ref: 'customer/use', name: 'Use', count: 1, previous: 0 },
      { ref: 'customer/get-help', name: 'Get help', count: 1, previous: 0 },
      { ref: 'unassigned', name: 'No stage yet', count: 1, previous: 0 },
    ]);
    expect(m.youSaid.byStakeholder).toEqual([
      { stakeholder: 'customer', count: 4, previous: 2 },
      { stakeholder: 'employee', count: 1, previous: 0 },
      { stakeholder: 'partner', count: 1, previous: 0 },
    ]);
    expect(m.youSaid.mostSupported).toEqual([
      {
        number: 2,
        title: 'Onboarding email never arrives',
        stakeholder: 'customer',
        stage: 'Onboard',
        supporterCount: 2,
      },
      {
        number: 3,
        title: 'Expense tool logs me out',
        stakeholder: 'employee',
        stage: 'Use',
        supporterCount: 1,
      },
    ]);
  });

  it('team sport: distinct reporters (anonymous counted once), supporters, voters, teams, turnout', () => {
    expect(m.teamSport).toEqual({
      // U2 (named and anonymous), U6, U7 (anonymous only), U10, U11.
      reporters: 5,
      anonymousReporters: 1,
      // U3, U4, U5 and U9 (a +1 this week on a pebble of last week).
      supporters: 4,
      // V-2 names U3, U12, U13; secret V-1 had 4 ballots: at least 4 distinct voters.
      voters: 4,
      votersLowerBound: true,
      ballots: 7,
      // 9 reporters and supporters, plus U12 and U13.
      people: 11,
      // Last week: U1, and the 2 secret ballots of V-3.
      previousPeople: 2,
      teams: 6,
      councilTurnout: { part: 7, whole: 10, rate: 0.7 },
    });
  });

  it('we decided: approvals and declines, council outcomes, report -> decision median and p90', () => {
    expect(m.weDecided.approved).toBe(2);
    expect(m.weDecided.declined).toBe(1);
    // 24 h (P2), 48 h (P3), 144 h (P8).
    expect(m.weDecided.reportToDecision).toEqual({ count: 3, medianHours: 48, p90Hours: 144 });
    expect(m.weDecided.votesTotal).toBe(3);
    expect(
      m.weDecided.votes.map(({ number, outcome, by, cast, eligible }) => ({
        number,
        outcome,
        by,
        cast,
        eligible,
      })),
    ).toEqual([
      { number: 1, outcome: 'fix-now', by: 'council', cast: 4, eligible: 5 },
      { number: 2, outcome: 'no-quorum', by: undefined, cast: 3, eligible: 5 },
      { number: 3, outcome: 'not-now', by: 'sponsor', cast: 2, eligible: 5 },
    ]);
    expect(m.weDecided.votes[0]!.pebbles).toEqual([
      {
        number: 2,
        title: 'Onboarding email never arrives',
        stakeholder: 'customer',
        stage: 'Onboard',
        supporterCount: 2,
      },
    ]);
  });

  it('we did: shipped improvements, resolved pebbles, "fixed it" rate, hours recovered, loop closed', () => {
    expect(m.weDid.improvementsTotal).toBe(1);
    // I-7 shipped 10 Mar (W11): none the week before.
    expect(m.weDid.previous).toBe(0);
    expect(m.weDid.improvements).toEqual([
      {
        number: 2,
        title: 'Explain card declines at checkout',
        owner: 'Dana',
        ownerId: 'U20',
        pebbles: [
          {
            number: 8,
            title: 'Card declined without a reason',
            stakeholder: 'customer',
            stage: 'Buy',
            supporterCount: 1,
          },
        ],
        fixedYes: 1,
        fixedNo: 1,
        // 30 minutes, daily (5 times a week).
        hoursPerWeek: 2.5,
      },
    ]);
    expect(m.weDid.pebblesResolved).toBe(1);
    expect(m.weDid.fixedIt).toEqual({ part: 1, whole: 2, rate: 0.5 });
    expect(m.weDid.hoursPerWeekRecovered).toBe(2.5);
    expect(m.weDid.decisionToDone).toEqual({ count: 1, medianHours: 96, p90Hours: 96 });
    expect(m.weDid.loopClosed).toEqual({ part: 1, whole: 3, rate: 1 / 3 });
  });

  it('we promised: kept / due from the ledger, overdue and due next week with owners', () => {
    // Decided in the week: 25 Mar broken (I-4 moved), 27 Mar open and past (I-3), 28 Mar kept
    // on 27 Mar (I-2). 23 Mar (I-7) was kept early, on 10 Mar: it counted that week, not this
    // one. 26 Mar withdrawn (I-5) counts neither way.
    expect(m.wePromised.kept).toEqual({ part: 1, whole: 3, rate: 1 / 3 });
    expect(m.wePromised.broken).toBe(2);
    // The week before: 22 Mar broken (I-7), nothing kept.
    expect(m.wePromised.previousKept).toEqual({ part: 0, whole: 1, rate: 0 });
    expect(m.wePromised.overdue).toEqual([
      {
        number: 3,
        title: 'Resend the onboarding email',
        owner: 'Eve',
        ownerId: 'U21',
        promisedDate: '2026-03-27',
        daysOverdue: 3,
        pebbles: [],
        fixedYes: 0,
        fixedNo: 0,
        hoursPerWeek: 0,
      },
    ]);
    expect(m.wePromised.overdueTotal).toBe(1);
    expect(m.wePromised.dueNext.map((i) => [i.number, i.promisedDate, i.owner])).toEqual([
      [6, '2026-03-30', 'U24'],
      [4, '2026-04-02', 'Finn'],
    ]);
    expect(m.wePromised.dueNextTotal).toBe(2);
  });

  it('credits a promise kept early to the week it was kept, not the week of its date', async () => {
    const workspace = seeded;
    // W11 (Mon 9 Mar – Mon 16 Mar): I-7 was done on 10 Mar, 13 days before its 23 Mar date.
    const w11 = completedPeriod(
      d('2026-03-16T08:00:00Z'),
      workspace.settings.digest,
      workspace.settings.timezone,
    );
    expect(w11.key).toBe('2026-W11');
    const e = await new DigestMetricsCalculator(store.metrics).compute(
      workspace.id,
      workspace.settings,
      w11,
    );
    expect(e.wePromised.kept).toEqual({ part: 1, whole: 1, rate: 1 });
    expect(e.wePromised.broken).toBe(0);
    expect(e.weDid.improvementsTotal).toBe(1);
    expect(e.weDid.previous).toBe(1);
  });

  it('it came back: reopened after a fix, reported again as a duplicate of a resolved pebble', () => {
    expect(m.cameBack.items).toEqual([
      {
        number: 9,
        title: 'Help center search finds nothing',
        how: 'reopened',
        of: 9,
        improvement: 1,
      },
      { number: 11, title: 'Cannot find the phone number', how: 'reported-again', of: 10 },
    ]);
    expect(m.cameBack.total).toBe(2);
    expect(m.cameBack.previous).toBe(0);
  });

  it('it came back: friction rate of each improved stage before vs after the fix', () => {
    expect(m.cameBack.stages).toEqual([
      // I-2 shipped this week: 1 Buy pebble in the 4 weeks before, too early for after.
      {
        ref: 'customer/buy',
        name: 'Buy',
        improvement: 2,
        shippedPeriod: '2026-W13',
        beforePerWeek: 0.3,
        beforeWeeks: 4,
        afterWeeks: 0,
      },
      {
        ref: 'customer/discover',
        name: 'Discover',
        improvement: 7,
        shippedPeriod: '2026-W11',
        beforePerWeek: 0,
        beforeWeeks: 4,
        afterPerWeek: 0,
        afterWeeks: 2,
      },
      // I-1 shipped in W10: P10 in W6 before (1 in 4 weeks), P11 in W13 after (1 in 3 weeks).
      {
        ref: 'customer/get-help',
        name: 'Get help',
        improvement: 1,
        shippedPeriod: '2026-W10',
        beforePerWeek: 0.3,
        beforeWeeks: 4,
        afterPerWeek: 0.3,
        afterWeeks: 3,
      },
    ]);
  });

  it('backlog health: open pebbles by age at the end of the week', () => {
    expect(m.backlog).toEqual({
      open: 7,
      buckets: [
        // P1 (6 days 23 hours), P2, P4, P5; P6 and P7 came after the week.
        { label: 'under a week', count: 4 },
        { label: '1–4 weeks', count: 1 },
        { label: '4–13 weeks', count: 1 },
        { label: 'over 13 weeks', count: 1 },
      ],
    });
  });

  it('time to close the loop: acknowledgement, decision and fix waits', () => {
    expect(m.waits).toEqual({
      // 1 h (P11), 1 h (P12), 2 h (P2), 6 h (P3).
      acknowledgement: { count: 4, medianHours: 1.5, p90Hours: 6 },
      decision: { count: 3, medianHours: 48, p90Hours: 144 },
      fix: { count: 1, medianHours: 240, p90Hours: 240 },
    });
  });

  it('chart: pebbles per stage over the last 8 weeks, oldest first', () => {
    expect(m.history.periods).toEqual(
      ['2 Feb', '9 Feb', '16 Feb', '23 Feb', '2 Mar', '9 Mar', '16 Mar', '23 Mar'].map(
        (label, i) => ({
          key: `2026-W${String(6 + i).padStart(2, '0')}`,
          label,
        }),
      ),
    );
    // Each stage carries its catalog place (its colour on every chart); no stage has none.
    expect(m.history.series).toEqual([
      { ref: 'customer/buy', name: 'Buy', counts: [0, 0, 0, 0, 0, 0, 1, 1], slot: 1 },
      { ref: 'customer/onboard', name: 'Onboard', counts: [0, 0, 0, 0, 0, 0, 1, 2], slot: 2 },
      { ref: 'customer/use', name: 'Use', counts: [0, 0, 0, 0, 0, 1, 0, 1], slot: 3 },
      { ref: 'customer/get-help', name: 'Get help', counts: [1, 0, 0, 0, 0, 0, 0, 1], slot: 4 },
      { ref: 'unassigned', name: 'No stage yet', counts: [0, 0, 0, 0, 0, 0, 0, 1] },
    ]);
    // Shipped: I-1 on 2 Mar (W10), I-7 on 10 Mar (W11), I-2 on 27 Mar (W13).
    expect(m.history.shipped).toEqual([0, 0, 0, 0, 1, 1, 0, 1]);
  });

  it('never carries who reported a pebble', () => {
    const text = JSON.stringify(m);
    for (const reporter of ['U2', 'U6', 'U7', 'U10', 'U11'])
      expect(text).not.toContain(`"${reporter}"`);
    expect(text).not.toContain('Name of');
  });

  it('tells the week in three deterministic lines', () => {
    expect(narrateNumbers(m, { preview: false }).split('\n')).toEqual([
      'This week people reported 6 pebbles, up 4 from 2, most about Onboard (2); most backed: P-2 “Onboarding email never arrives” (2 people said “me too”).',
      'We shipped I-2 “Explain card declines at checkout”, resolving 1 pebble, giving back about 2.5 hours a week.',
      'Promises: 1 of 3 kept, 2 broken (I-3 is 3 days late). Came back: P-9 “Help center search finds nothing” and 1 more.',
    ]);
  });

  it('gives zeros, not errors, for an empty workspace, and a quiet narrative', async () => {
    const empty = await makeWorkspace(store, 'Asia/Tokyo');
    const period = completedPeriod(d(W13_END), empty.settings.digest, empty.settings.timezone);
    const e = await new DigestMetricsCalculator(store.metrics).compute(
      empty.id,
      empty.settings,
      period,
    );
    expect(e.period.start).toEqual(d('2026-03-23T00:00:00Z'));
    expect(e.youSaid).toMatchObject({ total: 0, previous: 0, byStage: [], mostSupported: [] });
    expect(e.teamSport).toMatchObject({
      reporters: 0,
      supporters: 0,
      voters: 0,
      people: 0,
      teams: 0,
    });
    expect(e.teamSport.councilTurnout).toEqual({ part: 0, whole: 0 });
    expect(e.weDecided.reportToDecision).toEqual({ count: 0 });
    expect(e.weDid).toMatchObject({
      improvementsTotal: 0,
      hoursPerWeekRecovered: 0,
      fixedIt: { part: 0, whole: 0 },
    });
    expect(e.wePromised).toMatchObject({
      kept: { part: 0, whole: 0 },
      broken: 0,
      overdueTotal: 0,
      dueNextTotal: 0,
    });
    expect(e.cameBack).toEqual({ items: [], total: 0, previous: 0, stages: [] });
    expect(e.backlog.open).toBe(0);
    expect(e.history.series).toEqual([]);
    expect(narrateNumbers(e, { preview: false })).toBe(
      'This week was quiet: no pebble was reported, nothing shipped, no promise fell due and nothing came back.',
    );
  });

  it('counts a New York week across the fall-back change (169 hours) to its last hour', async () => {
    const ny = await makeWorkspace(store, 'America/New_York');
    // Mon 26 Oct 09:00 EDT (13:00Z) to Mon 2 Nov 09:00 EST (14:00Z).
    for (const at of [
      '2026-10-26T12:59:00Z',
      '2026-10-26T13:00:00Z',
      '2026-11-02T13:30:00Z',
      '2026-11-02T14:00:00Z',
    ])
      await addPebble(store, ny.id, { at, stage: 'use', reporter: 'U1' });
    const period = completedPeriod(
      d('2026-11-02T14:00:00Z'),
      ny.settings.digest,
      ny.settings.timezone,
    );
    expect(period.end.getTime() - period.start.getTime()).toBe(169 * 3_600_000);
    const e = await new DigestMetricsCalculator(store.metrics).compute(ny.id, ny.settings, period);
    expect(e.youSaid.total).toBe(2);
    expect(e.youSaid.previous).toBe(1);
  });

  it('keeps one snapshot per workspace and period: the first written wins, queued once', async () => {
    const workspaceId = `slack:T-${randomUUID()}`;
    const snapshot = (narrative: string, period: string) => ({
      workspaceId,
      period,
      metrics: { ...m, period: { ...m.period, key: period } },
      narrative,
      narrator: 'numbers',
      computedAt: d('2026-03-30T07:00:00Z'),
      computeMs: 12,
      recipients: [{ kind: 'channel' as const, channelId: 'C1' }],
    });
    const first = await store.digests.saveOnce(snapshot('first', '2026-W13'));
    const second = await store.digests.saveOnce(snapshot('second', '2026-W13'));
    expect([first.created, second.created]).toEqual([true, false]);
    expect(second.snapshot.narrative).toBe('first');
    expect(second.snapshot.metrics).toEqual(first.snapshot.metrics);
    await store.digests.saveOnce(snapshot('older', '2026-W12'));
    expect(await store.digests.markQueued(workspaceId, '2026-W13', d('2026-03-30T07:01:00Z'))).toBe(
      true,
    );
    expect(await store.digests.markQueued(workspaceId, '2026-W13', d('2026-03-30T07:02:00Z'))).toBe(
      false,
    );
    const stored = await store.digests.get(workspaceId, '2026-W13');
    expect(stored?.queuedAt).toEqual(d('2026-03-30T07:01:00Z'));
    expect(stored?.metrics.youSaid).toEqual(m.youSaid);
    expect((await store.digests.list(workspaceId, 5)).map((x) => x.period)).toEqual([
      '2026-W13',
      '2026-W12',
    ]);
    expect(await store.digests.get(workspaceId, '2026-W11')).toBeNull();
  });

  it('previews the running week up to now, deciding only the promises of days already over', async () => {
    const { workspace } = await seedWeek(store);
    // Thursday 26 March 12:00 in Berlin.
    const period = runningPeriod(
      d('2026-03-26T11:00:00Z'),
      workspace.settings.digest,
      workspace.settings.timezone,
    );
    const p = await new DigestMetricsCalculator(store.metrics).compute(
      workspace.id,
      workspace.settings,
      period,
    );
    expect(p.period.asOf).toEqual(d('2026-03-26T11:00:00Z'));
    // P2, P3, P4, P11, P12 so far; P5 comes on Monday.
    expect(p.youSaid.total).toBe(5);
    // Decided so far: 25 Mar broken (I-4); 23 Mar was kept weeks ago (I-7). 26 Mar (withdrawn)
    // and later dates are still running, so I-3 (27 Mar) is due, not overdue.
    expect(p.wePromised.kept).toEqual({ part: 0, whole: 1, rate: 0 });
    expect(p.wePromised.overdueTotal).toBe(0);
    expect(p.wePromised.dueNext.map((i) => i.number)).toEqual([3, 6, 4]);
  });
});
