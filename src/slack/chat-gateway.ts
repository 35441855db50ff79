import { webApi } from '@slack/bolt';
import Bottleneck from 'bottleneck';
import { z } from 'zod';
import type { ChatGateway, ChatTarget, MessageRef } from '../core/shared/chat-gateway.port.js';
import { DeliveryError } from '../core/shared/outbox.port.js';
import type { Logger } from '../logger.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import { PostedSchema, postArgs, slackErrorCode } from './gateway.js';
import { renderMessage, slackPlain } from './render-blocks.js';

type WebClient = webApi.WebClient;

// Bounds of our own (no documented Slack limit was found): a runaway title must not fail an upload.
const FILE_TITLE_MAX = 250;
const ALT_TEXT_MAX = 2_000;

/** Message metadata that marks what Pebblebot's outbox posted, so a lost answer can be found. */
export const OUTBOX_EVENT_TYPE = 'pebblebot_outbox';

export interface SlackChatGatewayOptions {
  // NOTE: chat.postMessage allows 1 message per second per channel, with short bursts
  // (docs.slack.dev/apis/web-api/rate-limits).
  /** Minimum spacing of messages to one channel (or DM). */
  perChannelMinTimeMs?: number;
  /** Sends in flight at once for the workspace. */
  maxConcurrent?: number;
  /** How long one Web API request may take (bounded, so an outbox claim outlives it). */
  requestTimeoutMs?: number;
  /** History pages read when looking for a message that may have been sent. */
  historyPages?: number;
}

/** Slack errors that no retry can fix: the outbox gives such a message up at once. */
const PERMANENT = new Set([
  'channel_not_found',
  'user_not_found',
  'users_not_found',
  'not_in_channel',
  'is_archived',
  'account_inactive',
  'user_disabled',
  'cannot_dm_bot',
  'messages_tab_disabled',
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_too_long',
  'no_text',
  'restricted_action',
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'missing_scope',
  'team_access_not_granted',
  'ekm_access_denied',
  'invalid_metadata_format',
]);

const OpenedSchema = z.looseObject({ channel: z.looseObject({ id: z.string() }) });
const HistorySchema = z.looseObject({
  messages: z
    .array(
      z.looseObject({
        ts: z.string(),
        metadata: z
          .looseObject({ event_type: z.string(), event_payload: z.looseObject({}).optional() })
          .optional(),
      }),
    )
    .default([]),
  has_more: z.boolean().optional(),
  response_metadata: z.looseObject({ next_cursor: z.string().optional() }).optional(),
});

/**
 * Web API client options for outbound messages: a 429 comes straight back (rejected with its
 * Retry-After, which the outbox honours by rescheduling the message) instead of the client
 * sleeping inside a claim, and every request is bounded in time.
 *
 * The client never retries by itself: a post whose answer timed out may well be in the channel
 * already, and the client would post it again. The outbox retries instead, and first looks
 * for the message by its key (findSent), so a lost answer never makes a second copy.
 */
export function outboundClientOptions(
  base: webApi.WebClientOptions,
  requestTimeoutMs = 15_000,
): webApi.WebClientOptions {
  return {
    ...base,
    rejectRateLimitedCalls: true,
    timeout: requestTimeoutMs,
    retryConfig: { retries: 0 },
  };
}

/**
 * The core ChatGateway port over Slack, for everything the scheduler and the outbox send
 * (nudges, escalations, close-the-loop DMs, digests). It renders views with the same Block Kit
 * renderer as SlackGateway, marks each message with its outbox key in Slack message metadata
 * (so `findSent` can find it after a crash), and honours Slack's limits with Bottleneck: one
 * message per second per channel, a cap on sends in flight, and a pause on a channel after a
 * 429 for its Retry-After.
 */
export class SlackChatGateway implements ChatGateway {
  private readonly channels: Bottleneck.Group;
  private readonly workspace: Bottleneck;
  /** Channels Slack asked us to leave alone, until when (ms since epoch). */
  private readonly pausedUntil = new Map<string, number>();
  private readonly dmChannels = new Map<string, string>();
  private readonly historyPages: number;

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    options: SlackChatGatewayOptions = {},
  ) {
    this.channels = new Bottleneck.Group({
      maxConcurrent: 1,
      minTime: options.perChannelMinTimeMs ?? 1_000,
    });
    this.workspace = new Bottleneck({ maxConcurrent: options.maxConcurrent ?? 4 });
    this.historyPages = options.historyPages ?? 3;
  }

  async send(
    _workspaceId: string,
    target: ChatTarget,
    view: MessageView,
    idempotencyKey?: string,
  ): Promise<MessageRef> {
    const channel = target.kind === 'dm' ? target.userId : target.channelId;
    const result = await this.limited(channel, () =>
      this.client.chat.postMessage({
        ...postArgs(channel, view, target.kind === 'channel' ? target.threadId : undefined),
        ...(idempotencyKey
          ? { metadata: { event_type: OUTBOX_EVENT_TYPE, event_payload: { key: idempotencyKey } } }
          : {}),
      }),
    );
    const posted = PostedSchema.parse(result);
    if (target.kind === 'dm') this.dmChannels.set(target.userId, posted.channel);
    return { channelId: posted.channel, messageId: posted.ts };
  }

  async update(_workspaceId: string, ref: MessageRef, view: MessageView): Promise<void> {
    await this.limited(ref.channelId, () =>
      this.client.chat.update({
        channel: ref.channelId,
        ts: ref.messageId,
        ...renderMessage(view),
      }),
    );
  }

  async uploadImage(
    _workspaceId: string,
    target: ChatTarget,
    image: { data: Buffer; filename: string; title: string; altText: string },
  ): Promise<void> {
    // File titles and alt text are shown as plain text: view tokens read as names.
    await this.upload(target, image.data, image.filename, image.title, {
      alt_text: slackPlain(image.altText, ALT_TEXT_MAX),
    });
  }

  /** Uploads a file (an export's CSV) with Slack's external upload, shared into the target. */
  async uploadFile(
    _workspaceId: string,
    target: ChatTarget,
    file: { data: Buffer; filename: string; title: string; mimeType: string },
  ): Promise<void> {
    await this.upload(target, file.data, file.filename, file.title);
  }

  /**
   * files.getUploadURLExternal, the bytes, then files.completeUploadExternal into the target's
   * conversation (a DM is opened first).
   */
  private async upload(
    target: ChatTarget,
    data: Buffer,
    filename: string,
    title: string,
    extra: { alt_text?: string } = {},
  ): Promise<void> {
    const channel = await this.channelOf(target);
    const file = {
      channel_id: channel,
      file: data,
      filename,
      title: slackPlain(title, FILE_TITLE_MAX),
      ...extra,
    };
    // In a thread (the digest's chart under its message) rather than as a post of its own.
    const thread = target.kind === 'channel' ? target.threadId : undefined;
    await this.limited(channel, () =>
      thread
        ? this.client.filesUploadV2({ ...file, thread_ts: thread })
        : this.client.filesUploadV2(file),
    );
  }

  /**
   * Looks through the channel's (or DM's) history since `since` for the message the outbox
   * posted with this key. Needs the history scope of the conversation type (im:history for
   * DMs, channels:history / groups:history for channels).
   */
  async findSent(
    _workspaceId: string,
    target: ChatTarget,
    idempotencyKey: string,
    since: Date,
  ): Promise<MessageRef | undefined> {
    const channel = await this.channelOf(target);
    let cursor: string | undefined;
    for (let page = 0; page < this.historyPages; page++) {
      const history = HistorySchema.parse(
        await this.call(() =>
          this.client.conversations.history({
            channel,
            oldest: (since.getTime() / 1000).toFixed(6),
            include_all_metadata: true,
            limit: 200,
            ...(cursor ? { cursor } : {}),
          }),
        ),
      );
      const found = history.messages.find(
        (m) =>
          m.metadata?.event_type === OUTBOX_EVENT_TYPE &&
          m.metadata.event_payload?.key === idempotencyKey,
      );
      if (found) return { channelId: channel, messageId: found.ts };
      cursor = history.response_metadata?.next_cursor;
      if (!history.has_more || !cursor) break;
    }
    return undefined;
  }

  /** The conversation id of a target (a DM is opened, once, to learn its id). */
  private async channelOf(target: ChatTarget): Promise<string> {
    if (target.kind === 'channel') return target.channelId;
    const known = this.dmChannels.get(target.userId);
    if (known) return known;
    const opened = OpenedSchema.parse(
      await this.call(() => this.client.conversations.open({ users: target.userId })),
    );
    this.dmChannels.set(target.userId, opened.channel.id);
    return opened.channel.id;
  }

  /** A call to one channel, spaced per channel, capped per workspace, paused after a 429. */
  private limited<T>(channel: string, call: () => Promise<T>): Promise<T> {
    return this.channels.key(channel).schedule(() =>
      this.workspace.schedule(() => {
        const paused = (this.pausedUntil.get(channel) ?? 0) - Date.now();
        if (paused > 0)
          return Promise.reject(
            new DeliveryError(`Slack asked to wait before posting to ${channel}`, {
              retryAfterMs: paused,
            }),
          );
        return this.call(call, channel);
      }),
    );
  }

  /** Runs a Web API call, turning its failure into a DeliveryError the outbox understands. */
  private async call<T>(call: () => Promise<T>, channel?: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.toDeliveryError(error, channel);
    }
  }

  private toDeliveryError(error: unknown, channel?: string): DeliveryError {
    if (error instanceof DeliveryError) return error;
    const coded = error as { code?: string; retryAfter?: number };
    if (coded.code === webApi.ErrorCode.RateLimitedError) {
      const retryAfterMs = Math.max(1, coded.retryAfter ?? 1) * 1_000;
      if (channel) this.pausedUntil.set(channel, Date.now() + retryAfterMs);
      this.logger.warn({ channel, retryAfterMs }, 'Slack rate limit: pausing this channel');
      return new DeliveryError('Slack answered 429 (rate limited)', { retryAfterMs, cause: error });
    }
    const code = slackErrorCode(error);
    if (code === 'ratelimited')
      return new DeliveryError('Slack said ratelimited', { retryAfterMs: 60_000, cause: error });
    if (code && PERMANENT.has(code))
      return new DeliveryError(`Slack refused it: ${code}`, { permanent: true, cause: error });
    const message = error instanceof Error ? error.message : String(error);
    return new DeliveryError(code ? `Slack error ${code}` : message, { cause: error });
  }
}

/** Builds the outbound gateway with its own bounded client (see outboundClientOptions). */
export function createSlackChatGateway(
  token: string,
  clientOptions: webApi.WebClientOptions,
  logger: Logger,
  options: SlackChatGatewayOptions = {},
): SlackChatGateway {
  const client = new webApi.WebClient(
    token,
    outboundClientOptions(clientOptions, options.requestTimeoutMs),
  );
  return new SlackChatGateway(client, logger, options);
}
