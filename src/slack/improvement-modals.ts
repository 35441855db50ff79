import type { types } from '@slack/bolt';
import { z } from 'zod';
import {
  improvementShortId,
  IsoDateSchema,
  type Improvement,
} from '../core/improvements/improvement.model.js';
import { plain } from './render-blocks.js';

/** The forms of journey improvements, by callback id. */
export const IMPROVEMENT_VIEWS = {
  proposeDate: 'improvement_propose_date',
  decline: 'improvement_decline',
  done: 'improvement_done',
  changeDate: 'improvement_change_date',
  reassign: 'improvement_reassign',
  extend: 'improvement_extend',
  drop: 'improvement_drop',
} as const;
export type ImprovementViewId = (typeof IMPROVEMENT_VIEWS)[keyof typeof IMPROVEMENT_VIEWS];

export const NOTE_MAX = 500;

/** What a form carries: the improvement, and the message it was opened from (to update it). */
export const FormMetaSchema = z.object({
  n: z.number().int().positive(),
  c: z.string().max(64).optional(),
  t: z.string().max(64).optional(),
});
export type FormMeta = z.infer<typeof FormMetaSchema>;

// NOTE: a modal title holds 24 characters, a submit or close label 24.
// Every plain_text goes through the renderer: view tokens read as names.
const text = (t: string, max = 24): types.PlainTextElement => plain(t, max);

function header(improvement: Improvement, line?: string): types.SectionBlock {
  return {
    type: 'section',
    text: plain(
      `${improvementShortId(improvement.number)} ${improvement.title}${line ? `\n${line}` : ''}`,
      3_000,
    ),
  };
}

function dateInput(label: string, initial?: string): types.InputBlock {
  return {
    type: 'input',
    block_id: 'date',
    label: text(label, 2_000),
    element: {
      type: 'datepicker',
      action_id: 'date',
      ...(initial ? { initial_date: initial } : {}),
    },
  };
}

function noteInput(label: string, optional: boolean, hint?: string): types.InputBlock {
  return {
    type: 'input',
    block_id: 'note',
    optional,
    label: text(label, 2_000),
    ...(hint ? { hint: text(hint, 2_000) } : {}),
    element: { type: 'plain_text_input', action_id: 'note', multiline: true, max_length: NOTE_MAX },
  };
}

function modal(
  callbackId: ImprovementViewId,
  title: string,
  submit: string,
  meta: FormMeta,
  blocks: types.KnownBlock[],
): types.ModalView {
  return {
    type: 'modal',
    callback_id: callbackId,
    title: text(title),
    submit: text(submit),
    close: text('Cancel'),
    private_metadata: JSON.stringify(meta),
    blocks,
  };
}

/** The owner accepts with another date than the one asked. */
export function proposeDateModal(improvement: Improvement, meta: FormMeta): types.ModalView {
  return modal(IMPROVEMENT_VIEWS.proposeDate, 'Propose another date', 'Accept', meta, [
    header(
      improvement,
      improvement.proposedDate ? `Asked for ${improvement.proposedDate}` : undefined,
    ),
    dateInput('I can promise it for', improvement.proposedDate),
  ]);
}

/** The owner declines with a reason (it goes back to whoever asked). */
export function declineModal(improvement: Improvement, meta: FormMeta): types.ModalView {
  return modal(
    IMPROVEMENT_VIEWS.decline,
    `Decline ${improvementShortId(improvement.number)}`,
    'Decline',
    meta,
    [header(improvement), noteInput('Why? (whoever asked you will read this)', false)],
  );
}

/** Done: what changed, told to everyone who reported or supported its pebbles. */
export function doneModal(improvement: Improvement, meta: FormMeta): types.ModalView {
  return modal(
    IMPROVEMENT_VIEWS.done,
    `${improvementShortId(improvement.number)} is done`,
    'Mark done',
    meta,
    [
      header(improvement),
      noteInput(
        'What changed?',
        true,
        'Everyone who reported or supported these pebbles gets it, with "Did this fix it for you?"',
      ),
    ],
  );
}

/** A new promised date (owner: change date; sponsor: extend). The old promise is kept as broken. */
export function changeDateModal(
  improvement: Improvement,
  meta: FormMeta,
  by: 'owner' | 'sponsor',
): types.ModalView {
  return modal(
    by === 'owner' ? IMPROVEMENT_VIEWS.changeDate : IMPROVEMENT_VIEWS.extend,
    by === 'owner' ? 'Change the date' : 'Extend the date',
    'Save',
    meta,
    [
      header(
        improvement,
        improvement.promisedDate
          ? `Promised for ${improvement.promisedDate}. The ledger keeps it as a broken promise.`
          : undefined,
      ),
      dateInput('New promised date', improvement.promisedDate),
      noteInput('Why?', true),
    ],
  );
}

/** The sponsor gives the improvement to someone else, by a date. */
export function reassignModal(improvement: Improvement, meta: FormMeta): types.ModalView {
  return modal(
    IMPROVEMENT_VIEWS.reassign,
    `Reassign ${improvementShortId(improvement.number)}`,
    'Ask them',
    meta,
    [
      header(improvement),
      {
        type: 'input',
        block_id: 'owner',
        label: text('New owner', 2_000),
        element: { type: 'users_select', action_id: 'owner' },
      },
      dateInput('By', improvement.promisedDate ?? improvement.proposedDate),
    ],
  );
}

/** The sponsor drops the improvement with a reason. */
export function dropModal(improvement: Improvement, meta: FormMeta): types.ModalView {
  return modal(
    IMPROVEMENT_VIEWS.drop,
    `Drop ${improvementShortId(improvement.number)}`,
    'Drop',
    meta,
    [header(improvement, 'Its pebbles go back to triage.'), noteInput('Why?', false)],
  );
}

const StateSchema = z.looseObject({
  values: z.record(
    z.string(),
    z.record(
      z.string(),
      z.looseObject({
        value: z.string().nullish(),
        selected_date: z.string().nullish(),
        selected_user: z.string().nullish(),
      }),
    ),
  ),
});

/** A submitted form: its metadata and its fields, or per-field errors to show in the form. */
export type FormResult =
  | { ok: true; meta: FormMeta; date?: string; note?: string; owner?: string }
  | { ok: false; errors: Record<string, string> };

/** Reads a submitted improvement form; the fields it needs are checked with zod. */
export function parseForm(
  view: { state?: unknown; private_metadata?: string },
  needs: { date?: boolean; note?: boolean; owner?: boolean },
): FormResult {
  let meta: FormMeta;
  const firstField = needs.date ? 'date' : needs.owner ? 'owner' : 'note';
  try {
    meta = FormMetaSchema.parse(JSON.parse(view.private_metadata ?? ''));
  } catch {
    return { ok: false, errors: { [firstField]: 'This form is out of date; close it.' } };
  }
  const state = StateSchema.safeParse(view.state);
  const values = state.success ? state.data.values : {};
  const field = (block: string) => values[block]?.[block];
  const date = field('date')?.selected_date ?? undefined;
  const note = field('note')?.value?.trim() || undefined;
  const owner = field('owner')?.selected_user ?? undefined;
  const errors: Record<string, string> = {};
  if (needs.date && !IsoDateSchema.safeParse(date).success) errors.date = 'Pick a date.';
  if (needs.note && !note) errors.note = 'Say why, in a sentence.';
  if (needs.owner && !owner) errors.owner = 'Pick the new owner.';
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    meta,
    ...(date ? { date } : {}),
    ...(note ? { note: note.slice(0, NOTE_MAX) } : {}),
    ...(owner ? { owner } : {}),
  };
}
