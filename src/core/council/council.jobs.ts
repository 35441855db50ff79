import type { ScheduledJob } from '../shared/job.port.js';
import type { CouncilService } from './council.service.js';

/**
 * Every minute: deadlines live in the store, not in timers, so a restart or a missed tick
 * loses nothing; the next sweep closes, reminds and follows up whatever is due.
 */
export const COUNCIL_SWEEP_CRON = '* * * * *';
export const COUNCIL_SWEEP_JOB = 'council.sweep';

/** The scheduled job of the council: closing, reminders, follow-ups. */
export function councilSweepJob(council: CouncilService, cron = COUNCIL_SWEEP_CRON): ScheduledJob {
  return {
    name: COUNCIL_SWEEP_JOB,
    cron,
    run: ({ now, signal }) => council.sweep(now, signal),
  };
}
