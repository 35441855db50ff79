import { isProposable } from '../core/council/council.rules.js';
import type { Pebble } from '../core/pebbles/pebble.model.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { ACTIONS } from './actions.js';
import type { ButtonView } from '../core/ports/message-view.port.js';

/**
 * "Send to council" for a pebble that can go to the council, where there is a council to send
 * it to (a channel and members); undefined otherwise.
 */
export function sendToCouncilButton(
  pebble: Pebble,
  settings: WorkspaceSettings,
): ButtonView | undefined {
  const council = settings.council;
  if (!council.channel || council.members.length === 0 || !isProposable(pebble)) return undefined;
  return {
    label: 'Send to council',
    actionId: ACTIONS.councilPropose,
    value: String(pebble.number),
  };
}
