import type {
  CheckIn,
  FixFeedback,
  Improvement,
  ImprovementStatus,
  PromiseEntry,
} from '../improvements/improvement.model.js';
import type { HistoryEntry } from '../shared/actor.js';
import type { MessageRef } from '../shared/chat-gateway.port.js';
import type { OutboxMessage } from '../shared/outbox.port.js';
import type { ListOptions, Page } from './store.port.js';

/** A new improvement as the domain hands it to the store; the store assigns id and number. */
export type NewImprovement = Omit<Improvement, 'id' | 'number'>;

export interface ImprovementFilter {
  status?: ImprovementStatus[];
  ownerId?: string;
  /** Only improvements with an owner (accepted or still asked). */
  hasOwner?: boolean;
  /** Improvements that fix this pebble. */
  pebbleNumber?: number;
  voteNumber?: number;
  /** Open promise due on or before this date (`2026-12-15`). */
  dueOnOrBefore?: string;
}

export type ImprovementSortField = 'number' | 'promisedDate' | 'updatedAt';

/** Fields a change may set; arrays and counters change only through `push` and `inc`. */
export type ImprovementSettable = Omit<
  Improvement,
  | 'id'
  | 'workspaceId'
  | 'number'
  | 'history'
  | 'promises'
  | 'checkIns'
  | 'feedback'
  | 'createdAt'
  | 'nudgesSent'
  | 'recurrences'
>;

export type ImprovementUnsettable =
  | 'ownerId'
  | 'ownerTimezone'
  | 'ownerName'
  | 'assignedBy'
  | 'assignedAt'
  | 'proposedDate'
  | 'promisedDate'
  | 'promise'
  | 'snoozedUntil'
  | 'blockedSince'
  | 'lastNudgedOn';

/**
 * One atomic change of an improvement: fields to set or clear, counters to increase, entries
 * to append, applied only while every condition in `if` still holds (`null` means absent).
 */
export interface ImprovementChange {
  set?: Partial<ImprovementSettable>;
  unset?: ImprovementUnsettable[];
  inc?: { nudgesSent?: number; recurrences?: number };
  push?: { promises?: PromiseEntry; checkIns?: CheckIn };
  if?: {
    status?: ImprovementStatus[];
    ownerId?: string | null;
    ownerPending?: boolean;
    promisedDate?: string | null;
    /** The stored escalation level is below this one. */
    escalationLevelBelow?: number;
    /** The last nudge was not on this local date (absent counts as "not"). */
    notNudgedOn?: string;
  };
  history: HistoryEntry;
}

export interface ImprovementRepository {
  /**
   * Stores a new improvement with the next per-workspace number (I-1, I-2, …). With an
   * idempotency key, a second create with the same key returns the first improvement
   * (`created: false`) instead of a copy.
   */
  create(
    improvement: NewImprovement,
    options?: { idempotencyKey?: string },
  ): Promise<{ improvement: Improvement; created: boolean }>;
  get(workspaceId: string, number: number): Promise<Improvement | null>;
  list(
    workspaceId: string,
    filter?: ImprovementFilter,
    options?: ListOptions<ImprovementSortField>,
  ): Promise<Page<Improvement>>;
  count(workspaceId: string, filter?: ImprovementFilter): Promise<number>;
  /**
   * Applies a change atomically; the updated improvement, or null when it does not exist or a
   * condition no longer holds (someone else changed it first).
   */
  update(
    workspaceId: string,
    number: number,
    change: ImprovementChange,
  ): Promise<Improvement | null>;
  /**
   * Applies one change to several improvements, each atomically and only where its conditions
   * hold (not atomic as a whole); returns how many changed. For sweeps that record decisions.
   */
  updateMany(workspaceId: string, numbers: number[], change: ImprovementChange): Promise<number>;
  /** Records one person's answer once; `added` is false when they had already answered. */
  addFeedback(
    workspaceId: string,
    number: number,
    feedback: FixFeedback,
    history: HistoryEntry,
  ): Promise<{ added: boolean; improvement: Improvement | null }>;
}

/** A message as it enters the outbox. */
export type NewOutboxMessage = Pick<
  OutboxMessage,
  'key' | 'workspaceId' | 'kind' | 'target' | 'view' | 'nextAttemptAt' | 'createdAt'
>;

export interface OutboxFilter {
  status?: OutboxMessage['status'][];
  workspaceId?: string;
  kind?: string;
}

export interface OutboxRepository {
  /** Stores a pending message; false when its key is already in the outbox (unique index). */
  enqueue(message: NewOutboxMessage): Promise<boolean>;
  get(key: string): Promise<OutboxMessage | null>;
  /**
   * Claims up to `limit` due messages for `worker` until `lockedUntil`, each with one atomic
   * conditional update: first messages whose previous worker's claim ran out (returned with
   * `recovered: true`: they may have been sent), then pending messages whose time has come,
   * those due the longest first. A message is never claimed by two workers at once.
   */
  claimDue(worker: string, now: Date, lockedUntil: Date, limit: number): Promise<OutboxMessage[]>;
  /**
   * Records the delivery, only while `worker` still holds the claim. A delivered message keeps
   * its fallback text but not its blocks (the bulk of it; nothing reads them again), so
   * delivered messages do not pile up in memory and on disk.
   */
  markSent(key: string, worker: string, result: { at: Date; ref?: MessageRef }): Promise<boolean>;
  /** Gives the claim back for a later attempt, or for good with `failed`. */
  release(
    key: string,
    worker: string,
    result: { nextAttemptAt: Date; error: string; failed?: boolean },
  ): Promise<boolean>;
  /**
   * Puts the given-up (`failed`) messages of these kinds posted to one channel back in line,
   * due at `now`: the reason they were refused (the bot not in the channel) went away. Each is
   * a conditional update of one message from `failed`, so a repeat or a concurrent call only
   * puts it back in line once (the claim still decides who sends it), and a message sent or
   * pending meanwhile is left alone. Returns how many it reopened, for the log (two concurrent
   * calls may both count one message on servers that do not isolate updates of one document).
   */
  reopenChannel(
    workspaceId: string,
    channelId: string,
    kinds: string[],
    now: Date,
  ): Promise<number>;
  /** Messages by creation time, oldest first. */
  list(filter?: OutboxFilter, options?: { limit?: number }): Promise<OutboxMessage[]>;
  count(filter?: OutboxFilter): Promise<number>;
}

export interface Lease {
  name: string;
  holder: string;
  lockedUntil: Date;
}

/**
 * Named leases decided by `lockedUntil` in one atomic update (never by TTL expiry, which
 * MongoDB applies up to a minute late): one holder at a time, taken over once expired.
 */
export interface LeaseRepository {
  /** Takes (or extends) the lease until `until` when it is free at `now` or held by `holder`. */
  acquire(name: string, holder: string, now: Date, until: Date): Promise<boolean>;
  /** Gives the lease up, only when `holder` holds it. */
  release(name: string, holder: string): Promise<boolean>;
  get(name: string): Promise<Lease | null>;
}
