import { z } from 'zod';

/**
 * Text people type is data. `cleanText` is applied where such text enters the core (reports,
 * reasons, "what changed", settings): it removes what no person means to send and what could
 * disguise itself as the bot's own markup.
 */

// C0 controls except tab and newline, DEL, and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
// The private-use characters that delimit the bot's own inline tokens (src/views/tokens.ts).
const TOKEN_DELIMITERS = /[\uE000-\uE00F]/g;
/**
 * A whole inline token (src/views/tokens.ts: fields separated by U+E002 between U+E000 and
 * U+E001) read as text, so its fields never run together when it reaches the core as data:
 * a person as `@name`, a channel as `#name`, a date as its written form.
 */
const TOKEN = /\uE000([^\uE000\uE001]*)\uE001/g;
function tokenReading(_whole: string, body: string): string {
  const [kind, id = '', a, b] = body.split('\uE002');
  if (kind === 'person') return `@${a || id}`;
  if (kind === 'channel') return `#${a || id}`;
  if (kind === 'date') return b ?? '';
  return '';
}
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Removes control characters and token delimiters, normalises line ends, repairs surrogates. */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '')
    .replace(TOKEN, tokenReading)
    .replace(TOKEN_DELIMITERS, '')
    .replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * A zod string of text people type: cleaned first, then checked by `then` (trim, length), so
 * every channel's input meets the same boundary and nothing unclean is stored.
 */
export function typedText<T extends z.ZodType<unknown, string>>(then: T) {
  return z.string().transform(cleanText).pipe(then);
}
