import { describe, expect, it } from 'vitest';
import { parseWeekday, DigestSettingsSchema } from '../../../src/core/digest/digest-settings.js';
import {
  completedPeriod,
  periodLabel,
  runningPeriod,
  shiftPeriod,
} from '../../../src/core/digest/period.js';
import { durationStat, percentile, ratio } from '../../../src/core/metrics/stats.js';

const schedule = DigestSettingsSchema.parse({});
const d = (iso: string) => new Date(iso);
const HOUR = 3_600_000;

describe('digest periods', () => {
  it('ends the week at Monday 09:00 in the workspace time zone by default', () => {
    const p = completedPeriod(d('2026-03-09T08:00:00Z'), schedule, 'Europe/Berlin');
    expect(p).toMatchObject({
      key: '2026-W10',
      start: d('2026-03-02T08:00:00Z'),
      end: d('2026-03-09T08:00:00Z'),
      startDate: '2026-03-02',
      endDate: '2026-03-09',
    });
    expect(p.asOf).toEqual(p.end);
  });

  it('keeps the week before until the boundary instant itself', () => {
    const before = completedPeriod(d('2026-03-09T07:59:59.999Z'), schedule, 'Europe/Berlin');
    expect(before.key).toBe('2026-W09');
    expect(before.end).toEqual(d('2026-03-02T08:00:00Z'));
  });

  it('spans 167 hours when clocks go forward and 169 when they go back', () => {
    const spring = completedPeriod(d('2026-03-30T07:00:00Z'), schedule, 'Europe/Berlin');
    expect(spring.end.getTime() - spring.start.getTime()).toBe(167 * HOUR);
    const autumn = completedPeriod(d('2026-11-02T14:00:00Z'), schedule, 'America/New_York');
    expect(autumn.end.getTime() - autumn.start.getTime()).toBe(169 * HOUR);
    expect(autumn.start).toEqual(d('2026-10-26T13:00:00Z'));
  });

  it('follows a custom day and time, and an invalid zone falls back to UTC', () => {
    const friday = DigestSettingsSchema.parse({ day: 5, time: '17:30' });
    const p = completedPeriod(d('2026-03-13T17:30:00Z'), friday, 'Not/AZone');
    expect(p.timezone).toBe('UTC');
    expect(p.start).toEqual(d('2026-03-06T17:30:00Z'));
    expect(p.end).toEqual(d('2026-03-13T17:30:00Z'));
  });

  it('previews the running week up to now', () => {
    const p = runningPeriod(d('2026-03-11T12:00:00Z'), schedule, 'Europe/Berlin');
    expect(p.start).toEqual(d('2026-03-09T08:00:00Z'));
    expect(p.end).toEqual(d('2026-03-16T08:00:00Z'));
    expect(p.asOf).toEqual(d('2026-03-11T12:00:00Z'));
  });

  it('gives each week its own ISO-week key, across the new year', () => {
    // 2026 has 53 ISO weeks; the week of Mon 28 Dec 2026 is its last.
    const p = completedPeriod(d('2027-01-04T09:00:00Z'), schedule, 'UTC');
    expect(p.key).toBe('2026-W53');
    expect(shiftPeriod(p, 1).key).toBe('2027-W01');
    expect(shiftPeriod(p, -52).key).toBe('2026-W01');
    expect(shiftPeriod(p, -53).key).toBe('2025-W52');
  });

  it('labels a period for people', () => {
    const p = completedPeriod(d('2026-03-09T08:00:00Z'), schedule, 'Europe/Berlin');
    expect(periodLabel(p)).toBe('Mon 2 Mar – Mon 9 Mar 2026, 09:00 Europe/Berlin');
  });

  it('parses weekdays as admins type them', () => {
    expect(parseWeekday('monday')).toBe(1);
    expect(parseWeekday('Fri')).toBe(5);
    expect(parseWeekday('7')).toBe(7);
    expect(parseWeekday('m')).toBeUndefined();
    expect(parseWeekday('someday')).toBeUndefined();
  });
});

describe('digest statistics', () => {
  it('takes the median as the middle value, or the mean of the two middle ones', () => {
    expect(percentile([1, 2, 3], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 10], 0.5)).toBe(2.5);
    expect(percentile([], 0.5)).toBeUndefined();
  });

  it('takes p90 by nearest rank', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(ten, 0.9)).toBe(9);
    expect(percentile([...ten, 11], 0.9)).toBe(10);
    expect(percentile([5], 0.9)).toBe(5);
  });

  it('reports durations in hours with one decimal, ignoring negative ones', () => {
    expect(durationStat([HOUR, 2 * HOUR, 90 * 60_000, -1])).toEqual({
      count: 3,
      medianHours: 1.5,
      p90Hours: 2,
    });
    expect(durationStat([])).toEqual({ count: 0 });
  });

  it('gives no rate for an empty whole', () => {
    expect(ratio(0, 0)).toEqual({ part: 0, whole: 0 });
    expect(ratio(1, 4)).toEqual({ part: 1, whole: 4, rate: 0.25 });
  });
});
