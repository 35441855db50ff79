import type { MessageView } from '../core/ports/message-view.port.js';
import { person } from './tokens.js';

export interface WelcomeOptions {
  /** The person who installed Pebblebot. */
  installerId: string;
  /** The slash command as the workspace knows it (`/pebble`). */
  command: string;
}

/**
 * The direct message the person who installs Pebblebot receives: what it is for and where
 * the setup checklist lives (App Home), so an install is never followed by silence.
 */
export function welcomeView({ installerId, command }: WelcomeOptions): MessageView {
  return {
    text: 'Pebblebot is installed. Open its Home tab to set it up.',
    blocks: [
      { type: 'header', text: 'Pebblebot is installed' },
      {
        type: 'section',
        text:
          `Thanks for installing Pebblebot, ${person(installerId)}. People can now report friction ` +
          `in a customer's, employee's or partner's journey with \`${command}\`, the *Report a pebble* ` +
          'shortcut, a reaction or an @mention.',
      },
      {
        type: 'section',
        text:
          '*Next: set it up from the Home tab.* Open Pebblebot in the sidebar and choose *Home*: ' +
          'the setup checklist there walks you through the triage channel, the CX council and the digest.',
      },
      { type: 'context', text: `Type \`${command} help\` at any time to see everything it does.` },
    ],
  };
}
