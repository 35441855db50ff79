import { z } from 'zod';

/**
 * One change of a workspace's settings or data, as admins browse and export it: who, what,
 * when, and the changed values before and after. Values are kept as JSON text so that any
 * setting (nested objects, lists, maps keyed by user id) is stored alike on every adapter.
 */
export const AuditEntrySchema = z.object({
  id: z.string().min(1),
  workspaceId: z.string().min(1),
  at: z.coerce.date(),
  actor: z.string().min(1),
  /** `settings`, `council-settings`, `forget-member`, `delete-workspace-data`, `api-token-create` … */
  action: z.string().min(1).max(64),
  /** The settings keys (or the object) concerned, comma separated. */
  what: z.string().max(2_000),
  before: z.string().max(100_000),
  after: z.string().max(100_000),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** A bearer token of the read API; only the hash of its secret is ever stored. */
export const ApiTokenSchema = z.object({
  id: z.string().min(1),
  workspaceId: z.string().min(1),
  name: z.string().min(1).max(80),
  /** SHA-256 of the token, hex. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  createdBy: z.string().min(1),
  createdAt: z.coerce.date(),
  revokedAt: z.coerce.date().optional(),
  revokedBy: z.string().optional(),
});
export type ApiToken = z.infer<typeof ApiTokenSchema>;

/** What a forgotten member's identity becomes wherever it was stored. */
export const FORMER_MEMBER_NAME = 'a former member';

/** Retention of resolved pebbles' text, as admins type it: `2y`, `18m`, `90d`. */
export const RETENTION_MIN_DAYS = 30;
export const RETENTION_MAX_DAYS = 3_650;

/** Parses `2y`, `18m`, `90d` into days; undefined when it is not a period. */
export function parseRetention(text: string): number | undefined {
  const match = /^\s*(\d{1,4})\s*(d|days?|m|months?|y|years?)\s*$/i.exec(text);
  if (!match) return undefined;
  const n = Number(match[1]);
  const unit = match[2]!.toLowerCase()[0];
  const days = unit === 'y' ? n * 365 : unit === 'm' ? n * 30 : n;
  return days >= RETENTION_MIN_DAYS && days <= RETENTION_MAX_DAYS ? days : undefined;
}

/** The text put in place of a resolved pebble's title once its retention period passed. */
export const RETAINED_TITLE = '(text removed after the retention period)';
