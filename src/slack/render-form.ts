import type { types } from '@slack/bolt';
import { z } from 'zod';
import { SourceKindSchema } from '../core/pebbles/pebble.model.js';
import type { MessageView, OptionView } from '../core/ports/message-view.port.js';
import {
  FORMS,
  type FormField,
  type FormId,
  type FormValues,
  type FormView,
  type SearchSource,
} from '../views/form.view.js';
import {
  mrkdwn,
  plain,
  PLACEHOLDER_MAX,
  renderBlocks,
  SECTION_TEXT_MAX,
  SELECT_OPTIONS_MAX,
  slackPlain,
} from './render-blocks.js';

// NOTE: Slack limits a modal's title, submit and close labels to 24 characters, an input's
// label to 2,000 and its hint to 2,000; an option's text to 75 and its value to 150; a
// modal's private_metadata to 3,000.
const TITLE_MAX = 24;
const LABEL_MAX = 2_000;
const OPTION_TEXT_MAX = 75;
const OPTION_VALUE_MAX = 150;
const TEXT_INPUT_MAX = 3_000;
/** Every input's action id: the block id (the field id) already names the field. */
const INPUT = 'v';

/**
 * What a modal carries from its opening to its submission (private_metadata): what the form is
 * about, and what only Slack knows of where it was opened. Read back with zod; never trusted
 * for who submits (that is the payload's signed user).
 */
export const SlackFormMetaSchema = z.object({
  /** The pebble, vote or improvement the form is about (0 or absent: none). */
  n: z.number().int().min(0).max(1_000_000_000).optional(),
  /** The vote of a council-reason form opened by an earlier version. */
  v: z.number().int().positive().max(1_000_000_000).optional(),
  /** Where a report comes from (slash, shortcut, modal…). */
  k: SourceKindSchema.optional(),
  /** The channel of the command or of the message the form was opened from. */
  c: z.string().max(64).optional(),
  /** That message's ts (a message shortcut's message, or the DM whose button opened the form). */
  t: z.string().max(64).optional(),
  /** The reported message's author (message shortcut). */
  a: z.string().max(64).optional(),
  /** response_url of the confirmation the form was opened from, to update it. */
  r: z.url().max(1_000).optional(),
});
export type SlackFormMeta = z.infer<typeof SlackFormMetaSchema>;

/** A form id as a Slack callback_id (`pebble.report` → `pebble_report`). */
export const callbackId = (id: FormId): string => id.replace(/\./g, '_');

/** Every form by its callback_id: the one view_submission listener registers each. */
export const FORM_CALLBACKS: ReadonlyMap<string, FormId> = new Map(
  Object.values(FORMS).map((id) => [callbackId(id), id]),
);

const option = (o: OptionView): types.PlainTextOption => ({
  text: plain(o.label, OPTION_TEXT_MAX),
  value: o.value.slice(0, OPTION_VALUE_MAX),
});

/**
 * The action_id of a search field's external select: the options listener that fills it is
 * registered under it (one per source), and it names the list to look in.
 */
export const searchActionId = (source: SearchSource): string =>
  `search_${source.replace(/-/g, '_')}`;

/**
 * The answer to a block_suggestion: at most 100 options (Slack's limit), labels as plain text
 * cut to 75 characters.
 */
export function renderOptions(options: OptionView[]): { options: types.PlainTextOption[] } {
  return { options: options.slice(0, SELECT_OPTIONS_MAX).map(option) };
}

/** The metadata a form carries, read back from a view (a submission or a suggestion request). */
export function readFormMeta(privateMetadata: string | undefined): SlackFormMeta | undefined {
  try {
    const raw = privateMetadata?.trim();
    return SlackFormMetaSchema.parse(raw ? JSON.parse(raw) : {});
  } catch {
    return undefined;
  }
}

function element(field: FormField): types.InputBlockElement {
  const initial = field.initial;
  const one = typeof initial === 'string' && initial ? initial : undefined;
  const many = Array.isArray(initial) ? initial : [];
  // NOTE: a static select offers at most 100 options.
  const options = (field.options ?? []).slice(0, SELECT_OPTIONS_MAX).map(option);
  const chosen = (values: string[]) => options.filter((o) => values.includes(o.value ?? ''));
  const placeholder = field.placeholder
    ? { placeholder: plain(field.placeholder, PLACEHOLDER_MAX) }
    : {};
  switch (field.kind) {
    case 'text':
    case 'long-text': {
      const max = field.maxLength ?? TEXT_INPUT_MAX;
      return {
        type: 'plain_text_input',
        action_id: INPUT,
        multiline: field.kind === 'long-text',
        max_length: max,
        ...placeholder,
        // What people typed, shown as typed: tokens read as names, nothing parsed as markup.
        ...(one ? { initial_value: slackPlain(one, max) } : {}),
      };
    }
    case 'number':
      return {
        type: 'number_input',
        action_id: INPUT,
        is_decimal_allowed: false,
        ...(field.min !== undefined ? { min_value: String(field.min) } : {}),
        ...(field.max !== undefined ? { max_value: String(field.max) } : {}),
        ...(one ? { initial_value: one } : {}),
      };
    case 'pick-one': {
      const [initialOption] = chosen(one ? [one] : []);
      return {
        type: 'static_select',
        action_id: INPUT,
        options,
        ...placeholder,
        ...(initialOption ? { initial_option: initialOption } : {}),
      };
    }
    case 'pick-many': {
      const initialOptions = chosen(many);
      return {
        type: 'multi_static_select',
        action_id: INPUT,
        options,
        ...(initialOptions.length ? { initial_options: initialOptions } : {}),
      };
    }
    case 'person':
      return { type: 'users_select', action_id: INPUT, ...(one ? { initial_user: one } : {}) };
    case 'people':
      return {
        type: 'multi_users_select',
        action_id: INPUT,
        // NOTE: a multi users select holds at most 100 initial users.
        ...(many.length ? { initial_users: many.slice(0, 100) } : {}),
      };
    case 'channel':
      return {
        type: 'conversations_select',
        action_id: INPUT,
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(one ? { initial_conversation: one } : {}),
      };
    case 'search':
      // Choices come from the options listener as the person types; an empty menu already
      // offers the newest ones (min_query_length 0).
      return {
        type: 'external_select',
        action_id: searchActionId(field.source ?? 'open-pebbles'),
        min_query_length: 0,
        ...placeholder,
      };
    case 'date':
      return { type: 'datepicker', action_id: INPUT, ...(one ? { initial_date: one } : {}) };
    case 'checkbox': {
      const box = option({ label: field.hint ?? field.label, value: 'yes' });
      return {
        type: 'checkboxes',
        action_id: INPUT,
        options: [box],
        ...(initial === true ? { initial_options: [box] } : {}),
      };
    }
  }
}

/**
 * The one Slack renderer of the neutral forms: a modal whose callback_id is the form id, whose
 * blocks are named by field id (so refusals map back to them), and whose private_metadata
 * carries what the form is about and where it was opened.
 */
export function renderForm(form: FormView, where: Omit<SlackFormMeta, 'n'> = {}): types.ModalView {
  const meta: SlackFormMeta = { ...(form.meta.n ? { n: form.meta.n } : {}), ...where };
  return {
    type: 'modal',
    callback_id: callbackId(form.id),
    private_metadata: JSON.stringify(meta),
    title: plain(form.title, TITLE_MAX),
    submit: plain(form.submit, TITLE_MAX),
    close: plain('Cancel', TITLE_MAX),
    blocks: [
      ...(form.intro
        ? [{ type: 'section' as const, text: mrkdwn(form.intro, SECTION_TEXT_MAX) }]
        : []),
      ...form.fields.map((field): types.InputBlock => ({
        type: 'input',
        block_id: field.revision ? `${field.id}~${field.revision}` : field.id,
        label: plain(field.label, LABEL_MAX),
        optional: field.optional === true || field.kind === 'checkbox',
        ...(field.hint && field.kind !== 'checkbox' ? { hint: plain(field.hint, LABEL_MAX) } : {}),
        element: element(field),
      })),
    ],
  };
}

/** A message view in a modal: the answer to a click in the Home tab, which has no thread. */
export function renderViewModal(title: string, view: MessageView): types.ModalView {
  return {
    type: 'modal',
    callback_id: 'pebble_show',
    title: plain(title, TITLE_MAX),
    close: plain('Close', TITLE_MAX),
    blocks: renderBlocks(view, 'modal'),
  };
}

const Input = z.looseObject({
  type: z.string(),
  // NOTE: Slack caps an input at 3,000 characters, but a crafted payload may bring more: it is
  // read (the request body is capped) and shortened where it is kept.
  value: z.string().max(200_000).nullish(),
  selected_option: z.looseObject({ value: z.string().max(OPTION_VALUE_MAX) }).nullish(),
  selected_options: z
    .array(z.looseObject({ value: z.string() }))
    .max(100)
    .nullish(),
  selected_user: z.string().max(64).nullish(),
  selected_users: z.array(z.string().max(64)).max(100).nullish(),
  selected_conversation: z.string().max(64).nullish(),
  selected_date: z.string().max(10).nullish(),
});
const Submission = z.looseObject({
  private_metadata: z.string().max(3_000).optional(),
  state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), Input)) }),
});

/** A submitted modal: the neutral values map (keyed by field id) and what it carried. */
export type SlackSubmission =
  { ok: true; values: FormValues; meta: SlackFormMeta & { n: number } } | { ok: false };

/**
 * Reads a modal submission. An empty input reads as '' (the form's schema says whether it may
 * be); a checkbox as true or false; a multi-select as the list.
 */
export function readForm(view: unknown): SlackSubmission {
  const parsed = Submission.safeParse(view);
  if (!parsed.success) return { ok: false };
  const meta = readFormMeta(parsed.data.private_metadata);
  if (!meta) return { ok: false };
  const values: FormValues = {};
  for (const [blockId, inputs] of Object.entries(parsed.data.state.values)) {
    const input = inputs[INPUT] ?? Object.values(inputs)[0];
    if (!input) continue;
    // A field given a new default after the form opened has a new block id (`stage~ai`).
    values[blockId.replace(/~.*$/, '')] =
      input.type === 'checkboxes'
        ? (input.selected_options ?? []).length > 0
        : input.type.startsWith('multi_')
          ? (input.selected_users ?? input.selected_options?.map((o) => o.value) ?? [])
          : (input.value ??
            input.selected_option?.value ??
            input.selected_user ??
            input.selected_conversation ??
            input.selected_date ??
            '');
  }
  return { ok: true, values, meta: { ...meta, n: meta.n || meta.v || 0 } };
}
