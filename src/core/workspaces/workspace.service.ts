import type { Clock } from '../shared/clock.port.js';
import { PebbleError } from '../shared/errors.js';
import type { Store } from '../../store/store.port.js';
import {
  defaultSettings,
  isWorkspaceAdmin,
  workspaceId,
  WorkspaceSettingsSchema,
  type Platform,
  type Workspace,
  type WorkspaceSettings,
} from './workspace.model.js';

/** The person acting, resolved once per request by the channel. */
export interface UserContext {
  userId: string;
  name?: string;
  team?: string;
  /** True when the platform says this user administers the workspace. */
  platformAdmin?: boolean;
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

  isAdmin(workspace: Workspace, user: UserContext): boolean {
    return isWorkspaceAdmin(workspace, user);
  }

  /** Changes settings (admins only), validating the result and recording who changed what. */
  async updateSettings(
    workspace: Workspace,
    user: UserContext,
    patch: Partial<WorkspaceSettings>,
  ): Promise<Workspace> {
    if (!this.isAdmin(workspace, user)) {
      throw new PebbleError(
        'WORKSPACE.NOT_ADMIN',
        'Only workspace admins can change Pebblebot settings.',
      );
    }
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
    return this.store.workspaces.updateSettings(workspace.id, changes, {
      at: this.clock.now(),
      actor: user.userId,
      action: 'settings',
      note: keys.join(', '),
    });
  }
}
