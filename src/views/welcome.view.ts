import type { BlockView, MessageView } from '../core/ports/message-view.port.js';
import { ACTIONS } from './actions.js';
import { person } from './tokens.js';

export interface WelcomeOptions {
  /** The person who installed Pebblebot. */
  installerId: string;
  /** The slash command as the workspace knows it (`/pebble`). */
  command: string;
  /** A link straight to the app's Home tab (Slack: `slack://app?team=…&id=…&tab=home`). */
  homeUrl?: string;
}

/** Slack's deep link to an app's Home tab in one workspace. */
export function slackHomeUrl(teamId: string, appId: string): string {
  return `slack://app?team=${encodeURIComponent(teamId)}&id=${encodeURIComponent(appId)}&tab=home`;
}

/**
 * The direct message the person who installs Pebblebot receives: what it is for and where
 * the setup checklist lives (App Home), so an install is never followed by silence.
 */
export function welcomeView({ installerId, command, homeUrl }: WelcomeOptions): MessageView {
  const open: BlockView[] = homeUrl
    ? [
        {
          type: 'actions',
          buttons: [
            {
              label: 'Open the Home tab',
              actionId: ACTIONS.openLink,
              url: homeUrl,
              style: 'primary',
              accessibilityLabel: "Open Pebblebot's Home tab and its setup checklist",
            },
          ],
        },
      ]
    : [];
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
      ...open,
      { type: 'context', text: `Type \`${command} help\` at any time to see everything it does.` },
    ],
  };
}
