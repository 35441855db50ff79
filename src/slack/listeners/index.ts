import { registerAppHome } from './app-home.js';
import { registerChannelJoin } from './channel-join.js';
import { registerCommands } from './commands.js';
import { registerConversationActions } from './conversation-action.js';
import { registerCouncilSync } from './council-sync.js';
import { registerForms } from './forms.js';
import { registerMentions } from './mentions.js';
import { registerReactions } from './reactions.js';
import { createRegistrar, type ListenerIds, type Registrar, type SlackDeps } from './registry.js';
import { registerShortcuts } from './shortcuts.js';
import { registerSuggestions } from './suggestions.js';

/**
 * Registers every Slack listener: the ways in (commands, shortcuts, mentions, reactions, the
 * Home tab), and every button and form, which all go through the conversation layer.
 */
export function registerListeners(r: Registrar, deps: SlackDeps): void {
  registerCommands(r, deps);
  registerShortcuts(r, deps);
  registerMentions(r, deps);
  registerReactions(r, deps);
  registerAppHome(r, deps);
  registerConversationActions(r, deps);
  registerForms(r, deps);
  registerSuggestions(r, deps);
  registerCouncilSync(r, deps);
  registerChannelJoin(r, deps);
}

/**
 * The commands, shortcuts, events, actions and forms Pebblebot listens to, without building an
 * app: the manifest test checks them against manifests/slack/manifest.json.
 */
export function listenerIds(): ListenerIds {
  const r = createRegistrar();
  // Nothing runs: the handlers are only recorded, so the dependencies can stay empty.
  registerListeners(r, { services: {} } as unknown as SlackDeps);
  return r.ids;
}
