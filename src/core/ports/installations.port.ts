import { z } from 'zod';

/** An encrypted value as the store keeps it (AES-256-GCM; see slack/oauth/token-cipher.ts). */
export const SealedValueSchema = z.object({
  keyId: z.string().min(1),
  iv: z.string().min(1),
  tag: z.string().min(1),
  data: z.string().min(1),
});

/**
 * One Slack installation: a workspace's (`team:T…`) or, for an Enterprise Grid org-wide
 * install, the org's (`enterprise:E…`). Ids are kept in clear for look-ups; everything that
 * grants access (the bot and user tokens, inside Slack's installation object) is only ever
 * stored sealed.
 */
export const InstallationRecordSchema = z.object({
  key: z.string().regex(/^(team|enterprise):[A-Z0-9]+$/),
  teamId: z.string().min(1).optional(),
  enterpriseId: z.string().min(1).optional(),
  isEnterpriseInstall: z.boolean(),
  botUserId: z.string().min(1).optional(),
  botId: z.string().min(1).optional(),
  installerUserId: z.string().min(1).optional(),
  sealed: SealedValueSchema,
  installedAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
});
export type InstallationRecord = z.infer<typeof InstallationRecordSchema>;

/** The key of a workspace's own installation, or of an org-wide one. */
export function installationKey(q: {
  isEnterpriseInstall: boolean;
  enterpriseId?: string;
  teamId?: string;
}): string {
  return q.isEnterpriseInstall ? `enterprise:${q.enterpriseId ?? ''}` : `team:${q.teamId ?? ''}`;
}

export interface InstallationRepository {
  /** Saves (replaces) the installation under its key. */
  save(record: InstallationRecord): Promise<void>;
  get(key: string): Promise<InstallationRecord | null>;
  /**
   * Removes the installation; false when there was none. Links of workspaces to it stay, so an
   * org that installs again finds its workspaces (and reactivates them) at once.
   */
  remove(key: string): Promise<boolean>;
  /**
   * Records that a workspace of an org is served by the org-wide installation `key` (seen on
   * its first event), so messages owed to that workspace later find the org's token.
   */
  linkTeam(teamId: string, key: string): Promise<void>;
  /** The installation key serving a workspace through its org, if one was linked. */
  linkedKey(teamId: string): Promise<string | null>;
  /** The workspaces linked to an org-wide installation. */
  linkedTeams(key: string): Promise<string[]>;
}
