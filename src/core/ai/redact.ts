/**
 * Redaction of everything personal before text leaves for a model: e-mail addresses, phone
 * numbers, payment card numbers, IBANs and mentions of people and channels on every platform.
 * What a pebble is about (a checkout loop, a slow form) stays; who and how to reach them goes.
 * Over-redacting a number is cheap, leaking one is not, so the patterns lean wide.
 */

// The bot's own inline tokens (src/views/tokens.ts): \uE000kind\uE002id…\uE001.
const OWN_TOKEN = /\uE000([a-z]+)[^\uE000\uE001]*\uE001/g;
const STRAY_DELIMITERS = /[\uE000-\uE00F]/g;
// Slack: <@U…>, <@W…|name>, <#C…|name>, <!here>, <!subteam^S…|@team>, <!date^…|fallback>.
const SLACK_USER = /<@[A-Z0-9]+(?:\|[^>]*)?>/gi;
const SLACK_CHANNEL = /<#[A-Z0-9]+(?:\|[^>]*)?>/gi;
const SLACK_SPECIAL = /<![^>]*>/g;
// Teams: <at>Display Name</at> (also with attributes, as some clients send).
const TEAMS_MENTION = /<at\b[^>]*>[\s\S]*?<\/at>/gi;
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
// Country code, check digits, then 11 to 30 letters or digits, optionally grouped by spaces.
const IBAN = /\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]){11,30}\b/g;
// 13 to 19 digits with optional single spaces or dashes between them.
const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;
// Optional + or 00, then digits with spaces, dots, dashes or parentheses; checked by count below.
const PHONE_CANDIDATE = /(?:\+|\b00)?\(?\d[\d\s().-]{5,}\d\b/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// Console and plain-text mentions: @name, not the middle of an e-mail (already gone) or a word.
// A handle, and the capitalised words after it that make a display name (`@Dora Secret`, what a
// channel's mention reads as once it is text).
const AT_NAME =
  /(^|[^\p{L}\p{N}_.])@[\p{L}\p{N}_.-]*[\p{L}\p{N}_](?:[ \u00A0]\p{Lu}[\p{L}'-]*){0,3}/gu;
// A channel by name (`#secret-room`, how a channel mention reads as text).
const HASH_CHANNEL = /(^|[^\p{L}\p{N}_&])#[\p{L}\p{N}_.-]*\p{L}[\p{L}\p{N}_.-]*/gu;

export const REDACTED = {
  person: '[person]',
  channel: '[channel]',
  mention: '[mention]',
  email: '[email]',
  phone: '[phone]',
  card: '[card]',
  iban: '[iban]',
} as const;

/** The Luhn checksum that every payment card number passes. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

function ownToken(_match: string, kind: string): string {
  if (kind === 'person') return REDACTED.person;
  if (kind === 'channel') return REDACTED.channel;
  // Dates carry no one's identity, but their encoded form means nothing to a model either.
  return REDACTED.mention;
}

function phone(match: string): string {
  const trimmed = match.trim();
  const digits = trimmed.replace(/\D/g, '');
  if (ISO_DATE.test(trimmed)) return match;
  const international = /^(?:\+|00)/.test(trimmed);
  if (digits.length > 15 || digits.length < (international ? 7 : 8)) return match;
  return match.replace(trimmed, REDACTED.phone);
}

/** Text with personal data replaced by placeholders such as `[email]` and `[person]`. */
export function redact(text: string): string {
  return text
    .replace(OWN_TOKEN, ownToken)
    .replace(STRAY_DELIMITERS, '')
    .replace(SLACK_USER, REDACTED.person)
    .replace(SLACK_CHANNEL, REDACTED.channel)
    .replace(SLACK_SPECIAL, REDACTED.mention)
    .replace(TEAMS_MENTION, REDACTED.person)
    .replace(EMAIL, REDACTED.email)
    .replace(IBAN, REDACTED.iban)
    .replace(CARD_CANDIDATE, (m) => (luhnValid(m.replace(/\D/g, '')) ? REDACTED.card : m))
    .replace(PHONE_CANDIDATE, phone)
    .replace(AT_NAME, (_m, before: string) => `${before}${REDACTED.person}`)
    .replace(HASH_CHANNEL, (_m, before: string) => `${before}${REDACTED.channel}`);
}
