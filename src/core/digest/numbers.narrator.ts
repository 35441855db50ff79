import { improvementShortId } from '../improvements/improvement.model.js';
import { shortId } from '../pebbles/pebble.model.js';
import type { DigestMetrics } from './digest.model.js';
import type { DigestNarrator, NarrativeContext } from './narrative.port.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `up 8 from 34`, `down 3 from 10`, `the same as the week before`. */
export function change(now: number, before: number): string {
  if (now === before) return `the same as the week before`;
  return `${now > before ? 'up' : 'down'} ${Math.abs(now - before)} from ${before}`;
}

/** `a`, `a and b`, `a, b and 3 more`: at most `shown` names, then how many more. */
function list(names: string[], total: number, shown = 2): string {
  const named = names.slice(0, shown);
  const more = total - named.length;
  const parts = more > 0 ? [...named, `${more} more`] : named;
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

const quote = (title: string) =>
  `“${title.length > 60 ? `${title.slice(0, 59).trimEnd()}…` : title}”`;

/** Line 1: what people said most. */
function said(m: DigestMetrics, when: string): string {
  const s = m.youSaid;
  if (s.total === 0) return `${when} nobody reported a pebble (${s.previous} the week before).`;
  // byStage is in catalog order, so a tie goes to the earlier stage of the journey.
  const top = [...s.byStage]
    .filter((b) => b.ref !== 'unassigned' && b.count > 0)
    .sort((a, b) => b.count - a.count)[0];
  const where = top ? `, most about ${top.name} (${top.count})` : '';
  const loudest = s.mostSupported[0];
  const backed = loudest
    ? `; most backed: ${shortId(loudest.number)} ${quote(loudest.title)} (${plural(loudest.supporterCount ?? 0, 'person', 'people')} said “me too”)`
    : '';
  return `${when} people reported ${plural(s.total, 'pebble')}, ${change(s.total, s.previous)}${where}${backed}.`;
}

/** Line 2: what shipped. */
function shipped(m: DigestMetrics): string {
  const d = m.weDid;
  if (d.improvementsTotal === 0) {
    const next = m.wePromised.dueNextTotal;
    return next
      ? `Nothing shipped; ${plural(next, 'improvement')} ${next === 1 ? 'is' : 'are'} due next week.`
      : 'Nothing shipped.';
  }
  const names = d.improvements.map((i) => `${improvementShortId(i.number)} ${quote(i.title)}`);
  const hours = d.hoursPerWeekRecovered
    ? `, giving back about ${d.hoursPerWeekRecovered} hours a week`
    : '';
  return `We shipped ${list(names, d.improvementsTotal)}, resolving ${plural(d.pebblesResolved, 'pebble')}${hours}.`;
}

/** Line 3: which promises were kept or broken, and what came back. */
function keptAndBack(m: DigestMetrics): string {
  const p = m.wePromised;
  let promises: string;
  if (p.kept.whole > 0) {
    const late = p.overdue.map(
      (i) => `${improvementShortId(i.number)} is ${plural(i.daysOverdue ?? 0, 'day')} late`,
    );
    const lateText = p.overdueTotal ? ` (${list(late, p.overdueTotal, 1)})` : '';
    promises = `Promises: ${p.kept.part} of ${p.kept.whole} kept, ${p.broken} broken${lateText}.`;
  } else if (p.overdueTotal > 0) {
    promises = `Promises: none fell due, but ${plural(p.overdueTotal, 'improvement')} ${p.overdueTotal === 1 ? 'is' : 'are'} late.`;
  } else {
    promises = 'Promises: none fell due.';
  }
  const c = m.cameBack;
  const back = c.total
    ? `Came back: ${list(
        c.items.map((i) => `${shortId(i.number)} ${quote(i.title)}`),
        c.total,
        1,
      )}.`
    : 'Nothing we fixed came back.';
  return `${promises} ${back}`;
}

/**
 * The deterministic narrative: the week in three lines a leader reads in seconds — what people
 * said most, what shipped, which promises were kept or broken and what came back. Built from
 * the numbers only: same numbers, same words.
 */
export function narrateNumbers(m: DigestMetrics, context: NarrativeContext): string {
  const when = context.preview ? 'So far this week' : 'This week';
  const quiet =
    m.youSaid.total === 0 &&
    m.weDid.improvementsTotal === 0 &&
    m.wePromised.kept.whole === 0 &&
    m.wePromised.overdueTotal === 0 &&
    m.cameBack.total === 0;
  if (quiet) {
    const open = m.backlog.open
      ? ` ${plural(m.backlog.open, 'pebble')} ${m.backlog.open === 1 ? 'is' : 'are'} still open.`
      : '';
    return `${when} was quiet: no pebble was reported, nothing shipped, no promise fell due and nothing came back.${open}`;
  }
  return [said(m, when), shipped(m), keptAndBack(m)].join('\n');
}

/** The deterministic narrator: no AI, no network, always available. */
export class NumbersNarrator implements DigestNarrator {
  readonly name = 'numbers';
  narrate(metrics: DigestMetrics, context: NarrativeContext): Promise<string> {
    return Promise.resolve(narrateNumbers(metrics, context));
  }
}
