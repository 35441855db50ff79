import type { DigestMetrics, Ratio } from './digest.model.js';
import type { DigestNarrator, NarrativeContext } from './narrative.port.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const percent = (r: Ratio) => (r.rate === undefined ? '' : `${Math.round(r.rate * 100)}%`);

/** `up 8 from 34`, `down 3 from 10`, `the same as`. */
export function change(now: number, before: number): string {
  if (now === before) return `the same as the week before`;
  return `${now > before ? 'up' : 'down'} ${Math.abs(now - before)} from ${before}`;
}

/**
 * The deterministic narrative: four short sentences built from the numbers only, in the
 * digest's order (you said, we did, we promised, it came back). Same numbers, same words.
 */
export function narrateNumbers(m: DigestMetrics, context: NarrativeContext): string {
  const when = context.preview ? 'So far this week' : 'This week';
  const said = m.youSaid;
  const did = m.weDid;
  const promised = m.wePromised;
  const back = m.cameBack;
  const quiet =
    said.total === 0 &&
    did.improvementsTotal === 0 &&
    promised.kept.whole === 0 &&
    back.total === 0 &&
    m.weDecided.approved + m.weDecided.declined === 0;
  if (quiet) {
    const open = m.backlog.open
      ? ` ${plural(m.backlog.open, 'pebble')} ${m.backlog.open === 1 ? 'is' : 'are'} still open.`
      : '';
    return `${when} was quiet: no pebble was reported, nothing shipped and no promise fell due.${open}`;
  }

  const sentences: string[] = [];
  const team = m.teamSport;
  const tookPart = `${plural(team.people, 'person', 'people')} from ${plural(team.teams, 'team')} took part`;
  if (said.total === 0) {
    sentences.push(
      `${when} no pebble was reported (${said.previous} the week before); ${tookPart}.`,
    );
  } else {
    // byStage is in catalog order, so a tie goes to the earlier stage of the journey.
    const top = [...said.byStage]
      .filter((s) => s.ref !== 'unassigned' && s.count > 0)
      .sort((a, b) => b.count - a.count)[0];
    const where = top ? `, most in ${top.name} (${top.count})` : '';
    const who = said.byStakeholder
      .filter((s) => s.count > 0)
      .map((s) => `${s.count} ${s.stakeholder}`)
      .join(', ');
    sentences.push(
      `${when} ${plural(said.total, 'pebble')} ${said.total === 1 ? 'was' : 'were'} reported, ${change(said.total, said.previous)}${where}: ${who}. ${tookPart[0]!.toUpperCase()}${tookPart.slice(1)}.`,
    );
  }

  if (did.improvementsTotal > 0) {
    const hours = did.hoursPerWeekRecovered
      ? `, recovering about ${did.hoursPerWeekRecovered} hours a week`
      : '';
    const fixed =
      did.fixedIt.whole > 0
        ? `; ${did.fixedIt.part} of ${did.fixedIt.whole} people asked said it fixed it for them`
        : '';
    sentences.push(
      `We shipped ${plural(did.improvementsTotal, 'improvement')} resolving ${plural(did.pebblesResolved, 'pebble')}${hours}${fixed}.`,
    );
  } else {
    sentences.push('No improvement shipped.');
  }

  if (promised.kept.whole > 0 || promised.overdueTotal > 0) {
    const kept =
      promised.kept.whole > 0
        ? `${promised.kept.part} of ${plural(promised.kept.whole, 'promise')} due ${promised.kept.whole === 1 ? 'was' : 'were'} kept (${percent(promised.kept)})`
        : 'No promise fell due';
    const overdue = promised.overdueTotal
      ? ` and ${plural(promised.overdueTotal, 'improvement')} ${promised.overdueTotal === 1 ? 'is' : 'are'} overdue`
      : '';
    sentences.push(`${kept}${overdue}.`);
  } else if (promised.dueNextTotal > 0) {
    sentences.push(
      `No promise fell due; ${plural(promised.dueNextTotal, 'improvement')} ${promised.dueNextTotal === 1 ? 'is' : 'are'} due next week.`,
    );
  }

  sentences.push(
    back.total > 0
      ? `${plural(back.total, 'fixed pebble')} came back (${back.previous} the week before).`
      : 'Nothing we fixed came back.',
  );
  return sentences.join(' ');
}

/** The deterministic narrator: no AI, no network, always available. */
export class NumbersNarrator implements DigestNarrator {
  readonly name = 'numbers';
  narrate(metrics: DigestMetrics, context: NarrativeContext): Promise<string> {
    return Promise.resolve(narrateNumbers(metrics, context));
  }
}
