import { z } from 'zod';
import type { MessageView } from '../ports/message-view.port.js';
import type { ChatTarget, MessageRef } from './chat-gateway.port.js';

const ButtonViewSchema = z.object({
  label: z.string(),
  actionId: z.string(),
  value: z.string().optional(),
  style: z.enum(['primary', 'danger']).optional(),
  url: z.string().optional(),
});
const OptionViewSchema = z.object({ label: z.string(), value: z.string() });
const SelectViewSchema = z.object({
  placeholder: z.string(),
  actionId: z.string(),
  options: z.array(OptionViewSchema).optional(),
  groups: z.array(z.object({ label: z.string(), options: z.array(OptionViewSchema) })).optional(),
  initial: z.string().optional(),
});
const BlockViewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), text: z.string() }),
  z.object({
    type: z.literal('section'),
    text: z.string(),
    fields: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
    button: ButtonViewSchema.optional(),
  }),
  z.object({ type: z.literal('context'), text: z.string() }),
  z.object({
    type: z.literal('actions'),
    buttons: z.array(ButtonViewSchema),
    selects: z.array(SelectViewSchema).optional(),
  }),
  z.object({ type: z.literal('divider') }),
]);

/** A platform-neutral message as the outbox stores it (parsed again on the way out). */
export const MessageViewSchema = z.object({
  text: z.string(),
  blocks: z.array(BlockViewSchema),
}) satisfies z.ZodType<MessageView>;

export const ChatTargetSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('channel'),
    channelId: z.string().min(1),
    threadId: z.string().min(1).optional(),
  }),
  z.object({ kind: z.literal('dm'), userId: z.string().min(1) }),
]) satisfies z.ZodType<ChatTarget>;

/** What a message is for; metrics and logs group by it. */
export const OutboxKindSchema = z.string().min(1).max(64);

/**
 * A message decided by the domain and not yet (or already) delivered. The idempotency key is
 * its identity: a second enqueue with the same key is a no-op, so a retried tick, a second
 * replica or a re-run after a crash never decides the same message twice.
 */
export const OutboxMessageSchema = z.object({
  key: z.string().min(1).max(512),
  workspaceId: z.string().min(1),
  kind: OutboxKindSchema,
  target: ChatTargetSchema,
  view: MessageViewSchema,
  /** pending: waiting; sending: claimed by a worker; sent: delivered; failed: given up. */
  status: z.enum(['pending', 'sending', 'sent', 'failed']),
  attempts: z.number().int().min(0),
  /** Not sent before this time (retry back-off, Retry-After, a chosen send time). */
  nextAttemptAt: z.coerce.date(),
  lockedBy: z.string().optional(),
  lockedUntil: z.coerce.date().optional(),
  /** Set on a claim of a message whose previous worker vanished mid-send. */
  recovered: z.boolean().optional(),
  createdAt: z.coerce.date(),
  sentAt: z.coerce.date().optional(),
  /** Where it was posted (channel, message id), to update it later. */
  ref: z.object({ channelId: z.string(), messageId: z.string() }).optional(),
  lastError: z.string().max(1_000).optional(),
});
export type OutboxMessage = z.infer<typeof OutboxMessageSchema>;

/** A message the domain wants delivered exactly once. */
export interface OutgoingMessage {
  /** Idempotency key, e.g. `nudge:{workspace}:{owner}:{date}`. */
  key: string;
  workspaceId: string;
  kind: string;
  target: ChatTarget;
  view: MessageView;
  /** Not before this time (default: now). */
  notBefore?: Date;
}

/** What runs once a message of a kind has reached the platform (see OutboxPort.onDelivered). */
export type DeliveredHandler = (message: OutboxMessage, ref: MessageRef) => Promise<void>;

/** How the domain hands messages to the outbox; delivery happens elsewhere, exactly once. */
export interface OutboxPort {
  /** Records the message; false when a message with this key was already recorded. */
  enqueue(message: OutgoingMessage): Promise<boolean>;
  /**
   * Registers what follows the delivery of one kind of message (where it was posted, to
   * update it in place later). One handler per kind. It runs before the message is recorded
   * as sent, so it may run again for a message found already delivered: make it idempotent.
   * With `platform` (`slack`, `teams`: a workspace id's prefix), it runs only for that
   * platform's workspaces, before any handler registered without one: a process serving two
   * platforms keeps each one's follow-up on its own gateway.
   */
  onDelivered(kind: string, handler: DeliveredHandler, platform?: string): void;
  /**
   * Puts the given-up messages of these kinds to one channel back in line, to be delivered
   * now, once each (see OutboxRepository.reopenChannel). Returns how many.
   */
  reopenChannel(workspaceId: string, channelId: string, kinds: string[]): Promise<number>;
}

/**
 * A send that failed in a way the platform could describe: `retryAfterMs` when it asked us to
 * wait (HTTP 429 Retry-After), `permanent` when retrying cannot help (user gone, bot removed).
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly permanent: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: { permanent?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.permanent = options.permanent ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}
