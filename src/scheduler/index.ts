import type { Channel } from '../channel.js';
import { councilSweepJob } from '../core/council/council.jobs.js';
import { retentionJob } from '../core/governance/governance.jobs.js';
import { nudgeJob } from '../core/improvements/improvement.jobs.js';
import { withDigestCharts } from '../core/digest/digest.delivery.js';
import { digestJob } from '../core/digest/digest.jobs.js';
import { embeddingBackfillJob } from '../core/ai/ai.jobs.js';
import { createChartRenderer } from '../digest/chart.js';
import { digestViews } from '../views/digest.view.js';
import type { ChatGateway } from '../core/shared/chat-gateway.port.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { improvementNotices } from '../views/improvement.view.js';
import { OUTBOX_JOB, OutboxDispatcher, outboxJob } from './outbox.js';
import { defaultInstanceId, Scheduler } from './scheduler.js';

export interface RunningScheduler {
  scheduler: Scheduler;
  stop(): Promise<void>;
}

/**
 * Starts every scheduled job of the process: nudges and escalations of journey improvements,
 * the council sweep, the weekly digest, and the outbox delivery (every 10 s, and at once when
 * something is enqueued). Messages of a workspace go out through the ChatGateway of its
 * platform's channel (`slack:T…` -> slack).
 */
export function startScheduler(options: {
  services: Services;
  channels: Channel[];
  logger: Logger;
}): RunningScheduler {
  const { services, channels } = options;
  const logger = options.logger.child({ component: 'scheduler' });
  const gateways = new Map<string, ChatGateway>();
  // Digests leave with their chart: uploaded right after the message, or text-only on failure.
  const chart = createChartRenderer();
  const onChartError = (err: unknown, key: string) =>
    logger.warn({ err, key }, 'digest chart not delivered; the digest went out as text');
  for (const channel of channels)
    if (channel.chat)
      gateways.set(
        channel.name,
        withDigestCharts(channel.chat, {
          store: services.store,
          chart,
          views: digestViews,
          onChartError,
        }),
      );
  const instanceId = defaultInstanceId();
  const dispatcher = new OutboxDispatcher({
    store: services.store,
    clock: services.clock,
    logger,
    worker: instanceId,
    gatewayFor: (workspaceId) => gateways.get(workspaceId.split(':')[0] ?? ''),
    onDelivered: (message, ref) => services.outbox.delivered(message, ref),
  });
  const scheduler = new Scheduler({
    store: services.store,
    clock: services.clock,
    logger,
    instanceId,
    jobs: [
      nudgeJob({ store: services.store, outbox: services.outbox, notices: improvementNotices }),
      outboxJob(dispatcher),
      councilSweepJob(services.council),
      retentionJob(services.governance),
      digestJob({
        store: services.store,
        digests: services.digest,
        outbox: services.outbox,
        views: digestViews,
        onError: (err, workspaceId) => logger.error({ err, workspaceId }, 'digest failed'),
      }),
      ...(services.ai ? [embeddingBackfillJob({ store: services.store, ai: services.ai })] : []),
    ],
  });
  scheduler.start();
  const unsubscribe = services.outbox.onEnqueued(() => scheduler.kick(OUTBOX_JOB));
  return {
    scheduler,
    stop: async () => {
      unsubscribe();
      await scheduler.stop();
    },
  };
}
