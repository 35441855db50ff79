import { z } from 'zod';
import { HistoryEntrySchema } from '../shared/actor.js';

export const ImprovementStatusSchema = z.enum([
  'planned',
  'on-track',
  'at-risk',
  'blocked',
  'done',
  'dropped',
]);
export type ImprovementStatus = z.infer<typeof ImprovementStatusSchema>;

export const ACTIVE_IMPROVEMENT_STATUSES: readonly ImprovementStatus[] = [
  'planned',
  'on-track',
  'at-risk',
  'blocked',
];

/** Statuses an owner reports in a check-in (done and dropped close an improvement instead). */
export const CHECK_IN_STATUSES = ['on-track', 'at-risk', 'blocked'] as const;
export type CheckInStatus = (typeof CHECK_IN_STATUSES)[number];

export const IMPROVEMENT_STATUS_LABELS: Record<ImprovementStatus, string> = {
  planned: 'Planned',
  'on-track': 'On track',
  'at-risk': 'At risk',
  blocked: 'Blocked',
  done: 'Done',
  dropped: 'Dropped',
};

export function isActiveImprovement(status: ImprovementStatus): boolean {
  return ACTIVE_IMPROVEMENT_STATUSES.includes(status);
}

/** A calendar date without a time (`2026-12-15`); it is read in the owner's time zone. */
export const IsoDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-12-15')
  .refine((v) => {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }, 'not a real calendar date');
export type IsoDate = z.infer<typeof IsoDateSchema>;

export const PromiseOutcomeSchema = z.enum(['open', 'kept', 'broken', 'withdrawn']);
export type PromiseOutcome = z.infer<typeof PromiseOutcomeSchema>;

/**
 * One promise in the ledger: a date an owner committed to, and what became of it.
 * kept: done by the date; broken: the date was moved, or it was done or dropped after it;
 * withdrawn: the owner was replaced, or it was dropped before the date; open: still running.
 */
export const PromiseSchema = z.object({
  promisedDate: IsoDateSchema,
  ownerId: z.string(),
  madeAt: z.coerce.date(),
  outcome: PromiseOutcomeSchema.default('open'),
  closedAt: z.coerce.date().optional(),
  reason: z.string().max(500).optional(),
});
export type PromiseEntry = z.infer<typeof PromiseSchema>;

export const CheckInSchema = z.object({
  at: z.coerce.date(),
  by: z.string(),
  status: ImprovementStatusSchema,
  note: z.string().max(2000).optional(),
});
export type CheckIn = z.infer<typeof CheckInSchema>;

/** A reporter's or supporter's answer to "Did this fix it for you?". */
export const FixFeedbackSchema = z.object({
  userId: z.string(),
  answer: z.enum(['yes', 'no']),
  at: z.coerce.date(),
});
export type FixFeedback = z.infer<typeof FixFeedbackSchema>;

export const TITLE_MAX = 150;
/** Pebbles one improvement may fix; a bigger bundle is a programme, not an improvement. */
export const PEBBLES_PER_IMPROVEMENT_MAX = 20;

/**
 * A journey improvement: the fix the council approved for one or more pebbles, owned by
 * someone who promised a date. Short id per workspace: I-1, I-2, …
 *
 * The promise ledger is `promise` (the open promise, if any) plus `promises` (every closed
 * promise, oldest first). Each change of the ledger is one atomic update that moves the open
 * promise into `promises` with its outcome, so a moved date is recorded as a broken promise
 * and a new one, never overwritten.
 */
export const ImprovementSchema = z.object({
  id: z.string().min(1),
  workspaceId: z.string().min(1),
  number: z.number().int().positive(),
  title: z.string().min(1).max(TITLE_MAX),
  pebbleNumbers: z.array(z.number().int().positive()).min(1).max(PEBBLES_PER_IMPROVEMENT_MAX),
  /** The council vote that approved it, when there was one. */
  voteNumber: z.number().int().positive().optional(),
  status: ImprovementStatusSchema,
  ownerId: z.string().optional(),
  /** Owner asked, not yet accepted. */
  ownerPending: z.boolean().default(false),
  /** The owner's display name when the platform told us (views never show raw user ids). */
  ownerName: z.string().max(255).optional(),
  /** The owner's IANA time zone (Slack users.info `tz`); nudges follow it. */
  ownerTimezone: z.string().max(64).optional(),
  assignedBy: z.string().optional(),
  assignedAt: z.coerce.date().optional(),
  /** The date asked of a pending owner; it becomes a promise when accepted. */
  proposedDate: IsoDateSchema.optional(),
  /** The date of the open promise (kept beside it so the store can query it); the last one once closed. */
  promisedDate: IsoDateSchema.optional(),
  promise: PromiseSchema.optional(),
  promises: z.array(PromiseSchema).default([]),
  checkIns: z.array(CheckInSchema).default([]),
  lastCheckInAt: z.coerce.date().optional(),
  nudgesSent: z.number().int().min(0).default(0),
  lastNudgedAt: z.coerce.date().optional(),
  /** The owner's local date of the last nudge (at most one a day). */
  lastNudgedOn: IsoDateSchema.optional(),
  snoozedUntil: z.coerce.date().optional(),
  /** Highest escalation level already sent to the sponsor (0 = none). */
  escalationLevel: z.number().int().min(0).default(0),
  escalatedAt: z.coerce.date().optional(),
  blockedSince: z.coerce.date().optional(),
  doneAt: z.coerce.date().optional(),
  doneBy: z.string().optional(),
  droppedAt: z.coerce.date().optional(),
  dropReason: z.string().max(500).optional(),
  feedback: z.array(FixFeedbackSchema).default([]),
  /** Linked pebbles reopened by a "Not really": fixed friction that came back. */
  recurrences: z.number().int().min(0).default(0),
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
  history: z.array(HistoryEntrySchema).default([]),
});
export type Improvement = z.infer<typeof ImprovementSchema>;

export function improvementShortId(number: number): string {
  return `I-${number}`;
}

/** Parses `I-12`, `i12` or `12` into 12; undefined when it is not an improvement reference. */
export function parseImprovementRef(ref: string): number | undefined {
  const match = /^\s*(?:i-?)?(\d{1,9})\s*$/i.exec(ref);
  if (!match?.[1]) return undefined;
  const n = Number(match[1]);
  return n > 0 ? n : undefined;
}

/** Every promise made for this improvement, oldest first, the open one last. */
export function promiseLedger(improvement: Improvement): PromiseEntry[] {
  return improvement.promise
    ? [...improvement.promises, improvement.promise]
    : improvement.promises;
}
