import { DateTime, IANAZone } from 'luxon';
import type { Period } from './digest.model.js';
import type { DigestSettings } from './digest-settings.js';

/** A valid IANA zone, else UTC. */
export function zoneOf(timezone: string | undefined): string {
  return timezone && IANAZone.isValidZone(timezone) ? timezone : 'UTC';
}

function local(at: Date, zone: string): DateTime {
  return DateTime.fromJSDate(at, { zone });
}

/**
 * The latest scheduled send at or before `at`: the settings' weekday and time in the zone.
 * Weeks are counted in local time, so a period that spans a DST change lasts 167 or 169 hours.
 */
export function lastBoundary(
  at: Date,
  schedule: Pick<DigestSettings, 'day' | 'time'>,
  zone: string,
) {
  const [hour = 9, minute = 0] = schedule.time.split(':').map(Number);
  const now = local(at, zone);
  let boundary = now.set({ weekday: schedule.day as 1, hour, minute, second: 0, millisecond: 0 });
  if (boundary > now) boundary = boundary.minus({ weeks: 1 });
  return boundary;
}

function periodFrom(start: DateTime, asOf: Date | undefined, zone: string): Period {
  const end = start.plus({ weeks: 1 });
  const endDate = end.toJSDate();
  return {
    key: periodKey(start),
    start: start.toJSDate(),
    end: endDate,
    asOf: asOf && asOf < endDate ? asOf : endDate,
    timezone: zone,
    startDate: start.toISODate() ?? '',
    endDate: end.toISODate() ?? '',
  };
}

/** `2026-W10`: the ISO week of a period's local start. */
export function periodKey(start: DateTime): string {
  return `${start.weekYear}-W${String(start.weekNumber).padStart(2, '0')}`;
}

/** The last complete period at `at`: the one a digest sent at the latest boundary covers. */
export function completedPeriod(at: Date, schedule: DigestSettings, timezone: string): Period {
  const zone = zoneOf(timezone);
  const boundary = lastBoundary(at, schedule, zone);
  return periodFrom(boundary.minus({ weeks: 1 }), undefined, zone);
}

/** The period running at `at` (for a preview), counted up to `at`. */
export function runningPeriod(at: Date, schedule: DigestSettings, timezone: string): Period {
  const zone = zoneOf(timezone);
  return periodFrom(lastBoundary(at, schedule, zone), at, zone);
}

/** The period `weeks` before the given one (local weeks), complete. */
export function shiftPeriod(period: Period, weeks: number): Period {
  const start = local(period.start, period.timezone).plus({ weeks });
  return periodFrom(start, undefined, period.timezone);
}

/** `2 Mar`: a short label of a period's first day. */
export function shortLabel(period: Pick<Period, 'start' | 'timezone'>): string {
  return local(period.start, period.timezone).toFormat('d LLL');
}

/** `Mon 2 Mar – Mon 9 Mar 2026, 09:00 Europe/Berlin`. */
export function periodLabel(period: Period): string {
  const start = local(period.start, period.timezone);
  const end = local(period.end, period.timezone);
  const sameYear = start.year === end.year;
  return `${start.toFormat(sameYear ? 'ccc d LLL' : 'ccc d LLL yyyy')} – ${end.toFormat('ccc d LLL yyyy')}, ${start.toFormat('HH:mm')} ${period.timezone}`;
}

/** The calendar date of an instant in a zone. */
export function dateIn(at: Date, zone: string): string {
  return local(at, zone).toISODate() ?? at.toISOString().slice(0, 10);
}

/** Adds days to a calendar date. */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate() ?? date;
}

/** Whole days from one calendar date to another. */
export function daysFrom(from: string, to: string): number {
  const a = DateTime.fromISO(from, { zone: 'UTC' });
  const b = DateTime.fromISO(to, { zone: 'UTC' });
  return Math.round(b.diff(a, 'days').days);
}
