/**
 * Every known failure of the domain carries a stable code, so each channel can turn it into
 * one friendly sentence in a single place and log only what is unexpected.
 */
export type PebbleErrorCode =
  | 'PEBBLE.NOT_FOUND'
  | 'PEBBLE.INVALID_INPUT'
  | 'PEBBLE.ILLEGAL_TRANSITION'
  | 'PEBBLE.ALREADY_SUPPORTED'
  | 'PEBBLE.OWN_PEBBLE'
  | 'PEBBLE.CONFLICT'
  | 'IMPROVEMENT.NOT_FOUND'
  | 'IMPROVEMENT.INVALID_INPUT'
  | 'IMPROVEMENT.ILLEGAL_TRANSITION'
  | 'IMPROVEMENT.NOT_OWNER'
  | 'IMPROVEMENT.NOT_ALLOWED'
  | 'IMPROVEMENT.CONFLICT'
  | 'IMPROVEMENT.SNOOZE_PAST_DUE'
  | 'COUNCIL.NOT_A_MEMBER'
  | 'COUNCIL.NOT_CONFIGURED'
  | 'COUNCIL.NOT_ALLOWED'
  | 'COUNCIL.NOT_PROPOSABLE'
  | 'COUNCIL.VOTE_NOT_FOUND'
  | 'COUNCIL.VOTE_CLOSED'
  | 'COUNCIL.INVALID_SETTING'
  | 'COUNCIL.CONFLICT'
  | 'COUNCIL.BALLOT_SECRET_MISSING'
  | 'WORKSPACE.NOT_FOUND'
  | 'WORKSPACE.NOT_ADMIN'
  | 'WORKSPACE.INVALID_SETTING'
  | 'GOVERNANCE.INVALID_INPUT'
  | 'GOVERNANCE.NOT_FOUND'
  | 'GOVERNANCE.CONFIRM'
  | 'STORE.DUPLICATE'
  | 'STORE.LOCKED'
  | 'STORE.UNAVAILABLE'
  | 'COMMAND.UNKNOWN'
  | 'COMMAND.USAGE';

export class PebbleError extends Error {
  override readonly name = 'PebbleError';
  constructor(
    readonly code: PebbleErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isPebbleError(error: unknown, code?: PebbleErrorCode): error is PebbleError {
  return error instanceof PebbleError && (code === undefined || error.code === code);
}
