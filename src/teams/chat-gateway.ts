import { setTimeout as sleep } from 'node:timers/promises';
import {
  ActivityTypes,
  type CloudAdapter,
  type ConversationReference,
  type TurnContext,
} from 'botbuilder';
import Bottleneck from 'bottleneck';
import { z } from 'zod';
import type { ChatGateway, ChatTarget, MessageRef } from '../core/shared/chat-gateway.port.js';
import { DeliveryError } from '../core/shared/outbox.port.js';
import type { Logger } from '../logger.js';
import type { ConversationAddress } from '../core/ports/conversations.port.js';
import type { Store } from '../core/ports/store.port.js';
import { ACTIONS } from '../views/actions.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import type { ChartUrls } from './chart-images.js';
import { renderCard, type RenderCardOptions } from './render-card.js';

/** A send window: at most `max` messages in any `ms` milliseconds. */
export interface SendWindow {
  ms: number;
  max: number;
}

// NOTE: Teams allows per bot per conversation 7 messages per second, 8 per 2 s, 60 per 30 s
// and 1,800 per hour (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit).
export const TEAMS_CONVERSATION_WINDOWS: SendWindow[] = [
  { ms: 1_000, max: 7 },
  { ms: 2_000, max: 8 },
  { ms: 30_000, max: 60 },
  { ms: 3_600_000, max: 1_800 },
];
// NOTE: 30 requests per second per app per tenant on the older page, 50 on the newer: plan for 30.
const TENANT_PER_SECOND = 30;
/** Statuses Teams asks a bot to retry (with backoff, honouring Retry-After). */
const RETRYABLE = new Set([412, 429, 502, 503, 504]);

export interface TeamsChatGatewayOptions {
  windows?: SendWindow[];
  tenantPerSecond?: number;
  /** Tries of one send, the first included, before the outbox takes over. */
  maxAttempts?: number;
  /** First backoff step without Retry-After (doubled each try, with jitter). */
  backoffMs?: number;
  /** A longer wait (Retry-After, a full window) goes back to the outbox instead of sleeping. */
  maxInlineWaitMs?: number;
  /** Where digest charts are served (PUBLIC_URL); without it, digests carry the chart as text. */
  chartUrls?: ChartUrls;
}

/** A person or conversation the bot has no address for: they never installed it there. */
export class NoConversationReferenceError extends DeliveryError {
  readonly code = 'TEAMS.NO_REFERENCE';
  constructor(
    readonly workspaceId: string,
    readonly target: ChatTarget,
  ) {
    super(
      target.kind === 'dm'
        ? `${target.userId} has not installed Pebblebot in Teams (no personal chat to write to)`
        : `Pebblebot is not installed in the Teams conversation ${target.channelId}`,
      { permanent: true },
    );
  }
}

/** A conversation that blocked or uninstalled the bot (Teams answered 403). */
export class ConversationBlockedError extends DeliveryError {
  readonly code = 'TEAMS.BLOCKED';
  constructor(
    readonly conversationId: string,
    reason: string,
  ) {
    super(`Teams conversation ${conversationId} is blocked: ${reason}`, { permanent: true });
  }
}

const ReferenceSchema = z.looseObject({
  serviceUrl: z.url(),
  channelId: z.string().min(1),
  conversation: z.looseObject({ id: z.string().min(1) }),
});

interface HttpFailure {
  status?: number;
  retryAfterMs?: number;
  code?: string;
}

/** The status, Retry-After and error code of a failed connector call, whatever its shape. */
function httpFailure(error: unknown): HttpFailure {
  const e = error as {
    statusCode?: number;
    status?: number;
    code?: string;
    response?: {
      status?: number;
      headers?: { get?: (name: string) => string | undefined } & Record<string, unknown>;
    };
  };
  const status = e.statusCode ?? e.response?.status ?? e.status;
  const headers = e.response?.headers;
  const raw = headers?.get?.('retry-after') ?? (headers?.['retry-after'] as string | undefined);
  let retryAfterMs: number | undefined;
  if (raw !== undefined) {
    const seconds = Number(raw);
    retryAfterMs = Number.isFinite(seconds)
      ? Math.max(0, seconds * 1_000)
      : Math.max(0, Date.parse(raw) - Date.now()) || undefined;
  }
  return {
    ...(typeof status === 'number' ? { status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
  };
}

/**
 * Takes the HTTP pipeline's own retry policy off this turn's connector client.
 * NOTE: it sleeps for Retry-After inside the call (minutes, three times over) and retries
 * without the conversation's send windows; this gateway retries itself and hands long waits
 * back to the outbox.
 */
function withoutSdkRetries(context: TurnContext): void {
  type Connector = { client?: { pipeline?: { removePolicy(options: { name: string }): unknown } } };
  const connector = context.turnState.get<Connector | undefined>(
    context.adapter.ConnectorClientKey,
  );
  connector?.client?.pipeline?.removePolicy({ name: 'defaultRetryPolicy' });
}

/**
 * The address of a reply in a channel thread (the digest's details under its card): Teams
 * names a thread by its first message's id after the channel's (`19:…;messageid=…`).
 */
function inThread(address: ConversationAddress, target: ChatTarget): ConversationAddress {
  if (target.kind !== 'channel' || !target.threadId || address.kind !== 'channel') return address;
  const reference = address.reference as { conversation?: Record<string, unknown> };
  if (!reference.conversation) return address;
  return {
    ...address,
    reference: {
      ...address.reference,
      conversation: {
        ...reference.conversation,
        id: `${address.conversationId};messageid=${target.threadId}`,
      },
    },
  };
}

/** Sliding windows per conversation: how long until one more message fits all of them. */
class SendWindows {
  private readonly sent = new Map<string, number[]>();
  private readonly longest: number;

  constructor(private readonly windows: SendWindow[]) {
    this.longest = Math.max(...windows.map((w) => w.ms));
  }

  waitMs(key: string, now: number): number {
    const times = (this.sent.get(key) ?? []).filter((t) => t > now - this.longest);
    this.sent.set(key, times);
    let wait = 0;
    for (const w of this.windows) {
      const inWindow = times.filter((t) => t > now - w.ms);
      if (inWindow.length >= w.max)
        wait = Math.max(wait, inWindow[inWindow.length - w.max]! + w.ms - now);
    }
    return wait;
  }

  record(key: string, now: number): void {
    const times = this.sent.get(key) ?? [];
    times.push(now);
    this.sent.set(key, times);
  }
}

/**
 * The core ChatGateway port over Teams: proactive sends (nudges, reminders, decisions,
 * close-the-loop, digests) through `continueConversationAsync` with the conversation
 * references the channel stored. Sends keep to Teams' limits per conversation (sliding
 * windows, one at a time) and per tenant, retry 412/429/502/503/504 with backoff honouring
 * Retry-After, and a 403 marks the conversation blocked so nothing more is sent there.
 * The windows are per process; replicas share Teams' budget, so each stays well inside it.
 */
export class TeamsChatGateway implements ChatGateway {
  private readonly conversations = new Bottleneck.Group({ maxConcurrent: 1 });
  private readonly tenants: Bottleneck.Group;
  private readonly windows: SendWindows;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxInlineWaitMs: number;
  private readonly chartUrls: ChartUrls | undefined;

  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    private readonly store: Store,
    private readonly logger: Logger,
    options: TeamsChatGatewayOptions = {},
  ) {
    const perSecond = options.tenantPerSecond ?? TENANT_PER_SECOND;
    this.tenants = new Bottleneck.Group({
      minTime: Math.ceil(1_000 / perSecond),
      maxConcurrent: perSecond,
    });
    this.windows = new SendWindows(options.windows ?? TEAMS_CONVERSATION_WINDOWS);
    this.maxAttempts = options.maxAttempts ?? 4;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxInlineWaitMs = options.maxInlineWaitMs ?? 10_000;
    this.chartUrls = options.chartUrls;
  }

  async send(workspaceId: string, target: ChatTarget, view: MessageView): Promise<MessageRef> {
    const address = inThread(await this.addressOf(workspaceId, target), target);
    const { card } = renderCard(view, await this.refreshOf(workspaceId, view));
    const id = await this.deliver(address, async (context) => {
      const sent = await context.sendActivity({
        type: ActivityTypes.Message,
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
      });
      return sent?.id;
    });
    return { channelId: address.conversationId, messageId: id ?? '' };
  }

  async update(workspaceId: string, ref: MessageRef, view: MessageView): Promise<void> {
    const address = await this.addressOf(workspaceId, {
      kind: 'channel',
      channelId: ref.channelId,
    });
    const { card } = renderCard(view, await this.refreshOf(workspaceId, view));
    await this.deliver(address, async (context) => {
      await context.updateActivity({
        type: ActivityTypes.Message,
        id: ref.messageId,
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
      });
      return ref.messageId;
    });
  }

  /**
   * The digest card with its chart as an Image, fetched by Teams from this server's public
   * address; undefined (nothing sent) when there is no public address to give.
   */
  async sendWithChart(
    workspaceId: string,
    target: ChatTarget,
    view: MessageView,
    chart: { workspaceId: string; period: string; altText: string },
  ): Promise<MessageRef | undefined> {
    if (!this.chartUrls) return undefined;
    const address = await this.addressOf(workspaceId, target);
    const image = {
      url: this.chartUrls.url(chart.workspaceId, chart.period),
      altText: chart.altText,
    };
    const { card } = renderCard(view, { image });
    const id = await this.deliver(address, async (context) => {
      const sent = await context.sendActivity({
        type: ActivityTypes.Message,
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
      });
      return sent?.id;
    });
    return { channelId: address.conversationId, messageId: id ?? '' };
  }

  /**
   * NOTE: bots cannot upload files to a Teams channel, and an image inlined as a data: URL
   * makes a message of tens of KB that Teams may refuse (413 above about 100 KB): images are
   * shown from a public address inside a card instead (sendWithChart). Refusing here sends the
   * digest's chart as numbers in its details.
   */
  uploadImage(): Promise<void> {
    return Promise.reject(
      new DeliveryError(
        'Teams shows images only from a public address: set PUBLIC_URL to put the chart in the digest card',
        { permanent: true },
      ),
    );
  }

  /**
   * A vote message refreshes itself for the council's members while the vote is open: each
   * member opening the conversation gets the card from the bot (their own view of it), so the
   * turnout stays current without the bot broadcasting every ballot.
   */
  private async refreshOf(workspaceId: string, view: MessageView): Promise<RenderCardOptions> {
    for (const block of view.blocks) {
      if (block.type !== 'actions') continue;
      const ballot = block.buttons.find((b) => b.actionId === ACTIONS.councilBallot);
      const number = Number(ballot?.value?.split(':')[0]);
      if (!ballot || !Number.isInteger(number) || number <= 0) continue;
      const vote = await this.store.votes.get(workspaceId, number);
      if (vote?.status !== 'open') return {};
      return {
        refresh: {
          actionId: ACTIONS.councilBallot,
          value: String(number),
          userIds: vote.electorate.map((m) => m.userId),
        },
      };
    }
    return {};
  }

  /** The stored address of a target; a typed, permanent failure when there is none. */
  private async addressOf(workspaceId: string, target: ChatTarget): Promise<ConversationAddress> {
    const address =
      target.kind === 'dm'
        ? await this.store.conversations.byUser(workspaceId, target.userId)
        : await this.store.conversations.byConversation(workspaceId, target.channelId);
    if (!address) {
      const error = new NoConversationReferenceError(workspaceId, target);
      this.logger.info({ workspaceId, target }, `Teams send skipped: ${error.message}`);
      throw error;
    }
    if (address.blockedAt)
      throw new ConversationBlockedError(
        address.conversationId,
        address.blockedReason ?? 'blocked',
      );
    return address;
  }

  /** One proactive turn in a conversation, within the limits, retried as Teams asks. */
  private deliver<T>(
    address: ConversationAddress,
    logic: (context: TurnContext) => Promise<T>,
  ): Promise<T> {
    const reference = ReferenceSchema.safeParse(address.reference);
    if (!reference.success)
      return Promise.reject(
        new DeliveryError(`Stored Teams reference of ${address.conversationId} is not usable`, {
          permanent: true,
        }),
      );
    const key = `${address.workspaceId}|${address.conversationId}`;
    return this.conversations.key(key).schedule(async () => {
      for (let attempt = 1; ; attempt++) {
        const wait = this.windows.waitMs(key, Date.now());
        if (wait > this.maxInlineWaitMs)
          throw new DeliveryError(`Teams send limit reached for ${address.conversationId}`, {
            retryAfterMs: wait,
          });
        if (wait > 0) await sleep(wait);
        try {
          return await this.tenants.key(address.workspaceId).schedule(() => {
            this.windows.record(key, Date.now());
            return this.turn(reference.data as unknown as Partial<ConversationReference>, logic);
          });
        } catch (error) {
          const failure = httpFailure(error);
          if (failure.status === 403) {
            const reason = failure.code ?? 'Teams answered 403 (blocked or uninstalled)';
            await this.store.conversations.markBlocked(
              address.workspaceId,
              address.conversationId,
              new Date(),
              reason,
            );
            this.logger.warn(
              { conversationId: address.conversationId, reason },
              'Teams conversation blocked: sends stopped',
            );
            throw new ConversationBlockedError(address.conversationId, reason);
          }
          if (failure.status === undefined || !RETRYABLE.has(failure.status)) {
            const message = error instanceof Error ? error.message : String(error);
            throw new DeliveryError(
              failure.status
                ? `Teams refused the message (${failure.status}): ${message}`
                : message,
              { permanent: failure.status !== undefined && failure.status < 500, cause: error },
            );
          }
          const backoff =
            failure.retryAfterMs ?? this.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
          if (attempt >= this.maxAttempts || backoff > this.maxInlineWaitMs)
            throw new DeliveryError(`Teams answered ${failure.status}; retry later`, {
              retryAfterMs: Math.max(backoff, 1_000),
              cause: error,
            });
          this.logger.debug({ status: failure.status, backoff, attempt }, 'Teams send retried');
          await sleep(backoff);
        }
      }
    });
  }

  private async turn<T>(
    reference: Partial<ConversationReference>,
    logic: (context: TurnContext) => Promise<T>,
  ): Promise<T> {
    let result: T | undefined;
    // Caught here: the adapter would hand a failure to its onTurnError and resolve.
    let failure: { error: unknown } | undefined;
    await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
      withoutSdkRetries(context);
      try {
        result = await logic(context);
      } catch (error) {
        failure = { error };
      }
    });
    if (failure) throw failure.error;
    return result as T;
  }
}
