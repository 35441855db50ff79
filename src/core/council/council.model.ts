import { z } from 'zod';
import { HistoryEntrySchema } from '../shared/actor.js';
import { typedText } from '../shared/text.js';

/** What a council member can choose on a proposal. */
export const VOTE_OPTIONS = ['fix-now', 'next-cycle', 'not-now', 'need-info'] as const;
export const VoteOptionSchema = z.enum(VOTE_OPTIONS);
export type VoteOption = z.infer<typeof VoteOptionSchema>;

export const OPTION_LABELS: Record<VoteOption, string> = {
  'fix-now': 'Fix now',
  'next-cycle': 'Next cycle',
  'not-now': 'Not now',
  'need-info': 'Need info',
};

/** A ballot is one option, or a recusal (the member does not count toward quorum). */
export const BallotChoiceSchema = z.enum([...VOTE_OPTIONS, 'recuse']);
export type BallotChoice = z.infer<typeof BallotChoiceSchema>;

/** Proposals hold a few related pebbles; more would not fit a vote message anyway. */
export const PEBBLES_PER_VOTE_MAX = 10;
/** A council is a handful of people; the cap keeps the workspace document small. */
export const COUNCIL_MEMBERS_MAX = 2_000;

export const UserIdSchema = z.string().trim().min(1).max(64);

export const CouncilMemberSchema = z.object({
  userId: UserIdSchema,
  /** Display name when the platform told us; views fall back to the id. */
  name: typedText(z.string().max(255)).optional(),
  /** The member's function (Product, Support, Sales…), for the balance rule. */
  function: typedText(z.string().trim().min(1).max(40)).optional(),
});
export type CouncilMember = z.infer<typeof CouncilMemberSchema>;

/**
 * The council of a workspace (inside its settings, so every change lands in the workspace's
 * history). The executive sponsor is the workspace's `sponsor` setting, shared with the
 * escalations of overdue improvements.
 */
export const CouncilSettingsSchema = z.object({
  members: z.array(CouncilMemberSchema).max(COUNCIL_MEMBERS_MAX).default([]),
  /** A platform user group (Slack subteam) the member list is kept in sync with. */
  userGroup: z
    .object({ id: z.string().min(1).max(64), handle: z.string().max(100).optional() })
    .optional(),
  /** Where proposals are posted and voted on. */
  channel: z.string().min(1).max(64).optional(),
  /** Voting window in working days (Monday to Friday in the workspace's time zone). */
  votingDays: z.number().int().min(1).max(20).default(3),
  /** Ballots needed; absent means half of the members who did not recuse, rounded up. */
  quorum: z.number().int().min(1).max(COUNCIL_MEMBERS_MAX).optional(),
  /**
   * Share of ballots cast an option needs, in percent: 50 is a simple majority (more than
   * half); below 100 an option needs more than this share, 100 means every ballot.
   */
  threshold: z.number().int().min(50).max(100).default(50),
  /** Ballots from at least this many distinct functions (absent: no balance rule). */
  balance: z.number().int().min(2).max(50).optional(),
  /** Secret ballots: nobody, admins included, can see who chose what. */
  secret: z.boolean().default(true),
  /** Active improvements the council takes on at once. */
  wipLimit: z.number().int().min(1).max(100).default(5),
  /** When "Next cycle" comes back: the next Monday, or the first working day of next month. */
  cycle: z.enum(['week', 'month']).default('month'),
});
export type CouncilSettings = z.infer<typeof CouncilSettingsSchema>;

export function defaultCouncilSettings(): CouncilSettings {
  return CouncilSettingsSchema.parse({});
}

/** The rules a vote was opened under (a later settings change does not move the goalposts). */
export const VoteRulesSchema = z.object({
  quorum: z.number().int().min(1).optional(),
  threshold: z.number().int().min(50).max(100),
  balance: z.number().int().min(2).optional(),
  secret: z.boolean(),
  wipLimit: z.number().int().min(1),
});
export type VoteRules = z.infer<typeof VoteRulesSchema>;

export const VoteOutcomeSchema = z.enum([
  'decided',
  'tie',
  'no-quorum',
  'no-balance',
  'no-majority',
]);
export type VoteOutcome = z.infer<typeof VoteOutcomeSchema>;

export const TallySchema = z.object({
  'fix-now': z.number().int().min(0),
  'next-cycle': z.number().int().min(0),
  'not-now': z.number().int().min(0),
  'need-info': z.number().int().min(0),
});
export type Tally = z.infer<typeof TallySchema>;

/** How a vote came out, computed once at close from the ballots. */
export const VoteResultSchema = z.object({
  tally: TallySchema,
  /** Ballots for an option (recusals excluded). */
  cast: z.number().int().min(0),
  recused: z.number().int().min(0),
  electorate: z.number().int().min(0),
  quorumRequired: z.number().int().min(0),
  quorumMet: z.boolean(),
  functionsVoted: z.number().int().min(0),
  balanceRequired: z.number().int().min(0).optional(),
  balanceMet: z.boolean(),
  thresholdMet: z.boolean(),
  outcome: VoteOutcomeSchema,
  winner: VoteOptionSchema.optional(),
  /** Options sharing the most ballots when nothing met the threshold. */
  leading: z.array(VoteOptionSchema).default([]),
  /** Open ballots only: who chose what, shown after close. Never set for secret ballots. */
  names: z
    .partialRecord(
      BallotChoiceSchema,
      z.array(z.object({ userId: z.string(), name: z.string().optional() })),
    )
    .optional(),
});
export type VoteResult = z.infer<typeof VoteResultSchema>;

export const DecisionSchema = z.object({
  option: VoteOptionSchema,
  by: z.enum(['council', 'sponsor']),
  userId: z.string().optional(),
  at: z.coerce.date(),
  reason: z.string().max(500).optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;

/**
 * open: ballots accepted; escalated: closed without a decision, waiting for the sponsor;
 * decided: closed with a decision (the council's or the sponsor's).
 */
export const VoteStatusSchema = z.enum(['open', 'escalated', 'decided']);
export type VoteStatus = z.infer<typeof VoteStatusSchema>;

export const WipStateSchema = z.object({
  /**
   * asked: the council is asked what to displace; queued: waiting for a free slot; displaced:
   * an active improvement made room; dequeued: a slot freed up and the improvement was planned.
   */
  status: z.enum(['asked', 'queued', 'displaced', 'dequeued']),
  active: z.number().int().min(0),
  limit: z.number().int().min(1),
  displaced: z.number().int().positive().optional(),
  by: z.string().optional(),
});
export type WipState = z.infer<typeof WipStateSchema>;

export const MessageRefSchema = z.object({
  channelId: z.string().min(1),
  messageId: z.string().min(1),
});

/** A council vote on one proposal (one or more related pebbles). Short id per workspace: V-3. */
export const VoteSchema = z.object({
  id: z.string().min(1),
  workspaceId: z.string().min(1),
  number: z.number().int().positive(),
  pebbleNumbers: z.array(z.number().int().positive()).min(1).max(PEBBLES_PER_VOTE_MAX),
  proposedBy: z.string().min(1),
  status: VoteStatusSchema,
  /** Who may vote: the members when it was proposed. */
  electorate: z.array(CouncilMemberSchema),
  rules: VoteRulesSchema,
  channelId: z.string().min(1),
  message: MessageRefSchema.optional(),
  openedAt: z.coerce.date(),
  deadline: z.coerce.date(),
  /** When non-voters get their one reminder (absent when the window is too short for one). */
  remindAt: z.coerce.date().optional(),
  remindedAt: z.coerce.date().optional(),
  /**
   * Secret ballots only: the random half of the key that hides who cast which ballot. It is
   * erased when the vote closes, after which no one can link a ballot to a member.
   */
  sealSalt: z.string().min(16).optional(),
  closedAt: z.coerce.date().optional(),
  closedBy: z.enum(['deadline', 'all-voted', 'early']).optional(),
  /** Closed early by an admin or the sponsor: why, shown to the council on the vote. */
  closeReason: z.string().max(500).optional(),
  result: VoteResultSchema.optional(),
  decision: DecisionSchema.optional(),
  /** The decision's consequences were all carried out (safe to retry until then). */
  applied: z.boolean().default(false),
  improvementNumber: z.number().int().positive().optional(),
  wip: WipStateSchema.optional(),
  /** "Next cycle": when the pebbles are proposed again, and the vote that did it. */
  reproposeAt: z.coerce.date().optional(),
  reproposedAs: z.number().int().positive().optional(),
  reproposedFrom: z.number().int().positive().optional(),
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
  history: z.array(HistoryEntrySchema).default([]),
});
export type Vote = z.infer<typeof VoteSchema>;

export function voteShortId(number: number): string {
  return `V-${number}`;
}

/** Parses `V-3`, `v3` or `3`. */
export function parseVoteRef(ref: string): number | undefined {
  const match = /^\s*(?:v-?)?(\d{1,9})\s*$/i.exec(ref);
  if (!match?.[1]) return undefined;
  const n = Number(match[1]);
  return n > 0 ? n : undefined;
}

export function emptyTally(): Tally {
  return { 'fix-now': 0, 'next-cycle': 0, 'not-now': 0, 'need-info': 0 };
}
