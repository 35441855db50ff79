import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What an embedded store folder holds, document by document, as one comparable string: the
 * append-only files replayed (last write of an id wins, deletions drop it), so two snapshots
 * are equal exactly when no document was written, whatever compaction did to the files.
 * Leases are left out: the scheduler renews them on its own clock, not because of a request.
 */
export function snapshotStore(dataDir: string, skip: string[] = ['leases']): string {
  if (!existsSync(dataDir)) return '{}';
  const collections: Record<string, Record<string, unknown>> = {};
  for (const file of readdirSync(dataDir).sort()) {
    if (!file.endsWith('.db')) continue;
    const name = file.slice(0, -3);
    if (skip.includes(name)) continue;
    const docs: Record<string, unknown> = {};
    for (const line of readFileSync(path.join(dataDir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const doc = JSON.parse(line) as { _id?: string; $$deleted?: boolean };
      if (typeof doc._id !== 'string') continue;
      if (doc.$$deleted) delete docs[doc._id];
      else docs[doc._id] = doc;
    }
    collections[name] = Object.fromEntries(
      Object.entries(docs).sort(([a], [b]) => a.localeCompare(b)),
    );
  }
  return JSON.stringify(collections);
}
