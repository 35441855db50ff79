import { PebbleSchema, type Pebble, type Supporter } from '../core/pebbles/pebble.model.js';
import type { HistoryEntry } from '../core/shared/actor.js';

/**
 * One +1: its own document under a unique key (workspace, pebble number, user), as ballots are.
 * Who supports a pebble and how many do is always derived from these documents, never kept on
 * the pebble: an insert is decided by a unique key on every MongoDB-wire server, whereas a
 * conditional update of the pebble is not isolated on some (FerretDB 1.x counted 100 concurrent
 * +1s as 2), and a count written back to the pebble could overwrite a concurrent change of it.
 */
export interface SupportDoc {
  /** {@link supportKey}: a second +1 of the same user on the same pebble is a duplicate key. */
  _id: string;
  workspaceId: string;
  /** The pebble's number. */
  number: number;
  userId: string;
  name?: string;
  team?: string;
  at: Date;
  /** Breaks ties of `at`: the order the +1s were recorded in (per process). */
  order: number;
  /** The history entry of the +1 (absent on supports moved out of an older pebble document). */
  history?: HistoryEntry;
}

/** Fields older versions kept inside the pebble document; moved to support documents on open. */
export const LEGACY_SUPPORT_FIELDS = ['supporters', 'supporterIds', 'supporterCount'] as const;

export interface LegacySupportFields {
  supporters?: Supporter[];
  supporterIds?: string[];
  supporterCount?: number;
}

export function supportKey(workspaceId: string, number: number, userId: string): string {
  return JSON.stringify([workspaceId, number, userId]);
}

let lastOrder = 0;
/** Increasing within this process, roughly the time elsewhere (µs since the epoch). */
export function nextOrder(): number {
  lastOrder = Math.max(lastOrder + 1, Date.now() * 1000);
  return lastOrder;
}

export function newSupportDoc(
  workspaceId: string,
  number: number,
  supporter: Supporter,
  history?: HistoryEntry,
  order = nextOrder(),
): SupportDoc {
  return {
    _id: supportKey(workspaceId, number, supporter.userId),
    workspaceId,
    number,
    userId: supporter.userId,
    ...(supporter.name ? { name: supporter.name } : {}),
    ...(supporter.team ? { team: supporter.team } : {}),
    at: supporter.at,
    order,
    ...(history ? { history } : {}),
  };
}

/** The support documents of an older pebble document's embedded supporters, in their order. */
export function legacySupportDocs(doc: {
  workspaceId: string;
  number: number;
  supporters?: Supporter[];
}): SupportDoc[] {
  return (doc.supporters ?? []).map((s, i) =>
    newSupportDoc(doc.workspaceId, doc.number, s, undefined, i),
  );
}

const byTime = (a: SupportDoc, b: SupportDoc) =>
  a.at.getTime() - b.at.getTime() || a.order - b.order;

/**
 * What a pebble shows of its supports: the supporters in the order they came, their count,
 * the pebble's history with the +1s merged in by time, and the latest change (a +1 counts).
 */
export function supportFields(
  pebble: { history?: HistoryEntry[]; updatedAt: Date },
  supports: SupportDoc[],
): {
  supporters: Supporter[];
  supporterCount: number;
  history: HistoryEntry[];
  updatedAt: Date;
} {
  const sorted = [...supports].sort(byTime);
  const supporters = sorted.map((s) => ({
    userId: s.userId,
    ...(s.name ? { name: s.name } : {}),
    ...(s.team ? { team: s.team } : {}),
    at: s.at,
  }));
  const own = pebble.history ?? [];
  const plus = sorted.flatMap((s) => (s.history ? [s.history] : []));
  // Stable: on equal times the pebble's own entries come first (a +1 follows the report).
  const history = plus.length
    ? [...own, ...plus].sort((a, b) => a.at.getTime() - b.at.getTime())
    : own;
  let updatedAt = pebble.updatedAt;
  for (const s of sorted) if (s.at > updatedAt) updatedAt = s.at;
  return { supporters, supporterCount: sorted.length, history, updatedAt };
}

/** Support documents grouped by pebble number. */
export function groupByNumber(supports: SupportDoc[]): Map<number, SupportDoc[]> {
  const groups = new Map<number, SupportDoc[]>();
  for (const s of supports) {
    const group = groups.get(s.number);
    if (group) group.push(s);
    else groups.set(s.number, [s]);
  }
  return groups;
}

/**
 * Orders pebbles by a field that +1s change (their count, the latest change), computed from the
 * support documents; ties fall back to the number in the same direction. Returns the numbers.
 * A row's latest change may be a number (the embedded store reads its pebbles in place).
 */
export function orderByDerived(
  rows: { number: number; updatedAt: Date | number }[],
  supports: Pick<SupportDoc, 'number' | 'at'>[],
  field: 'supporterCount' | 'updatedAt',
  direction: 'asc' | 'desc',
): number[] {
  const count = new Map<number, number>();
  const latest = new Map<number, number>();
  for (const s of supports) {
    count.set(s.number, (count.get(s.number) ?? 0) + 1);
    latest.set(s.number, Math.max(latest.get(s.number) ?? 0, s.at.getTime()));
  }
  const key = (r: { number: number; updatedAt: Date | number }) =>
    field === 'supporterCount'
      ? (count.get(r.number) ?? 0)
      : Math.max(
          typeof r.updatedAt === 'number' ? r.updatedAt : r.updatedAt.getTime(),
          latest.get(r.number) ?? 0,
        );
  const dir = direction === 'asc' ? 1 : -1;
  return rows
    .map((r) => ({ number: r.number, key: key(r) }))
    .sort((a, b) => dir * (a.key - b.key || a.number - b.number))
    .map((r) => r.number);
}

/** A stored pebble: what it shows of its supports is derived from the support documents. */
export type PebbleDoc = Omit<Pebble, 'id' | 'supporters' | 'supporterCount'> & {
  _id: string;
} & LegacySupportFields;

/** A stored pebble as the domain sees it, with its supports read back. */
export function toPebble(doc: PebbleDoc, supports: SupportDoc[]): Pebble {
  const { _id, supporters: _s, supporterIds: _i, supporterCount: _c, ...rest } = doc;
  return PebbleSchema.parse({ ...rest, ...supportFields(doc, supports), id: _id });
}

/** An adapter's reading of the support documents of some pebbles of one workspace. */
export type SupportReader = (workspaceId: string, numbers: number[]) => Promise<SupportDoc[]>;

/** The query of the support documents of these pebbles, for an adapter that reads by query. */
export function supportsQuery(workspaceId: string, numbers: number[]): Record<string, unknown> {
  return numbers.length === 1
    ? { workspaceId, number: numbers[0]! }
    : { workspaceId, number: { $in: numbers } };
}

/**
 * The first characters of the key (see supportKey) of every +1 of one pebble, and a string
 * just past all of them: the +1s of a pebble are one range of keys.
 */
export function supportKeyRange(
  workspaceId: string,
  number: number,
): { $gte: string; $lt: string } {
  // `["<workspace>",<number>,"`: each key goes on with the user id, then `"]`.
  const prefix = JSON.stringify([workspaceId, number, '']).slice(0, -2);
  // The same with its last character, `"`, one higher: past every key that begins so.
  return { $gte: prefix, $lt: `${prefix.slice(0, -1)}#` };
}

/** Reads the support documents of these pebbles (through `read`), grouped by number. */
export async function supportsOf(
  read: SupportReader,
  workspaceId: string,
  numbers: number[],
): Promise<Map<number, SupportDoc[]>> {
  if (numbers.length === 0) return new Map();
  return groupByNumber(await read(workspaceId, numbers));
}

/** The pebbles of these documents with their supports read back (see supportsOf). */
export async function withSupports(read: SupportReader, docs: PebbleDoc[]): Promise<Pebble[]> {
  const [first] = docs;
  if (!first) return [];
  const supports = await supportsOf(
    read,
    first.workspaceId,
    docs.map((d) => d.number),
  );
  return docs.map((d) => toPebble(d, supports.get(d.number) ?? []));
}

/**
 * Adds a +1 as one insert under its unique key (see PebbleRepository.addSupporter), through
 * the adapter's operations: `insert` resolves false on a duplicate key.
 */
export async function addSupport(
  ops: {
    exists(): Promise<boolean>;
    insert(doc: SupportDoc): Promise<boolean>;
    remove(id: string): Promise<void>;
    get(): Promise<Pebble | null>;
  },
  workspaceId: string,
  number: number,
  supporter: Supporter,
  history: HistoryEntry,
): Promise<{ added: boolean; pebble: Pebble | null }> {
  if (!(await ops.exists())) return { added: false, pebble: null };
  const support = newSupportDoc(workspaceId, number, supporter, history);
  const added = await ops.insert(support);
  const pebble = await ops.get();
  if (!pebble && added) {
    // Deleted (merged away) meanwhile: take the +1 back rather than leave it behind.
    await ops.remove(support._id);
    return { added: false, pebble: null };
  }
  return { added, pebble };
}
