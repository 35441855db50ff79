import { ACTIONS } from '../../views/actions.js';
import { conversationAction } from './conversation-action.js';
import type { Registrar, SlackDeps } from './registry.js';

/**
 * The triage card's AI lines: accept the suggestion, confirm "it came back". Both go to the
 * conversation layer's dispatcher, where core checks that the person may triage.
 */
export function registerAi(r: Registrar, deps: SlackDeps): void {
  r.action(ACTIONS.acceptSuggestion, conversationAction(deps, ACTIONS.acceptSuggestion));
  r.action(ACTIONS.confirmRecurrence, conversationAction(deps, ACTIONS.confirmRecurrence));
}
