import pino from 'pino';
import type {
  ChatGateway,
  ChatTarget,
  MessageRef,
} from '../../../src/core/shared/chat-gateway.port.js';
import type { UserContext } from '../../../src/core/workspaces/workspace.service.js';
import { OutboxDispatcher } from '../../../src/scheduler/outbox.js';
import type { Store } from '../../../src/core/ports/store.port.js';
import type { Clock } from '../../../src/core/shared/clock.port.js';
import type { Workspace } from '../../../src/core/workspaces/workspace.model.js';
import type { Services } from '../../../src/services.js';
import type { MessageView } from '../../../src/core/ports/message-view.port.js';

/**
 * A chat platform that records what the council posts and updates. `outage` makes sends fail:
 * `down` refuses them, `lost-answer` delivers them but loses the answer (a timeout).
 */
export class FakeGateway implements ChatGateway {
  readonly sent: { target: ChatTarget; view: MessageView; key?: string; ref: MessageRef }[] = [];
  readonly updates: { ref: MessageRef; view: MessageView }[] = [];
  outage: 'down' | 'lost-answer' | undefined;
  private next = 0;

  send(_ws: string, target: ChatTarget, view: MessageView, key?: string): Promise<MessageRef> {
    if (this.outage === 'down') return Promise.reject(new Error('fetch failed: ECONNREFUSED'));
    this.next++;
    const ref = {
      channelId: target.kind === 'channel' ? target.channelId : `D${target.userId}`,
      messageId: `1700000000.${String(this.next).padStart(6, '0')}`,
    };
    this.sent.push({ target, view, ...(key ? { key } : {}), ref });
    if (this.outage === 'lost-answer')
      return Promise.reject(new Error('request timed out; the answer was lost'));
    return Promise.resolve(ref);
  }

  /** As Slack's channel history answers: the message sent under this key, if any. */
  findSent(_ws: string, _target: ChatTarget, key: string): Promise<MessageRef | undefined> {
    if (this.outage === 'down') return Promise.reject(new Error('fetch failed: ECONNREFUSED'));
    return Promise.resolve(this.sent.find((s) => s.key === key)?.ref);
  }

  /** What was posted in a channel (not DMs). */
  posts(channelId: string) {
    return this.sent.filter((s) => s.target.kind === 'channel' && s.target.channelId === channelId);
  }

  update(_ws: string, ref: MessageRef, view: MessageView): Promise<void> {
    this.updates.push({ ref, view });
    return Promise.resolve();
  }

  uploadImage(): Promise<void> {
    return Promise.resolve();
  }

  /** The text of every block of the last update, joined. */
  lastText(): string {
    const last = this.updates.at(-1);
    return last ? viewText(last.view) : '';
  }
}

export function viewText(view: MessageView): string {
  return [
    view.text,
    ...view.blocks.map((b) =>
      'text' in b
        ? `${b.text} ${(('fields' in b && b.fields) || []).map((f) => f.value).join(' ')}`
        : '',
    ),
  ].join('\n');
}

export const admin: UserContext = { userId: 'U_ADMIN', name: 'Ada', platformAdmin: true };
export const vera: UserContext = { userId: 'U_VERA', name: 'Vera' };
export const reporter: UserContext = { userId: 'U_REP', name: 'Rita', team: 'Support' };
export const supporter: UserContext = { userId: 'U_SUP', name: 'Sam', team: 'Sales' };
export const members = [
  { userId: 'U_M1', name: 'Mia', function: 'Product' },
  { userId: 'U_M2', name: 'Noah', function: 'Support' },
  { userId: 'U_M3', name: 'Olga', function: 'Sales' },
  { userId: 'U_M4', name: 'Paul', function: 'Engineering' },
];
export const member = (i: number): UserContext => ({
  userId: members[i]!.userId,
  name: members[i]!.name,
});

/** A council of four, a channel and a sponsor; returns the fresh workspace. */
export async function setUpCouncil(
  services: Services,
  workspace: Workspace,
  patch: Parameters<Services['council']['configure']>[2] = {},
): Promise<Workspace> {
  const { workspace: updated } = await services.council.configure(workspace, admin, {
    members,
    channel: 'C_COUNCIL',
    sponsor: vera.userId,
    ...patch,
  });
  return updated;
}

/** A triaged pebble with a reporter and one supporter. */
export async function triagedPebble(
  services: Services,
  workspace: Workspace,
  title = 'Checkout asks for the address twice',
) {
  const { pebble } = await services.pebbles.report(
    workspace,
    reporter,
    { text: title, severity: 3, journey: 'customer', stage: 'buy' },
    { kind: 'console' },
  );
  await services.pebbles.support(workspace, supporter, pebble.number);
  return services.pebbles.transition(workspace, admin, pebble.number, 'triaged');
}

/**
 * The outbox's delivery through `gateway`, as the scheduler runs it: each call delivers what is
 * due at the clock's time. The refresh a delivered vote message asks for waits for its slot
 * (or the refresher's flush).
 */
export function outboxDelivery(
  services: Services,
  store: Store,
  clock: Clock,
  gateway: ChatGateway,
) {
  const dispatcher = new OutboxDispatcher({
    store,
    clock,
    logger: pino({ level: 'silent' }),
    worker: 'council-test',
    gatewayFor: () => gateway,
    onDelivered: (message, posted) => services.outbox.delivered(message, posted),
  });
  return () => dispatcher.drain();
}
