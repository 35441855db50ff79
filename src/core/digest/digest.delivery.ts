import type { Store } from '../ports/store.port.js';
import type { MessageView } from '../ports/message-view.port.js';
import type { ChatGateway, ChatTarget, MessageRef } from '../shared/chat-gateway.port.js';
import { chartAltText, chartTitle, type DigestChartRenderer } from './chart.port.js';
import type { DigestSnapshot } from './digest.model.js';
import { parseDigestKey, type DigestViews } from './digest.service.js';

export interface DigestChartDeps {
  store: Store;
  chart: DigestChartRenderer;
  views: DigestViews;
  /** Told when the chart or the details could not be delivered (the main message went out). */
  onChartError?: (error: unknown, key: string) => void;
}

/** How far before a snapshot was computed its message is looked for (clock skew). */
const LOOK_BACK_MS = 5 * 60_000;

/**
 * Where the rest of a digest goes: the thread of its main message in a channel; the same
 * conversation for a direct message (a second message; not every platform threads DMs).
 */
export function threadOf(target: ChatTarget, ref: MessageRef): ChatTarget {
  return target.kind === 'channel'
    ? { kind: 'channel', channelId: target.channelId, threadId: ref.messageId }
    : target;
}

/**
 * Wraps a chat gateway so that a digest leaves exactly once, with its chart and details.
 *
 * Before posting a digest (recognised by its idempotency key), it asks the platform whether a
 * message with that key is already there (ChatGateway.findSent): an earlier attempt whose
 * answer was lost (a timeout, a 500 after Slack accepted it) is then not posted twice, whatever
 * the outbox decided about the retry. After the main message, its thread gets the chart of the
 * snapshot (drawn and uploaded there) and then the details; when drawing or uploading fails,
 * the details carry the chart's numbers as text instead. Chart and details go at most once: a
 * digest found already posted gets neither again. Every other message passes through unchanged.
 */
export function withDigestCharts(gateway: ChatGateway, deps: DigestChartDeps): ChatGateway {
  const attachChart = async (
    workspaceId: string,
    thread: ChatTarget,
    key: string,
    snapshot: DigestSnapshot,
  ): Promise<boolean> => {
    try {
      const image = await deps.chart.frictionByStage(
        snapshot.metrics.history,
        chartTitle(snapshot.metrics.history),
      );
      await gateway.uploadImage(workspaceId, thread, image);
      return true;
    } catch (error) {
      deps.onChartError?.(error, key);
      return false;
    }
  };

  /** The digest with its chart inside, where the platform can show one; else undefined. */
  const sendWithChart = async (
    workspaceId: string,
    target: ChatTarget,
    key: string,
    snapshot: DigestSnapshot,
  ): Promise<MessageRef | undefined> => {
    if (!gateway.sendWithChart) return undefined;
    // The chart said in the message ("the chart is in the thread") would be wrong here.
    const { main } = deps.views.digest(snapshot, { chart: 'inline' });
    return gateway.sendWithChart(
      workspaceId,
      target,
      main,
      {
        workspaceId: snapshot.workspaceId,
        period: snapshot.period,
        altText: chartAltText(snapshot.metrics.history),
      },
      key,
    );
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
      const inline = await sendWithChart(workspaceId, target, idempotencyKey, snapshot);
      if (inline) {
        const { details } = deps.views.digest(snapshot, { chart: 'inline' });
        await gateway
          .send(workspaceId, threadOf(target, inline), details)
          .catch((error: unknown) => deps.onChartError?.(error, idempotencyKey));
        return inline;
      }
      const ref = await gateway.send(workspaceId, target, view, idempotencyKey);
      // Failures from here on are reported, never thrown: the main message is out and must be
      // recorded as sent, or a retry would post the digest again.
      const thread = threadOf(target, ref);
      const charted = await attachChart(workspaceId, thread, idempotencyKey, snapshot);
      const { details } = deps.views.digest(snapshot, { chart: charted ? 'attached' : 'fallback' });
      await gateway
        .send(workspaceId, thread, details)
        .catch((error: unknown) => deps.onChartError?.(error, idempotencyKey));
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
