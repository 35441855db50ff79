import { z } from 'zod';
import { COUNCIL_MEMBERS_MAX } from '../core/council/council.model.js';
import { IsoDateSchema } from '../core/improvements/improvement.model.js';
import {
  FrequencySchema,
  parsePebbleRef,
  shortId,
  StakeholderSchema,
  type PebbleSource,
} from '../core/pebbles/pebble.model.js';
import { PebbleError } from '../core/shared/errors.js';
import {
  FORMS,
  MINUTES_MAX,
  NOTE_MAX,
  REASON_MAX,
  SEGMENT_MAX,
  type FormId,
  type FormValues,
} from '../views/form.view.js';
import { noticeView } from '../views/pebble.view.js';
import {
  withRole,
  reply,
  update,
  type ConversationContext,
  type ConversationDeps,
  type Output,
} from './context.js';
import { Cards } from './cards.js';
import { afterReport, runCommand, type RunOptions } from './run-command.js';
import { confirmationView } from '../views/pebble.view.js';
import type { Command } from './commands.js';
import { parseRetention } from '../core/governance/governance.model.js';
import { runSettingsForm } from './settings-commands.js';

/** What a submission gives: outputs, or errors keyed by field (the form stays open). */
export type FormResult =
  { ok: true; outputs: Output[] } | { ok: false; errors: Record<string, string> };

const text = (max: number, message: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim() : v),
    z.string().min(1, message).max(max, `At most ${max} characters.`),
  );
const optionalText = (max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() ? v.trim() : undefined),
    z.string().max(max, `At most ${max} characters.`).optional(),
  );
const date = z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), IsoDateSchema);
const intIn = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : undefined),
    z
      .number({ message: `A whole number from ${min} to ${max}.` })
      .int(`A whole number from ${min} to ${max}.`)
      .min(min, `A whole number from ${min} to ${max}.`)
      .max(max, `A whole number from ${min} to ${max}.`),
  );
const optionalInt = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    intIn(min, max).optional(),
  );
const person = z.string().min(1).max(255);
const people = z.preprocess(
  (v) => (v === undefined || v === '' ? [] : v),
  z.array(person).max(50, 'At most 50 people.'),
);
const optionalId = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() ? v.trim() : undefined),
  z.string().max(255).optional(),
);
const clockTime = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().replace(/^(\d):/, '0$1:') : v),
  z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A time like 19:00.'),
);
const checked = z.preprocess((v) => v === true || v === 'true', z.boolean());
/** What a report's texts may bring at most; core keeps TITLE_MAX and DESCRIPTION_MAX of it. */
const REPORT_TEXT_MAX = 100_000;
const optionalChoice = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());

/** Each form's values, validated in this one place. */
const SCHEMAS = {
  [FORMS.report]: z.object({
    // Longer than a form allows comes through crafted payloads: core shortens it and says so.
    title: text(REPORT_TEXT_MAX, 'Say in a few words what got in the way.'),
    description: optionalText(REPORT_TEXT_MAX),
    stakeholder: optionalChoice(
      z.enum(StakeholderSchema.options, { message: 'Pick customer, employee or partner.' }),
    ).transform((v) => v ?? 'customer'),
    stage: optionalText(130),
    severity: z.preprocess(
      (v) => (v === '' || v === undefined ? undefined : Number(v)),
      z.number({ message: 'Pick a severity from the list.' }).int().min(1).max(4).optional(),
    ),
    segment: optionalText(SEGMENT_MAX),
    frequency: optionalChoice(FrequencySchema),
    minutes: optionalInt(0, MINUTES_MAX),
    anonymous: z.boolean().default(false),
  }),
  [FORMS.decline]: z.object({ reason: text(REASON_MAX, 'Say why, in a sentence.') }),
  [FORMS.duplicate]: z.object({
    of: z.string().transform((v, c) => {
      const n = parsePebbleRef(v);
      if (n === undefined) {
        c.addIssue({ code: 'custom', message: 'Pick a pebble, or type its id like P-7.' });
        return z.NEVER;
      }
      return n;
    }),
  }),
  [FORMS.councilReason]: z.object({ reason: text(500, 'Say why, in 500 characters at most.') }),
  [FORMS.councilSettings]: z.object({
    members: z.array(person).max(COUNCIL_MEMBERS_MAX).default([]),
    sponsor: z.preprocess((v) => (v === '' ? undefined : v), person.optional()),
    // A setting left out of the submission stays as it is.
    window: optionalInt(1, 20),
    quorum: optionalInt(1, COUNCIL_MEMBERS_MAX),
    threshold: optionalInt(50, 100),
    balance: optionalInt(2, 50),
    ballots: optionalChoice(z.enum(['secret', 'open'])),
    wip: optionalInt(1, 100),
    // A channel only where the platform offers a picker (Slack): absent elsewhere, kept as is.
    channel: z.preprocess(
      (v) => (v === undefined ? undefined : v || null),
      z.string().max(64).nullable().optional(),
    ),
    cycle: optionalChoice(z.enum(['week', 'month'])),
  }),
  [FORMS.improvementProposeDate]: z.object({ date }),
  [FORMS.improvementDecline]: z.object({ note: text(NOTE_MAX, 'Say why, in a sentence.') }),
  [FORMS.improvementDone]: z.object({ note: optionalText(NOTE_MAX) }),
  [FORMS.improvementChangeDate]: z.object({ date, note: optionalText(NOTE_MAX) }),
  [FORMS.improvementExtend]: z.object({ date, note: optionalText(NOTE_MAX) }),
  [FORMS.improvementReassign]: z.object({ owner: person, date }),
  [FORMS.improvementDrop]: z.object({ note: text(NOTE_MAX, 'Say why it is dropped.') }),
  [FORMS.settingsTriage]: z.object({
    channel: optionalId,
    emoji: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().replace(/^:|:$/g, '').toLowerCase() : v),
      z
        .string()
        .regex(/^[a-z0-9_+'-]{1,100}$/, 'An emoji name like rock or thumbsup, without spaces.'),
    ),
  }),
  [FORMS.settingsStages]: z
    .object({
      action: z.enum(['add', 'rename', 'move', 'retire', 'restore'], 'Pick what to do.'),
      stage: optionalText(150),
      name: optionalText(75),
      position: optionalInt(1, 25),
      journey: optionalText(64),
    })
    .superRefine((v, c) => {
      const need = (field: 'stage' | 'name' | 'position', message: string) => {
        if (v[field] === undefined) c.addIssue({ code: 'custom', path: [field], message });
      };
      if (v.action === 'add') need('name', 'Name the new stage.');
      if (v.action === 'rename') {
        need('stage', 'Pick the stage to rename.');
        need('name', 'Give its new name.');
      }
      if (v.action === 'move') {
        need('stage', 'Pick the stage to move.');
        need('position', 'Say where it goes (1 is first).');
      }
      if (v.action === 'retire' || v.action === 'restore') need('stage', 'Pick the stage.');
    }),
  [FORMS.settingsNudges]: z.object({
    every: intIn(1, 30),
    daily: intIn(0, 30),
    quietStart: clockTime,
    quietEnd: clockTime,
    weekends: checked,
    escalate: intIn(1, 90),
  }),
  [FORMS.settingsDigest]: z.object({
    enabled: checked,
    day: z.preprocess((v) => Number(v), z.number().int().min(1, 'Pick a day.').max(7)),
    time: clockTime,
    channel: optionalId,
    leaders: people,
  }),
  [FORMS.settingsWorkspace]: z.object({
    timezone: text(64, 'Name the time zone, e.g. Europe/Berlin.'),
    retention: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim() : ''),
      z.string().transform((v, c) => {
        if (!v || /^(off|none|forever)$/i.test(v)) return null;
        const days = parseRetention(v);
        if (days === undefined) {
          c.addIssue({
            code: 'custom',
            message: 'From 30 days to 10 years, like 2y, 18m or 90d (empty: for ever).',
          });
          return z.NEVER;
        }
        return days;
      }),
    ),
    admins: people,
  }),
  [FORMS.apiTokenCreate]: z.object({ name: text(80, 'Name the token after what uses it.') }),
} satisfies Record<FormId, z.ZodType>;

/** Where a refusal of the service shows in each form. */
const MAIN_FIELD: Record<FormId, string> = {
  [FORMS.report]: 'title',
  [FORMS.decline]: 'reason',
  [FORMS.duplicate]: 'of',
  [FORMS.councilReason]: 'reason',
  [FORMS.councilSettings]: 'members',
  [FORMS.improvementProposeDate]: 'date',
  [FORMS.improvementDecline]: 'note',
  [FORMS.improvementDone]: 'note',
  [FORMS.improvementChangeDate]: 'date',
  [FORMS.improvementExtend]: 'date',
  [FORMS.improvementReassign]: 'owner',
  [FORMS.improvementDrop]: 'note',
  [FORMS.settingsTriage]: 'channel',
  [FORMS.settingsStages]: 'stage',
  [FORMS.settingsNudges]: 'every',
  [FORMS.settingsDigest]: 'day',
  [FORMS.settingsWorkspace]: 'timezone',
  [FORMS.apiTokenCreate]: 'name',
};

/**
 * Validates a form's values with zod and runs the use case it stands for. Bad values and the
 * service's refusals (a date in the past, not the owner) come back keyed by field; nothing is
 * written then. Unknown failures are thrown for the channel's error handler.
 */
/**
 * The sentence a person sees for a field. Zod's own wording ("Invalid input: expected string,
 * received undefined") reaches them when a crafted or truncated submission misses a field or
 * sends another type than the form can: it is replaced by what to do about it.
 */
function readableIssue(issue: { code: string; message: string }): string {
  if (!/^(Invalid|Too (big|small))\b/.test(issue.message)) return issue.message;
  if (/received undefined$/.test(issue.message)) return 'Fill this in.';
  if (issue.code === 'too_big') return 'Too long or too large for this field.';
  if (issue.code === 'too_small') return 'Too short or too small for this field.';
  return 'This is not a value this field takes.';
}

export async function submitForm(
  deps: ConversationDeps,
  ctx: ConversationContext,
  formId: FormId,
  meta: { n: number },
  values: FormValues,
  options: {
    /** Where a new report came from, when the channel knows better than "a form" (a message). */
    source?: PebbleSource;
    /**
     * Claims the submission once its values are valid, for a channel that may see it twice:
     * false (a repeat) runs nothing. A form sent back with errors stays unclaimed.
     */
    claim?: () => Promise<boolean>;
    /** As for a typed command: called once a report is stored, before the slower steps. */
    stored?: RunOptions['stored'];
  } = {},
): Promise<FormResult> {
  const schema = SCHEMAS[formId] as z.ZodType<Record<string, unknown>>;
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? MAIN_FIELD[formId]);
      errors[field] ??= readableIssue(issue);
    }
    return { ok: false, errors };
  }
  try {
    if (options.claim && !(await options.claim())) return { ok: true, outputs: [] };
    return { ok: true, outputs: await run(deps, ctx, formId, meta.n, parsed.data, options) };
  } catch (error) {
    if (error instanceof PebbleError && !error.code.startsWith('STORE.'))
      return { ok: false, errors: { [MAIN_FIELD[formId]]: error.message } };
    throw error;
  }
}

async function run(
  deps: ConversationDeps,
  ctx: ConversationContext,
  formId: FormId,
  n: number,
  v: Record<string, unknown>,
  options: { source?: PebbleSource; stored?: RunOptions['stored'] },
): Promise<Output[]> {
  const command = (c: Command) => runCommand(deps, ctx, c);
  // The triage card the form was opened from shows the outcome once refreshed: no second word.
  const unlessOnCard = async (outputs: Output[]) =>
    deps.chat && (await deps.services.pebbles.get(ctx.workspace, n)).triageCard ? [] : outputs;
  const s = (key: string) => v[key] as string;
  const note = v.note as string | undefined;
  switch (formId) {
    case FORMS.report: {
      const [journey, stage] = typeof v.stage === 'string' ? v.stage.split('/') : [];
      const details = {
        title: s('title'),
        description: (v.description as string | undefined) ?? '',
        stakeholder: v.stakeholder as 'customer',
        ...(journey && stage ? { journey, stage } : {}),
        ...(typeof v.severity === 'number' ? { severity: v.severity } : {}),
        ...(v.segment ? { segment: s('segment') } : {}),
        ...(v.frequency ? { frequency: v.frequency as 'once' } : {}),
        ...(typeof v.minutes === 'number' ? { minutesLost: v.minutes } : {}),
        anonymous: v.anonymous === true,
      };
      if (n > 0) {
        // "Add details" on a pebble already reported: only its reporter may (checked in core).
        const result = await deps.services.pebbles.reviseReport(
          ctx.workspace,
          ctx.actor,
          n,
          details,
        );
        await options.stored?.(result.pebble);
        await new Cards(deps).refresh(ctx.workspace, result.pebble);
        const similar = await deps.services.pebbles.findSimilar(ctx.workspace, result.pebble);
        return [reply(confirmationView(result.pebble, similar, { truncated: result.truncated }))];
      }
      const result = await deps.services.pebbles.report(
        ctx.workspace,
        ctx.actor,
        details,
        options.source ?? { kind: ctx.channel === 'console' ? 'console' : 'modal' },
      );
      await options.stored?.(result.pebble);
      deps.log?.info(
        { pebble: shortId(result.pebble.number), source: result.pebble.source.kind },
        'pebble reported',
      );
      return afterReport(deps, ctx.workspace, result);
    }
    case FORMS.decline:
      return unlessOnCard(
        await command({
          kind: 'triage',
          number: n,
          change: { kind: 'decline', reason: s('reason') },
        }),
      );
    case FORMS.duplicate: {
      const of = v.of as number;
      if (of === n)
        throw new PebbleError('PEBBLE.INVALID_INPUT', 'A pebble cannot duplicate itself.');
      await deps.services.pebbles.get(ctx.workspace, of).catch(() => {
        throw new PebbleError('PEBBLE.NOT_FOUND', `There is no ${shortId(of)}.`);
      });
      return unlessOnCard(
        await command({ kind: 'triage', number: n, change: { kind: 'duplicate', of } }),
      );
    }
    case FORMS.councilReason:
      return command({
        kind: 'council',
        command: { kind: 'reason', vote: n, reason: s('reason') },
      });
    case FORMS.councilSettings: {
      const user = await withRole(ctx);
      // Refused before any name is looked up for someone who may not change the council.
      await deps.services.council.requireConfigurer(ctx.workspace, user);
      const known = ctx.workspace.settings.council.members;
      const members = await named(
        ctx,
        [...new Set(v.members as string[])].map(
          (id) => known.find((m) => m.userId === id) ?? { userId: id },
        ),
      );
      const channel = v.channel as string | null | undefined;
      const { changes, warning } = await deps.services.council.configure(ctx.workspace, user, {
        members,
        sponsor: (v.sponsor as string | undefined) ?? null,
        quorum: (v.quorum as number | undefined) ?? null,
        balance: (v.balance as number | undefined) ?? null,
        ...(v.window !== undefined ? { votingDays: v.window as number } : {}),
        ...(v.threshold !== undefined ? { threshold: v.threshold as number } : {}),
        ...(v.ballots ? { secret: v.ballots === 'secret' } : {}),
        ...(v.wip !== undefined ? { wipLimit: v.wip as number } : {}),
        ...(channel !== undefined ? { channel } : {}),
        ...(v.cycle ? { cycle: v.cycle as 'week' } : {}),
      });
      ctx.resolve?.forgetWorkspace?.();
      const joined = channel ? await ctx.resolve?.join?.(channel).catch(() => false) : true;
      return [
        reply(
          noticeView(
            (changes.length
              ? `:white_check_mark: Council settings saved (${changes.length} change${changes.length === 1 ? '' : 's'}, recorded in the history).`
              : 'Council settings: nothing changed.') +
              (joined === false ? ' The council channel is private: invite me there first.' : '') +
              (warning ? `\n\n:warning: ${warning}` : ''),
          ),
        ),
      ];
    }
    case FORMS.improvementProposeDate:
      return replacing(
        await command({
          kind: 'improvement',
          command: { kind: 'accept', number: n, date: s('date') },
        }),
      );
    case FORMS.improvementDecline:
      return replacing(
        await command({
          kind: 'improvement',
          command: { kind: 'decline', number: n, reason: note ?? '' },
        }),
      );
    case FORMS.improvementDone:
      return command({
        kind: 'improvement',
        command: { kind: 'update', number: n, status: 'done', ...(note ? { note } : {}) },
      });
    case FORMS.improvementChangeDate:
    case FORMS.improvementExtend:
      return command({
        kind: 'improvement',
        command: { kind: 'date', number: n, date: s('date'), ...(note ? { note } : {}) },
      });
    case FORMS.improvementReassign:
      return command({
        kind: 'improvement',
        command: { kind: 'assign', number: n, ownerId: s('owner'), date: s('date') },
      });
    case FORMS.improvementDrop:
      return replacing(
        await command({
          kind: 'improvement',
          command: { kind: 'update', number: n, status: 'dropped', ...(note ? { note } : {}) },
        }),
      );
    case FORMS.settingsTriage:
    case FORMS.settingsStages:
    case FORMS.settingsNudges:
    case FORMS.settingsDigest:
    case FORMS.settingsWorkspace:
    case FORMS.apiTokenCreate:
      return runSettingsForm(deps, ctx, formId, v);
  }
}

/**
 * Answers that stand in for the message the form was opened from (the owner's DM with its
 * buttons): the buttons it offered are no longer valid once the decision is taken.
 */
function replacing(outputs: Output[]): Output[] {
  return outputs.map((o) => (o.kind === 'reply' ? update(o.view) : o));
}

/** Council members as people, named where the channel can say (a council is a handful). */
async function named(
  ctx: ConversationContext,
  list: { userId: string; name?: string }[],
): Promise<{ userId: string; name?: string }[]> {
  // NOTE: Slack's users.info is Tier 4 (100+ per minute): names are looked up for 50 at most.
  let asked = 0;
  return Promise.all(
    list.map(async (m) => {
      if (m.name || asked++ >= 50) return m;
      const found = await ctx.resolve?.user?.(m.userId).catch(() => undefined);
      return found?.name ? { ...m, name: found.name } : m;
    }),
  );
}
