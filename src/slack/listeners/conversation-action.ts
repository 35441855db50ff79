import { dispatchAction } from '../../conversation/actions.js';
import type { Output } from '../../conversation/context.js';
import { FORMS } from '../../views/form.view.js';
import { ACTIONS, OVERFLOW_ACTION } from '../../views/actions.js';
import { pebbleContext } from '../context.js';
import { conversationContext, interactiveDeps, sendOutputs } from '../conversation.js';
import type { Answer } from '../follow-up.js';
import { renderForm, renderViewModal, type SlackFormMeta } from '../render-form.js';
import { readAction, type ActionPayload } from './action-payload.js';
import { refreshHome } from './app-home.js';
import type { ActionArgs, Registrar, SlackDeps } from './registry.js';

/**
 * Clicks whose write is stored before their acknowledgement (see ack-after.ts): a +1 is
 * acknowledged as soon as it is stored, a ballot once cast.
 */
const STORED_BEFORE_ACK: ReadonlySet<string> = new Set([ACTIONS.support, ACTIONS.councilBallot]);

/**
 * NOTE: no delivery claim for a ballot: a ballot is idempotent by itself, and a claim key would
 * store who clicked which button next to when, beside the secret ballot.
 */
const UNCLAIMED: ReadonlySet<string> = new Set([ACTIONS.councilBallot]);

/** What a form remembers of the click that opened it (private_metadata). */
function openedFrom(
  action: ActionPayload,
  form: { id: string; meta: { n: number } },
): SlackFormMeta {
  const where: SlackFormMeta = {
    ...(action.channelId ? { c: action.channelId } : {}),
    ...(action.channelId && action.messageTs ? { t: action.messageTs } : {}),
  };
  if (form.id !== FORMS.report) return where;
  // A new report from a button is a "modal" report; a revision updates the confirmation it
  // was opened from, through that message's response_url.
  return {
    ...where,
    k: 'modal',
    ...(form.meta.n && action.responseUrl && action.responseUrl.length <= 1_000
      ? { r: action.responseUrl }
      : {}),
  };
}

/**
 * A button, menu, overflow option or date picker handed to the conversation layer's
 * dispatcher: acknowledged (after its write, for a +1 or a ballot), run once per delivery, its
 * answer sent privately (or in place of the message that carried it) and its form opened on
 * the interaction's trigger, before any slower work.
 */
export function conversationAction(
  deps: SlackDeps,
  actionId: string,
): (args: ActionArgs) => Promise<void> {
  return async ({ ack, body, context }: ActionArgs) => {
    let acked = false;
    const acknowledge = async () => {
      if (acked) return;
      acked = true;
      await ack();
    };
    let outputs: Output[];
    let action: ActionPayload;
    const ctx = pebbleContext(context);
    try {
      action = readAction(body);
      if (!STORED_BEFORE_ACK.has(actionId)) await acknowledge();
      if (!UNCLAIMED.has(actionId) && !(await ctx.firstDelivery())) return;
      outputs = await dispatchAction(
        interactiveDeps(deps),
        conversationContext(deps, ctx, action.channelId),
        actionId,
        action.value,
        { stored: acknowledge },
      );
    } finally {
      await acknowledge();
    }
    const answer: Answer = action.responseUrl
      ? { responseUrl: action.responseUrl }
      : { user: ctx.user.userId, ...(action.channelId ? { channel: action.channelId } : {}) };
    const trigger = action.triggerId;
    // The Home tab has no message to answer in: a pebble shown from it opens in a modal.
    if (trigger && action.container === 'view' && actionId === ACTIONS.show) {
      const shown = outputs.find((o) => o.kind === 'reply');
      if (shown?.kind === 'reply') {
        await deps.gateway.openView(trigger, renderViewModal('Pebble', shown.view));
        return;
      }
    }
    // A click from the Home tab or a modal has no message to update: its update is a new answer.
    const shown = action.responseUrl
      ? outputs
      : outputs.map((o): Output =>
          o.kind === 'update' ? { kind: 'reply', view: o.view, visibility: 'private' } : o,
        );
    await sendOutputs(deps, shown, answer, {
      openForm: async ({ form }) => {
        if (trigger)
          await deps.gateway.openView(trigger, renderForm(form, openedFrom(action, form)));
      },
    });
    if (action.container === 'view' && actionId === ACTIONS.settingsAi)
      await refreshHome(deps, ctx);
  };
}

/**
 * Every button and menu of the catalogue goes to the dispatcher, and so does the overflow menu
 * that carries several of them (its option names the action).
 */
export function registerConversationActions(r: Registrar, deps: SlackDeps): void {
  for (const id of [...Object.values(ACTIONS), OVERFLOW_ACTION])
    r.action(id, conversationAction(deps, id));
}
