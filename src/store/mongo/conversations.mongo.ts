import type { Collection } from 'mongodb';
import {
  ConversationAddressSchema,
  conversationKey,
  type ConversationAddress,
  type ConversationAddressRepository,
} from '../../core/ports/conversations.port.js';
import { guard } from './mongo.errors.js';

export type ConversationAddressDoc = ConversationAddress & { _id: string };

function parse(doc: ConversationAddressDoc | null): ConversationAddress | null {
  if (!doc) return null;
  const { _id, ...rest } = doc;
  return ConversationAddressSchema.parse(rest);
}

export class MongoConversationAddressRepository implements ConversationAddressRepository {
  constructor(private readonly db: Collection<ConversationAddressDoc>) {}

  static async indexes(db: Collection<ConversationAddressDoc>): Promise<void> {
    await db.createIndex({ workspaceId: 1, userId: 1 });
  }

  save(address: Omit<ConversationAddress, 'blockedAt' | 'blockedReason'>): Promise<void> {
    return guard(async () => {
      const { userId, ...rest } = ConversationAddressSchema.parse(address);
      await this.db.updateOne(
        { _id: conversationKey(address.workspaceId, address.conversationId) },
        {
          $set: { ...rest, ...(userId ? { userId } : {}) },
          $unset: { blockedAt: '', blockedReason: '', ...(userId ? {} : { userId: '' }) },
        },
        { upsert: true },
      );
    });
  }

  byConversation(workspaceId: string, conversationId: string): Promise<ConversationAddress | null> {
    return guard(async () =>
      parse(await this.db.findOne({ _id: conversationKey(workspaceId, conversationId) })),
    );
  }

  byUser(workspaceId: string, userId: string): Promise<ConversationAddress | null> {
    return guard(async () =>
      parse(
        await this.db.findOne(
          { workspaceId, userId, kind: 'personal' },
          { sort: { updatedAt: -1 } },
        ),
      ),
    );
  }

  markBlocked(
    workspaceId: string,
    conversationId: string,
    at: Date,
    reason: string,
  ): Promise<boolean> {
    return guard(async () => {
      const result = await this.db.updateOne(
        { _id: conversationKey(workspaceId, conversationId) },
        { $set: { blockedAt: at, blockedReason: reason.slice(0, 500) } },
      );
      return result.matchedCount > 0;
    });
  }
}
