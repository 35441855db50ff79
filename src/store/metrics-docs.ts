import {
  ImprovementFactSchema,
  PebbleFactSchema,
  PromiseFactSchema,
  VoteFactSchema,
  type DateRange,
  type ImprovementFact,
  type PebbleFact,
  type PromiseFact,
  type TimeRange,
  type VoteFact,
} from '../core/metrics/metric-facts.js';

/**
 * The fields of stored documents the digest's aggregations read, shared by both adapters, and
 * their conversion to the facts (parsed with zod, like any stored document on read).
 */
export interface PebbleDoc {
  workspaceId: string;
  number: number;
  title: string;
  status: string;
  stakeholder: string;
  journey?: string;
  stage?: string;
  severity?: number;
  frequency?: string;
  minutesLost?: number;
  anonymous?: boolean;
  duplicateOf?: number;
  reporter: { userId: string; team?: string };
  history?: { at: Date; action: string; from?: string; to?: string; note?: string }[];
  createdAt: Date;
}

export interface PromiseDoc {
  promisedDate: string;
  ownerId: string;
  outcome?: string;
  closedAt?: Date;
}

export interface ImprovementDoc {
  workspaceId: string;
  number: number;
  title: string;
  status: string;
  pebbleNumbers: number[];
  ownerId?: string;
  ownerName?: string;
  ownerPending?: boolean;
  promisedDate?: string;
  promise?: PromiseDoc;
  promises?: PromiseDoc[];
  feedback?: { answer: string; at: Date }[];
  createdAt: Date;
  doneAt?: Date;
}

export interface OutboxDoc {
  workspaceId: string;
  kind: string;
  status: string;
  createdAt: Date;
}

export interface VoteDoc {
  workspaceId: string;
  number: number;
  pebbleNumbers: number[];
  status: string;
  openedAt: Date;
  closedAt?: Date;
  rules?: { secret?: boolean };
  result?: {
    cast?: number;
    recused?: number;
    electorate?: number;
    outcome?: string;
    names?: Record<string, { userId: string }[]>;
  };
  decision?: { option: string; by: string; at: Date };
}

export const inRange = (at: Date | undefined, r: TimeRange) =>
  at !== undefined && at >= r.from && at < r.to;

/** A promise of the ledger `promisesDecided` returns: dated in the dates, or kept in the range. */
export function promiseDecided(p: PromiseDoc, dates: DateRange, kept: TimeRange): boolean {
  const dated = p.promisedDate >= dates.from && p.promisedDate < dates.to;
  return dated || (p.outcome === 'kept' && inRange(p.closedAt, kept));
}

export function toPromiseFact(number: number, p: PromiseDoc): PromiseFact {
  return PromiseFactSchema.parse({
    number,
    promisedDate: p.promisedDate,
    outcome: p.outcome ?? 'open',
    ownerId: p.ownerId,
    closedAt: p.closedAt,
  });
}

/** `supporterCount` comes from the pebble's support documents (see supports.ts). */
/** The embedded store reads its pebbles in place, with their creation time as a number. */
export function toPebbleFact(
  doc: Omit<PebbleDoc, 'createdAt' | 'history'> & { createdAt: Date | number },
  supporterCount: number,
): PebbleFact {
  return PebbleFactSchema.parse({
    number: doc.number,
    title: doc.title,
    status: doc.status,
    stakeholder: doc.stakeholder,
    journey: doc.journey,
    stage: doc.stage,
    severity: doc.severity,
    frequency: doc.frequency,
    minutesLost: doc.minutesLost,
    supporterCount,
    duplicateOf: doc.duplicateOf,
    createdAt: doc.createdAt,
  });
}

export function toImprovementFact(doc: ImprovementDoc): ImprovementFact {
  return ImprovementFactSchema.parse({
    number: doc.number,
    title: doc.title,
    status: doc.status,
    pebbleNumbers: doc.pebbleNumbers,
    ownerId: doc.ownerId,
    ownerName: doc.ownerName,
    promisedDate: doc.promisedDate,
    createdAt: doc.createdAt,
    doneAt: doc.doneAt,
    fixedYes: (doc.feedback ?? []).filter((f) => f.answer === 'yes').length,
    fixedNo: (doc.feedback ?? []).filter((f) => f.answer === 'no').length,
  });
}

export function toVoteFact(doc: VoteDoc): VoteFact {
  const names = doc.result?.names ?? {};
  const voterIds = Object.entries(names)
    .filter(([choice]) => choice !== 'recuse')
    .flatMap(([, people]) => people.map((p) => p.userId));
  return VoteFactSchema.parse({
    number: doc.number,
    pebbleNumbers: doc.pebbleNumbers,
    status: doc.status,
    openedAt: doc.openedAt,
    closedAt: doc.closedAt,
    outcome: doc.result?.outcome,
    decision: doc.decision
      ? { option: doc.decision.option, by: doc.decision.by, at: doc.decision.at }
      : undefined,
    cast: doc.result?.cast ?? 0,
    eligible: Math.max(0, (doc.result?.electorate ?? 0) - (doc.result?.recused ?? 0)),
    secret: doc.rules?.secret ?? true,
    voterIds: [...new Set(voterIds)],
  });
}
