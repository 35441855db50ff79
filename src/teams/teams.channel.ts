import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  ActivityTypes,
  CloudAdapter,
  TurnContext,
  type Activity,
  type InvokeResponse,
} from 'botbuilder';
import type { AuthenticateRequestResult } from 'botframework-connector';
import type { Channel } from '../channel.js';
import type { DigestChartRenderer } from '../core/digest/chart.port.js';
import { createChartRenderer } from '../digest/chart.js';
import { Cards, TRIAGE_CARD_KIND } from '../conversation/cards.js';
import type { Route } from '../http/server.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import type { Store } from '../core/ports/store.port.js';
import { helpView } from '../views/help.view.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import { noticeView } from '../views/pebble.view.js';
import {
  ActivitySchema,
  CardActionSchema,
  conversationOf,
  messagePayloadText,
  messageText,
  personOf,
  TaskInvokeSchema,
  tenantOf,
  type ParsedActivity,
} from './activity.js';
import { ChartImageHost } from './chart-images.js';
import { TeamsChatGateway, type TeamsChatGatewayOptions } from './chat-gateway.js';
import { renderCard, selectInputId, type AdaptiveCard } from './render-card.js';
import { renderFormCard } from './render-form.js';
import { createTeamsConversation } from './teams-conversation.js';
import { GraphTeamsRoles, type GraphConfig } from './teams-roles.js';
import { HttpRefusal, readBody } from '../http/read-body.js';
import {
  authenticationEnabled,
  createBotFrameworkAuthentication,
  type TeamsConfig,
} from './teams-auth.js';
import type {
  TeamsActivityHandler,
  TeamsConversation,
  TeamsInput,
  TeamsOutput,
} from './teams-io.js';

export type { TeamsConfig } from './teams-auth.js';

export const MESSAGES_PATH = '/api/messages';
// NOTE: Teams messages are at most about 100 KB; an activity larger than this is not Teams.
const BODY_LIMIT_BYTES = 256 * 1024;
/** How long a message-extension submission is remembered to drop Teams' retries of it. */
const SUBMIT_DEDUP_MS = 10 * 60_000;
const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export interface TeamsChannelDeps {
  store: Store;
  logger: Logger;
  /** The services: with them, activities go to the conversation layer. */
  services?: Services;
  /** TEAMS_ADMIN_IDS (see TeamsConversationDeps). */
  adminObjectIds?: readonly string[];
  /** Where Teams admins and team owners are read (Microsoft Graph); without it, not read. */
  graph?: GraphConfig;
  /** PUBLIC_URL: where Teams fetches the digest chart shown in the digest card. */
  publicUrl?: string;
  /** Draws digest charts (the default loads ECharts on first use). */
  chart?: DigestChartRenderer;
  /** Replaces the conversation layer (tests of the transport alone); without services, help. */
  onActivity?: TeamsActivityHandler;
  bodyLimitBytes?: number;
  gateway?: TeamsChatGatewayOptions;
  now?: () => Date;
}

export type TeamsChannel = Channel & { readonly adapter: TeamsCloudAdapter | undefined };

/** CloudAdapter with its turn entry open to an authentication done beforehand. */
export class TeamsCloudAdapter extends CloudAdapter {
  run(
    auth: AuthenticateRequestResult,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function parseActivity(body: Buffer): ParsedActivity {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpRefusal(400, 'The body is not JSON');
  }
  const parsed = ActivitySchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || 'activity'}: ${i.message}`);
    throw new HttpRefusal(400, `Not a valid activity (${problems.join('; ')})`);
  }
  return parsed.data;
}

/**
 * The checked activity as botbuilder's type: botbuilder declares as required many fields
 * Teams leaves out (`localTimezone`, `label`…), and reads only what the schema checked or
 * treats as optional.
 */
function asActivity(activity: ParsedActivity): Activity {
  return activity as unknown as Activity;
}

/** The default front door until the conversation layer is wired: every line gets help. */
const helpOnly: TeamsActivityHandler = (input) => {
  const help = helpView({ command: '@Pebblebot', reactionEmoji: 'rock', botName: 'Pebblebot' });
  switch (input.kind) {
    case 'message':
      return Promise.resolve({ replies: [help] });
    case 'action':
      return Promise.resolve({ card: noticeView('This button is not available yet.') });
    case 'open-form':
      return Promise.resolve({ dialog: { title: 'Pebblebot', view: help } });
    case 'submit':
      return Promise.resolve({ notice: 'Pebblebot cannot take this form yet.' });
  }
};

function stringRecord(data: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data ?? {}))
    if (typeof value === 'string') out[key] = value;
  return out;
}

const errorInvoke = (status: number, message: string): InvokeResponse => ({
  status: 200,
  body: {
    statusCode: status,
    type: 'application/vnd.microsoft.error',
    value: { code: status === 400 ? 'BadRequest' : 'InternalError', message },
  },
});

/**
 * The Teams channel: `POST /api/messages` on the shared server. Each request is read with a
 * size limit (413), checked with zod (400), authenticated explicitly (every failure 401) and
 * only then handed to botbuilder, whose turn turns the activity into a neutral input for the
 * conversation layer and renders what comes back as Adaptive Cards.
 */
export function createTeamsChannel(config: TeamsConfig, deps: TeamsChannelDeps): TeamsChannel {
  const { store, logger } = deps;
  const log = logger.child({ channel: 'teams' });
  const now = deps.now ?? (() => new Date());
  const limit = deps.bodyLimitBytes ?? BODY_LIMIT_BYTES;
  const authOn = authenticationEnabled(config);

  if (!authOn && !config.allowUnauthenticated) {
    log.info('Teams endpoint off: MICROSOFT_APP_ID is not set');
    return {
      name: 'teams',
      routes: [],
      adapter: undefined,
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    };
  }
  if (!authOn)
    log.warn(
      `TEAMS_ALLOW_UNAUTHENTICATED=true: ${MESSAGES_PATH} accepts activities without a Bot Framework token (Bot Framework Emulator only; never in production)`,
    );
  else if (config.allowUnauthenticated)
    log.warn(
      'TEAMS_ALLOW_UNAUTHENTICATED is ignored: an app id is set, so every request is authenticated',
    );

  const auth = createBotFrameworkAuthentication(config);
  const adapter = new TeamsCloudAdapter(auth);
  adapter.onTurnError = (_context, error) => {
    log.error({ err: error }, 'Teams turn failed');
    return Promise.resolve();
  };
  // Digest charts are served from this server, under addresses signed with the bot's secret.
  const images =
    deps.publicUrl && config.appPassword
      ? new ChartImageHost({
          publicUrl: deps.publicUrl,
          secret: config.appPassword,
          store,
          chart: deps.chart ?? createChartRenderer(),
          logger: log,
          ...(deps.now ? { now: () => deps.now!().getTime() } : {}),
        })
      : undefined;
  if (!images)
    log.info(
      deps.publicUrl
        ? 'Teams digests carry their chart as numbers: chart images need MICROSOFT_APP_PASSWORD to sign their addresses'
        : 'Teams digests carry their chart as numbers: set PUBLIC_URL to show it as an image in the digest card',
    );
  const chat = new TeamsChatGateway(adapter, config.appId ?? '', store, log, {
    ...deps.gateway,
    ...(images ? { chartUrls: images } : {}),
  });
  const handler =
    deps.onActivity ??
    (deps.services
      ? createTeamsConversation({
          services: deps.services,
          chat,
          logger: log,
          ...(deps.adminObjectIds ? { adminObjectIds: deps.adminObjectIds } : {}),
          ...(deps.graph ? { roles: new GraphTeamsRoles(deps.graph, log) } : {}),
        })
      : helpOnly);

  /** Saves where this conversation can be reached later (nudges, digests, decisions). */
  async function remember(
    activity: ParsedActivity,
    conversation: TeamsConversation,
  ): Promise<void> {
    const reference = TurnContext.getConversationReference(asActivity(activity));
    delete reference.activityId;
    reference.conversation = { ...reference.conversation!, id: conversation.conversationId };
    await store.conversations.save({
      workspaceId: conversation.workspaceId,
      conversationId: conversation.conversationId,
      kind: conversation.kind,
      ...(conversation.kind === 'personal' ? { userId: activity.from.id } : {}),
      reference: JSON.parse(JSON.stringify(reference)) as Record<string, unknown>,
      updatedAt: now(),
    });
  }

  async function reply(context: TurnContext, cards: (MessageView | AdaptiveCard)[]): Promise<void> {
    for (const item of cards) {
      const card = 'blocks' in item ? renderCard(item as MessageView).card : item;
      await context.sendActivity({
        type: ActivityTypes.Message,
        attachments: [{ contentType: CARD_CONTENT_TYPE, content: card }],
      });
    }
  }

  function dialogResponse(output: TeamsOutput): InvokeResponse {
    if (output.dialog)
      return {
        status: 200,
        body: {
          task: {
            type: 'continue',
            value: {
              title: output.dialog.title.slice(0, 64),
              card: {
                contentType: CARD_CONTENT_TYPE,
                content:
                  'form' in output.dialog
                    ? renderFormCard(output.dialog.form, 'dialog')
                    : renderCard(output.dialog.view).card,
              },
            },
          },
        },
      };
    if (output.notice)
      return { status: 200, body: { task: { type: 'message', value: output.notice } } };
    return { status: 200, body: {} };
  }

  /** A first claim of this submission; Teams retries a slow one twice with the same content. */
  async function firstSubmission(activity: ParsedActivity): Promise<boolean> {
    const digest = createHash('sha256')
      .update(
        JSON.stringify([activity.conversation.id, activity.from.id, activity.name, activity.value]),
      )
      .digest('hex');
    return store.events.claim(
      `teams:submit:${digest}`,
      new Date(now().getTime() + SUBMIT_DEDUP_MS),
    );
  }

  async function invoke(
    context: TurnContext,
    activity: ParsedActivity,
    origin: { conversation: TeamsConversation; from: ReturnType<typeof personOf> },
  ): Promise<InvokeResponse> {
    switch (activity.name) {
      case 'adaptiveCard/action': {
        // NOTE: botbuilder's ActivityHandler throws on an adaptiveCard/action without a value;
        // the action is checked before anything reads it.
        const parsed = CardActionSchema.safeParse(activity.value);
        if (!parsed.success)
          return errorInvoke(400, 'This card action is missing its action (value.action.verb).');
        const { verb, data } = parsed.data.action;
        const value = data?.value;
        const input: TeamsInput = {
          kind: 'action',
          ...origin,
          actionId: verb,
          ...(typeof value === 'string' ? { value } : {}),
          inputs: stringRecord(data),
          trigger: parsed.data.trigger ?? 'manual',
        };
        const selected = input.inputs[selectInputId(verb)];
        if (input.value === undefined && selected !== undefined) input.value = selected;
        const output = await handler(input);
        if (output.replies?.length) await reply(context, output.replies);
        if (output.form)
          return {
            status: 200,
            body: {
              statusCode: 200,
              type: CARD_CONTENT_TYPE,
              value: renderFormCard(output.form, 'card'),
            },
          };
        if (output.card)
          return {
            status: 200,
            body: {
              statusCode: 200,
              type: CARD_CONTENT_TYPE,
              value: renderCard(output.card, output.refresh ? { refresh: output.refresh } : {})
                .card,
            },
          };
        return {
          status: 200,
          body: {
            statusCode: 200,
            type: 'application/vnd.microsoft.activity.message',
            value: output.notice ?? 'Done.',
          },
        };
      }
      case 'composeExtension/fetchTask':
      case 'task/fetch': {
        const parsed = TaskInvokeSchema.safeParse(activity.value ?? {});
        if (!parsed.success) return { status: 400, body: { error: 'Not a valid dialog request' } };
        const payload = parsed.data.messagePayload;
        const output = await handler({
          kind: 'open-form',
          ...origin,
          source: activity.name === 'task/fetch' ? 'dialog' : 'messageExtension',
          ...(parsed.data.commandId ? { commandId: parsed.data.commandId } : {}),
          ...(parsed.data.data ? { data: parsed.data.data } : {}),
          ...(payload
            ? {
                message: {
                  text: messagePayloadText(payload.body?.content),
                  ...(payload.linkToMessage ? { link: payload.linkToMessage } : {}),
                },
              }
            : {}),
        });
        return dialogResponse(output);
      }
      case 'composeExtension/submitAction':
      case 'task/submit': {
        const parsed = TaskInvokeSchema.safeParse(activity.value ?? {});
        if (!parsed.success) return { status: 400, body: { error: 'Not a valid form submission' } };
        // NOTE: a submitAction not answered within 5 s is sent again, twice: keep the first.
        if (!(await firstSubmission(activity)))
          return { status: 200, body: { task: { type: 'message', value: 'Already received.' } } };
        const payload = parsed.data.messagePayload;
        const output = await handler({
          kind: 'submit',
          ...origin,
          source: activity.name === 'task/submit' ? 'dialog' : 'messageExtension',
          ...(parsed.data.commandId ? { commandId: parsed.data.commandId } : {}),
          values: parsed.data.data ?? {},
          ...(payload
            ? {
                message: {
                  text: messagePayloadText(payload.body?.content),
                  ...(payload.linkToMessage ? { link: payload.linkToMessage } : {}),
                },
              }
            : {}),
        });
        if (output.replies?.length) await reply(context, output.replies);
        return dialogResponse(output);
      }
      default:
        log.debug({ name: activity.name }, 'Teams invoke without a handler');
        return { status: 200, body: {} };
    }
  }

  async function turn(
    context: TurnContext,
    activity: ParsedActivity,
    tenantId: string,
  ): Promise<void> {
    const conversation = conversationOf(activity, tenantId);
    const from = personOf(activity);
    const botId = activity.recipient?.id;
    switch (activity.type) {
      case 'installationUpdate':
        if (activity.action?.startsWith('remove'))
          await store.conversations.markBlocked(
            conversation.workspaceId,
            conversation.conversationId,
            now(),
            'app uninstalled',
          );
        else await remember(activity, conversation);
        return;
      case 'conversationUpdate':
        if (botId && activity.membersRemoved?.some((m) => m.id === botId))
          await store.conversations.markBlocked(
            conversation.workspaceId,
            conversation.conversationId,
            now(),
            'bot removed from the conversation',
          );
        else await remember(activity, conversation);
        return;
      case 'message': {
        await remember(activity, conversation);
        const text = messageText(activity);
        const output = await handler({
          kind: 'message',
          conversation,
          from,
          text,
          ...(activity.id ? { messageId: activity.id } : {}),
        });
        await reply(context, [
          ...(output.replies ?? []),
          ...(output.form ? [renderFormCard(output.form, 'card')] : []),
        ]);
        return;
      }
      case 'invoke': {
        const response = await invoke(context, activity, { conversation, from });
        await context.sendActivity({ type: 'invokeResponse', value: response });
        return;
      }
      default:
        return;
    }
  }

  const route: Route = {
    path: MESSAGES_PATH,
    handler: async (req, res) => {
      try {
        if (req.method !== 'POST') throw new HttpRefusal(405, 'Use POST');
        const header = req.headers.authorization ?? '';
        // No token, no work: not even reading the body.
        if (authOn && !/^Bearer\s+\S+/i.test(header)) throw new HttpRefusal(401, 'Unauthorized');
        const activity = parseActivity(await readBody(req, limit));
        const tenantId = tenantOf(activity);
        if (!tenantId) throw new HttpRefusal(400, 'Not a valid activity (no tenant id)');
        let authResult: AuthenticateRequestResult;
        try {
          authResult = await auth.authenticateRequest(asActivity(activity), header);
        } catch (error) {
          // NOTE: CloudAdapter.process answers 500 for a bad signature: every failure here is 401.
          log.warn(
            { reason: (error as Error).message },
            'Teams request refused: authentication failed',
          );
          throw new HttpRefusal(401, 'Unauthorized');
        }
        if (
          authOn &&
          config.appType === 'SingleTenant' &&
          config.tenantId &&
          tenantId !== config.tenantId
        )
          throw new HttpRefusal(403, 'This bot serves one tenant only');

        let failed: unknown;
        const response = await adapter.run(authResult, asActivity(activity), async (context) => {
          try {
            await turn(context, activity, tenantId);
          } catch (error) {
            failed = error;
            if (activity.type === 'invoke')
              await context.sendActivity({
                type: 'invokeResponse',
                value: errorInvoke(
                  500,
                  'Pebblebot could not do that just now. Try again in a minute.',
                ),
              });
          }
        });
        if (failed)
          log.error(
            { err: failed, type: activity.type, name: activity.name },
            'Teams activity failed',
          );
        if (response) send(res, response.status, response.body);
        else send(res, failed ? 500 : 200);
      } catch (error) {
        if (error instanceof HttpRefusal) {
          if (!res.headersSent) send(res, error.status, { error: error.message });
          // Drain what is left of a refused body so the connection can be reused.
          req.resume();
          return;
        }
        throw error;
      }
    },
  };

  return {
    name: 'teams',
    routes: images ? [route, images.route] : [route],
    chat,
    adapter,
    start: () => {
      // Vote messages are posted in the council's Teams channel and updated in place.
      deps.services?.council.connect('teams', { gateway: chat });
      // Triage cards leave through the outbox; where each landed is recorded on its pebble, so
      // a +1 or a triage change updates the card in place.
      if (deps.services)
        deps.services.outbox.onDelivered(
          TRIAGE_CARD_KIND,
          new Cards({ services: deps.services, chat, log }).delivered(),
          'teams',
        );
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
  };
}
