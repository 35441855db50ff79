import type { Store } from '../ports/store.port.js';
import type { Pebble } from '../pebbles/pebble.model.js';
import type { SimilarityPort } from '../pebbles/similarity.js';
import type { Workspace } from '../workspaces/workspace.model.js';
import { embeddingText } from './ai.service.js';

/** How far back a resolved pebble still counts as the one that "came back". */
export const RECURRENCE_WINDOW_DAYS = 180;
/** How many recently resolved pebbles are compared. */
const RESOLVED_CANDIDATES = 300;

/**
 * The resolved pebble a new one repeats, if any: the prevention metric's "it came back" and
 * the flag on the triage card. Uses whichever similarity the services were built with
 * (embeddings with AI, lexical without), so it works, less sharply, with no key at all.
 */
export async function findRecurrence(
  store: Store,
  similarity: SimilarityPort,
  workspace: Workspace,
  pebble: Pebble,
  now: Date,
  resolvedOf: (workspace: Workspace) => Promise<Pebble[]> = (ws) => recentlyResolved(store, ws),
): Promise<{ pebble: Pebble; score: number } | undefined> {
  const since = now.getTime() - RECURRENCE_WINDOW_DAYS * 24 * 60 * 60_000;
  const candidates = (await resolvedOf(workspace)).filter(
    (p) => p.number !== pebble.number && p.updatedAt.getTime() >= since,
  );
  if (candidates.length === 0) return undefined;
  const [best] = await similarity.findSimilar(embeddingText(pebble), candidates, { limit: 1 });
  return best;
}

/** The most recently changed resolved pebbles of a workspace, the candidates a new one may repeat. */
export async function recentlyResolved(store: Store, workspace: Workspace): Promise<Pebble[]> {
  const resolved = await store.pebbles.list(
    workspace.id,
    { status: ['resolved'] },
    { sort: { field: 'updatedAt', direction: 'desc' }, limit: RESOLVED_CANDIDATES },
  );
  return resolved.items;
}
