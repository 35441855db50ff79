import type { MetricsRepository } from '../ports/metrics.port.js';
import type {
  CameBack,
  DigestImprovement,
  DigestMetrics,
  DigestPebble,
  DigestVote,
  Period,
  StageCount,
  StageTrend,
} from '../digest/digest.model.js';
import { addDays, dateIn, daysFrom, shiftPeriod, shortLabel } from '../digest/period.js';
import type { Frequency, Stakeholder } from '../pebbles/pebble.model.js';
import { catalogStages, type WorkspaceSettings } from '../workspaces/workspace.model.js';
import type {
  ImprovementFact,
  PebbleFact,
  PromiseFact,
  ReportedGroup,
  StatusChange,
  TimeRange,
  VoteFact,
} from './metric-facts.js';
import { durationStat, ratio, round1 } from './stats.js';

/** Periods the chart shows, the current one last. */
export const CHART_PERIODS = 8;
/** Periods before (and after) an improvement shipped that its stage's friction rate compares. */
export const TREND_PERIODS = 4;
/** Items a list of the digest shows; the total is always given beside it. */
export const LIST_LIMIT = 5;

/**
 * How many times a week friction happens, from the reporter's estimate. Working time: an hourly
 * pebble happens 40 times a week, a daily one 5 times; "once" costs nothing recurring.
 */
export const OCCURRENCES_PER_WEEK: Record<Frequency, number> = {
  hourly: 40,
  daily: 5,
  weekly: 1,
  monthly: 12 / 52,
  once: 0,
};

export const UNASSIGNED = 'unassigned';
const DAY_MS = 86_400_000;
/** Age buckets of open pebbles, in days: under a week, 1–4 weeks, 4–13 weeks, older. */
export const BACKLOG_BUCKETS: { label: string; days: number }[] = [
  { label: 'under a week', days: 7 },
  { label: '1–4 weeks', days: 28 },
  { label: '4–13 weeks', days: 91 },
  { label: 'over 13 weeks', days: Number.POSITIVE_INFINITY },
];

const STAKEHOLDERS: Stakeholder[] = ['customer', 'employee', 'partner'];
const OPEN_FROM_EPOCH = '0000-01-01';

/** Where a pebble sits in the catalog: `journey/stage`, or unassigned. */
export interface StageCatalog {
  refOf(journey: string | undefined, stage: string | undefined): string;
  nameOf(ref: string): string;
  /** Catalog order; refs outside the catalog after it, unassigned last. */
  order(refs: Iterable<string>): string[];
  /** Position in the catalog (a stage's colour on the chart); undefined outside it. */
  slotOf(ref: string): number | undefined;
}

export function stageCatalog(settings: WorkspaceSettings): StageCatalog {
  const stages = catalogStages(settings);
  const multi = settings.journeys.length > 1;
  const names = new Map(
    stages.map((s) => [s.ref, multi ? `${s.journey.name} › ${s.stage.name}` : s.stage.name]),
  );
  const rank = new Map(stages.map((s, i) => [s.ref, i]));
  return {
    refOf(journey, stage) {
      if (!stage) return UNASSIGNED;
      if (journey) return `${journey}/${stage}`;
      // A stage without its journey: the first journey of the catalog that has it.
      return stages.find((s) => s.stage.key === stage)?.ref ?? `?/${stage}`;
    },
    nameOf(ref) {
      if (ref === UNASSIGNED) return 'No stage yet';
      return names.get(ref) ?? ref.replace(/^\?\//, '').replace('/', ' › ');
    },
    slotOf(ref) {
      return rank.get(ref);
    },
    order(refs) {
      const key = (ref: string) =>
        ref === UNASSIGNED ? Number.MAX_SAFE_INTEGER : (rank.get(ref) ?? stages.length);
      return [...new Set(refs)].sort((a, b) => key(a) - key(b) || a.localeCompare(b));
    },
  };
}

function rangeOf(period: Period): TimeRange {
  return { from: period.start, to: period.asOf };
}

function countByStage(groups: ReportedGroup[], catalog: StageCatalog): Map<string, number> {
  const counts = new Map<string, number>();
  for (const g of groups) {
    const ref = catalog.refOf(g.journey, g.stage);
    counts.set(ref, (counts.get(ref) ?? 0) + g.count);
  }
  return counts;
}

function total(groups: ReportedGroup[]): number {
  return groups.reduce((sum, g) => sum + g.count, 0);
}

/** The first change per pebble that matches, in time order. */
function firstPerPebble(rows: StatusChange[], match: (row: StatusChange) => boolean) {
  const seen = new Map<number, StatusChange>();
  for (const row of rows) if (match(row) && !seen.has(row.number)) seen.set(row.number, row);
  return [...seen.values()];
}

const waited = (rows: StatusChange[]) => rows.map((r) => r.at.getTime() - r.createdAt.getTime());
const isDecision = (r: StatusChange) => r.to === 'approved' || r.to === 'declined';

function hoursPerWeek(pebbles: PebbleFact[]): number {
  let minutes = 0;
  for (const p of pebbles)
    if (p.minutesLost && p.frequency) minutes += p.minutesLost * OCCURRENCES_PER_WEEK[p.frequency];
  return minutes / 60;
}

/**
 * Promises decided in a period. A kept promise counts in the period it was kept, so an
 * improvement done before its date is credited the week it was done (and not again the week of
 * its date); a broken or still-open one counts in the period of its date. Withdrawn ones count
 * neither way. `promises` holds those dated in the period and those kept in `range`.
 */
function keptAndBroken(promises: PromiseFact[], range: TimeRange) {
  let kept = 0;
  let broken = 0;
  for (const p of promises) {
    if (p.outcome === 'kept') {
      if (!p.closedAt || inRange(p.closedAt, range)) kept++;
    } else if (p.outcome === 'broken' || p.outcome === 'open') broken++;
  }
  return { kept, broken };
}

const inRange = (at: Date, r: TimeRange) => at >= r.from && at < r.to;

/**
 * Computes every number of the digest for `period` (with the previous period for trends) from
 * the store's aggregations. Deterministic: the same store and period give the same numbers.
 */
export class DigestMetricsCalculator {
  constructor(private readonly repo: MetricsRepository) {}

  async compute(
    workspaceId: string,
    settings: WorkspaceSettings,
    period: Period,
  ): Promise<DigestMetrics> {
    const repo = await this.repo.open(workspaceId);
    const catalog = stageCatalog(settings);
    const complete = period.asOf.getTime() >= period.end.getTime();
    // Oldest first: TREND_PERIODS before the chart's first period, then the chart, current last.
    const span = CHART_PERIODS + TREND_PERIODS;
    const periods = Array.from({ length: span }, (_, i) =>
      i === span - 1 ? period : shiftPeriod(period, i - (span - 1)),
    );
    const previous = periods[span - 2]!;
    const current = rangeOf(period);
    const before = rangeOf(previous);
    const decidedUntil = complete ? period.endDate : dateIn(period.asOf, period.timezone);
    const chartFrom = periods[span - CHART_PERIODS]!;

    const [
      reported,
      mostSupported,
      participation,
      participationBefore,
      changes,
      changesBefore,
      openByAge,
      duplicates,
      duplicatesBefore,
      done,
      shippedInChart,
      dueNext,
      overdue,
      promises,
      promisesBefore,
      doneBefore,
      answers,
      notices,
      votes,
      votesBefore,
    ] = await Promise.all([
      repo.reported(periods.map(rangeOf)),
      repo.mostSupported(current, LIST_LIMIT),
      repo.participation(current),
      repo.participation(before),
      repo.statusChanges(current),
      repo.statusChanges(before),
      repo.openByAge(this.ageEdges(period.asOf)),
      repo.duplicatesReported(current),
      repo.duplicatesReported(before),
      repo.improvementsDone(current),
      repo.improvementsDone({ from: chartFrom.start, to: period.asOf }),
      repo.activeDue({ from: decidedUntil, to: addDays(period.endDate, 7) }),
      repo.activeDue({ from: OPEN_FROM_EPOCH, to: decidedUntil }),
      repo.promisesDecided({ from: period.startDate, to: decidedUntil }, current),
      repo.promisesDecided({ from: previous.startDate, to: period.startDate }, before),
      repo.improvementsDone(before),
      repo.fixAnswers(current),
      repo.loopNotices(current),
      repo.votes(current),
      repo.votes(before),
    ]);

    // Pebbles the lists name, fetched once.
    const wanted = new Set<number>();
    for (const i of [...done, ...shippedInChart]) for (const n of i.pebbleNumbers) wanted.add(n);
    for (const v of votes) for (const n of v.pebbleNumbers) wanted.add(n);
    const reopenedRows = firstPerPebble(changes, (r) => r.from === 'resolved');
    for (const r of reopenedRows) wanted.add(r.number);
    const originals = [
      ...new Set(duplicates.flatMap((d) => (d.duplicateOf ? [d.duplicateOf] : []))),
    ];
    const originalsBefore = [
      ...new Set(duplicatesBefore.flatMap((d) => (d.duplicateOf ? [d.duplicateOf] : []))),
    ];
    for (const n of originals) wanted.add(n);
    const [pebbleFacts, firstResolved, firstResolvedBefore, fixing] = await Promise.all([
      repo.pebbles([...wanted]),
      repo.resolvedAt(originals, period.asOf),
      repo.resolvedAt(originalsBefore, previous.asOf),
      repo.improvementsFixing(reopenedRows.map((r) => r.number)),
    ]);
    const byNumber = new Map(pebbleFacts.map((p) => [p.number, p]));
    const pebbleView = (n: number): DigestPebble => {
      const p = byNumber.get(n);
      return p
        ? {
            number: n,
            title: p.title,
            stakeholder: p.stakeholder,
            stage: catalog.nameOf(catalog.refOf(p.journey, p.stage)),
            supporterCount: p.supporterCount,
          }
        : { number: n, title: '(removed)' };
    };

    // You said.
    const now = countByStage(reported[span - 1]!, catalog);
    const then = countByStage(reported[span - 2]!, catalog);
    const byStage: StageCount[] = catalog.order([...now.keys(), ...then.keys()]).map((ref) => ({
      ref,
      name: catalog.nameOf(ref),
      count: now.get(ref) ?? 0,
      previous: then.get(ref) ?? 0,
    }));
    const byStakeholder = STAKEHOLDERS.map((stakeholder) => ({
      stakeholder,
      count: reported[span - 1]!.filter((g) => g.stakeholder === stakeholder).reduce(
        (s, g) => s + g.count,
        0,
      ),
      previous: reported[span - 2]!.filter((g) => g.stakeholder === stakeholder).reduce(
        (s, g) => s + g.count,
        0,
      ),
    }));

    // Team sport.
    // Ballots are cast before a vote closes: the votes closed in a period are its voting.
    const closedIn = (list: VoteFact[], r: TimeRange) =>
      list.filter((v) => v.closedAt && v.closedAt >= r.from && v.closedAt < r.to);
    const closedVotes = closedIn(votes, current);
    const voters = this.voters(closedVotes);
    const votersBefore = this.voters(closedIn(votesBefore, before));
    const people = new Set([...participation.people, ...voters.ids]);
    const peopleBefore = new Set([...participationBefore.people, ...votersBefore.ids]);

    // We decided.
    const decisions = firstPerPebble(changes, isDecision);
    const digestVotes: DigestVote[] = votes.slice(0, LIST_LIMIT).map((v) => ({
      number: v.number,
      pebbles: v.pebbleNumbers.map(pebbleView),
      outcome: v.decision?.option ?? v.outcome ?? v.status,
      ...(v.decision ? { by: v.decision.by } : {}),
      cast: v.cast,
      eligible: v.eligible,
    }));

    // We did.
    const improvementView = (i: ImprovementFact): DigestImprovement => {
      const pebbles = i.pebbleNumbers
        .map((n) => byNumber.get(n))
        .filter((p): p is PebbleFact => !!p);
      return {
        number: i.number,
        title: i.title,
        ...(i.ownerId ? { owner: i.ownerName ?? i.ownerId, ownerId: i.ownerId } : {}),
        ...(i.promisedDate ? { promisedDate: i.promisedDate } : {}),
        pebbles: i.pebbleNumbers.map(pebbleView),
        fixedYes: i.fixedYes,
        fixedNo: i.fixedNo,
        hoursPerWeek: round1(hoursPerWeek(pebbles)),
      };
    };
    const shipped = done.map(improvementView);
    const resolved = firstPerPebble(changes, (r) => r.to === 'resolved');

    // We promised.
    const { kept, broken } = keptAndBroken(promises, current);
    const keptBefore = keptAndBroken(promisesBefore, before);
    const today = decidedUntil;
    const overdueViews = overdue.map((i) => ({
      ...improvementView(i),
      pebbles: [],
      ...(i.promisedDate ? { daysOverdue: daysFrom(i.promisedDate, today) } : {}),
    }));

    // It came back.
    const cameBack = this.cameBack(reopenedRows, duplicates, firstResolved, fixing, byNumber);
    const cameBackBefore =
      firstPerPebble(changesBefore, (r) => r.from === 'resolved').length +
      this.reportedAgain(duplicatesBefore, firstResolvedBefore).length;
    const stages = this.stageTrends(shippedInChart, byNumber, reported, periods, complete, catalog);

    // The chart: the last CHART_PERIODS periods, stages with any friction in them.
    const chartCounts = reported.slice(span - CHART_PERIODS).map((g) => countByStage(g, catalog));
    const chartRefs = catalog.order(chartCounts.flatMap((c) => [...c.keys()]));

    return {
      period,
      previous: { start: previous.start, end: previous.end, key: previous.key },
      youSaid: {
        total: total(reported[span - 1]!),
        previous: total(reported[span - 2]!),
        byStage,
        byStakeholder,
        mostSupported: mostSupported
          .filter((p) => p.supporterCount > 0)
          .slice(0, 3)
          .map((p) => ({
            number: p.number,
            title: p.title,
            stakeholder: p.stakeholder,
            stage: catalog.nameOf(catalog.refOf(p.journey, p.stage)),
            supporterCount: p.supporterCount,
          })),
      },
      teamSport: {
        reporters: participation.reporters,
        anonymousReporters: participation.anonymousReporters,
        supporters: participation.supporters,
        voters: voters.count,
        votersLowerBound: voters.lowerBound,
        ballots: closedVotes.reduce((s, v) => s + v.cast, 0),
        people: Math.max(people.size, voters.count),
        previousPeople: Math.max(peopleBefore.size, votersBefore.count),
        teams: participation.teams.length,
        councilTurnout: ratio(
          closedVotes.reduce((s, v) => s + v.cast, 0),
          closedVotes.reduce((s, v) => s + v.eligible, 0),
        ),
      },
      weDecided: {
        approved: decisions.filter((r) => r.to === 'approved').length,
        declined: decisions.filter((r) => r.to === 'declined').length,
        votes: digestVotes,
        votesTotal: votes.length,
        reportToDecision: durationStat(waited(decisions)),
      },
      weDid: {
        improvements: shipped.slice(0, LIST_LIMIT),
        improvementsTotal: shipped.length,
        previous: doneBefore.length,
        pebblesResolved: resolved.length,
        fixedIt: ratio(answers.yes, answers.yes + answers.no),
        hoursPerWeekRecovered: round1(shipped.reduce((s, i) => s + i.hoursPerWeek, 0)),
        decisionToDone: durationStat(
          done.map((i) => (i.doneAt ? i.doneAt.getTime() - i.createdAt.getTime() : -1)),
        ),
        loopClosed: ratio(notices.sent, notices.sent + notices.pending + notices.failed),
      },
      wePromised: {
        kept: ratio(kept, kept + broken),
        broken,
        previousKept: ratio(keptBefore.kept, keptBefore.kept + keptBefore.broken),
        dueNext: dueNext.slice(0, LIST_LIMIT).map((i) => ({ ...improvementView(i), pebbles: [] })),
        dueNextTotal: dueNext.length,
        overdue: overdueViews.slice(0, LIST_LIMIT),
        overdueTotal: overdueViews.length,
      },
      cameBack: {
        items: cameBack.slice(0, LIST_LIMIT),
        total: cameBack.length,
        previous: cameBackBefore,
        stages,
      },
      backlog: {
        open: openByAge.reduce((s, n) => s + n, 0),
        buckets: BACKLOG_BUCKETS.map((b, i) => ({ label: b.label, count: openByAge[i] ?? 0 })),
      },
      waits: {
        acknowledgement: durationStat(waited(firstPerPebble(changes, (r) => r.from === 'new'))),
        decision: durationStat(waited(decisions)),
        fix: durationStat(waited(resolved)),
      },
      history: {
        periods: periods
          .slice(span - CHART_PERIODS)
          .map((p) => ({ key: p.key, label: shortLabel(p) })),
        series: chartRefs.map((ref) => {
          const slot = catalog.slotOf(ref);
          return {
            ref,
            name: catalog.nameOf(ref),
            counts: chartCounts.map((c) => c.get(ref) ?? 0),
            ...(slot !== undefined ? { slot } : {}),
          };
        }),
        shipped: periods
          .slice(span - CHART_PERIODS)
          .map(
            (p) =>
              shippedInChart.filter((i) => i.doneAt && i.doneAt >= p.start && i.doneAt < p.end)
                .length,
          ),
      },
    };
  }

  /** Edges of the backlog's age buckets, newest first, down to the epoch. */
  private ageEdges(asOf: Date): Date[] {
    return [
      asOf,
      ...BACKLOG_BUCKETS.map((b) =>
        Number.isFinite(b.days) ? new Date(asOf.getTime() - b.days * DAY_MS) : new Date(0),
      ),
    ];
  }

  /**
   * Distinct voters. Open ballots name their voters; secret ones only say how many voted, so
   * each secret vote proves at least its own count of distinct people (a lower bound).
   */
  private voters(votes: VoteFact[]): { ids: string[]; count: number; lowerBound: boolean } {
    const ids = new Set<string>();
    let largestSecret = 0;
    for (const v of votes) {
      if (v.secret) largestSecret = Math.max(largestSecret, v.cast);
      else for (const id of v.voterIds) ids.add(id);
    }
    return {
      ids: [...ids],
      count: Math.max(ids.size, largestSecret),
      lowerBound: votes.some((v) => v.secret && v.cast > 0),
    };
  }

  private reportedAgain(duplicates: PebbleFact[], resolved: { number: number; at: Date }[]) {
    const firstResolved = new Map(resolved.map((r) => [r.number, r.at]));
    return duplicates.filter((d) => {
      const at = d.duplicateOf ? firstResolved.get(d.duplicateOf) : undefined;
      return at !== undefined && at < d.createdAt;
    });
  }

  private cameBack(
    reopened: StatusChange[],
    duplicates: PebbleFact[],
    resolved: { number: number; at: Date }[],
    fixing: ImprovementFact[],
    byNumber: Map<number, PebbleFact>,
  ): CameBack[] {
    const items: CameBack[] = [];
    for (const row of reopened) {
      // The improvement it came back after: the last one done before it reopened.
      const after = fixing
        .filter((i) => i.pebbleNumbers.includes(row.number) && i.doneAt && i.doneAt <= row.at)
        .sort((a, b) => b.doneAt!.getTime() - a.doneAt!.getTime())[0];
      items.push({
        number: row.number,
        title: byNumber.get(row.number)?.title ?? '(removed)',
        how: 'reopened',
        of: row.number,
        ...(after ? { improvement: after.number } : {}),
      });
    }
    for (const d of this.reportedAgain(duplicates, resolved)) {
      items.push({
        number: d.number,
        title: d.title,
        how: 'reported-again',
        of: d.duplicateOf!,
      });
    }
    return items;
  }

  /**
   * Friction rate of each stage an improvement of the chart's window shipped in: new pebbles a
   * week in the TREND_PERIODS periods before the shipping period, and in the complete periods
   * after it (at most TREND_PERIODS). The latest improvement of a stage speaks for it.
   */
  private stageTrends(
    shipped: ImprovementFact[],
    byNumber: Map<number, PebbleFact>,
    reported: ReportedGroup[][],
    periods: Period[],
    complete: boolean,
    catalog: StageCatalog,
  ): StageTrend[] {
    const latest = new Map<string, ImprovementFact>();
    for (const improvement of shipped) {
      for (const n of improvement.pebbleNumbers) {
        const p = byNumber.get(n);
        if (!p) continue;
        const ref = catalog.refOf(p.journey, p.stage);
        if (ref === UNASSIGNED) continue;
        const seen = latest.get(ref);
        if (!seen || (seen.doneAt ?? 0) < (improvement.doneAt ?? 0)) latest.set(ref, improvement);
      }
    }
    const counts = reported.map((g) => countByStage(g, catalog));
    const lastComplete = complete ? periods.length - 1 : periods.length - 2;
    const trends: StageTrend[] = [];
    for (const [ref, improvement] of latest) {
      const at = improvement.doneAt!;
      const k = periods.findIndex((p) => p.start <= at && at < p.end);
      if (k < TREND_PERIODS) continue;
      const sum = (from: number, to: number) => {
        let s = 0;
        for (let i = from; i <= to; i++) s += counts[i]?.get(ref) ?? 0;
        return s;
      };
      const afterTo = Math.min(k + TREND_PERIODS, lastComplete);
      const afterWeeks = Math.max(0, afterTo - k);
      trends.push({
        ref,
        name: catalog.nameOf(ref),
        improvement: improvement.number,
        shippedPeriod: periods[k]!.key,
        beforePerWeek: round1(sum(k - TREND_PERIODS, k - 1) / TREND_PERIODS),
        beforeWeeks: TREND_PERIODS,
        ...(afterWeeks > 0 ? { afterPerWeek: round1(sum(k + 1, afterTo) / afterWeeks) } : {}),
        afterWeeks,
      });
    }
    return trends
      .sort((a, b) => b.shippedPeriod.localeCompare(a.shippedPeriod) || a.ref.localeCompare(b.ref))
      .slice(0, LIST_LIMIT);
  }
}
