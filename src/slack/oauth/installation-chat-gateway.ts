import type { webApi } from '@slack/bolt';
import type { ChatGateway, ChatTarget, MessageRef } from '../../core/shared/chat-gateway.port.js';
import { DeliveryError } from '../../core/shared/outbox.port.js';
import type { Logger } from '../../logger.js';
import type { MessageView } from '../../core/ports/message-view.port.js';
import { createSlackChatGateway, type SlackChatGateway } from '../chat-gateway.js';
import type { Installations } from './installations.js';

/** How long a message owed to an uninstalled workspace waits before it is looked at again. */
const NOT_INSTALLED_RETRY_MS = 60 * 60_000;

/**
 * The ChatGateway of OAuth mode: each workspace's messages go out with its own installation's
 * token (an org's for a workspace of an org-wide install), through one Slack gateway per
 * token, so per-channel pacing and 429 pauses stay per workspace. A workspace without an
 * installation (uninstalled) gets nothing: its messages wait in the outbox, never sent with an
 * old token, and go out if it is installed again.
 */
export class InstallationChatGateway implements ChatGateway {
  private readonly gateways = new Map<string, SlackChatGateway>();

  constructor(
    private readonly installations: Installations,
    private readonly clientOptions: webApi.WebClientOptions,
    private readonly logger: Logger,
  ) {}

  async send(
    workspaceId: string,
    target: ChatTarget,
    view: MessageView,
    idempotencyKey?: string,
  ): Promise<MessageRef> {
    return (await this.gatewayOf(workspaceId)).send(workspaceId, target, view, idempotencyKey);
  }

  async update(workspaceId: string, ref: MessageRef, view: MessageView): Promise<void> {
    await (await this.gatewayOf(workspaceId)).update(workspaceId, ref, view);
  }

  async uploadImage(
    workspaceId: string,
    target: ChatTarget,
    image: { data: Buffer; filename: string; title: string; altText: string },
  ): Promise<void> {
    await (await this.gatewayOf(workspaceId)).uploadImage(workspaceId, target, image);
  }

  async uploadFile(
    workspaceId: string,
    target: ChatTarget,
    file: { data: Buffer; filename: string; title: string; mimeType: string },
  ): Promise<void> {
    await (await this.gatewayOf(workspaceId)).uploadFile(workspaceId, target, file);
  }

  async findSent(
    workspaceId: string,
    target: ChatTarget,
    idempotencyKey: string,
    since: Date,
  ): Promise<MessageRef | undefined> {
    return (await this.gatewayOf(workspaceId)).findSent(workspaceId, target, idempotencyKey, since);
  }

  /** The gateway of a token, e.g. to welcome the installer right after the install. */
  forToken(token: string): SlackChatGateway {
    let gateway = this.gateways.get(token);
    if (!gateway) {
      gateway = createSlackChatGateway(token, this.clientOptions, this.logger);
      this.gateways.set(token, gateway);
    }
    return gateway;
  }

  /** Drops the gateway of a token that is no longer valid (uninstall). */
  forget(token: string): void {
    this.gateways.delete(token);
  }

  private async gatewayOf(workspaceId: string): Promise<SlackChatGateway> {
    const teamId = workspaceId.startsWith('slack:') ? workspaceId.slice('slack:'.length) : '';
    const installation = teamId ? await this.installations.forTeam(teamId) : undefined;
    if (!installation)
      throw new DeliveryError(`Pebblebot is not installed in ${workspaceId}`, {
        retryAfterMs: NOT_INSTALLED_RETRY_MS,
      });
    return this.forToken(installation.botToken);
  }
}
