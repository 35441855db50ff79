import type { MessageView } from '../ports/message-view.port.js';
import type { Pebble } from '../pebbles/pebble.model.js';
import type { WorkspaceSettings } from '../workspaces/workspace.model.js';
import type { Improvement } from './improvement.model.js';
import type { Escalation, OwnerNudge } from './nudge.planner.js';

/** How the owner answered being asked to own an improvement. */
export type OwnerAnswer =
  | { kind: 'accepted'; date: string }
  | { kind: 'proposed'; date: string; asked?: string }
  | { kind: 'declined'; reason: string };

/** Why someone no longer owns an improvement. */
export type Release = { kind: 'reassigned'; to: string } | { kind: 'dropped'; reason: string };

/**
 * The messages the improvement use cases and jobs send, as platform-neutral views. Core owns
 * this port; src/views implements it, so the domain decides what to say and when, and the
 * views decide how it looks.
 */
export interface ImprovementNotices {
  /** To the person asked to own it: Accept, Propose another date, Decline. */
  ownerAsked(improvement: Improvement, settings: WorkspaceSettings): MessageView;
  /** To whoever assigned it: the owner's answer. */
  ownerAnswered(improvement: Improvement, ownerId: string, answer: OwnerAnswer): MessageView;
  /** To a former owner. */
  ownerReleased(improvement: Improvement, release: Release): MessageView;
  /** To the owner when someone else moved their promised date. */
  dateChanged(improvement: Improvement, by: string, from: string, to: string): MessageView;
  /** The owner's nudge of the day, with one-click status updates and snoozes. */
  nudge(nudge: OwnerNudge, settings: WorkspaceSettings): MessageView;
  /** To the executive sponsor: reassign, extend or drop. */
  escalation(escalation: Escalation, settings: WorkspaceSettings): MessageView;
  /**
   * To one reporter or supporter once it is done: what changed, who did it, and "Did this fix
   * it for you?". `pebbles` are the linked pebbles this person reported or supported.
   */
  closeTheLoop(
    improvement: Improvement,
    recipient: string,
    pebbles: Pebble[],
    settings: WorkspaceSettings,
  ): MessageView;
}
