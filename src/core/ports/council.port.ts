import type { BallotChoice, Vote, VoteStatus, WipState } from '../council/council.model.js';
import type { HistoryEntry } from '../shared/actor.js';
import type { ListOptions, Page } from './store.port.js';

/** A new vote as the domain hands it to the store; the store assigns id and number. */
export type NewVote = Omit<Vote, 'id' | 'number'>;

export interface VoteFilter {
  status?: VoteStatus[];
  /** Votes that include this pebble. */
  pebbleNumber?: number;
}

/** Fields a change may set; the history grows only through `history`. */
export type VoteSettable = Omit<
  Vote,
  'id' | 'workspaceId' | 'number' | 'history' | 'createdAt' | 'pebbleNumbers' | 'electorate'
>;

export type VoteUnsettable = 'sealSalt' | 'remindAt' | 'reproposeAt' | 'wip';

/** One atomic change of a vote, applied only while every condition in `if` holds. */
export interface VoteChange {
  set?: Partial<VoteSettable>;
  unset?: VoteUnsettable[];
  if?: {
    status?: VoteStatus[];
    /** No reminder recorded yet. */
    notReminded?: boolean;
    /** No decision recorded yet. */
    undecided?: boolean;
    applied?: boolean;
    /** Not proposed again yet. */
    notReproposed?: boolean;
    wipStatus?: WipState['status'][];
    /** The vote message was not posted yet. */
    noMessage?: boolean;
  };
  history: HistoryEntry;
}

export interface VoteRepository {
  /** Stores a new vote with the next per-workspace number (V-1, V-2, …). */
  create(vote: NewVote): Promise<Vote>;
  get(workspaceId: string, number: number): Promise<Vote | null>;
  list(
    workspaceId: string,
    filter?: VoteFilter,
    options?: ListOptions<'number'>,
  ): Promise<Page<Vote>>;
  /** Applies a change atomically; null when the vote is missing or a condition failed. */
  update(workspaceId: string, number: number, change: VoteChange): Promise<Vote | null>;
  /**
   * Votes of every workspace with something for the sweep at `now`: open past the deadline,
   * a reminder due, a decision not carried out, a "next cycle" due, a WIP queue, a vote
   * message never posted. Oldest first.
   */
  needingAttention(now: Date, limit: number): Promise<Vote[]>;
}

/** Ballot counts per choice (recusals included). */
export type BallotCounts = Record<BallotChoice, number>;

/** One stored ballot: the opaque key, the choice, and (open ballots only) the voter's name. */
export interface StoredBallot {
  key: string;
  choice: BallotChoice;
  name?: string;
}

/**
 * Ballots: one document per (vote, key) under a unique key, written by a single insert (or,
 * for a change, a single update of that one document), never by updating a shared document,
 * so servers that do not isolate concurrent updates of one document (FerretDB 1.x) still count
 * every member exactly once.
 */
export interface BallotRepository {
  /**
   * Records or replaces the ballot under `key`; `created` is true for the first one,
   * `unchanged` when the ballot already held this choice (a double click).
   */
  cast(
    voteId: string,
    key: string,
    choice: BallotChoice,
    name?: string,
  ): Promise<{ created: boolean; unchanged?: true }>;
  counts(voteId: string): Promise<BallotCounts>;
  /** Which of `keys` hold a ballot. */
  present(voteId: string, keys: string[]): Promise<string[]>;
  list(voteId: string): Promise<StoredBallot[]>;
  /**
   * Called when a secret vote is sealed: rewrites what the adapter keeps of past writes (the
   * embedded store's append-only files), so their order cannot hint at who cast which ballot.
   */
  forgetWriteOrder(): Promise<void>;
}
