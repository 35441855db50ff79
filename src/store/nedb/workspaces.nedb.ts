import { WorkspaceSchema, type Workspace } from '../../core/workspaces/workspace.model.js';
import { PebbleError } from '../../core/shared/errors.js';
import type { WorkspaceRepository } from '../../core/ports/store.port.js';
import { isUniqueViolation, update, type Datastore } from './datastore.js';

type WorkspaceDoc = Omit<Workspace, 'id'> & { _id: string };

function toWorkspace({ _id, ...rest }: WorkspaceDoc): Workspace {
  return WorkspaceSchema.parse({ ...rest, id: _id });
}

export class NedbWorkspaceRepository implements WorkspaceRepository {
  constructor(private readonly db: Datastore) {}

  async ensure(workspace: Omit<Workspace, 'history'>): Promise<Workspace> {
    const { id, ...rest } = workspace;
    // nedb has no $setOnInsert: insert, and a duplicate _id means someone created it first.
    try {
      return toWorkspace(await this.db.insertAsync({ ...rest, _id: id, history: [] }));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const found = await this.get(id);
    if (!found)
      throw new PebbleError('WORKSPACE.NOT_FOUND', `Workspace ${id} could not be created.`);
    return found;
  }

  async get(id: string): Promise<Workspace | null> {
    const doc = (await this.db.findOneAsync({ _id: id })) as WorkspaceDoc | null;
    return doc ? toWorkspace(doc) : null;
  }

  async updateSettings(
    id: string,
    patch: Partial<Workspace['settings']>,
    history: Workspace['history'][number],
  ): Promise<Workspace> {
    const $set: Record<string, unknown> = { updatedAt: history.at };
    for (const [key, value] of Object.entries(patch)) $set[`settings.${key}`] = value;
    const result = await update<WorkspaceDoc>(this.db, { _id: id }, { $set, $push: { history } });
    const doc = result.affectedDocuments;
    if (!doc || Array.isArray(doc))
      throw new PebbleError('WORKSPACE.NOT_FOUND', `No workspace ${id}.`);
    return toWorkspace(doc);
  }

  async list(): Promise<Workspace[]> {
    const docs = (await this.db.findAsync({}).sort({ _id: 1 })) as unknown as WorkspaceDoc[];
    return docs.map(toWorkspace);
  }

  async setInactive(id: string, since: Date | null): Promise<boolean> {
    const changed = await this.db.updateAsync(
      { _id: id },
      since ? { $set: { inactiveSince: since } } : { $unset: { inactiveSince: true } },
      {},
    );
    return (changed as unknown as { numAffected: number }).numAffected > 0;
  }
}
