import { z } from 'zod';
import { FrequencySchema, PebbleStatusSchema, StakeholderSchema } from '../pebbles/pebble.model.js';
import {
  ImprovementStatusSchema,
  PromiseOutcomeSchema,
} from '../improvements/improvement.model.js';

/**
 * The raw facts the store aggregates for the digest. Adapters compute them (MongoDB with
 * aggregation pipelines, the embedded store in process) and parse them with these schemas on
 * the way out, like any stored document; core/metrics turns them into the digest's numbers.
 */

/** A half-open interval of instants: `from` included, `to` excluded. */
export interface TimeRange {
  from: Date;
  to: Date;
}

/** A half-open interval of calendar dates (`2026-03-02`): `from` included, `to` excluded. */
export interface DateRange {
  from: string;
  to: string;
}

/** Pebbles reported in a range, per journey stage and stakeholder. */
export const ReportedGroupSchema = z.object({
  journey: z.string().optional(),
  stage: z.string().optional(),
  stakeholder: StakeholderSchema,
  count: z.number().int().min(0),
});
export type ReportedGroup = z.infer<typeof ReportedGroupSchema>;

/** A pebble as the digest shows it: never its reporter. */
export const PebbleFactSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  status: PebbleStatusSchema,
  stakeholder: StakeholderSchema,
  journey: z.string().optional(),
  stage: z.string().optional(),
  severity: z.number().int().optional(),
  frequency: FrequencySchema.optional(),
  minutesLost: z.number().int().min(0).optional(),
  supporterCount: z.number().int().min(0),
  duplicateOf: z.number().int().positive().optional(),
  createdAt: z.coerce.date(),
});
export type PebbleFact = z.infer<typeof PebbleFactSchema>;

/**
 * Who took part in a range: reporters of pebbles reported then, people who added a +1 then.
 * Ids stay inside core (to count distinct people across roles); views only ever get counts.
 */
export const ParticipationSchema = z.object({
  reporters: z.number().int().min(0),
  /** Reporters whose every pebble of the range is anonymous. */
  anonymousReporters: z.number().int().min(0),
  supporters: z.number().int().min(0),
  /** Distinct people who reported or supported. */
  people: z.array(z.string()),
  /** Distinct teams of those people. */
  teams: z.array(z.string()),
});
export type Participation = z.infer<typeof ParticipationSchema>;

/** One status change of a pebble (an entry of its history). */
export const StatusChangeSchema = z.object({
  number: z.number().int().positive(),
  createdAt: z.coerce.date(),
  at: z.coerce.date(),
  from: z.string().optional(),
  to: z.string(),
  note: z.string().optional(),
});
export type StatusChange = z.infer<typeof StatusChangeSchema>;

/** An improvement as the digest shows it. */
export const ImprovementFactSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  status: ImprovementStatusSchema,
  pebbleNumbers: z.array(z.number().int().positive()),
  ownerId: z.string().optional(),
  ownerName: z.string().optional(),
  promisedDate: z.string().optional(),
  createdAt: z.coerce.date(),
  doneAt: z.coerce.date().optional(),
  fixedYes: z.number().int().min(0),
  fixedNo: z.number().int().min(0),
});
export type ImprovementFact = z.infer<typeof ImprovementFactSchema>;

/** One promise of the ledger (closed or still open). */
export const PromiseFactSchema = z.object({
  number: z.number().int().positive(),
  promisedDate: z.string(),
  outcome: PromiseOutcomeSchema,
  ownerId: z.string(),
  /** When it was kept, broken or withdrawn (absent while open). */
  closedAt: z.coerce.date().optional(),
});
export type PromiseFact = z.infer<typeof PromiseFactSchema>;

/** Answers to "Did this fix it for you?" given in a range. */
export const FixAnswersSchema = z.object({
  yes: z.number().int().min(0),
  no: z.number().int().min(0),
});
export type FixAnswers = z.infer<typeof FixAnswersSchema>;

/** The outbox kind of the notices that close the loop with reporters and supporters. */
export const LOOP_NOTICE_KIND = 'improvement.close-the-loop';

/** Close-the-loop notices (to reporters and supporters of shipped fixes) by delivery status. */
export const LoopNoticesSchema = z.object({
  sent: z.number().int().min(0),
  pending: z.number().int().min(0),
  failed: z.number().int().min(0),
});
export type LoopNotices = z.infer<typeof LoopNoticesSchema>;

/** A council vote that closed or was decided in a range. */
export const VoteFactSchema = z.object({
  number: z.number().int().positive(),
  pebbleNumbers: z.array(z.number().int().positive()),
  status: z.string(),
  openedAt: z.coerce.date(),
  closedAt: z.coerce.date().optional(),
  outcome: z.string().optional(),
  decision: z.object({ option: z.string(), by: z.string(), at: z.coerce.date() }).optional(),
  /** Ballots for an option (recusals excluded). */
  cast: z.number().int().min(0),
  /** Members asked, less those who recused. */
  eligible: z.number().int().min(0),
  secret: z.boolean(),
  /** Open ballots only: who voted. */
  voterIds: z.array(z.string()),
});
export type VoteFact = z.infer<typeof VoteFactSchema>;
