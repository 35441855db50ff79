import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordOutgoing } from './privacy.js';

/** One request the fake received, body parsed. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

/** A reply the test dictates for the next matching request. */
export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Wait this long before answering (a slow or hung server). */
  delayMs?: number;
}

type Route = 'responses' | 'chat' | 'embeddings';

const routeOf = (path: string): Route | undefined =>
  path.endsWith('/responses')
    ? 'responses'
    : path.endsWith('/chat/completions')
      ? 'chat'
      : path.endsWith('/embeddings')
        ? 'embeddings'
        : undefined;

/**
 * A loopback stand-in for the OpenAI API (baseURL `…/v1`): answers structured-output calls of
 * both styles with the JSON the test sets per schema name, embeddings from a function of the
 * text in the encoding the request asked for, and scripted errors or delays on demand. Every
 * request is recorded, so tests can assert what left the process.
 */
export class FakeOpenAi {
  readonly requests: RecordedRequest[] = [];
  /** Structured answers by schema name (`triage_suggestion`, …): an object or raw JSON text. */
  readonly answers = new Map<string, unknown>();
  /** Vector for one input text (default: a tiny bag of letters, deterministic). */
  embedder: (text: string) => number[] = letterVector;
  /** The reply to every request not scripted otherwise (a server that is slow or down). */
  always?: ScriptedReply;
  private readonly scripted: { route?: Route; reply: ScriptedReply }[] = [];
  private server?: http.Server;
  private readonly open = new Set<http.ServerResponse>();

  /** The next request (of `route`, or any) gets this reply; queue several for several. */
  script(reply: ScriptedReply, route?: Route): this {
    this.scripted.push({ reply, ...(route ? { route } : {}) });
    return this;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => void this.handle(req, res, raw));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Every request body as sent, concatenated (to search for what must never leave). */
  allBodies(): string {
    return this.requests.map((r) => r.raw).join('\n');
  }

  count(route: Route): number {
    return this.requests.filter((r) => routeOf(r.path) === route).length;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    const path = req.url ?? '/';
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      // recorded as sent
    }
    this.requests.push({ method: req.method ?? 'GET', path, headers: req.headers, raw, body });
    recordOutgoing('openai', path, raw);
    const route = routeOf(path);
    const at = this.scripted.findIndex((s) => !s.route || s.route === route);
    const scripted = at === -1 ? this.always : this.scripted.splice(at, 1)[0]!.reply;
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    if (scripted?.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
    if (res.destroyed) return;
    if (scripted?.status || scripted?.body !== undefined) {
      return send(res, scripted.status ?? 200, scripted.body ?? {}, scripted.headers);
    }
    if (route === 'embeddings') return send(res, 200, this.embeddings(body));
    if (route === 'responses' || route === 'chat')
      return send(res, 200, this.structured(route, body));
    send(res, 404, { error: { message: `no route ${path}`, type: 'invalid_request_error' } });
  }

  private structured(route: 'responses' | 'chat', body: Record<string, unknown>) {
    const name =
      route === 'responses'
        ? (body.text as { format?: { name?: string } } | undefined)?.format?.name
        : (body.response_format as { json_schema?: { name?: string } } | undefined)?.json_schema
            ?.name;
    const answer = this.answers.get(name ?? '') ?? {};
    return structuredReply(route, typeof answer === 'string' ? answer : JSON.stringify(answer));
  }

  private embeddings(body: Record<string, unknown>) {
    const input = body.input;
    const texts = Array.isArray(input) ? (input as string[]) : [String(input)];
    const base64 = body.encoding_format === 'base64';
    return {
      object: 'list',
      model: typeof body.model === 'string' ? body.model : 'text-embedding-test',
      data: texts.map((text, index) => {
        const vector = this.embedder(text);
        return {
          object: 'embedding',
          index,
          embedding: base64
            ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
            : vector,
        };
      }),
      usage: { prompt_tokens: texts.length * 8, total_tokens: texts.length * 8 },
    };
  }
}

/** A successful structured-output reply whose text is `text`, in either API's shape. */
export function structuredReply(route: 'responses' | 'chat', text: string, model = 'gpt-test') {
  if (route === 'chat') {
    return {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1_767_000_000,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 40, completion_tokens: 20, total_tokens: 60 },
    };
  }
  return {
    id: 'resp_1',
    object: 'response',
    created_at: 1_767_000_000,
    status: 'completed',
    model,
    output: [
      {
        type: 'message',
        id: 'msg_1',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [] }],
      },
    ],
    usage: { input_tokens: 40, output_tokens: 20, total_tokens: 60 },
  };
}

/** An OpenAI error body. */
export function apiError(type: string, code: string | null, message = type) {
  return { error: { message, type, code, param: null } };
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** 26 letter counts, so texts sharing words point the same way. */
export function letterVector(text: string): number[] {
  const v = new Array<number>(26).fill(0);
  for (const ch of text.toLowerCase()) {
    const i = ch.charCodeAt(0) - 97;
    if (i >= 0 && i < 26) v[i]! += 1;
  }
  return v;
}
