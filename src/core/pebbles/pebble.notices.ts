import type { MessageView } from '../ports/message-view.port.js';
import type { Pebble } from './pebble.model.js';

/** Outbox kind of the notice to a declined pebble's reporter and supporters. */
export const DECLINED_NOTICE_KIND = 'pebble.declined';
/** Outbox kind of the notice to a duplicate's reporter and supporters. */
export const DUPLICATE_NOTICE_KIND = 'pebble.duplicate';

/**
 * The messages the pebble use cases send, as platform-neutral views. Core owns this port;
 * src/views implements it, so the domain decides who is told and when, the views how it
 * reads. Neither notice may name an anonymous reporter to anyone but the reporter.
 */
export interface PebbleNotices {
  /** To the reporter (`forReporter`) or a supporter of a pebble triage declined. */
  declined(pebble: Pebble, forReporter: boolean): MessageView;
  /** To the reporter or a supporter of `pebble`, now a duplicate of `original`. */
  duplicate(pebble: Pebble, original: Pebble, forReporter: boolean): MessageView;
}
