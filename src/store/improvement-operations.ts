import { ImprovementSchema, type Improvement } from '../core/improvements/improvement.model.js';
import type { ImprovementChange, ImprovementFilter } from '../core/ports/improvements.port.js';

/** A stored improvement; `feedbackIds` keeps one answer per person (see addFeedback). */
export type ImprovementDoc = Omit<Improvement, 'id'> & { _id: string; feedbackIds: string[] };

export function toImprovement(doc: ImprovementDoc): Improvement {
  const { _id, feedbackIds: _ignored, ...rest } = doc;
  return ImprovementSchema.parse({ ...rest, id: _id });
}

/**
 * The query of an improvement filter, shared by both adapters: nedb and MongoDB read the same
 * operators, so both stores select exactly the same improvements.
 */
export function improvementQuery(
  workspaceId: string,
  filter: ImprovementFilter = {},
): Record<string, unknown> {
  const query: Record<string, unknown> = { workspaceId };
  if (filter.status?.length) query.status = { $in: filter.status };
  if (filter.ownerId) query.ownerId = filter.ownerId;
  else if (filter.hasOwner) query.ownerId = { $exists: true };
  else if (filter.hasOwner === false) query.ownerId = { $exists: false };
  if (filter.pebbleNumber !== undefined) query.pebbleNumbers = filter.pebbleNumber;
  if (filter.voteNumber !== undefined) query.voteNumber = filter.voteNumber;
  if (filter.dueOnOrBefore) query.promisedDate = { $lte: filter.dueOnOrBefore };
  return query;
}

/** The conditions of a change as a query. */
export function improvementConditions(change: ImprovementChange): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  const c = change.if;
  if (!c) return query;
  if (c.status) query.status = { $in: c.status };
  if (c.ownerId !== undefined) query.ownerId = c.ownerId === null ? { $exists: false } : c.ownerId;
  if (c.ownerPending !== undefined) query.ownerPending = c.ownerPending;
  if (c.promisedDate !== undefined)
    query.promisedDate = c.promisedDate === null ? { $exists: false } : c.promisedDate;
  if (c.escalationLevelBelow !== undefined) query.escalationLevel = { $lt: c.escalationLevelBelow };
  if (c.notNudgedOn !== undefined) query.lastNudgedOn = { $ne: c.notNudgedOn };
  return query;
}

/** Drops keys whose value is undefined (neither store should keep them as holes or nulls). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The update operators of an improvement change (history appended, updatedAt set), shared by
 * both adapters. `unsetValue` is what each store expects after `$unset` (`''` or `true`).
 */
export function improvementOperations(
  change: ImprovementChange,
  unsetValue: '' | true,
): Record<string, unknown> {
  const ops: Record<string, unknown> = {
    $set: { ...defined(change.set ?? {}), updatedAt: change.history.at },
    $push: { history: change.history, ...defined(change.push ?? {}) },
  };
  const inc = defined(change.inc ?? {});
  if (Object.keys(inc).length) ops.$inc = inc;
  if (change.unset?.length)
    ops.$unset = Object.fromEntries(change.unset.map((k) => [k, unsetValue]));
  return ops;
}
