import type { Store } from '../ports/store.port.js';
import { OPEN_STATUSES } from '../pebbles/pebble.model.js';
import type { ScheduledJob } from '../shared/job.port.js';
import { embeddingText, type AiService } from './ai.service.js';

export const EMBEDDING_BACKFILL_JOB = 'ai-embedding-backfill';
/** Pebbles embedded per request, and per workspace per sweep. */
const BATCH = 100;
const PER_SWEEP = 1_000;

export interface EmbeddingBackfill extends Record<string, number> {
  workspaces: number;
  embedded: number;
  stopped: number;
}

/**
 * Embeds the pebbles similarity compares against (open ones, and resolved ones for
 * recurrence), newest first, so the first report after AI is switched on does not embed the
 * whole backlog itself. Cached texts cost nothing; a workspace stops at its first failure or
 * at its daily cap, and the next sweep carries on.
 */
export async function backfillEmbeddings(
  deps: { store: Store; ai: AiService },
  signal: AbortSignal = new AbortController().signal,
): Promise<EmbeddingBackfill> {
  const result: EmbeddingBackfill = { workspaces: 0, embedded: 0, stopped: 0 };
  for (const workspace of await deps.store.workspaces.list()) {
    if (signal.aborted) break;
    if (!deps.ai.enabled(workspace)) continue;
    result.workspaces++;
    const page = await deps.store.pebbles.list(
      workspace.id,
      { status: [...OPEN_STATUSES, 'resolved'] },
      { sort: { field: 'number', direction: 'desc' }, limit: PER_SWEEP },
    );
    for (let at = 0; at < page.items.length && !signal.aborted; at += BATCH) {
      const batch = page.items.slice(at, at + BATCH);
      const vectors = await deps.ai.embed(workspace, batch.map(embeddingText));
      if (!vectors) {
        result.stopped++;
        break;
      }
      result.embedded += batch.length;
    }
  }
  return result;
}

/** Every 15 minutes; registered by the scheduler only when AI is configured. */
export function embeddingBackfillJob(deps: { store: Store; ai: AiService }): ScheduledJob {
  return {
    name: EMBEDDING_BACKFILL_JOB,
    cron: '*/15 * * * *',
    run: ({ signal }) => backfillEmbeddings(deps, signal),
  };
}
