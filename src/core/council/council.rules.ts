import { DateTime } from 'luxon';
import type { Pebble } from '../pebbles/pebble.model.js';
import {
  VOTE_OPTIONS,
  type BallotChoice,
  type Tally,
  type VoteOption,
  type VoteOutcome,
  type VoteRules,
} from './council.model.js';

/** The council's rules as pure functions: no store, no clock, no platform. */

/** Ballots needed: the configured number, or half of those who did not recuse, rounded up. */
export function requiredQuorum(eligible: number, quorum?: number): number {
  const needed = quorum === undefined ? Math.ceil(eligible / 2) : Math.min(quorum, eligible);
  // Everyone recused (or nobody on the council): no ballot can make a quorum of zero.
  return Math.max(1, needed);
}

/**
 * Whether `votes` of `cast` ballots meet a threshold in percent: more than that share, or
 * every ballot at 100.
 */
export function meetsThreshold(votes: number, cast: number, threshold: number): boolean {
  if (cast <= 0 || votes <= 0) return false;
  if (threshold >= 100) return votes === cast;
  return votes * 100 > threshold * cast;
}

export interface OutcomeInput {
  tally: Tally;
  recused: number;
  /** Members entitled to vote (the electorate). */
  electorate: number;
  /** Distinct functions among the members who cast a ballot for an option. */
  functionsVoted: number;
  rules: Pick<VoteRules, 'quorum' | 'threshold' | 'balance'>;
}

export interface Outcome {
  outcome: VoteOutcome;
  winner?: VoteOption;
  cast: number;
  quorumRequired: number;
  quorumMet: boolean;
  balanceMet: boolean;
  thresholdMet: boolean;
  /** Options with the most ballots (several when tied). */
  leading: VoteOption[];
}

/**
 * How a vote comes out. Quorum first (recused members do not count toward it), then the
 * balance rule, then the threshold; no winner is a tie when the leaders share the most ballots,
 * otherwise no majority. Anything but `decided` goes to the sponsor.
 */
export function decideOutcome(input: OutcomeInput): Outcome {
  const { tally, rules } = input;
  const cast = VOTE_OPTIONS.reduce((n, o) => n + tally[o], 0);
  const eligible = Math.max(0, input.electorate - input.recused);
  const quorumRequired = requiredQuorum(eligible, rules.quorum);
  const quorumMet = cast >= quorumRequired;
  const balanceMet = rules.balance === undefined || input.functionsVoted >= rules.balance;
  const top = Math.max(...VOTE_OPTIONS.map((o) => tally[o]));
  const leading = top > 0 ? VOTE_OPTIONS.filter((o) => tally[o] === top) : [];
  const winners = VOTE_OPTIONS.filter((o) => meetsThreshold(tally[o], cast, rules.threshold));
  const thresholdMet = winners.length === 1;
  const base = { cast, quorumRequired, quorumMet, balanceMet, thresholdMet, leading };
  if (!quorumMet) return { ...base, outcome: 'no-quorum' };
  if (!balanceMet) return { ...base, outcome: 'no-balance' };
  if (thresholdMet) return { ...base, outcome: 'decided', winner: winners[0]! };
  return { ...base, outcome: leading.length > 1 ? 'tie' : 'no-majority' };
}

/** Counts ballots per choice. */
export function tallyOf(choices: Iterable<BallotChoice>): { tally: Tally; recused: number } {
  const tally: Tally = { 'fix-now': 0, 'next-cycle': 0, 'not-now': 0, 'need-info': 0 };
  let recused = 0;
  for (const choice of choices) {
    if (choice === 'recuse') recused++;
    else tally[choice]++;
  }
  return { tally, recused };
}

/** Distinct functions among these members (members without a function add none). */
export function distinctFunctions(members: { function?: string | undefined }[]): number {
  return new Set(members.map((m) => m.function?.trim().toLowerCase()).filter(Boolean)).size;
}

function zoned(at: Date, timezone: string): DateTime {
  const local = DateTime.fromJSDate(at, { zone: timezone });
  return local.isValid ? local : DateTime.fromJSDate(at, { zone: 'UTC' });
}

const isWorkingDay = (d: DateTime) => d.weekday <= 5;

/**
 * `days` working days (Monday to Friday in `timezone`) after `from`, at the same local time:
 * Friday 10:00 plus 3 is Wednesday 10:00; Saturday plus 1 is Monday.
 */
export function addWorkingDays(from: Date, days: number, timezone: string): Date {
  let at = zoned(from, timezone);
  let added = 0;
  while (added < days) {
    at = at.plus({ days: 1 });
    if (isWorkingDay(at)) added++;
  }
  return at.toJSDate();
}

/** The one reminder comes this long before the deadline. */
export const REMINDER_BEFORE_MS = 24 * 60 * 60_000;
/** No reminder when it would come this soon after the vote opened. */
const REMINDER_MIN_AFTER_OPEN_MS = 60 * 60_000;

/** When non-voters are reminded, or undefined when the window is too short for a reminder. */
export function reminderTime(openedAt: Date, deadline: Date): Date | undefined {
  const at = deadline.getTime() - REMINDER_BEFORE_MS;
  return at - openedAt.getTime() >= REMINDER_MIN_AFTER_OPEN_MS ? new Date(at) : undefined;
}

/** Where "Next cycle" proposals come back: 09:00 on the next Monday, or on the first working day of next month. */
export function nextCycleStart(now: Date, cycle: 'week' | 'month', timezone: string): Date {
  const local = zoned(now, timezone);
  if (cycle === 'week') {
    const monday = local.startOf('week').plus({ weeks: 1 });
    return monday.set({ hour: 9 }).toJSDate();
  }
  let day = local.startOf('month').plus({ months: 1 });
  while (!isWorkingDay(day)) day = day.plus({ days: 1 });
  return day.set({ hour: 9 }).toJSDate();
}

/** Whether "Fix now" fits: fewer active improvements than the limit. */
export function withinWip(active: number, limit: number): boolean {
  return active < limit;
}

/**
 * Whether a pebble can go to the council: triaged and open. A pebble still marked new whose
 * severity and journey stage triage has already set counts as triaged (proposing records it).
 */
export function isProposable(pebble: Pick<Pebble, 'status' | 'severity' | 'stage'>): boolean {
  if (pebble.status === 'triaged') return true;
  return pebble.status === 'new' && pebble.severity !== undefined && pebble.stage !== undefined;
}

/** Why a pebble cannot be proposed, in one sentence; undefined when it can. */
export function notProposableReason(
  pebble: Pick<Pebble, 'status' | 'severity' | 'stage'>,
  id: string,
): string | undefined {
  if (isProposable(pebble)) return undefined;
  switch (pebble.status) {
    case 'new':
      return `${id} is not triaged yet: set its severity and journey stage on the triage card first.`;
    case 'in-council':
      return `${id} is already before the council.`;
    default:
      return `${id} is ${pebble.status}; only triaged, open pebbles go to the council.`;
  }
}
