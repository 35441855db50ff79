import type { Store } from '../../store/store.port.js';
import type { MessageView } from '../../views/message.view.js';
import type { ChatGateway, ChatTarget, MessageRef } from '../shared/chat-gateway.port.js';
import type { DigestChartRenderer } from './chart.port.js';
import type { DigestSnapshot } from './digest.model.js';
import { parseDigestKey, type DigestViews } from './digest.service.js';
import { periodLabel } from './period.js';

export interface DigestChartDeps {
  store: Store;
  chart: DigestChartRenderer;
  views: DigestViews;
  /** Told when the chart could not be drawn or uploaded (the digest went out as text). */
  onChartError?: (error: unknown, key: string) => void;
}

/** How far before a snapshot was computed its message is looked for (clock skew). */
const LOOK_BACK_MS = 5 * 60_000;

/**
 * Wraps a chat gateway so that a digest leaves exactly once and with its chart.
 *
 * Before posting a digest (recognised by its idempotency key), it asks the platform whether a
 * message with that key is already there (ChatGateway.findSent): an earlier attempt whose
 * answer was lost (a timeout, a 500 after Slack accepted it) is then not posted twice, whatever
 * the outbox decided about the retry. After posting, the chart of the snapshot is drawn and
 * uploaded to the same place; when drawing or uploading fails, the message is updated to its
 * text-only version, which carries the chart's numbers. The chart goes at most once: a digest
 * found already posted gets no second chart. Every other message passes through unchanged.
 */
export function withDigestCharts(gateway: ChatGateway, deps: DigestChartDeps): ChatGateway {
  const attachChart = async (
    workspaceId: string,
    target: ChatTarget,
    ref: MessageRef,
    key: string,
    snapshot: DigestSnapshot,
  ): Promise<void> => {
    try {
      const image = await deps.chart.frictionByStage(
        snapshot.metrics.history,
        `Friction by journey stage · ${periodLabel(snapshot.metrics.period)}`,
      );
      await gateway.uploadImage(workspaceId, target, image);
    } catch (error) {
      deps.onChartError?.(error, key);
      await gateway
        .update(workspaceId, ref, deps.views.digest(snapshot, { chart: 'fallback' }))
        .catch((updateError: unknown) => deps.onChartError?.(updateError, key));
    }
  };

  const alreadySent = async (
    workspaceId: string,
    target: ChatTarget,
    key: string,
    snapshot: DigestSnapshot,
  ): Promise<MessageRef | undefined> => {
    if (!gateway.findSent) return undefined;
    const since = new Date(snapshot.computedAt.getTime() - LOOK_BACK_MS);
    // A look-up that cannot work (a missing history scope) must not stop the digest.
    return gateway.findSent(workspaceId, target, key, since).catch(() => undefined);
  };

  const wrapped: ChatGateway = {
    async send(workspaceId, target, view: MessageView, idempotencyKey) {
      const parsed = idempotencyKey ? parseDigestKey(idempotencyKey) : undefined;
      const snapshot = parsed
        ? await deps.store.digests.get(parsed.workspaceId, parsed.period)
        : null;
      if (!idempotencyKey || !snapshot)
        return gateway.send(workspaceId, target, view, idempotencyKey);
      const found = await alreadySent(workspaceId, target, idempotencyKey, snapshot);
      if (found) return found;
      const ref = await gateway.send(workspaceId, target, view, idempotencyKey);
      await attachChart(workspaceId, target, ref, idempotencyKey, snapshot);
      return ref;
    },
    update: (workspaceId, ref, view) => gateway.update(workspaceId, ref, view),
    uploadImage: (workspaceId, target, image) => gateway.uploadImage(workspaceId, target, image),
  };
  if (gateway.findSent) {
    const findSent = gateway.findSent.bind(gateway);
    wrapped.findSent = (workspaceId, target, key, since) =>
      findSent(workspaceId, target, key, since);
  }
  return wrapped;
}
