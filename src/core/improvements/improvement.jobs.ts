import type { Store } from '../ports/store.port.js';
import type { ScheduledJob } from '../shared/job.port.js';
import type { OutboxPort } from '../shared/outbox.port.js';
import { ACTIVE_IMPROVEMENT_STATUSES, improvementShortId } from './improvement.model.js';
import type { ImprovementNotices } from './improvement.notices.js';
import { planEscalations, planNudges, type Escalation, type OwnerNudge } from './nudge.planner.js';

export interface NudgeJobDeps {
  store: Store;
  outbox: OutboxPort;
  notices: ImprovementNotices;
}

/** Store writes in flight at once while recording a sweep's decisions. */
const CONCURRENCY = 16;

async function inBatches<T>(items: T[], work: (item: T) => Promise<void>, signal: AbortSignal) {
  for (let i = 0; i < items.length && !signal.aborted; i += CONCURRENCY) {
    await Promise.all(items.slice(i, i + CONCURRENCY).map(work));
  }
}

/** What one sweep did, for the log. */
export interface NudgeSweep extends Record<string, number> {
  workspaces: number;
  /** Owner nudges newly put in the outbox by this sweep. */
  nudges: number;
  /** Owner nudges that were already in the outbox (a retried or concurrent sweep). */
  alreadyQueued: number;
  /** Owners with something due now in quiet hours or their weekend: nudged later. */
  deferred: number;
  escalations: number;
}

/**
 * The nudge and escalation sweep: what is due now, for every workspace. Each decision goes to
 * the outbox first (its idempotency key makes a repeat a no-op), then is recorded on the
 * improvements with a conditional update, so a crash between the two, a retried tick or a
 * second replica never nudges twice and never loses a nudge.
 */
export async function sweepNudges(
  deps: NudgeJobDeps,
  now: Date,
  signal: AbortSignal = new AbortController().signal,
): Promise<NudgeSweep> {
  const result: NudgeSweep = {
    workspaces: 0,
    nudges: 0,
    alreadyQueued: 0,
    deferred: 0,
    escalations: 0,
  };
  for (const workspace of await deps.store.workspaces.list()) {
    // An uninstalled workspace keeps its data but hears nothing until it is installed again.
    if (workspace.inactiveSince) continue;
    if (signal.aborted) break;
    const { items } = await deps.store.improvements.list(workspace.id, {
      status: [...ACTIVE_IMPROVEMENT_STATUSES],
      hasOwner: true,
    });
    if (items.length === 0) continue;
    result.workspaces++;
    const plan = planNudges(now, workspace, items);
    result.deferred += plan.deferred;
    await inBatches(
      plan.nudges,
      async (nudge) => {
        const queued = await deps.outbox.enqueue({
          key: nudge.key,
          workspaceId: workspace.id,
          kind: 'improvement.nudge',
          target: { kind: 'dm', userId: nudge.ownerId },
          view: deps.notices.nudge(nudge, workspace.settings),
        });
        if (queued) result.nudges++;
        else result.alreadyQueued++;
        await recordNudge(deps.store, nudge, now);
      },
      signal,
    );
    const { escalations } = planEscalations(now, workspace, items);
    await inBatches(
      escalations,
      async (escalation) => {
        const queued = await deps.outbox.enqueue({
          key: escalation.key,
          workspaceId: workspace.id,
          kind: 'improvement.escalation',
          target: { kind: 'dm', userId: escalation.sponsorId },
          view: deps.notices.escalation(escalation, workspace.settings),
        });
        if (queued) result.escalations++;
        await recordEscalation(deps.store, escalation, now);
      },
      signal,
    );
  }
  return result;
}

/** Marks the nudged improvements (once per local date, whoever gets there first). */
async function recordNudge(store: Store, nudge: OwnerNudge, now: Date): Promise<void> {
  await store.improvements.updateMany(
    nudge.workspaceId,
    nudge.items.map((i) => i.improvement.number),
    {
      set: { lastNudgedAt: now, lastNudgedOn: nudge.localDate },
      inc: { nudgesSent: 1 },
      if: { notNudgedOn: nudge.localDate, ownerId: nudge.ownerId },
      history: { at: now, actor: 'pebblebot', action: 'nudged', to: nudge.ownerId },
    },
  );
}

/** Records the level reached, only upwards: a level is escalated once. */
async function recordEscalation(store: Store, escalation: Escalation, now: Date): Promise<void> {
  const { improvement, level } = escalation;
  await store.improvements.update(improvement.workspaceId, improvement.number, {
    set: { escalationLevel: level, escalatedAt: now },
    if: { escalationLevelBelow: level },
    history: {
      at: now,
      actor: 'pebblebot',
      action: 'escalated',
      to: escalation.sponsorId,
      note: `${improvementShortId(improvement.number)} level ${level}: ${escalation.overdueDays} days overdue, ${escalation.blockedDays} days blocked`,
    },
  });
}

/** Every 15 minutes: owners' local hours differ, so the sweep runs often and sends what is due. */
export const NUDGE_CRON = '*/15 * * * *';

/** The scheduled job of nudges and escalations. */
export function nudgeJob(deps: NudgeJobDeps, cron = NUDGE_CRON): ScheduledJob {
  return {
    name: 'improvements.nudges',
    cron,
    run: ({ now, signal }) => sweepNudges(deps, now, signal),
  };
}
