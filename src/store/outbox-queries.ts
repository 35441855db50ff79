import type { OutboxFilter } from '../core/ports/improvements.port.js';

/**
 * The outbox queries both adapters share: nedb and MongoDB read the same operators, so the
 * embedded store and MongoDB select exactly the same messages.
 */
export function outboxQuery(filter: OutboxFilter = {}): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  if (filter.status?.length) query.status = { $in: filter.status };
  if (filter.workspaceId) query.workspaceId = filter.workspaceId;
  if (filter.kind) query.kind = filter.kind;
  return query;
}

/** Given-up messages of these kinds to one channel (see OutboxRepository.reopenChannel). */
export function reopenQuery(
  workspaceId: string,
  channelId: string,
  kinds: string[],
): Record<string, unknown> {
  return {
    workspaceId,
    status: 'failed',
    kind: { $in: kinds },
    'target.kind': 'channel',
    'target.channelId': channelId,
  };
}
