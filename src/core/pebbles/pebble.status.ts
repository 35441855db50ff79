import { PebbleError } from '../shared/errors.js';
import type { PebbleStatus } from './pebble.model.js';

/**
 * The pebble life cycle. Anything not listed here is an illegal transition.
 * new -> triaged -> in-council -> approved -> in-progress -> resolved, or declined / duplicate;
 * reopening is explicit (a declined pebble back to triage, a resolved one that came back).
 */
export const TRANSITIONS: Readonly<Record<PebbleStatus, readonly PebbleStatus[]>> = {
  new: ['triaged', 'declined', 'duplicate'],
  triaged: ['in-council', 'approved', 'declined', 'duplicate'],
  'in-council': ['approved', 'declined', 'triaged'],
  approved: ['in-progress', 'resolved', 'triaged'],
  'in-progress': ['resolved', 'approved'],
  resolved: ['triaged'],
  declined: ['triaged'],
  duplicate: ['new'],
};

export function canTransition(from: PebbleStatus, to: PebbleStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: PebbleStatus, to: PebbleStatus): void {
  if (!canTransition(from, to)) {
    throw new PebbleError(
      'PEBBLE.ILLEGAL_TRANSITION',
      `A pebble that is ${from} cannot become ${to}.`,
    );
  }
}
