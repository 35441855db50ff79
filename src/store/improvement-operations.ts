import type { ImprovementChange } from '../core/ports/improvements.port.js';

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
