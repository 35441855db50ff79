import { DateTime } from 'luxon';
import type {
  DigestTheme,
  DigestImprovement,
  DigestMetrics,
  DigestPebble,
  DurationStat,
  Ratio,
  StageTrend,
} from '../core/digest/digest.model.js';
import { weekdayName } from '../core/digest/digest-settings.js';
import { periodLabel } from '../core/digest/period.js';
import type { ChartMode, DigestViews } from '../core/digest/digest.service.js';
import { improvementShortId } from '../core/improvements/improvement.model.js';
import { shortId } from '../core/pebbles/pebble.model.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { ACTIONS } from './actions.js';
import type { BlockView, FieldView, MessageView } from '../core/ports/message-view.port.js';
import { channel, date, person, plainText } from './tokens.js';

// NOTE: Slack allows 50 blocks per message and 3,000 characters per section; the main message
// uses at most 6 blocks, the details at most 12, and every section is cut at SECTION_MAX.
export const SECTION_MAX = 2_900;
const TITLE_MAX = 80;

const OUTCOME_LABELS: Record<string, string> = {
  'fix-now': 'Fix now',
  'next-cycle': 'Next cycle',
  'not-now': 'Not now',
  'need-info': 'Need info',
  tie: 'a tie, passed to the sponsor',
  'no-quorum': 'too few votes, passed to the sponsor',
  'no-balance': 'not cross-functional enough, passed to the sponsor',
  'no-majority': 'no majority, passed to the sponsor',
  escalated: 'passed to the sponsor',
  open: 'still open',
};

const STAKEHOLDER_WORDS: Record<string, string> = {
  customer: 'customers',
  employee: 'employees',
  partner: 'partners',
};

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** Section text within Slack's limit, cut at a line break where possible. */
function section(text: string): BlockView {
  if (text.length <= SECTION_MAX) return { type: 'section', text };
  const cut = text.lastIndexOf('\n', SECTION_MAX - 2);
  return { type: 'section', text: `${text.slice(0, cut > 0 ? cut : SECTION_MAX - 2)}\n…` };
}

/** `1 pebble`, `3 pebbles`. */
const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

const percent = (r: Ratio) => (r.rate === undefined ? undefined : `${Math.round(r.rate * 100)}%`);

/** `up 4 from 2`, `down 1 from 3`, `same as last week`: a trend in words, never by colour. */
export function trend(now: number, before: number): string {
  if (now === before) return 'same as last week';
  return `${now > before ? 'up' : 'down'} ${Math.abs(now - before)} from ${before}`;
}

/** `under an hour`, `5 hours`, `3 days`: a wait in the unit a person would use. */
export function duration(hours: number | undefined): string {
  if (hours === undefined) return '–';
  if (hours < 1) return 'under an hour';
  if (hours < 48) return n(Math.round(hours), 'hour');
  return n(Math.round(hours / 24), 'day');
}

/**
 * A spread of waits in plain words: `decided 4 days after the report` (one), `usually decided
 * within 2 days of the report; the slowest took 6` (many). "The slowest" is the 90th
 * percentile, so a single outlier does not speak for the week.
 */
export function waited(s: DurationStat, verb: string, since: string): string | undefined {
  if (s.count === 0 || s.medianHours === undefined) return undefined;
  const usual = duration(s.medianHours);
  if (s.count === 1) return `${verb} ${usual} after ${since}`;
  const slowest = duration(s.p90Hours);
  if (slowest === usual) return `usually ${verb} within ${usual} of ${since}`;
  // `6 days` after `2 days` reads as `6`: the unit is said once when both share it.
  const [, usualUnit] = usual.split(' ');
  const [slowNumber, slowUnit] = slowest.split(' ');
  const same = !!usualUnit && usualUnit.replace(/s$/, '') === slowUnit?.replace(/s$/, '');
  return `usually ${verb} within ${usual} of ${since}; the slowest took ${same ? slowNumber : slowest}`;
}

const sentence = (text: string | undefined) =>
  text ? `${text.charAt(0).toUpperCase()}${text.slice(1)}.` : undefined;

/** A calendar date (`2026-03-27`) as a date token: the reader's own date format. */
function day(isoDate: string | undefined): string {
  if (!isoDate) return 'no date';
  const at = DateTime.fromISO(isoDate, { zone: 'UTC' });
  if (!at.isValid) return isoDate;
  // Midday UTC is the same calendar day in every zone from UTC-11 to UTC+11.
  return date(at.set({ hour: 12 }).toJSDate(), at.toFormat('ccc d LLL'));
}

function owner(i: DigestImprovement): string {
  if (i.ownerId) return person(i.ownerId, i.owner);
  return i.owner ?? 'no owner yet';
}

function pebbleLine(p: DigestPebble): string {
  return `${shortId(p.number)} ${clip(p.title, TITLE_MAX)}`;
}

function improvementLine(i: DigestImprovement): string {
  return `${improvementShortId(i.number)} ${clip(i.title, TITLE_MAX)}`;
}

function more(shown: number, total: number): string[] {
  return total > shown ? [`…and ${total - shown} more`] : [];
}

/** A titled section, or nothing when it has no lines: empty sections are left out. */
function titled(title: string, lines: (string | undefined)[]): string | undefined {
  const kept = lines.filter((l): l is string => !!l);
  return kept.length ? [`*${title}*`, ...kept].join('\n') : undefined;
}

/** The four numbers a leader looks at first, each with its trend against the week before. */
function keyNumbers(m: DigestMetrics): FieldView[] {
  const kept = m.wePromised.kept;
  const keptBefore = m.wePromised.previousKept;
  const keptNow = percent(kept);
  const keptThen = percent(keptBefore);
  let keptTrend: string;
  if (keptNow === undefined) keptTrend = 'none fell due';
  else if (keptThen === undefined) keptTrend = `${kept.part} of ${kept.whole}; none due last week`;
  else if (keptNow === keptThen) keptTrend = `${kept.part} of ${kept.whole}; same as last week`;
  else
    keptTrend = `${kept.part} of ${kept.whole}; ${(kept.rate ?? 0) > (keptBefore.rate ?? 0) ? 'up' : 'down'} from ${keptThen}`;
  return [
    {
      label: 'Pebbles reported',
      value: `${m.youSaid.total} · ${trend(m.youSaid.total, m.youSaid.previous)}`,
    },
    {
      label: 'Improvements shipped',
      value: `${m.weDid.improvementsTotal} · ${trend(m.weDid.improvementsTotal, m.weDid.previous)}`,
    },
    { label: 'Promises kept', value: keptNow ? `${keptNow} · ${keptTrend}` : `– · ${keptTrend}` },
    {
      label: 'Came back after a fix',
      value: `${m.cameBack.total} · ${trend(m.cameBack.total, m.cameBack.previous)}`,
    },
  ];
}

function youSaid(m: DigestMetrics): string | undefined {
  const s = m.youSaid;
  const t = m.teamSport;
  const stages = s.byStage.filter((b) => b.count > 0);
  const who = s.byStakeholder.filter((b) => b.count > 0);
  const voted = t.voters
    ? `${t.votersLowerBound ? 'at least ' : ''}${n(t.voters, 'council member')} voted`
    : undefined;
  const roles = [
    t.reporters
      ? `${n(t.reporters, 'person', 'people')} reported${t.anonymousReporters ? ` (${t.anonymousReporters} anonymously)` : ''}`
      : undefined,
    t.supporters ? `${t.supporters} said “me too”` : undefined,
    voted,
  ].filter(Boolean);
  const teams = t.teams ? ` from ${n(t.teams, 'team')}` : '';
  return titled('What people said', [
    stages.length
      ? `Where it hurts: ${stages.map((b) => `${b.name} ${b.count}`).join(' · ')}`
      : undefined,
    who.length
      ? `Who feels it: ${who.map((b) => `${STAKEHOLDER_WORDS[b.stakeholder] ?? b.stakeholder} ${b.count}`).join(' · ')}`
      : undefined,
    ...s.mostSupported.map(
      (p) => `• ${pebbleLine(p)} — ${n(p.supporterCount ?? 0, 'person', 'people')} said “me too”`,
    ),
    t.people
      ? `${n(t.people, 'person', 'people')}${teams} took part: ${roles.join(', ')}.`
      : undefined,
  ]);
}

function councilDecided(m: DigestMetrics): string | undefined {
  const d = m.weDecided;
  const turnout = m.teamSport.councilTurnout;
  return titled('What the council decided', [
    d.approved + d.declined ? `${d.approved} approved, ${d.declined} declined.` : undefined,
    sentence(waited(d.reportToDecision, 'decided', 'the report')),
    ...d.votes.map((v) => {
      const outcome = OUTCOME_LABELS[v.outcome] ?? v.outcome;
      const by = v.by === 'sponsor' ? ', decided by the sponsor' : '';
      return `• V-${v.number} ${v.pebbles.map(pebbleLine).join(', ')} → ${outcome}${by} (${v.cast} of ${v.eligible} voted)`;
    }),
    ...more(d.votes.length, d.votesTotal),
    turnout.rate !== undefined
      ? `${percent(turnout)} of the ballots the council was asked for were cast.`
      : undefined,
  ]);
}

function shippedDetails(m: DigestMetrics): string | undefined {
  const d = m.weDid;
  if (d.improvementsTotal === 0 && d.pebblesResolved === 0) return undefined;
  return titled('What shipped', [
    ...d.improvements.map((i) => {
      const pebbles = i.pebbles.map((p) => shortId(p.number)).join(', ');
      const answered = i.fixedYes + i.fixedNo;
      const fixed = answered ? `; ${i.fixedYes} of ${answered} asked said it fixed it` : '';
      return `• ${improvementLine(i)} — ${owner(i)}, resolves ${pebbles || 'no pebble'}${fixed}`;
    }),
    ...more(d.improvements.length, d.improvementsTotal),
    d.hoursPerWeekRecovered > 0
      ? `About ${d.hoursPerWeekRecovered} hours a week given back, from reporters' estimates.`
      : undefined,
    sentence(waited(d.decisionToDone, 'done', 'the decision')),
    d.loopClosed.whole > 0
      ? `${d.loopClosed.part} of ${n(d.loopClosed.whole, 'reporter and supporter', 'reporters and supporters')} told so far.`
      : undefined,
  ]);
}

function promises(m: DigestMetrics): string | undefined {
  const p = m.wePromised;
  return titled('Promises', [
    p.kept.whole
      ? `${p.kept.part} of ${n(p.kept.whole, 'promise')} kept, ${p.broken} broken. A fix done before its date counts the week it is done.`
      : undefined,
    ...p.overdue.map(
      (i) =>
        `• Late: ${improvementLine(i)} — ${owner(i)}, promised for ${day(i.promisedDate)}, ${n(i.daysOverdue ?? 0, 'day')} late`,
    ),
    ...more(p.overdue.length, p.overdueTotal),
    ...p.dueNext.map(
      (i) => `• Due next: ${improvementLine(i)} — ${owner(i)}, ${day(i.promisedDate)}`,
    ),
    ...more(p.dueNext.length, p.dueNextTotal),
  ]);
}

function stageTrend(s: StageTrend): string {
  const before = `${s.beforePerWeek} a week before ${improvementShortId(s.improvement)}`;
  if (s.afterPerWeek === undefined) return `• ${s.name}: ${before}; too early to tell since`;
  return `• ${s.name}: ${before}, ${s.afterPerWeek} a week since (${n(s.afterWeeks, 'week')})`;
}

function cameBack(m: DigestMetrics): string | undefined {
  const c = m.cameBack;
  return titled('What came back', [
    ...c.items.map((item) =>
      item.how === 'reopened'
        ? `• ${shortId(item.number)} ${clip(item.title, TITLE_MAX)} — reopened${item.improvement ? ` after ${improvementShortId(item.improvement)}` : ''}`
        : `• ${shortId(item.number)} ${clip(item.title, TITLE_MAX)} — reported again, though ${shortId(item.of)} was fixed`,
    ),
    ...more(c.items.length, c.total),
    c.stages.length ? 'New pebbles in the stages we improved:' : undefined,
    ...c.stages.map(stageTrend),
  ]);
}

function backlog(m: DigestMetrics): string | undefined {
  const b = m.backlog;
  const w = m.waits;
  const ages = b.buckets.filter((x) => x.count > 0).map((x) => `${x.label} ${x.count}`);
  return titled('Still open', [
    b.open ? `${n(b.open, 'open pebble')} by age: ${ages.join(' · ')}` : undefined,
    sentence(waited(w.acknowledgement, 'heard back', 'reporting')?.replace(/^/, 'reporters ')),
    sentence(waited(w.fix, 'fixed', 'the report')),
  ]);
}

/** The chart's numbers as text: the fallback when the image cannot be shown. */
export function chartTable(history: DigestMetrics['history']): string {
  const first = history.periods[0]?.label ?? '';
  const last = history.periods.at(-1)?.label ?? '';
  const head = `*New pebbles per journey stage, weeks of ${first} to ${last}* (oldest first, this week last)`;
  if (history.series.length === 0) return `${head}\nNo pebble was reported in these weeks.`;
  return [head, ...history.series.map((s) => `${s.name}: ${s.counts.join(' · ')}`)].join('\n');
}

/**
 * The week's themes, so a leader sees "checkout loops on mobile (7)" rather than seven lines;
 * nothing when AI is off or found none.
 */
function themeBlocks(themes: DigestTheme[] | undefined): BlockView[] {
  if (!themes?.length) return [];
  const lines = themes.slice(0, 5).map((t) => `• ${t.name} (${t.count})`);
  return [
    section(`*Themes this week*\n${lines.join('\n')}`),
    { type: 'context', text: 'Themes are grouped and named by AI from the pebbles’ text.' },
  ];
}

/** A digest as its two messages: what a leader reads first, and the details under it. */
export interface DigestMessages {
  main: MessageView;
  /** Posted in the main message's thread (a second message where there are no threads). */
  details: MessageView;
}

function header(m: DigestMetrics, preview: boolean | undefined) {
  const label = periodLabel(m.period);
  const title = preview ? 'CX digest preview: this week so far' : 'Weekly CX digest';
  const range = `${date(m.period.start, label.split(' – ')[0] ?? label)} – ${date(m.period.end, label.split(' – ')[1]?.split(',')[0] ?? label)}`;
  return { label, title, range };
}

/**
 * The weekly digest for a leader who reads it in 30 seconds: the week in three lines, four key
 * numbers with their trend, then the details (what people said, what the council decided, what
 * shipped, promises, what came back, what is still open) as a second message in its thread.
 * Sections with nothing to say are left out. Reporters are never named; owners are.
 */
export function digestMessages(
  digest: { metrics: DigestMetrics; narrative: string; themes?: DigestTheme[] | undefined },
  options: { chart: ChartMode; preview?: boolean; together?: boolean },
): DigestMessages {
  const m = digest.metrics;
  const { label, title, range } = header(m, options.preview);
  const where =
    options.chart === 'attached'
      ? 'Details and the chart of the last 8 weeks are in the thread.'
      : 'Details are in the thread.';
  const main: MessageView = {
    text: `${title} (${label}): ${clip(plainText(digest.narrative).replace(/\n/g, ' '), 200)}`,
    blocks: [
      { type: 'header', text: title },
      {
        type: 'context',
        text: options.preview
          ? `${range} · counted up to now · only you can see this preview`
          : `${range} · compared with the week before`,
      },
      section(digest.narrative),
      { type: 'section', text: '*This week in four numbers*', fields: keyNumbers(m) },
      ...themeBlocks(digest.themes),
      ...(options.preview || options.together ? [] : [{ type: 'context' as const, text: where }]),
    ],
  };
  const sections = [
    youSaid(m),
    councilDecided(m),
    shippedDetails(m),
    promises(m),
    cameBack(m),
    backlog(m),
  ]
    .filter((t): t is string => !!t)
    .map(section);
  if (options.chart === 'fallback') sections.push(section(chartTable(m.history)));
  const details: MessageView = {
    text: `${title}, the details (${label})`,
    blocks: [
      ...(sections.length ? sections : [section('Nothing else happened this week.')]),
      {
        type: 'context',
        text: 'Anonymous reporters are counted, never named. Numbers are for the week shown, compared with the week before.',
      },
    ],
  };
  return { main, details };
}

/**
 * The whole digest as one message (the main part, then the details): what a private preview
 * shows, where there is no thread to put the details in.
 */
export function digestView(
  digest: { metrics: DigestMetrics; narrative: string; themes?: DigestTheme[] | undefined },
  options: { chart: ChartMode; preview?: boolean },
): MessageView {
  const { main, details } = digestMessages(digest, { ...options, together: true });
  return { text: main.text, blocks: [...main.blocks, { type: 'divider' }, ...details.blocks] };
}

/** The DigestViews port, as core sees it. */
export const digestViews: DigestViews = { digest: digestMessages };

/** The digest's schedule and recipients in one line: `Mondays at 09:00 (Europe/Berlin) …`. */
export function digestScheduleText(settings: WorkspaceSettings): string {
  const d = settings.digest;
  const to = [
    d.channel ? `channel ${channel(d.channel)}` : undefined,
    d.leaders.length ? n(d.leaders.length, 'leader') + ' by direct message' : undefined,
  ].filter(Boolean);
  const when = `${weekdayName(d.day)}s at ${d.time} (${settings.timezone})`;
  if (!d.enabled) return `Off (it would go out ${when}).`;
  return to.length
    ? `${when} to ${to.join(' and ')}.`
    : `${when}, but nobody receives it yet: set a channel or leaders.`;
}

/** `/pebble config digest` without a change: the settings and how to change them. */
export function digestSettingsView(settings: WorkspaceSettings, command: string): MessageView {
  const c = `\`${command} config digest`;
  const text = [
    `*Weekly CX digest* · ${digestScheduleText(settings)}`,
    `• ${c} channel #leaders\` posts it there (\`off\` to stop)`,
    `• ${c} leaders @ana @ben\` sends it to them by direct message (\`none\` to stop)`,
    `• ${c} monday 09:00\` (or \`day friday\`, \`time 16:30\`) sets when, in the workspace time zone`,
    `• ${c} timezone Europe/Berlin\` sets the workspace time zone`,
    `• ${c} on\` / \`off\` turns it on or off`,
    `• \`${command} digest\` previews this week so far, only to you`,
  ].join('\n');
  return {
    text: `Weekly CX digest: ${digestScheduleText(settings)}`,
    blocks: [{ type: 'section', text }],
  };
}

/** The admins' part of the Home tab: when the digest goes out, and a private preview. */
export function digestHomeBlocks(settings: WorkspaceSettings, command: string): BlockView[] {
  return [
    { type: 'divider' },
    {
      type: 'section',
      text: `*Weekly CX digest* · ${digestScheduleText(settings)}\nChange it with \`${command} config digest\`.`,
      button: { label: 'Preview this week', actionId: ACTIONS.digestPreview, value: 'home' },
    },
  ];
}
