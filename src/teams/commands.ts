/**
 * The command words Teams lists for the bot (manifest `commandLists`): the same words as
 * Slack's `/pebble` and the console, understood by the one conversation layer.
 */
export const TEAMS_COMMANDS = [
  { title: 'report', description: 'Report a pebble: report <what got in the way>' },
  { title: 'list', description: 'Open pebbles, by status, stakeholder or stage' },
  { title: 'mine', description: 'Pebbles you reported or supported' },
  { title: 'show', description: 'One pebble in full: show P-3' },
  { title: '+1', description: 'Support a pebble: +1 P-3' },
  { title: 'council', description: 'Council votes and settings' },
  { title: 'improvement', description: 'Journey improvements: owners, dates, status' },
  { title: 'config', description: 'Workspace settings (admins)' },
  { title: 'digest', description: 'The weekly CX digest so far' },
  { title: 'help', description: 'What Pebblebot understands' },
] as const;

/** The message-extension action on any message (manifest `composeExtensions`). */
export const REPORT_AS_PEBBLE_COMMAND = 'reportAsPebble';
