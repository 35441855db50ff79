import { lstat, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { PebbleError } from '../../core/shared/errors.js';

/** The lock: a directory (mkdir is atomic on every file system, NFS included). */
export const LOCK_NAME = 'pebblebot.lock';
/** Who holds the lock, for the message a second process shows (informative only). */
const OWNER_FILE = 'pebblebot.owner.json';

export interface DataLockOptions {
  /**
   * A lock whose directory was not refreshed for this long belongs to a process that is gone
   * (crashed, killed, its host lost) and is taken over. Default 15 s.
   */
  staleMs?: number;
  /** How often the holder refreshes the lock. Default a third of `staleMs`. */
  updateMs?: number;
  /**
   * Called when this process has lost the lock while running (another process took it over
   * after this one stalled past `staleMs`, or the lock directory was removed).
   */
  onCompromised?: (error: PebbleError) => void;
}

export interface DataLock {
  release(): Promise<void>;
}

interface Owner {
  host: string;
  pid: number;
  since: string;
}

const DEFAULT_STALE_MS = 15_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Versions before this one left a plain file holding a pid. Such a file is honoured only while
 * that pid runs and is not this process; its pid says nothing across containers, so it cannot
 * be trusted further than that.
 */
async function clearLegacyLock(dir: string, file: string): Promise<void> {
  const info = await lstat(file).catch(() => undefined);
  if (!info?.isFile()) return;
  const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
    throw new PebbleError(
      'STORE.LOCKED',
      `The data folder ${path.resolve(dir)} is in use by another Pebblebot process (pid ${holder}, an older version). ` +
        'Stop that process, or give this one its own folder with DATA_DIR, or use MONGODB_URI to share one store.',
    );
  }
  await unlink(file).catch(() => undefined);
}

async function lockedError(dir: string, file: string, staleMs: number): Promise<PebbleError> {
  const where = path.resolve(dir);
  const owner = await readFile(path.join(dir, OWNER_FILE), 'utf8')
    .then((text) => JSON.parse(text) as Owner)
    .catch(() => undefined);
  const refreshed = await stat(file).then(
    (s) => Date.now() - s.mtimeMs,
    () => undefined,
  );
  const who = owner ? ` (host ${owner.host}, pid ${owner.pid}, since ${owner.since})` : '';
  const staleS = Math.round(staleMs / 1000);
  const recent =
    refreshed !== undefined
      ? ` Its lock was refreshed ${Math.max(0, Math.round(refreshed / 1000))} s ago; if that process has crashed, ` +
        `the lock is taken over once it is ${staleS} s old, so start again after that.`
      : '';
  return new PebbleError(
    'STORE.LOCKED',
    `The data folder ${where} is in use by another Pebblebot process${who}. ` +
      'Stop that process, or give this one its own folder with DATA_DIR, or use MONGODB_URI to share one store.' +
      recent,
  );
}

/**
 * Takes the data folder for this process. The embedded store keeps one file per collection and
 * two processes writing the same files corrupt them, so a second process gets a clear error.
 *
 * The lock is a directory kept fresh by its mtime (proper-lockfile), not a pid: pids repeat
 * across containers (every container's first process is pid 1) and mean nothing on another
 * host sharing the volume. A holder that stops refreshing it (crash, kill -9) leaves a lock that
 * is taken over after `staleMs`.
 */
export async function lockDataDir(dir: string, options: DataLockOptions = {}): Promise<DataLock> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, LOCK_NAME);
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  await clearLegacyLock(dir, file);
  let release: () => Promise<void>;
  let lost = false;
  try {
    release = await lockfile.lock(dir, {
      lockfilePath: file,
      stale: staleMs,
      update: options.updateMs ?? Math.max(1_000, Math.floor(staleMs / 3)),
      retries: 0,
      onCompromised: (cause) => {
        lost = true;
        options.onCompromised?.(
          new PebbleError(
            'STORE.LOCKED',
            `Pebblebot lost the lock on its data folder ${path.resolve(dir)} (${cause.message}); ` +
              'another process may be writing there now, so this one writes nothing more.',
            { cause },
          ),
        );
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw await lockedError(dir, file, staleMs);
    }
    throw error;
  }
  const owner: Owner = { host: os.hostname(), pid: process.pid, since: new Date().toISOString() };
  await writeFile(path.join(dir, OWNER_FILE), JSON.stringify(owner)).catch(() => undefined);
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      // A lost lock and its owner file may be another process's by now: leave them alone.
      if (lost) return;
      await unlink(path.join(dir, OWNER_FILE)).catch(() => undefined);
      await release().catch(() => undefined);
    },
  };
}
