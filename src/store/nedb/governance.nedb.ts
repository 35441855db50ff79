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
import { update, type Datastore } from './datastore.js';

type Doc = { _id: string } & Record<string, unknown>;

const toAudit = ({ _id, ...rest }: Doc): AuditEntry => AuditEntrySchema.parse({ ...rest, id: _id });
const toToken = ({ _id, ...rest }: Doc): ApiToken => ApiTokenSchema.parse({ ...rest, id: _id });

export class NedbAuditRepository implements AuditRepository {
  constructor(private readonly db: Datastore) {}

  static async indexes(db: Datastore): Promise<void> {
    await db.ensureIndexAsync({ fieldName: 'workspaceId' });
  }

  async record(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    const doc = AuditEntrySchema.omit({ id: true }).parse(entry);
    return toAudit(await this.db.insertAsync({ ...doc, _id: auditId() }));
  }

  async list(
    workspaceId: string,
    options: { limit?: number; offset?: number } = {},
  ): Promise<Page<AuditEntry>> {
    const total = await this.db.countAsync({ workspaceId });
    const docs = (await this.db
      .findAsync({ workspaceId })
      .sort({ at: -1, _id: -1 })
      .skip(options.offset ?? 0)
      .limit(options.limit ?? 50)) as unknown as Doc[];
    return { items: docs.map(toAudit), total };
  }
}

export class NedbApiTokenRepository implements ApiTokenRepository {
  constructor(private readonly db: Datastore) {}

  static async indexes(db: Datastore): Promise<void> {
    await db.ensureIndexAsync({ fieldName: 'hash', unique: true });
    await db.ensureIndexAsync({ fieldName: 'workspaceId' });
  }

  async create(token: ApiToken): Promise<ApiToken> {
    const { id, ...rest } = ApiTokenSchema.parse(token);
    return toToken(await this.db.insertAsync({ ...rest, _id: id }));
  }

  async byHash(hash: string): Promise<ApiToken | null> {
    const doc = (await this.db.findOneAsync({ hash })) as Doc | null;
    return doc ? toToken(doc) : null;
  }

  async list(workspaceId: string): Promise<ApiToken[]> {
    const docs = (await this.db
      .findAsync({ workspaceId })
      .sort({ createdAt: 1 })) as unknown as Doc[];
    return docs.map(toToken);
  }

  async revoke(workspaceId: string, id: string, by: string, at: Date): Promise<ApiToken | null> {
    const result = await update<Doc>(
      this.db,
      { _id: id, workspaceId, revokedAt: { $exists: false } },
      { $set: { revokedAt: at, revokedBy: by } },
    );
    const doc = result.affectedDocuments;
    return doc && !Array.isArray(doc) ? toToken(doc) : null;
  }
}

/**
 * Rewrites data files without their stale lines. nedb appends every change, so the text a
 * change replaced stays in its file, as an earlier line, until the file is rewritten.
 */
export type EraseStaleLines = (dbs: Datastore[]) => Promise<void>;

/**
 * Data rights over the embedded collections (one process owns the folder, so no races). What
 * is forgotten, deleted or redacted is also rewritten out of the files at once, not left in
 * their earlier lines until a rewrite worth doing for its own sake (or the next close).
 */
export class NedbDataRightsRepository implements DataRightsRepository {
  constructor(
    private readonly dbs: Record<string, Datastore>,
    private readonly tokens: Datastore,
    private readonly eraseStaleLines: EraseStaleLines = () => Promise.resolve(),
  ) {}

  private async voteIds(workspaceId: string): Promise<string[]> {
    const votes = (await this.dbs.votes!.findAsync({ workspaceId })) as unknown as Doc[];
    return votes.map((v) => v._id);
  }

  async forgetMember(
    workspaceId: string,
    userId: string,
    alias: string,
  ): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const rewrite = async (name: string, db: Datastore, docs: Doc[]) => {
      let n = 0;
      for (const doc of docs) {
        const next = forgetInDocument(name, doc, userId, alias);
        if (!next) continue;
        if (next._id === doc._id) await db.updateAsync({ _id: doc._id }, next, {});
        else {
          await db.removeAsync({ _id: doc._id }, {});
          await db.insertAsync(next);
        }
        n++;
      }
      counts[name] = n;
    };
    for (const name of WORKSPACE_COLLECTIONS) {
      const db = this.dbs[name]!;
      await rewrite(name, db, (await db.findAsync({ workspaceId })) as unknown as Doc[]);
    }
    const ballots = this.dbs.ballots!;
    await rewrite(
      'ballots',
      ballots,
      (await ballots.findAsync({
        voteId: { $in: await this.voteIds(workspaceId) },
      })) as unknown as Doc[],
    );
    const workspaces = this.dbs.workspaces!;
    await rewrite(
      'workspaces',
      workspaces,
      (await workspaces.findAsync({ _id: workspaceId })) as unknown as Doc[],
    );
    // Every file looked at, changed now or not: an earlier line may name them all the same.
    await this.eraseStaleLines([
      ...WORKSPACE_COLLECTIONS.map((name) => this.dbs[name]!),
      ballots,
      workspaces,
    ]);
    return counts;
  }

  async deleteWorkspace(workspaceId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    counts.ballots = await this.dbs.ballots!.removeAsync(
      { voteId: { $in: await this.voteIds(workspaceId) } },
      { multi: true },
    );
    for (const name of WORKSPACE_COLLECTIONS)
      counts[name] = await this.dbs[name]!.removeAsync({ workspaceId }, { multi: true });
    counts.apiTokens = await this.tokens.removeAsync({ workspaceId }, { multi: true });
    const prefix = new RegExp(`^${workspaceId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`);
    counts.sequences = await this.dbs.sequences!.removeAsync(
      { _id: { $regex: prefix } },
      { multi: true },
    );
    counts.workspaces = await this.dbs.workspaces!.removeAsync({ _id: workspaceId }, {});
    await this.eraseStaleLines([
      this.dbs.ballots!,
      ...WORKSPACE_COLLECTIONS.map((name) => this.dbs[name]!),
      this.tokens,
      this.dbs.sequences!,
      this.dbs.workspaces!,
    ]);
    return counts;
  }

  async redactClosedPebbles(
    workspaceId: string,
    before: Date,
    history: HistoryEntry,
  ): Promise<number> {
    const result = await update<Doc>(
      this.dbs.pebbles!,
      {
        workspaceId,
        status: { $in: ['resolved', 'declined', 'duplicate'] },
        updatedAt: { $lt: before },
        title: { $ne: RETAINED_TITLE },
      },
      // The AI suggestion's title and summary are words from the text too.
      {
        $set: { title: RETAINED_TITLE, description: '' },
        $unset: { suggestion: true },
        $push: { history },
      },
      { multi: true },
    );
    if (result.numAffected > 0) await this.eraseStaleLines([this.dbs.pebbles!]);
    return result.numAffected;
  }
}
