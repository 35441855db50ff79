import { update, type Datastore } from './datastore.js';

/** Next value of a named counter; nedb applies one update at a time, so values never repeat. */
export async function nextSequence(db: Datastore, key: string): Promise<number> {
  const result = await update<{ seq: number }>(
    db,
    { _id: key },
    { $inc: { seq: 1 } },
    { upsert: true },
  );
  const doc = result.affectedDocuments;
  if (!doc || Array.isArray(doc)) throw new Error(`Sequence ${key} did not return a value`);
  return doc.seq;
}
