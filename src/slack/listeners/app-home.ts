import type { types } from '@slack/bolt';
import { councilHomeBlocks } from '../../views/council.view.js';
import { digestHomeBlocks } from '../../views/digest.view.js';
import { homeView, HOME_ITEMS_PER_SECTION } from '../../views/home.view.js';
import { unownedImprovementsHomeBlocks } from '../../views/improvement.view.js';
import { pebbleContext } from '../context.js';
import { renderBlocks } from '../render-blocks.js';
import { SLASH_COMMAND } from './commands.js';
import type { EventArgs, Registrar, SlackDeps } from './registry.js';

/** The Home tab: my pebbles, pebbles I supported, open pebbles by stage, a Report button. */
export function registerAppHome(r: Registrar, deps: SlackDeps): void {
  r.event('app_home_opened', async ({ event, context }: EventArgs<'app_home_opened'>) => {
    if (event.tab !== 'home') return;
    const ctx = pebbleContext(context);
    const { pebbles } = deps.services;
    const options = { limit: HOME_ITEMS_PER_SECTION };
    const [mine, supported, stages] = await Promise.all([
      pebbles.mine(ctx.workspace, ctx.user, options),
      pebbles.supported(ctx.workspace, ctx.user, options),
      pebbles.openByStage(ctx.workspace),
    ]);
    const view = homeView({ mine, supported, stages }, ctx.workspace.settings, {
      command: SLASH_COMMAND,
    });
    // Admins get the council section right below the Report button, within the block budget.
    // (The user's role comes from the users.info the context already made for this event; if
    // Slack cannot say, the Home tab shows what everyone sees.)
    const admin = await deps.services.workspaces
      .isAdmin(ctx.workspace, ctx.user)
      .catch(() => false);
    if (admin) {
      const votes = await deps.services.council.openVotes(ctx.workspace);
      const at = view.blocks.findIndex((b) => b.type === 'actions') + 1;
      const council = councilHomeBlocks(ctx.workspace.settings, votes);
      view.blocks.splice(at, 0, ...council);
      // Then the weekly digest: when it goes out, to whom, and a private preview.
      view.blocks.splice(
        at + council.length,
        0,
        ...digestHomeBlocks(ctx.workspace.settings, SLASH_COMMAND),
      );
    }
    // The sponsor and admins also see planned improvements nobody owns yet, to assign them.
    const lead =
      admin ||
      (await deps.services.improvements.isLead(ctx.workspace, ctx.user).catch(() => false));
    if (lead) {
      const unowned = await deps.services.improvements.list(
        ctx.workspace,
        { status: ['planned'], hasOwner: false },
        { limit: 5, sort: { field: 'number', direction: 'asc' } },
      );
      const at = view.blocks.findIndex((b) => b.type === 'actions') + 1;
      view.blocks.splice(at, 0, ...unownedImprovementsHomeBlocks(unowned));
    }
    await deps.gateway.publishHome(event.user, {
      type: 'home',
      blocks: renderBlocks(view, 'home'),
    } satisfies types.HomeView);
  });
}
