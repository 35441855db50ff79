import type { Store } from '../ports/store.port.js';
import type { ScheduledJob } from '../shared/job.port.js';
import type { OutboxPort } from '../shared/outbox.port.js';
import type { DigestService, DigestViews } from './digest.service.js';

export interface DigestJobDeps {
  store: Store;
  digests: DigestService;
  outbox: OutboxPort;
  views: DigestViews;
  /** Told about a workspace whose digest failed; the sweep goes on with the next one. */
  onError?: (error: unknown, workspaceId: string) => void;
}

/** What one sweep did, for the log. */
export interface DigestSweep extends Record<string, number> {
  workspaces: number;
  queued: number;
  alreadyQueued: number;
  failed: number;
}

/**
 * Queues every workspace's digest that is due: each workspace is checked against its own
 * schedule and time zone, so one frequent sweep serves them all, and a missed tick (a restart
 * at 09:00) is made up by the next one.
 */
export async function sweepDigests(
  deps: DigestJobDeps,
  now: Date,
  signal: AbortSignal = new AbortController().signal,
): Promise<DigestSweep> {
  const result: DigestSweep = { workspaces: 0, queued: 0, alreadyQueued: 0, failed: 0 };
  for (const workspace of await deps.store.workspaces.list()) {
    // An uninstalled workspace keeps its data but hears nothing until it is installed again.
    if (workspace.inactiveSince) continue;
    if (signal.aborted) break;
    result.workspaces++;
    try {
      const outcome = await deps.digests.sendDue(workspace, deps.outbox, deps.views, now);
      if (outcome === 'queued') result.queued++;
      else if (outcome === 'already-queued') result.alreadyQueued++;
    } catch (error) {
      result.failed++;
      deps.onError?.(error, workspace.id);
    }
  }
  return result;
}

/** Every 5 minutes: a digest goes out within 5 minutes of its workspace's local send time. */
export const DIGEST_CRON = '*/5 * * * *';

/** The scheduled job of weekly digests. */
export function digestJob(deps: DigestJobDeps, cron = DIGEST_CRON): ScheduledJob {
  return {
    name: 'digest.weekly',
    cron,
    run: ({ now, signal }) => sweepDigests(deps, now, signal),
  };
}
