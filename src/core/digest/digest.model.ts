import { z } from 'zod';
import { StakeholderSchema } from '../pebbles/pebble.model.js';

/** Median and 90th percentile of a set of durations, in hours. */
export const DurationStatSchema = z.object({
  count: z.number().int().min(0),
  medianHours: z.number().min(0).optional(),
  p90Hours: z.number().min(0).optional(),
});
export type DurationStat = z.infer<typeof DurationStatSchema>;

/** A ratio with what it is made of; `rate` is absent when nothing was counted. */
export const RatioSchema = z.object({
  part: z.number().int().min(0),
  whole: z.number().int().min(0),
  rate: z.number().min(0).max(1).optional(),
});
export type Ratio = z.infer<typeof RatioSchema>;

export const PeriodSchema = z.object({
  /** `2026-W10`: the ISO week of the period's start in the workspace time zone. */
  key: z.string(),
  start: z.coerce.date(),
  end: z.coerce.date(),
  /** Counted up to here: the end, or now for a preview of the running period. */
  asOf: z.coerce.date(),
  timezone: z.string(),
  /** Local calendar dates: first day, and the day after the last one. */
  startDate: z.string(),
  endDate: z.string(),
});
export type Period = z.infer<typeof PeriodSchema>;

const StageRef = z.object({
  /** `journey/stage`, or `unassigned` for pebbles without a stage yet. */
  ref: z.string(),
  name: z.string(),
});

export const StageCountSchema = StageRef.extend({
  count: z.number().int().min(0),
  previous: z.number().int().min(0),
});
export type StageCount = z.infer<typeof StageCountSchema>;

export const DigestPebbleSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  stakeholder: StakeholderSchema.optional(),
  stage: z.string().optional(),
  supporterCount: z.number().int().min(0).optional(),
});
export type DigestPebble = z.infer<typeof DigestPebbleSchema>;

export const DigestImprovementSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  /** Display name, else the user id: owners are accountable, so they are named. */
  owner: z.string().optional(),
  /** The owner's user id, so a view can mention them (absent from older snapshots). */
  ownerId: z.string().optional(),
  promisedDate: z.string().optional(),
  daysOverdue: z.number().int().optional(),
  pebbles: z.array(DigestPebbleSchema).default([]),
  fixedYes: z.number().int().min(0).default(0),
  fixedNo: z.number().int().min(0).default(0),
  hoursPerWeek: z.number().min(0).default(0),
});
export type DigestImprovement = z.infer<typeof DigestImprovementSchema>;

export const DigestVoteSchema = z.object({
  number: z.number().int().positive(),
  pebbles: z.array(DigestPebbleSchema),
  /** What was decided (`fix-now`, …) or why nothing was (`no-quorum`, `tie`, …). */
  outcome: z.string(),
  by: z.string().optional(),
  cast: z.number().int().min(0),
  eligible: z.number().int().min(0),
});
export type DigestVote = z.infer<typeof DigestVoteSchema>;

export const StageTrendSchema = StageRef.extend({
  improvement: z.number().int().positive(),
  shippedPeriod: z.string(),
  /** New pebbles a week in the stage over the periods before the shipping period. */
  beforePerWeek: z.number().min(0),
  beforeWeeks: z.number().int().min(0),
  /** Same after it; absent while no full period has passed since it shipped. */
  afterPerWeek: z.number().min(0).optional(),
  afterWeeks: z.number().int().min(0),
});
export type StageTrend = z.infer<typeof StageTrendSchema>;

export const CameBackSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  how: z.enum(['reopened', 'reported-again']),
  /** The resolved pebble it came back as (reported again) or itself (reopened). */
  of: z.number().int().positive(),
  improvement: z.number().int().positive().optional(),
});
export type CameBack = z.infer<typeof CameBackSchema>;

/**
 * Every number of one digest, computed from the store for a period with the previous period
 * for trends. It is what a snapshot keeps, what the narrative is written from, and what the
 * views render; it never holds who reported a pebble.
 */
export const DigestMetricsSchema = z.object({
  period: PeriodSchema,
  previous: z.object({ start: z.coerce.date(), end: z.coerce.date(), key: z.string() }),
  youSaid: z.object({
    total: z.number().int().min(0),
    previous: z.number().int().min(0),
    byStage: z.array(StageCountSchema),
    byStakeholder: z.array(
      z.object({
        stakeholder: StakeholderSchema,
        count: z.number().int().min(0),
        previous: z.number().int().min(0),
      }),
    ),
    mostSupported: z.array(DigestPebbleSchema),
  }),
  teamSport: z.object({
    reporters: z.number().int().min(0),
    anonymousReporters: z.number().int().min(0),
    supporters: z.number().int().min(0),
    /** Distinct voters where ballots are open; with secret ballots a lower bound. */
    voters: z.number().int().min(0),
    votersLowerBound: z.boolean(),
    ballots: z.number().int().min(0),
    /** Distinct people who reported, supported or voted. */
    people: z.number().int().min(0),
    previousPeople: z.number().int().min(0),
    teams: z.number().int().min(0),
    /** Ballots cast / members asked (less recusals), over the votes closed in the period. */
    councilTurnout: RatioSchema,
  }),
  weDecided: z.object({
    approved: z.number().int().min(0),
    declined: z.number().int().min(0),
    votes: z.array(DigestVoteSchema),
    votesTotal: z.number().int().min(0),
    reportToDecision: DurationStatSchema,
  }),
  weDid: z.object({
    improvements: z.array(DigestImprovementSchema),
    improvementsTotal: z.number().int().min(0),
    /** Improvements shipped the period before (absent from snapshots older than the field). */
    previous: z.number().int().min(0).default(0),
    pebblesResolved: z.number().int().min(0),
    /** "Did this fix it for you?" answered yes / answered, in the period. */
    fixedIt: RatioSchema,
    /** Friction cost removed by the improvements shipped in the period. */
    hoursPerWeekRecovered: z.number().min(0),
    decisionToDone: DurationStatSchema,
    /** Close-the-loop notices delivered / queued in the period. */
    loopClosed: RatioSchema,
  }),
  wePromised: z.object({
    /**
     * Promises decided in the period: kept in it (a promise kept early counts the week it was
     * kept), or broken or still open with their date in it.
     */
    kept: RatioSchema,
    broken: z.number().int().min(0),
    /** The same ratio for the period before, for the trend. */
    previousKept: RatioSchema.default({ part: 0, whole: 0 }),
    dueNext: z.array(DigestImprovementSchema),
    dueNextTotal: z.number().int().min(0),
    overdue: z.array(DigestImprovementSchema),
    overdueTotal: z.number().int().min(0),
  }),
  cameBack: z.object({
    items: z.array(CameBackSchema),
    total: z.number().int().min(0),
    previous: z.number().int().min(0),
    stages: z.array(StageTrendSchema),
  }),
  backlog: z.object({
    open: z.number().int().min(0),
    buckets: z.array(z.object({ label: z.string(), count: z.number().int().min(0) })),
  }),
  /** How long reporters waited, for what happened in the period. */
  waits: z.object({
    acknowledgement: DurationStatSchema,
    decision: DurationStatSchema,
    fix: DurationStatSchema,
  }),
  /** Pebbles reported per stage over the last periods, oldest first (the chart). */
  history: z.object({
    periods: z.array(z.object({ key: z.string(), label: z.string() })),
    series: z.array(
      StageRef.extend({
        counts: z.array(z.number().int().min(0)),
        /** Catalog position of the stage (its colour in every chart); absent: no stage yet. */
        slot: z.number().int().min(0).optional(),
      }),
    ),
    /** Improvements shipped in each period (markers on the chart); empty in older snapshots. */
    shipped: z.array(z.number().int().min(0)).default([]),
  }),
});
export type DigestMetrics = z.infer<typeof DigestMetricsSchema>;

/** Where a digest went. */
export const DigestRecipientSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('channel'), channelId: z.string().min(1) }),
  z.object({ kind: z.literal('dm'), userId: z.string().min(1) }),
]);

/** A named group of the period's pebbles ("checkout loops on mobile", 7). */
export const DigestThemeSchema = z.object({
  name: z.string().min(1).max(80),
  count: z.number().int().min(0),
});
export type DigestTheme = z.infer<typeof DigestThemeSchema>;

/**
 * One digest per workspace per period: the numbers, the narrative, and where it was queued.
 * Written once (insert-if-absent on `workspaceId:period`), so every replica sends the same one.
 */
export const DigestSnapshotSchema = z.object({
  workspaceId: z.string().min(1),
  period: z.string().min(1),
  metrics: DigestMetricsSchema,
  narrative: z.string(),
  /** `ai` or `numbers`: who wrote the narrative. */
  narrator: z.string(),
  /** At most five themes, named by AI; empty when AI is off or failed (and in older snapshots). */
  themes: z.array(DigestThemeSchema).max(5).optional(),
  computedAt: z.coerce.date(),
  computeMs: z.number().min(0),
  recipients: z.array(DigestRecipientSchema).default([]),
  /** Set once every message of the digest is in the outbox. */
  queuedAt: z.coerce.date().optional(),
});
export type DigestSnapshot = z.infer<typeof DigestSnapshotSchema>;

/** The idempotency key of a digest: one per workspace per period. */
export function digestKey(workspaceId: string, period: string): string {
  return `digest:${workspaceId}:${period}`;
}
