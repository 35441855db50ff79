import { randomUUID } from 'node:crypto';
import { PebbleSchema, type Pebble } from '../../core/pebbles/pebble.model.js';
import type {
  ListOptions,
  NewPebble,
  Page,
  PebbleChange,
  PebbleFilter,
  PebbleRepository,
  PebbleSortField,
} from '../store.port.js';
import { update, type Datastore } from './datastore.js';
import { nextSequence } from './sequences.nedb.js';

type PebbleDoc = Omit<Pebble, 'id'> & { _id: string; supporterIds: string[] };

function toPebble(doc: PebbleDoc): Pebble {
  const { _id, supporterIds: _ignored, ...rest } = doc;
  return PebbleSchema.parse({ ...rest, id: _id });
}

function toQuery(workspaceId: string, filter: PebbleFilter = {}): Record<string, unknown> {
  const query: Record<string, unknown> = { workspaceId };
  if (filter.status?.length) query.status = { $in: filter.status };
  if (filter.journey) query.journey = filter.journey;
  if (filter.stage) query.stage = filter.stage;
  if (filter.stakeholder) query.stakeholder = filter.stakeholder;
  if (filter.reporterId) query['reporter.userId'] = filter.reporterId;
  if (filter.supporterId) query.supporterIds = filter.supporterId;
  if (filter.sourceMessage) {
    query['source.channelId'] = filter.sourceMessage.channelId;
    query['source.messageTs'] = filter.sourceMessage.messageTs;
  }
  if (filter.createdFrom || filter.createdTo) {
    query.createdAt = {
      ...(filter.createdFrom ? { $gte: filter.createdFrom } : {}),
      ...(filter.createdTo ? { $lt: filter.createdTo } : {}),
    };
  }
  return query;
}

export class NedbPebbleRepository implements PebbleRepository {
  constructor(
    private readonly db: Datastore,
    private readonly sequences: Datastore,
  ) {}

  static async indexes(db: Datastore): Promise<void> {
    await db.ensureIndexAsync({ fieldName: ['workspaceId', 'number'], unique: true });
    // NOTE: no single-field workspaceId index: nedb would pick it over the compound one and
    // scan a whole workspace for every update by number (data folders of older versions have it).
    await db.removeIndexAsync('workspaceId');
  }

  async create(pebble: NewPebble): Promise<Pebble> {
    const number = await nextSequence(this.sequences, `${pebble.workspaceId}:pebble`);
    const doc: PebbleDoc = {
      ...pebble,
      _id: randomUUID(),
      number,
      supporters: [],
      supporterIds: [],
      supporterCount: 0,
    };
    return toPebble(await this.db.insertAsync(doc));
  }

  async get(workspaceId: string, number: number): Promise<Pebble | null> {
    const doc = (await this.db.findOneAsync({ workspaceId, number })) as PebbleDoc | null;
    return doc ? toPebble(doc) : null;
  }

  async list(
    workspaceId: string,
    filter?: PebbleFilter,
    options: ListOptions<PebbleSortField> = {},
  ): Promise<Page<Pebble>> {
    const query = toQuery(workspaceId, filter);
    const sort = options.sort ?? { field: 'number', direction: 'desc' };
    const dir = sort.direction === 'asc' ? 1 : -1;
    let cursor = this.db
      .findAsync(query)
      .sort(sort.field === 'number' ? { number: dir } : { [sort.field]: dir, number: dir });
    if (options.offset) cursor = cursor.skip(options.offset);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    const [docs, total] = await Promise.all([
      cursor as unknown as Promise<PebbleDoc[]>,
      this.db.countAsync(query) as unknown as Promise<number>,
    ]);
    return { items: docs.map(toPebble), total };
  }

  async update(workspaceId: string, number: number, change: PebbleChange): Promise<Pebble | null> {
    const query: Record<string, unknown> = { workspaceId, number };
    if (change.ifStatus) query.status = { $in: change.ifStatus };
    const ops: Record<string, unknown> = {
      $set: { ...change.set, updatedAt: change.history.at },
      $push: { history: change.history },
    };
    if (change.unset?.length) ops.$unset = Object.fromEntries(change.unset.map((k) => [k, true]));
    const result = await update<PebbleDoc>(this.db, query, ops);
    const doc = result.affectedDocuments;
    return doc && !Array.isArray(doc) ? toPebble(doc) : null;
  }

  async addSupporter(
    workspaceId: string,
    number: number,
    supporter: Pebble['supporters'][number],
    history: PebbleChange['history'],
  ) {
    // NOTE: nedb matches `{ array: { $ne: x } }` when any element differs, so "not yet a
    // supporter" is written as a top-level $not; nedb runs one operation at a time per file.
    const result = await update<PebbleDoc>(
      this.db,
      { workspaceId, number, $not: { supporterIds: supporter.userId } },
      {
        $push: { supporters: supporter, supporterIds: supporter.userId, history },
        $inc: { supporterCount: 1 },
        $set: { updatedAt: history.at },
      },
    );
    const doc = result.affectedDocuments;
    if (doc && !Array.isArray(doc)) return { added: true, pebble: toPebble(doc) };
    return { added: false, pebble: await this.get(workspaceId, number) };
  }

  async delete(workspaceId: string, number: number): Promise<boolean> {
    return (await this.db.removeAsync({ workspaceId, number }, {})) > 0;
  }
}
