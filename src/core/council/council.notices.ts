import type { MessageView } from '../ports/message-view.port.js';
import type { Improvement } from '../improvements/improvement.model.js';
import type { Pebble } from '../pebbles/pebble.model.js';
import type { WorkspaceSettings } from '../workspaces/workspace.model.js';
import type { Vote } from './council.model.js';

/** How far an open vote has come; never who chose what. */
export interface VoteProgress {
  /** Members who cast a ballot for an option. */
  voted: number;
  recused: number;
}

/** Who a notice about a pebble is for. */
export type Recipient = 'reporter' | 'supporter';

/**
 * The messages of the council flow as platform-neutral views. Core owns this port and decides
 * what is said to whom and when; src/views/council.view.ts decides how it looks.
 */
export interface CouncilNotices {
  /** The proposal in the council channel: pebbles, options, deadline, turnout, then the result. */
  voteMessage(
    vote: Vote,
    pebbles: Pebble[],
    progress: VoteProgress,
    settings: WorkspaceSettings,
  ): MessageView;
  /** To reporters and supporters: the pebble is going to the council. */
  proposed(vote: Vote, pebble: Pebble, recipient: Recipient): MessageView;
  /** To a member who has not voted, 24 hours before the deadline. */
  reminder(vote: Vote, pebbles: Pebble[], settings: WorkspaceSettings): MessageView;
  /** To the sponsor: the council could not decide; decide with the buttons. */
  escalation(vote: Vote, pebbles: Pebble[], settings: WorkspaceSettings): MessageView;
  /** To the council channel when there is no sponsor to escalate to. */
  escalationWithoutSponsor(vote: Vote, pebbles: Pebble[], settings: WorkspaceSettings): MessageView;
  /** To reporters and supporters: what the council decided about their pebbles. */
  decided(vote: Vote, pebbles: Pebble[], recipient: Recipient): MessageView;
  /** To the reporter, privately: the council needs more information. */
  needInfo(vote: Vote, pebble: Pebble): MessageView;
  /** To the council channel: a planned improvement needs an owner. */
  ownerWanted(vote: Vote, improvement: Improvement): MessageView;
  /** To the council channel: "Fix now" is over the WIP limit: displace one, or queue it. */
  wipQuestion(vote: Vote, active: Improvement[], settings: WorkspaceSettings): MessageView;
}

/** Who the council looks up members of a user group with (Slack user groups). */
export interface CouncilDirectory {
  groupMembers(groupId: string): Promise<{ userId: string; name?: string }[]>;
}
