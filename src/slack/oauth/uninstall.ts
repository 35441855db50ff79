import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Logger } from '../../logger.js';
import type { Installations } from './installations.js';

/** The events that end an installation; the manifest subscribes to them in OAuth mode too. */
export const INSTALL_EVENTS = ['app_uninstalled', 'tokens_revoked'] as const;

const UninstallBody = z.looseObject({
  team_id: z.string().min(1).optional(),
  enterprise_id: z.string().min(1).nullish(),
  authorizations: z
    .array(z.looseObject({ is_enterprise_install: z.boolean().optional() }))
    .optional(),
  is_enterprise_install: z.boolean().optional(),
  event: z.looseObject({
    type: z.enum(INSTALL_EVENTS),
    tokens: z.looseObject({ bot: z.array(z.string()).optional() }).optional(),
  }),
});

/**
 * `app_uninstalled` and `tokens_revoked` (Bolt answers both 200 without authorizing them, as the
 * token is already gone). The installation's tokens are removed, its workspaces marked
 * inactive with their data kept, and its token is never used again: requests of the workspace
 * no longer authorize, and its owed messages wait in the outbox. A revocation of user tokens
 * only leaves the bot's installation alone.
 */
export function registerUninstall(
  app: App,
  installations: Installations,
  logger: Logger,
  forgetToken: (token: string) => void,
): void {
  for (const type of INSTALL_EVENTS) {
    app.event(type, async ({ body }) => {
      const parsed = UninstallBody.safeParse(body);
      if (!parsed.success) {
        logger.warn({ type }, 'malformed uninstall event ignored');
        return;
      }
      const b = parsed.data;
      if (b.event.type === 'tokens_revoked' && !b.event.tokens?.bot?.length) return;
      const isEnterpriseInstall =
        b.is_enterprise_install ?? b.authorizations?.[0]?.is_enterprise_install ?? false;
      // Only the installation the event names: a workspace of an org that installed org-wide
      // has no installation of its own, and its event must not end the org's.
      const key = await installations.keyFor(
        isEnterpriseInstall ? undefined : b.team_id,
        isEnterpriseInstall ? (b.enterprise_id ?? undefined) : undefined,
        isEnterpriseInstall,
      );
      if (!key) return;
      const token = await installations.uninstall(key);
      if (token) forgetToken(token);
      logger.info({ type, installation: key }, 'Slack app uninstalled');
    });
  }
}
