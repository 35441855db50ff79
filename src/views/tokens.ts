/**
 * Inline references the bot itself means: a person, a channel, a moment in time. A view puts
 * them in its text with `person()`, `channel()` and `date()`; each renderer turns them into its
 * platform's own form (Slack `<@U…>`, `<#C…>`, `<!date^…>`; Teams mentions; console names) and
 * escapes everything else. Text people type can never carry a token: `cleanText` (core) removes
 * the delimiters wherever such text enters, so a mention in a payload is always the bot's.
 */

const OPEN = '\uE000';
const CLOSE = '\uE001';
const SEP = '\uE002';

export type InlineToken =
  | { kind: 'person'; id: string; name?: string }
  | { kind: 'channel'; id: string; name?: string }
  | {
      kind: 'date';
      /** ISO 8601 instant. */
      at: string;
      /** `date` (e.g. Tue 15 Dec) or `datetime` (with the time, in the reader's zone). */
      format: 'date' | 'datetime';
      /** How it reads where the platform cannot localise it (the workspace's zone). */
      fallback: string;
    };

/** A piece of view text: literal text (to escape) or a token (to render). */
export type TextPart = string | InlineToken;

const strip = (s: string) => s.replace(/[\uE000-\uE00F]/g, '');

function encode(fields: string[]): string {
  return `${OPEN}${fields.map(strip).join(SEP)}${CLOSE}`;
}

/** A person the bot means (an owner, a sponsor): `@name` where names are known. */
export function person(id: string, name?: string): string {
  return encode(['person', id, ...(name ? [name] : [])]);
}

/** A channel the bot means (the council channel, where the digest goes). */
export function channel(id: string, name?: string): string {
  return encode(['channel', id, ...(name ? [name] : [])]);
}

/** A moment shown in the reader's own time zone where the platform can; `fallback` elsewhere. */
export function date(
  at: Date | string,
  fallback: string,
  format: 'date' | 'datetime' = 'date',
): string {
  const iso = typeof at === 'string' ? at : at.toISOString();
  return encode(['date', iso, format, fallback]);
}

const TOKEN = /\uE000([^\uE000\uE001]*)\uE001/g;

function decode(body: string): InlineToken | undefined {
  const [kind, a = '', b, c] = body.split(SEP);
  if ((kind === 'person' || kind === 'channel') && a)
    return { kind, id: a, ...(b ? { name: b } : {}) };
  if (kind === 'date' && a && (b === 'date' || b === 'datetime') && !Number.isNaN(Date.parse(a)))
    return { kind, at: a, format: b, fallback: c ?? a };
  return undefined;
}

/**
 * Splits view text into literal pieces and tokens, in order. Malformed tokens and stray
 * delimiters are dropped, so a renderer only ever sees plain text or a well-formed token.
 */
export function splitTokens(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    if (match.index > last) parts.push(strip(text.slice(last, match.index)));
    const token = decode(match[1] ?? '');
    if (token) parts.push(token);
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(strip(text.slice(last)));
  return parts.filter((p) => p !== '');
}

/** Renders view text with literal pieces and tokens mapped by the caller (a renderer). */
export function renderTokens(
  text: string,
  literal: (s: string) => string,
  token: (t: InlineToken) => string,
): string {
  return splitTokens(text)
    .map((p) => (typeof p === 'string' ? literal(p) : token(p)))
    .join('');
}

/** The plain reading of a token (names or ids), for plain-text fields and logs. */
export function tokenPlain(t: InlineToken): string {
  switch (t.kind) {
    case 'person':
      return `@${t.name ?? t.id}`;
    case 'channel':
      return `#${t.name ?? t.id}`;
    case 'date':
      return t.fallback;
  }
}

/** View text as plain text: tokens read by name. */
export function plainText(text: string): string {
  return renderTokens(text, (s) => s, tokenPlain);
}
