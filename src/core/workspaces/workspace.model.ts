import { z } from 'zod';
import { CouncilSettingsSchema } from '../council/council.model.js';
import { HistoryEntrySchema } from '../shared/actor.js';
import { DigestSettingsSchema } from '../digest/digest-settings.js';
import { typedText } from '../shared/text.js';

export const PlatformSchema = z.enum(['slack', 'teams', 'console']);
export type Platform = z.infer<typeof PlatformSchema>;

export const StageSchema = z.object({
  key: z.string().min(1).max(64),
  name: typedText(z.string().trim().min(1).max(75)),
  /**
   * A retired stage stays in the catalog so pebbles placed there keep a readable label and
   * their history; it is no longer offered for new pebbles.
   */
  retired: z.boolean().optional(),
});
export type Stage = z.infer<typeof StageSchema>;

export const JourneySchema = z.object({
  key: z.string().min(1).max(64),
  name: typedText(z.string().trim().min(1).max(75)),
  stages: z.array(StageSchema).min(1).max(25),
});
export type Journey = z.infer<typeof JourneySchema>;

/** The default journeys catalog: one customer journey with the stages every business shares. */
export const DEFAULT_JOURNEYS: Journey[] = [
  {
    key: 'customer',
    name: 'Customer journey',
    stages: [
      { key: 'discover', name: 'Discover' },
      { key: 'buy', name: 'Buy' },
      { key: 'onboard', name: 'Onboard' },
      { key: 'use', name: 'Use' },
      { key: 'get-help', name: 'Get help' },
      { key: 'renew-or-leave', name: 'Renew or leave' },
    ],
  },
];

const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 19:00');

/**
 * How owners of journey improvements are nudged (in each owner's time zone) and when an
 * improvement escalates to the executive sponsor.
 */
export const NudgeSettingsSchema = z.object({
  /** Days between check-in nudges while the promised date is still far (weekly by default). */
  checkInEveryDays: z.number().int().min(1).max(30).default(7),
  /** Nudge every day from this many days before the promised date, and every day once overdue. */
  dailyFromDaysBefore: z.number().int().min(0).max(30).default(3),
  /** Quiet hours in the owner's time zone: no nudge from `quietStart` until `quietEnd`. */
  quietStart: ClockTime.default('19:00'),
  quietEnd: ClockTime.default('08:00'),
  /** No nudge on Saturday or Sunday in the owner's time zone. */
  skipWeekends: z.boolean().default(true),
  /** Overdue or blocked this many days escalates to the sponsor; each further multiple, again. */
  escalateAfterDays: z.number().int().min(1).max(90).default(3),
});
export type NudgeSettings = z.infer<typeof NudgeSettingsSchema>;

/**
 * Workspace settings. Every field has a default so documents written by an older version
 * still parse when a new setting is introduced.
 */
export const WorkspaceSettingsSchema = z.object({
  timezone: z.string().default('UTC'),
  journeys: z.array(JourneySchema).min(1).default(DEFAULT_JOURNEYS),
  triageChannel: z.string().optional(),
  reactionEmoji: typedText(z.string().min(1).max(100)).default('rock'),
  admins: z.array(z.string()).default([]),
  aiEnabled: z.boolean().default(true),
  /** The executive sponsor (a user id): overdue and blocked improvements escalate to them. */
  sponsor: z.string().optional(),
  nudges: NudgeSettingsSchema.prefault({}),
  /** The weekly digest: when (workspace time zone) and to whom. */
  digest: DigestSettingsSchema.prefault({}),
  /** The CX council: members, channel, voting rules, WIP limit (see core/council). */
  council: CouncilSettingsSchema.prefault({}),
  /** Days a resolved, declined or duplicate pebble keeps its text (unset: for ever). */
  retentionDays: z.number().int().min(30).max(3_650).optional(),
});
export type WorkspaceSettings = z.infer<typeof WorkspaceSettingsSchema>;

export const WorkspaceSchema = z.object({
  id: z.string().min(1),
  platform: PlatformSchema,
  externalId: z.string().min(1),
  name: z.string().optional(),
  settings: WorkspaceSettingsSchema,
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
  history: z.array(HistoryEntrySchema).default([]),
  /**
   * Set while the app is uninstalled from the workspace: its data is kept, nothing is sent
   * there and no job runs for it until it is installed again.
   */
  inactiveSince: z.coerce.date().optional(),
});
export type Workspace = z.infer<typeof WorkspaceSchema>;

export function workspaceId(platform: Platform, externalId: string): string {
  return `${platform}:${externalId}`;
}

export function defaultSettings(): WorkspaceSettings {
  return WorkspaceSettingsSchema.parse({});
}

/** All stages of the catalog, as `journey/stage` keys with readable names. */
export function catalogStages(
  settings: WorkspaceSettings,
): { journey: Journey; stage: Stage; ref: string }[] {
  return settings.journeys.flatMap((journey) =>
    journey.stages.map((stage) => ({ journey, stage, ref: `${journey.key}/${stage.key}` })),
  );
}

/** The stages new pebbles may be placed on: the catalog without its retired stages. */
export function activeStages(
  settings: WorkspaceSettings,
): { journey: Journey; stage: Stage; ref: string }[] {
  return catalogStages(settings).filter((s) => !s.stage.retired);
}

/**
 * The person acting, as far as a role rule needs them. The platform's admin flag may be known
 * already (`platformAdmin`) or asked for lazily (`resolvePlatformAdmin`, e.g. Slack's
 * users.info, which is slow): only a rule that needs it calls it.
 */
export interface RoleSubject {
  userId: string;
  platformAdmin?: boolean;
  resolvePlatformAdmin?: () => Promise<boolean>;
}

/**
 * Who administers Pebblebot in a workspace: the platform's own admins and owners, and the
 * people listed in the settings. Admins configure the bot and take triage decisions.
 */
export async function isWorkspaceAdmin(workspace: Workspace, user: RoleSubject): Promise<boolean> {
  if (workspace.settings.admins.includes(user.userId)) return true;
  if (user.platformAdmin !== undefined) return user.platformAdmin;
  return (await user.resolvePlatformAdmin?.()) === true;
}
