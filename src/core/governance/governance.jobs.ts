import type { ScheduledJob } from '../shared/job.port.js';
import type { GovernanceService } from './governance.service.js';

export const RETENTION_JOB = 'governance.retention';

/** Every night: closed pebbles past their workspace's retention period lose their text. */
export function retentionJob(governance: GovernanceService): ScheduledJob {
  return {
    name: RETENTION_JOB,
    cron: '17 3 * * *',
    run: ({ now }) => governance.applyRetention(now),
  };
}
