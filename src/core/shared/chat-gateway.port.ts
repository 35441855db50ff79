import type { MessageView } from '../ports/message-view.port.js';

/** Where a posted message lives, so it can be updated in place later. */
export interface MessageRef {
  channelId: string;
  /** Slack message ts, Teams activity id. */
  messageId: string;
}

/** Where to send: a channel (or conversation) or one person directly. */
export type ChatTarget =
  /** `threadId`: a reply in the thread of that message (Slack ts), where the platform has threads. */
  { kind: 'channel'; channelId: string; threadId?: string } | { kind: 'dm'; userId: string };

/**
 * How the domain talks to a chat platform. Each platform implements it (Slack, Teams, console);
 * core services and scheduled jobs only ever see this port.
 */
export interface ChatGateway {
  /** Sends a message; `idempotencyKey` lets a platform recognise a repeat of the same send. */
  send(
    workspaceId: string,
    target: ChatTarget,
    view: MessageView,
    idempotencyKey?: string,
  ): Promise<MessageRef>;
  update(workspaceId: string, ref: MessageRef, view: MessageView): Promise<void>;
  /** Uploads a PNG into a channel (or DM); rejects when the platform refuses it. */
  uploadImage(
    workspaceId: string,
    target: ChatTarget,
    image: { data: Buffer; filename: string; title: string; altText: string },
  ): Promise<void>;
  /**
   * Optional: sends a digest with its chart inside the message (a Teams card's image) rather
   * than uploaded after it. `chart` names the digest snapshot the chart is drawn from. Resolves
   * undefined, having sent nothing, when the platform cannot show it now (no public address
   * for images): the digest then goes as on every other platform.
   */
  sendWithChart?(
    workspaceId: string,
    target: ChatTarget,
    view: MessageView,
    chart: { workspaceId: string; period: string; altText: string },
    idempotencyKey?: string,
  ): Promise<MessageRef | undefined>;
  /**
   * Uploads a file (an export) into a channel or DM. Optional: a platform without it cannot
   * deliver exports, and the conversation layer says so.
   */
  uploadFile?(
    workspaceId: string,
    target: ChatTarget,
    file: { data: Buffer; filename: string; title: string; mimeType: string },
  ): Promise<void>;
  /**
   * Looks for a message already sent with this idempotency key (after a crash between sending
   * and recording it). Undefined when the platform cannot tell.
   */
  findSent?(
    workspaceId: string,
    target: ChatTarget,
    idempotencyKey: string,
    since: Date,
  ): Promise<MessageRef | undefined>;
}
