import type { AnyMiddlewareArgs, Context, Middleware } from '@slack/bolt';
import { z } from 'zod';
import type { Workspace } from '../core/workspaces/workspace.model.js';
import type { UserContext } from '../core/workspaces/workspace.service.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { friendlyError } from './errors.js';
import { FALLBACK_TEXT_MAX, slackMrkdwn } from './render-blocks.js';
import type { SlackGateway, SlackUser } from './gateway.js';
import { loadingCache } from './ttl-cache.js';

/**
 * How long a delivery key is remembered. Slack retries an event three times, the last about 5
 * minutes after the first: 15 minutes is three times that. Each key held costs some 450 bytes
 * on the embedded store: at a steady 100 requests/s an hour of keys would hold over 100 MB.
 */
const DELIVERY_KEY_TTL_MS = 15 * 60_000;

const NOT_THIS_WORKSPACE =
  'This Pebblebot serves another Slack workspace, so it cannot take requests from here.';

/**
 * Events whose listeners store what the event asks for before it is acknowledged (see
 * `processHoldingAck` in slack.channel.ts). Their stores are idempotent by content (the
 * message a pebble comes from, one +1 per person), so a redelivery after a crash repeats the
 * write harmlessly; their delivery claim is taken by the listener after the write, to guard
 * only the answers that follow.
 */
export const EVENTS_STORED_BEFORE_ACK: ReadonlySet<string> = new Set([
  'app_mention',
  'reaction_added',
]);

/**
 * The Bolt context property an OAuth authorize sets to the org's enterprise id when the request
 * is served by an org-wide (Enterprise Grid) installation.
 */
export const ORG_INSTALL_PROPERTY = 'pebbleOrgInstall';

/** The Bolt context property through which a held event acknowledgement is released. */
export const ACKNOWLEDGE_PROPERTY = 'pebbleAcknowledge';

/** Everything a listener needs about who is acting where, resolved once per request. */
export interface PebbleContext {
  teamId: string;
  workspace: Workspace;
  /**
   * The person acting, with the name Slack gave. Their admin role is asked of Slack
   * (users.info, cached briefly) only when a core rule needs it: listeners pass the user to
   * the services, which decide.
   */
  user: UserContext;
  /**
   * Claims this delivery (event_id, trigger_id, view id + hash, action_ts + user) in the store:
   * true the first time, false for a retry or a duplicate. Listeners call it after the ack.
   */
  firstDelivery(): Promise<boolean>;
  /**
   * Acknowledges an event held until what it asks for is stored (EVENTS_STORED_BEFORE_ACK);
   * a no-op for everything else, which is acknowledged by its listener.
   */
  acknowledge(): Promise<void>;
  /** Drops the cached workspace after its settings changed. */
  forgetWorkspace(): void;
}

/** The typed context of a listener; Bolt's own context carries it as `pebble`. */
export function pebbleContext(context: Context): PebbleContext {
  const ctx = (context as { pebble?: PebbleContext }).pebble;
  if (!ctx) throw new Error('Slack context middleware did not run');
  return ctx;
}

const Id = z.string().min(1);
const CommandIdentity = z
  .object({
    command: z.string(),
    team_id: Id,
    user_id: Id,
    user_name: z.string().optional(),
    trigger_id: Id,
    enterprise_id: Id.nullish(),
  })
  .transform((b) => ({
    teamId: b.team_id,
    enterpriseId: b.enterprise_id ?? undefined,
    userId: b.user_id,
    name: b.user_name,
    key: `command:${b.trigger_id}`,
    event: false,
  }));
const EventIdentity = z
  .object({
    type: z.literal('event_callback'),
    team_id: Id.optional(),
    event_id: Id.optional(),
    enterprise_id: Id.nullish(),
    authorizations: z
      .array(z.object({ team_id: Id.nullish(), enterprise_id: Id.nullish() }))
      .optional(),
    event: z.object({
      type: z.string(),
      user: Id.optional(),
      event_ts: z.string().optional(),
      ts: z.string().optional(),
    }),
  })
  .transform((b) => ({
    teamId: b.authorizations?.[0]?.team_id ?? b.team_id ?? '',
    enterpriseId: b.authorizations?.[0]?.enterprise_id ?? b.enterprise_id ?? undefined,
    userId: b.event.user,
    name: undefined,
    // Old payloads lack event_id: the event's own timestamp and author identify it.
    key: `event:${b.event_id ?? `${b.event.type}:${b.event.event_ts ?? b.event.ts}:${b.event.user}`}`,
    event: true,
    eventType: b.event.type,
  }));
const InteractionIdentity = z
  .object({
    type: z.enum([
      'block_actions',
      'view_submission',
      'view_closed',
      'shortcut',
      'message_action',
      'block_suggestion',
    ]),
    team: z.object({ id: Id, enterprise_id: Id.nullish() }).nullish(),
    enterprise: z.object({ id: Id }).nullish(),
    user: z.object({
      id: Id,
      team_id: Id.optional(),
      username: z.string().optional(),
      name: z.string().optional(),
    }),
    trigger_id: z.string().optional(),
    actions: z
      .array(z.object({ action_id: z.string(), action_ts: z.string().optional() }))
      .optional(),
    view: z.object({ id: z.string(), hash: z.string().optional() }).optional(),
  })
  .transform((b) => ({
    teamId: b.team?.id ?? b.user.team_id ?? '',
    enterpriseId: b.enterprise?.id ?? b.team?.enterprise_id ?? undefined,
    userId: b.user.id,
    name: b.user.username ?? b.user.name,
    key:
      b.type === 'block_actions'
        ? `action:${b.actions?.[0]?.action_ts ?? b.trigger_id}:${b.user.id}:${b.actions?.[0]?.action_id}`
        : b.type === 'view_submission' || b.type === 'view_closed'
          ? `view:${b.view?.id}:${b.view?.hash ?? ''}`
          : b.type === 'block_suggestion'
            ? // Menus are read-only and never claimed: a key only for the record.
              `suggestion:${b.view?.id ?? ''}:${b.user.id}`
            : `shortcut:${b.trigger_id}`,
    event: false,
  }));

/**
 * Who acts, where, and the delivery's key. The schema is picked by the body's shape rather
 * than tried in turn: a union would build the failures of the others for every request.
 */
function identityOf(body: unknown) {
  const shape = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if ('command' in shape) return CommandIdentity.safeParse(body);
  if (shape.type === 'event_callback') return EventIdentity.safeParse(body);
  return InteractionIdentity.safeParse(body);
}

export interface ContextDeps {
  services: Services;
  gateway: SlackGateway;
  logger: Logger;
  /** Seconds a workspace's settings may be served from memory (settings changed here are dropped at once). */
  workspaceTtlMs?: number;
  /** How long a user's admin flag and name are trusted. */
  userTtlMs?: number;
}

/**
 * Global middleware: resolves the workspace (cached briefly, so the acknowledgement does not
 * wait on the store), the user, and, on demand, the user's admin role; de-duplicates events
 * (Bolt has already acknowledged them). Interactions are de-duplicated by their listeners
 * after their own ack, through `firstDelivery`.
 */
export function contextMiddleware(deps: ContextDeps): Middleware<AnyMiddlewareArgs> {
  const { services, gateway, logger } = deps;
  // Settings may lag a change made on another replica by the cache's lifetime; the store
  // is only ever awaited before an acknowledgement on a workspace's first request.
  const workspaces = loadingCache<Workspace>({
    ttlMs: deps.workspaceTtlMs ?? 10_000,
    max: 5_000,
    load: (teamId) => services.workspaces.ensure('slack', teamId),
    staleWhileRevalidate: true,
  });
  const users = loadingCache<SlackUser>({
    ttlMs: deps.userTtlMs ?? 5 * 60_000,
    max: 20_000,
    load: (key) => gateway.user(key.slice(key.indexOf(':') + 1)),
  });
  const slackUser = async (teamId: string, userId: string) =>
    (await users.fetch(`${teamId}:${userId}`))!;

  return async (args) => {
    const identity = identityOf(args.body);
    if (!identity.success || !identity.data.teamId) {
      await args.next();
      return;
    }
    const { teamId, userId, key, event, enterpriseId } = identity.data;
    // Only the team this request was authorized for (the token's team; an installation's in
    // OAuth mode) is served: a validly signed payload naming another team must not create or
    // touch a workspace. An org-wide installation serves every workspace of its org, and only
    // those. Events are already acknowledged, so Slack does not retry them.
    const authorized = args.context.teamId;
    const org = (args.context as { [ORG_INSTALL_PROPERTY]?: unknown })[ORG_INSTALL_PROPERTY];
    if (typeof org === 'string' ? enterpriseId !== org : authorized && teamId !== authorized) {
      logger.warn(
        { team: teamId.slice(0, 40), authorized },
        'Slack request for a workspace this bot does not serve refused',
      );
      if ('ack' in args && typeof args.ack === 'function') {
        const ack = args.ack as (response?: unknown) => Promise<void>;
        await ack(
          'command' in (args.body as object)
            ? { response_type: 'ephemeral', text: NOT_THIS_WORKSPACE }
            : undefined,
        );
      }
      return;
    }
    try {
      const workspace = (await workspaces.fetch(teamId))!;
      let claimed: Promise<boolean> | undefined;
      const firstDelivery = () =>
        (claimed ??= services.store.events
          .claim(
            `slack:${teamId}:${key}`,
            new Date(services.clock.now().getTime() + DELIVERY_KEY_TTL_MS),
          )
          .then((first) => {
            if (!first && event)
              logger.info(
                { key: key.split(':')[0], retry: args.context.retryNum },
                'duplicate Slack event ignored',
              );
            return first;
          }));
      const eventType = 'eventType' in identity.data ? identity.data.eventType : undefined;
      const claimedByListener = eventType !== undefined && EVENTS_STORED_BEFORE_ACK.has(eventType);
      if (event && !claimedByListener && !(await firstDelivery())) return;
      if (!userId) {
        await args.next();
        return;
      }
      // Events carry no name: ask Slack (after the ack, which Bolt has sent for events).
      const name =
        identity.data.name ??
        (event
          ? await slackUser(teamId, userId).then(
              (u) => u.name,
              () => undefined,
            )
          : undefined);
      const user: UserContext = {
        userId,
        ...(name ? { name } : {}),
        resolvePlatformAdmin: async () => (await slackUser(teamId, userId)).admin,
      };
      const ctx: PebbleContext = {
        teamId,
        workspace,
        user,
        firstDelivery,
        acknowledge: () => {
          const held = (args.context as Record<string, unknown>)[ACKNOWLEDGE_PROPERTY];
          return typeof held === 'function' ? (held as () => Promise<void>)() : Promise.resolve();
        },
        forgetWorkspace: () => workspaces.delete(teamId),
      };
      (args.context as { pebble?: PebbleContext }).pebble = ctx;
    } catch (error) {
      // The store is down or slow: answer the person instead of letting Slack time out.
      const text = slackMrkdwn(
        friendlyError(error, logger, { stage: 'context' }),
        FALLBACK_TEXT_MAX,
      );
      if ('ack' in args && typeof args.ack === 'function') {
        const ack = args.ack as (response?: unknown) => Promise<void>;
        await ack(
          'command' in (args.body as object) ? { response_type: 'ephemeral', text } : undefined,
        );
      }
      return;
    }
    await args.next();
  };
}
