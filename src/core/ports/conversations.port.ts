import { z } from 'zod';

/**
 * Where a proactive message can reach someone: a Teams conversation reference (plain JSON,
 * as botbuilder's `TurnContext.getConversationReference` gives it), saved when the bot is
 * installed or first spoken to. A person is reached through their personal chat with the bot,
 * a channel or group chat through its own reference.
 */
export const ConversationAddressSchema = z.object({
  workspaceId: z.string().min(1),
  /** The conversation id without a thread suffix (`;messageid=…`). */
  conversationId: z.string().min(1),
  kind: z.enum(['personal', 'channel', 'groupChat']),
  /** For a personal chat: the person it reaches (the platform's user id). */
  userId: z.string().min(1).optional(),
  /** The platform's conversation reference, stored as given (validated again on use). */
  reference: z.record(z.string(), z.unknown()),
  updatedAt: z.coerce.date(),
  /** Set when the platform refused a send for good (blocked, uninstalled); cleared on reinstall. */
  blockedAt: z.coerce.date().optional(),
  blockedReason: z.string().max(500).optional(),
});
export type ConversationAddress = z.infer<typeof ConversationAddressSchema>;

export interface ConversationAddressRepository {
  /**
   * Saves (or refreshes) a conversation's address. A save means the bot is installed and
   * reachable there again, so it clears a previous block.
   */
  save(address: Omit<ConversationAddress, 'blockedAt' | 'blockedReason'>): Promise<void>;
  byConversation(workspaceId: string, conversationId: string): Promise<ConversationAddress | null>;
  /** The personal chat of a person, if they ever installed the bot or wrote to it. */
  byUser(workspaceId: string, userId: string): Promise<ConversationAddress | null>;
  /** Stops sends to a conversation until it is saved again; false when it is unknown. */
  markBlocked(
    workspaceId: string,
    conversationId: string,
    at: Date,
    reason: string,
  ): Promise<boolean>;
}

/** The one identity of an address in every adapter. */
export function conversationKey(workspaceId: string, conversationId: string): string {
  return `${workspaceId}|${conversationId}`;
}
