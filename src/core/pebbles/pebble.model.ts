import { z } from 'zod';
import { ActorSchema, HistoryEntrySchema } from '../shared/actor.js';
import { typedText } from '../shared/text.js';

// NOTE: Slack section text allows 3,000 characters and a plain-text title 150; these limits keep
// every rendered pebble within them with room for labels.
export const TITLE_MAX = 150;
export const DESCRIPTION_MAX = 2_500;

export const StakeholderSchema = z.enum(['customer', 'employee', 'partner']);
export type Stakeholder = z.infer<typeof StakeholderSchema>;

export const STAKEHOLDER_LABELS: Record<Stakeholder, string> = {
  customer: 'Customer (CX)',
  employee: 'Employee (EX)',
  partner: 'Partner (PX)',
};

/** 1 annoyance … 4 churn or safety risk. */
export const SeveritySchema = z.number().int().min(1).max(4);
export type Severity = z.infer<typeof SeveritySchema>;
export const SEVERITY_LABELS: Record<number, string> = {
  1: '1 · Annoyance',
  2: '2 · Slows people down',
  3: '3 · Blocks a task',
  4: '4 · Churn or safety risk',
};

export const FrequencySchema = z.enum(['once', 'monthly', 'weekly', 'daily', 'hourly']);
export type Frequency = z.infer<typeof FrequencySchema>;

export const SourceKindSchema = z.enum([
  'slash',
  'shortcut',
  'reaction',
  'mention',
  'modal',
  'teams-action',
  'console',
]);
export type SourceKind = z.infer<typeof SourceKindSchema>;

export const PebbleSourceSchema = z.object({
  kind: SourceKindSchema,
  channelId: z.string().optional(),
  messageTs: z.string().optional(),
  authorId: z.string().optional(),
  permalink: z.string().url().optional(),
});
export type PebbleSource = z.infer<typeof PebbleSourceSchema>;

export const PebbleStatusSchema = z.enum([
  'new',
  'triaged',
  'in-council',
  'approved',
  'in-progress',
  'resolved',
  'declined',
  'duplicate',
]);
export type PebbleStatus = z.infer<typeof PebbleStatusSchema>;

export const OPEN_STATUSES: readonly PebbleStatus[] = [
  'new',
  'triaged',
  'in-council',
  'approved',
  'in-progress',
];

export const SupporterSchema = ActorSchema.extend({ at: z.coerce.date() });
export type Supporter = z.infer<typeof SupporterSchema>;

/** Fields a reporter (or triage) may set on a pebble. */
export const PebbleDetailsSchema = z.object({
  title: typedText(z.string().trim().min(1, 'A pebble needs a title').max(TITLE_MAX)),
  description: typedText(z.string().trim().max(DESCRIPTION_MAX)).default(''),
  stakeholder: StakeholderSchema.default('customer'),
  journey: z.string().max(64).optional(),
  stage: z.string().max(64).optional(),
  severity: SeveritySchema.optional(),
  segment: typedText(z.string().trim().max(100)).optional(),
  frequency: FrequencySchema.optional(),
  minutesLost: z.number().int().min(0).max(100_000).optional(),
  anonymous: z.boolean().default(false),
});
export type PebbleDetails = z.infer<typeof PebbleDetailsSchema>;

/**
 * An AI triage suggestion waiting on a person: shown on the triage card, applied only when a
 * triager accepts it (the model is then named in history). Journey and stage were checked
 * against the catalog when it was made.
 */
export const PebbleSuggestionSchema = z.object({
  title: z.string().max(TITLE_MAX),
  stakeholder: StakeholderSchema,
  journey: z.string().max(64).optional(),
  stage: z.string().max(64).optional(),
  severity: SeveritySchema,
  summary: z.string().max(300),
  model: z.string().max(200),
  at: z.coerce.date(),
});
export type PebbleSuggestion = z.infer<typeof PebbleSuggestionSchema>;

/** A resolved pebble a new one looks like ("it came back?"); triage confirms it as a duplicate. */
export const RecurrenceFlagSchema = z.object({
  of: z.number().int().positive(),
  resolvedAt: z.coerce.date(),
});
export type RecurrenceFlag = z.infer<typeof RecurrenceFlagSchema>;

export const PebbleSchema = PebbleDetailsSchema.extend({
  id: z.string().min(1),
  workspaceId: z.string().min(1),
  number: z.number().int().positive(),
  reporter: ActorSchema,
  source: PebbleSourceSchema,
  status: PebbleStatusSchema,
  /** Derived by the store from one record per +1 (never a stored counter), oldest first. */
  supporters: z.array(SupporterSchema).default([]),
  supporterCount: z.number().int().min(0).default(0),
  duplicateOf: z.number().int().positive().optional(),
  declineReason: z.string().optional(),
  /** Where the pebble's triage card was posted, so it can be updated in place. */
  triageCard: z.object({ channelId: z.string().min(1), ts: z.string().min(1) }).optional(),
  suggestion: PebbleSuggestionSchema.optional(),
  recurrence: RecurrenceFlagSchema.optional(),
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
  history: z.array(HistoryEntrySchema).default([]),
});
export type Pebble = z.infer<typeof PebbleSchema>;

export function shortId(number: number): string {
  return `P-${number}`;
}

/** Parses `P-12`, `p12` or `12` into 12; undefined when it is not a pebble reference. */
export function parsePebbleRef(ref: string): number | undefined {
  const match = /^\s*(?:p-?)?(\d{1,9})\s*$/i.exec(ref);
  if (!match?.[1]) return undefined;
  const n = Number(match[1]);
  return n > 0 ? n : undefined;
}

export function isOpen(status: PebbleStatus): boolean {
  return OPEN_STATUSES.includes(status);
}
