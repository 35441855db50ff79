import { z } from 'zod';
import { pebbleContext } from '../context.js';
import type { EventArgs, Registrar, SlackDeps } from './registry.js';

const Joined = z.looseObject({ user: z.string().min(1), channel: z.string().min(1) });

/**
 * The bot was invited to a channel: vote messages Slack refused there (`not_in_channel`) and
 * the outbox gave up are queued again, to be posted now, once.
 * NOTE: Slack sends member_joined_channel only with channels:read (public) and groups:read
 * (private channels).
 */
export function registerChannelJoin(r: Registrar, deps: SlackDeps): void {
  r.event(
    'member_joined_channel',
    async ({ event, context }: EventArgs<'member_joined_channel'>) => {
      const joined = Joined.safeParse(event);
      if (!joined.success || joined.data.user !== (await deps.botUserId())) return;
      const ctx = pebbleContext(context);
      await deps.services.council.channelReachable(ctx.workspace, joined.data.channel);
    },
  );
}
