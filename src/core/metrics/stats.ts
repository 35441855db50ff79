import type { DurationStat, Ratio } from '../digest/digest.model.js';

const HOUR_MS = 3_600_000;

/** Rounds to one decimal, the precision the digest shows. */
export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * The p-th percentile (0 < p <= 1) by nearest rank: the smallest value with at least p of the
 * values at or below it. The median of an even count is the mean of the two middle values.
 */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  if (p === 0.5 && sorted.length % 2 === 0) {
    const mid = sorted.length / 2;
    return (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1];
}

/** Median and p90 of durations given in milliseconds, as hours with one decimal. */
export function durationStat(millis: number[]): DurationStat {
  const sorted = millis.filter((m) => m >= 0).sort((a, b) => a - b);
  const median = percentile(sorted, 0.5);
  const p90 = percentile(sorted, 0.9);
  return {
    count: sorted.length,
    ...(median !== undefined ? { medianHours: round1(median / HOUR_MS) } : {}),
    ...(p90 !== undefined ? { p90Hours: round1(p90 / HOUR_MS) } : {}),
  };
}

/** part / whole, without a rate when the whole is zero. */
export function ratio(part: number, whole: number): Ratio {
  return { part, whole, ...(whole > 0 ? { rate: part / whole } : {}) };
}
