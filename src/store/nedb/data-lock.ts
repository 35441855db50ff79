import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { PebbleError } from '../../core/shared/errors.js';

const LOCK_FILE = 'pebblebot.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data folder for this process. The embedded store keeps one file per collection and
 * two processes writing the same files corrupt them, so a second process gets a clear error.
 * A lock left by a process that no longer runs is taken over.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await unlink(file).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new PebbleError(
          'STORE.LOCKED',
          `The data folder ${path.resolve(dir)} is in use by another Pebblebot process (pid ${holder}). ` +
            'Stop that process, or give this one its own folder with DATA_DIR, or use MONGODB_URI to share one store.',
        );
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new PebbleError('STORE.LOCKED', `Could not lock the data folder ${path.resolve(dir)}.`);
}
