import type { DigestMetrics } from '../../../src/core/digest/digest.model.js';

/** The biggest digest the view can be asked for: every list full, every title at its limit. */
export function maximal(m: DigestMetrics): DigestMetrics {
  const long = (i: number) =>
    `${i} ${'Friction that takes a whole paragraph to say '.repeat(4)}`.slice(0, 150);
  const pebble = (i: number) => ({
    number: 100_000 + i,
    title: long(i),
    stakeholder: 'customer' as const,
    stage: 'Stage name that is long',
    supporterCount: 999,
  });
  const improvement = (i: number) => ({
    number: 10_000 + i,
    title: long(i),
    owner: 'A person with a very long display name indeed',
    promisedDate: '2026-04-01',
    daysOverdue: 120,
    pebbles: Array.from({ length: 20 }, (_, j) => pebble(j)),
    fixedYes: 99,
    fixedNo: 99,
    hoursPerWeek: 1234.5,
  });
  const stages = Array.from({ length: 25 }, (_, i) => ({
    ref: `j/s${i}`,
    name: `Journey name › Stage ${i} with a long name`,
    count: 9999,
    previous: 1,
  }));
  return {
    ...m,
    youSaid: { ...m.youSaid, byStage: stages, mostSupported: [1, 2, 3].map(pebble) },
    weDecided: {
      ...m.weDecided,
      votes: Array.from({ length: 5 }, (_, i) => ({
        number: 900 + i,
        pebbles: Array.from({ length: 10 }, (_, j) => pebble(j)),
        outcome: 'no-balance',
        cast: 2000,
        eligible: 2000,
      })),
      votesTotal: 500,
    },
    weDid: {
      ...m.weDid,
      improvements: Array.from({ length: 5 }, (_, i) => improvement(i)),
      improvementsTotal: 80,
    },
    wePromised: {
      ...m.wePromised,
      overdue: [1, 2, 3, 4, 5].map(improvement),
      overdueTotal: 77,
      dueNext: [1, 2, 3, 4, 5].map(improvement),
      dueNextTotal: 66,
    },
    cameBack: {
      ...m.cameBack,
      items: [1, 2, 3, 4, 5].map((i) => ({
        number: i,
        title: long(i),
        how: 'reopened' as const,
        of: i,
        improvement: i,
      })),
      total: 40,
      stages: Array.from({ length: 5 }, (_, i) => ({
        ref: `j/s${i}`,
        name: long(i),
        improvement: i + 1,
        shippedPeriod: '2026-W10',
        beforePerWeek: 10,
        beforeWeeks: 4,
        afterPerWeek: 1,
        afterWeeks: 4,
      })),
    },
    history: {
      ...m.history,
      series: stages.map((s) => ({
        ref: s.ref,
        name: s.name,
        counts: Array(8).fill(99999) as number[],
      })),
    },
  };
}
