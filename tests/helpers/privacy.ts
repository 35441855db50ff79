import { appendFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The suite-wide privacy scan's recorder. The test harnesses hand it every request the bot
 * sends to Slack, Teams or OpenAI and every log line it writes; scenarios that use anonymous
 * reports or secret ballots register the identities they seeded. tests/privacy.global.ts
 * reads it all once the whole run is over and fails the run if an identity shows up where it
 * must not (see scanPrivacy). Each test worker appends to its own file, so nothing is shared
 * in memory across processes.
 */

/** Where the records of this run go; set by the global setup (unset: recording is off). */
export const PRIVACY_DIR_ENV = 'PRIVACY_SCAN_DIR';

/** An identity that must stay private, as a scenario seeded it. */
export type Sensitive =
  | {
      kind: 'anonymous-reporter';
      /** The platform user id (Slack U…, Teams 29:… or AAD object id). */
      id: string;
      /** Display names or handles seeded for them (matched case-insensitively). */
      names?: string[];
      /** Where their own messages go (user id, DM, response_url path): shown them, no leak. */
      ownAddresses?: string[];
    }
  | {
      kind: 'secret-voter';
      id: string;
      names?: string[];
      ownAddresses?: string[];
      /** How their choice can be written: the option's id and label (`fix-now`, `Fix now`). */
      choices: string[];
    };

export type PrivacyRecord =
  | {
      type: 'outgoing';
      to: 'slack' | 'teams' | 'openai';
      what: string;
      /** Who it was addressed to: user and channel ids, a response_url or connector path. */
      addresses: string[];
      text: string;
      file: string;
    }
  | { type: 'log'; text: string; file: string }
  | { type: 'sensitive'; sensitive: Sensitive; file: string };

/**
 * Fields that say who a message goes to, not what it says: left out of the scan at any depth
 * (an Adaptive Card's `refresh` lists whose cards refresh, without their choices).
 */
const ADDRESSING = new Set([
  'channel',
  'user',
  'users',
  'recipient',
  'conversation',
  'members',
  'bot',
  'from',
  'refresh',
]);
/** Longer records (a chart uploaded as base64) are cut: identities are never that deep in. */
const MAX_TEXT = 256 * 1024;

function currentTestFile(): string {
  const state = (globalThis as { __vitest_worker__?: { filepath?: string } }).__vitest_worker__;
  const file = state?.filepath;
  return file ? path.relative(process.cwd(), file) : 'unknown';
}

function write(record: PrivacyRecord): void {
  const dir = process.env[PRIVACY_DIR_ENV];
  if (!dir) return;
  appendFileSync(path.join(dir, `${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
}

function addressesOf(body: unknown, address?: string): string[] {
  const found = address ? [decodeURIComponent(address)] : [];
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    for (const key of ['channel', 'user', 'users'])
      if (typeof b[key] === 'string') found.push(...b[key].split(','));
  }
  return found;
}

/**
 * Records a request the bot sent (its body, parsed where possible) and whom it addressed;
 * `address` is what the body does not say (a response_url's or a connector call's path).
 */
export function recordOutgoing(
  to: 'slack' | 'teams' | 'openai',
  what: string,
  body: unknown,
  address?: string,
): void {
  if (!process.env[PRIVACY_DIR_ENV]) return;
  const text = (
    typeof body === 'string'
      ? body
      : (JSON.stringify(body, (key, value: unknown) => (ADDRESSING.has(key) ? undefined : value)) ??
        '')
  ).slice(0, MAX_TEXT);
  write({
    type: 'outgoing',
    to,
    what,
    addresses: addressesOf(body, address),
    text,
    file: currentTestFile(),
  });
}

/** Records one log line the bot wrote. */
export function recordLog(line: string): void {
  if (!process.env[PRIVACY_DIR_ENV]) return;
  write({ type: 'log', text: line.slice(0, MAX_TEXT), file: currentTestFile() });
}

/**
 * Registers an identity a scenario seeded as private. Use ids and names seen nowhere else in
 * the suite (`U0ANONRITA`, not `U0ALICE`), so any sighting is a leak and not a coincidence.
 */
export function registerSensitive(sensitive: Sensitive): void {
  write({ type: 'sensitive', sensitive, file: currentTestFile() });
}

export interface PrivacyFinding {
  file: string;
  where: string;
  identity: string;
  why: string;
  excerpt: string;
}

function excerptAround(text: string, needle: string): string {
  const at = text.toLowerCase().indexOf(needle.toLowerCase());
  return text.slice(Math.max(0, at - 80), at + needle.length + 80);
}

/**
 * What the run's records reveal: an anonymous reporter's id or name in any outgoing payload
 * or log line; a secret voter's id or name in the same payload or line as their choice.
 * Payloads addressed to the person themselves are theirs to see.
 */
export function scanPrivacy(records: PrivacyRecord[]): PrivacyFinding[] {
  const sensitive = records.flatMap((r) => (r.type === 'sensitive' ? [r.sensitive] : []));
  const findings: PrivacyFinding[] = [];
  for (const record of records) {
    if (record.type === 'sensitive') continue;
    const where = record.type === 'log' ? 'log line' : `${record.to} ${record.what}`;
    const lower = record.text.toLowerCase();
    for (const s of sensitive) {
      const own = s.ownAddresses ?? [];
      if (
        record.type === 'outgoing' &&
        record.addresses.some((a) => own.some((o) => o && a.includes(o)))
      )
        continue;
      const marks = [s.id, ...(s.names ?? [])].filter((m) => m.length >= 4);
      const seen = marks.find((m) => lower.includes(m.toLowerCase()));
      if (!seen) continue;
      if (s.kind === 'anonymous-reporter') {
        findings.push({
          file: record.file,
          where,
          identity: s.id,
          why: 'names an anonymous reporter',
          excerpt: excerptAround(record.text, seen),
        });
        continue;
      }
      const choice = s.choices.find((c) => lower.includes(c.toLowerCase()));
      if (choice)
        findings.push({
          file: record.file,
          where,
          identity: s.id,
          why: `names a secret voter next to their choice (${choice})`,
          excerpt: excerptAround(record.text, seen),
        });
    }
  }
  return findings;
}
