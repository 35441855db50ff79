import { webApi, type types } from '@slack/bolt';
import Bottleneck from 'bottleneck';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import { renderBlocks, renderMessage } from './render-blocks.js';
import type { AcksFirst } from './acks-first.js';

type WebClient = webApi.WebClient;

/** Where a message was posted, to update it later. */
export interface PostedMessage {
  channelId: string;
  ts: string;
}

/** What Pebblebot needs to know about a Slack user. */
export interface SlackUser {
  name?: string;
  /** Workspace admin or owner (Slack's is_admin / is_owner). */
  admin: boolean;
  /** IANA time zone from the user's Slack profile (users.info `tz`). */
  tz?: string;
}

export const PostedSchema = z.looseObject({ channel: z.string(), ts: z.string() });

/** chat.postMessage arguments for a view, shared by the answering and the outbound gateways. */
export function postArgs(channel: string, view: MessageView, threadTs?: string) {
  return {
    channel,
    ...renderMessage(view),
    ...(threadTs ? { thread_ts: threadTs } : {}),
    unfurl_links: false,
  };
}
const UserInfoSchema = z.looseObject({
  user: z.looseObject({
    name: z.string().optional(),
    real_name: z.string().optional(),
    is_admin: z.boolean().optional(),
    is_owner: z.boolean().optional(),
    tz: z.string().nullish(),
    profile: z.looseObject({ display_name: z.string().optional() }).optional(),
  }),
});
const HistorySchema = z.looseObject({
  messages: z
    .array(
      z.looseObject({ ts: z.string(), text: z.string().optional(), user: z.string().optional() }),
    )
    .default([]),
});
const PermalinkSchema = z.looseObject({ permalink: z.url() });

export interface AnsweringClientOptions {
  /** How long one Web API request may take before it fails (default 10 s). */
  timeoutMs?: number;
  /** Requests in flight at once (default 16). */
  maxConcurrent?: number;
  /** Requests waiting for a slot before new ones are refused at once (default 500). */
  maxQueued?: number;
}

/**
 * Web API methods the answering client may send again when a request failed without an
 * answer: reads, and writes whose second call changes nothing (the same update again, the
 * same Home tab, the DM that is already open). Any other call (a post, a private message, a
 * file, a modal opened on a trigger) would show twice, so it is never sent again once Slack
 * may have received it; a person's answer lost that way is covered by what the caller says
 * next (see FollowUp.afterReport), and a message that must arrive goes through the outbox.
 */
const REPEATABLE: ReadonlySet<string> = new Set([
  'auth.test',
  'users.info',
  'usergroups.users.list',
  'conversations.info',
  'conversations.history',
  'conversations.replies',
  'chat.getPermalink',
  'conversations.open',
  'conversations.join',
  'chat.update',
  'views.update',
  'views.publish',
]);

/** The longest Retry-After an answer waits for: past it, the answer would come too late. */
const MAX_RETRY_AFTER_MS = 10_000;

/** A Web API client whose every call (shortcut methods included) passes one limiter. */
class BoundedWebClient extends webApi.WebClient {
  constructor(
    token: string,
    options: webApi.WebClientOptions,
    private readonly bounded: AnsweringBounds['schedule'],
  ) {
    super(token, options);
  }

  override apiCall(
    method: string,
    options?: Record<string, unknown>,
  ): Promise<webApi.WebAPICallResult> {
    return this.bounded(method, () => super.apiCall(method, options));
  }
}

/**
 * The Web API client that answers people (confirmations, forms, reads). Each request is
 * bounded in time with a few quick retries where a second copy is harmless (see
 * answeringBounds), not Slack's default half hour of them: an answer minutes late is useless,
 * and a failure reaches the person (or the outbox) while it still matters. Calls in flight are capped and the queue behind them is bounded, so a hanging Slack
 * API cannot pile up waiting reply chains.
 */
export function createAnsweringClient(
  token: string,
  base: webApi.WebClientOptions,
  options: AnsweringClientOptions = {},
): WebClient {
  const { clientOptions, schedule } = answeringBounds(base, options);
  return new BoundedWebClient(token, clientOptions, schedule);
}

/** What bounds an answering client (see answeringBounds). */
export interface AnsweringBounds {
  clientOptions: webApi.WebClientOptions;
  /** Runs one call of `method` through the limiter, retrying it as the method allows. */
  schedule: (
    method: string,
    call: () => Promise<webApi.WebAPICallResult>,
  ) => Promise<webApi.WebAPICallResult>;
}

/**
 * What bounds an answering client: its request timeout and quick retries, and the limiter
 * capping the calls in flight and the queue behind them (shared by the token and the OAuth
 * clients).
 *
 * The Web API client itself never retries (like the outbox's, see outboundClientOptions), as
 * its retry policy cannot tell a post from a read: a post whose answer timed out or whose
 * connection dropped may well be in the channel already, and sending it again shows it twice.
 * The limiter retries instead, by method: a 429 for any call (Slack did nothing with it) after
 * its Retry-After, a timeout, dropped connection or 5xx only for a REPEATABLE one.
 */
export function answeringBounds(
  base: webApi.WebClientOptions,
  options: AnsweringClientOptions,
): AnsweringBounds {
  const retries = Math.min(2, base.retryConfig?.retries ?? 2);
  const limiter = new Bottleneck({
    maxConcurrent: options.maxConcurrent ?? 16,
    highWater: options.maxQueued ?? 500,
    strategy: Bottleneck.strategy.OVERFLOW,
  });
  limiter.on('failed', (error: unknown, job) => {
    if (job.retryCount >= retries) return undefined;
    const [method] = job.args as [string];
    const { code, retryAfter } = (error ?? {}) as { code?: unknown; retryAfter?: unknown };
    if (code === webApi.ErrorCode.RateLimitedError && typeof retryAfter === 'number') {
      const wait = retryAfter * 1_000;
      return wait <= MAX_RETRY_AFTER_MS ? wait : undefined;
    }
    const unanswered =
      code === webApi.ErrorCode.RequestError || code === webApi.ErrorCode.HTTPError;
    return unanswered && REPEATABLE.has(method)
      ? Math.min(500 * 2 ** job.retryCount, 2_000)
      : undefined;
  });
  return {
    clientOptions: {
      ...base,
      timeout: options.timeoutMs ?? 10_000,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    },
    // The method rides along as the job's argument, which is where the failed handler reads it.
    schedule: (method, call) => limiter.schedule((_method: string) => call(), method),
  };
}

/** Slack's error code of a failed Web API call (`not_in_channel`…), if it is one. */
export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

/**
 * Every call Pebblebot makes to Slack: posting, updating, private answers, forms, App Home,
 * and the few reads it needs. Views arrive platform-neutral and leave as Block Kit.
 */
export class SlackGateway {
  /**
   * Answers through response_urls, a few at a time: after a burst (a council voting at once)
   * a thousand answers opened a thousand connections at once, and their CPU delayed the
   * acknowledgements of the requests still arriving. Queued answers wait for a slot, not CPU.
   */
  private readonly responses = new Bottleneck({ maxConcurrent: 8 });

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    /** When given, answers through response_urls wait for acknowledgements still due. */
    private readonly acks?: Pick<AcksFirst, 'deadline' | 'turn'>,
  ) {}

  /** Posts a message (in a thread when `threadTs` is given). */
  async post(channel: string, view: MessageView, threadTs?: string): Promise<PostedMessage> {
    const posted = PostedSchema.parse(
      await this.client.chat.postMessage(postArgs(channel, view, threadTs)),
    );
    return { channelId: posted.channel, ts: posted.ts };
  }

  /** Replaces a message the bot posted. */
  async update(message: PostedMessage, view: MessageView): Promise<void> {
    await this.client.chat.update({
      channel: message.channelId,
      ts: message.ts,
      ...renderMessage(view),
    });
  }

  /** A message only `user` sees, in a channel the bot is in. */
  async ephemeral(
    channel: string,
    user: string,
    view: MessageView,
    threadTs?: string,
  ): Promise<void> {
    await this.client.chat.postEphemeral({
      channel,
      user,
      ...renderMessage(view),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
  }

  /** A direct message from the bot (the app's Messages tab). */
  async dm(user: string, view: MessageView): Promise<void> {
    await this.client.chat.postMessage(postArgs(user, view));
  }

  /**
   * A private answer where the user can see it: in the channel when there is one the bot can
   * post to, otherwise (or when the bot is not in it) as a direct message.
   */
  async tell(user: string, view: MessageView, channel?: string): Promise<void> {
    if (channel && !channel.startsWith('D')) {
      try {
        await this.ephemeral(channel, user, view);
        return;
      } catch (error) {
        const code = slackErrorCode(error);
        if (!code || !['not_in_channel', 'channel_not_found', 'is_archived'].includes(code))
          throw error;
      }
    }
    await this.dm(user, view);
  }

  /**
   * Answers through an interaction's response_url (private by default), replacing the message
   * the interaction came from when asked. Works in channels the bot is not in.
   */
  async respond(
    responseUrl: string,
    view: MessageView,
    options: { replaceOriginal?: boolean; deleteOriginal?: boolean } = {},
  ): Promise<void> {
    const deadline = this.acks?.deadline();
    const response = await this.responses.schedule(async () => {
      if (deadline !== undefined) await this.acks?.turn(deadline);
      return fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          response_type: 'ephemeral',
          ...(options.replaceOriginal ? { replace_original: true } : { replace_original: false }),
          ...(options.deleteOriginal ? { delete_original: true } : {}),
          ...renderMessage(view),
        }),
        signal: AbortSignal.timeout(10_000),
      });
    });
    if (!response.ok) {
      // NOTE: a response_url takes 5 answers within 30 minutes; past that Slack says 404.
      throw new Error(`response_url answered ${response.status}`);
    }
  }

  /** Opens a modal; call it right after the acknowledgement (a trigger_id lives 3 s). */
  async openView(
    triggerId: string,
    view: types.ModalView,
  ): Promise<{ id?: string; hash?: string }> {
    const opened = await this.client.views.open({ trigger_id: triggerId, view });
    return {
      ...(opened.view?.id ? { id: opened.view.id } : {}),
      ...(opened.view?.hash ? { hash: opened.view.hash } : {}),
    };
  }

  /**
   * Replaces an open modal; with `hash`, only if nothing changed it meanwhile (Slack answers
   * `hash_conflict` then, and the person's form stays as it is).
   */
  async updateView(viewId: string, view: types.ModalView, hash?: string): Promise<void> {
    await this.client.views.update({ view_id: viewId, view, ...(hash ? { hash } : {}) });
  }

  /** Publishes the user's Home tab. */
  async publishHome(user: string, view: types.HomeView): Promise<void> {
    await this.client.views.publish({ user_id: user, view });
  }

  /** Renders a view for a modal or Home tab body. */
  static modalBlocks(view: MessageView): types.KnownBlock[] {
    return renderBlocks(view, 'modal');
  }

  /** A link to a message, or undefined when Slack will not give one. */
  async permalink(channel: string, ts: string): Promise<string | undefined> {
    try {
      const result = await this.client.chat.getPermalink({ channel, message_ts: ts });
      return PermalinkSchema.parse(result).permalink;
    } catch (error) {
      this.logger.warn({ err: error, code: slackErrorCode(error) }, 'no permalink for a message');
      return undefined;
    }
  }

  /** The text and author of one message (top level or in a thread), when the bot may read it. */
  async message(channel: string, ts: string): Promise<{ text: string; user?: string } | undefined> {
    const find = (messages: z.infer<typeof HistorySchema>['messages']) => {
      const found = messages.find((m) => m.ts === ts);
      return found
        ? { text: found.text ?? '', ...(found.user ? { user: found.user } : {}) }
        : undefined;
    };
    const only = { channel, latest: ts, oldest: ts, inclusive: true, limit: 1 };
    try {
      const top = find(HistorySchema.parse(await this.client.conversations.history(only)).messages);
      if (top) return top;
      // A reply in a thread is not in the channel's history.
      const replies = await this.client.conversations.replies({ ...only, ts });
      return find(HistorySchema.parse(replies).messages);
    } catch (error) {
      this.logger.warn({ err: error, code: slackErrorCode(error) }, 'could not read a message');
      return undefined;
    }
  }

  /** Name and admin flag of a user (users.info). */
  async user(userId: string): Promise<SlackUser> {
    const { user } = UserInfoSchema.parse(await this.client.users.info({ user: userId }));
    const name = user.profile?.display_name || user.real_name || user.name;
    return {
      ...(name ? { name } : {}),
      admin: user.is_admin === true || user.is_owner === true,
      ...(user.tz ? { tz: user.tz } : {}),
    };
  }

  /** Joins a public channel; false when the bot has to be invited (private channels). */
  async join(channel: string): Promise<boolean> {
    try {
      await this.client.conversations.join({ channel });
      return true;
    } catch (error) {
      const code = slackErrorCode(error);
      if (
        code === 'method_not_supported_for_channel_type' ||
        code === 'channel_not_found' ||
        code === 'is_private'
      )
        return false;
      throw error;
    }
  }
}
