import type { Datastore } from './datastore.js';

/**
 * The names of the fields that hold a time in the documents of a file held with
 * `holdTimesAsNumbers` (pebbles and their +1s). A number under one of these names is read back
 * as a Date, so these files must not use them for anything but times.
 */
const TIME_FIELDS = new Set(['at', 'createdAt', 'updatedAt', 'resolvedAt']);

/** A document as a file held with `holdTimesAsNumbers` stores it: every Date a number. */
export type StoredTimes<T> = T extends Date
  ? number
  : T extends readonly (infer U)[]
    ? StoredTimes<U>[]
    : T extends object
      ? { [K in keyof T]: StoredTimes<T[K]> }
      : T;

const isPlain = (value: object) => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/** A copy of a document, query or update with every Date as its milliseconds since the epoch. */
export function timesToNumbers<T>(value: T): StoredTimes<T> {
  if (value instanceof Date) return value.getTime() as StoredTimes<T>;
  if (Array.isArray(value)) return value.map(timesToNumbers) as StoredTimes<T>;
  // Regular expressions ($regex) and anything else that is not plain data stay as they are.
  if (typeof value !== 'object' || value === null || !isPlain(value))
    return value as StoredTimes<T>;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) copy[key] = timesToNumbers(field);
  return copy as StoredTimes<T>;
}

/** A copy of a stored document with its times (see TIME_FIELDS) as Dates again. */
export function numbersToTimes<T>(value: StoredTimes<T>): T {
  return revive(value, undefined) as T;
}

function revive(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'number')
    return key !== undefined && TIME_FIELDS.has(key) ? new Date(value) : value;
  if (Array.isArray(value)) return value.map((item) => revive(item, key));
  if (typeof value !== 'object' || value === null || !isPlain(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) copy[name] = revive(field, name);
  return copy;
}

interface ReadCursor {
  mapFn?: (docs: unknown[]) => unknown;
}

/**
 * Makes `db` hold the times of its documents as numbers (milliseconds since the epoch) rather
 * than Date objects, in memory and in its file. The embedded store holds every document in
 * memory, and a Date costs about 110 bytes of heap where a number costs about 16: at 100,000
 * pebbles with their history and +1s that is some 40 MB. Callers see no difference through
 * nedb's operations: Dates in documents, queries and updates are written as numbers (a query
 * on a time compares numbers, in the same order), and documents read back have their times as
 * Dates again. Only reads in place (`getAllData`, an index's `getMatching`) see the numbers:
 * type them with `StoredTimes`. Files written before hold Dates; `readDataLines` reads their
 * times as numbers (`timesAsNumbers`), and the compaction on load rewrites them so.
 */
export function holdTimesAsNumbers(db: Datastore): void {
  const reviving = <C>(cursor: C): C => {
    const read = cursor as ReadCursor;
    const map = read.mapFn;
    if (map) read.mapFn = (docs) => numbersToTimes(map(docs) as never);
    return cursor;
  };
  const insert = db.insertAsync.bind(db);
  const update = db.updateAsync.bind(db);
  const remove = db.removeAsync.bind(db);
  const find = db.findAsync.bind(db);
  const findOne = db.findOneAsync.bind(db);
  const count = db.countAsync.bind(db);
  Object.assign(db, {
    insertAsync: async (docs: unknown) =>
      numbersToTimes<unknown>(await insert(timesToNumbers(docs) as never)),
    updateAsync: async (query: unknown, change: unknown, options: object) => {
      const result = (await update(
        timesToNumbers(query),
        timesToNumbers(change) as never,
        options,
      )) as unknown as { affectedDocuments?: unknown };
      return result.affectedDocuments
        ? { ...result, affectedDocuments: numbersToTimes(result.affectedDocuments as never) }
        : result;
    },
    removeAsync: (query: unknown, options: object) => remove(timesToNumbers(query), options),
    findAsync: (query: unknown, projection?: object) =>
      reviving(find(timesToNumbers(query), projection)),
    findOneAsync: (query: unknown, projection?: object) =>
      reviving(findOne(timesToNumbers(query), projection)),
    countAsync: (query: unknown) => count(timesToNumbers(query)),
  });
}
