import type { MessageView } from '../core/ports/message-view.port.js';

/** One line of help: what to type and what it does. */
export interface GrammarEntry {
  usage: string;
  does: string;
}

/** The grammar's commands by section, in the order help lists them. */
export const GRAMMAR: { section: string; entries: GrammarEntry[] }[] = [
  {
    section: 'Report a pebble',
    entries: [
      { usage: 'report <what got in the way>', does: 'records it at once (first line = title)' },
      { usage: 'anon <what got in the way>', does: 'records it without your name' },
      { usage: 'anon P-3', does: 'hides (or shows again) your name on a pebble you reported' },
      { usage: 'merge P-4 P-3', does: 'folds your new report P-4 into P-3 as a +1' },
    ],
  },
  {
    section: 'See and follow',
    entries: [
      {
        usage: 'list [status | customer | employee | partner | stage] [page N]',
        does: 'open pebbles',
      },
      { usage: 'mine', does: 'the pebbles you reported' },
      {
        usage: 'home',
        does: 'your pebbles and what happened to them (admins: the setup checklist and settings)',
      },
      { usage: 'show P-12', does: 'one pebble in full' },
      { usage: '+1 P-12', does: 'adds your support' },
      { usage: 'digest', does: "this week's CX digest so far" },
    ],
  },
  {
    section: 'Triage (admins)',
    entries: [
      { usage: 'triage P-3 severity 1-4', does: 'sets how much it hurts' },
      { usage: 'triage P-3 stage <stage>', does: 'places it on the journey' },
      { usage: 'triage P-3 accept', does: 'applies the AI suggestion shown on its card' },
      { usage: 'triage P-3 decline <why>', does: 'declines it; reporters are told why' },
      { usage: 'triage P-3 duplicate P-1', does: 'folds it into the pebble it repeats' },
    ],
  },
  {
    section: 'CX council',
    entries: [
      { usage: 'council propose P-12 [P-15 …]', does: 'sends triaged pebbles to a vote' },
      { usage: 'council votes', does: 'the open votes' },
      {
        usage: 'vote V-3 fix-now',
        does: 'your ballot (next-cycle, not-now, need-info, recuse); change it until the close',
      },
      { usage: 'council decide V-3 fix-now', does: 'the sponsor decides an escalated vote' },
      { usage: 'council reason V-3 <why>', does: 'the council explains a "Not now"' },
      { usage: 'council wip V-3 I-2', does: 'makes room above the WIP limit (or `queue`)' },
    ],
  },
  {
    section: 'Journey improvements',
    entries: [
      { usage: 'improvement list [all|mine]', does: 'the improvements and their owners' },
      { usage: 'improvement show I-3', does: 'one improvement with its promise ledger' },
      {
        usage: 'improvement assign I-3 @owner 2026-12-15',
        does: 'asks someone to own it by a date',
      },
      { usage: 'improvement accept I-3 [date]', does: 'the owner promises it (by another date)' },
      { usage: 'improvement decline I-3 <why>', does: 'the owner declines' },
      {
        usage: 'improvement update I-3 at-risk "why"',
        does: 'a status update (on-track, at-risk, blocked, done "what changed", dropped "why")',
      },
      { usage: 'improvement date I-3 2027-01-15 "why"', does: 'a new promised date' },
      { usage: 'improvement snooze I-3 3d', does: 'pauses nudges (1d, 3d, 1w)' },
      { usage: 'improvement fixed I-3 yes', does: 'did it fix it for you? (or `no`)' },
      {
        usage: 'improvement new P-3 P-4 <title>',
        does: 'plans one without a vote (sponsor, admins)',
      },
      { usage: 'improvement sponsor @dana', does: 'sets the executive sponsor' },
      { usage: 'improvement settings', does: 'nudge cadence, quiet hours, escalation' },
    ],
  },
  {
    section: 'Settings (admins)',
    entries: [
      { usage: 'config', does: 'shows the settings' },
      { usage: 'config triage #channel', does: 'posts new pebbles there as triage cards (`off`)' },
      { usage: 'config emoji rock', does: 'the reaction that reports a message' },
      { usage: 'config admins @ana @ben', does: 'people who may triage and configure' },
      {
        usage: 'config council members @ben @cy @dee',
        does: 'who votes (`config council` shows every setting)',
      },
      { usage: 'config council sponsor @vera', does: 'who decides escalated votes' },
      { usage: 'config council ballots secret', does: 'secret or open ballots' },
      {
        usage: 'config digest channel #leaders',
        does: 'where the weekly digest goes (also leaders, day, time, timezone, on, off)',
      },
      {
        usage: 'config timezone Europe/Berlin',
        does: 'the workspace time zone (the digest and vote deadlines follow it)',
      },
      {
        usage: 'config nudges every 7',
        does: 'owner nudges (also `daily 3`, `quiet 19:00 to 08:00`, `weekends off|on`, `escalate 3`)',
      },
      { usage: 'config stages', does: 'the journeys and stages, with the keys to type' },
      {
        usage: 'config stage add <name> [after <stage>]',
        does: 'a new stage (also `rename <stage> to <name>`, `move <stage> to 2`, `retire <stage>`, `restore <stage>`)',
      },
      {
        usage: 'config journey add <name>: <stage>, <stage>',
        does: 'a new journey (also `rename <journey> to <name>`)',
      },
      { usage: 'config audit [page N]', does: 'who changed which setting, when, before and after' },
      {
        usage: 'config ai on|off',
        does: 'AI suggestions for this workspace (`config ai`: today’s usage vs the caps)',
      },
      { usage: 'config retention 2y', does: 'how long resolved pebbles keep their text (`off`)' },
      {
        usage: 'config delete-workspace-data confirm <workspace name>',
        does: "deletes all of this workspace's data (kept in the audit log)",
      },
    ],
  },
  {
    section: 'Export, API and your data',
    entries: [
      {
        usage: 'export [from] [to]',
        does: 'CSV files of pebbles, improvements, decisions (admins)',
      },
      {
        usage: 'api token create <name>',
        does: 'a read-API token for BI tools, shown once (admins)',
      },
      { usage: 'api token list', does: 'the read-API tokens (admins)' },
      { usage: 'api token revoke tok_1a2b3c4d', does: 'refuses that token from now on (admins)' },
      { usage: 'forget me', does: 'removes your name from everything stored (asks to confirm)' },
    ],
  },
];

export interface HelpOptions {
  /** How the channel prefixes a command (`/pebble` on Slack, nothing in the console). */
  prefix?: string;
  /** Lines a channel adds about its own ways in (Slack shortcuts, console `as @ana …`). */
  extra?: { section: string; lines: string[] }[];
}

/** The help every channel shows, generated from the grammar. */
export function grammarHelpView(options: HelpOptions = {}): MessageView {
  const p = options.prefix ? `${options.prefix} ` : '';
  const sections = [
    ...GRAMMAR.map((s) => ({
      section: s.section,
      lines: s.entries.map((e) => `• \`${p}${e.usage}\` · ${e.does}`),
    })),
    ...(options.extra ?? []),
  ];
  return {
    text: `Pebblebot help: ${p}report <what got in the way> records a pebble.`,
    blocks: [
      { type: 'header', text: 'Pebblebot: report friction, see it fixed' },
      ...sections.map((s) => ({
        type: 'section' as const,
        text: `*${s.section}*\n${s.lines.join('\n')}`,
      })),
    ],
  };
}
