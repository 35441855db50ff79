import { splitTokens, type InlineToken } from '../views/tokens.js';

/**
 * A word is a run of non-space text, where an inline token (a person, a channel, a date) counts
 * as one word even when its name holds spaces: the grammar never sees platform markup.
 */
const WORD = /(?:\uE000[^\uE000\uE001]*\uE001|[^\s\uE000])+/g;

/** Splits typed text into words, keeping each token whole. */
export function words(text: string): string[] {
  return text.match(WORD) ?? [];
}

/** The text after the first `n` words, as typed (spacing inside kept). */
export function after(text: string, n: number): string {
  let rest = text.trim();
  for (let i = 0; i < n; i++) {
    const match = /^(?:\uE000[^\uE000\uE001]*\uE001|[^\s\uE000])+\s*/.exec(rest);
    if (!match) return '';
    rest = rest.slice(match[0].length);
  }
  return rest.trim();
}

function only(word: string | undefined): InlineToken | undefined {
  if (!word) return undefined;
  const parts = splitTokens(word);
  return parts.length === 1 && typeof parts[0] !== 'string' ? parts[0] : undefined;
}

/** A person token standing alone as a word. */
export function personWord(word: string | undefined): { id: string; name?: string } | undefined {
  const t = only(word);
  return t?.kind === 'person' ? { id: t.id, ...(t.name ? { name: t.name } : {}) } : undefined;
}

/** A channel token standing alone as a word. */
export function channelWord(word: string | undefined): { id: string; name?: string } | undefined {
  const t = only(word);
  return t?.kind === 'channel' ? { id: t.id, ...(t.name ? { name: t.name } : {}) } : undefined;
}

/** Every person token in the text, in order. */
export function peopleIn(text: string): { userId: string; name?: string }[] {
  return splitTokens(text).flatMap((p) =>
    typeof p !== 'string' && p.kind === 'person'
      ? [{ userId: p.id, ...(p.name ? { name: p.name } : {}) }]
      : [],
  );
}
