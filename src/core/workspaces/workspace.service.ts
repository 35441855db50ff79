import { IANAZone } from 'luxon';
import { updateSettingsAudited } from '../governance/audit.js';
import type { Clock } from '../shared/clock.port.js';
import { PebbleError } from '../shared/errors.js';
import type { Store } from '../ports/store.port.js';
import {
  defaultSettings,
  isWorkspaceAdmin,
  workspaceId,
  WorkspaceSettingsSchema,
  type Platform,
  type Workspace,
  type WorkspaceSettings,
} from './workspace.model.js';
import { applyCatalogOp, type CatalogOp } from './catalog.js';

/**
 * The person acting, resolved once per request by the channel. Services decide what they may
 * do; the channel only says who they are and, when the platform knows, how to ask for its role.
 */
export interface UserContext {
  userId: string;
  name?: string;
  team?: string;
  /** True when the platform says this user administers the workspace (undefined: not asked). */
  platformAdmin?: boolean;
  /** Asks the platform whether the user administers the workspace; only rules that need it call it. */
  resolvePlatformAdmin?: () => Promise<boolean>;
}

export class WorkspaceService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** The workspace of a Slack team, Teams tenant or console, created on first contact. */
  async ensure(
    platform: Platform,
    externalId: string,
    options: { name?: string; settings?: Partial<WorkspaceSettings> } = {},
  ): Promise<Workspace> {
    const now = this.clock.now();
    return this.store.workspaces.ensure({
      id: workspaceId(platform, externalId),
      platform,
      externalId,
      ...(options.name ? { name: options.name } : {}),
      settings: { ...defaultSettings(), ...options.settings },
      createdAt: now,
      updatedAt: now,
    });
  }

  async get(id: string): Promise<Workspace> {
    const workspace = await this.store.workspaces.get(id);
    if (!workspace) throw new PebbleError('WORKSPACE.NOT_FOUND', `Unknown workspace ${id}.`);
    return workspace;
  }

  /** Whether the user administers Pebblebot here (what they see, e.g. the Home tab's admin part). */
  isAdmin(workspace: Workspace, user: UserContext): Promise<boolean> {
    return isWorkspaceAdmin(workspace, user);
  }

  /** Throws WORKSPACE.NOT_ADMIN unless the user administers Pebblebot in this workspace. */
  async requireAdmin(
    workspace: Workspace,
    user: UserContext,
    what = 'change Pebblebot settings',
  ): Promise<void> {
    if (!(await this.isAdmin(workspace, user)))
      throw new PebbleError(
        'WORKSPACE.NOT_ADMIN',
        `Only Pebblebot admins can ${what}. Ask a workspace admin, or ask to be added with \`/pebble config admins\`.`,
      );
  }

  /**
   * Switches AI on or off for the workspace (admins only, recorded in the audit log). Off, no
   * request about it leaves for the AI provider; everything runs on the deterministic paths.
   */
  async setAiEnabled(workspace: Workspace, user: UserContext, on: boolean): Promise<Workspace> {
    await this.requireAdmin(workspace, user, 'switch AI on or off');
    return this.updateSettings(workspace, user, { aiEnabled: on });
  }

  /** Changes settings (admins only), validating the result and recording who changed what. */
  async updateSettings(
    workspace: Workspace,
    user: UserContext,
    patch: Partial<WorkspaceSettings>,
    /** What the history says beyond the keys changed (e.g. "renamed the stage Buy to Purchase"). */
    options: { note?: string } = {},
  ): Promise<Workspace> {
    await this.requireAdmin(workspace, user);
    // The stored schema accepts any zone name so an old document always reads back; a change
    // must name a zone luxon (and so the schedules and nudges) understands.
    if (patch.timezone !== undefined && !IANAZone.isValidZone(patch.timezone))
      throw new PebbleError(
        'WORKSPACE.INVALID_SETTING',
        `"${patch.timezone}" is not a time zone: write it like Europe/Berlin or America/New_York.`,
      );
    const parsed = WorkspaceSettingsSchema.partial().safeParse(patch);
    if (!parsed.success) {
      throw new PebbleError(
        'WORKSPACE.INVALID_SETTING',
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    }
    // A partial schema still fills defaults; keep only what the caller asked to change.
    const changes = Object.fromEntries(
      Object.entries(parsed.data).filter(([key]) => key in patch),
    ) as Partial<WorkspaceSettings>;
    const keys = Object.keys(changes);
    // The stored settings, not the caller's copy, are what the audit's "before" shows.
    const before = (await this.store.workspaces.get(workspace.id)) ?? workspace;
    return updateSettingsAudited(this.store, before, changes, {
      at: this.clock.now(),
      actor: user.userId,
      action: 'settings',
      note: options.note ? `${keys.join(', ')}: ${options.note}`.slice(0, 2_000) : keys.join(', '),
    });
  }

  /**
   * Adds, renames, reorders, retires or brings back a stage, or adds or renames a journey
   * (admins; audited). A retired stage stays in the catalog, so pebbles placed there keep
   * their label and history.
   */
  async editCatalog(
    workspace: Workspace,
    user: UserContext,
    op: CatalogOp,
  ): Promise<{ workspace: Workspace; summary: string }> {
    await this.requireAdmin(workspace, user);
    const fresh = (await this.store.workspaces.get(workspace.id)) ?? workspace;
    const { journeys, summary } = applyCatalogOp(fresh.settings.journeys, op);
    const updated = await this.updateSettings(fresh, user, { journeys }, { note: summary });
    return { workspace: updated, summary };
  }

  /** Sets the workspace time zone (admins; audited): the digest and votes' deadlines follow it. */
  setTimezone(workspace: Workspace, user: UserContext, zone: string): Promise<Workspace> {
    return this.updateSettings(workspace, user, { timezone: zone.trim() });
  }
}
