import type { HistoryEntry } from '../shared/actor.js';
import type { AiUsageRepository, EmbeddingCacheRepository } from './ai.port.js';
import type { BallotRepository, VoteRepository } from './council.port.js';
import type { ConversationAddressRepository } from './conversations.port.js';
import type { DigestRepository } from './digests.port.js';
import type {
  ApiTokenRepository,
  AuditRepository,
  DataRightsRepository,
} from './governance.port.js';
import type { InstallationRepository } from './installations.port.js';
import type { MetricsRepository } from './metrics.port.js';
import type { Pebble, PebbleStatus, Stakeholder, Supporter } from '../pebbles/pebble.model.js';
import type { Workspace, WorkspaceSettings } from '../workspaces/workspace.model.js';
import type {
  ImprovementRepository,
  LeaseRepository,
  OutboxRepository,
} from './improvements.port.js';

/** A new pebble as the domain hands it to the store; the store assigns id and number. */
export type NewPebble = Omit<
  Pebble,
  'id' | 'number' | 'history' | 'supporters' | 'supporterCount'
> & {
  history: HistoryEntry[];
};

export interface PebbleFilter {
  status?: PebbleStatus[];
  journey?: string;
  stage?: string;
  stakeholder?: Stakeholder;
  reporterId?: string;
  supporterId?: string;
  /** The chat message a pebble was reported from (reactions find their pebble by it). */
  sourceMessage?: { channelId: string; messageTs: string };
  createdFrom?: Date;
  createdTo?: Date;
}

/**
 * `supporterCount` and `updatedAt` are derived from the +1 records (see addSupporter), so sorting
 * by them reads every match's number first: meant for small lists, not the hot path.
 */
export type PebbleSortField = 'number' | 'createdAt' | 'updatedAt' | 'supporterCount' | 'severity';

export interface ListOptions<F extends string> {
  sort?: { field: F; direction: 'asc' | 'desc' };
  limit?: number;
  offset?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** A change to a pebble: fields to set or clear, applied only if the pebble is still in `ifStatus`. */
export interface PebbleChange {
  set?: Partial<
    Omit<
      Pebble,
      'id' | 'workspaceId' | 'number' | 'history' | 'supporters' | 'supporterCount' | 'createdAt'
    >
  >;
  unset?: (
    | 'journey'
    | 'stage'
    | 'severity'
    | 'segment'
    | 'frequency'
    | 'minutesLost'
    | 'duplicateOf'
    | 'declineReason'
    | 'suggestion'
    | 'recurrence'
  )[];
  ifStatus?: PebbleStatus[];
  history: HistoryEntry;
}

export interface WorkspaceRepository {
  /** Returns the workspace, creating it with the given defaults on first contact (atomic upsert). */
  ensure(workspace: Omit<Workspace, 'history'>): Promise<Workspace>;
  get(id: string): Promise<Workspace | null>;
  /** Sets settings fields (top-level keys of settings) and records the change. */
  updateSettings(
    id: string,
    patch: Partial<WorkspaceSettings>,
    history: HistoryEntry,
  ): Promise<Workspace>;
  list(): Promise<Workspace[]>;
  /**
   * Marks a workspace inactive from `since` (the app was uninstalled: its data is kept), or
   * active again with null (reinstalled). False when there is no such workspace.
   */
  setInactive(id: string, since: Date | null): Promise<boolean>;
}

/** Open pebbles in one place on the journeys (see `PebbleRepository.openByPlace`). */
export interface OpenPlace {
  journey?: string;
  stage?: string;
  total: number;
  newest: Pebble[];
}

export interface PebbleRepository {
  /** Stores a new pebble with the next per-workspace number (P-1, P-2, …). */
  create(pebble: NewPebble): Promise<Pebble>;
  get(workspaceId: string, number: number): Promise<Pebble | null>;
  list(
    workspaceId: string,
    filter?: PebbleFilter,
    options?: ListOptions<PebbleSortField>,
  ): Promise<Page<Pebble>>;
  /**
   * The open pebbles of a workspace grouped by where they sit on the journeys (journey and
   * stage, either missing): how many in each place and the `newest` highest-numbered of each,
   * newest first. One read however many stages the catalog has (App Home shows it on every open).
   */
  openByPlace(workspaceId: string, newest: number): Promise<OpenPlace[]>;
  /**
   * Applies a change atomically; returns the updated pebble, or null when the pebble does not
   * exist or its status is no longer one of `ifStatus` (someone else changed it first).
   */
  update(workspaceId: string, number: number, change: PebbleChange): Promise<Pebble | null>;
  /**
   * Adds a +1 once per user: a record of its own under the unique (workspace, pebble number,
   * user) key, so concurrent clicks are decided by that key on every server and the pebble's
   * own record is never written. A pebble's `supporters`, `supporterCount`, its "supported"
   * history entries and the `updatedAt` they move are derived from these records whenever a
   * pebble is read. `added` is false when that user already supported it (and, with a null
   * pebble, when the pebble does not exist).
   */
  addSupporter(
    workspaceId: string,
    number: number,
    supporter: Supporter,
    history: HistoryEntry,
  ): Promise<{ added: boolean; pebble: Pebble | null }>;
  /** Removes a pebble and its +1s for good (a report merged into another as a +1). */
  delete(workspaceId: string, number: number): Promise<boolean>;
}

export interface ProcessedEventRepository {
  /**
   * Claims a delivery key (a Slack event_id, an interaction id, …). True the first time,
   * false for every later claim of the same key, also under concurrency.
   */
  claim(key: string, expiresAt: Date): Promise<boolean>;
}

/** The storage port. Adapters: MongoDB (production) and embedded nedb (zero setup). */
export interface Store {
  readonly kind: 'mongodb' | 'embedded';
  readonly workspaces: WorkspaceRepository;
  readonly pebbles: PebbleRepository;
  readonly events: ProcessedEventRepository;
  readonly improvements: ImprovementRepository;
  /** Messages decided by the domain, delivered exactly once (scheduler/outbox). */
  readonly outbox: OutboxRepository;
  /** Named leases: one scheduler replica runs a job at a time. */
  readonly leases: LeaseRepository;
  /** Council votes (proposals) and their ballots, one document per ballot. */
  readonly votes: VoteRepository;
  readonly ballots: BallotRepository;
  /** The weekly digest's aggregations (read only). */
  readonly metrics: MetricsRepository;
  /** Digest snapshots: one per workspace per period. */
  readonly digests: DigestRepository;
  /** Where proactive messages reach a conversation or person (Teams conversation references). */
  readonly conversations: ConversationAddressRepository;
  /** AI calls and tokens per workspace per day (the daily cap). */
  readonly aiUsage: AiUsageRepository;
  /** Embedding vectors by content hash. */
  readonly embeddings: EmbeddingCacheRepository;
  /** Who changed which setting, when, from what to what. */
  readonly audit: AuditRepository;
  /** Bearer tokens of the read API (hashes only). */
  readonly apiTokens: ApiTokenRepository;
  /** Forgetting a member, deleting a workspace's data, retention. */
  readonly dataRights: DataRightsRepository;
  /** Slack installations (OAuth mode), their tokens sealed; org-wide installs' workspaces. */
  readonly installations: InstallationRepository;
  /** Resolves when the store answers; rejects otherwise (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
