import type { ButtonView, MessageView } from '../core/ports/message-view.port.js';
import { renderTokens, tokenPlain, type InlineToken } from '../views/tokens.js';

const EMOJI: Record<string, string> = {
  ':white_check_mark:': '✔',
  ':warning:': '!',
  ':rock:': '🪨',
};

/** How the console names a token's person or channel (the cast knows handles). */
export type TokenText = (token: InlineToken) => string;

function markup(text: string): string {
  return (
    text
      .replace(
        /<@([A-Za-z0-9_.-]+)(?:\|([^>]+))?>/g,
        (_m, id: string, name?: string) => `@${name ?? id}`,
      )
      // A shortcode follows a space or punctuation: "19:00-08:00" is a time, not `:00-08:`.
      .replace(/(?<![A-Za-z0-9]):[a-z0-9_+-]+:/g, (m) => EMOJI[m] ?? '')
      .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1$2')
      .replace(/(^|[\s(])_([^_\n]+)_/g, '$1$2')
      .replace(/`([^`\n]+)`/g, '$1')
  );
}

/**
 * Slack-flavoured markup to plain terminal text; the bot's tokens read by name. Markup is
 * stripped around tokens, not inside them (a date token holds `:00:`, which is no emoji).
 */
function plainWith(text: string, token: TokenText = tokenPlain): string {
  return renderTokens(text, markup, token).trim();
}

/**
 * Renders a view as terminal text. Buttons are shown only when the console has a command
 * that does the same thing (`commandFor`), so nothing on screen is a dead end.
 */
export function renderText(
  view: MessageView,
  commandFor: (button: ButtonView) => string | undefined = () => undefined,
  token: TokenText = tokenPlain,
): string {
  const plain = (text: string) => plainWith(text, token);
  const lines: string[] = [];
  for (const block of view.blocks) {
    switch (block.type) {
      case 'header':
        lines.push(plain(block.text), '─'.repeat(Math.min(60, plain(block.text).length)));
        break;
      case 'section':
        lines.push(plain(block.text));
        for (const field of block.fields ?? [])
          lines.push(`  ${field.label}: ${plain(field.value)}`);
        if (block.button) {
          const command = commandFor(block.button);
          if (command) lines.push(`  → ${block.button.label}: ${command}`);
        }
        break;
      case 'context':
        lines.push(`  ${plain(block.text)}`);
        break;
      case 'actions': {
        const hints = block.buttons
          .map((b) => ({ b, command: commandFor(b) }))
          .filter((h): h is { b: ButtonView; command: string } => h.command !== undefined)
          .map((h) => `${h.b.label}: ${h.command}`);
        // A menu reads as its first option's command: the value after it is what changes.
        for (const select of block.selects ?? []) {
          const first = select.options?.[0] ?? select.groups?.[0]?.options[0];
          const command =
            first &&
            commandFor({
              label: select.placeholder,
              actionId: select.actionId,
              value: first.value,
            });
          if (command) hints.push(`${select.placeholder}: ${command}`);
        }
        // A date picker reads as its command with the day left to type.
        for (const picker of block.datepickers ?? []) {
          const command = commandFor({
            label: picker.placeholder,
            actionId: picker.actionId,
            value: picker.value,
          });
          if (command) hints.push(`${picker.placeholder}: ${command}`);
        }
        if (hints.length) lines.push(`  → ${hints.join('   ')}`);
        // The overflow's options are no less reachable on a terminal: listed after, as "more".
        const more = (block.overflow?.options ?? [])
          .map((b) => ({ b, command: commandFor(b) }))
          .filter((h): h is { b: ButtonView; command: string } => h.command !== undefined)
          .map((h) => `${h.b.label}: ${h.command}`);
        if (more.length) lines.push(`  ⋯ ${more.join('   ')}`);
        break;
      }
      case 'divider':
        lines.push('');
        break;
    }
  }
  return lines.join('\n');
}

/** Slack-flavoured markup to plain terminal text. */
export function plain(text: string, token: TokenText = tokenPlain): string {
  return plainWith(text, token);
}
