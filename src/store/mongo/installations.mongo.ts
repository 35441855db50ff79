import type { Collection } from 'mongodb';
import {
  InstallationRecordSchema,
  type InstallationRecord,
  type InstallationRepository,
} from '../../core/ports/installations.port.js';
import { guard } from './mongo.errors.js';

export type InstallationDoc = InstallationRecord & { _id: string };
export interface InstallationLinkDoc {
  _id: string;
  key: string;
}

export class MongoInstallationRepository implements InstallationRepository {
  constructor(
    private readonly db: Collection<InstallationDoc>,
    private readonly links: Collection<InstallationLinkDoc>,
  ) {}

  static async indexes(links: Collection<InstallationLinkDoc>): Promise<void> {
    await links.createIndex({ key: 1 });
  }

  save(record: InstallationRecord): Promise<void> {
    return guard(async () => {
      const parsed = InstallationRecordSchema.parse(record);
      // A replacement, not a merge: fields of an older install (a user token) must not linger.
      await this.db.replaceOne({ _id: parsed.key }, parsed, { upsert: true });
    });
  }

  get(key: string): Promise<InstallationRecord | null> {
    return guard(async () => {
      const doc = await this.db.findOne({ _id: key });
      if (!doc) return null;
      const { _id, ...rest } = doc;
      return InstallationRecordSchema.parse(rest);
    });
  }

  remove(key: string): Promise<boolean> {
    return guard(async () => {
      const result = await this.db.deleteOne({ _id: key });
      return result.deletedCount > 0;
    });
  }

  linkTeam(teamId: string, key: string): Promise<void> {
    return guard(async () => {
      await this.links.replaceOne({ _id: teamId }, { key }, { upsert: true });
    });
  }

  linkedKey(teamId: string): Promise<string | null> {
    return guard(async () => (await this.links.findOne({ _id: teamId }))?.key ?? null);
  }

  linkedTeams(key: string): Promise<string[]> {
    return guard(async () =>
      (await this.links.find({ key }).sort({ _id: 1 }).toArray()).map((d) => d._id),
    );
  }
}
