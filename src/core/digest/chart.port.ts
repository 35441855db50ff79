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

/** The chart's alternative text: the same numbers in words, for screen readers. */
export function chartAltText(history: DigestMetrics['history']): string {
  if (history.series.length === 0)
    return `No pebble was reported in the ${history.periods.length} weeks shown.`;
  const weeks = history.periods.map((p) => p.label).join(', ');
  const lines = history.series.map((s) => `${s.name}: ${s.counts.join(', ')}`);
  return `Pebbles reported per journey stage, weeks starting ${weeks}. ${lines.join('; ')}.`.slice(
    0,
    1_000,
  );
}
