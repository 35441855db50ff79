import { BallotChoiceSchema, type BallotChoice } from '../../core/council/council.model.js';
import type {
  BallotCounts,
  BallotRepository,
  StoredBallot,
} from '../../core/ports/council.port.js';
import { isUniqueViolation, type Datastore } from './datastore.js';

interface BallotDoc {
  _id: string;
  voteId: string;
  key: string;
  choice: BallotChoice;
  name?: string;
}

/**
 * Ballots in their own file, one document per (vote, key) under a unique `_id`: a first ballot
 * is an insert, a change is an update of that one document.
 */
export class NedbBallotRepository implements BallotRepository {
  constructor(
    private readonly db: Datastore,
    /**
     * The files that keep traces of a secret vote (the order of ballot writes, the salt in the
     * votes file): rewritten when a vote is sealed. Empty for an in-memory store.
     */
    private readonly files: Datastore[] = [],
  ) {}

  static async indexes(db: Datastore): Promise<void> {
    await db.ensureIndexAsync({ fieldName: 'voteId' });
  }

  async cast(
    voteId: string,
    key: string,
    choice: BallotChoice,
    name?: string,
  ): Promise<{ created: boolean; unchanged?: true }> {
    const _id = `${voteId}|${key}`;
    try {
      await this.db.insertAsync({ _id, voteId, key, choice, ...(name ? { name } : {}) });
      return { created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const { numAffected } = await this.db.updateAsync(
      { _id, choice: { $ne: choice } },
      { $set: { choice, ...(name ? { name } : {}) } },
      {},
    );
    return numAffected === 0 ? { created: false, unchanged: true } : { created: false };
  }

  async counts(voteId: string): Promise<BallotCounts> {
    const docs = (await this.db.findAsync({ voteId }, { choice: 1 })) as unknown as {
      choice: BallotChoice;
    }[];
    const counts = Object.fromEntries(
      BallotChoiceSchema.options.map((c) => [c, 0]),
    ) as BallotCounts;
    for (const doc of docs) counts[BallotChoiceSchema.parse(doc.choice)]++;
    return counts;
  }

  async present(voteId: string, keys: string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const docs = (await this.db.findAsync(
      { _id: { $in: keys.map((k) => `${voteId}|${k}`) } },
      { key: 1 },
    )) as unknown as { key: string }[];
    return docs.map((d) => d.key);
  }

  async list(voteId: string): Promise<StoredBallot[]> {
    const docs = (await this.db.findAsync({ voteId }).sort({ _id: 1 })) as unknown as BallotDoc[];
    return docs.map((d) => ({
      key: d.key,
      choice: BallotChoiceSchema.parse(d.choice),
      ...(d.name ? { name: d.name } : {}),
    }));
  }

  async forgetWriteOrder(): Promise<void> {
    // NOTE: nedb appends every write to its file; compaction rewrites it from the in-memory
    // index, ordered by _id (an HMAC for secret ballots), not by the time of writing.
    for (const db of this.files) await db.compactDatafileAsync();
  }
}
