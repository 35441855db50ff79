import type { Store } from '../ports/store.port.js';
import type { HistoryEntry } from '../shared/actor.js';
import type { Workspace, WorkspaceSettings } from '../workspaces/workspace.model.js';

/**
 * Changes settings and records the change in the audit log, with the changed keys' values
 * before and after. Every settings path (workspace, council, digest, user-group sync) goes
 * through here, so the log cannot miss one.
 */
export async function updateSettingsAudited(
  store: Store,
  before: Workspace,
  patch: Partial<WorkspaceSettings>,
  history: HistoryEntry,
): Promise<Workspace> {
  const updated = await store.workspaces.updateSettings(before.id, patch, history);
  const keys = Object.keys(patch) as (keyof WorkspaceSettings)[];
  const pick = (settings: WorkspaceSettings) =>
    JSON.stringify(Object.fromEntries(keys.map((k) => [k, settings[k] ?? null])));
  await store.audit.record({
    workspaceId: before.id,
    at: history.at,
    actor: history.actor,
    action: history.action,
    what: keys.join(', '),
    before: pick(before.settings),
    after: pick(updated.settings),
  });
  return updated;
}
