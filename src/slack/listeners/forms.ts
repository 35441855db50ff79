import { setImmediate as yieldToAcks, setTimeout as sleep } from 'node:timers/promises';
import { submitForm, type FormResult } from '../../conversation/forms.js';
import type { Pebble, PebbleSource } from '../../core/pebbles/pebble.model.js';
import { PebbleError } from '../../core/shared/errors.js';
import { FORMS, type FormId } from '../../views/form.view.js';
import { savedDespiteOutageView } from '../../views/report.view.js';
import { pebbleContext } from '../context.js';
import { conversationContext, deferredChat, sendOutputs } from '../conversation.js';
import type { Answer } from '../follow-up.js';
import { FORM_CALLBACKS, readForm, type SlackFormMeta } from '../render-form.js';
import { refreshHome } from './app-home.js';
import type { Registrar, SlackDeps, ViewArgs } from './registry.js';

/** How long the acknowledgement of a report waits for the reported message's link. */
const PERMALINK_WAIT_MS = 1_000;

/** Where a report made through the form comes from: the message or command it was opened on. */
async function sourceOf(deps: SlackDeps, meta: SlackFormMeta): Promise<PebbleSource> {
  // The link is part of the pebble, so it is asked for before the ack, but never for longer
  // than Slack's deadline allows: without it the pebble is still stored.
  const permalink =
    meta.c && meta.t && meta.k === 'shortcut'
      ? await Promise.race([
          deps.gateway.permalink(meta.c, meta.t),
          sleep(PERMALINK_WAIT_MS, undefined, { ref: false }),
        ])
      : undefined;
  return {
    kind: meta.k ?? 'modal',
    ...(meta.c ? { channelId: meta.c } : {}),
    ...(meta.t ? { messageTs: meta.t } : {}),
    ...(meta.a ? { authorId: meta.a } : {}),
    ...(permalink ? { permalink } : {}),
  };
}

/**
 * One listener for every form: the modal's state as the neutral values map, handed to the
 * conversation layer, which validates it and runs the use case. Refusals come back next to
 * their fields (`response_action: errors`, keyed by the block ids render-form.ts gave the
 * fields); what the form asks for is stored before the acknowledgement, and the messages that
 * follow (card updates, notices, the answer) are sent after it.
 */
async function submitted(deps: SlackDeps, formId: FormId, args: ViewArgs): Promise<void> {
  const { view, ack, body, context } = args;
  const submission = readForm(view);
  if (!submission.ok) {
    const [block] = Object.keys(view.state?.values ?? {});
    if (block) {
      await ack({
        response_action: 'errors',
        errors: { [block]: 'This form is out of date; close it and start again.' },
      });
      return;
    }
    await ack();
    throw new PebbleError('COMMAND.USAGE', 'That form is out of date; open it again.');
  }
  const { values, meta } = submission;
  const ctx = pebbleContext(context);
  const later = deferredChat(deps);
  let acked = false;
  const acknowledge = async (errors?: Record<string, string>) => {
    if (acked) return;
    acked = true;
    await (errors ? ack({ response_action: 'errors', errors }) : ack());
  };
  let result: FormResult;
  let stored: Pebble | undefined;
  try {
    result = await submitForm(
      later.conversation,
      conversationContext(deps, ctx, meta.c),
      formId,
      { n: meta.n },
      values,
      {
        claim: () => ctx.firstDelivery(),
        stored: async (pebble) => {
          stored = pebble;
          await acknowledge();
          // NOTE: Slack waits 3 s for every acknowledgement: requests that arrived meanwhile
          // are acknowledged before the CPU-heavy similar-pebble search runs.
          await yieldToAcks();
        },
        ...(formId === FORMS.report && !meta.n ? { source: await sourceOf(deps, meta) } : {}),
      },
    );
  } catch (error) {
    await acknowledge();
    throw error;
  }
  if (!result.ok) {
    // Refused after the report was stored and acknowledged: the form is gone, say it plainly.
    if (acked) throw new PebbleError('COMMAND.USAGE', Object.values(result.errors).join(' '));
    await acknowledge(result.errors);
    return;
  }
  await acknowledge();
  await later.flush();
  // Answers go in place of the confirmation a revision came from, in the channel a report
  // was made in, or by DM (a button's message may sit in a shared channel); an update takes
  // the place of the message with the buttons.
  const answer: Answer = meta.r
    ? { responseUrl: meta.r, replaceOriginal: true }
    : { user: body.user.id, ...(meta.k && meta.c ? { channel: meta.c } : {}) };
  try {
    await sendOutputs(deps, result.outputs, answer, {
      ...(meta.c && meta.t ? { origin: { channelId: meta.c, ts: meta.t } } : {}),
    });
  } catch (error) {
    if (!stored) throw error;
    // The report is stored (its confirmation may even have reached Slack, its answer lost):
    // never invite the reporter to try again.
    deps.logger.warn({ err: error }, 'could not confirm a report; telling the reporter');
    await deps.followUp
      .say(answer, savedDespiteOutageView(stored, Boolean(ctx.workspace.settings.triageChannel)))
      .catch((sendError: unknown) =>
        deps.logger.warn({ err: sendError }, 'reporter not told; the pebble is stored'),
      );
  }
  // The Home tab's checklist and settings summary show a change at once.
  if (HOME_FORMS.has(formId)) await refreshHome(deps, ctx);
}

/** The forms the Home tab opens to change a setting. */
const HOME_FORMS: ReadonlySet<FormId> = new Set([
  FORMS.settingsTriage,
  FORMS.settingsStages,
  FORMS.settingsNudges,
  FORMS.settingsDigest,
  FORMS.settingsWorkspace,
  FORMS.councilSettings,
]);

/** The forms of every surface, one listener each, all through the conversation layer. */
export function registerForms(r: Registrar, deps: SlackDeps): void {
  for (const [callbackId, formId] of FORM_CALLBACKS)
    r.view(callbackId, (args: ViewArgs) => submitted(deps, formId, args));
}
