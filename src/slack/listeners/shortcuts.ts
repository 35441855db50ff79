import { z } from 'zod';
import { splitReportText } from '../../core/pebbles/pebble.service.js';
import { pebbleContext } from '../context.js';
import { reportForm } from '../../views/form.view.js';
import { renderForm } from '../render-form.js';
import { slackToPlain } from '../slack-text.js';
import type { Registrar, ShortcutArgs, SlackDeps } from './registry.js';

export const GLOBAL_SHORTCUT_ID = 'report_pebble';
export const MESSAGE_SHORTCUT_ID = 'report_message_as_pebble';

const MessageShortcut = z.looseObject({
  trigger_id: z.string().min(1),
  channel: z.looseObject({ id: z.string().min(1) }),
  message_ts: z.string().min(1),
  message: z.looseObject({ text: z.string().optional(), user: z.string().optional() }),
});

/** The global shortcut "Report a pebble" and the message shortcut "Report as pebble". */
export function registerShortcuts(r: Registrar, deps: SlackDeps): void {
  r.shortcut(GLOBAL_SHORTCUT_ID, async ({ shortcut, ack, context }: ShortcutArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    await deps.gateway.openView(
      shortcut.trigger_id,
      renderForm(reportForm(ctx.workspace.settings), { k: 'shortcut' }),
    );
  });

  r.shortcut(MESSAGE_SHORTCUT_ID, async ({ shortcut, ack, context }: ShortcutArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const payload = MessageShortcut.parse(shortcut);
    // The link to the message is fetched when the form is submitted: the form opens first.
    const { title, description } = splitReportText(slackToPlain(payload.message.text ?? ''));
    await deps.gateway.openView(
      payload.trigger_id,
      renderForm(reportForm(ctx.workspace.settings, { text: title, description }), {
        k: 'shortcut',
        c: payload.channel.id,
        t: payload.message_ts,
        ...(payload.message.user ? { a: payload.message.user } : {}),
      }),
    );
  });
}
