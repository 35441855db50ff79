import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  App,
  HTTPModuleFunctions,
  HTTPReceiver,
  HTTPResponseAck,
  SocketModeReceiver,
  verifySlackRequest,
  webApi,
  type AnyMiddlewareArgs,
  type Middleware,
  type ReceiverEvent,
} from '@slack/bolt';
import type { Channel } from '../channel.js';
import { HttpRefusal, readBody } from '../http/read-body.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { boltLogger } from './bolt-logger.js';
import { ACKNOWLEDGE_PROPERTY, contextMiddleware, EVENTS_STORED_BEFORE_ACK } from './context.js';
import { checkEnvelope, parseRawBody } from './envelope.js';
import { Cards } from '../conversation/cards.js';
import { FollowUp } from './follow-up.js';
import { createSlackChatGateway } from './chat-gateway.js';
import { SlackCouncilDirectory } from './council-directory.js';
import {
  createAnsweringClient,
  slackErrorCode,
  SlackGateway,
  type AnsweringClientOptions,
} from './gateway.js';
import { registerListeners } from './listeners/index.js';
import { SLASH_COMMAND } from './listeners/commands.js';
import { createRegistrar, type ListenerIds, type SlackDeps } from './listeners/registry.js';
import { baseActionId } from './render-blocks.js';
import { AcksFirst } from './acks-first.js';
import { InstallationChatGateway } from './oauth/installation-chat-gateway.js';
import { createInstallRoutes, INSTALL_PATH, REDIRECT_PATH } from './oauth/install-routes.js';
import { Installations } from './oauth/installations.js';
import { TokenCipher } from './oauth/token-cipher.js';
import { createScopedAnsweringClient, TokenScope } from './oauth/token-scope.js';
import { registerUninstall } from './oauth/uninstall.js';
import { ReplayGuard } from './replay-guard.js';

export const EVENTS_PATH = '/slack/events';
/** Slack's largest payloads (a message shortcut on a long message) are far below this. */
const BODY_LIMIT_BYTES = 1024 * 1024;
/** How long stopping waits for listeners still working after their acknowledgement. */
const DRAIN_MS = 10_000;
const FATAL_AUTH_ERRORS = ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked'];
// NOTE: Slack asks to reject request timestamps more than 5 minutes off
// (api.slack.com/docs/verifying-requests-from-slack); Bolt's verifySlackRequest only rejects the
// past, so a request signed for the future would stay replayable until then.
const MAX_CLOCK_SKEW_SEC = 5 * 60;

/** True when a request timestamp (seconds) lies more than 5 minutes ahead of this clock. */
export function fromTheFuture(timestampSec: number, nowMs = Date.now()): boolean {
  return timestampSec > Math.floor(nowMs / 1000) + MAX_CLOCK_SKEW_SEC;
}

export interface SlackChannelOptions {
  /** Web API client options on top of the defaults (tests turn retries off). */
  clientOptions?: webApi.WebClientOptions;
  /** Bounds of the client that answers people (request timeout, concurrency). */
  answering?: AnsweringClientOptions;
  /** Socket Mode client options (tests turn reconnection off). */
  socketMode?: { autoReconnectEnabled?: boolean };
}

/** A running Slack channel; `listeners` lists what it registered. */
export type SlackChannel = Channel & { readonly listeners: ListenerIds };

function send(res: ServerResponse, status: number, body?: string): void {
  res.writeHead(status, body ? { 'content-type': 'text/plain; charset=utf-8' } : {});
  res.end(body);
}

/** Counts listener chains still running (they go on after the ack), to let them finish on stop. */
function inFlightTracker() {
  let running = 0;
  let idle: (() => void) | undefined;
  const middleware: Middleware<AnyMiddlewareArgs> = async ({ next }) => {
    running++;
    try {
      await next();
    } finally {
      running--;
      if (running === 0) idle?.();
    }
  };
  const drained = (timeoutMs: number) =>
    running === 0
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => (idle = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
        ]);
  return { middleware, drained };
}

/**
 * How long an event's HTTP response stays open while its write runs.
 * NOTE: Slack redelivers an event not acknowledged within 3 s. Past that, holding on is still
 * right: the listeners that hold their ack are idempotent by content, so a redelivery that
 * meets the first still at work adds nothing, while an ack sent before the write would let a
 * crash lose the event. When the write is still running at this deadline the receiver answers
 * 404 (not acknowledged): Slack redelivers, and nothing unsaved was ever acknowledged.
 */
const EVENT_ACK_DEADLINE_MS = 10_000;

/**
 * Runs an event through the app, holding its acknowledgement when its listener stores what it
 * asks for (a pebble from a mention or reaction, a +1): Bolt acknowledges events before any
 * listener runs, and Slack redelivers an event only when it was not acknowledged, so sending
 * the ack once the write is done (PebbleContext.acknowledge) or when the listener ends, and
 * never on a timer, is what lets a crash lose nothing acknowledged.
 */
async function processHoldingAck(app: App, event: ReceiverEvent): Promise<void> {
  const body = event.body as { type?: unknown; event?: { type?: unknown } };
  const type = typeof body.event?.type === 'string' ? body.event.type : '';
  if (body.type !== 'event_callback' || !EVENTS_STORED_BEFORE_ACK.has(type)) {
    await app.processEvent(event);
    return;
  }
  let sent: Promise<void> | undefined;
  // Past the receiver's deadline the response is already answered (404): the late ack has
  // nowhere to go, and the redelivery Slack sends instead finds the event stored.
  const acknowledge = () => (sent ??= event.ack().catch(() => undefined));
  try {
    await app.processEvent({
      ...event,
      ack: () => Promise.resolve(),
      customProperties: { ...event.customProperties, [ACKNOWLEDGE_PROPERTY]: acknowledge },
    });
  } finally {
    await acknowledge();
  }
}

/**
 * Acknowledges what no listener handles (a button from an older version, an unknown command)
 * with a friendly word instead of letting Slack time out, so no control is ever a dead end.
 */
function unknownInteractionGuard(ids: ListenerIds, deps: SlackDeps): Middleware<AnyMiddlewareArgs> {
  // Read at the first request: the listeners are registered after this guard.
  let actions: ReadonlySet<string> | undefined;
  return async (args) => {
    const body = args.body as Record<string, unknown> & {
      command?: string;
      type?: string;
      callback_id?: string;
      actions?: { action_id: string }[];
      view?: { callback_id: string };
      response_url?: string;
      action_id?: unknown;
    };
    let known = true;
    if (typeof body.command === 'string') known = ids.commands.includes(body.command);
    else if (body.type === 'block_actions')
      known = (actions ??= new Set(ids.actions)).has(
        baseActionId(body.actions?.[0]?.action_id ?? ''),
      );
    else if (body.type === 'view_submission')
      known = ids.views.includes(body.view?.callback_id ?? '');
    else if (body.type === 'view_closed') known = false;
    else if (body.type === 'block_suggestion')
      known = typeof body.action_id === 'string' && ids.options.includes(body.action_id);
    else if (body.type === 'shortcut' || body.type === 'message_action')
      known = ids.shortcuts.includes(body.callback_id ?? '');
    if (known) {
      await args.next();
      return;
    }
    if ('ack' in args && typeof args.ack === 'function') await args.ack();
    if (body.type === 'view_closed') return;
    deps.logger.warn({ type: body.type ?? 'command' }, 'unknown Slack interaction');
    if (typeof body.response_url === 'string') {
      const text = `That control is from an older version of Pebblebot. Type \`${SLASH_COMMAND} help\` to see what it does now.`;
      await deps.gateway
        .respond(body.response_url, { text, blocks: [{ type: 'section', text }] })
        .catch(() => undefined);
    }
  };
}

/**
 * The Slack channel: one Bolt app whose listeners serve both transports. Over HTTP its
 * receiver is mounted on the shared server at /slack/events (Bolt verifies the signature, the
 * envelope is checked with zod before Bolt parses it); in Socket Mode the same app connects
 * out with SLACK_APP_TOKEN. Listeners acknowledge first and do the rest after.
 */
export function createSlackChannel(
  slack: NonNullable<Config['slack']>,
  services: Services,
  logger: Logger,
  options: SlackChannelOptions = {},
): SlackChannel {
  const log = logger.child({ channel: 'slack' });
  const botToken = slack.botToken;
  const oauth = slack.mode === 'oauth';
  if (oauth ? !slack.encryption || !slack.clientId : !botToken)
    throw new Error(
      oauth
        ? 'Slack OAuth needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET and PEBBLEBOT_ENCRYPTION_KEY.'
        : 'The Slack channel needs SLACK_BOT_TOKEN (one workspace over HTTP or Socket Mode).',
    );
  const bolt = boltLogger(log);
  const clientOptions: webApi.WebClientOptions = {
    // NOTE: the default policy retries for about 30 minutes; a chat answer that late is useless.
    retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes,
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    logger: bolt,
    ...options.clientOptions,
  };
  // OAuth mode: each call takes the token of the installation its request came through.
  const scope = new TokenScope();
  const installations =
    oauth && slack.encryption
      ? new Installations(
          services.store,
          new TokenCipher(slack.encryption.key, slack.encryption.oldKeys),
          services.clock,
          log,
        )
      : undefined;
  const client = installations
    ? createScopedAnsweringClient(scope, clientOptions, options.answering)
    : createAnsweringClient(botToken ?? '', clientOptions, options.answering);

  // The token's own team is the only workspace this bot serves in token mode: authorize hands
  // it to Bolt as the request's authorized team, which the context middleware holds every
  // request to (an OAuth authorize will hand the installation's team the same way).
  let identity: Promise<{ botId?: string; botUserId: string; teamId?: string }> | undefined;
  const botIdentity = (): Promise<{ botId?: string; botUserId: string; teamId?: string }> =>
    installations
      ? Promise.resolve({ botUserId: scope.botUserId ?? '' })
      : (identity ??= client.auth.test().then(
          (r) => ({
            ...(r.bot_id ? { botId: r.bot_id } : {}),
            botUserId: r.user_id ?? '',
            ...(r.team_id ? { teamId: r.team_id } : {}),
          }),
          (error: unknown) => {
            identity = undefined;
            throw error;
          },
        ));

  const socket = slack.mode === 'socket';
  // Over HTTP the app is given a receiver it never starts: requests reach it through the
  // handler below, which verifies and parses each once and acknowledges through Bolt's own
  // HTTPResponseAck (the 3 s answer, and the 404 of what is never acknowledged).
  const httpReceiver = socket
    ? undefined
    : new HTTPReceiver({
        signingSecret: slack.signingSecret ?? '',
        endpoints: [EVENTS_PATH],
        logger: bolt,
        signatureVerification: false,
      });
  const socketReceiver = socket
    ? new SocketModeReceiver({
        appToken: slack.appToken ?? '',
        logger: bolt,
        installerOptions: { clientOptions },
        ...(options.socketMode?.autoReconnectEnabled !== undefined
          ? { autoReconnectEnabled: options.socketMode.autoReconnectEnabled }
          : {}),
      })
    : undefined;
  const receiver = httpReceiver ?? socketReceiver!;

  const app = new App({
    receiver,
    authorize: installations
      ? (source) => installations.authorize(source)
      : async () => ({ botToken, ...(await botIdentity()) }),
    logger: bolt,
    clientOptions,
    convoStore: false,
  });

  // Answers wait for the acknowledgements still due (see AcksFirst).
  const acks = new AcksFirst();
  const gateway = new SlackGateway(client, log, acks);
  // Proactive messages (the outbox) go through the ChatGateway port, with their own bounded client.
  const oauthChat = installations
    ? new InstallationChatGateway(installations, clientOptions, log)
    : undefined;
  const chat = oauthChat ?? createSlackChatGateway(botToken ?? '', clientOptions, log);
  // Vote messages are posted and updated in place through it; user groups keep councils in sync.
  services.council.connect('slack', {
    gateway: chat,
    directory: new SlackCouncilDirectory(client),
  });
  const conversation = { services, chat, log };
  const deps: SlackDeps = {
    services,
    conversation,
    gateway,
    followUp: new FollowUp(services, gateway, log, new Cards(conversation)),
    logger: log,
    command: SLASH_COMMAND,
    botUserId: async () => (await botIdentity()).botUserId,
  };
  const registrar = createRegistrar(app, deps);
  const tracker = inFlightTracker();
  if (installations) app.use(scope.middleware);
  app.use(tracker.middleware);
  app.use(unknownInteractionGuard(registrar.ids, deps));
  app.use(contextMiddleware({ services, gateway, logger: log }));
  registerListeners(registrar, deps);
  // Last: every listener is reached through it (see createRegistrar).
  if (registrar.router) app.use(registrar.router);
  if (installations && oauthChat)
    registerUninstall(app, installations, log, (token) => oauthChat.forget(token));
  const installRoutes =
    installations && oauthChat && slack.clientId && slack.clientSecret && slack.stateSecret
      ? createInstallRoutes({
          clientId: slack.clientId,
          clientSecret: slack.clientSecret,
          stateSecret: slack.stateSecret,
          installations,
          chat: oauthChat,
          command: SLASH_COMMAND,
          logger: log,
          boltLogger: bolt,
          ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
        })
      : undefined;
  app.error((error) => {
    log.error({ err: error }, 'Slack event failed');
    return Promise.resolve();
  });

  // Socket Mode delivers parsed bodies straight to the app: check their envelope on the way.
  if (socketReceiver) {
    socketReceiver.init({
      processEvent: async (event: ReceiverEvent) => {
        const check = checkEnvelope(event.body);
        if (!check.ok) {
          log.warn(
            { problem: check.problem },
            'malformed Socket Mode payload acknowledged and dropped',
          );
          await event.ack();
          return;
        }
        const acknowledged = acks.arrived();
        try {
          await processHoldingAck(app, {
            ...event,
            ack: async (response?: unknown) => {
              try {
                await event.ack(response);
              } finally {
                acknowledged();
              }
            },
          });
        } finally {
          acknowledged();
        }
      },
    } as unknown as App);
  }

  const replays = new ReplayGuard(MAX_CLOCK_SKEW_SEC);
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (installRoutes && (pathname === INSTALL_PATH || pathname === REDIRECT_PATH)) {
      if (req.method !== 'GET') return send(res, 405);
      return pathname === INSTALL_PATH
        ? installRoutes.install(req, res)
        : installRoutes.redirect(req, res);
    }
    if (!httpReceiver || pathname !== EVENTS_PATH) return send(res, 404);
    if (req.method !== 'POST') return send(res, 405);
    // Over HTTP a request is acknowledged by its response.
    res.once('close', acks.arrived());
    let raw: Buffer;
    try {
      raw = await readBody(req, BODY_LIMIT_BYTES);
    } catch (error) {
      if (!(error instanceof HttpRefusal)) throw error;
      send(res, error.status);
      // Drain what is left of a refused body so the connection can be reused.
      req.resume();
      return;
    }
    const text = raw.toString('utf8');
    const contentType = req.headers['content-type'];
    // Slack's check of the certificate is unsigned and asks for nothing but a 200.
    if (
      contentType?.startsWith('application/x-www-form-urlencoded') &&
      /(^|&)ssl_check=1(&|$)/.test(text)
    )
      return HTTPModuleFunctions.buildSSLCheckResponse(res);
    // Bolt's own check, first: a forged or stale request stops here, before any parsing.
    if (fromTheFuture(Number(req.headers['x-slack-request-timestamp']))) {
      log.warn('Slack request with a timestamp more than 5 minutes ahead rejected');
      return send(res, 401);
    }
    try {
      verifySlackRequest({
        signingSecret: slack.signingSecret ?? '',
        body: text,
        headers: {
          'x-slack-signature': String(req.headers['x-slack-signature'] ?? ''),
          'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
        },
      });
    } catch {
      log.warn('Slack request with a bad or stale signature rejected');
      return send(res, 401);
    }
    const parsed = parseRawBody(text, contentType);
    const check = checkEnvelope(parsed);
    if (!check.ok) {
      log.warn({ problem: check.problem }, 'malformed Slack request rejected');
      return send(res, 400, 'malformed Slack payload');
    }
    const body = parsed as Record<string, unknown>;
    // A retried event may come with the signature of its first delivery: it goes on to the
    // event-id deduplication, which is durable; anything else seen before is a replay.
    const eventRetry =
      req.headers['x-slack-retry-num'] !== undefined && body.type === 'event_callback';
    if (
      !replays.admit(
        String(req.headers['x-slack-signature']),
        Number(req.headers['x-slack-request-timestamp']),
      ) &&
      !eventRetry
    ) {
      log.warn('replayed Slack request rejected');
      return send(res, 401);
    }
    if (body.type === 'app_rate_limited') {
      log.warn('Slack says events are being rate limited for this app');
      return send(res, 200);
    }
    if (body.type === 'url_verification')
      return HTTPModuleFunctions.buildUrlVerificationResponse(res, body);
    // To the app as Bolt's receiver would hand it, without parsing the body a second time.
    // Bolt's acknowledgement writes the response as soon as a listener acknowledges, before
    // its work (Slack waits 3 s), and answers 404 to what is not acknowledged by the deadline
    // (events held for their write, processHoldingAck, have the longest).
    const ack = new HTTPResponseAck({
      logger: bolt,
      processBeforeResponse: false,
      unhandledRequestTimeoutMillis: EVENT_ACK_DEADLINE_MS + 1_000,
      httpRequest: req,
      httpRequestBody: body,
      httpResponse: res,
    });
    try {
      await processHoldingAck(app, {
        body,
        ack: ack.bind(),
        retryNum: HTTPModuleFunctions.extractRetryNumFromHTTPRequest(req),
        retryReason: HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(req),
        customProperties: {},
      });
    } catch (error) {
      const handled = await HTTPModuleFunctions.defaultProcessEventErrorHandler({
        error: error as Error,
        logger: bolt,
        request: req,
        response: res,
        storedResponse: ack.storedResponse as unknown,
      });
      if (handled) ack.ack();
    }
  };

  return {
    name: 'slack',
    chat,
    listeners: registrar.ids,
    routes: socket ? [] : [{ path: '/slack/*', handler }],
    async start() {
      if (installations) {
        // Installations bring their tokens with their requests: nothing to check at start.
        log.info({ mode: slack.mode }, 'Slack channel ready');
        return;
      }
      try {
        // The bot's identity once at start (mentions begin with its user id); a bad token
        // stops the start with a clear message, an unreachable Slack is retried on first use.
        await Promise.race([
          botIdentity(),
          new Promise((_resolve, reject) =>
            setTimeout(() => reject(new Error('timeout')), 10_000).unref(),
          ),
        ]);
      } catch (error) {
        const code = slackErrorCode(error);
        if (code && FATAL_AUTH_ERRORS.includes(code))
          throw new Error(
            `Slack refused SLACK_BOT_TOKEN (${code}): copy the Bot User OAuth Token of your Slack app again.`,
          );
        log.warn(
          { err: error, code },
          'Slack not reachable at start; will retry on the first request',
        );
      }
      if (socketReceiver) await app.start();
      log.info({ mode: slack.mode }, 'Slack channel ready');
    },
    async stop() {
      if (socketReceiver) await app.stop();
      await tracker.drained(DRAIN_MS);
    },
  };
}
