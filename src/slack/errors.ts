import { webApi } from '@slack/bolt';
import { isPebbleError } from '../core/shared/errors.js';
import type { Logger } from '../logger.js';
import { slackErrorCode } from './gateway.js';

/** What to say when a Slack call itself failed, by Slack's error code. */
const SLACK_ERRORS: Record<string, string> = {
  expired_trigger_id:
    'Slack did not let me open the form in time. Please try again; it usually works the second time.',
  not_in_channel:
    'I am not in that channel yet. Invite me with `/invite @Pebblebot` and try again.',
  channel_not_found:
    'I cannot see that channel. Invite me with `/invite @Pebblebot` and try again.',
  ratelimited: 'Slack asked me to slow down. Please try again in a minute.',
};

/**
 * The one place that turns a failure into a sentence for the person who hit it. Known domain
 * errors carry their own friendly message; anything else is logged (with `where`, which must
 * name pebbles by number and never a user id) and answered with a generic apology.
 */
export function friendlyError(
  error: unknown,
  logger: Logger,
  where: Record<string, unknown>,
): string {
  if (isPebbleError(error)) {
    switch (error.code) {
      case 'WORKSPACE.NOT_ADMIN':
        return `:lock: ${error.message}`;
      case 'COMMAND.USAGE':
      case 'COMMAND.UNKNOWN':
        return `${error.message}\nType \`/pebble help\` to see what I understand.`;
      case 'STORE.UNAVAILABLE':
      case 'STORE.LOCKED':
        logger.warn({ ...where, err: error }, 'store unavailable');
        return 'Pebblebot cannot reach its database right now, so nothing was saved. Please try again in a minute.';
      default:
        return error.message;
    }
  }
  // A 429 the answering client could not wait out comes back as the client's own error.
  const rateLimited =
    (error as { code?: unknown } | undefined)?.code === webApi.ErrorCode.RateLimitedError;
  const code = slackErrorCode(error) ?? (rateLimited ? 'ratelimited' : undefined);
  if (code) {
    logger.warn({ ...where, code }, 'Slack call failed');
    return SLACK_ERRORS[code] ?? `Slack refused that (${code}). Please try again in a moment.`;
  }
  logger.error({ ...where, err: error }, 'Slack listener failed');
  return 'Something went wrong on our side; the details are in our log. Please try again in a moment.';
}
