import type {
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
import { shortId, STAKEHOLDER_LABELS } from '../core/pebbles/pebble.model.js';
import type { WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { ACTIONS } from './actions.js';
import type { BlockView, MessageView } from './message.view.js';
import { channel } from './tokens.js';

// NOTE: Slack allows 50 blocks per message and 3,000 characters per section; this view uses
// at most 16 blocks and cuts every section at SECTION_MAX.
export const SECTION_MAX = 2_900;
const TITLE_MAX = 80;

const OUTCOME_LABELS: Record<string, string> = {
  'fix-now': 'Fix now',
  'next-cycle': 'Next cycle',
  'not-now': 'Not now',
  'need-info': 'Need info',
  tie: 'tie, escalated',
  'no-quorum': 'no quorum, escalated',
  'no-balance': 'not cross-functional enough, escalated',
  'no-majority': 'no majority, escalated',
  escalated: 'escalated to the sponsor',
  open: 'still open',
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

/** `↑8`, `↓3`, `±0`: the change from the previous period. */
export function trend(now: number, before: number): string {
  if (now === before) return '±0';
  return now > before ? `↑${now - before}` : `↓${before - now}`;
}

/** `1 pebble`, `3 pebbles`. */
const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

const pct = (r: Ratio) => (r.rate === undefined ? '–' : `${Math.round(r.rate * 100)}%`);

/** `5.5 h` under two days, `3.2 d` beyond. */
export function duration(hours: number | undefined): string {
  if (hours === undefined) return '–';
  return hours < 48 ? `${hours} h` : `${Math.round((hours / 24) * 10) / 10} d`;
}

function stat(s: DurationStat): string {
  if (s.count === 0) return 'none this week';
  return `median ${duration(s.medianHours)}, p90 ${duration(s.p90Hours)} (${s.count})`;
}

function pebbleLine(p: DigestPebble): string {
  return `${shortId(p.number)} ${clip(p.title, TITLE_MAX)}`;
}

function more(shown: number, total: number): string {
  return total > shown ? `\n…and ${total - shown} more` : '';
}

function improvementLine(i: DigestImprovement): string {
  return `${improvementShortId(i.number)} ${clip(i.title, TITLE_MAX)}`;
}

function youSaid(m: DigestMetrics): string {
  const s = m.youSaid;
  const lines = [
    `*You said* · ${n(s.total, 'pebble')} reported (${trend(s.total, s.previous)} vs ${s.previous})`,
  ];
  const stages = s.byStage.filter((b) => b.count > 0 || b.previous > 0);
  if (stages.length)
    lines.push(
      `By stage: ${stages.map((b) => `${b.name} ${b.count} (${trend(b.count, b.previous)})`).join(' · ')}`,
    );
  lines.push(
    `By stakeholder: ${s.byStakeholder
      .map((b) => `${STAKEHOLDER_LABELS[b.stakeholder]} ${b.count} (${trend(b.count, b.previous)})`)
      .join(' · ')}`,
  );
  if (s.mostSupported.length)
    lines.push(
      `Most supported: ${s.mostSupported
        .map((p) => `${pebbleLine(p)} (+${p.supporterCount ?? 0})`)
        .join(' · ')}`,
    );
  return lines.join('\n');
}

function teamSport(m: DigestMetrics): string {
  const t = m.teamSport;
  const anon = t.anonymousReporters ? ` (${t.anonymousReporters} anonymously)` : '';
  const voters = `${t.votersLowerBound ? 'at least ' : ''}${t.voters} voted`;
  const turnout =
    t.councilTurnout.whole > 0
      ? ` · council turnout ${pct(t.councilTurnout)} (${t.councilTurnout.part} of ${t.councilTurnout.whole} ballots)`
      : '';
  return [
    `*Team sport* · ${n(t.people, 'person', 'people')} from ${n(t.teams, 'team')} took part (${trend(t.people, t.previousPeople)} vs ${t.previousPeople})`,
    `${t.reporters} reported${anon} · ${t.supporters} added a +1 · ${voters}${turnout}`,
  ].join('\n');
}

function weDecided(m: DigestMetrics): string {
  const d = m.weDecided;
  const lines = [
    `*We decided* · ${d.approved} approved, ${d.declined} declined · report → decision ${stat(d.reportToDecision)}`,
  ];
  for (const v of d.votes) {
    const pebbles = v.pebbles.map(pebbleLine).join(', ');
    const outcome = OUTCOME_LABELS[v.outcome] ?? v.outcome;
    const by = v.by === 'sponsor' ? ' (by the sponsor)' : '';
    lines.push(`• V-${v.number} ${pebbles} → ${outcome}${by} · ${v.cast} of ${v.eligible} voted`);
  }
  return lines.join('\n') + more(d.votes.length, d.votesTotal);
}

function weDid(m: DigestMetrics): string {
  const d = m.weDid;
  const head = `*We did* · ${n(d.improvementsTotal, 'improvement')} shipped · ${n(d.pebblesResolved, 'pebble')} resolved`;
  const facts = [
    d.fixedIt.whole > 0
      ? `"fixed it" ${pct(d.fixedIt)} (${d.fixedIt.part} of ${d.fixedIt.whole})`
      : undefined,
    d.hoursPerWeekRecovered > 0 ? `≈${d.hoursPerWeekRecovered} h/week recovered` : undefined,
    d.decisionToDone.count ? `decision → done ${stat(d.decisionToDone)}` : undefined,
    d.loopClosed.whole > 0
      ? `loop closed with ${d.loopClosed.part} of ${d.loopClosed.whole} people`
      : undefined,
  ].filter(Boolean);
  const lines = [head];
  if (facts.length) lines.push(facts.join(' · '));
  for (const i of d.improvements) {
    const pebbles = i.pebbles.map((p) => shortId(p.number)).join(', ');
    const owner = i.owner ? ` — ${i.owner}` : '';
    const answers =
      i.fixedYes + i.fixedNo ? ` · fixed it ${i.fixedYes}/${i.fixedYes + i.fixedNo}` : '';
    lines.push(`• ${improvementLine(i)}${owner} (resolves ${pebbles})${answers}`);
  }
  return lines.join('\n') + more(d.improvements.length, d.improvementsTotal);
}

function wePromised(m: DigestMetrics): string {
  const p = m.wePromised;
  const lines = [
    `*We promised* · ${p.kept.whole ? `kept ${p.kept.part} of ${n(p.kept.whole, 'promise')} due (${pct(p.kept)}) · ${p.broken} broken` : 'no promise fell due'} · ${p.overdueTotal} overdue`,
  ];
  for (const i of p.overdue)
    lines.push(
      `• Overdue: ${improvementLine(i)} — ${i.owner ?? 'no owner'}, due ${i.promisedDate ?? '?'} (${i.daysOverdue ?? 0} days late)`,
    );
  if (p.overdueTotal > p.overdue.length)
    lines.push(`…and ${p.overdueTotal - p.overdue.length} more overdue`);
  for (const i of p.dueNext)
    lines.push(
      `• Due next week: ${improvementLine(i)} — ${i.owner ?? 'no owner'}, ${i.promisedDate ?? '?'}`,
    );
  if (p.dueNextTotal > p.dueNext.length)
    lines.push(`…and ${p.dueNextTotal - p.dueNext.length} more due next week`);
  return lines.join('\n');
}

function stageTrend(s: StageTrend): string {
  const after =
    s.afterPerWeek === undefined
      ? 'too early to tell'
      : `${s.afterPerWeek}/week after (${s.afterWeeks} weeks)`;
  return `• ${s.name}: ${s.beforePerWeek}/week before ${improvementShortId(s.improvement)} → ${after}`;
}

function cameBack(m: DigestMetrics): string {
  const c = m.cameBack;
  const lines = [
    c.total
      ? `*It came back* · ${n(c.total, 'fixed pebble')} (${trend(c.total, c.previous)} vs ${c.previous})`
      : `*It came back* · nothing we fixed came back (${c.previous} the week before)`,
  ];
  for (const item of c.items) {
    lines.push(
      item.how === 'reopened'
        ? `• ${shortId(item.number)} ${clip(item.title, TITLE_MAX)} reopened${item.improvement ? ` after ${improvementShortId(item.improvement)}` : ''}`
        : `• ${shortId(item.number)} ${clip(item.title, TITLE_MAX)} reported again (fixed as ${shortId(item.of)})`,
    );
  }
  if (c.total > c.items.length) lines.push(`…and ${c.total - c.items.length} more`);
  if (c.stages.length) {
    lines.push('Friction rate of improved stages:');
    for (const s of c.stages) lines.push(stageTrend(s));
  }
  return lines.join('\n');
}

function backlog(m: DigestMetrics): string {
  const b = m.backlog;
  const w = m.waits;
  return [
    `*Backlog* · ${n(b.open, 'open pebble')}: ${b.buckets.map((x) => `${x.count} ${x.label}`).join(' · ')}`,
    `Reporters waited for an acknowledgement ${stat(w.acknowledgement)}; a decision ${stat(w.decision)}; a fix ${stat(w.fix)}`,
  ].join('\n');
}

/** The chart's numbers as text: the fallback when the image cannot be shown. */
export function chartTable(history: DigestMetrics['history']): string {
  const head = `*Friction by journey stage, last ${history.periods.length} weeks* (${history.periods.map((p) => p.label).join(' · ')})`;
  if (history.series.length === 0) return `${head}\nNo pebble was reported in these weeks.`;
  return [head, ...history.series.map((s) => `${s.name}: ${s.counts.join(' · ')}`)].join('\n');
}

/**
 * The weekly digest as a platform-neutral message: "you said / we did / we promised / it came
 * back", team sport, backlog, and the chart (posted beside it, or as text when it cannot be).
 * Reporters are never named; owners of improvements are.
 */
export function digestView(
  digest: { metrics: DigestMetrics; narrative: string },
  options: { chart: ChartMode; preview?: boolean },
): MessageView {
  const m = digest.metrics;
  const label = periodLabel(m.period);
  const title = options.preview ? 'CX digest preview: this week so far' : 'Weekly CX digest';
  const blocks: BlockView[] = [
    { type: 'header', text: title },
    {
      type: 'context',
      text: options.preview
        ? `${label} · counted up to now · only you can see this preview`
        : `${label} · ${m.period.key}`,
    },
    section(digest.narrative),
    { type: 'divider' },
    section(youSaid(m)),
    section(teamSport(m)),
    section(weDecided(m)),
    section(weDid(m)),
    section(wePromised(m)),
    section(cameBack(m)),
    section(backlog(m)),
  ];
  if (options.chart === 'attached')
    blocks.push({
      type: 'context',
      text: `Chart: friction by journey stage over the last ${m.history.periods.length} weeks, posted with this digest.`,
    });
  else blocks.push(section(chartTable(m.history)));
  blocks.push({
    type: 'context',
    text: 'Anonymous reporters are counted, never named. Numbers are for the week shown, compared with the week before.',
  });
  return {
    text: `${title} (${label}): ${clip(digest.narrative, 200)}`,
    blocks,
  };
}

/** The DigestViews port, as core sees it. */
export const digestViews: DigestViews = { digest: digestView };

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
