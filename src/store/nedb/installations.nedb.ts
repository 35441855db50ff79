import {
  InstallationRecordSchema,
  type InstallationRecord,
  type InstallationRepository,
} from '../../core/ports/installations.port.js';
import type { Datastore } from './datastore.js';

interface LinkDoc {
  _id: string;
  key: string;
}

export class NedbInstallationRepository implements InstallationRepository {
  constructor(
    private readonly db: Datastore,
    private readonly links: Datastore,
  ) {}

  static async indexes(links: Datastore): Promise<void> {
    await links.ensureIndexAsync({ fieldName: 'key' });
  }

  async save(record: InstallationRecord): Promise<void> {
    const parsed = InstallationRecordSchema.parse(record);
    // A replacement, not a merge: fields of an older install (a user token) must not linger.
    await this.db.updateAsync(
      { _id: parsed.key },
      { ...parsed, _id: parsed.key },
      { upsert: true },
    );
  }

  async get(key: string): Promise<InstallationRecord | null> {
    const doc = (await this.db.findOneAsync({ _id: key })) as Record<string, unknown> | null;
    if (!doc) return null;
    const { _id, ...rest } = doc;
    return InstallationRecordSchema.parse(rest);
  }

  async remove(key: string): Promise<boolean> {
    const removed = await this.db.removeAsync({ _id: key }, {});
    return removed > 0;
  }

  async linkTeam(teamId: string, key: string): Promise<void> {
    await this.links.updateAsync({ _id: teamId }, { _id: teamId, key }, { upsert: true });
  }

  async linkedKey(teamId: string): Promise<string | null> {
    const doc = (await this.links.findOneAsync({ _id: teamId })) as LinkDoc | null;
    return doc?.key ?? null;
  }

  async linkedTeams(key: string): Promise<string[]> {
    const docs = (await this.links.findAsync({ key }).sort({ _id: 1 })) as unknown as LinkDoc[];
    return docs.map((d) => d._id);
  }
}
