import type {
  DateRange,
  FixAnswers,
  ImprovementFact,
  LoopNotices,
  Participation,
  PebbleFact,
  PromiseFact,
  ReportedGroup,
  StatusChange,
  TimeRange,
  VoteFact,
} from '../metrics/metric-facts.js';

/**
 * The aggregations behind the weekly digest. `open` gives a read view of one workspace for one
 * digest: the embedded adapter indexes its in-memory documents once for it, MongoDB queries
 * the server for each question.
 */
export interface MetricsRepository {
  open(workspaceId: string): Promise<WorkspaceMetrics>;
}

/**
 * The questions a digest asks of one workspace, in the domain's words. The MongoDB adapter runs
 * them as aggregation pipelines and queries (restricted to what FerretDB 1.24 implements:
 * $match, $unwind, $group with $sum, $project by inclusion, $sort, $limit) on indexes made for
 * them; the embedded adapter computes them in process. Ranges are half-open: `from` in, `to` out.
 */
export interface WorkspaceMetrics {
  /** Pebbles reported in each range, grouped by journey, stage and stakeholder (same order). */
  reported(ranges: TimeRange[]): Promise<ReportedGroup[][]>;
  /** Pebbles reported in a range with the most supporters (then severity, then oldest). */
  mostSupported(range: TimeRange, limit: number): Promise<PebbleFact[]>;
  /** Reporters (of pebbles reported in the range) and supporters (who added a +1 in it). */
  participation(range: TimeRange): Promise<Participation>;
  /** Every status change of any pebble made in the range, oldest first. */
  statusChanges(range: TimeRange): Promise<StatusChange[]>;
  /** Open pebbles at `at`, counted per age bucket: reported in [edges[i+1], edges[i]). */
  openByAge(edges: Date[]): Promise<number[]>;
  /** Pebbles by number (those that exist). */
  pebbles(numbers: number[]): Promise<PebbleFact[]>;
  /** Pebbles reported in the range that were marked duplicates of another. */
  duplicatesReported(range: TimeRange): Promise<PebbleFact[]>;
  /** When each of these pebbles was first resolved, if before `before` (absent: not by then). */
  resolvedAt(numbers: number[], before: Date): Promise<{ number: number; at: Date }[]>;
  /** Improvements marked done in the range, oldest first. */
  improvementsDone(range: TimeRange): Promise<ImprovementFact[]>;
  /** Improvements that fix any of these pebbles. */
  improvementsFixing(pebbleNumbers: number[]): Promise<ImprovementFact[]>;
  /** Active improvements whose open promise falls in the date range, soonest first. */
  activeDue(dates: DateRange): Promise<ImprovementFact[]>;
  /**
   * Every promise of the ledger (closed or open) dated in the date range, and every promise
   * kept (closed as kept) in the time range whatever its date: a promise kept early is decided
   * the day it was kept.
   */
  promisesDecided(dates: DateRange, kept: TimeRange): Promise<PromiseFact[]>;
  /** Answers to "Did this fix it for you?" given in the range. */
  fixAnswers(range: TimeRange): Promise<FixAnswers>;
  /** Close-the-loop notices queued in the range, by delivery status. */
  loopNotices(range: TimeRange): Promise<LoopNotices>;
  /** Council votes closed or decided in the range. */
  votes(range: TimeRange): Promise<VoteFact[]>;
}
