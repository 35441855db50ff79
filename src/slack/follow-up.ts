import { setImmediate as yieldToAcks } from 'node:timers/promises';
import { shortId, type Pebble } from '../core/pebbles/pebble.model.js';
import type { ReportResult } from '../core/pebbles/pebble.service.js';
import { TRIAGE_CARD_KIND, type Cards } from '../conversation/cards.js';
import type { Workspace } from '../core/workspaces/workspace.model.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import { confirmationView } from '../views/pebble.view.js';
import { savedDespiteOutageView } from '../views/report.view.js';
import { triageCardView } from '../views/triage.view.js';
import { slackErrorCode, type SlackGateway } from './gateway.js';

/** Where a private answer goes: an interaction's response_url, or a user (in a channel or by DM). */
export type Answer =
  { responseUrl: string; replaceOriginal?: boolean } | { user: string; channel?: string };

/** Outbox kind of the public "P-n recorded" reply in the thread of a reported message. */
export const THREAD_REPLY_KIND = 'pebble.thread-reply';

/**
 * The steps that follow a change, shared by every way in: the private confirmation of a report
 * (with similar pebbles), the triage card and its updates, and notices to the people concerned.
 * All of it runs after the acknowledgement. Messages the bot owes to a channel (triage cards,
 * replies in threads) go through the outbox, so a Slack outage delays them but never drops them.
 */
export class FollowUp {
  constructor(
    private readonly services: Services,
    private readonly gateway: SlackGateway,
    private readonly logger: Logger,
    private readonly cards: Cards,
  ) {
    services.outbox.onDelivered(TRIAGE_CARD_KIND, cards.delivered());
  }

  /** Sends a private answer. */
  async say(answer: Answer, view: MessageView): Promise<void> {
    if ('responseUrl' in answer) {
      await this.gateway.respond(answer.responseUrl, view, {
        replaceOriginal: answer.replaceOriginal ?? false,
      });
    } else {
      await this.gateway.tell(answer.user, view, answer.channel);
    }
  }

  /**
   * After a report: confirm privately (offering similar open pebbles), then post to triage.
   * Never throws: the pebble is stored, so the reporter must not be invited to try again; when
   * the confirmation cannot be shown they are told, if Slack lets us, what did happen.
   */
  async afterReport(workspace: Workspace, result: ReportResult, answer: Answer): Promise<void> {
    const { pebble, truncated } = result;
    this.logger.info(
      { pebble: shortId(pebble.number), source: pebble.source.kind },
      'pebble reported',
    );
    await this.cards.post(workspace, pebble);
    try {
      // NOTE: Slack waits 3 s for every acknowledgement: requests that arrived meanwhile are
      // acknowledged before each CPU-heavy step (the similar-pebble search) runs.
      await yieldToAcks();
      const similar = await this.services.pebbles.findSimilar(workspace, pebble);
      await this.say(answer, confirmationView(pebble, similar, { truncated }));
    } catch (error) {
      this.logger.warn(
        { err: error, code: slackErrorCode(error), pebble: shortId(pebble.number) },
        'could not confirm a report; telling the reporter it was saved',
      );
      await this.say(
        answer,
        savedDespiteOutageView(pebble, Boolean(workspace.settings.triageChannel)),
      ).catch((sendError: unknown) =>
        this.logger.warn(
          { err: sendError, code: slackErrorCode(sendError), pebble: shortId(pebble.number) },
          'reporter not told; the pebble is stored',
        ),
      );
    }
    // After the ack and the confirmation: the model never holds up either.
    this.cards.assist(workspace, pebble);
  }

  /** Queues a new pebble's card for the triage channel (when one is set). */
  postTriageCard(workspace: Workspace, pebble: Pebble): Promise<void> {
    return this.cards.post(workspace, pebble);
  }

  /** Queues the public reply in the thread of the message a pebble was reported from. */
  async replyInThread(
    workspace: Workspace,
    pebble: Pebble,
    channel: string,
    threadTs: string,
    view: MessageView,
  ): Promise<void> {
    await this.services.outbox.enqueue({
      key: `thread-reply:${workspace.id}:${pebble.number}`,
      workspaceId: workspace.id,
      kind: THREAD_REPLY_KIND,
      target: { kind: 'channel', channelId: channel, threadId: threadTs },
      view,
    });
  }

  /** Updates the pebble's triage card in place, or replaces it with another view. */
  async refreshCard(workspace: Workspace, pebble: Pebble, view?: MessageView): Promise<void> {
    if (!pebble.triageCard) return;
    try {
      await this.gateway.update(
        pebble.triageCard,
        view ?? triageCardView(pebble, workspace.settings),
      );
    } catch (error) {
      this.logger.warn(
        { err: error, code: slackErrorCode(error), pebble: shortId(pebble.number) },
        'could not update the triage card',
      );
    }
  }

  /** Direct messages to each person; one failing does not stop the others. */
  async notify(
    users: string[],
    viewFor: (user: string) => MessageView,
    pebble: Pebble,
  ): Promise<void> {
    let failed = 0;
    for (const user of users) {
      try {
        await this.gateway.dm(user, viewFor(user));
      } catch (error) {
        failed++;
        this.logger.warn(
          { err: error, code: slackErrorCode(error), pebble: shortId(pebble.number) },
          'notice not delivered',
        );
      }
    }
    this.logger.info(
      { pebble: shortId(pebble.number), told: users.length - failed, failed },
      'people told',
    );
  }
}
