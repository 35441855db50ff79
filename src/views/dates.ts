import { DateTime } from 'luxon';
import { date } from './tokens.js';

/**
 * Dates as views show them: a date token (each reader sees it in their own time zone where the
 * platform can), with a readable fallback in the workspace's zone for everywhere else.
 */

/** A calendar day (`2026-12-15`, a promised date): "Tue 15 Dec 2026". */
export function dayText(ymd: string): string {
  const day = DateTime.fromISO(ymd, { zone: 'UTC' });
  if (!day.isValid) return ymd;
  // Noon UTC is the same calendar day from UTC-11 to UTC+11, wherever the reader is.
  return date(day.set({ hour: 12 }).toJSDate(), day.toFormat('ccc d LLL yyyy'), 'date');
}

/** The day of a moment (a report, a check-in), as the workspace's calendar has it. */
export function dayOf(at: Date, timezone: string): string {
  const local = DateTime.fromJSDate(at, { zone: timezone });
  const shown = local.isValid ? local : DateTime.fromJSDate(at, { zone: 'UTC' });
  return date(at, shown.toFormat('ccc d LLL yyyy'), 'date');
}

/** A moment with its time (a vote's deadline): "Wed 7 Jan, 10:00 (Europe/Paris)" as fallback. */
export function momentText(at: Date, timezone: string): string {
  const local = DateTime.fromJSDate(at, { zone: timezone });
  const shown = local.isValid ? local : DateTime.fromJSDate(at, { zone: 'UTC' });
  return date(at, `${shown.toFormat('ccc d LLL, HH:mm')} (${shown.zoneName})`, 'datetime');
}
