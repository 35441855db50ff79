import { stringify } from 'csv-stringify/sync';
import { voteShortId, type Vote } from '../council/council.model.js';
import {
  improvementShortId,
  promiseLedger,
  type Improvement,
} from '../improvements/improvement.model.js';
import { shortId, type Pebble } from '../pebbles/pebble.model.js';
import type { AuditEntry } from './governance.model.js';

/** One file of an export. */
export interface ExportFile {
  filename: string;
  title: string;
  rows: number;
  data: Buffer;
}

type Cell = string | number | boolean | Date | undefined | null;

/**
 * A spreadsheet runs a cell that starts with =, +, -, @ (or a tab or carriage return that hides
 * one) as a formula: such text is prefixed with an apostrophe, which spreadsheets show as text
 * (OWASP's advice for CSV injection). Numbers are written as numbers and never prefixed.
 */
export function neutralise(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function cell(value: Cell): string | number {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return neutralise(value);
}

/** RFC 4180 CSV (CRLF line ends, quotes doubled) with a header row. */
export function toCsv(header: string[], rows: Cell[][]): Buffer {
  return Buffer.from(
    stringify([header, ...rows.map((r) => r.map(cell))], { record_delimiter: 'windows' }),
    'utf8',
  );
}

/** Pebbles, one a row; an anonymous reporter is left out entirely. */
export function pebblesCsv(pebbles: Pebble[]): Buffer {
  return toCsv(
    [
      'id',
      'title',
      'description',
      'status',
      'stakeholder',
      'journey',
      'stage',
      'severity',
      'segment',
      'reporter',
      'reporter_team',
      'supporters',
      'duplicate_of',
      'decline_reason',
      'created_at',
      'updated_at',
    ],
    pebbles.map((p) => [
      shortId(p.number),
      p.title,
      p.description,
      p.status,
      p.stakeholder,
      p.journey,
      p.stage,
      p.severity,
      p.segment,
      p.anonymous ? '' : (p.reporter.name ?? p.reporter.userId),
      p.anonymous ? '' : p.reporter.team,
      p.supporterCount,
      p.duplicateOf ? shortId(p.duplicateOf) : '',
      p.declineReason,
      p.createdAt,
      p.updatedAt,
    ]),
  );
}

/** Improvements with their promise ledger: one row per promise (one row if none was made). */
export function improvementsCsv(improvements: Improvement[]): Buffer {
  const rows: Cell[][] = [];
  for (const i of improvements) {
    const base: Cell[] = [
      improvementShortId(i.number),
      i.title,
      i.status,
      i.ownerName ?? i.ownerId,
      i.pebbleNumbers.map(shortId).join(' '),
      i.voteNumber ? voteShortId(i.voteNumber) : '',
    ];
    const ledger = promiseLedger(i);
    if (!ledger.length) rows.push([...base, '', '', '', '', '', i.createdAt, i.doneAt]);
    ledger.forEach((p, n) =>
      rows.push([
        ...base,
        n + 1,
        p.promisedDate,
        p.outcome,
        p.madeAt,
        p.closedAt ?? p.reason,
        i.createdAt,
        i.doneAt,
      ]),
    );
  }
  return toCsv(
    [
      'id',
      'title',
      'status',
      'owner',
      'pebbles',
      'vote',
      'promise',
      'promised_date',
      'promise_outcome',
      'promise_made_at',
      'promise_closed_at',
      'created_at',
      'done_at',
    ],
    rows,
  );
}

/**
 * Council decisions with their tallies. Never who chose what: secret ballots cannot be linked
 * to a member at all, and open ballots are left out too so the file is safe to share.
 */
export function decisionsCsv(votes: Vote[]): Buffer {
  return toCsv(
    [
      'id',
      'pebbles',
      'status',
      'opened_at',
      'closed_at',
      'outcome',
      'decision',
      'decided_by',
      'decided_at',
      'reason',
      'fix_now',
      'next_cycle',
      'not_now',
      'need_info',
      'recused',
      'electorate',
      'secret_ballots',
      'improvement',
    ],
    votes.map((v) => [
      voteShortId(v.number),
      v.pebbleNumbers.map(shortId).join(' '),
      v.status,
      v.openedAt,
      v.closedAt,
      v.result?.outcome,
      v.decision?.option,
      v.decision?.by,
      v.decision?.at,
      v.decision?.reason,
      v.result?.tally['fix-now'],
      v.result?.tally['next-cycle'],
      v.result?.tally['not-now'],
      v.result?.tally['need-info'],
      v.result?.recused,
      v.electorate.length,
      v.rules.secret,
      v.improvementNumber ? improvementShortId(v.improvementNumber) : '',
    ]),
  );
}

/** The audit log. */
export function auditCsv(entries: AuditEntry[]): Buffer {
  return toCsv(
    ['at', 'actor', 'action', 'what', 'before', 'after'],
    entries.map((e) => [e.at, e.actor, e.action, e.what, e.before, e.after]),
  );
}
