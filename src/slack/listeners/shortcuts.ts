import { z } from 'zod';
import { splitReportText } from '../../core/pebbles/pebble.service.js';
import { pebbleContext } from '../context.js';
import type { Workspace } from '../../core/workspaces/workspace.model.js';
import { reportForm } from '../../views/form.view.js';
import { renderForm, type SlackFormMeta } from '../render-form.js';
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
    const meta: SlackFormMeta = {
      k: 'shortcut',
      c: payload.channel.id,
      t: payload.message_ts,
      ...(payload.message.user ? { a: payload.message.user } : {}),
    };
    const opened = await deps.gateway.openView(
      payload.trigger_id,
      renderForm(reportForm(ctx.workspace.settings, { text: title, description }), meta),
    );
    await suggestInForm(deps, ctx.workspace, opened, meta, { title, description });
  });
}

/**
 * Once the form is open (the trigger_id cannot wait for a model), asks AI for triage defaults
 * and puts them in the form: who feels it, stage and severity preselected, the suggested title
 * and summary shown. Nothing happens without AI or when the person changed the form meanwhile.
 */
async function suggestInForm(
  deps: SlackDeps,
  workspace: Workspace,
  opened: { id?: string; hash?: string },
  meta: SlackFormMeta,
  text: { title: string; description: string },
): Promise<void> {
  const ai = deps.services.ai;
  if (!ai || !opened.id || !text.title) return;
  const suggestion = await ai.suggestTriage(workspace, `${text.title}\n${text.description}`);
  if (!suggestion) return;
  const view = renderForm(
    reportForm(workspace.settings, {
      text: text.title,
      description: text.description,
      suggested: {
        stakeholder: suggestion.stakeholder,
        severity: suggestion.severity,
        ...(suggestion.journey && suggestion.stage
          ? { journey: suggestion.journey, stage: suggestion.stage }
          : {}),
        title: suggestion.title,
        summary: suggestion.summary,
        model: suggestion.model,
      },
    }),
    meta,
  );
  await deps.gateway.updateView(opened.id, view, opened.hash).catch((error: unknown) =>
    // Submitted or closed before the suggestion came: it is simply not shown.
    deps.logger.info({ err: error }, 'report form not updated with the AI suggestion'),
  );
}
