import { ACTIONS } from '../../views/actions.js';
import { FORMS } from '../../views/form.view.js';
import type { PebbleContext } from '../context.js';
import { publishHome } from './app-home.js';
import { conversationAction, conversationForm } from './conversation-action.js';
import type { Registrar, SlackDeps } from './registry.js';

/**
 * The admins' settings on the Home tab: the buttons that open each settings form, the AI
 * toggle, the audit log and the read-API tokens, and the forms' submissions. All of it runs in
 * the conversation layer (core checks the admin role); a change republishes the Home tab so
 * its checklist and summary show it at once.
 */
export function registerSettings(r: Registrar, deps: SlackDeps): void {
  const refresh = async (ctx: PebbleContext) => {
    const workspace = await deps.services.workspaces.get(ctx.workspace.id);
    await publishHome(deps, ctx, workspace).catch((error: unknown) =>
      deps.logger.warn({ err: error }, 'Home tab not refreshed after a settings change'),
    );
  };
  for (const id of [
    ACTIONS.settingsEdit,
    ACTIONS.auditLog,
    ACTIONS.apiTokens,
    ACTIONS.apiTokenCreate,
    ACTIONS.apiTokenRevoke,
  ])
    r.action(id, conversationAction(deps, id));
  r.action(
    ACTIONS.settingsAi,
    conversationAction(deps, ACTIONS.settingsAi, {
      after: async (ctx, action) => {
        if (action?.container === 'view') await refresh(ctx);
      },
    }),
  );
  for (const id of [
    FORMS.settingsTriage,
    FORMS.settingsStages,
    FORMS.settingsNudges,
    FORMS.settingsDigest,
    FORMS.settingsWorkspace,
  ])
    r.view(id, conversationForm(deps, id, { after: refresh }));
  r.view(FORMS.apiTokenCreate, conversationForm(deps, FORMS.apiTokenCreate));
  // A link button (the welcome DM's "Open the Home tab"): Slack opens the link itself.
  r.action(ACTIONS.openLink, async ({ ack }) => {
    await ack();
  });
}
