import { closeSync, openSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import M from '@seald-io/nedb';
import { flushFolderAndFile, writeCompactCopy } from './data-file.js';

// NOTE: the default export of @seald-io/nedb is mistyped under NodeNext; wrap it once here.
type DatastoreClass = typeof M.default;
export const Datastore: DatastoreClass = ((M as unknown as { default?: DatastoreClass }).default ??
  M) as DatastoreClass;
export type Datastore = InstanceType<DatastoreClass>;

/** What `updateAsync` resolves to (the bundled types leave it as any). */
export interface UpdateResult<T> {
  numAffected: number;
  affectedDocuments: (T & { _id: string }) | (T & { _id: string })[] | null;
  upsert: boolean;
}

export async function update<T>(
  db: Datastore,
  query: object,
  updateQuery: object,
  options: { upsert?: boolean; multi?: boolean } = {},
): Promise<UpdateResult<T>> {
  return (await db.updateAsync(query, updateQuery, {
    ...options,
    returnUpdatedDocs: true,
  })) as unknown as UpdateResult<T>;
}

export function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { errorType?: string }).errorType === 'uniqueViolated'
  );
}

const require = createRequire(import.meta.url);
// The serializer nedb writes its own lines with (dates as {$$date}), so both kinds of line read back alike.
const model = require('@seald-io/nedb/lib/model.js') as {
  serialize(doc: unknown): string;
  match(doc: unknown, query: Record<string, unknown>): boolean;
};

/** Whether a stored document matches a query, by nedb's own matcher (for reads in place). */
export function matchesQuery(doc: unknown, query: Record<string, unknown>): boolean {
  return model.match(doc, query);
}

interface StoredNode {
  data: unknown[];
}

/**
 * Calls `fn` with each stored document of `db`, in place as `getAllData()` hands them out (read
 * them only), without building that array: at 100,000 documents it is a megabyte, grown a
 * piece at a time, left to the garbage collector after every pass.
 */
export function forEachStored<T>(db: Datastore, fn: (doc: T) => void): void {
  const { tree } = (
    db as unknown as {
      indexes: { _id: { tree: { executeOnEveryNode(fn: (node: StoredNode) => void): void } } };
    }
  ).indexes._id;
  tree.executeOnEveryNode((node) => {
    for (let i = 0; i < node.data.length; i++) fn(node.data[i] as T);
  });
}

/** One of nedb's indexes, read in place: the stored documents themselves (read them only). */
export interface StoredIndex<T> {
  /** The documents under a key (a compound index's key is an object of its fields). */
  getMatching(key: unknown): T[];
  /** The documents whose keys are in the range, in key order. */
  getBetweenBounds(range: { $gt?: unknown; $gte?: unknown; $lt?: unknown; $lte?: unknown }): T[];
}

/** The index of `db` on `name` (a compound index is named by its fields, sorted, comma-joined). */
export function storedIndex<T>(db: Datastore, name: string): StoredIndex<T> {
  const index = (db as unknown as { indexes: Record<string, StoredIndex<T> | undefined> }).indexes[
    name
  ];
  if (!index) throw new Error(`No index on ${name}`);
  return index;
}

/** Writes all of `text` at the descriptor's position (a write may take only part of it). */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let written = 0; written < bytes.length;)
    written += writeSync(fd, bytes, written, bytes.length - written);
}
const storage = require('@seald-io/nedb/lib/storage.js') as {
  renameAsync(from: string, to: string): Promise<void>;
  flushToStorageAsync(options: { filename: string; isDir?: boolean; mode?: number }): Promise<void>;
};

interface AppendablePersistence {
  db: Datastore;
  filename: string;
  inMemoryOnly: boolean;
  modes: { fileMode: number; dirMode: number };
  afterSerialization(line: string): string | Promise<string>;
  persistNewStateAsync(docs: unknown[]): Promise<void>;
  /** Resolves the file's lines when opening kept the file as it was (see data-file.ts). */
  persistCachedDatabaseAsync(): Promise<number | void>;
}

/** A data file written through `appendThroughOpenFile`. */
export interface AppendedFile {
  /** Lines in the file now: the documents at its last load or compaction, plus every line since. */
  lines(): number;
  /**
   * Compacts the file while its queue keeps serving (see `appendThroughOpenFile`); resolves
   * false, leaving the file as it was, when `refused()` turns true meanwhile or nedb compacted
   * the file itself.
   */
  compactBesideQueue(refused: () => boolean): Promise<boolean>;
  /** Closes the descriptor. */
  close(): void;
}

/** The copy a compaction beside the queue writes; left over only by a crash, removed at open. */
export const besideQueueCopy = (filename: string) => `${filename}~compacting`;

interface NedbExecutor {
  pushAsync<T>(task: () => Promise<T>): Promise<T>;
}

/**
 * Makes `db` append each write with one `write(2)` on a descriptor it keeps open, instead of
 * nedb's `fs.appendFile` (open, write, close: three trips through libuv's thread pool per
 * write, and nedb runs the writes of a file one after another). A burst of writes to one file
 * (a council voting at once, every ballot stored before its ack) queued behind those trips:
 * about 1 ms per write on a busy machine, so the thousandth ballot waited a second.
 *
 * Durability is unchanged: the write has reached the kernel when the operation resolves,
 * exactly as with `appendFile` (neither calls fsync), so an acknowledged write survives the
 * process being killed. The write is synchronous: a few microseconds for one line, less than
 * the event loop spends handing it to the thread pool. Compaction replaces the file (write a
 * copy, rename), so the descriptor is closed before it and reopened by the next append.
 * The lines are counted, so that a file is compacted only when worth it (see nedb.store.ts).
 *
 * `compactBesideQueue` rewrites the file without holding its queue for the whole rewrite: in
 * the soak, nedb's compaction (three fsyncs on a shared disk, and the writing of every document)
 * held a file of 300 ballots for a second, and every ballot waited. So the documents are taken
 * as they are at one point of the queue (nedb never changes a stored document in place: an
 * update replaces it), written to a copy and flushed outside the queue while the writes go on
 * to the file and are also kept aside; then, back on the queue, those writes are appended to
 * the copy and the copy renamed over the file. The crash-safe steps are nedb's (flush the file,
 * write and flush a copy, rename it, flush the folder): killed at any point, the file holds
 * every acknowledged write (the old file until the rename, the complete copy after it). Only
 * the writes kept aside reach the disk unflushed, as every append does.
 */
export function appendThroughOpenFile(db: Datastore): AppendedFile {
  const persistence = db.persistence as unknown as AppendablePersistence;
  const { executor } = db as unknown as { executor: NedbExecutor };
  let lines = 0;
  /** The text appended since a compaction beside the queue took its documents, and its lines. */
  let aside: string[] | undefined;
  let asideLines = 0;
  /** Bumped by nedb's own compaction, which a compaction beside the queue must not undo. */
  let generation = 0;
  if (persistence.inMemoryOnly)
    return {
      lines: () => lines,
      compactBesideQueue: () => Promise.resolve(false),
      close: () => undefined,
    };
  let fd: number | undefined;
  const release = () => {
    if (fd === undefined) return;
    const open = fd;
    fd = undefined;
    closeSync(open);
  };
  const compact = persistence.persistCachedDatabaseAsync.bind(persistence);
  persistence.persistCachedDatabaseAsync = async () => {
    generation++;
    release();
    const kept = await compact();
    // Loading compacts too (unless the file is kept as it was, with the lines it has), so this
    // also counts what a freshly loaded file holds (its indexes' few lines aside). The data
    // cannot change meanwhile: compaction runs on nedb's queue.
    lines = typeof kept === 'number' ? kept : db.getAllData().length;
  };
  persistence.persistNewStateAsync = async (docs) => {
    let text = '';
    for (const doc of docs)
      text += `${await persistence.afterSerialization(model.serialize(doc))}\n`;
    if (!text) return;
    fd ??= openSync(persistence.filename, 'a', persistence.modes.fileMode);
    writeAll(fd, text);
    lines += docs.length;
    if (aside) {
      aside.push(text);
      asideLines += docs.length;
    }
  };
  const compactBesideQueue = async (refused: () => boolean): Promise<boolean> => {
    const { filename, modes } = persistence;
    const copy = besideQueueCopy(filename);
    const started = generation;
    const docs = await executor.pushAsync(() => {
      aside = [];
      asideLines = 0;
      return Promise.resolve(db.getAllData());
    });
    let renamed = false;
    try {
      await flushFolderAndFile(persistence);
      await writeCompactCopy(persistence, copy, docs);
      renamed = await executor.pushAsync(async () => {
        if (refused() || generation !== started) return false;
        const kept = aside!.join('');
        aside = undefined;
        if (kept) {
          const file = openSync(copy, 'a', modes.fileMode);
          try {
            writeAll(file, kept);
          } finally {
            closeSync(file);
          }
        }
        release();
        await storage.renameAsync(copy, filename);
        lines = docs.length + asideLines;
        return true;
      });
    } finally {
      aside = undefined;
      if (!renamed) await rm(copy, { force: true });
    }
    if (!renamed) return false;
    await storage.flushToStorageAsync({
      filename: path.dirname(filename),
      isDir: true,
      mode: modes.dirMode,
    });
    db.emit('compaction.done');
    return true;
  };
  return { lines: () => lines, compactBesideQueue, close: release };
}

/**
 * State an adapter derives from a file's documents (an index nedb cannot keep cheaply): kept in
 * step by the adapter's own writes (it is the only writer of its folder, see data-lock.ts) and
 * built again from every document every `everyMs`, for writes made around it (deleting a
 * workspace's data, a file repaired by hand), so what it missed is missed for that long at most.
 */
export class DerivedState<T> {
  private state: T | undefined;
  private builtAt = 0;

  constructor(
    private readonly build: () => T,
    private readonly everyMs = 60_000,
  ) {}

  /** The state, built first when missing or older than `everyMs`. */
  get(): T {
    const now = Date.now();
    if (this.state === undefined || now - this.builtAt > this.everyMs) {
      this.state = this.build();
      this.builtAt = now;
    }
    return this.state;
  }

  /** The state if built, for a write to keep in step (before the first read there is none). */
  peek(): T | undefined {
    return this.state;
  }
}
