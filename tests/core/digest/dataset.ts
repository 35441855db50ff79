import type { DigestMetrics } from '../../../src/core/digest/digest.model.js';
import { completedPeriod } from '../../../src/core/digest/period.js';
import { DigestMetricsCalculator } from '../../../src/core/metrics/digest-metrics.js';
import { openEmbeddedStore } from '../../../src/store/nedb/nedb.store.js';
import type { Store } from '../../../src/core/ports/store.port.js';
import { addImprovement, addLoopNotice, addPebble, addVote, makeWorkspace } from './fixtures.js';

/**
 * The hand-built week every metric is checked against. Workspace in Europe/Berlin, digest on
 * Mondays at 09:00. The week reported is 2026-W13: Mon 23 Mar 09:00 CET (08:00Z) to Mon 30 Mar
 * 09:00 CEST (07:00Z) — clocks moved forward on Sunday 29 March, so it lasts 167 hours. The week
 * before (W12) starts Mon 16 Mar 08:00Z. Pebbles sit on both edges of both boundaries.
 *
 * The expected answers are worked out by hand in metrics.contract.test.ts.
 */
export async function seedWeek(store: Store) {
  const workspace = await makeWorkspace(store, 'Europe/Berlin');
  const ws = workspace.id;
  const P = async (spec: Parameters<typeof addPebble>[2]) =>
    (await addPebble(store, ws, spec)).number;

  // P1: one minute before the week starts (08:59 CET): the week before.
  const p1 = await P({
    at: '2026-03-23T07:59:00Z',
    stage: 'onboard',
    reporter: 'U1',
    team: 'Support',
  });
  // P2: the first instant of the week. Acknowledged after 2 h, approved after 24 h, +2.
  const p2 = await P({
    at: '2026-03-23T08:00:00Z',
    title: 'Onboarding email never arrives',
    stage: 'onboard',
    severity: 3,
    reporter: 'U2',
    team: 'Sales',
    steps: [
      ['triaged', '2026-03-23T10:00:00Z'],
      ['approved', '2026-03-24T08:00:00Z'],
    ],
    supporters: [
      { userId: 'U3', team: 'Product', at: '2026-03-24T09:00:00Z' },
      { userId: 'U4', team: 'Support', at: '2026-03-25T09:00:00Z' },
    ],
  });
  // P3: an employee pebble reported anonymously by U2 (who also reported P2 by name). Declined.
  const p3 = await P({
    at: '2026-03-24T12:00:00Z',
    title: 'Expense tool logs me out',
    stakeholder: 'employee',
    stage: 'use',
    reporter: 'U2',
    team: 'Sales',
    anonymous: true,
    steps: [
      ['triaged', '2026-03-24T18:00:00Z'],
      ['declined', '2026-03-26T12:00:00Z'],
    ],
    supporters: [{ userId: 'U5', team: 'Ops', at: '2026-03-26T09:00:00Z' }],
  });
  // P4: a partner pebble without a stage, reporter without a team.
  const p4 = await P({ at: '2026-03-25T09:00:00Z', stakeholder: 'partner', reporter: 'U6' });
  // P5: the last minute of the week (08:59 CEST), anonymous.
  await P({
    at: '2026-03-30T06:59:00Z',
    stage: 'buy',
    reporter: 'U7',
    team: 'Finance',
    anonymous: true,
  });
  // P6: the first instant of the next week.
  await P({ at: '2026-03-30T07:00:00Z', stage: 'buy', reporter: 'U8' });
  // P7: inside a naive 168-hour week, outside the real (DST) one.
  await P({ at: '2026-03-30T07:30:00Z', stage: 'buy', reporter: 'U8' });
  // P8: reported the week before, approved (after 6 days) and resolved (after 10) this week.
  const p8 = await P({
    at: '2026-03-17T10:00:00Z',
    title: 'Card declined without a reason',
    stage: 'buy',
    frequency: 'daily',
    minutesLost: 30,
    reporter: 'U1',
    team: 'Support',
    steps: [
      ['triaged', '2026-03-17T12:00:00Z'],
      ['approved', '2026-03-23T10:00:00Z'],
      ['resolved', '2026-03-27T10:00:00Z'],
    ],
    supporters: [{ userId: 'U9', team: 'Marketing', at: '2026-03-24T10:00:00Z' }],
  });
  // P9: fixed by I-1 on 2 March, reopened this week ("it came back").
  const p9 = await P({
    at: '2026-01-05T10:00:00Z',
    title: 'Help center search finds nothing',
    stage: 'get-help',
    reporter: 'U1',
    steps: [
      ['triaged', '2026-01-06T10:00:00Z'],
      ['approved', '2026-01-07T10:00:00Z'],
      ['resolved', '2026-03-02T10:00:00Z'],
      ['triaged', '2026-03-26T10:00:00Z', 'came back after I-1'],
    ],
  });
  // P10: fixed by I-1 on 2 March.
  const p10 = await P({
    at: '2026-02-02T10:00:00Z',
    title: 'Chat widget hides the phone number',
    stage: 'get-help',
    reporter: 'U1',
    steps: [
      ['triaged', '2026-02-03T10:00:00Z'],
      ['approved', '2026-02-04T10:00:00Z'],
      ['resolved', '2026-03-02T10:00:00Z'],
    ],
  });
  // P11: reported this week as a duplicate of the resolved P10 ("reported again").
  await P({
    at: '2026-03-25T10:00:00Z',
    title: 'Cannot find the phone number',
    stage: 'get-help',
    reporter: 'U10',
    team: 'Support',
    steps: [['duplicate', '2026-03-25T11:00:00Z']],
    duplicateOf: p10,
  });
  // P12: a duplicate of P2, which is not resolved: not a recurrence.
  await P({
    at: '2026-03-24T10:00:00Z',
    stage: 'onboard',
    reporter: 'U11',
    team: 'Sales',
    steps: [['duplicate', '2026-03-24T11:00:00Z']],
    duplicateOf: p2,
  });
  // P13: old and still open (backlog over 13 weeks).
  const p13 = await P({ at: '2025-11-01T10:00:00Z', stage: 'discover', reporter: 'U1' });
  // P14: 20 days old, triaged (backlog 1–4 weeks).
  await P({
    at: '2026-03-10T10:00:00Z',
    stage: 'use',
    reporter: 'U1',
    steps: [['triaged', '2026-03-11T10:00:00Z']],
  });

  // I-1: shipped 2 March (week W10) for P10 and P9; an answer from the week before.
  await addImprovement(store, ws, {
    title: 'Search the help center by phone words',
    pebbleNumbers: [p10, p9],
    status: 'done',
    createdAt: '2026-02-09T10:00:00Z',
    doneAt: '2026-03-02T10:00:00Z',
    ownerId: 'U20',
    feedback: [{ userId: 'U10', answer: 'yes', at: '2026-03-03T10:00:00Z' }],
  });
  // I-2: decided 23 March, shipped 27 March (4 days), promise of 28 March kept; yes and no.
  await addImprovement(store, ws, {
    title: 'Explain card declines at checkout',
    pebbleNumbers: [p8],
    status: 'done',
    createdAt: '2026-03-23T10:00:00Z',
    doneAt: '2026-03-27T10:00:00Z',
    ownerId: 'U20',
    ownerName: 'Dana',
    promises: [{ date: '2026-03-28', outcome: 'kept', closedAt: '2026-03-27T10:00:00Z' }],
    feedback: [
      { userId: 'U1', answer: 'yes', at: '2026-03-28T10:00:00Z' },
      { userId: 'U9', answer: 'no', at: '2026-03-29T10:00:00Z' },
    ],
  });
  // I-3: promised for Friday 27 March, not done: overdue by 3 days, a broken promise.
  await addImprovement(store, ws, {
    title: 'Resend the onboarding email',
    pebbleNumbers: [p2],
    status: 'on-track',
    createdAt: '2026-03-24T10:00:00Z',
    ownerId: 'U21',
    ownerName: 'Eve',
    promise: '2026-03-27',
  });
  // I-4: date moved from 25 March (broken) to 2 April (due next week).
  await addImprovement(store, ws, {
    title: 'Give partners a stage',
    pebbleNumbers: [p4],
    status: 'at-risk',
    createdAt: '2026-03-20T10:00:00Z',
    ownerId: 'U22',
    ownerName: 'Finn',
    promise: '2026-04-02',
    promises: [{ date: '2026-03-25', outcome: 'broken', closedAt: '2026-03-24T10:00:00Z' }],
  });
  // I-5: dropped before its date: a withdrawn promise counts neither way.
  await addImprovement(store, ws, {
    title: 'Rewrite the expense tool',
    pebbleNumbers: [p3],
    status: 'dropped',
    createdAt: '2026-03-01T10:00:00Z',
    ownerId: 'U23',
    promises: [{ date: '2026-03-26', outcome: 'withdrawn', closedAt: '2026-03-20T10:00:00Z' }],
  });
  // I-6: promised for Monday 30 March, the day after the week: due next week, not overdue.
  await addImprovement(store, ws, {
    title: 'Onboarding checklist',
    pebbleNumbers: [p1],
    status: 'on-track',
    createdAt: '2026-03-20T10:00:00Z',
    ownerId: 'U24',
    promise: '2026-03-30',
  });
  // I-7: shipped 10 March (W11); kept a promise dated 23 March (counts this week) and broke one
  // dated 22 March (the week before).
  await addImprovement(store, ws, {
    title: 'Discover page loads faster',
    pebbleNumbers: [p13],
    status: 'done',
    createdAt: '2026-03-01T10:00:00Z',
    doneAt: '2026-03-10T10:00:00Z',
    ownerId: 'U25',
    promises: [
      { date: '2026-03-22', outcome: 'broken', closedAt: '2026-03-05T10:00:00Z' },
      { date: '2026-03-23', outcome: 'kept', closedAt: '2026-03-10T10:00:00Z' },
    ],
  });

  // V-1: secret, closed this week: 4 of 5 (one recusal of 6), decided "Fix now".
  await addVote(store, ws, {
    pebbleNumbers: [p2],
    secret: true,
    openedAt: '2026-03-23T09:00:00Z',
    closedAt: '2026-03-25T10:00:00Z',
    cast: 4,
    recused: 1,
    electorate: 6,
    outcome: 'decided',
    decision: { option: 'fix-now', by: 'council', at: '2026-03-25T10:00:00Z' },
  });
  // V-2: open ballots, closed this week without quorum: 3 of 5, named.
  await addVote(store, ws, {
    pebbleNumbers: [p3],
    secret: false,
    openedAt: '2026-03-24T09:00:00Z',
    closedAt: '2026-03-27T12:00:00Z',
    cast: 3,
    recused: 0,
    electorate: 5,
    outcome: 'no-quorum',
    names: { 'not-now': ['U3', 'U12'], 'need-info': ['U13'] },
  });
  // V-3: closed the week before (2 of 5, secret), decided by the sponsor this week.
  await addVote(store, ws, {
    pebbleNumbers: [p4],
    secret: true,
    openedAt: '2026-03-17T09:00:00Z',
    closedAt: '2026-03-20T10:00:00Z',
    cast: 2,
    recused: 0,
    electorate: 5,
    outcome: 'tie',
    decision: { option: 'not-now', by: 'sponsor', at: '2026-03-24T10:00:00Z' },
  });

  // Close-the-loop notices: this week one sent, one waiting, one failed; one sent the week before.
  await addLoopNotice(store, ws, '2026-03-27T10:05:00Z', 'sent');
  await addLoopNotice(store, ws, '2026-03-27T10:06:00Z', 'pending');
  await addLoopNotice(store, ws, '2026-03-27T10:07:00Z', 'failed');
  await addLoopNotice(store, ws, '2026-03-02T10:05:00Z', 'sent');

  return { workspace: (await store.workspaces.get(ws))!, p8, p9 };
}

/**
 * The hand-built week's metrics for the completed period of 2026-03-30, on a fresh in-memory
 * store (the view tests' common starting point). Close the returned store when done.
 */
export async function seededWeekMetrics(): Promise<{ store: Store; metrics: DigestMetrics }> {
  const store = await openEmbeddedStore();
  const { workspace } = await seedWeek(store);
  const { digest, timezone } = workspace.settings;
  const period = completedPeriod(new Date('2026-03-30T07:00:00Z'), digest, timezone);
  const metrics = await new DigestMetricsCalculator(store.metrics).compute(
    workspace.id,
    workspace.settings,
    period,
  );
  return { store, metrics };
}
