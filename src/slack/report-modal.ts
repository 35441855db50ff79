import type { types } from '@slack/bolt';
import { z } from 'zod';
import {
  DESCRIPTION_MAX,
  FrequencySchema,
  SEVERITY_LABELS,
  SourceKindSchema,
  STAKEHOLDER_LABELS,
  StakeholderSchema,
  TITLE_MAX,
  shortId,
  type PebbleDetails,
  type PebbleSource,
} from '../core/pebbles/pebble.model.js';
import { catalogStages, type WorkspaceSettings } from '../core/workspaces/workspace.model.js';
import { mrkdwn, plain, SELECT_OPTIONS_MAX, slackPlain } from './render-blocks.js';

export const REPORT_CALLBACK_ID = 'pebble_report';

/** What the form carries from its opening to its submission (private_metadata). */
export const ReportMetaSchema = z.object({
  /** Set when the form edits an existing pebble. */
  n: z.number().int().positive().optional(),
  /** Where the report comes from. */
  k: SourceKindSchema,
  /** Channel of the source message or of the command (for the private confirmation). */
  c: z.string().max(64).optional(),
  /** The reported message's ts and author (message shortcut). */
  t: z.string().max(64).optional(),
  a: z.string().max(64).optional(),
  /** response_url of the confirmation the form was opened from, to update it. */
  r: z.url().max(1_000).optional(),
});
export type ReportMeta = z.infer<typeof ReportMetaSchema>;

const FREQUENCY_LABELS: Record<z.infer<typeof FrequencySchema>, string> = {
  once: 'It happened once',
  monthly: 'About monthly',
  weekly: 'About weekly',
  daily: 'Daily',
  hourly: 'Many times a day',
};

const B = {
  title: 'title',
  description: 'description',
  stakeholder: 'stakeholder',
  stage: 'stage',
  severity: 'severity',
  segment: 'segment',
  frequency: 'frequency',
  minutes: 'minutes',
  anonymous: 'anonymous',
} as const;

/**
 * Block id suffix of the fields an AI suggestion prefilled after the form opened.
 *
 * NOTE: Slack keeps what an input holds across views.update while its block_id stays the same,
 * initial values included: a new block_id is what makes a suggested default show.
 */
export const SUGGESTED_SUFFIX = '~ai';

/** An AI suggestion shown in the form: its defaults are in the fields, these words on top. */
export interface FormSuggestion {
  title: string;
  summary: string;
  model: string;
}

// Every plain_text goes through the renderer: view tokens read as names.
const text = (t: string, max = 75): types.PlainTextElement => plain(t, max);

/** The journey stages as select options (grouped by journey when there are several). */
function stageElement(settings: WorkspaceSettings, initial?: string): types.StaticSelect {
  const option = (label: string, value: string): types.PlainTextOption => ({
    text: text(label),
    value,
  });
  // NOTE: a static select offers at most 100 options across its groups.
  // A retired stage is offered only to the pebble already on it.
  const stages = catalogStages(settings)
    .filter((s) => !s.stage.retired || s.ref === initial)
    .slice(0, SELECT_OPTIONS_MAX);
  const initialOption = stages.find((s) => s.ref === initial);
  const base = {
    type: 'static_select' as const,
    action_id: B.stage,
    placeholder: text('Pick a stage'),
    ...(initialOption
      ? { initial_option: option(initialOption.stage.name, initialOption.ref) }
      : {}),
  };
  if (settings.journeys.length === 1) {
    return { ...base, options: stages.map((s) => option(s.stage.name, s.ref)) };
  }
  const groups = settings.journeys
    .map((journey) => ({
      label: text(journey.name),
      options: stages
        .filter((s) => s.journey.key === journey.key)
        .map((s) => option(s.stage.name, s.ref)),
    }))
    .filter((g) => g.options.length > 0);
  return { ...base, option_groups: groups };
}

function input(
  blockId: string,
  label: string,
  element: types.InputBlockElement,
  options: { optional?: boolean; hint?: string } = {},
): types.InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    label: text(label, 2_000),
    element,
    optional: options.optional ?? true,
    ...(options.hint ? { hint: text(options.hint, 2_000) } : {}),
  } satisfies types.InputBlock;
}

/**
 * The report form: title, description, who feels it, journey stage, severity, segment,
 * frequency and minutes lost, anonymity. Prefilled when it edits a pebble or reports a message.
 */
export function reportModal(
  settings: WorkspaceSettings,
  meta: ReportMeta,
  prefill: Partial<PebbleDetails> = {},
  suggested?: FormSuggestion,
): types.ModalView {
  const suffix = suggested ? SUGGESTED_SUFFIX : '';
  const stageRef =
    prefill.journey && prefill.stage ? `${prefill.journey}/${prefill.stage}` : undefined;
  const severityOption = (n: number): types.PlainTextOption => ({
    text: text(SEVERITY_LABELS[n] ?? String(n)),
    value: String(n),
  });
  const frequencyOption = (f: z.infer<typeof FrequencySchema>): types.PlainTextOption => ({
    text: text(FREQUENCY_LABELS[f]),
    value: f,
  });
  const stakeholderOption = (s: z.infer<typeof StakeholderSchema>): types.PlainTextOption => ({
    text: text(STAKEHOLDER_LABELS[s]),
    value: s,
  });
  const anonymousOption: types.PlainTextOption = {
    text: text('Report anonymously (only you will see your name)'),
    value: 'anonymous',
  };
  const blocks: types.KnownBlock[] = [
    input(
      B.title,
      'What got in the way?',
      {
        type: 'plain_text_input',
        action_id: B.title,
        max_length: TITLE_MAX,
        placeholder: text('Checkout asks for the address twice'),
        ...(prefill.title ? { initial_value: slackPlain(prefill.title, TITLE_MAX) } : {}),
      },
      {
        optional: false,
        ...(suggested?.title ? { hint: `Suggested title: ${suggested.title}` } : {}),
      },
    ),
    input(B.description, 'Details', {
      type: 'plain_text_input',
      action_id: B.description,
      multiline: true,
      max_length: DESCRIPTION_MAX,
      placeholder: text('What happened, who it hit, what they did instead'),
      ...(prefill.description
        ? { initial_value: slackPlain(prefill.description, DESCRIPTION_MAX) }
        : {}),
    }),
    input(
      B.stakeholder + suffix,
      'Who feels it?',
      {
        type: 'radio_buttons',
        action_id: B.stakeholder,
        options: StakeholderSchema.options.map(stakeholderOption),
        initial_option: stakeholderOption(prefill.stakeholder ?? 'customer'),
      },
      { optional: false },
    ),
    input(B.stage + suffix, 'Journey stage', stageElement(settings, stageRef)),
    input(B.severity + suffix, 'Severity', {
      type: 'static_select',
      action_id: B.severity,
      placeholder: text('How bad is it?'),
      options: [1, 2, 3, 4].map(severityOption),
      ...(prefill.severity ? { initial_option: severityOption(prefill.severity) } : {}),
    }),
    input(B.segment, 'Customer segment', {
      type: 'plain_text_input',
      action_id: B.segment,
      max_length: 100,
      placeholder: text('Enterprise, new sign-ups…'),
      ...(prefill.segment ? { initial_value: slackPlain(prefill.segment, 100) } : {}),
    }),
    input(B.frequency, 'How often does it happen?', {
      type: 'static_select',
      action_id: B.frequency,
      placeholder: text('Pick one'),
      options: FrequencySchema.options.map(frequencyOption),
      ...(prefill.frequency ? { initial_option: frequencyOption(prefill.frequency) } : {}),
    }),
    input(
      B.minutes,
      'Minutes lost each time',
      {
        type: 'number_input',
        action_id: B.minutes,
        is_decimal_allowed: false,
        min_value: '0',
        max_value: '100000',
        ...(prefill.minutesLost !== undefined
          ? { initial_value: String(prefill.minutesLost) }
          : {}),
      },
      { hint: 'A rough guess is fine: it lets the digest show the hours a fix gives back.' },
    ),
    input(B.anonymous, 'Anonymity', {
      type: 'checkboxes',
      action_id: B.anonymous,
      options: [anonymousOption],
      ...(prefill.anonymous ? { initial_options: [anonymousOption] } : {}),
    }),
  ];
  if (suggested) {
    blocks.unshift({
      type: 'context',
      elements: [
        mrkdwn(
          `💡 Suggested by AI (${suggested.model}) from the message${suggested.summary ? `: ${suggested.summary}` : ''}. Who feels it, stage and severity are its defaults: change anything before you report.`,
          2_000,
        ),
      ],
    });
  }
  // NOTE: a modal title holds at most 24 characters, its private_metadata 3,000.
  return {
    type: 'modal',
    callback_id: REPORT_CALLBACK_ID,
    title: text(meta.n ? `Details of ${shortId(meta.n)}` : 'Report a pebble', 24),
    submit: text(meta.n ? 'Save' : 'Report', 24),
    close: text('Cancel', 24),
    private_metadata: JSON.stringify(meta),
    blocks,
  };
}

const Value = z.looseObject({ value: z.string().nullish() });
const Selected = z.looseObject({
  selected_option: z.looseObject({ value: z.string() }).nullish(),
});
const Checked = z.looseObject({
  selected_options: z.array(z.looseObject({ value: z.string() })).nullish(),
});

const StateSchema = z.looseObject({
  values: z.record(z.string(), z.record(z.string(), z.unknown())),
});

export type ReportSubmission =
  | { ok: true; meta: ReportMeta; details: Partial<PebbleDetails> & { title: string } }
  | { ok: false; errors: Record<string, string> };

/**
 * Reads a submitted report form. Problems come back per block, for Slack to show next to the
 * field (`response_action: errors`); the catalog check happens in the core.
 */
export function parseReportSubmission(view: {
  state?: unknown;
  private_metadata?: string;
}): ReportSubmission {
  let meta: ReportMeta;
  try {
    meta = ReportMetaSchema.parse(JSON.parse(view.private_metadata || '{}'));
  } catch {
    return {
      ok: false,
      errors: { [B.title]: 'This form is out of date; close it and start again.' },
    };
  }
  const state = StateSchema.safeParse(view.state);
  const values = state.success ? state.data.values : {};
  const field = <T extends z.ZodType>(block: string, schema: T): z.infer<T> | undefined => {
    const parsed = schema.safeParse((values[block] ?? values[block + SUGGESTED_SUFFIX])?.[block]);
    return parsed.success ? parsed.data : undefined;
  };
  // Errors go to the block as the form has it (suggested fields carry the suffix).
  const blockOf = (block: string) =>
    !values[block] && values[block + SUGGESTED_SUFFIX] ? block + SUGGESTED_SUFFIX : block;
  const value = (block: string) => field(block, Value)?.value?.trim() || undefined;
  const selected = (block: string) => field(block, Selected)?.selected_option?.value;

  const errors: Record<string, string> = {};
  const title = value(B.title);
  if (!title) errors[B.title] = 'Say in a few words what got in the way.';
  const stakeholder = StakeholderSchema.safeParse(selected(B.stakeholder) ?? 'customer');
  if (!stakeholder.success) errors[blockOf(B.stakeholder)] = 'Pick customer, employee or partner.';
  const stageRef = selected(B.stage);
  const [journey, stage] = stageRef?.split('/') ?? [];
  const severityRaw = selected(B.severity);
  const severity = severityRaw ? Number(severityRaw) : undefined;
  if (severity !== undefined && !(Number.isInteger(severity) && severity >= 1 && severity <= 4))
    errors[blockOf(B.severity)] = 'Pick a severity from the list.';
  const frequency = FrequencySchema.safeParse(selected(B.frequency));
  const minutesRaw = value(B.minutes);
  const minutes = minutesRaw !== undefined ? Number(minutesRaw) : undefined;
  if (minutes !== undefined && !(Number.isInteger(minutes) && minutes >= 0 && minutes <= 100_000))
    errors[B.minutes] = 'A whole number of minutes, up to 100,000.';
  if (Object.keys(errors).length || !title) return { ok: false, errors };

  const anonymous = (field(B.anonymous, Checked)?.selected_options ?? []).some(
    (o) => o.value === 'anonymous',
  );
  const segment = value(B.segment);
  return {
    ok: true,
    meta,
    details: {
      title,
      description: value(B.description) ?? '',
      stakeholder: stakeholder.success ? stakeholder.data : 'customer',
      ...(journey && stage ? { journey, stage } : {}),
      ...(severity !== undefined ? { severity } : {}),
      ...(segment ? { segment: segment.slice(0, 100) } : {}),
      ...(frequency.success ? { frequency: frequency.data } : {}),
      ...(minutes !== undefined ? { minutesLost: minutes } : {}),
      anonymous,
    },
  };
}

/** The source a submitted form reports from. */
export function sourceOf(meta: ReportMeta, permalink?: string): PebbleSource {
  return {
    kind: meta.k,
    ...(meta.c ? { channelId: meta.c } : {}),
    ...(meta.t ? { messageTs: meta.t } : {}),
    ...(meta.a ? { authorId: meta.a } : {}),
    ...(permalink ? { permalink } : {}),
  };
}
