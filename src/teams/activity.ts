import { z } from 'zod';
import { channel, person } from '../views/tokens.js';
import type { TeamsConversation, TeamsPerson } from './teams-io.js';

/**
 * The fields every activity must have before botbuilder sees it.
 * NOTE: a missing `channelId` or `serviceUrl` throws inside botbuilder and becomes a 500;
 * checked here, it is a 400 with a message.
 */
export const ActivitySchema = z.looseObject({
  type: z.string().min(1).max(64),
  id: z.string().max(1_024).optional(),
  name: z.string().max(256).optional(),
  // Not pinned to a host list: Teams uses regional hosts and sovereign clouds differ; the
  // token's serviceurl claim must match it instead.
  serviceUrl: z.url({ protocol: /^https?$/ }).max(2_048),
  channelId: z.string().min(1).max(64),
  conversation: z.looseObject({
    id: z.string().min(1).max(1_024),
    conversationType: z.string().max(64).optional(),
    tenantId: z.string().max(128).optional(),
    isGroup: z.boolean().optional(),
  }),
  from: z.looseObject({
    id: z.string().min(1).max(1_024),
    name: z.string().max(1_024).optional(),
    aadObjectId: z.string().max(128).optional(),
  }),
  recipient: z.looseObject({ id: z.string().max(1_024), name: z.string().optional() }).optional(),
  text: z.string().max(100_000).optional(),
  value: z.unknown().optional(),
  action: z.string().max(64).optional(),
  entities: z.array(z.looseObject({ type: z.string().max(64).optional() })).optional(),
  membersAdded: z.array(z.looseObject({ id: z.string() })).optional(),
  membersRemoved: z.array(z.looseObject({ id: z.string() })).optional(),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: z.string().max(128) }).optional(),
      team: z
        .looseObject({
          id: z.string().max(1_024).optional(),
          aadGroupId: z.string().max(128).optional(),
        })
        .optional(),
    })
    .optional(),
});
export type ParsedActivity = z.infer<typeof ActivitySchema>;

/** `Action.Execute` as Teams invokes it (`adaptiveCard/action`). */
export const CardActionSchema = z.looseObject({
  action: z.looseObject({
    type: z.literal('Action.Execute'),
    verb: z.string().min(1).max(256),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
  trigger: z.enum(['manual', 'automatic']).optional(),
});

/** A dialog or message-extension invoke (`task/*`, `composeExtension/*Task`, `…/submitAction`). */
export const TaskInvokeSchema = z.looseObject({
  commandId: z.string().max(256).optional(),
  commandContext: z.string().max(64).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  messagePayload: z
    .looseObject({
      id: z.string().max(1_024).optional(),
      linkToMessage: z.string().max(4_096).optional(),
      body: z
        .looseObject({
          content: z.string().max(100_000).optional(),
          contentType: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});

const CHANNEL_ID = /^19:[^\s;]+@thread\.[a-z0-9]+$/i;

const MentionSchema = z.object({
  type: z.literal('mention'),
  text: z.string().min(1),
  mentioned: z.looseObject({ id: z.string().min(1), name: z.string().optional() }),
});

/** The conversation without the thread suffix Teams adds for a reply in a channel thread. */
export function baseConversationId(id: string): string {
  return id.replace(/;messageid=\d+$/, '');
}

export function conversationKind(activity: ParsedActivity): TeamsConversation['kind'] {
  switch (activity.conversation.conversationType) {
    case 'channel':
      return 'channel';
    case 'groupChat':
      return 'groupChat';
    case 'personal':
      return 'personal';
    default:
      return activity.conversation.isGroup ? 'groupChat' : 'personal';
  }
}

/** The tenant an activity belongs to; the emulator has none and is its own workspace. */
export function tenantOf(activity: ParsedActivity): string | undefined {
  return (
    activity.conversation.tenantId ??
    activity.channelData?.tenant?.id ??
    (activity.channelId === 'emulator' ? 'emulator' : undefined)
  );
}

export function conversationOf(activity: ParsedActivity, tenantId: string): TeamsConversation {
  return {
    workspaceId: `teams:${tenantId}`,
    tenantId,
    conversationId: baseConversationId(activity.conversation.id),
    threadId: activity.conversation.id,
    kind: conversationKind(activity),
    ...(activity.channelData?.team?.aadGroupId
      ? { teamGroupId: activity.channelData.team.aadGroupId }
      : {}),
  };
}

export function personOf(activity: ParsedActivity): TeamsPerson {
  return {
    userId: activity.from.id,
    ...(activity.from.name ? { name: activity.from.name } : {}),
    ...(activity.from.aadObjectId ? { aadObjectId: activity.from.aadObjectId } : {}),
  };
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

/** Teams HTML-escapes a few characters in `text`; people meant the characters. */
function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|nbsp|#\d{1,6});/g, (_, name: string) =>
    name.startsWith('#') ? String.fromCodePoint(Number(name.slice(1))) : (ENTITIES[name] ?? ''),
  );
}

/**
 * The text a person typed, with the bot's own mention removed and every other mention turned
 * into a person token (a channel mention into a channel token). Token delimiters someone typed are removed first, so only the mentions
 * Teams itself reported become tokens.
 */
export function messageText(activity: ParsedActivity): string {
  let text = (activity.text ?? '').replace(/[\uE000-\uE00F]/g, '');
  for (const entity of activity.entities ?? []) {
    const mention = MentionSchema.safeParse(entity);
    if (!mention.success) continue;
    const { text: marker, mentioned } = mention.data;
    const isBot = mentioned.id === activity.recipient?.id;
    const name = decodeEntities(mentioned.name ?? marker.replace(/<\/?at>/g, ''));
    // A channel mention names the channel's thread id (19:…@thread…), as a person's names 29:….
    const token = CHANNEL_ID.test(mentioned.id)
      ? channel(baseConversationId(mentioned.id), name)
      : person(mentioned.id, name);
    text = text.split(marker).join(isBot ? '' : token);
  }
  return decodeEntities(text)
    .replace(/[ \t]+/g, ' ')
    .trim();
}

/** The text of the message a message action was used on (HTML body to plain text). */
export function messagePayloadText(content: string | undefined): string {
  if (!content) return '';
  return decodeEntities(
    content
      .replace(/[\uE000-\uE00F]/g, '')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/p>/gi, '\n')
      .replace(/<[^>]*>/g, ''),
  ).trim();
}
