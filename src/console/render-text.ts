import type { ButtonView, MessageView } from '../views/message.view.js';
import { renderTokens, tokenPlain } from '../views/tokens.js';

const EMOJI: Record<string, string> = {
  ':white_check_mark:': '✔',
  ':warning:': '!',
  ':rock:': '🪨',
};

function markup(text: string): string {
  return text
    .replace(/:[a-z0-9_+-]+:/g, (m) => EMOJI[m] ?? '')
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1$2')
    .replace(/(^|[\s(])_([^_\n]+)_/g, '$1$2')
    .replace(/`([^`\n]+)`/g, '$1');
}

/**
 * Slack-flavoured markup to plain terminal text; the bot's tokens read as names. Markup is
 * stripped around tokens, not inside them (a date token holds `:00:`, which is no emoji).
 */
export function plain(text: string): string {
  return renderTokens(text, markup, tokenPlain).trim();
}

/**
 * Renders a view as terminal text. Buttons are shown only when the console has a command
 * that does the same thing (`commandFor`), so nothing on screen is a dead end.
 */
export function renderText(
  view: MessageView,
  commandFor: (button: ButtonView) => string | undefined = () => undefined,
): string {
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
        break;
      case 'context':
        lines.push(`  ${plain(block.text)}`);
        break;
      case 'actions': {
        const hints = block.buttons
          .map((b) => ({ b, command: commandFor(b) }))
          .filter((h): h is { b: ButtonView; command: string } => h.command !== undefined)
          .map((h) => `${h.b.label}: ${h.command}`);
        if (hints.length) lines.push(`  → ${hints.join('   ')}`);
        break;
      }
      case 'divider':
        lines.push('');
        break;
    }
  }
  return lines.join('\n');
}
