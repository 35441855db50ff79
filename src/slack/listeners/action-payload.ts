import { z } from 'zod';
import { PebbleError } from '../../core/shared/errors.js';

const ActionBody = z.looseObject({
  trigger_id: z.string().optional(),
  response_url: z.url().optional(),
  container: z.looseObject({ type: z.string() }).optional(),
  channel: z.looseObject({ id: z.string() }).nullish(),
  actions: z
    .array(
      z.looseObject({
        action_id: z.string(),
        value: z.string().max(2_000).optional(),
        selected_option: z.looseObject({ value: z.string().max(150) }).nullish(),
      }),
    )
    .min(1),
});

/** The parts of a block action Pebblebot uses. */
export interface ActionPayload {
  /** The button's value, or the chosen option's value of a select. */
  value: string;
  triggerId?: string;
  responseUrl?: string;
  /** `message`, or `view` when it came from a modal or the Home tab. */
  container: string;
  channelId?: string;
}

/** Reads a block action (a button without a value reads as ''). */
export function readAction(body: unknown): ActionPayload {
  const parsed = ActionBody.safeParse(body);
  if (!parsed.success) {
    throw new PebbleError('COMMAND.USAGE', 'That button sent nothing I can use.');
  }
  const b = parsed.data;
  const action = b.actions[0];
  return {
    value: action?.value ?? action?.selected_option?.value ?? '',
    container: b.container?.type ?? 'message',
    ...(b.trigger_id ? { triggerId: b.trigger_id } : {}),
    ...(b.response_url ? { responseUrl: b.response_url } : {}),
    ...(b.channel?.id ? { channelId: b.channel.id } : {}),
  };
}

const PebbleNumber = z.coerce.number().int().positive().max(1_000_000_000);

/** A pebble number carried in a button value. */
export function pebbleNumber(value: string): number {
  const parsed = PebbleNumber.safeParse(value);
  if (!parsed.success)
    throw new PebbleError('COMMAND.USAGE', 'That button does not name a pebble.');
  return parsed.data;
}

/** `12:3` → [12, '3']: a pebble number and the chosen value of a select on its card. */
export function numberAndChoice(value: string): [number, string] {
  const at = value.indexOf(':');
  return [pebbleNumber(at === -1 ? '' : value.slice(0, at)), value.slice(at + 1)];
}
