import type { PebbleFilter } from '../core/ports/store.port.js';

/**
 * The query of a pebble filter, shared by both adapters: nedb and MongoDB read the same
 * operators, so the embedded store and MongoDB select exactly the same pebbles.
 */
export function pebbleQuery(
  workspaceId: string,
  filter: PebbleFilter = {},
): Record<string, unknown> {
  const query: Record<string, unknown> = { workspaceId };
  if (filter.status?.length) query.status = { $in: filter.status };
  if (filter.journey) query.journey = filter.journey;
  if (filter.stage) query.stage = filter.stage;
  if (filter.stakeholder) query.stakeholder = filter.stakeholder;
  if (filter.reporterId) query['reporter.userId'] = filter.reporterId;
  if (filter.sourceMessage) {
    query['source.channelId'] = filter.sourceMessage.channelId;
    query['source.messageTs'] = filter.sourceMessage.messageTs;
  }
  if (filter.createdFrom || filter.createdTo) {
    query.createdAt = {
      ...(filter.createdFrom ? { $gte: filter.createdFrom } : {}),
      ...(filter.createdTo ? { $lt: filter.createdTo } : {}),
    };
  }
  return query;
}
