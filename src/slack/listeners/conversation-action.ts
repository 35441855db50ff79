import { dispatchAction } from '../../conversation/actions.js';
import { pebbleContext } from '../context.js';
import { conversationContext, sendOutputs } from '../conversation.js';
import { renderForm } from '../render-form.js';
import { readAction } from './action-payload.js';
import type { ActionArgs, SlackDeps } from './registry.js';

/**
 * A button or menu handed to the conversation layer's dispatcher: acknowledged at once, run
 * once per delivery, its answer sent privately (or in place of the message that carried it)
 * and its form opened on the interaction's trigger.
 */
export function conversationAction(
  deps: SlackDeps,
  actionId: string,
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
  };
}
