import type { types } from '@slack/bolt';
import { homeFor } from '../../conversation/home.js';
import type { Workspace } from '../../core/workspaces/workspace.model.js';
import { pebbleContext, type PebbleContext } from '../context.js';
import { conversationContext } from '../conversation.js';
import { renderBlocks } from '../render-blocks.js';
import type { EventArgs, Registrar, SlackDeps } from './registry.js';

/**
 * Publishes the person's Home tab: their pebbles first, and for admins the setup checklist and
 * the settings summary (built by the conversation layer, as the console and Teams show it).
 */
export async function publishHome(
  deps: SlackDeps,
  ctx: PebbleContext,
  workspace?: Workspace,
): Promise<void> {
  const view = await homeFor(deps.conversation, conversationContext(deps, ctx), workspace);
  await deps.gateway.publishHome(ctx.user.userId, {
    type: 'home',
    blocks: renderBlocks(view, 'home'),
  } satisfies types.HomeView);
}

/**
 * Publishes the Home tab again after a change made from it (a setting saved, AI switched), so
 * its checklist and summary show the change at once. A failure is only logged: the change is
 * made, and the tab is right the next time it opens.
 */
export async function refreshHome(deps: SlackDeps, ctx: PebbleContext): Promise<void> {
  try {
    await publishHome(deps, ctx, await deps.services.workspaces.get(ctx.workspace.id));
  } catch (error) {
    deps.logger.warn({ err: error }, 'Home tab not refreshed after a settings change');
  }
}

/** The Home tab, published each time the person opens it. */
export function registerAppHome(r: Registrar, deps: SlackDeps): void {
  r.event('app_home_opened', async ({ event, context }: EventArgs<'app_home_opened'>) => {
    if (event.tab !== 'home') return;
    await publishHome(deps, pebbleContext(context));
  });
}
