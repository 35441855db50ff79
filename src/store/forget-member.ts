import { FORMER_MEMBER_NAME } from '../core/governance/governance.model.js';

/**
 * Forgetting a member, one stored document at a time, the same on every adapter. Identity shows
 * up in many shapes (a reporter, a supporter record keyed by user, history actors, owners, open
 * ballots, council members, a DM target, person tokens inside a stored message view, a map
 * keyed by user id), so the whole document is walked: every string equal to the id, every key
 * equal to it and every token naming it take the alias; an object that names the member also
 * loses the name and team beside it.
 */
const PERSON_FIELDS = ['userId', 'ownerId', 'actor', 'by', 'proposedBy', 'assignedBy', 'doneBy'];

function walk(value: unknown, userId: string, alias: string): unknown {
  if (typeof value === 'string') {
    if (value === userId) return alias;
    return value.includes(userId) ? value.split(userId).join(alias) : value;
  }
  if (Array.isArray(value)) return value.map((v) => walk(v, userId, alias));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const input = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(input))
    out[key === userId ? alias : key] = walk(v, userId, alias);
  if (PERSON_FIELDS.some((f) => input[f] === userId)) {
    if ('name' in out) out.name = FORMER_MEMBER_NAME;
    if ('ownerName' in out) out.ownerName = FORMER_MEMBER_NAME;
    delete out.team;
  }
  return out;
}

/**
 * The document with the member forgotten, or undefined when it does not mention them. `_id`
 * may change (a +1 or an open ballot is keyed by the user): the adapter then replaces the
 * document. A pending outbox message addressed to the member is given up.
 */
export function forgetInDocument<T extends { _id: string }>(
  collection: string,
  doc: T,
  userId: string,
  alias: string,
): T | undefined {
  if (!JSON.stringify(doc).includes(userId)) return undefined;
  const next = walk(doc, userId, alias) as T;
  const fields = next as unknown as Record<string, unknown>;
  if (
    collection === 'outbox' &&
    (doc as unknown as { target?: { userId?: string } }).target?.userId === userId &&
    (fields.status === 'pending' || fields.status === 'sending')
  ) {
    fields.status = 'failed';
    fields.lastError = 'The recipient asked to be forgotten.';
  }
  return next;
}

/** The collections holding a workspace's data, by the field naming the workspace. */
export const WORKSPACE_COLLECTIONS = [
  'pebbles',
  'supports',
  'improvements',
  'votes',
  'outbox',
  'digests',
  'conversations',
] as const;
