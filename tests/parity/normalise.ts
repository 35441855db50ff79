import type { ParityDriver } from './driver.js';

/**
 * Fields that name a platform's own things (store ids, message timestamps, where a card was
 * posted, how a report arrived) rather than what happened; the parity ignores them.
 */
const PLATFORM_FIELDS = new Set([
  '_id',
  'id',
  'voteId',
  'workspaceId',
  'key',
  'ts',
  'messageId',
  'triageCard',
  'message',
  'source',
  'lockedBy',
  'lockedUntil',
]);

/** Replaces every platform id inside a value by the neutral name it stands for. */
function rename(value: unknown, ids: Map<string, string>): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const [id, name] of ids) if (id !== name) out = out.split(id).join(name);
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => rename(v, ids));
  if (value && typeof value === 'object') {
    const entry = value as { action?: unknown; userId?: unknown };
    // How a report arrived (`slash`, `console`), and a person's display name and team, come
    // from the channel (its command, its profiles), not from the story.
    const ignored = (k: string) =>
      PLATFORM_FIELDS.has(k) ||
      (entry.action === 'reported' && k === 'note') ||
      (entry.userId !== undefined && (k === 'name' || k === 'team'));
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !ignored(k))
        .map(([k, v]) => [rename(k, ids), rename(v, ids)]),
    );
  }
  return value;
}

/** What a run left in its store, with platform ids replaced by the people and channels they are. */
export async function normalisedState(driver: ParityDriver) {
  const { store, workspaceId, ids } = driver.result();
  const all = { limit: 1_000, offset: 0 };
  const byNumber = <T extends { number: number }>(list: T[]) =>
    [...list].sort((a, b) => a.number - b.number);
  const pebbles = byNumber((await store.pebbles.list(workspaceId, {}, all)).items);
  const votes = byNumber((await store.votes.list(workspaceId, {}, all)).items);
  const ballots = await Promise.all(votes.map((v) => store.ballots.counts(v.id)));
  const improvements = byNumber((await store.improvements.list(workspaceId, {}, all)).items);
  const outbox = (await store.outbox.list({ workspaceId }, { limit: 1_000 }))
    .map((m) => ({ kind: m.kind, target: m.target, status: m.status, text: m.view.text }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const workspace = await store.workspaces.get(workspaceId);
  return rename(
    {
      settings: workspace?.settings,
      pebbles,
      votes: votes.map((v, i) => ({ ...v, ballots: ballots[i] })),
      improvements,
      outbox,
    },
    ids,
  );
}
