import { shortId, type Pebble } from '../core/pebbles/pebble.model.js';
import type { OutboxMessage } from '../core/shared/outbox.port.js';
import type { MessageRef } from '../core/shared/chat-gateway.port.js';
import type { Workspace } from '../core/workspaces/workspace.model.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import { triageCardView } from '../views/triage.view.js';
import type { ConversationDeps } from './context.js';

/** Outbox kind of a pebble's triage card; its delivery records where the card was posted. */
export const TRIAGE_CARD_KIND = 'pebble.triage-card';

/** The outbox key of a pebble's triage card: one card per pebble, however often it is asked for. */
export function triageCardKey(workspaceId: string, number: number): string {
  return `triage-card:${workspaceId}:${number}`;
}

/**
 * The steps that follow a change, whatever the channel: the triage card and its updates. A new
 * card is owed to the triage channel, so it goes through the outbox: an outage delays it but
 * never drops it. (Notices to the people concerned are core's to queue, in the outbox too.)
 */
export class Cards {
  constructor(private readonly deps: ConversationDeps) {}

  /** Queues a new pebble's card for the triage channel (when one is set). */
  async post(workspace: Workspace, pebble: Pebble): Promise<void> {
    const channelId = workspace.settings.triageChannel;
    if (!channelId) return;
    try {
      await this.deps.services.outbox.enqueue({
        key: triageCardKey(workspace.id, pebble.number),
        workspaceId: workspace.id,
        kind: TRIAGE_CARD_KIND,
        target: { kind: 'channel', channelId },
        view: triageCardView(pebble, workspace.settings),
      });
    } catch (error) {
      // The pebble is stored: the reporter is still confirmed, the card is logged as missing.
      this.deps.log?.warn(
        { err: error, pebble: shortId(pebble.number) },
        'could not queue the triage card',
      );
    }
  }

  /**
   * Call once the report is acknowledged and confirmed: looks for an AI triage suggestion and a
   * resolved pebble this one repeats, in the background, then updates the card in place. A
   * card still waiting in the outbox is brought up to date on delivery instead (`delivered`).
   */
  assist(workspace: Workspace, pebble: Pebble): void {
    this.deps.services.assist.later(workspace, pebble, (updated) =>
      this.refresh(workspace, updated),
    );
  }

  /** Updates the pebble's triage card in place, or replaces it with another view. */
  async refresh(workspace: Workspace, pebble: Pebble, view?: MessageView): Promise<void> {
    const chat = this.deps.chat;
    if (!pebble.triageCard || !chat) return;
    try {
      await chat.update(
        workspace.id,
        { channelId: pebble.triageCard.channelId, messageId: pebble.triageCard.ts },
        view ?? triageCardView(pebble, workspace.settings),
      );
    } catch (error) {
      this.deps.log?.warn(
        { err: error, pebble: shortId(pebble.number) },
        'could not update the triage card',
      );
    }
  }

  /**
   * What follows the delivery of a triage card (register it with `outbox.onDelivered`): it
   * records where the card was posted, and brings the card up to date when the pebble changed
   * while the card waited (a +1 during an outage).
   */
  delivered(): (message: OutboxMessage, ref: MessageRef) => Promise<void> {
    return async (message, ref) => {
      const { services } = this.deps;
      const number = Number(message.key.slice(message.key.lastIndexOf(':') + 1));
      const workspace = await services.workspaces.get(message.workspaceId);
      const pebble = await services.pebbles.setTriageCard(workspace, number, {
        channelId: ref.channelId,
        ts: ref.messageId,
      });
      if (!pebble) return;
      const changed = pebble.history.some(
        (h) => h.at.getTime() > message.createdAt.getTime() && h.action !== 'triage-card',
      );
      if (changed) await this.refresh(workspace, pebble);
    };
  }
}
