import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordOutgoing } from './privacy.js';

/** A message the fake Slack holds, as chat.postMessage gave it. */
export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Milliseconds since the server started, when it was posted. */
  at: number;
}

/** What to do with one call: answer normally, fail, ask to slow down, or never answer. */
export type FakeReply =
  | 'ok'
  | { error: string }
  | { status: 429; retryAfter: number }
  | { status: number }
  | 'hang'
  /** Do what was asked (post the message), then never answer: the answer was lost. */
  | 'post-then-hang'
  /** Do what was asked, then drop the connection without an answer. */
  | 'post-then-reset';

export interface FakeSlackApiOptions {
  /** Decides each call's fate (default: answer normally). Called before anything is recorded. */
  reply?: (method: string, body: Record<string, unknown>) => FakeReply;
  /** Called after a chat.postMessage was recorded, before it is answered. */
  onPosted?: (message: FakeMessage) => void;
  /** The time zone users.info gives each user. */
  tz?: (userId: string) => string;
  /** The clock of message timestamps (ms; default Date.now), to line up with a fake clock. */
  now?: () => number;
}

/** A form field as text (Slack's fields are strings; anything else reads as empty). */
function str(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json'))
    return JSON.parse(raw || '{}') as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    try {
      body[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
    } catch {
      body[key] = value;
    }
  }
  return body;
}

/**
 * A loopback fake of the Slack Web API (chat.postMessage, chat.update, conversations.open,
 * conversations.history with message metadata, users.info, auth.test), for tests and
 * benchmarks that need real HTTP, 429s with Retry-After and sockets that never answer.
 */
export class FakeSlackApi {
  readonly messages: FakeMessage[] = [];
  readonly calls: { method: string; body: Record<string, unknown>; at: number }[] = [];
  private server: Server | undefined;
  private readonly started = performance.now();
  private seq = 0;
  private readonly hanging = new Set<ServerResponse>();

  constructor(private readonly options: FakeSlackApiOptions = {}) {}

  /** Listens on 127.0.0.1 and returns the base URL to give as SLACK_API_URL. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `${this.url}/`;
  }

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  /** Messages posted with a Pebblebot outbox key, by key. */
  byKey(): Map<string, FakeMessage[]> {
    const map = new Map<string, FakeMessage[]>();
    for (const m of this.messages) {
      const key = m.metadata?.event_payload.key;
      if (typeof key !== 'string') continue;
      map.set(key, [...(map.get(key) ?? []), m]);
    }
    return map;
  }

  /** Requests left unanswered whose caller has not given up on them yet. */
  get openUnanswered(): number {
    return this.hanging.size;
  }

  private hang(res: ServerResponse): void {
    this.hanging.add(res);
    res.on('close', () => this.hanging.delete(res));
  }

  private elapsed(): number {
    return performance.now() - this.started;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const body = parseBody(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']);
    const reply = this.options.reply?.(method, body) ?? 'ok';
    if (reply === 'hang') {
      this.hang(res);
      return;
    }
    if (typeof reply === 'object' && 'status' in reply) {
      if (reply.status === 429) {
        this.calls.push({ method, body, at: this.elapsed() });
        recordOutgoing('slack', method, body);
        res.writeHead(429, {
          'retry-after': String((reply as { retryAfter: number }).retryAfter),
          'content-type': 'application/json',
        });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      res.writeHead(reply.status);
      res.end();
      return;
    }
    this.calls.push({ method, body, at: this.elapsed() });
    recordOutgoing('slack', method, body);
    const send = (payload: Record<string, unknown>) => {
      if (reply === 'post-then-hang') return this.hang(res);
      if (reply === 'post-then-reset') return void res.socket?.destroy();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (typeof reply === 'object' && 'error' in reply)
      return send({ ok: false, error: reply.error });
    switch (method) {
      case 'auth.test':
        return send({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' });
      case 'chat.postMessage': {
        const target = str(body.channel);
        const channel = /^[UW]/.test(target) ? `D${target}` : target;
        const message: FakeMessage = {
          channel,
          ts: `${Math.floor((this.options.now?.() ?? Date.now()) / 1000)}.${String(++this.seq).padStart(6, '0')}`,
          text: str(body.text),
          blocks: (body.blocks as unknown[]) ?? [],
          ...(body.metadata ? { metadata: body.metadata as FakeMessage['metadata'] } : {}),
          at: this.elapsed(),
        };
        this.messages.push(message);
        this.options.onPosted?.(message);
        return send({ ok: true, channel, ts: message.ts, message: { text: message.text } });
      }
      case 'chat.update':
        return send({ ok: true, channel: body.channel, ts: body.ts });
      case 'conversations.open': {
        const users = str(body.users);
        return send({ ok: true, channel: { id: `D${users}` } });
      }
      case 'conversations.history': {
        const oldest = Number(body.oldest ?? 0);
        const withMetadata = String(body.include_all_metadata) === 'true';
        const messages = this.messages
          .filter((m) => m.channel === body.channel && Number(m.ts) >= oldest)
          .reverse()
          .map((m) => ({
            type: 'message',
            ts: m.ts,
            text: m.text,
            bot_id: 'BBOT',
            ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
          }));
        return send({ ok: true, messages, has_more: false });
      }
      case 'users.info': {
        const user = str(body.user);
        return send({
          ok: true,
          user: {
            id: user,
            name: user.toLowerCase(),
            real_name: `Real ${user}`,
            tz: this.options.tz?.(user) ?? 'Europe/Berlin',
            is_admin: false,
            is_owner: false,
          },
        });
      }
      default:
        return send({ ok: true });
    }
  }
}
