import { DateTime, IANAZone } from 'luxon';
import type { NudgeSettings, WorkspaceSettings } from '../workspaces/workspace.model.js';
import { improvementShortId, isActiveImprovement, type Improvement } from './improvement.model.js';

/** Escalation levels stop here: the sponsor hears about one improvement at most this often. */
export const MAX_ESCALATION_LEVEL = 3;

/** Zones already checked: luxon builds an Intl formatter for each check, which adds up. */
const zoneValidity = new Map<string, boolean>();

function isValidZone(zone: string): boolean {
  let valid = zoneValidity.get(zone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(zone);
    if (zoneValidity.size < 1_000) zoneValidity.set(zone, valid);
  }
  return valid;
}

/** A valid IANA zone: the given one, else the fallback, else UTC. */
export function zoneOr(zone: string | undefined, fallback?: string): string {
  if (zone && isValidZone(zone)) return zone;
  if (fallback && isValidZone(fallback)) return fallback;
  return 'UTC';
}

/** The calendar date (`2026-03-09`) of an instant in a time zone. */
export function localDate(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toISODate() ?? at.toISOString().slice(0, 10);
}

/** Whole calendar days from one date to another (`to - from`); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  const a = DateTime.fromISO(from, { zone: 'UTC' });
  const b = DateTime.fromISO(to, { zone: 'UTC' });
  return Math.round(b.diff(a, 'days').days);
}

function minutesOf(clock: string): number {
  const [h = '0', m = '0'] = clock.split(':');
  return Number(h) * 60 + Number(m);
}

/** Quiet hours may wrap midnight (19:00–08:00); equal bounds mean none. */
export function isQuietTime(
  local: DateTime,
  nudges: Pick<NudgeSettings, 'quietStart' | 'quietEnd'>,
) {
  const now = local.hour * 60 + local.minute;
  const start = minutesOf(nudges.quietStart);
  const end = minutesOf(nudges.quietEnd);
  if (start === end) return false;
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** Why the local time does not allow a message now, if it does not. */
export function blockedNow(
  now: Date,
  zone: string,
  nudges: NudgeSettings,
): 'weekend' | 'quiet-hours' | undefined {
  const local = DateTime.fromJSDate(now, { zone });
  if (nudges.skipWeekends && local.weekday >= 6) return 'weekend';
  if (isQuietTime(local, nudges)) return 'quiet-hours';
  return undefined;
}

/** Why an improvement is in today's nudge. */
export type NudgeReason = 'overdue' | 'due-soon' | 'check-in' | 'awaiting-answer';

export interface NudgeItem {
  improvement: Improvement;
  reason: NudgeReason;
  /** Days until the promised (or asked) date; negative when overdue. */
  daysLeft?: number;
}

/** One owner's nudge of the day, combining every improvement of theirs that needs one. */
export interface OwnerNudge {
  workspaceId: string;
  ownerId: string;
  timezone: string;
  /** The owner's local date: at most one nudge per owner and date (the idempotency key). */
  localDate: string;
  items: NudgeItem[];
  key: string;
}

export interface NudgePlan {
  nudges: OwnerNudge[];
  /** Owners with something due who are in quiet hours or their weekend now. */
  deferred: number;
}

function latest(...dates: (Date | undefined)[]): Date | undefined {
  let best: Date | undefined;
  for (const d of dates) if (d && (!best || d > best)) best = d;
  return best;
}

/** Whether (and why) an improvement needs its owner nudged on `today`, the owner's date. */
export function nudgeReason(
  improvement: Improvement,
  now: Date,
  zone: string,
  today: string,
  nudges: NudgeSettings,
): { reason: NudgeReason; daysLeft?: number } | undefined {
  if (!isActiveImprovement(improvement.status) || !improvement.ownerId) return undefined;
  if (improvement.snoozedUntil && improvement.snoozedUntil > now) return undefined;
  if (improvement.lastNudgedOn === today) return undefined;
  // An owner who updated the status today has said what there is to say.
  if (improvement.lastCheckInAt && localDate(improvement.lastCheckInAt, zone) === today)
    return undefined;
  const pending = improvement.ownerPending;
  const date = pending ? improvement.proposedDate : improvement.promisedDate;
  const daysLeft = date ? daysBetween(today, date) : undefined;
  const withDays = daysLeft !== undefined ? { daysLeft } : {};
  if (daysLeft !== undefined && daysLeft < 0)
    return { reason: pending ? 'awaiting-answer' : 'overdue', ...withDays };
  if (daysLeft !== undefined && daysLeft <= nudges.dailyFromDaysBefore)
    return { reason: pending ? 'awaiting-answer' : 'due-soon', ...withDays };
  const touched = latest(
    improvement.lastNudgedAt,
    improvement.lastCheckInAt,
    improvement.promise?.madeAt,
    improvement.assignedAt,
  );
  if (touched && daysBetween(localDate(touched, zone), today) < nudges.checkInEveryDays)
    return undefined;
  return { reason: pending ? 'awaiting-answer' : 'check-in', ...withDays };
}

const REASON_ORDER: Record<NudgeReason, number> = {
  overdue: 0,
  'due-soon': 1,
  'awaiting-answer': 2,
  'check-in': 3,
};

/**
 * Today's nudges of one workspace: at most one per owner and local date, combining all their
 * improvements that need one, never in the owner's quiet hours or weekend. Pure: the same
 * inputs give the same plan, so a retried tick or a second replica plans the same keys.
 */
export function planNudges(
  now: Date,
  workspace: { id: string; settings: WorkspaceSettings },
  improvements: Improvement[],
): NudgePlan {
  const byOwner = new Map<string, Improvement[]>();
  for (const improvement of improvements) {
    if (!improvement.ownerId || !isActiveImprovement(improvement.status)) continue;
    const list = byOwner.get(improvement.ownerId) ?? [];
    list.push(improvement);
    byOwner.set(improvement.ownerId, list);
  }
  const { nudges: settings, timezone } = workspace.settings;
  const plan: NudgePlan = { nudges: [], deferred: 0 };
  for (const [ownerId, owned] of byOwner) {
    const zone = zoneOr(owned.find((i) => i.ownerTimezone)?.ownerTimezone, timezone);
    const today = localDate(now, zone);
    const items: NudgeItem[] = [];
    for (const improvement of owned) {
      const why = nudgeReason(improvement, now, zone, today, settings);
      if (why) items.push({ improvement, ...why });
    }
    if (items.length === 0) continue;
    if (blockedNow(now, zone, settings)) {
      plan.deferred++;
      continue;
    }
    items.sort(
      (a, b) =>
        REASON_ORDER[a.reason] - REASON_ORDER[b.reason] ||
        (a.daysLeft ?? Infinity) - (b.daysLeft ?? Infinity) ||
        a.improvement.number - b.improvement.number,
    );
    plan.nudges.push({
      workspaceId: workspace.id,
      ownerId,
      timezone: zone,
      localDate: today,
      items,
      key: `nudge:${workspace.id}:${ownerId}:${today}`,
    });
  }
  plan.nudges.sort((a, b) => a.ownerId.localeCompare(b.ownerId));
  return plan;
}

/** A level reached by an improvement that the sponsor has not heard about yet. */
export interface Escalation {
  improvement: Improvement;
  sponsorId: string;
  level: number;
  overdueDays: number;
  blockedDays: number;
  key: string;
}

/** Days overdue and days blocked of an improvement, counted in its owner's time zone. */
export function lateness(
  improvement: Improvement,
  now: Date,
  fallbackZone: string,
): { overdueDays: number; blockedDays: number } {
  const zone = zoneOr(improvement.ownerTimezone, fallbackZone);
  const today = localDate(now, zone);
  const overdueDays =
    improvement.promisedDate && !improvement.ownerPending
      ? Math.max(0, daysBetween(improvement.promisedDate, today))
      : 0;
  const blockedDays =
    improvement.status === 'blocked' && improvement.blockedSince
      ? Math.max(0, daysBetween(localDate(improvement.blockedSince, zone), today))
      : 0;
  return { overdueDays, blockedDays };
}

/**
 * Escalations due to the executive sponsor: overdue or blocked for N days is level 1, 2N days
 * level 2, … (up to MAX_ESCALATION_LEVEL), each level once per promise. Sent in the sponsor's
 * working hours (the workspace's time zone); none without a sponsor.
 */
export function planEscalations(
  now: Date,
  workspace: { id: string; settings: WorkspaceSettings },
  improvements: Improvement[],
): { escalations: Escalation[]; deferred: boolean } {
  const { sponsor, nudges, timezone } = workspace.settings;
  if (!sponsor) return { escalations: [], deferred: false };
  const escalations: Escalation[] = [];
  for (const improvement of improvements) {
    if (!isActiveImprovement(improvement.status) || !improvement.ownerId) continue;
    const { overdueDays, blockedDays } = lateness(improvement, now, timezone);
    const level = Math.min(
      MAX_ESCALATION_LEVEL,
      Math.floor(Math.max(overdueDays, blockedDays) / nudges.escalateAfterDays),
    );
    if (level <= improvement.escalationLevel) continue;
    // A new promise (a moved date) or a new owner starts a new cycle of levels.
    const cycle = (
      improvement.promise?.madeAt ??
      improvement.assignedAt ??
      improvement.createdAt
    ).getTime();
    escalations.push({
      improvement,
      sponsorId: sponsor,
      level,
      overdueDays,
      blockedDays,
      key: `escalate:${workspace.id}:${improvementShortId(improvement.number)}:${cycle}:${level}`,
    });
  }
  if (escalations.length && blockedNow(now, zoneOr(timezone), nudges))
    return { escalations: [], deferred: true };
  return { escalations, deferred: false };
}
