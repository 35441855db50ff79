import { open, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Datastore } from './datastore.js';

const require = createRequire(import.meta.url);
// nedb's own serializer and file helpers, so the files stay exactly what nedb writes and reads.
const model = require('@seald-io/nedb/lib/model.js') as { serialize(doc: unknown): string };
const storage = require('@seald-io/nedb/lib/storage.js') as {
  existsAsync(file: string): Promise<boolean>;
  renameAsync(from: string, to: string): Promise<void>;
  flushToStorageAsync(options: { filename: string; isDir?: boolean; mode?: number }): Promise<void>;
};

type Doc = Record<string, unknown> & { _id?: unknown };
interface IndexSpec {
  fieldName: string | string[];
  unique?: boolean;
  sparse?: boolean;
}
/** What a load found in the file itself, to decide whether opening rewrites it. */
export interface FileAsRead {
  /** Non-empty lines, documents and index definitions alike. */
  lines: number;
  /** Documents live after the last line of each. */
  live: number;
  /** Lines that could not be read (a line torn by a crash, a line edited by hand). */
  corrupt: number;
  /** The file ends with a newline (or is empty): the next append starts a line of its own. */
  complete: boolean;
  /** Some date is in nedb's `$$date` form in a file held with times as numbers. */
  olderForm: boolean;
}

interface Loaded {
  data: Doc[];
  indexes: Record<string, IndexSpec>;
  file: FileAsRead;
}

interface FilePersistence {
  filename: string;
  inMemoryOnly: boolean;
  corruptAlertThreshold: number;
  modes: { fileMode: number; dirMode: number };
  db: Datastore;
  afterSerialization(line: string): Promise<string>;
  beforeDeserialization(line: string): Promise<string>;
  treatRawStreamAsync(stream: AsyncIterable<string>): Promise<Loaded>;
  /** Resolves the file's lines when opening kept the file as it was (see readAndCompactInChunks). */
  persistCachedDatabaseAsync(): Promise<number | void>;
}

/** How much serialized text a compaction holds before writing it out. */
const COMPACTION_CHUNK = 1 << 20;

/** Strings up to this length are shared between the documents of one file as it loads. */
const SHARED_STRING_LENGTH = 32;

/** Objects of at most this many short strings are shared likewise. */
const SHARED_OBJECT_FIELDS = 4;

/** What the documents of one file share as it loads (see `deserializeLine`). */
export interface SharedValues {
  strings: Map<string, string>;
  /** By their JSON text. */
  objects: Map<string, object>;
}

/** An object of at most SHARED_OBJECT_FIELDS strings of at most SHARED_STRING_LENGTH. */
function isSmallRecordOfStrings(value: object): boolean {
  if (Array.isArray(value)) return false;
  let fields = 0;
  for (const field in value) {
    const text = (value as Record<string, unknown>)[field];
    if (typeof text !== 'string' || text.length > SHARED_STRING_LENGTH) return false;
    if (++fields > SHARED_OBJECT_FIELDS) return false;
  }
  return fields > 0;
}

/**
 * nedb's reading of one line (`model.deserialize`), with three savings of memory. Equal dates
 * within a document share one Date object: a stored pebble repeats its creation time in its
 * first history entry and its last change in `updatedAt`, and a Date costs about 110 bytes of
 * heap (some 20 MB at 100,000 pebbles). Short strings equal to one already read from the file
 * (`shared`) are that same string: every document repeats its workspace id, and most repeat
 * a handful of statuses, stages, teams and people, each a separate copy of 30–60 bytes once
 * parsed (some 12 MB at 100,000 pebbles and their +1s). Long text (titles, descriptions) is
 * rarely repeated and is left alone. And small objects of short strings equal to one already
 * read are that same object: a pebble's reporter (the same person, name and team on each of
 * their pebbles) and its source (`{kind: 'slash'}` on most), some 7 MB at 100,000 pebbles.
 * Sharing objects is safe because nedb never hands out its own objects (every read is a deep
 * copy, every update replaces the document) and the code that reads them in place (the
 * digest's metrics, the pebble lists) only reads them; strings cannot change.
 * With `timesAsNumbers` (a file held with `holdTimesAsNumbers`), dates are read as numbers.
 */
export function deserializeLine(
  line: string,
  shared?: SharedValues,
  timesAsNumbers = false,
  seen?: { olderForm: boolean },
): Doc {
  // Parsed first, then walked: a reviver costs a call from the parser for every value, which
  // made reading four times slower than parsing (some 2 s of a start at 100,000 pebbles).
  const reading: Reading = { shared, timesAsNumbers, seen, dates: undefined };
  return revive(JSON.parse(line) as unknown, true, reading) as Doc;
}

interface Reading {
  shared: SharedValues | undefined;
  timesAsNumbers: boolean;
  seen: { olderForm: boolean } | undefined;
  /** The Dates of this document, by time. */
  dates: Map<number, Date> | undefined;
}

/** One parsed value of a line, read as `deserializeLine` says; `whole`: the document itself. */
function revive(value: unknown, whole: boolean, reading: Reading): unknown {
  const { shared } = reading;
  if (typeof value === 'string') {
    if (!shared || value.length > SHARED_STRING_LENGTH) return value;
    const same = shared.strings.get(value);
    if (same !== undefined) return same;
    shared.strings.set(value, value);
    return value;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], false, reading);
    return value;
  }
  const record = value as Record<string, unknown>;
  if ('$$date' in record) return dateOf(record.$$date, reading);
  for (const key of Object.keys(record)) {
    // Assigning `__proto__` would set the prototype: such a key keeps what JSON.parse made.
    if (key === '__proto__') continue;
    // Always assigned: an equal string is not the same string, and sharing is the point.
    record[key] = revive(record[key], false, reading);
  }
  if (!shared || whole || !isSmallRecordOfStrings(record)) return record;
  const text = JSON.stringify(record);
  const same = shared.objects.get(text);
  if (same !== undefined) return same;
  shared.objects.set(text, record);
  return record;
}

/** nedb's `{$$date: time}`: a number when times are held as numbers, else a shared Date. */
function dateOf(time: unknown, reading: Reading): unknown {
  if (reading.timesAsNumbers) {
    if (reading.seen) reading.seen.olderForm = true;
    return time;
  }
  reading.dates ??= new Map();
  let date = reading.dates.get(time as number);
  if (!date) reading.dates.set(time as number, (date = new Date(time as number)));
  return date;
}

/**
 * Reads a data file the way nedb's loader does (the last line of a document wins, `$$deleted`
 * removes it, `$$indexCreated`/`$$indexRemoved` define the indexes, too many unreadable lines
 * refuse the file), with two differences. Lines end only at `\n`: nedb's line splitter also cuts
 * at U+2028, U+2029, U+0085, \v, \f and \r, which JSON leaves unescaped inside strings, so a
 * document whose text held one of them was dropped as corrupt at the next start and lost at the
 * compaction after it. And lines are read in one loop rather than one promise chain per line.
 */
export async function readDataLines(
  chunks: AsyncIterable<string>,
  options: {
    corruptAlertThreshold: number;
    beforeDeserialization?: (line: string) => Promise<string>;
    /** Dates read as numbers (see `holdTimesAsNumbers`). */
    timesAsNumbers?: boolean;
  },
): Promise<Loaded> {
  const byId = new Map<unknown, Doc>();
  const indexes: Record<string, IndexSpec> = {};
  // Only for this load: kept afterwards, it would hold every short string ever read.
  const shared: SharedValues = { strings: new Map(), objects: new Map() };
  let lines = 0;
  let corrupt = 0;
  const seen = { olderForm: false };
  const take = async (line: string) => {
    if (line === '') return;
    lines++;
    try {
      const doc = deserializeLine(
        options.beforeDeserialization ? await options.beforeDeserialization(line) : line,
        shared,
        options.timesAsNumbers,
        seen,
      );
      const created = doc.$$indexCreated as IndexSpec | undefined;
      if (doc._id) {
        if (doc.$$deleted === true) byId.delete(doc._id);
        else byId.set(doc._id, doc);
      } else if (created && created.fieldName != null) indexes[String(created.fieldName)] = created;
      else if (typeof doc.$$indexRemoved === 'string') delete indexes[doc.$$indexRemoved];
    } catch {
      corrupt++;
    }
  };
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      await take(text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
  }
  const complete = rest === '';
  await take(rest);
  if (lines > 0 && corrupt / lines > options.corruptAlertThreshold) {
    const rate = corrupt / lines;
    throw Object.assign(
      new Error(
        `${Math.floor(100 * rate)}% of the data file is corrupt, more than given corruptAlertThreshold (${Math.floor(100 * options.corruptAlertThreshold)}%). Cautiously refusing to start NeDB to prevent dataloss.`,
      ),
      { corruptionRate: rate, corruptItems: corrupt, dataLength: lines },
    );
  }
  return {
    data: [...byId.values()],
    indexes,
    file: { lines, live: byId.size, corrupt, complete, olderForm: seen.olderForm },
  };
}

/**
 * Writes text at a file's current position, all of it, through one buffer reused from piece to
 * piece (grown when a piece needs more): a new buffer per piece would leave each one to the
 * garbage collector, and they piled up outside the heap.
 */
function pieceWriter(file: FileHandle): (text: string) => Promise<void> {
  let buffer = Buffer.allocUnsafe(0);
  return async (text) => {
    const length = Buffer.byteLength(text, 'utf8');
    if (length > buffer.length) buffer = Buffer.allocUnsafe(length);
    buffer.write(text, 0, length, 'utf8');
    for (let written = 0; written < length;)
      written += (await file.write(buffer, written, length - written)).bytesWritten;
  };
}

/**
 * nedb's compaction (`persistCachedDatabaseAsync` with `crashSafeWriteFileLinesAsync`: flush the
 * folder and the file, write a copy beside it, flush the copy, rename it over the file, flush
 * the folder), writing the copy a megabyte at a time. nedb serializes every document into one
 * array of lines first, then queues each line on a write stream without waiting: at 100,000
 * pebbles that held the whole file twice over, 280 MB at the peak, on every start and every
 * ten minutes afterwards, and left some 115 MB of freed memory the process never returned.
 */
async function compactInChunks(persistence: FilePersistence): Promise<void> {
  const { filename, modes } = persistence;
  const dir = path.dirname(filename);
  const copy = `${filename}~`;
  await flushFolderAndFile(persistence);
  await writeCompactCopy(persistence, copy, persistence.db.getAllData());
  await storage.renameAsync(copy, filename);
  await storage.flushToStorageAsync({ filename: dir, isDir: true, mode: modes.dirMode });
  persistence.db.emit('compaction.done');
}

/** The first step of a crash-safe rewrite: what the file holds now is on the disk. */
export async function flushFolderAndFile(persistence: {
  filename: string;
  modes: { fileMode: number; dirMode: number };
}): Promise<void> {
  const { filename, modes } = persistence;
  const dir = path.dirname(filename);
  await storage.flushToStorageAsync({ filename: dir, isDir: true, mode: modes.dirMode });
  if (await storage.existsAsync(filename))
    await storage.flushToStorageAsync({ filename, mode: modes.fileMode });
}

/**
 * Writes `docs` and the datastore's index definitions into `copy`, a megabyte at a time, and
 * flushes it to the disk. `after` (lines already serialized) is written last, before the flush.
 */
export async function writeCompactCopy(
  persistence: {
    db: Datastore;
    modes: { fileMode: number };
    afterSerialization(line: string): string | Promise<string>;
  },
  copy: string,
  docs: unknown[],
): Promise<void> {
  const file = await open(copy, 'w', persistence.modes.fileMode);
  try {
    const write = pieceWriter(file);
    let text = '';
    const line = async (doc: unknown) => {
      text += `${await persistence.afterSerialization(model.serialize(doc))}\n`;
      if (text.length < COMPACTION_CHUNK) return;
      await write(text);
      text = '';
    };
    for (const doc of docs) await line(doc);
    const { indexes } = persistence.db as unknown as { indexes: Record<string, IndexSpec> };
    for (const [name, index] of Object.entries(indexes))
      if (name !== '_id') {
        const { fieldName, unique, sparse } = index;
        await line({ $$indexCreated: { fieldName, unique, sparse } });
      }
    if (text) await write(text);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * Makes `db` read its file with `readDataLines` and compact it with `compactInChunks`. Call it
 * before `appendThroughOpenFile`, which wraps the compaction. `timesAsNumbers`: the file's
 * dates are read as numbers (for a datastore held with `holdTimesAsNumbers`). `rewriteAtOpen`:
 * opening always rewrites the file, whole or not (see `keepAsOpened`).
 */
export function readAndCompactInChunks(
  db: Datastore,
  { timesAsNumbers = false, rewriteAtOpen = false } = {},
): void {
  const persistence = db.persistence as unknown as FilePersistence;
  if (persistence.inMemoryOnly) return;
  /** The file as the load in progress read it, for the compaction nedb runs right after. */
  let opened: FileAsRead | undefined;
  persistence.treatRawStreamAsync = async (chunks) => {
    const loaded = await readDataLines(chunks, {
      corruptAlertThreshold: persistence.corruptAlertThreshold,
      beforeDeserialization: (line) => persistence.beforeDeserialization(line),
      timesAsNumbers,
    });
    opened = loaded.file;
    return loaded;
  };
  persistence.persistCachedDatabaseAsync = async () => {
    const read = opened;
    opened = undefined;
    // The documents loaded are the ones indexed (a load that failed indexed none).
    if (read && !rewriteAtOpen && keepAsOpened(read) && read.live === db.getAllData().length)
      return read.lines;
    await compactInChunks(persistence);
  };
}

/**
 * Whether opening may keep a file as it is rather than rewrite it, as nedb does at every load:
 * at 100,000 pebbles the rewrite was about half of a start's time. Only a file that is whole
 * (no unreadable line, a newline at its end so that the next append starts a line of its own),
 * in the current form, and not worth compacting by the same rule as the periodic check: a file
 * torn by a crash is rewritten without the torn line, as before.
 */
function keepAsOpened(read: FileAsRead): boolean {
  return (
    read.complete &&
    read.corrupt === 0 &&
    !read.olderForm &&
    !worthCompacting(read.lines, read.live)
  );
}

/** Below this many stale lines a file is not rewritten, however few documents it holds. */
export const COMPACTION_FLOOR = 1_000;

/**
 * Whether a file is worth rewriting: its lines that no longer hold a live document (replaced
 * by a later line of the same document, or deleted) outnumber the live ones, and the floor.
 *
 * nedb's own autocompaction rewrote every file every 10 minutes however little it had gained,
 * holding the file's queue for the whole rewrite: in the soak the pebbles file (20,000
 * documents, mostly inserts) held every request that touched it for seconds. The rewrite now
 * runs beside the queue (`compactBesideQueue` in datastore.ts), but still costs a pass over
 * every document and three flushes to the disk. With this rule a file that mostly grows
 * (pebbles: one insert and a few updates each) is rewritten each time it has about doubled, so
 * the cost of rewriting stays proportional to what was written; a file of few documents updated
 * often (leases, sequences, ballots being changed) is rewritten when its stale lines pass the
 * floor, which keeps each rewrite short; and a file never exceeds about twice its live data
 * plus the floor, which bounds the time a start spends reading it (and opening keeps it so).
 */
export function worthCompacting(lines: number, live: number): boolean {
  const stale = lines - live;
  return stale > Math.max(live, COMPACTION_FLOOR);
}
