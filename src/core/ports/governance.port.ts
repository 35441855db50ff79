import type { HistoryEntry } from '../shared/actor.js';
import type { ApiToken, AuditEntry } from '../governance/governance.model.js';
import type { Page } from './store.port.js';

/** The audit log: append only, read newest first. */
export interface AuditRepository {
  record(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry>;
  list(
    workspaceId: string,
    options?: { limit?: number; offset?: number },
  ): Promise<Page<AuditEntry>>;
}

/** Bearer tokens of the read API, found by the hash of the secret. */
export interface ApiTokenRepository {
  create(token: ApiToken): Promise<ApiToken>;
  byHash(hash: string): Promise<ApiToken | null>;
  list(workspaceId: string): Promise<ApiToken[]>;
  /** Revokes a live token of that workspace; null when there is none with this id. */
  revoke(workspaceId: string, id: string, by: string, at: Date): Promise<ApiToken | null>;
}

/**
 * Data rights over every collection that holds a workspace's data. Counts are per collection,
 * so the caller can report what was changed.
 */
export interface DataRightsRepository {
  /**
   * Replaces a member's identity (user id, name, team) with `alias` and the former-member name
   * in every document of the workspace, keeping the content; pending direct messages to them
   * are given up.
   */
  forgetMember(workspaceId: string, userId: string, alias: string): Promise<Record<string, number>>;
  /** Deletes everything stored for the workspace except its audit log. */
  deleteWorkspace(workspaceId: string): Promise<Record<string, number>>;
  /**
   * Empties the title and description of resolved (or declined, duplicate) pebbles not changed
   * since `before`, once: a pebble already emptied is left alone.
   */
  redactClosedPebbles(workspaceId: string, before: Date, history: HistoryEntry): Promise<number>;
}
