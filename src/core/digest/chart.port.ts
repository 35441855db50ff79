import type { DigestMetrics } from './digest.model.js';

/** A rendered chart, ready for ChatGateway.uploadImage. */
export interface ChartImage {
  data: Buffer;
  filename: string;
  title: string;
  altText: string;
}

/**
 * Draws the digest's chart (friction by journey stage over the last periods) as a PNG. The
 * charting library lives outside core (src/digest/) behind this port.
 */
export interface DigestChartRenderer {
  frictionByStage(history: DigestMetrics['history'], title: string): Promise<ChartImage>;
}

/** The chart's title: what it shows, over the weeks it covers. */
export function chartTitle(history: DigestMetrics['history']): string {
  const first = history.periods[0]?.label;
  const last = history.periods.at(-1)?.label;
  return first && last
    ? `New pebbles per journey stage, weeks of ${first} to ${last}`
    : 'New pebbles per journey stage';
}

/**
 * The chart's alternative text: what it is and the same numbers in words, for screen readers
 * (and anyone who cannot tell its colours apart).
 */
export function chartAltText(history: DigestMetrics['history']): string {
  const weeks = history.periods.length;
  const current = history.periods.at(-1)?.label;
  if (history.series.length === 0)
    return `${chartTitle(history)}: no pebble was reported in the ${weeks} weeks shown.`;
  const lines = history.series.map((s) => `${s.name}: ${s.counts.join(', ')}`);
  const shipped = history.periods
    .map((p, i) => ({ label: p.label, count: history.shipped[i] ?? 0 }))
    .filter((p) => p.count > 0)
    .map((p) => `${p.label} (${p.count})`);
  const marks = shipped.length
    ? ` Improvements shipped in the weeks of ${shipped.join(', ')}.`
    : ' No improvement shipped in these weeks.';
  return `Stacked bar chart. ${chartTitle(history)}, oldest first; the last bar is this week${current ? ` (${current})` : ''}. Pebbles per week by stage: ${lines.join('; ')}.${marks}`.slice(
    0,
    1_000,
  );
}
