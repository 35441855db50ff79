import { dispatchAction } from '../../conversation/actions.js';
import { submitForm } from '../../conversation/forms.js';
import { PebbleError } from '../../core/shared/errors.js';
import type { FormId } from '../../views/form.view.js';
import { pebbleContext, type PebbleContext } from '../context.js';
import { conversationContext, sendOutputs } from '../conversation.js';
import { readForm, renderForm } from '../render-form.js';
import { readAction, type ActionPayload } from './action-payload.js';
import type { ActionArgs, SlackDeps, ViewArgs } from './registry.js';

/** What a listener does once the conversation layer's answer is sent (e.g. refresh the Home tab). */
export interface AfterOptions {
  after?: (ctx: PebbleContext, action?: ActionPayload) => Promise<void>;
}

/**
 * A button or menu handed to the conversation layer's dispatcher: acknowledged at once, run
 * once per delivery, its answer sent privately (or in place of the message that carried it)
 * and its form opened on the interaction's trigger.
 */
export function conversationAction(
  deps: SlackDeps,
  actionId: string,
  options: AfterOptions = {},
): (args: ActionArgs) => Promise<void> {
  return async ({ ack, body, context }: ActionArgs) => {
    await ack();
    const ctx = pebbleContext(context);
    const action = readAction(body);
    if (!(await ctx.firstDelivery())) return;
    const outputs = await dispatchAction(
      deps.conversation,
      conversationContext(deps, ctx, action.channelId),
      actionId,
      action.value,
    );
    const answer = action.responseUrl
      ? { responseUrl: action.responseUrl }
      : { user: ctx.user.userId, ...(action.channelId ? { channel: action.channelId } : {}) };
    await sendOutputs(deps, outputs, answer, async ({ form }) => {
      if (action.triggerId) await deps.gateway.openView(action.triggerId, renderForm(form));
    });
    await options.after?.(ctx, action);
  };
}

/**
 * A neutral form's modal submitted: validated and run by the conversation layer before the
 * acknowledgement, so that bad values and refusals show next to their fields and nothing is
 * written; what it answers goes to the person privately.
 */
export function conversationForm(
  deps: SlackDeps,
  formId: FormId,
  options: AfterOptions = {},
): (args: ViewArgs) => Promise<void> {
  return async ({ ack, view, context }: ViewArgs) => {
    const ctx = pebbleContext(context);
    const form = readForm(view);
    if (!form) {
      await ack();
      throw new PebbleError('COMMAND.USAGE', 'That form sent nothing I can use.');
    }
    const result = await submitForm(
      deps.conversation,
      conversationContext(deps, ctx),
      formId,
      form.meta,
      form.values,
    );
    if (!result.ok) {
      await ack({ response_action: 'errors', errors: result.errors });
      return;
    }
    await ack();
    await sendOutputs(deps, result.outputs, { user: ctx.user.userId });
    await options.after?.(ctx);
  };
}
