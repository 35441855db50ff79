import {
  ConversationAddressSchema,
  conversationKey,
  type ConversationAddress,
  type ConversationAddressRepository,
} from '../../core/ports/conversations.port.js';
import type { Datastore } from './datastore.js';

function parse(doc: unknown): ConversationAddress | null {
  if (!doc) return null;
  return ConversationAddressSchema.parse(doc);
}

export class NedbConversationAddressRepository implements ConversationAddressRepository {
  constructor(private readonly db: Datastore) {}

  static async indexes(db: Datastore): Promise<void> {
    await db.ensureIndexAsync({ fieldName: ['workspaceId', 'userId'] });
  }

  async save(address: Omit<ConversationAddress, 'blockedAt' | 'blockedReason'>): Promise<void> {
    const { userId, ...rest } = ConversationAddressSchema.parse(address);
    await this.db.updateAsync(
      { _id: conversationKey(address.workspaceId, address.conversationId) },
      {
        $set: { ...rest, ...(userId ? { userId } : {}) },
        $unset: { blockedAt: true, blockedReason: true, ...(userId ? {} : { userId: true }) },
      },
      { upsert: true },
    );
  }

  async byConversation(
    workspaceId: string,
    conversationId: string,
  ): Promise<ConversationAddress | null> {
    return parse(await this.db.findOneAsync({ _id: conversationKey(workspaceId, conversationId) }));
  }

  async byUser(workspaceId: string, userId: string): Promise<ConversationAddress | null> {
    const docs = await this.db
      .findAsync({ workspaceId, userId, kind: 'personal' })
      .sort({ updatedAt: -1 })
      .limit(1);
    return parse(docs[0]);
  }

  async markBlocked(
    workspaceId: string,
    conversationId: string,
    at: Date,
    reason: string,
  ): Promise<boolean> {
    const changed = await this.db.updateAsync(
      { _id: conversationKey(workspaceId, conversationId) },
      { $set: { blockedAt: at, blockedReason: reason.slice(0, 500) } },
      {},
    );
    return (changed as unknown as { numAffected: number }).numAffected > 0;
  }
}
