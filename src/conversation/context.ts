import type { ChatGateway } from '../core/shared/chat-gateway.port.js';
import type { Workspace } from '../core/workspaces/workspace.model.js';
import type { UserContext } from '../core/workspaces/workspace.service.js';
import type { Services } from '../services.js';
import type { FormView } from '../views/form.view.js';
import type { MessageView } from '../core/ports/message-view.port.js';

/** The chat platforms the conversation layer serves. */
export type ChannelName = 'slack' | 'teams' | 'console';

/**
 * What a channel knows that the layer may ask for, lazily: the actor's admin role (Slack asks
 * users.info only when a command needs it), a person's profile (owners' time zones), joining a
 * channel before posting there.
 */
export interface Resolver {
  role?(): Promise<UserContext>;
  user?(userId: string): Promise<{ name?: string; tz?: string } | undefined>;
  /** Joins a channel; false when the bot must be invited (a private channel). */
  join?(channelId: string): Promise<boolean>;
  /** The workspace settings changed: drop any cached copy. */
  forgetWorkspace?(): void;
}

/** Who asks, where, through which channel. */
export interface ConversationContext {
  workspace: Workspace;
  actor: UserContext;
  channel: ChannelName;
  /** How the channel prefixes commands in examples (`/pebble` on Slack, nothing in the console). */
  prefix?: string;
  /** The platform's conversation the request came from (a report remembers where it was made). */
  where?: string;
  resolve?: Resolver;
}

/** What the layer hands back for the channel to render and send. */
export type Output =
  /** An answer to the person who asked (private: only they see it). */
  | { kind: 'reply'; view: MessageView; visibility: 'private' | 'public' }
  /** Replaces the message that carried the button. */
  | { kind: 'update'; view: MessageView }
  /** Opens a form (Slack modal, Teams dialog, console prompt). */
  | { kind: 'form'; form: FormView };

/** What the layer needs: the services, and the platform's gateway for cards and notices. */
export interface ConversationDeps {
  services: Services;
  /** Posts triage cards and tells people (the same port the outbox delivers through). */
  chat?: ChatGateway;
  log?: {
    info(fields: Record<string, unknown>, message: string): void;
    warn(fields: Record<string, unknown>, message: string): void;
  };
}

export const reply = (view: MessageView): Output => ({
  kind: 'reply',
  view,
  visibility: 'private',
});
export const update = (view: MessageView): Output => ({ kind: 'update', view });

/** The actor with their admin role resolved (once per request, by the channel). */
export async function withRole(ctx: ConversationContext): Promise<UserContext> {
  return (await ctx.resolve?.role?.()) ?? ctx.actor;
}
