import { IANAZone } from 'luxon';
import {
  BallotChoiceSchema,
  parseVoteRef,
  VoteOptionSchema,
  type BallotChoice,
  type CouncilMember,
  type VoteOption,
} from '../core/council/council.model.js';
import type { CouncilPatch } from '../core/council/council.service.js';
import { parseWeekday, type DigestSettings } from '../core/digest/digest-settings.js';
import { parseImprovementRef } from '../core/improvements/improvement.model.js';
import { SNOOZE_PERIODS, type SnoozePeriod } from '../core/improvements/improvement.service.js';
import {
  parsePebbleRef,
  StakeholderSchema,
  type Stakeholder,
} from '../core/pebbles/pebble.model.js';
import { PebbleError } from '../core/shared/errors.js';
import { COUNCIL_CONFIG_USAGE } from '../views/council.view.js';
import { plainText } from '../views/tokens.js';
import {
  parseApi,
  parseExport,
  parseForget,
  parseGovernanceConfig,
  type GovernanceCommand,
} from './governance-commands.js';
import { parseSettingsConfig, type SettingsCommand } from './settings-commands.js';
import { after, channelWord, peopleIn, personWord, words } from './words.js';

/**
 * The one grammar of everything people type, on every channel. Text arrives with people,
 * channels and dates as neutral tokens (src/views/tokens.ts): each channel converts its own
 * markup first, so a token is one word here and no platform syntax is ever parsed.
 *
 * Usage errors quote the command as the channel knows it: `prefix` is `/pebble` on Slack and
 * empty in the console.
 */
export interface GrammarOptions {
  prefix?: string;
}

/** Quotes an example command as people type it on this channel. */
export function quote(prefix: string | undefined, text: string): string {
  return `\`${prefix ? `${prefix} ` : ''}${text}\``;
}

const usage = (message: string) => new PebbleError('COMMAND.USAGE', message);

// ------------------------------------------------------------------------- sub-grammars

export type CouncilCommand =
  | { kind: 'help' }
  | { kind: 'votes' }
  | { kind: 'propose'; pebbles: number[] }
  | { kind: 'decide'; vote: number; option: VoteOption }
  | { kind: 'reason'; vote: number; reason: string }
  | { kind: 'wip'; vote: number; displace?: number }
  | { kind: 'close'; vote: number; reason: string };

const COUNCIL_SUBCOMMANDS = /^(help|votes|list|ls|propose|send|decide|reason|wip|close)$/i;

/** Whether the text after `council` is a sub-command (so "council should…" stays a report). */
export function isCouncilCommand(text: string): boolean {
  const first = words(text)[0] ?? '';
  return first === '' || COUNCIL_SUBCOMMANDS.test(first);
}

function voteRef(word: string | undefined, example: string): number {
  const n = word ? parseVoteRef(word) : undefined;
  if (n === undefined) throw usage(`Say which vote, e.g. ${example}.`);
  return n;
}

/** Parses the text after `council`. Pure: throws COMMAND.USAGE with a hint. */
export function parseCouncilCommand(raw: string, options: GrammarOptions = {}): CouncilCommand {
  const q = (t: string) => quote(options.prefix, t);
  const [sub = '', ...rest] = words(raw);
  switch (sub.toLowerCase()) {
    case '':
    case 'votes':
    case 'list':
    case 'ls':
      return { kind: 'votes' };
    case 'help':
      return { kind: 'help' };
    case 'propose':
    case 'send': {
      const pebbles = rest.map((token) => parsePebbleRef(token.replace(/,$/, '')));
      if (!pebbles.length || pebbles.some((n) => n === undefined))
        throw usage(`Name the pebbles: ${q('council propose P-12 P-15')}.`);
      return { kind: 'propose', pebbles: pebbles as number[] };
    }
    case 'decide': {
      const example = q('council decide V-3 fix-now');
      const vote = voteRef(rest[0], example);
      const option = VoteOptionSchema.safeParse((rest[1] ?? '').toLowerCase());
      if (!option.success)
        throw usage(`Say fix-now, next-cycle, not-now or need-info: ${example}.`);
      return { kind: 'decide', vote, option: option.data };
    }
    case 'reason': {
      const example = q('council reason V-3 "the fix waits for the new billing system"');
      const vote = voteRef(rest[0], example);
      const reason = unquote(plainText(after(raw, 2)));
      if (!reason) throw usage(`Give the council's reason: ${example}.`);
      return { kind: 'reason', vote, reason };
    }
    case 'close': {
      const example = q('council close V-3 "the vendor fixed it already"');
      const vote = voteRef(rest[0], example);
      const reason = unquote(plainText(after(raw, 2)));
      if (!reason) throw usage(`Say why it closes early: ${example}.`);
      return { kind: 'close', vote, reason };
    }
    case 'wip': {
      const example = q('council wip V-3 I-2') + ' (or `queue`)';
      const vote = voteRef(rest[0], example);
      if (/^queue$/i.test(rest[1] ?? '')) return { kind: 'wip', vote };
      const displace = rest[1] ? parseImprovementRef(rest[1]) : undefined;
      if (displace === undefined) throw usage(`Say which improvement makes room: ${example}.`);
      return { kind: 'wip', vote, displace };
    }
  }
  throw usage(`I do not know \`council ${sub}\`. Try ${q('council help')}.`);
}

/** What `config council …` asks for: a change, or the settings. */
export type CouncilConfigCommand =
  { kind: 'show' } | { kind: 'patch'; patch: CouncilPatch; joinChannel?: string };

function count(value: string | undefined, what: string, min: number, max: number): number {
  const n = Number(value);
  if (!value || !Number.isInteger(n) || n < min || n > max)
    throw usage(`${what}: a whole number from ${min} to ${max}.`);
  return n;
}

function members(text: string): CouncilMember[] {
  return peopleIn(text);
}

/** Parses the text after `config council`. Pure: throws COMMAND.USAGE with a hint. */
export function parseCouncilConfig(
  raw: string,
  options: GrammarOptions = {},
): CouncilConfigCommand {
  const q = (t: string) => quote(options.prefix, t);
  const text = raw.trim();
  const [word = '', ...rest] = words(text);
  const value = after(text, 1);
  const off = /^(off|none|no)$/i.test(value);
  switch (word.toLowerCase()) {
    case '':
    case 'show':
      return { kind: 'show' };
    case 'members': {
      const list = members(value);
      if (!list.length && !off) throw usage(`Usage: ${q('config council members @ana @ben')}.`);
      return { kind: 'patch', patch: { members: list } };
    }
    case 'add': {
      const list = members(value);
      if (!list.length) throw usage(`Usage: ${q('config council add @cy')}.`);
      return { kind: 'patch', patch: { addMembers: list } };
    }
    case 'remove': {
      const list = members(value);
      if (!list.length) throw usage(`Usage: ${q('config council remove @ben')}.`);
      return { kind: 'patch', patch: { removeMembers: list.map((m) => m.userId) } };
    }
    case 'function': {
      const user = personWord(rest[0]);
      const fn = plainText(rest.slice(1).join(' ')).trim();
      if (!user || !fn)
        throw usage(`Usage: ${q('config council function @ana Product')} (or \`none\`).`);
      return {
        kind: 'patch',
        patch: { functions: { [user.id]: /^(none|off)$/i.test(fn) ? null : fn.slice(0, 40) } },
      };
    }
    case 'group': {
      if (off) return { kind: 'patch', patch: { userGroup: null } };
      const group = channelWord(value);
      if (!group?.id.startsWith('group:'))
        throw usage(`Pick the user group with @, e.g. ${q('config council group @cx-council')}.`);
      return {
        kind: 'patch',
        patch: {
          userGroup: {
            id: group.id.slice('group:'.length),
            ...(group.name ? { handle: `@${group.name}` } : {}),
          },
        },
      };
    }
    case 'channel': {
      if (off) return { kind: 'patch', patch: { channel: null } };
      const channel = channelWord(value);
      if (!channel || channel.id.startsWith('group:'))
        throw usage(`Pick the channel with #, e.g. ${q('config council channel #cx-council')}.`);
      return { kind: 'patch', patch: { channel: channel.id }, joinChannel: channel.id };
    }
    case 'sponsor': {
      if (off) return { kind: 'patch', patch: { sponsor: null } };
      const user = personWord(value);
      if (!user) throw usage(`Usage: ${q('config council sponsor @vera')} (or \`none\`).`);
      return { kind: 'patch', patch: { sponsor: user.id } };
    }
    case 'window':
    case 'days':
      return {
        kind: 'patch',
        patch: { votingDays: count(rest[0], 'The voting window in working days', 1, 20) },
      };
    case 'quorum':
      if (/^(half|default|off|none)$/i.test(value))
        return { kind: 'patch', patch: { quorum: null } };
      return {
        kind: 'patch',
        patch: { quorum: count(rest[0], 'The quorum in ballots', 1, 2_000) },
      };
    case 'threshold': {
      if (/^(majority|simple|default)$/i.test(value))
        return { kind: 'patch', patch: { threshold: 50 } };
      if (/^(unanimous|all)$/i.test(value)) return { kind: 'patch', patch: { threshold: 100 } };
      return {
        kind: 'patch',
        patch: {
          threshold: count(rest[0]?.replace(/%$/, ''), 'The threshold in percent', 50, 100),
        },
      };
    }
    case 'balance':
      if (off) return { kind: 'patch', patch: { balance: null } };
      return {
        kind: 'patch',
        patch: { balance: count(rest[0], 'The balance in functions', 2, 50) },
      };
    case 'ballots':
    case 'secret': {
      const v = value.toLowerCase();
      if (['secret', 'on', 'yes'].includes(v)) return { kind: 'patch', patch: { secret: true } };
      if (['open', 'off', 'no'].includes(v)) return { kind: 'patch', patch: { secret: false } };
      throw usage(`Usage: ${q('config council ballots secret')} (or \`open\`).`);
    }
    case 'wip':
      return {
        kind: 'patch',
        patch: { wipLimit: count(rest[0], 'The WIP limit in active improvements', 1, 100) },
      };
    case 'cycle': {
      const v = value.toLowerCase().replace(/ly$/, '');
      if (v === 'week' || v === 'month') return { kind: 'patch', patch: { cycle: v } };
      throw usage(`Usage: ${q('config council cycle week')} (or \`month\`).`);
    }
  }
  throw usage(`I cannot set \`council ${word}\`.\n${COUNCIL_CONFIG_USAGE}`);
}

export type ImprovementStatusWord = 'on-track' | 'at-risk' | 'blocked' | 'done' | 'dropped';

/** What `improvement …` asks for. */
export type ImprovementCommand =
  | { kind: 'help' }
  | { kind: 'list'; scope: 'active' | 'all' | 'mine' }
  | { kind: 'show'; number: number }
  | { kind: 'assign'; number: number; ownerId: string; ownerName?: string; date: string }
  | { kind: 'update'; number: number; status: ImprovementStatusWord; note?: string }
  | { kind: 'date'; number: number; date: string; note?: string }
  | { kind: 'new'; pebbles: number[]; title: string }
  | { kind: 'sponsor'; userId: string | null }
  | { kind: 'settings' }
  | { kind: 'accept'; number: number; date?: string }
  | { kind: 'decline'; number: number; reason: string }
  | { kind: 'snooze'; number: number; period: SnoozePeriod }
  | { kind: 'fixed'; number: number; answer: 'yes' | 'no' };

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const STATUS_WORDS: Record<string, ImprovementStatusWord> = {
  'on-track': 'on-track',
  ontrack: 'on-track',
  'at-risk': 'at-risk',
  atrisk: 'at-risk',
  risk: 'at-risk',
  blocked: 'blocked',
  done: 'done',
  dropped: 'dropped',
  drop: 'dropped',
};

/** Removes one pair of surrounding quotes, straight or curly (people type either). */
export function unquote(text: string): string {
  return text
    .trim()
    .replace(/^["“”'‘’](.*)["“”'‘’]$/s, '$1')
    .trim();
}

function improvementRef(token: string | undefined, example: string): number {
  const number = token ? parseImprovementRef(token) : undefined;
  if (number === undefined) throw usage(`Say which improvement, e.g. ${example}.`);
  return number;
}

const IMPROVEMENT_SUBCOMMANDS =
  /^(help|list|ls|mine|show|assign|update|status|date|extend|new|plan|sponsor|settings|config|accept|decline|snooze|fixed)$/i;

/**
 * Whether the text after `improvement` is a sub-command (or nothing), so a report that merely
 * starts with the word ("Improvement needed in billing") stays a report.
 */
export function isImprovementCommand(text: string): boolean {
  const first = words(text)[0] ?? '';
  return first === '' || IMPROVEMENT_SUBCOMMANDS.test(first);
}

/** Parses the text after `improvement`. Pure: throws COMMAND.USAGE with a hint. */
export function parseImprovementCommand(
  raw: string,
  options: GrammarOptions = {},
): ImprovementCommand {
  const q = (t: string) => quote(options.prefix, t);
  const text = raw.trim();
  const [sub = '', ...rest] = words(text);
  const note = (n: number) => unquote(plainText(after(text, n)));
  switch (sub.toLowerCase()) {
    case '':
    case 'help':
      return { kind: 'help' };
    case 'list':
    case 'ls': {
      const scope = (rest[0] ?? '').toLowerCase();
      if (scope === 'all') return { kind: 'list', scope: 'all' };
      if (scope === 'mine') return { kind: 'list', scope: 'mine' };
      return { kind: 'list', scope: 'active' };
    }
    case 'mine':
      return { kind: 'list', scope: 'mine' };
    case 'show':
      return { kind: 'show', number: improvementRef(rest[0], q('improvement show I-3')) };
    case 'assign': {
      const example = q('improvement assign I-3 @owner 2026-12-15');
      const number = improvementRef(rest[0], example);
      const user = personWord(rest[1]);
      if (!user) throw usage(`Pick the owner with @ so they are linked: ${example}.`);
      const date = rest[2] ?? '';
      if (!DATE.test(date)) throw usage(`Give the promised date as YYYY-MM-DD: ${example}.`);
      return {
        kind: 'assign',
        number,
        ownerId: user.id,
        ...(user.name ? { ownerName: user.name } : {}),
        date,
      };
    }
    case 'update':
    case 'status': {
      const example = q('improvement update I-3 at-risk "waiting on vendor"');
      const number = improvementRef(rest[0], example);
      const status = STATUS_WORDS[(rest[1] ?? '').toLowerCase()];
      if (!status) throw usage(`Say on-track, at-risk, blocked, done or dropped: ${example}.`);
      const n = note(3);
      return { kind: 'update', number, status, ...(n ? { note: n } : {}) };
    }
    case 'date':
    case 'extend': {
      const example = q('improvement date I-3 2027-01-15 "vendor slipped"');
      const number = improvementRef(rest[0], example);
      const date = rest[1] ?? '';
      if (!DATE.test(date)) throw usage(`Give the new date as YYYY-MM-DD: ${example}.`);
      const n = note(3);
      return { kind: 'date', number, date, ...(n ? { note: n } : {}) };
    }
    case 'new':
    case 'plan': {
      const pebbles: number[] = [];
      let i = 0;
      for (; i < rest.length; i++) {
        const n = parsePebbleRef(rest[i] ?? '');
        if (n === undefined || !/^p/i.test(rest[i] ?? '')) break;
        pebbles.push(n);
      }
      const title = note(1 + i);
      if (!pebbles.length || !title)
        throw usage(
          `Name the pebbles and a title: ${q('improvement new P-3 P-4 One address form')}.`,
        );
      return { kind: 'new', pebbles, title };
    }
    case 'sponsor': {
      if (/^(none|off)$/i.test(rest[0] ?? '')) return { kind: 'sponsor', userId: null };
      const user = personWord(rest[0]);
      if (!user) throw usage(`Usage: ${q('improvement sponsor @dana')} (or \`none\`).`);
      return { kind: 'sponsor', userId: user.id };
    }
    case 'settings':
    case 'config':
      return { kind: 'settings' };
    case 'accept': {
      const example = q('improvement accept I-3 [2026-12-15]');
      const number = improvementRef(rest[0], example);
      const date = rest[1];
      if (date !== undefined && !DATE.test(date))
        throw usage(`Give the date you promise as YYYY-MM-DD: ${example}.`);
      return { kind: 'accept', number, ...(date ? { date } : {}) };
    }
    case 'decline': {
      const example = q('improvement decline I-3 "another team owns billing"');
      const number = improvementRef(rest[0], example);
      const reason = note(2);
      if (!reason) throw usage(`Say why: ${example}.`);
      return { kind: 'decline', number, reason };
    }
    case 'snooze': {
      const example = q('improvement snooze I-3 3d');
      const number = improvementRef(rest[0], example);
      const period = (rest[1] ?? '').toLowerCase();
      if (!(period in SNOOZE_PERIODS)) throw usage(`Snooze for 1d, 3d or 1w: ${example}.`);
      return { kind: 'snooze', number, period: period as SnoozePeriod };
    }
    case 'fixed': {
      const example = q('improvement fixed I-3 yes') + ' (or `no`)';
      const number = improvementRef(rest[0], example);
      const answer = (rest[1] ?? '').toLowerCase();
      if (answer !== 'yes' && answer !== 'no') throw usage(`Say yes or no: ${example}.`);
      return { kind: 'fixed', number, answer };
    }
  }
  throw usage(`I do not know \`improvement ${sub}\`.`);
}

/** What `config digest …` asks for. */
export type DigestConfigCommand =
  | { kind: 'show' }
  | {
      kind: 'patch';
      patch: Partial<DigestSettings>;
      timezone?: string;
      /** A channel to join first (named as the admin typed it). */
      join?: { id: string; name: string };
    };

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

function time(text: string): string {
  const match = TIME.exec(text);
  if (!match) throw usage(`"${text}" is not a time: write it like 09:00 or 16:30.`);
  return `${match[1]!.padStart(2, '0')}:${match[2]}`;
}

function day(text: string): number {
  const parsed = parseWeekday(text);
  if (parsed === undefined) throw usage(`"${text}" is not a day of the week: try monday or fri.`);
  return parsed;
}

/**
 * Parses the text after `config digest`. Pure: throws COMMAND.USAGE with a hint. One setting
 * per command: `channel #c|off`, `leaders @a @b|none`, `day fri`, `time 16:30`, `friday 16:30`,
 * `timezone Europe/Berlin`, `on`, `off`.
 */
export function parseDigestConfig(raw: string, options: GrammarOptions = {}): DigestConfigCommand {
  const q = (t: string) => quote(options.prefix, t);
  const text = raw.trim();
  const [first = '', ...rest] = words(text);
  const arg = after(text, 1);
  switch (first.toLowerCase()) {
    case '':
    case 'show':
      return { kind: 'show' };
    case 'on':
    case 'off':
      if (rest.length) break;
      return { kind: 'patch', patch: { enabled: first.toLowerCase() === 'on' } };
    case 'channel': {
      if (/^(off|none)$/i.test(arg)) return { kind: 'patch', patch: { channel: undefined } };
      const match = channelWord(arg);
      if (!match || match.id.startsWith('group:'))
        throw usage(`Pick the channel with #, e.g. ${q('config digest channel #leaders')}.`);
      return {
        kind: 'patch',
        patch: { channel: match.id },
        join: { id: match.id, name: match.name || match.id },
      };
    }
    case 'leaders':
    case 'leader':
    case 'dm': {
      const ids = peopleIn(arg).map((p) => p.userId);
      if (!ids.length && !/^none$/i.test(arg))
        throw usage(`Usage: ${q('config digest leaders @ana @ben')} (or \`none\`).`);
      return { kind: 'patch', patch: { leaders: [...new Set(ids)] } };
    }
    case 'day':
      return { kind: 'patch', patch: { day: day(arg) } };
    case 'time':
    case 'at':
      return { kind: 'patch', patch: { time: time(arg) } };
    case 'timezone':
    case 'tz': {
      if (!IANAZone.isValidZone(arg))
        throw usage(
          `"${arg}" is not a time zone: write it like Europe/Berlin or America/New_York.`,
        );
      return { kind: 'patch', patch: {}, timezone: arg };
    }
    default: {
      // `friday 16:30`, `monday at 9:00`.
      const weekday = parseWeekday(first);
      const at = rest.filter((t) => t.toLowerCase() !== 'at');
      if (weekday !== undefined && at.length <= 1)
        return {
          kind: 'patch',
          patch: { day: weekday, ...(at[0] ? { time: time(at[0]) } : {}) },
        };
    }
  }
  throw usage(
    `I can set the digest's \`channel\`, \`leaders\`, \`day\`, \`time\`, \`timezone\`, or turn it \`on\`/\`off\`, not "${plainText(text)}".`,
  );
}

/** A triage decision typed instead of clicked on the triage card (admins). */
export type TriageChange =
  | { kind: 'severity'; severity: number }
  | { kind: 'stage'; stage: string }
  | { kind: 'stakeholder'; stakeholder: Stakeholder }
  | { kind: 'decline'; reason: string }
  | { kind: 'duplicate'; of: number }
  /** Accept the AI triage suggestion shown on the card. */
  | { kind: 'accept' };

// ------------------------------------------------------------------------- the top level

/** What people ask for. Anything that is not a command is a report. */
export type Command =
  | { kind: 'form' }
  | { kind: 'help' }
  | { kind: 'list'; filter: string }
  | { kind: 'mine' }
  | { kind: 'show'; number: number }
  | { kind: 'support'; number: number }
  | { kind: 'report'; text: string; anonymous: boolean }
  | { kind: 'merge'; from: number; into: number }
  | { kind: 'anon-toggle'; number: number }
  | { kind: 'config' }
  | { kind: 'config-triage'; channel: { id: string; name?: string } | null }
  | { kind: 'config-emoji'; value: string }
  | { kind: 'config-admins'; ids: string[] }
  /** `config ai` shows the AI switch and today's usage; `on` / `off` switch it. */
  | { kind: 'config-ai'; on?: boolean }
  | { kind: 'council'; command: CouncilCommand }
  | { kind: 'council-config'; command: CouncilConfigCommand }
  | { kind: 'improvement'; command: ImprovementCommand }
  | { kind: 'digest' }
  | { kind: 'digest-config'; command: DigestConfigCommand }
  | { kind: 'vote'; vote: number; choice: BallotChoice }
  | { kind: 'triage'; number: number; change: TriageChange }
  | { kind: 'governance'; command: GovernanceCommand }
  | { kind: 'settings'; command: SettingsCommand }
  | { kind: 'home' };

/**
 * Parses one line people typed (after the channel turned its markup into tokens). Pure: throws
 * COMMAND.USAGE with a hint when a command is malformed.
 */
export function parseCommand(raw: string, options: GrammarOptions = {}): Command {
  const q = (t: string) => quote(options.prefix, t);
  const text = raw.trim();
  if (!text) return { kind: 'form' };
  const [first = '', ...rest] = words(text);
  const arg = after(text, 1);
  const word = first.toLowerCase();
  const alone = rest.length === 0;
  switch (word) {
    case 'help':
    case '?':
      if (alone) return { kind: 'help' };
      break;
    case 'list':
    case 'ls':
      // A filter is a word or three ("in council", "renew or leave"); more is a report.
      if (rest.length <= 3) return { kind: 'list', filter: plainText(arg).slice(0, 100) };
      break;
    case 'mine':
      if (alone) return { kind: 'mine' };
      break;
    case 'home':
      if (alone) return { kind: 'home' };
      break;
    case 'show':
    case '+1':
    case 'support': {
      const number = rest.length === 1 && rest[0] ? parsePebbleRef(rest[0]) : undefined;
      if (number !== undefined) return { kind: word === 'show' ? 'show' : 'support', number };
      // "Support hold music is too long" is a report; "show xyz" and "+1" want a pebble id.
      if (word !== 'support' && rest.length <= 1) throw usage(`Usage: ${q(`${word} P-12`)}`);
      break;
    }
    case 'merge': {
      const from = rest[0] ? parsePebbleRef(rest[0]) : undefined;
      const into = rest[1] ? parsePebbleRef(rest[1]) : undefined;
      if (rest.length === 2 && from !== undefined && into !== undefined)
        return { kind: 'merge', from, into };
      if (rest.length <= 2) throw usage(`Usage: ${q('merge P-4 P-3')}`);
      break;
    }
    case 'anon':
    case 'anonymous': {
      if (!arg) throw usage(`Usage: ${q('anon <what got in the way>')}`);
      // `anon P-3` alone hides (or shows) the name on one's own pebble; anything else is a report.
      const number =
        rest.length === 1 && /^p-?\d/i.test(rest[0] ?? '') ? parsePebbleRef(rest[0]!) : undefined;
      if (number !== undefined) return { kind: 'anon-toggle', number };
      return { kind: 'report', text: arg, anonymous: true };
    }
    case 'report':
      if (!arg) return { kind: 'form' };
      return { kind: 'report', text: arg, anonymous: false };
    case 'improvement':
    case 'improvements':
      if (isImprovementCommand(arg))
        return { kind: 'improvement', command: parseImprovementCommand(arg, options) };
      break;
    case 'digest':
      if (alone) return { kind: 'digest' };
      break;
    case 'council':
      if (isCouncilCommand(arg))
        return { kind: 'council', command: parseCouncilCommand(arg, options) };
      break;
    case 'vote': {
      const vote = rest[0] ? parseVoteRef(rest[0]) : undefined;
      const choice = BallotChoiceSchema.safeParse((rest[1] ?? '').toLowerCase());
      if (vote !== undefined && choice.success && rest.length === 2)
        return { kind: 'vote', vote, choice: choice.data };
      if (rest.length <= 2)
        throw usage(
          `Usage: ${q('vote V-3 fix-now')} (fix-now, next-cycle, not-now, need-info or recuse)`,
        );
      break;
    }
    case 'export': {
      const command = parseExport(rest, q);
      if (command) return { kind: 'governance', command };
      break;
    }
    case 'api': {
      const command = parseApi(arg, q);
      if (command) return { kind: 'governance', command };
      break;
    }
    case 'forget': {
      const command = parseForget(rest);
      if (command) return { kind: 'governance', command };
      break;
    }
    case 'triage': {
      const number = rest[0] ? parsePebbleRef(rest[0]) : undefined;
      if (number === undefined) break;
      const what = (rest[1] ?? '').toLowerCase();
      const value = after(text, 3);
      const example =
        q('triage P-3 severity 3') +
        ', `stage onboard`, `who employee`, `accept` (the suggestion), `decline <why>` or `duplicate P-1`';
      switch (what) {
        case 'severity': {
          const severity = Number(value);
          if (!Number.isInteger(severity) || severity < 1 || severity > 4)
            throw usage(`The severity is 1 (annoyance) to 4 (churn or safety risk): ${example}.`);
          return { kind: 'triage', number, change: { kind: 'severity', severity } };
        }
        case 'stage':
          if (!value) throw usage(`Name the stage: ${example}.`);
          return { kind: 'triage', number, change: { kind: 'stage', stage: plainText(value) } };
        case 'who':
        case 'stakeholder': {
          const who = StakeholderSchema.safeParse(value.trim().toLowerCase());
          if (!who.success)
            throw usage(`Who feels it: customer, employee or partner, e.g. ${example}.`);
          return { kind: 'triage', number, change: { kind: 'stakeholder', stakeholder: who.data } };
        }
        case 'decline': {
          const reason = unquote(plainText(value));
          if (!reason) throw usage(`Say why: ${example}.`);
          return { kind: 'triage', number, change: { kind: 'decline', reason } };
        }
        case 'accept':
          if (!value.trim()) return { kind: 'triage', number, change: { kind: 'accept' } };
          break;
        case 'duplicate': {
          const of = parsePebbleRef(value);
          if (of === undefined) throw usage(`Say which pebble it repeats: ${example}.`);
          return { kind: 'triage', number, change: { kind: 'duplicate', of } };
        }
      }
      throw usage(`Usage: ${example}.`);
    }
    case 'config': {
      const [setting = '', ...values] = rest;
      const key = setting.toLowerCase();
      const value = after(text, 2);
      if (!key) return { kind: 'config' };
      if (key === 'council')
        return { kind: 'council-config', command: parseCouncilConfig(value, options) };
      if (key === 'digest')
        return { kind: 'digest-config', command: parseDigestConfig(value, options) };
      if (key === 'triage') {
        if (/^(off|none)$/i.test(value)) return { kind: 'config-triage', channel: null };
        const channel = channelWord(value);
        if (!channel || channel.id.startsWith('group:'))
          throw usage(`Pick the channel with #, e.g. ${q('config triage #cx-triage')}.`);
        return { kind: 'config-triage', channel };
      }
      const settings = parseSettingsConfig(key, value, q);
      if (settings) return { kind: 'settings', command: settings };
      const governance = parseGovernanceConfig(key, value, q);
      if (governance) return { kind: 'governance', command: governance };
      if (key === 'emoji') return { kind: 'config-emoji', value: plainText(value) };
      if (key === 'ai') {
        const v = plainText(value).trim().toLowerCase();
        if (!v) return { kind: 'config-ai' };
        if (v === 'on' || v === 'off') return { kind: 'config-ai', on: v === 'on' };
        throw usage(`Usage: ${q('config ai on')}, ${q('config ai off')} or ${q('config ai')}.`);
      }
      if (key === 'admins' || key === 'admin') {
        const ids = peopleIn(value).map((p) => p.userId);
        if (!ids.length && !/^none$/i.test(value.trim()))
          throw usage(`Usage: ${q('config admins @ana @ben')} (or \`none\`).`);
        return { kind: 'config-admins', ids: [...new Set(ids)] };
      }
      void values;
      throw usage(
        `I can set \`triage #channel\`, \`emoji name\`, \`admins @person …\`, \`ai on|off\`, \`council …\`, \`digest …\`, \`timezone Europe/Berlin\`, \`nudges …\`, \`stage …\`, \`journey …\`, \`retention 2y\`, show the \`stages\` or the \`audit\` log, or \`delete-workspace-data\`, not "${plainText(setting)}".`,
      );
    }
  }
  return { kind: 'report', text, anonymous: false };
}
