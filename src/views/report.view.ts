import { shortId, type Pebble } from '../core/pebbles/pebble.model.js';
import { ACTIONS } from './actions.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import { peopleAffected } from './pebble.view.js';

/**
 * The public answer in a thread when a message was reported (by a mention or a reaction). It
 * names nobody: the reporter's own confirmation, with its buttons, is sent privately.
 */
export function recordedInThreadView(pebble: Pebble, reactionEmoji: string): MessageView {
  const id = shortId(pebble.number);
  return {
    text: `${id} recorded: ${pebble.title}`,
    blocks: [
      { type: 'section', text: `:white_check_mark: *${id} recorded*: ${pebble.title}` },
      {
        type: 'context',
        text: `Feel it too? React with :${reactionEmoji}: or press +1, and the CX council sees how many people it gets in the way of.`,
      },
      {
        type: 'actions',
        buttons: [{ label: '+1', actionId: ACTIONS.support, value: String(pebble.number) }],
      },
    ],
  };
}

/** The answer to a +1 (from a button, a reaction or a command). */
export function supportNoticeText(result: {
  pebble: Pebble;
  added: boolean;
  redirectedFrom?: number;
  ownPebble: boolean;
}): string {
  const id = shortId(result.pebble.number);
  const via = result.redirectedFrom
    ? ` (${shortId(result.redirectedFrom)} is a duplicate of ${id})`
    : '';
  if (result.added)
    return `:+1: +1 recorded on *${id}*${via}: ${result.pebble.title} now gets in the way of ${peopleAffected(result.pebble)}.`;
  if (result.ownPebble) return `You reported *${id}*, so your support is already counted.`;
  return `You already support *${id}*${via}.`;
}

/**
 * What a reporter is told when their pebble was stored but the confirmation could not be
 * shown (Slack failing): what did happen, so nobody reports it again.
 */
export function savedDespiteOutageView(pebble: Pebble, triageCard: boolean): MessageView {
  const id = shortId(pebble.number);
  const text = `:white_check_mark: Saved as *${id}*: ${pebble.title}. Slack is slow to answer right now${
    triageCard ? ', so the triage card will follow' : ''
  }. There is no need to report it again.`;
  return { text: `Saved as ${id}`, blocks: [{ type: 'section', text }] };
}
