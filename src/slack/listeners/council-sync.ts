import { z } from 'zod';
import type { EventArgs, Registrar, SlackDeps } from './registry.js';

/** A council kept in sync with a Slack user group follows the group's membership changes. */
export function registerCouncilSync(r: Registrar, deps: SlackDeps): void {
  r.event(
    'subteam_members_changed',
    async ({ event, body }: EventArgs<'subteam_members_changed'>) => {
      const teamId = z.looseObject({ team_id: z.string() }).safeParse(body);
      const subteam = z.looseObject({ subteam_id: z.string().min(1) }).safeParse(event);
      if (!teamId.success || !subteam.success) return;
      const workspace = await deps.services.workspaces.ensure('slack', teamId.data.team_id);
      if (workspace.settings.council.userGroup?.id !== subteam.data.subteam_id) return;
      const synced = await deps.services.council.syncFromDirectory(
        workspace,
        subteam.data.subteam_id,
      );
      deps.logger.info(
        { members: synced?.settings.council.members.length },
        'council synced with its user group',
      );
    },
  );
}
