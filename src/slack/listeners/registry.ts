import type {
  AllMiddlewareArgs,
  AnyMiddlewareArgs,
  App,
  Middleware,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
  SlackOptionsMiddlewareArgs,
  SlackShortcutMiddlewareArgs,
  SlackViewMiddlewareArgs,
} from '@slack/bolt';
import { z } from 'zod';
import type { ConversationDeps } from '../../conversation/context.js';
import type { Logger } from '../../logger.js';
import type { Services } from '../../services.js';
import { friendlyError } from '../errors.js';
import type { FollowUp } from '../follow-up.js';
import type { SlackGateway } from '../gateway.js';
import { baseActionId } from '../render-blocks.js';

export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
export type ShortcutArgs = SlackShortcutMiddlewareArgs & AllMiddlewareArgs;
export type EventArgs<T extends string> = SlackEventMiddlewareArgs<T> & AllMiddlewareArgs;
export type ActionArgs = SlackActionMiddlewareArgs & AllMiddlewareArgs;
export type ViewArgs = SlackViewMiddlewareArgs & AllMiddlewareArgs;
export type OptionsArgs = SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs;

/** What the listeners need, built once by the channel. */
export interface SlackDeps {
  services: Services;
  /** The conversation layer's dependencies: the services and the outbox's chat gateway. */
  conversation: ConversationDeps;
  gateway: SlackGateway;
  followUp: FollowUp;
  logger: Logger;
  /** The slash command as declared in the manifest. */
  command: string;
  /** The bot's user id (mentions start with it). */
  botUserId(): Promise<string>;
}

/** Every id Pebblebot listens to; the manifest test compares them with the manifest. */
export interface ListenerIds {
  commands: string[];
  shortcuts: string[];
  events: string[];
  actions: string[];
  views: string[];
  /** The action ids of external selects whose options Pebblebot serves (block_suggestion). */
  options: string[];
}

/** Registers listeners on a Bolt app (or nowhere, to list them) and records their ids. */
export interface Registrar {
  readonly ids: ListenerIds;
  command(name: string, handler: (args: CommandArgs) => Promise<void>): void;
  shortcut(callbackId: string, handler: (args: ShortcutArgs) => Promise<void>): void;
  event<T extends string>(type: T, handler: (args: EventArgs<T>) => Promise<void>): void;
  action(actionId: string, handler: (args: ActionArgs) => Promise<void>): void;
  view(callbackId: string, handler: (args: ViewArgs) => Promise<void>): void;
  options(actionId: string, handler: (args: OptionsArgs) => Promise<void>): void;
}

const ErrorTarget = z.looseObject({
  response_url: z.url().optional(),
  user_id: z.string().optional(),
  channel_id: z.string().optional(),
  user: z.looseObject({ id: z.string() }).optional(),
  channel: z.looseObject({ id: z.string() }).nullish(),
  event: z
    .looseObject({
      type: z.string(),
      user: z.string().optional(),
      channel: z.string().optional(),
      item: z.looseObject({ channel: z.string().optional() }).optional(),
    })
    .optional(),
});

/**
 * Wraps a handler so that a failure reaches the person in one friendly sentence (through the
 * interaction's response_url, or privately in the channel or by DM), and is logged once.
 */
function guarded<A>(
  kind: string,
  id: string,
  deps: SlackDeps | undefined,
  handler: (args: A) => Promise<void>,
): (args: A) => Promise<void> {
  return async (args) => {
    try {
      await handler(args);
    } catch (error) {
      if (!deps) throw error;
      const text = friendlyError(error, deps.logger, { listener: `${kind}:${id}` });
      const target = ErrorTarget.safeParse((args as { body?: unknown }).body);
      if (!target.success) return;
      const body = target.data;
      const user = body.user?.id ?? body.user_id ?? body.event?.user;
      const channel =
        body.channel?.id ?? body.channel_id ?? body.event?.channel ?? body.event?.item?.channel;
      const view = { text, blocks: [{ type: 'section' as const, text }] };
      try {
        if (body.response_url) await deps.gateway.respond(body.response_url, view);
        else if (user && body.event?.type !== 'app_home_opened')
          await deps.gateway.tell(user, view, channel);
      } catch (sendError) {
        deps.logger.warn(
          { err: sendError, listener: `${kind}:${id}` },
          'could not deliver an error message',
        );
      }
    }
  };
}

/** What a registered handler is called with: the arguments Bolt gives its middleware. */
type Routed = AnyMiddlewareArgs & AllMiddlewareArgs;

/** The kind of listener a request is for, and its id, read from what Bolt parsed. */
function routeOf(args: Routed): [keyof ListenerIds, string] | undefined {
  // The argument Bolt sets for each kind of request (and the body, for what it leaves alike).
  const a = args as unknown as {
    command?: { command: string };
    action?: { action_id?: unknown };
    view?: { callback_id: string };
    shortcut?: { callback_id: string };
    options?: unknown;
    event?: { type: string };
    body: { type?: unknown; action_id?: unknown };
  };
  if (a.command) return ['commands', a.command.command];
  if (a.action)
    return typeof a.action.action_id === 'string'
      ? ['actions', baseActionId(a.action.action_id)]
      : undefined;
  if (a.view) return a.body.type === 'view_submission' ? ['views', a.view.callback_id] : undefined;
  if (a.shortcut) return ['shortcuts', a.shortcut.callback_id];
  if (a.options)
    return a.body.type === 'block_suggestion' && typeof a.body.action_id === 'string'
      ? ['options', a.body.action_id]
      : undefined;
  if (a.event) return ['events', a.event.type];
  return undefined;
}

/**
 * The registrar the channel uses: it records every listener's id and, given an app, routes
 * requests to the listeners through one middleware, last on the app (`router`), behind the
 * error guard. Action ids match without the suffixes the renderer adds (see baseActionId).
 */
export function createRegistrar(
  app?: App,
  deps?: SlackDeps,
): Registrar & { router?: Middleware<AnyMiddlewareArgs> } {
  const ids: ListenerIds = {
    commands: [],
    shortcuts: [],
    events: [],
    actions: [],
    views: [],
    options: [],
  };
  // Bolt runs every registered listener's matching middleware for every request: with a
  // listener per id, each ballot click ran some thirty matching chains (an object copy each)
  // before its own, a tenth of the CPU before its acknowledgement. So no listener is
  // registered with Bolt: the router finds the handler by kind and id in a map.
  const handlers = Object.fromEntries(
    Object.keys(ids).map((kind) => [kind, new Map<string, (args: Routed) => Promise<void>>()]),
  ) as Record<keyof ListenerIds, Map<string, (args: Routed) => Promise<void>>>;
  const add =
    <A>(kind: keyof ListenerIds) =>
    (id: string, handler: (args: A) => Promise<void>) => {
      ids[kind].push(id);
      if (!app) return;
      if (handlers[kind].has(id)) throw new Error(`two Slack listeners for ${kind} ${id}`);
      handlers[kind].set(
        id,
        guarded(kind, id, deps, handler as unknown as (args: Routed) => Promise<void>),
      );
    };
  const router: Middleware<AnyMiddlewareArgs> = async (args) => {
    const route = routeOf(args);
    const handler = route && handlers[route[0]].get(route[1]);
    // What no handler takes goes on to Bolt's own listeners (the OAuth uninstall events);
    // an interaction no one handles was answered by the unknown-interaction guard.
    if (handler) await handler(args);
    else await args.next();
  };
  return {
    ids,
    ...(app ? { router } : {}),
    command: add('commands'),
    shortcut: add('shortcuts'),
    event: add('events'),
    action: add('actions'),
    view: add('views'),
    options: add('options'),
  };
}
