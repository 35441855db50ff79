import { z } from 'zod';
import { PebbleError } from '../../core/shared/errors.js';
import { datePickerValue } from '../render-blocks.js';

const ActionBody = z.object({
  trigger_id: z.string().optional(),
  response_url: z.url().optional(),
  container: z
    .object({
      type: z.string(),
      message_ts: z.string().max(64).optional(),
      channel_id: z.string().max(64).optional(),
    })
    .optional(),
  channel: z.object({ id: z.string().max(64) }).nullish(),
  message: z.object({ ts: z.string().max(64) }).nullish(),
  actions: z
    .array(
      z.object({
        type: z.string().optional(),
        action_id: z.string().max(255),
        value: z.string().max(2_000).optional(),
        selected_option: z.object({ value: z.string().max(150) }).nullish(),
        selected_date: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/)
          .nullish(),
      }),
    )
    .min(1),
});

/** The parts of a block action Pebblebot uses. */
export interface ActionPayload {
  /**
   * What the dispatcher gets, the same whatever the element: a button's value, the chosen
   * option's value of a select or overflow menu, or a date picker's `value:YYYY-MM-DD`.
   */
  value: string;
  triggerId?: string;
  responseUrl?: string;
  /** `message`, or `view` when it came from a modal or the Home tab. */
  container: string;
  channelId?: string;
  /** The message that carried the element (to update it after a form opened from it). */
  messageTs?: string;
}

/** Reads a block action (a button without a value reads as ''). */
export function readAction(body: unknown): ActionPayload {
  const parsed = ActionBody.safeParse(body);
  if (!parsed.success) {
    throw new PebbleError('COMMAND.USAGE', 'That button sent nothing I can use.');
  }
  const b = parsed.data;
  const action = b.actions[0]!;
  const value =
    action.type === 'datepicker'
      ? `${datePickerValue(action.action_id)}:${action.selected_date ?? ''}`
      : (action.value ?? action.selected_option?.value ?? '');
  const channelId = b.channel?.id ?? b.container?.channel_id;
  const messageTs = b.message?.ts ?? b.container?.message_ts;
  return {
    value,
    container: b.container?.type ?? 'message',
    ...(b.trigger_id ? { triggerId: b.trigger_id } : {}),
    ...(b.response_url ? { responseUrl: b.response_url } : {}),
    ...(channelId ? { channelId } : {}),
    ...(messageTs ? { messageTs } : {}),
  };
}
