import type { FormView } from '../views/form.view.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import type { RenderCardOptions } from './render-card.js';

/** Where an activity came from, in the bot's own terms (no botbuilder types). */
export interface TeamsConversation {
  /** `teams:{tenantId}`: a Teams tenant is a workspace. */
  workspaceId: string;
  tenantId: string;
  /** The conversation without its thread suffix: the channel, group chat or personal chat. */
  conversationId: string;
  /** The full id, with `;messageid=…` when the activity is in a channel thread. */
  threadId: string;
  kind: 'personal' | 'channel' | 'groupChat';
  /** The Microsoft 365 group id of the team, for an activity in a team's channel. */
  teamGroupId?: string;
}

export interface TeamsPerson {
  /** The Bot Framework user id (`29:…`), the id mentions and proactive sends use. */
  userId: string;
  name?: string;
  /** The person's Microsoft Entra object id, when Teams sends it. */
  aadObjectId?: string;
}

interface Origin {
  conversation: TeamsConversation;
  from: TeamsPerson;
}

/**
 * What a person did in Teams, as a neutral shape the conversation layer understands: a typed
 * line (mentions already person tokens), a card action (Action.Execute verb = action id), a
 * dialog asked for, or a dialog's values.
 */
export type TeamsInput =
  | (Origin & { kind: 'message'; text: string; messageId?: string })
  | (Origin & {
      kind: 'action';
      actionId: string;
      value?: string;
      /** Values of the card's inputs (a select's choice under `select:{actionId}`). */
      inputs: Record<string, string>;
      /** `automatic` when Teams asks for a card refresh, `manual` when someone clicked. */
      trigger: 'manual' | 'automatic';
    })
  | (Origin & {
      kind: 'open-form';
      source: 'messageExtension' | 'dialog';
      commandId?: string;
      /** The message a message action was used on ("Report as pebble"). */
      message?: { text: string; link?: string };
      /** The data of the button that asked for the dialog (`action`, `value`). */
      data?: Record<string, unknown>;
    })
  | (Origin & {
      kind: 'submit';
      source: 'messageExtension' | 'dialog';
      commandId?: string;
      values: Record<string, unknown>;
      message?: { text: string; link?: string };
    });

/** What to show in answer, in neutral views; the channel renders and sends it. */
export interface TeamsOutput {
  /** Messages posted in the conversation (a channel reply goes in the thread). */
  replies?: MessageView[];
  /** The refreshed card an action answers with (only its caller sees it). */
  card?: MessageView;
  refresh?: RenderCardOptions['refresh'];
  /** A form shown in place of the card an action came from (only its caller sees it). */
  form?: FormView;
  /** A dialog (task module) to open or to show next: a view, or a form with inputs. */
  dialog?: { title: string; view: MessageView } | { title: string; form: FormView };
  /** A short message closing a dialog, or the answer to an action when there is no card. */
  notice?: string;
}

/** The conversation layer's front door for Teams (injected; the lead wires it). */
export type TeamsActivityHandler = (input: TeamsInput) => Promise<TeamsOutput>;
