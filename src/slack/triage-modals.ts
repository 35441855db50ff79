import type { types } from '@slack/bolt';
import { z } from 'zod';
import { parsePebbleRef, shortId, type Pebble } from '../core/pebbles/pebble.model.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import { plain, renderBlocks } from './render-blocks.js';

export const DECLINE_CALLBACK_ID = 'pebble_decline';
export const DUPLICATE_CALLBACK_ID = 'pebble_duplicate';
export const SHOW_CALLBACK_ID = 'pebble_show';

export const REASON_MAX = 500;

// Every plain_text goes through the renderer: view tokens read as names.
const text = (t: string, max = 24): types.PlainTextElement => plain(t, max);

const MetaSchema = z.object({ n: z.number().int().positive() });

function header(pebble: Pebble): types.SectionBlock {
  return {
    type: 'section',
    text: plain(`${shortId(pebble.number)} ${pebble.title}`, 3_000),
  };
}

/** Asks triage why a pebble is declined; the reason is sent to its reporter and supporters. */
export function declineModal(pebble: Pebble): types.ModalView {
  return {
    type: 'modal',
    callback_id: DECLINE_CALLBACK_ID,
    title: text(`Decline ${shortId(pebble.number)}`),
    submit: text('Decline'),
    close: text('Cancel'),
    private_metadata: JSON.stringify({ n: pebble.number }),
    blocks: [
      header(pebble),
      {
        type: 'input',
        block_id: 'reason',
        label: text('Why? (the reporter and supporters will read this)', 2_000),
        element: {
          type: 'plain_text_input',
          action_id: 'reason',
          multiline: true,
          max_length: REASON_MAX,
        },
      },
    ],
  };
}

/** Asks triage which pebble this one duplicates. */
export function duplicateModal(pebble: Pebble): types.ModalView {
  return {
    type: 'modal',
    callback_id: DUPLICATE_CALLBACK_ID,
    title: text(`${shortId(pebble.number)} duplicates…`),
    submit: text('Mark duplicate'),
    close: text('Cancel'),
    private_metadata: JSON.stringify({ n: pebble.number }),
    blocks: [
      header(pebble),
      {
        type: 'input',
        block_id: 'of',
        label: text('Duplicate of which pebble?', 2_000),
        hint: text('Its reporter and supporters become supporters of that one.', 2_000),
        element: {
          type: 'plain_text_input',
          action_id: 'of',
          max_length: 12,
          placeholder: text('P-7', 150),
        },
      },
    ],
  };
}

/** One pebble in a modal (from the Home tab, where there is no message to answer in). */
export function showModal(view: MessageView): types.ModalView {
  return {
    type: 'modal',
    callback_id: SHOW_CALLBACK_ID,
    title: text('Pebble'),
    close: text('Close'),
    blocks: renderBlocks(view, 'modal'),
  };
}

const StateValue = z.looseObject({ value: z.string().nullish() });

function stateValue(state: unknown, block: string): string | undefined {
  const values = (state as { values?: Record<string, Record<string, unknown>> } | undefined)
    ?.values;
  const parsed = StateValue.safeParse(values?.[block]?.[block]);
  return parsed.success ? parsed.data.value?.trim() || undefined : undefined;
}

function metaNumber(metadata: string | undefined): number | undefined {
  try {
    return MetaSchema.parse(JSON.parse(metadata ?? '')).n;
  } catch {
    return undefined;
  }
}

/** Reads the decline form: the pebble number and the reason, or a per-field error. */
export function parseDecline(view: {
  state?: unknown;
  private_metadata?: string;
}): { ok: true; number: number; reason: string } | { ok: false; errors: Record<string, string> } {
  const number = metaNumber(view.private_metadata);
  const reason = stateValue(view.state, 'reason');
  if (!number) return { ok: false, errors: { reason: 'This form is out of date; close it.' } };
  if (!reason) return { ok: false, errors: { reason: 'Say why, in a sentence.' } };
  return { ok: true, number, reason: reason.slice(0, REASON_MAX) };
}

/** Reads the duplicate form: the pebble and the one it duplicates, or a per-field error. */
export function parseDuplicate(view: {
  state?: unknown;
  private_metadata?: string;
}): { ok: true; number: number; of: number } | { ok: false; errors: Record<string, string> } {
  const number = metaNumber(view.private_metadata);
  const raw = stateValue(view.state, 'of');
  const of = raw ? parsePebbleRef(raw) : undefined;
  if (!number) return { ok: false, errors: { of: 'This form is out of date; close it.' } };
  if (!of) return { ok: false, errors: { of: 'Type a pebble id like P-7.' } };
  if (of === number) return { ok: false, errors: { of: 'A pebble cannot duplicate itself.' } };
  return { ok: true, number, of };
}
