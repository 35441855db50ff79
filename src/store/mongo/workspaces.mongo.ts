import type { Collection } from 'mongodb';
import { PebbleError } from '../../core/shared/errors.js';
import type { HistoryEntry } from '../../core/shared/actor.js';
import {
  WorkspaceSchema,
  type Workspace,
  type WorkspaceSettings,
} from '../../core/workspaces/workspace.model.js';
import type { WorkspaceRepository } from '../../core/ports/store.port.js';
import { guard, isDuplicateKey } from './mongo.errors.js';

export type WorkspaceDoc = Omit<Workspace, 'id'> & { _id: string };

function toWorkspace({ _id, ...rest }: WorkspaceDoc): Workspace {
  return WorkspaceSchema.parse({ ...rest, id: _id });
}

const MAX_ENSURE_ATTEMPTS = 5;

export class MongoWorkspaceRepository implements WorkspaceRepository {
  constructor(private readonly db: Collection<WorkspaceDoc>) {}

  ensure(workspace: Omit<Workspace, 'history'>): Promise<Workspace> {
    return guard(async () => {
      const { id, ...rest } = workspace;
      for (let attempt = 1; attempt <= MAX_ENSURE_ATTEMPTS; attempt++) {
        try {
          const doc = await this.db.findOneAndUpdate(
            { _id: id },
            { $setOnInsert: { ...rest, history: [] } },
            { upsert: true, returnDocument: 'after' },
          );
          if (doc) return toWorkspace(doc);
        } catch (error) {
          // Concurrent first contact: another call inserted it; read the winner's document.
          if (!isDuplicateKey(error)) throw error;
          const found = await this.get(id);
          if (found) return found;
        }
      }
      throw new PebbleError('WORKSPACE.NOT_FOUND', `Workspace ${id} could not be created.`);
    });
  }

  get(id: string): Promise<Workspace | null> {
    return guard(async () => {
      const doc = await this.db.findOne({ _id: id });
      return doc ? toWorkspace(doc) : null;
    });
  }

  updateSettings(
    id: string,
    patch: Partial<WorkspaceSettings>,
    history: HistoryEntry,
  ): Promise<Workspace> {
    return guard(async () => {
      const $set: Record<string, unknown> = { updatedAt: history.at };
      const $unset: Record<string, ''> = {};
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) $unset[`settings.${key}`] = '';
        else $set[`settings.${key}`] = value;
      }
      const doc = await this.db.findOneAndUpdate(
        { _id: id },
        {
          $set,
          $push: { history },
          ...(Object.keys($unset).length ? { $unset } : {}),
        },
        { returnDocument: 'after' },
      );
      if (!doc) throw new PebbleError('WORKSPACE.NOT_FOUND', `No workspace ${id}.`);
      return toWorkspace(doc);
    });
  }

  list(): Promise<Workspace[]> {
    return guard(async () => {
      const docs = await this.db.find({}).sort({ _id: 1 }).toArray();
      return docs.map(toWorkspace);
    });
  }

  setInactive(id: string, since: Date | null): Promise<boolean> {
    return guard(async () => {
      const result = await this.db.updateOne(
        { _id: id },
        since ? { $set: { inactiveSince: since } } : { $unset: { inactiveSince: '' } },
      );
      return result.matchedCount > 0;
    });
  }
}
