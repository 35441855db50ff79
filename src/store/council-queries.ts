import type { VoteChange, VoteFilter } from '../core/ports/council.port.js';

/**
 * The vote queries both adapters share: nedb and MongoDB read the same operators ($in,
 * $exists, $lte, $or), so the embedded store and MongoDB select exactly the same votes.
 */
export function voteQuery(workspaceId: string, filter: VoteFilter = {}): Record<string, unknown> {
  const query: Record<string, unknown> = { workspaceId };
  if (filter.status?.length) query.status = { $in: filter.status };
  if (filter.pebbleNumber !== undefined) query.pebbleNumbers = filter.pebbleNumber;
  return query;
}

/** The conditions of a change as a query. */
export function voteConditions(change: VoteChange): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  const c = change.if;
  if (!c) return query;
  if (c.status) query.status = { $in: c.status };
  if (c.notReminded) query.remindedAt = { $exists: false };
  if (c.undecided) query.decision = { $exists: false };
  if (c.applied !== undefined) query.applied = c.applied;
  if (c.notReproposed) query.reproposedAs = { $exists: false };
  if (c.wipStatus) query['wip.status'] = { $in: c.wipStatus };
  if (c.noMessage) query.message = { $exists: false };
  return query;
}

/** What the council sweep looks at (see VoteRepository.needingAttention). */
export function attentionQuery(now: Date): Record<string, unknown> {
  return {
    $or: [
      { status: 'open', deadline: { $lte: now } },
      { status: 'open', remindAt: { $lte: now }, remindedAt: { $exists: false } },
      { status: 'open', message: { $exists: false } },
      { status: { $in: ['decided', 'escalated'] }, applied: false },
      { reproposeAt: { $lte: now }, reproposedAs: { $exists: false } },
      { 'wip.status': 'queued' },
    ],
  };
}

/** Drops keys whose value is undefined (neither store should keep holes). */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
