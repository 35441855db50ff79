import type { Collection } from 'mongodb';
import { isDuplicateKey } from './mongo.errors.js';

export interface SequenceDoc {
  _id: string;
  seq: number;
}

const MAX_UPSERT_ATTEMPTS = 10;

/**
 * Next value of a named counter: one `$inc` with upsert. Two first-ever calls may both try to
 * insert the counter; the loser gets E11000 and simply increments the counter the winner made.
 */
export async function nextSequence(db: Collection<SequenceDoc>, key: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const doc = await db.findOneAndUpdate(
        { _id: key },
        { $inc: { seq: 1 } },
        { upsert: true, returnDocument: 'after' },
      );
      if (!doc) throw new Error(`Sequence ${key} did not return a value`);
      return doc.seq;
    } catch (error) {
      if (!isDuplicateKey(error) || attempt >= MAX_UPSERT_ATTEMPTS) throw error;
    }
  }
}

/**
 * Moves a counter up to at least `value` (`$max`, atomic). Used when the counter turned out to
 * be behind the numbers in use (restored backup, deleted counter, a server without atomic
 * `$inc`), so the next value is free again.
 */
export async function raiseSequence(
  db: Collection<SequenceDoc>,
  key: string,
  value: number,
): Promise<void> {
  try {
    await db.updateOne({ _id: key }, { $max: { seq: value } }, { upsert: true });
  } catch (error) {
    // A concurrent upsert created the counter first: the next `$inc` or repair still works.
    if (!isDuplicateKey(error)) throw error;
  }
}

/**
 * Runs tasks one after another per key, in this process: creates of one workspace whose
 * number was taken retry in turn, so racing creators stop colliding.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after the tasks queued before it under `key`. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}
