import { registerActions } from './actions.js';
import { registerAi } from './ai.js';
import { registerAppHome } from './app-home.js';
import { registerChannelJoin } from './channel-join.js';
import { registerCommands } from './commands.js';
import { registerCouncil } from './council.js';
import { registerDigest } from './digest.js';
import { registerImprovements } from './improvements.js';
import { registerMentions } from './mentions.js';
import { registerReactions } from './reactions.js';
import { registerReportForm } from './report-form.js';
import { createRegistrar, type ListenerIds, type Registrar, type SlackDeps } from './registry.js';
import { registerSettings } from './settings.js';
import { registerShortcuts } from './shortcuts.js';
import { registerTriage } from './triage.js';

/** Registers every Slack listener, one surface per file. */
export function registerListeners(r: Registrar, deps: SlackDeps): void {
  registerCommands(r, deps);
  registerShortcuts(r, deps);
  registerReportForm(r, deps);
  registerActions(r, deps);
  registerTriage(r, deps);
  registerAi(r, deps);
  registerMentions(r, deps);
  registerReactions(r, deps);
  registerAppHome(r, deps);
  registerImprovements(r, deps);
  registerCouncil(r, deps);
  registerDigest(r, deps);
  registerChannelJoin(r, deps);
  registerSettings(r, deps);
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
