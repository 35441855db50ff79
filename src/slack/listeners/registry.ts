import type {
  AllMiddlewareArgs,
  App,
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

/**
 * The registrar the channel uses: listeners go on `app` (when given) behind the error guard.
 * Action ids match with the `#n` suffix the renderer adds to repeated ids in one block.
 */
export function createRegistrar(app?: App, deps?: SlackDeps): Registrar {
  const ids: ListenerIds = {
    commands: [],
    shortcuts: [],
    events: [],
    actions: [],
    views: [],
    options: [],
  };
  // Bolt runs every registered listener's matching middleware for every request: with some
  // thirty action listeners, a click cost thirty async matching chains before its own listener
  // ran (a tenth of the CPU of a ballot burst). Actions therefore go through one Bolt listener
  // that finds its handler by id.
  const actions = new Map<string, (args: ActionArgs) => Promise<void>>();
  const dispatchAction = async (args: ActionArgs) => {
    const actionId = (args.action as { action_id?: unknown }).action_id;
    const handler =
      // `#n`: repeated ids in one block; `@…`: the value a date picker carries in its id.
      typeof actionId === 'string'
        ? actions.get(actionId.replace(/#\d+$/, '').replace(/@.*$/, ''))
        : undefined;
    if (handler) await handler(args);
    else await args.ack();
  };
  return {
    ids,
    command(name, handler) {
      ids.commands.push(name);
      app?.command(name, guarded('command', name, deps, handler));
    },
    shortcut(callbackId, handler) {
      ids.shortcuts.push(callbackId);
      app?.shortcut(callbackId, guarded('shortcut', callbackId, deps, handler));
    },
    event(type, handler) {
      ids.events.push(type);
      app?.event(type, guarded<EventArgs<typeof type>>('event', type, deps, handler));
    },
    action(actionId, handler) {
      ids.actions.push(actionId);
      if (!app) return;
      if (actions.size === 0) app.action(/./, dispatchAction);
      actions.set(actionId, guarded('action', actionId, deps, handler));
    },
    view(callbackId, handler) {
      ids.views.push(callbackId);
      app?.view(callbackId, guarded('view', callbackId, deps, handler));
    },
    options(actionId, handler) {
      ids.options.push(actionId);
      app?.options(
        { type: 'block_suggestion', action_id: actionId },
        guarded('options', actionId, deps, handler),
      );
    },
  };
}
