import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { CAST_FILE } from './cast.js';

/**
 * Empties the demo folder for a new run. A folder that is neither empty nor a previous demo's
 * (it has no cast.json) is refused: DEMO_DATA_DIR pointed at real data must never wipe it.
 */
export function freshDemoFolder(dir: string): void {
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(CAST_FILE)) {
      throw new Error(
        `${dir} is not empty and holds no demo (${CAST_FILE}); choose another DEMO_DATA_DIR.`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
}
