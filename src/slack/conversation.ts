import type { ConversationContext, ConversationDeps, Output } from '../conversation/context.js';
import type { ChatGateway } from '../core/shared/chat-gateway.port.js';
import type { PebbleContext } from './context.js';
import type { Answer } from './follow-up.js';
import type { PostedMessage } from './gateway.js';
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
 * (its response_url, or the person), updates in place of the message that carried a button
 * (its response_url, or `origin` when the answer comes from a form opened from it; with
 * neither, the form closing is the answer), forms as modals on the interaction's trigger.
 */
export async function sendOutputs(
  deps: SlackDeps,
  outputs: Output[],
  answer: Answer,
  options: {
    openForm?: (output: Extract<Output, { kind: 'form' }>) => Promise<void>;
    origin?: PostedMessage;
  } = {},
): Promise<void> {
  for (const output of outputs) {
    if (output.kind === 'form') await options.openForm?.(output);
    else if (output.kind === 'update' && 'responseUrl' in answer)
      await deps.followUp.say({ ...answer, replaceOriginal: true }, output.view);
    else if (output.kind === 'update') {
      if (options.origin)
        await deps.gateway.update(options.origin, output.view).catch((error: unknown) => {
          deps.logger.warn({ err: error }, 'could not update the message a form came from');
        });
    } else await deps.followUp.say(answer, output.view);
  }
}

/**
 * The conversation deps of a click or a form: triage card updates and notices to people go
 * through the client that answers people, as the answer itself does, not through the outbox's
 * client, whose per-channel pacing suits scheduled messages but would hold a click's card
 * update back behind them. Messages to channels and uploads stay with the outbox's client.
 */
export function interactiveDeps(deps: SlackDeps): ConversationDeps {
  const outbox = deps.conversation.chat;
  if (!outbox) return deps.conversation;
  const chat: ChatGateway = {
    send: async (workspaceId, target, view, key) => {
      if (target.kind !== 'dm') return outbox.send(workspaceId, target, view, key);
      await deps.gateway.dm(target.userId, view);
      return { channelId: target.userId, messageId: '' };
    },
    update: (_workspaceId, ref, view) =>
      deps.gateway.update({ channelId: ref.channelId, ts: ref.messageId }, view),
    uploadImage: (workspaceId, target, image) => outbox.uploadImage(workspaceId, target, image),
  };
  return { ...deps.conversation, chat };
}

/**
 * The conversation deps of a request acknowledged only once its write is done: the messages
 * the layer sends on the way (triage card updates, notices) wait in order for `flush`, called
 * after the acknowledgement, so no Web API call stands between the write and the ack.
 * NOTE: the layer never reads what these sends return (refs of notices), so a placeholder is
 * handed back at once; a failed send is logged, as the layer itself does.
 */
export function deferredChat(deps: SlackDeps): {
  conversation: ConversationDeps;
  flush: () => Promise<void>;
} {
  const conversation = interactiveDeps(deps);
  const chat = conversation.chat;
  if (!chat) return { conversation, flush: () => Promise.resolve() };
  const queue: (() => Promise<unknown>)[] = [];
  const later: ChatGateway = {
    send: (workspaceId, target, view, key) => {
      queue.push(() => chat.send(workspaceId, target, view, key));
      const channelId = target.kind === 'dm' ? target.userId : target.channelId;
      return Promise.resolve({ channelId, messageId: '' });
    },
    update: (workspaceId, ref, view) => {
      queue.push(() => chat.update(workspaceId, ref, view));
      return Promise.resolve();
    },
    uploadImage: (workspaceId, target, image) => {
      queue.push(() => chat.uploadImage(workspaceId, target, image));
      return Promise.resolve();
    },
  };
  return {
    conversation: { ...conversation, chat: later },
    flush: async () => {
      for (const send of queue.splice(0))
        await send().catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'message after a form not delivered'),
        );
    },
  };
}
