import type { MessageView } from '../core/ports/message-view.port.js';
import type { Workspace } from '../core/workspaces/workspace.model.js';
import { homeView, HOME_ITEMS_PER_SECTION } from '../views/home.view.js';
import { unownedImprovementsHomeBlocks } from '../views/improvement.view.js';
import { setupChecklist } from '../views/settings.view.js';
import { withRole, type ConversationContext, type ConversationDeps } from './context.js';

/**
 * The home view of the person asking, as every channel shows it (Slack's Home tab, `home` in
 * the console and Teams). Admins get the setup checklist and the settings summary; the sponsor
 * and admins the improvements waiting for an owner. `workspace` overrides the context's copy
 * right after a change, so the ticks show what was just saved.
 */
export async function homeFor(
  deps: ConversationDeps,
  ctx: ConversationContext,
  workspace: Workspace = ctx.workspace,
): Promise<MessageView> {
  const { pebbles, workspaces, council, improvements } = deps.services;
  const options = { limit: HOME_ITEMS_PER_SECTION };
  const [mine, supported, stages] = await Promise.all([
    pebbles.mine(workspace, ctx.actor, options),
    pebbles.supported(workspace, ctx.actor, options),
    pebbles.openByStage(workspace),
  ]);
  // If the platform cannot say whether this person is an admin, they see what everyone sees.
  const user = await withRole(ctx).catch(() => ctx.actor);
  const admin = await workspaces.isAdmin(workspace, user).catch(() => false);
  const lead = admin || (await improvements.isLead(workspace, user).catch(() => false));
  const unowned = lead
    ? await improvements.list(
        workspace,
        { status: ['planned'], hasOwner: false },
        { limit: 5, sort: { field: 'number', direction: 'asc' } },
      )
    : undefined;
  const ballotKeyMissing = council.ballotSecretProblem({ secret: true }) !== undefined;
  const openVotes = admin ? (await council.openVotes(workspace)).length : 0;
  return homeView({ mine, supported, stages }, workspace.settings, {
    command: ctx.prefix ?? '',
    ...(admin
      ? {
          admin: {
            checklist: setupChecklist(workspace.settings, { ballotKeyMissing }),
            openVotes,
            ballotKeyMissing,
          },
        }
      : {}),
    ...(unowned ? { lead: unownedImprovementsHomeBlocks(unowned) } : {}),
  });
}
