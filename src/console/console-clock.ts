import type { Clock } from '../core/shared/clock.port.js';

/**
 * The console's clock: the real time plus however far `advance` moved it, so deadlines,
 * nudges and digests come due in minutes instead of days, while time also passes normally.
 */
export class ConsoleClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  get offset(): number {
    return this.offsetMs;
  }
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `2d`, `3h`, `1w`, `90m` → milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,4})\s*(m|min|h|hours?|d|days?|w|weeks?)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = UNITS[match[2]!.toLowerCase()[0]!];
  return unit ? Number(match[1]) * unit : undefined;
}
