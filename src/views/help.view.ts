import type { MessageView } from '../core/ports/message-view.port.js';

export interface HelpOptions {
  /** The slash command as the workspace knows it (`/pebble`). */
  command: string;
  /** The reaction that reports a message (without colons). */
  reactionEmoji: string;
  /** The bot's name for @mentions. */
  botName: string;
}

/** What Pebblebot understands, and every way to report a pebble. */
export function helpView({ command, reactionEmoji, botName }: HelpOptions): MessageView {
  const c = `\`${command}`;
  return {
    text: `Pebblebot help: ${command} <what got in the way> records a pebble.`,
    blocks: [
      { type: 'header', text: 'Pebblebot: report friction, see it fixed' },
      {
        type: 'section',
        text:
          "A *pebble* is a small piece of friction in a customer's, employee's or partner's journey. " +
          'Report it where you spotted it; the CX council decides what to fix and you hear back.',
      },
      {
        type: 'section',
        text:
          '*Report a pebble*\n' +
          `• ${c} <what got in the way>\` records it at once (first line = title)\n` +
          `• ${c} anon <text>\` records it without your name\n` +
          `• ${c}\` alone, the *Report a pebble* shortcut or the Home tab open the report form\n` +
          "• *Report as pebble* in a message's ⋮ menu reports that message\n" +
          `• React with :${reactionEmoji}: to a message to report it (or +1 it when it is already a pebble)\n` +
          `• Mention @${botName} with your text in a channel`,
      },
      {
        type: 'section',
        text:
          '*See and follow*\n' +
          `• ${c} list [status | customer | employee | partner | stage]\` open pebbles\n` +
          `• ${c} mine\` the pebbles you reported\n` +
          `• ${c} show P-12\` one pebble in full\n` +
          `• ${c} +1 P-12\` add your support`,
      },
      {
        type: 'section',
        text:
          '*Admins*\n' +
          `• ${c} config\` shows the settings\n` +
          `• ${c} config triage #channel\` posts every new pebble there as a triage card (\`off\` to stop)\n` +
          `• ${c} config emoji rock\` sets the reaction that reports a message\n` +
          `• ${c} config admins @ana @ben\` lets people triage who are not workspace admins`,
      },
    ],
  };
}
