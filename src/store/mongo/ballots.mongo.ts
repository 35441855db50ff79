import type { Collection } from 'mongodb';
import { BallotChoiceSchema, type BallotChoice } from '../../core/council/council.model.js';
import type {
  BallotCounts,
  BallotRepository,
  StoredBallot,
} from '../../core/ports/council.port.js';
import { guard, isDuplicateKey } from './mongo.errors.js';

export interface BallotDoc {
  /** `{voteId}|{key}`: the unique key that keeps one ballot per member. */
  _id: string;
  voteId: string;
  key: string;
  choice: BallotChoice;
  name?: string;
}

/**
 * One document per ballot. A first ballot is an insert (the unique `_id` lets exactly one of
 * any number of concurrent first clicks in); a change is an update of that one document. No
 * counter document is ever updated, so FerretDB's non-isolated updates cannot lose a ballot.
 */
export class MongoBallotRepository implements BallotRepository {
  constructor(private readonly db: Collection<BallotDoc>) {}

  static async indexes(db: Collection<BallotDoc>): Promise<void> {
    await db.createIndex({ voteId: 1, choice: 1 });
  }

  cast(
    voteId: string,
    key: string,
    choice: BallotChoice,
    name?: string,
  ): Promise<{ created: boolean; unchanged?: true }> {
    return guard(async () => {
      const _id = `${voteId}|${key}`;
      try {
        await this.db.insertOne({ _id, voteId, key, choice, ...(name ? { name } : {}) });
        return { created: true };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const { matchedCount } = await this.db.updateOne(
        { _id, choice: { $ne: choice } },
        { $set: { choice, ...(name ? { name } : {}) } },
      );
      return matchedCount === 0 ? { created: false, unchanged: true } : { created: false };
    });
  }

  counts(voteId: string): Promise<BallotCounts> {
    return guard(async () => {
      const entries = await Promise.all(
        BallotChoiceSchema.options.map(
          async (choice) => [choice, await this.db.countDocuments({ voteId, choice })] as const,
        ),
      );
      return Object.fromEntries(entries) as BallotCounts;
    });
  }

  present(voteId: string, keys: string[]): Promise<string[]> {
    return guard(async () => {
      if (keys.length === 0) return [];
      const docs = await this.db
        .find({ _id: { $in: keys.map((k) => `${voteId}|${k}`) } }, { projection: { key: 1 } })
        .toArray();
      return docs.map((d) => d.key);
    });
  }

  list(voteId: string): Promise<StoredBallot[]> {
    return guard(async () => {
      const docs = await this.db.find({ voteId }).sort({ _id: 1 }).toArray();
      return docs.map((d) => ({
        key: d.key,
        choice: BallotChoiceSchema.parse(d.choice),
        ...(d.name ? { name: d.name } : {}),
      }));
    });
  }

  /** MongoDB keeps no readable order of past writes in the collection (ids are HMACs). */
  forgetWriteOrder(): Promise<void> {
    return Promise.resolve();
  }
}
