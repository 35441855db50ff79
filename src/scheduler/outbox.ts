import type { ChatGateway, MessageRef } from '../core/shared/chat-gateway.port.js';
import type { Clock } from '../core/shared/clock.port.js';
import type { ScheduledJob } from '../core/shared/job.port.js';
import {
  ChatTargetSchema,
  DeliveryError,
  MessageViewSchema,
  type DeliveredHandler,
  type OutboxMessage,
  type OutboxPort,
  type OutgoingMessage,
} from '../core/shared/outbox.port.js';
import type { Logger } from '../logger.js';
import type { Store } from '../core/ports/store.port.js';

/**
 * The domain's side of the outbox: records a message under its idempotency key (a repeat is a
 * no-op) and tells whoever listens (the scheduler) that there is something to deliver.
 */
export class StoreOutbox implements OutboxPort {
  private readonly listeners = new Set<() => void>();
  private readonly deliveredHandlers = new Map<string, DeliveredHandler>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async enqueue(message: OutgoingMessage): Promise<boolean> {
    const now = this.clock.now();
    const created = await this.store.outbox.enqueue({
      key: message.key,
      workspaceId: message.workspaceId,
      kind: message.kind,
      // Parsed on the way in too, so a malformed view fails where it was made, not at 3 a.m.
      target: ChatTargetSchema.parse(message.target),
      view: MessageViewSchema.parse(message.view),
      nextAttemptAt: message.notBefore ?? now,
      createdAt: now,
    });
    if (created) for (const listener of this.listeners) listener();
    return created;
  }

  /** Calls `listener` after each new message; returns the unsubscribe function. */
  onEnqueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async reopenChannel(workspaceId: string, channelId: string, kinds: string[]): Promise<number> {
    const reopened = await this.store.outbox.reopenChannel(
      workspaceId,
      channelId,
      kinds,
      this.clock.now(),
    );
    if (reopened) this.wake();
    return reopened;
  }

  /** Asks for a delivery round now, as a new message does (after Slack is back, in tests). */
  wake(): void {
    for (const listener of this.listeners) listener();
  }

  /**
   * Registers what follows the delivery of one kind of message (a triage card records where
   * it was posted, to be updated in place later). One handler per kind.
   */
  onDelivered(kind: string, handler: DeliveredHandler, platform?: string): void {
    this.deliveredHandlers.set(platform ? `${platform}|${kind}` : kind, handler);
  }

  /** Runs the handler of the message's kind; the dispatcher calls it before marking it sent. */
  async delivered(message: OutboxMessage, ref: MessageRef): Promise<void> {
    const platform = message.workspaceId.split(':')[0] ?? '';
    const handler =
      this.deliveredHandlers.get(`${platform}|${message.kind}`) ??
      this.deliveredHandlers.get(message.kind);
    await handler?.(message, ref);
  }
}

export interface DispatcherOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The chat gateway of a workspace's platform; undefined while that channel is not running. */
  gatewayFor(workspaceId: string): ChatGateway | undefined;
  /** This process's identity in claims (host, pid, random). */
  worker: string;
  /**
   * How long a claim lasts. It must exceed the longest send, which the gateway bounds (the
   * Slack gateway: request timeout x tries); a claim that runs out is treated as a crash.
   */
  claimMs?: number;
  /** Sends in flight at once (the gateway's own rate limiter still applies). */
  concurrency?: number;
  /** Messages claimed per round. */
  batch?: number;
  /**
   * Attempts before a message is given up as failed; by default a message is retried until
   * it is delivered or the platform refuses it for good.
   */
  maxAttempts?: number;
  /**
   * Runs after a message reached the platform, before it is recorded as sent (so a crash in
   * between runs it again once the message is found delivered). Its failure is logged only.
   */
  onDelivered?: (message: OutboxMessage, ref: MessageRef) => Promise<void>;
}

export interface DrainResult extends Record<string, number> {
  sent: number;
  /** Found already delivered by a worker that vanished before recording it. */
  recovered: number;
  retried: number;
  failed: number;
  /** No running channel for the workspace's platform: kept for later. */
  deferred: number;
}

export type DeliveryOutcome = 'sent' | 'recovered' | 'retried' | 'failed' | 'deferred';

const NO_CHANNEL_RETRY_MS = 5 * 60_000;
const BACKOFF_BASE_MS = 5_000;
// A message owed during a platform outage goes out within about two minutes of its recovery:
// the wait between attempts never exceeds a minute (plus jitter), and attempts never run out.
const BACKOFF_MAX_MS = 60_000;
/** How far before its creation a message is looked for, against clock skew between replicas. */
const FIND_SENT_SKEW_MS = 60_000;

/** Exponential back-off with jitter: 5 s, 10 s, 20 s, 40 s, then every minute. */
export function backoffMs(attempts: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * Delivers the outbox exactly once. Each message is claimed with one atomic conditional update
 * (so two workers never hold it), sent through its platform's gateway with its idempotency key,
 * then marked sent under the same claim. A worker that dies mid-send leaves a claim that runs
 * out; the next worker takes it as `recovered` and first asks the platform whether the message
 * with that key was already delivered (ChatGateway.findSent) before sending it.
 */
export class OutboxDispatcher {
  private readonly claimMs: number;
  private readonly concurrency: number;
  private readonly batch: number;
  private readonly maxAttempts: number;

  constructor(private readonly options: DispatcherOptions) {
    this.claimMs = options.claimMs ?? 120_000;
    this.concurrency = options.concurrency ?? 8;
    this.batch = options.batch ?? 50;
    this.maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  }

  /** Delivers everything due now, round after round, until nothing is due or `signal` aborts. */
  async drain(signal?: AbortSignal): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, recovered: 0, retried: 0, failed: 0, deferred: 0 };
    const { store, clock, worker } = this.options;
    while (!signal?.aborted) {
      const now = clock.now();
      const claimed = await store.outbox.claimDue(
        worker,
        now,
        new Date(now.getTime() + this.claimMs),
        this.batch,
      );
      if (claimed.length === 0) break;
      await pool(claimed, this.concurrency, async (message) => {
        const outcome = await this.deliver(message);
        result[outcome]++;
      });
    }
    return result;
  }

  /** Sends one claimed message and records the outcome; never throws. */
  async deliver(message: OutboxMessage): Promise<DeliveryOutcome> {
    const { store, clock, logger, worker } = this.options;
    const log = { key: message.key, kind: message.kind, attempt: message.attempts };
    const gateway = this.options.gatewayFor(message.workspaceId);
    if (!gateway) {
      await store.outbox.release(message.key, worker, {
        nextAttemptAt: new Date(clock.now().getTime() + NO_CHANNEL_RETRY_MS),
        error: 'no running chat channel for this workspace',
      });
      return 'deferred';
    }
    try {
      let ref: MessageRef | undefined;
      let outcome: 'sent' | 'recovered' = 'sent';
      // A claim that ran out (a crashed worker) or an earlier attempt that failed may still have
      // reached the platform (the answer was lost): look before sending again.
      if ((message.recovered || message.attempts > 1) && gateway.findSent) {
        ref = await this.findSent(gateway, message);
        if (ref) outcome = 'recovered';
      }
      ref ??= await gateway.send(message.workspaceId, message.target, message.view, message.key);
      await this.options
        .onDelivered?.(message, ref)
        .catch((error: unknown) =>
          logger.warn({ ...log, err: error }, 'outbox message delivered, but what follows failed'),
        );
      const recorded = await store.outbox.markSent(message.key, worker, { at: clock.now(), ref });
      if (!recorded) logger.warn(log, 'outbox message sent after its claim ran out');
      if (outcome === 'recovered') logger.info(log, 'outbox message found already delivered');
      return outcome;
    } catch (error) {
      const delivery = error instanceof DeliveryError ? error : undefined;
      const permanent = delivery?.permanent ?? false;
      const giveUp = permanent || message.attempts >= this.maxAttempts;
      const wait = delivery?.retryAfterMs ?? backoffMs(message.attempts);
      const text = error instanceof Error ? error.message : String(error);
      await store.outbox
        .release(message.key, worker, {
          nextAttemptAt: new Date(clock.now().getTime() + wait),
          error: text,
          failed: giveUp,
        })
        .catch((releaseError: unknown) =>
          logger.warn({ ...log, err: releaseError }, 'could not release an outbox claim'),
        );
      if (giveUp) {
        logger.error({ ...log, err: error }, 'outbox message given up');
        return 'failed';
      }
      logger.warn({ ...log, err: error, retryInMs: wait }, 'outbox message will be retried');
      return 'retried';
    }
  }

  /** Looks for the message on the platform; a lookup that cannot work does not block the send. */
  private async findSent(gateway: ChatGateway, message: OutboxMessage) {
    try {
      return await gateway.findSent!(
        message.workspaceId,
        message.target,
        message.key,
        new Date(message.createdAt.getTime() - FIND_SENT_SKEW_MS),
      );
    } catch (error) {
      if (error instanceof DeliveryError && error.permanent) {
        this.options.logger.warn(
          { key: message.key, err: error },
          'cannot check whether a recovered message was delivered; sending it',
        );
        return undefined;
      }
      throw error;
    }
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function pool<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(runners);
}

/** Every 10 seconds, and at once when something is enqueued (the scheduler's kick). */
export const OUTBOX_CRON = '*/10 * * * * *';
export const OUTBOX_JOB = 'outbox.deliver';

/** The scheduled job that drains the outbox. */
export function outboxJob(dispatcher: OutboxDispatcher, cron = OUTBOX_CRON): ScheduledJob {
  return { name: OUTBOX_JOB, cron, run: ({ signal }) => dispatcher.drain(signal) };
}
