import { AuthorizationError, type AuthorizeResult, type AuthorizeSourceData } from '@slack/bolt';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import { z } from 'zod';
import type { Clock } from '../../core/shared/clock.port.js';
import { workspaceId } from '../../core/workspaces/workspace.model.js';
import type { Logger } from '../../logger.js';
import { installationKey, type InstallationRecord } from '../../core/ports/installations.port.js';
import type { Store } from '../../core/ports/store.port.js';
import { ORG_INSTALL_PROPERTY } from '../context.js';
import { LRUCache } from 'lru-cache';
import { SealedSchema, type TokenCipher } from './token-cipher.js';

/** What serving a request or a send needs from an installation, decrypted. */
export interface ResolvedInstallation {
  key: string;
  botToken: string;
  botId?: string;
  botUserId?: string;
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall: boolean;
}

/** The part of Slack's installation object read back after decryption (validated, not trusted). */
const OpenedInstallationSchema = z.looseObject({
  bot: z.looseObject({ token: z.string().startsWith('xoxb-') }),
});

export interface InstallationsOptions {
  /** How long a decrypted installation serves requests from memory (default 30 s). */
  ttlMs?: number;
}

/**
 * Slack installations on the project's store, for Bolt's InstallProvider (storeInstallation,
 * fetchInstallation, deleteInstallation) and for Pebblebot's hot path (`authorize`, `forTeam`).
 * Tokens are sealed with AES-256-GCM before they reach the store and opened only in memory;
 * a resolved installation is cached briefly, so the acknowledgement of a request usually waits
 * on neither the store nor the decryption, and an uninstall drops it from the cache at once.
 */
export class Installations implements InstallationStore {
  private readonly cache: LRUCache<string, ResolvedInstallation>;
  /** Workspaces already linked to their org's installation by this process. */
  private readonly linked = new LRUCache<string, true>({ max: 50_000, ttl: 60 * 60_000 });

  constructor(
    private readonly store: Store,
    private readonly cipher: TokenCipher,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: InstallationsOptions = {},
  ) {
    this.cache = new LRUCache({ max: 20_000, ttl: options.ttlMs ?? 30_000 });
  }

  async storeInstallation<V extends 'v1' | 'v2'>(
    installation: Installation<V, boolean>,
  ): Promise<void> {
    const isEnterpriseInstall = installation.isEnterpriseInstall === true;
    const enterpriseId = installation.enterprise?.id;
    const teamId = installation.team?.id;
    if (!installation.bot?.token || (isEnterpriseInstall ? !enterpriseId : !teamId))
      throw new Error('Slack returned an installation without a bot token or its workspace');
    const key = installationKey({
      isEnterpriseInstall,
      ...(enterpriseId ? { enterpriseId } : {}),
      ...(teamId ? { teamId } : {}),
    });
    const now = this.clock.now();
    const previous = await this.store.installations.get(key);
    const record: InstallationRecord = {
      key,
      ...(teamId && !isEnterpriseInstall ? { teamId } : {}),
      ...(enterpriseId ? { enterpriseId } : {}),
      isEnterpriseInstall,
      botUserId: installation.bot.userId,
      ...(installation.bot.id ? { botId: installation.bot.id } : {}),
      ...(installation.user.id ? { installerUserId: installation.user.id } : {}),
      sealed: this.cipher.seal(JSON.stringify(installation), key),
      installedAt: previous?.installedAt ?? now,
      updatedAt: now,
    };
    await this.store.installations.save(record);
    this.cache.delete(key);
    // Installing again brings the workspace (or every known workspace of the org) back.
    const teams = isEnterpriseInstall ? await this.store.installations.linkedTeams(key) : [teamId!];
    for (const team of teams)
      await this.store.workspaces.setInactive(workspaceId('slack', team), null);
    this.logger.info(
      { installation: key, reinstall: Boolean(previous) },
      'Slack installation stored',
    );
  }

  async fetchInstallation(
    query: InstallationQuery<boolean>,
  ): Promise<Installation<'v1' | 'v2', boolean>> {
    const record = await this.find(query);
    if (!record) throw new Error('no installation for this workspace');
    return JSON.parse(this.open(record)) as Installation<'v1' | 'v2', boolean>;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    const record = await this.find(query);
    if (record) await this.uninstall(record.key);
  }

  /**
   * Bolt's authorize for every incoming request: the installation of the request's workspace,
   * or of its org when the org installed Pebblebot org-wide (its token then serves the
   * workspace the request came from, which stays the request's team).
   */
  async authorize(source: AuthorizeSourceData<boolean>): Promise<AuthorizeResult> {
    const resolved = await this.resolve(
      source.teamId,
      source.enterpriseId,
      source.isEnterpriseInstall,
    );
    if (!resolved)
      throw new AuthorizationError(
        'Pebblebot is not installed in this workspace',
        new Error(
          `no installation for team ${source.teamId ?? '-'} / enterprise ${source.enterpriseId ?? '-'}`,
        ),
      );
    const teamId = resolved.isEnterpriseInstall ? source.teamId : resolved.teamId;
    return {
      botToken: resolved.botToken,
      ...(resolved.botId ? { botId: resolved.botId } : {}),
      ...(resolved.botUserId ? { botUserId: resolved.botUserId } : {}),
      ...(teamId ? { teamId } : {}),
      ...(resolved.enterpriseId ? { enterpriseId: resolved.enterpriseId } : {}),
      ...(resolved.isEnterpriseInstall && resolved.enterpriseId
        ? { [ORG_INSTALL_PROPERTY]: resolved.enterpriseId }
        : {}),
    };
  }

  /** The installation serving a workspace for a message sent outside a request (the outbox). */
  async forTeam(teamId: string): Promise<ResolvedInstallation | undefined> {
    return this.resolve(teamId, undefined, false);
  }

  /**
   * The app was uninstalled or its tokens revoked: the tokens go, and the workspaces it served
   * are marked inactive (their data stays until an admin deletes it). Returns the token that
   * was removed, when it could be read, so its clients can be dropped too.
   */
  async uninstall(key: string): Promise<string | undefined> {
    const record = await this.store.installations.get(key);
    let token: string | undefined;
    try {
      token = record ? this.tokenOf(record) : undefined;
    } catch {
      token = undefined;
    }
    const teams = record?.isEnterpriseInstall
      ? await this.store.installations.linkedTeams(key)
      : record?.teamId
        ? [record.teamId]
        : key.startsWith('team:')
          ? [key.slice('team:'.length)]
          : [];
    await this.store.installations.remove(key);
    this.cache.delete(key);
    const since = this.clock.now();
    for (const team of teams)
      await this.store.workspaces.setInactive(workspaceId('slack', team), since);
    this.logger.info({ installation: key, workspaces: teams.length }, 'Slack installation removed');
    return token;
  }

  /** The installation key for an uninstall event's workspace or org, when one is stored. */
  async keyFor(
    teamId: string | undefined,
    enterpriseId: string | undefined,
    isEnterpriseInstall: boolean,
  ) {
    const record = await this.find({
      teamId,
      enterpriseId,
      isEnterpriseInstall,
    });
    return record?.key;
  }

  private async resolve(
    teamId: string | undefined,
    enterpriseId: string | undefined,
    isEnterpriseInstall: boolean,
  ): Promise<ResolvedInstallation | undefined> {
    const candidates = [
      ...(!isEnterpriseInstall && teamId ? [`team:${teamId}`] : []),
      ...(enterpriseId ? [`enterprise:${enterpriseId}`] : []),
    ];
    for (const key of candidates) {
      const hit = this.cache.get(key);
      if (hit) return this.linkOnce(hit, teamId);
    }
    // Misses are not cached: an install must serve its first request at once.
    let record: InstallationRecord | null = null;
    for (const key of candidates) {
      record = await this.store.installations.get(key);
      if (record) break;
    }
    if (!record && teamId && !enterpriseId) {
      // A message owed to a workspace of an org (no enterprise id at hand): through its link.
      const linked = await this.store.installations.linkedKey(teamId);
      if (linked) record = await this.store.installations.get(linked);
    }
    if (!record) return undefined;
    const resolved: ResolvedInstallation = {
      key: record.key,
      botToken: this.tokenOf(record),
      ...(record.botId ? { botId: record.botId } : {}),
      ...(record.botUserId ? { botUserId: record.botUserId } : {}),
      ...(record.teamId ? { teamId: record.teamId } : {}),
      ...(record.enterpriseId ? { enterpriseId: record.enterpriseId } : {}),
      isEnterpriseInstall: record.isEnterpriseInstall,
    };
    this.cache.set(record.key, resolved);
    return this.linkOnce(resolved, teamId);
  }

  /**
   * Remembers which workspace an org-wide installation served (see
   * InstallationRepository.linkTeam), and holds a workspace to the org it was first seen in: a
   * request naming another org that also installed Pebblebot is not served with that org's
   * token, so nothing of one org's workspace can be read or written through another's.
   */
  private async linkOnce(
    resolved: ResolvedInstallation,
    teamId: string | undefined,
  ): Promise<ResolvedInstallation | undefined> {
    if (!resolved.isEnterpriseInstall || !teamId) return resolved;
    const link = `${teamId}>${resolved.key}`;
    if (this.linked.get(link)) return resolved;
    const existing = await this.store.installations.linkedKey(teamId);
    if (existing && existing !== resolved.key) {
      this.logger.warn(
        { team: teamId, installation: resolved.key, linked: existing },
        'Slack request naming another org than its workspace’s refused',
      );
      return undefined;
    }
    if (!existing) await this.store.installations.linkTeam(teamId, resolved.key);
    this.linked.set(link, true);
    return resolved;
  }

  private async find(query: InstallationQuery<boolean>): Promise<InstallationRecord | null> {
    const keys = [
      ...(query.isEnterpriseInstall ? [] : query.teamId ? [`team:${query.teamId}`] : []),
      ...(query.enterpriseId ? [`enterprise:${query.enterpriseId}`] : []),
    ];
    for (const key of keys) {
      const record = await this.store.installations.get(key);
      if (record) return record;
    }
    return null;
  }

  private tokenOf(record: InstallationRecord): string {
    return OpenedInstallationSchema.parse(JSON.parse(this.open(record))).bot.token;
  }

  private open(record: InstallationRecord): string {
    return this.cipher.open(SealedSchema.parse(record.sealed), record.key);
  }
}
