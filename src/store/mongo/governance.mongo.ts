import type { Collection, Db } from 'mongodb';
import {
  ApiTokenSchema,
  AuditEntrySchema,
  RETAINED_TITLE,
  type ApiToken,
  type AuditEntry,
} from '../../core/governance/governance.model.js';
import type { HistoryEntry } from '../../core/shared/actor.js';
import { auditId } from '../audit-id.js';
import { forgetInDocument, WORKSPACE_COLLECTIONS } from '../forget-member.js';
import type {
  ApiTokenRepository,
  AuditRepository,
  DataRightsRepository,
} from '../../core/ports/governance.port.js';
import type { Page } from '../../core/ports/store.port.js';
import { guard } from './mongo.errors.js';

type Doc = { _id: string } & Record<string, unknown>;

const toAudit = ({ _id, ...rest }: Doc): AuditEntry => AuditEntrySchema.parse({ ...rest, id: _id });
const toToken = ({ _id, ...rest }: Doc): ApiToken => ApiTokenSchema.parse({ ...rest, id: _id });

export class MongoAuditRepository implements AuditRepository {
  constructor(private readonly db: Collection<Doc>) {}

  static async indexes(db: Collection<Doc>): Promise<void> {
    await db.createIndex({ workspaceId: 1, at: -1 });
  }

  record(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    return guard(async () => {
      const doc = { ...AuditEntrySchema.omit({ id: true }).parse(entry), _id: auditId() };
      await this.db.insertOne(doc);
      return toAudit(doc);
    });
  }

  list(
    workspaceId: string,
    options: { limit?: number; offset?: number } = {},
  ): Promise<Page<AuditEntry>> {
    return guard(async () => {
      const total = await this.db.countDocuments({ workspaceId });
      const docs = await this.db
        .find({ workspaceId })
        .sort({ at: -1, _id: -1 })
        .skip(options.offset ?? 0)
        .limit(options.limit ?? 50)
        .toArray();
      return { items: docs.map(toAudit), total };
    });
  }
}

export class MongoApiTokenRepository implements ApiTokenRepository {
  constructor(private readonly db: Collection<Doc>) {}

  static async indexes(db: Collection<Doc>): Promise<void> {
    await db.createIndex({ hash: 1 }, { unique: true });
    await db.createIndex({ workspaceId: 1 });
  }

  create(token: ApiToken): Promise<ApiToken> {
    return guard(async () => {
      const { id, ...rest } = ApiTokenSchema.parse(token);
      await this.db.insertOne({ ...rest, _id: id });
      return token;
    });
  }

  byHash(hash: string): Promise<ApiToken | null> {
    return guard(async () => {
      const doc = await this.db.findOne({ hash });
      return doc ? toToken(doc) : null;
    });
  }

  list(workspaceId: string): Promise<ApiToken[]> {
    return guard(async () =>
      (await this.db.find({ workspaceId }).sort({ createdAt: 1 }).toArray()).map(toToken),
    );
  }

  revoke(workspaceId: string, id: string, by: string, at: Date): Promise<ApiToken | null> {
    return guard(async () => {
      const doc = await this.db.findOneAndUpdate(
        { _id: id, workspaceId, revokedAt: { $exists: false } },
        { $set: { revokedAt: at, revokedBy: by } },
        { returnDocument: 'after' },
      );
      return doc ? toToken(doc) : null;
    });
  }
}

/** Data rights over the MongoDB collections. */
export class MongoDataRightsRepository implements DataRightsRepository {
  constructor(private readonly db: Db) {}

  private col(name: string): Collection<Doc> {
    return this.db.collection<Doc>(name);
  }

  private async voteIds(workspaceId: string): Promise<string[]> {
    const votes = await this.col('votes')
      .find({ workspaceId }, { projection: { _id: 1 } })
      .toArray();
    return votes.map((v) => v._id);
  }

  forgetMember(
    workspaceId: string,
    userId: string,
    alias: string,
  ): Promise<Record<string, number>> {
    return guard(async () => {
      const counts: Record<string, number> = {};
      const rewrite = async (name: string, docs: Doc[]) => {
        const col = this.col(name);
        let n = 0;
        for (const doc of docs) {
          const next = forgetInDocument(name, doc, userId, alias);
          if (!next) continue;
          if (next._id === doc._id) await col.replaceOne({ _id: doc._id }, next);
          else {
            await col.deleteOne({ _id: doc._id });
            await col.insertOne(next);
          }
          n++;
        }
        counts[name] = n;
      };
      for (const name of WORKSPACE_COLLECTIONS)
        await rewrite(name, await this.col(name).find({ workspaceId }).toArray());
      await rewrite(
        'ballots',
        await this.col('ballots')
          .find({ voteId: { $in: await this.voteIds(workspaceId) } })
          .toArray(),
      );
      await rewrite(
        'workspaces',
        await this.col('workspaces').find({ _id: workspaceId }).toArray(),
      );
      return counts;
    });
  }

  deleteWorkspace(workspaceId: string): Promise<Record<string, number>> {
    return guard(async () => {
      const counts: Record<string, number> = {};
      counts.ballots = (
        await this.col('ballots').deleteMany({ voteId: { $in: await this.voteIds(workspaceId) } })
      ).deletedCount;
      for (const name of WORKSPACE_COLLECTIONS)
        counts[name] = (await this.col(name).deleteMany({ workspaceId })).deletedCount;
      counts.apiTokens = (await this.col('api_tokens').deleteMany({ workspaceId })).deletedCount;
      const prefix = `^${workspaceId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`;
      counts.sequences = (
        await this.col('sequences').deleteMany({ _id: { $regex: prefix } })
      ).deletedCount;
      counts.workspaces = (
        await this.col('workspaces').deleteOne({ _id: workspaceId })
      ).deletedCount;
      return counts;
    });
  }

  redactClosedPebbles(workspaceId: string, before: Date, history: HistoryEntry): Promise<number> {
    return guard(async () => {
      const result = await this.col('pebbles').updateMany(
        {
          workspaceId,
          status: { $in: ['resolved', 'declined', 'duplicate'] },
          updatedAt: { $lt: before },
          title: { $ne: RETAINED_TITLE },
        },
        // The AI suggestion's title and summary are words from the text too.
        {
          $set: { title: RETAINED_TITLE, description: '' },
          $unset: { suggestion: '' },
          $push: { history },
        } as object,
      );
      return result.modifiedCount;
    });
  }
}
