import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChatGateway, ChatTarget, MessageRef } from '../core/shared/chat-gateway.port.js';
import type { ButtonView, MessageView } from '../core/ports/message-view.port.js';
import { renderText, type TokenText } from './render-text.js';

export interface ConsoleGatewayOptions {
  write: (text: string) => void;
  /** `@ana`, `#council`: how a person or channel id reads here. */
  personText: (userId: string) => string;
  channelText: (channelId: string) => string;
  token: TokenText;
  commandFor: (button: ButtonView) => string | undefined;
  /** Where digest charts are written. */
  chartDir: string;
  /** Where exports are written (DATA_DIR/exports). */
  exportDir?: string;
}

/**
 * Proactive messages in the terminal, as each person would receive them: `→ DM to @ben: …`,
 * `→ #council: …`. The outbox and the council deliver through it exactly as through Slack.
 */
export class ConsoleGateway implements ChatGateway {
  private next = 0;
  constructor(private readonly options: ConsoleGatewayOptions) {}

  private where(target: ChatTarget): string {
    if (target.kind === 'dm') return `DM to ${this.options.personText(target.userId)}`;
    const channel = this.options.channelText(target.channelId);
    return target.threadId ? `${channel} (in the thread)` : channel;
  }

  private render(view: MessageView): string {
    return renderText(view, this.options.commandFor, this.options.token)
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n');
  }

  send(_workspaceId: string, target: ChatTarget, view: MessageView): Promise<MessageRef> {
    this.options.write(`→ ${this.where(target)}:\n${this.render(view)}`);
    const channelId = target.kind === 'dm' ? `dm:${target.userId}` : target.channelId;
    return Promise.resolve({ channelId, messageId: String(++this.next) });
  }

  update(_workspaceId: string, ref: MessageRef, view: MessageView): Promise<void> {
    // Messages change in place on chat platforms; here the new version's first line is enough.
    const where = ref.channelId.startsWith('dm:')
      ? `DM to ${this.options.personText(ref.channelId.slice(3))}`
      : this.options.channelText(ref.channelId);
    const first = renderText(
      { text: view.text, blocks: view.blocks.slice(0, 1) },
      () => undefined,
      this.options.token,
    ).split('\n')[0];
    this.options.write(`↻ ${where} (message ${ref.messageId} updated): ${first ?? view.text}`);
    return Promise.resolve();
  }

  uploadImage(
    _workspaceId: string,
    target: ChatTarget,
    image: { data: Buffer; filename: string; title: string; altText: string },
  ): Promise<void> {
    mkdirSync(this.options.chartDir, { recursive: true });
    const file = path.resolve(this.options.chartDir, image.filename);
    writeFileSync(file, image.data);
    this.options.write(`→ ${this.where(target)}: chart "${image.title}" written to ${file}`);
    return Promise.resolve();
  }

  uploadFile(
    _workspaceId: string,
    target: ChatTarget,
    file: { data: Buffer; filename: string; title: string; mimeType: string },
  ): Promise<void> {
    const dir = this.options.exportDir ?? path.join(path.dirname(this.options.chartDir), 'exports');
    mkdirSync(dir, { recursive: true });
    const written = path.resolve(dir, path.basename(file.filename));
    writeFileSync(written, file.data, { mode: 0o600 });
    this.options.write(`→ ${this.where(target)}: file "${file.title}" written to ${written}`);
    return Promise.resolve();
  }
}
