import type { DigestSnapshot } from '../digest/digest.model.js';

/**
 * Digest snapshots: one per workspace per period (`{workspaceId}:{period}` is the identity),
 * written once so that concurrent replicas agree on what is sent.
 */
export interface DigestRepository {
  /** Stores the snapshot unless one exists for its workspace and period; returns the stored one. */
  saveOnce(snapshot: DigestSnapshot): Promise<{ snapshot: DigestSnapshot; created: boolean }>;
  get(workspaceId: string, period: string): Promise<DigestSnapshot | null>;
  /** Records that every message of the digest is in the outbox; false when already recorded. */
  markQueued(workspaceId: string, period: string, at: Date): Promise<boolean>;
  /** The latest snapshots of a workspace, newest period first. */
  list(workspaceId: string, limit: number): Promise<DigestSnapshot[]>;
}
