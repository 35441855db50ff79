import type { ConversationContext } from '../conversation/context.js';
import type { Output } from '../conversation/context.js';
import type { PebbleContext } from './context.js';
import type { Answer } from './follow-up.js';
import type { SlackDeps } from './listeners/registry.js';

/**
 * The conversation layer's view of a Slack request: the workspace and person the middleware
 * resolved, and what only Slack can answer lazily (a person's profile, joining a channel).
 */
export function conversationContext(
  deps: SlackDeps,
  ctx: PebbleContext,
  where?: string,
): ConversationContext {
  return {
    workspace: ctx.workspace,
    actor: ctx.user,
    channel: 'slack',
    prefix: deps.command,
    ...(where ? { where } : {}),
    resolve: {
      user: async (userId) => {
        const found = await deps.gateway.user(userId);
        return { name: found.name, ...(found.tz ? { tz: found.tz } : {}) };
      },
      join: (channelId) => deps.gateway.join(channelId),
      forgetWorkspace: () => ctx.forgetWorkspace(),
    },
  };
}

/**
 * Sends what the conversation layer answered: replies privately where the request came from
 * (its response_url, or the person), updates in place of the message that carried a button,
 * forms as modals on the interaction's trigger.
 */
export async function sendOutputs(
  deps: SlackDeps,
  outputs: Output[],
  answer: Answer,
  openForm?: (output: Extract<Output, { kind: 'form' }>) => Promise<void>,
): Promise<void> {
  for (const output of outputs) {
    if (output.kind === 'form') await openForm?.(output);
    else if (output.kind === 'update' && 'responseUrl' in answer)
      await deps.followUp.say({ ...answer, replaceOriginal: true }, output.view);
    else await deps.followUp.say(answer, output.view);
  }
}
