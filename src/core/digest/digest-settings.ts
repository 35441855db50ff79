import { z } from 'zod';

/** ISO weekday numbers (Monday 1 … Sunday 7) and the names admins type. */
export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * When and to whom the weekly digest goes. Read in the workspace time zone; every field has a
 * default so settings stored before the digest existed still parse.
 */
export const DigestSettingsSchema = z.object({
  /** Off: no scheduled digest (the preview still works). */
  enabled: z.boolean().default(true),
  /** ISO weekday of the send (1 = Monday). */
  day: z.number().int().min(1).max(7).default(1),
  /** Local time of the send, `HH:MM`. */
  time: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 09:00')
    .default('09:00'),
  /** Channel (or conversation) id the digest is posted to. */
  channel: z.string().min(1).max(255).optional(),
  /** Leaders who receive it by direct message. */
  leaders: z.array(z.string().min(1).max(255)).max(50).default([]),
});
export type DigestSettings = z.infer<typeof DigestSettingsSchema>;

/** The settings a workspace gets before an admin touches them. */
export function defaultDigestSettings(): DigestSettings {
  return DigestSettingsSchema.parse({});
}

/** Parses `monday`, `Mon`, `1`: the ISO weekday, or undefined. */
export function parseWeekday(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^[1-7]$/.test(t)) return Number(t);
  if (t.length < 2) return undefined;
  const index = WEEKDAYS.findIndex((d) => d.startsWith(t));
  return index === -1 ? undefined : index + 1;
}

export function weekdayName(day: number): string {
  const name = WEEKDAYS[day - 1] ?? 'monday';
  return name.charAt(0).toUpperCase() + name.slice(1);
}
