import type { types } from '@slack/bolt';
import { z } from 'zod';
import type { FormField, FormValues, FormView } from '../views/form.view.js';
import type { OptionView } from '../core/ports/message-view.port.js';
import { mrkdwn, plain, SECTION_TEXT_MAX } from './render-blocks.js';

// NOTE: Slack limits a modal's title, submit and close labels to 24 characters, an input's
// label to 2,000 and its hint to 2,000; an option's text to 75 and its value to 150.
const TITLE_MAX = 24;
const LABEL_MAX = 2_000;
const OPTION_TEXT_MAX = 75;
const OPTION_VALUE_MAX = 150;
/** Every input's action id: the block id (the field id) already names the field. */
const INPUT = 'v';

const option = (o: OptionView): types.PlainTextOption => ({
  text: plain(o.label, OPTION_TEXT_MAX),
  value: o.value.slice(0, OPTION_VALUE_MAX),
});

function element(field: FormField): types.InputBlockElement {
  const initial = field.initial;
  const one = typeof initial === 'string' && initial ? initial : undefined;
  const many = Array.isArray(initial) ? initial : [];
  const options = (field.options ?? []).map(option);
  const chosen = (values: string[]) => options.filter((o) => values.includes(o.value ?? ''));
  switch (field.kind) {
    case 'text':
    case 'long-text':
      return {
        type: 'plain_text_input',
        action_id: INPUT,
        multiline: field.kind === 'long-text',
        ...(field.maxLength ? { max_length: field.maxLength } : {}),
        ...(one ? { initial_value: one } : {}),
      };
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
        ...(many.length ? { initial_users: many } : {}),
      };
    case 'date':
      return { type: 'datepicker', action_id: INPUT, ...(one ? { initial_date: one } : {}) };
    case 'channel':
      return {
        type: 'conversations_select',
        action_id: INPUT,
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(one ? { initial_conversation: one } : {}),
      };
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
 * carries what the form is about.
 */
export function renderForm(form: FormView): types.ModalView {
  return {
    type: 'modal',
    callback_id: form.id,
    private_metadata: JSON.stringify(form.meta),
    title: plain(form.title, TITLE_MAX),
    submit: plain(form.submit, TITLE_MAX),
    close: plain('Cancel', TITLE_MAX),
    blocks: [
      ...(form.intro
        ? [{ type: 'section' as const, text: mrkdwn(form.intro, SECTION_TEXT_MAX) }]
        : []),
      ...form.fields.map((field): types.InputBlock => ({
        type: 'input',
        block_id: field.id,
        label: plain(field.label, LABEL_MAX),
        optional: field.optional === true || field.kind === 'checkbox',
        ...(field.hint && field.kind !== 'checkbox' ? { hint: plain(field.hint, LABEL_MAX) } : {}),
        element: element(field),
      })),
    ],
  };
}

const Input = z.looseObject({
  type: z.string(),
  value: z.string().max(10_000).nullish(),
  selected_option: z.looseObject({ value: z.string() }).nullish(),
  selected_options: z.array(z.looseObject({ value: z.string() })).nullish(),
  selected_user: z.string().nullish(),
  selected_users: z.array(z.string()).nullish(),
  selected_date: z.string().nullish(),
  selected_conversation: z.string().nullish(),
});
const Submission = z.looseObject({
  private_metadata: z.string().max(3_000),
  state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), Input)) }),
});
const Meta = z.object({ n: z.number().int().min(0) });

/** A modal submission as the neutral values map (keyed by field id) and the form's meta. */
export function readForm(view: unknown): { values: FormValues; meta: { n: number } } | undefined {
  const parsed = Submission.safeParse(view);
  if (!parsed.success) return undefined;
  let meta: z.infer<typeof Meta>;
  try {
    meta = Meta.parse(JSON.parse(parsed.data.private_metadata));
  } catch {
    return undefined;
  }
  const values: FormValues = {};
  for (const [blockId, inputs] of Object.entries(parsed.data.state.values)) {
    const input = inputs[INPUT] ?? Object.values(inputs)[0];
    if (!input) continue;
    values[blockId] =
      input.type === 'checkboxes'
        ? (input.selected_options ?? []).length > 0
        : input.type.startsWith('multi_')
          ? (input.selected_users ?? input.selected_options?.map((o) => o.value) ?? [])
          : (input.value ??
            input.selected_option?.value ??
            input.selected_user ??
            input.selected_date ??
            input.selected_conversation ??
            undefined);
  }
  return { values, meta };
}
