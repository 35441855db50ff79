import type { Store } from '../ports/store.port.js';
import type { DigestMetrics, DigestTheme, Period } from '../digest/digest.model.js';
import type { DigestThemeFinder } from '../digest/digest.service.js';
import type { Workspace } from '../workspaces/workspace.model.js';
import type { DigestNarrator, NarrativeContext } from '../digest/narrative.port.js';
import type { NarrativeFacts } from './ai.model.js';
import type { AiService } from './ai.service.js';
import { findThemes } from './themes.js';

const pct = (rate: number | undefined) => (rate === undefined ? undefined : Math.round(rate * 100));

/**
 * The facts a narrative may use: the digest's numbers with plain labels, stage names with
 * counts and theme names. No pebble title or description, so nothing an anonymous reporter
 * wrote reaches the prompt.
 */
export function narrativeFacts(
  m: DigestMetrics,
  preview: boolean,
  themes: { name: string; count: number }[] = [],
): NarrativeFacts {
  const numbers: Record<string, number | undefined> = {
    'pebbles reported': m.youSaid.total,
    'pebbles reported the week before': m.youSaid.previous,
    'people who took part': m.teamSport.people,
    'people who took part the week before': m.teamSport.previousPeople,
    'teams who took part': m.teamSport.teams,
    'people who reported': m.teamSport.reporters,
    'people who supported a pebble': m.teamSport.supporters,
    'council ballots cast': m.teamSport.ballots,
    'council turnout percent': pct(m.teamSport.councilTurnout.rate),
    'pebbles approved by the council': m.weDecided.approved,
    'pebbles declined by the council': m.weDecided.declined,
    'improvements shipped': m.weDid.improvementsTotal,
    'pebbles resolved': m.weDid.pebblesResolved,
    'hours a week recovered': m.weDid.hoursPerWeekRecovered,
    'people asked who said it fixed it': m.weDid.fixedIt.part,
    'people asked if it fixed it': m.weDid.fixedIt.whole,
    'promises kept': m.wePromised.kept.part,
    'promises due': m.wePromised.kept.whole,
    'promises kept percent': pct(m.wePromised.kept.rate),
    'promises broken': m.wePromised.broken,
    'improvements overdue': m.wePromised.overdueTotal,
    'improvements due next week': m.wePromised.dueNextTotal,
    'fixed pebbles that came back': m.cameBack.total,
    'fixed pebbles that came back the week before': m.cameBack.previous,
    'open pebbles': m.backlog.open,
  };
  return {
    preview,
    numbers: Object.fromEntries(
      Object.entries(numbers).filter((e): e is [string, number] => e[1] !== undefined),
    ),
    stages: m.youSaid.byStage
      .filter((s) => s.ref !== 'unassigned' && s.count > 0)
      .map((s) => ({ name: s.name, count: s.count })),
    themes,
  };
}

const NUMBER_WORDS: Record<string, number> = {
  zero: 0, none: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8,
  nine: 9, ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15,
  sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40,
  fifty: 50, hundred: 100, dozen: 12, half: 50, twice: 2, double: 2, triple: 3,
}; // prettier-ignore

/** Every number a text states, in digits or as a word ("seven", "a dozen"). */
export function numbersIn(text: string): number[] {
  const found: number[] = [];
  for (const m of text.matchAll(/\d+(?:[.,]\d+)*/g)) found.push(Number(m[0].replace(/,/g, '')));
  for (const m of text.toLowerCase().matchAll(/\p{L}+/gu)) {
    const n = NUMBER_WORDS[m[0]];
    if (n !== undefined) found.push(n);
  }
  return found;
}

/** Sentences of a narrative (ends of sentences followed by space or the end). */
export function sentenceCount(text: string): number {
  return text.split(/(?<=[.!?])\s+/).filter((s) => /\p{L}/u.test(s)).length;
}

/**
 * Why a narrative cannot be used, or undefined when it can: 4 to 6 sentences, and every number
 * it states is one of the facts' numbers (a model that invents or miscounts is not published).
 * "one" as a word is allowed, since English uses it for more than counting.
 */
export function checkNarrative(text: string, facts: NarrativeFacts): string | undefined {
  const sentences = sentenceCount(text);
  if (sentences < 4 || sentences > 6) return `${sentences} sentences`;
  const allowed = new Set<number>([
    ...Object.values(facts.numbers),
    ...facts.stages.map((s) => s.count),
    ...facts.themes.map((t) => t.count),
  ]);
  const words = new Set(text.toLowerCase().match(/\p{L}+/gu) ?? []);
  for (const n of numbersIn(text)) {
    if (allowed.has(n)) continue;
    if (n === 1 && words.has('one')) continue;
    return `the number ${n} is not in the digest`;
  }
  return undefined;
}

/** The themes of a digest's period: its pebbles grouped and named (none when AI is off). */
export async function periodThemes(
  ai: AiService,
  store: Store,
  workspace: Workspace,
  period: Pick<Period, 'start' | 'asOf'>,
): Promise<DigestTheme[]> {
  const week = await store.pebbles
    .list(
      workspace.id,
      { createdFrom: period.start, createdTo: period.asOf },
      { sort: { field: 'number', direction: 'asc' }, limit: 500 },
    )
    .catch(() => undefined);
  const themes = week ? await findThemes(ai, workspace, week.items) : [];
  return themes.map((t) => ({ name: t.name, count: t.pebbles.length }));
}

/** The digest's themes from AI (src/core/digest asks for them through DigestThemeFinder). */
export class AiThemeFinder implements DigestThemeFinder {
  constructor(
    private readonly ai: AiService,
    private readonly store: Store,
  ) {}

  themes(workspace: Workspace, period: Period): Promise<DigestTheme[]> {
    if (!this.ai.enabled(workspace)) return Promise.resolve([]);
    return periodThemes(this.ai, this.store, workspace, period);
  }
}

/**
 * The AI narrator: 4–6 sentences for leaders from the digest's numbers and theme names,
 * checked number by number. It rejects whenever AI is off, fails, or writes anything the
 * numbers do not support, and DigestService then uses the deterministic narrative.
 */
export class AiNarrator implements DigestNarrator {
  readonly name = 'ai';

  constructor(
    private readonly ai: AiService,
    private readonly store: Store,
  ) {}

  async narrate(metrics: DigestMetrics, context: NarrativeContext): Promise<string> {
    // Throwing hands the digest to the deterministic narrator, which is then what is recorded.
    const fallback = (): never => {
      throw new Error('no AI narrative');
    };
    const workspace = context.workspaceId
      ? await this.store.workspaces.get(context.workspaceId).catch(() => null)
      : null;
    if (!workspace || !this.ai.enabled(workspace)) return fallback();
    const themes =
      context.themes ?? (await periodThemes(this.ai, this.store, workspace, metrics.period));
    const facts = narrativeFacts(metrics, context.preview, themes);
    const text = (await this.ai.narrate(workspace, facts))?.trim();
    if (!text) return fallback();
    const problem = checkNarrative(text, facts);
    if (problem) {
      this.ai.fail({
        operation: 'narrate',
        workspaceId: workspace.id,
        reason: 'invalid',
        error: new Error(`narrative rejected: ${problem}`),
      });
      return fallback();
    }
    return text;
  }
}
