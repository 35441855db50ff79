import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AiConfigSchema, type AiConfigInput } from '../../src/ai/ai.config.js';
import { logAiFailure } from '../../src/ai/create-ai.js';
import { OpenAiAdapter } from '../../src/ai/openai.adapter.js';
import { AiService, type AiFailure } from '../../src/core/ai/ai.service.js';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import type { Workspace } from '../../src/core/workspaces/workspace.model.js';
import { WorkspaceService } from '../../src/core/workspaces/workspace.service.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { Store } from '../../src/core/ports/store.port.js';
import { apiError, FakeOpenAi, letterVector } from '../helpers/fake-openai.js';

const SUGGESTION = {
  title: 'Checkout loops back to the cart on mobile',
  stakeholder: 'customer',
  journey: 'customer',
  stage: 'buy',
  severity: 3,
  summary: 'Mobile shoppers cannot pay: the pay button returns them to the cart.',
};
const TEXT = 'Checkout loops\nOn my phone, Pay sends me back to the cart.';

let fake: FakeOpenAi;
let baseUrl: string;
let store: Store;
let workspace: Workspace;
let clock: FakeClock;
let failures: AiFailure[];
let sleeps: number[];

beforeEach(async () => {
  fake = new FakeOpenAi();
  baseUrl = await fake.start();
  fake.answers.set('triage_suggestion', SUGGESTION);
  store = await openEmbeddedStore();
  clock = new FakeClock('2026-03-02T10:00:00Z');
  workspace = await new WorkspaceService(store, clock).ensure('slack', 'T1', { name: 'Acme' });
  failures = [];
  sleeps = [];
});
afterEach(async () => {
  await fake.stop();
  await store.close();
});

function makeAi(
  config: Partial<AiConfigInput> = {},
  caps?: { maxCalls: number; maxTokens: number },
) {
  const parsed = AiConfigSchema.parse({ apiKey: 'sk-test', baseUrl, model: 'gpt-test', ...config });
  const port = new OpenAiAdapter(parsed, {
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  return new AiService({
    port,
    store,
    clock,
    embeddingModel: parsed.embeddingModel,
    ...(caps ? { caps } : {}),
    onFailure: (f) => failures.push(f),
  });
}

describe('structured outputs', () => {
  it('parses a triage suggestion from the Responses API with the zod text format', async () => {
    const suggestion = await makeAi().suggestTriage(workspace, TEXT);
    expect(suggestion).toEqual({ ...SUGGESTION, model: 'gpt-test' });
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.path).toBe('/v1/responses');
    expect(request!.headers.authorization).toBe('Bearer sk-test');
    const format = (request!.body.text as { format: Record<string, unknown> }).format;
    expect(format).toMatchObject({ type: 'json_schema', name: 'triage_suggestion', strict: true });
    expect(request!.body.store).toBe(false);
    expect(failures).toEqual([]);
  });

  it('parses the same suggestion through Chat Completions when the style is chat', async () => {
    const suggestion = await makeAi({ apiStyle: 'chat' }).suggestTriage(workspace, TEXT);
    expect(suggestion).toEqual({ ...SUGGESTION, model: 'gpt-test' });
    const [request] = fake.requests;
    expect(request!.path).toBe('/v1/chat/completions');
    expect(request!.body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'triage_suggestion', strict: true },
    });
    expect(fake.count('responses')).toBe(0);
  });

  it.each([
    ['text that is not JSON', 'Sure! Here is the triage: severity high'],
    ['a severity out of range', JSON.stringify({ ...SUGGESTION, severity: 9 })],
    ['a missing field', JSON.stringify({ title: 'x', stakeholder: 'customer' })],
    ['an unknown stakeholder', JSON.stringify({ ...SUGGESTION, stakeholder: 'robot' })],
  ])('rejects %s and falls back, logged once', async (_what, answer) => {
    for (const apiStyle of ['responses', 'chat'] as const) {
      failures = [];
      fake.answers.set('triage_suggestion', answer);
      expect(await makeAi({ apiStyle }).suggestTriage(workspace, TEXT)).toBeUndefined();
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ operation: 'triage', reason: 'error' });
    }
    // A reply that breaks the schema is not retried: the same prompt would break it again.
    expect(fake.requests).toHaveLength(2);
  });

  it('keeps only journeys and stages that are in the workspace catalog', async () => {
    fake.answers.set('triage_suggestion', {
      ...SUGGESTION,
      journey: 'customer',
      stage: 'teleport',
    });
    expect(await makeAi().suggestTriage(workspace, TEXT)).toMatchObject({ journey: 'customer' });
    expect((await makeAi().suggestTriage(workspace, TEXT))?.stage).toBeUndefined();
    fake.answers.set('triage_suggestion', { ...SUGGESTION, journey: 'galaxy', stage: 'buy' });
    const s = await makeAi().suggestTriage(workspace, TEXT);
    expect(s?.journey).toBeUndefined();
    expect(s?.stage).toBeUndefined();
    fake.answers.set('triage_suggestion', { ...SUGGESTION, journey: null, stage: 'get-help' });
    expect(await makeAi().suggestTriage(workspace, TEXT)).toMatchObject({
      journey: 'customer',
      stage: 'get-help',
    });
  });
});

describe('resilience', () => {
  it('waits for Retry-After on a 429 rate limit, then succeeds', async () => {
    fake.script({
      status: 429,
      headers: { 'retry-after': '2' },
      body: apiError('requests', 'rate_limit_exceeded', 'Rate limit reached'),
    });
    expect(await makeAi().suggestTriage(workspace, TEXT)).toMatchObject({ severity: 3 });
    expect(fake.requests).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
    expect(failures).toEqual([]);
  });

  it('honours retry-after-ms, and gives up at once when Retry-After is longer than allowed', async () => {
    fake.script({
      status: 429,
      headers: { 'retry-after-ms': '150' },
      body: apiError('requests', null),
    });
    expect(await makeAi().suggestTriage(workspace, TEXT)).toBeDefined();
    expect(sleeps).toEqual([150]);

    fake.script({
      status: 429,
      headers: { 'retry-after': '3600' },
      body: apiError('requests', null),
    });
    const before = fake.requests.length;
    expect(await makeAi().suggestTriage(workspace, TEXT)).toBeUndefined();
    expect(fake.requests.length - before).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it('never retries insufficient_quota, and logs it once without the text', async () => {
    fake.script({
      status: 429,
      body: apiError('insufficient_quota', 'insufficient_quota', 'You exceeded your current quota'),
    });
    const warnings: unknown[][] = [];
    const parsed = AiConfigSchema.parse({ apiKey: 'sk-test', baseUrl });
    const ai = new AiService({
      port: new OpenAiAdapter(parsed, { sleep: () => Promise.resolve() }),
      store,
      clock,
      embeddingModel: parsed.embeddingModel,
      onFailure: logAiFailure({ warn: (...args: unknown[]) => warnings.push(args) }),
    });
    expect(await ai.suggestTriage(workspace, TEXT)).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![0]).toMatchObject({
      ai: 'triage',
      reason: 'error',
      error: { status: 429, code: 'insufficient_quota' },
    });
    expect(JSON.stringify(warnings)).not.toContain('Checkout loops');
  });

  it('retries a 500 with backoff, boundedly, then falls back', async () => {
    fake.script({ status: 500, body: apiError('server_error', null) });
    expect(await makeAi().suggestTriage(workspace, TEXT)).toBeDefined();
    expect(fake.requests).toHaveLength(2);

    for (let i = 0; i < 5; i++) fake.script({ status: 503, body: apiError('server_error', null) });
    expect(await makeAi({ maxRetries: 2 }).suggestTriage(workspace, TEXT)).toBeUndefined();
    expect(fake.requests).toHaveLength(2 + 3);
    expect(sleeps).toHaveLength(3);
    expect(failures).toHaveLength(1);
  });

  it('gives up on a timeout without retrying and answers with the fallback quickly', async () => {
    fake.script({ delayMs: 5_000 });
    const started = performance.now();
    expect(await makeAi({ timeoutMs: 200 }).suggestTriage(workspace, TEXT)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(fake.requests).toHaveLength(1);
    expect(failures).toMatchObject([{ operation: 'triage', reason: 'error' }]);
  });

  it('defaults to a 15 s timeout', () => {
    expect(AiConfigSchema.parse({ apiKey: 'k' }).timeoutMs).toBe(15_000);
  });
});

describe('embeddings', () => {
  const texts = ['Refunds are slow', 'Checkout loops on mobile'];

  it('decodes base64 float32 embeddings (the SDK default)', async () => {
    const vectors = await makeAi().embed(workspace, texts);
    expect(fake.requests[0]!.body.encoding_format).toBe('base64');
    expect(vectors).toEqual(texts.map(letterVector));
  });

  it('reads float embeddings when configured', async () => {
    const vectors = await makeAi({ embeddingEncoding: 'float' }).embed(workspace, texts);
    expect(fake.requests[0]!.body.encoding_format).toBe('float');
    expect(vectors).toEqual(texts.map(letterVector));
  });

  it('embeds a text once: the second time comes from the cache by content hash', async () => {
    const ai = makeAi();
    await ai.embed(workspace, texts);
    const again = await ai.embed(workspace, [texts[1]!, 'Something new', texts[0]!]);
    expect(again).toEqual([texts[1]!, 'Something new', texts[0]!].map(letterVector));
    expect(fake.count('embeddings')).toBe(2);
    expect(fake.requests[1]!.body.input).toEqual(['Something new']);
  });

  it('falls back (undefined) when the embeddings call fails or returns the wrong count', async () => {
    fake.script({ status: 400, body: apiError('invalid_request_error', null) });
    expect(await makeAi().embed(workspace, texts)).toBeUndefined();
    fake.script({
      body: {
        object: 'list',
        model: 'm',
        data: [{ object: 'embedding', index: 0, embedding: [1] }],
      },
    });
    expect(await makeAi().embed(workspace, texts)).toBeUndefined();
    expect(failures).toHaveLength(2);
  });
});

describe('the daily cap and the workspace switch', () => {
  it('stops calling the API once the day reaches the cap, logs that once, and shows usage to admins', async () => {
    const ai = makeAi({}, { maxCalls: 2, maxTokens: 1_000_000 });
    expect(await ai.suggestTriage(workspace, TEXT)).toBeDefined();
    expect(await ai.suggestTriage(workspace, TEXT)).toBeDefined();
    expect(await ai.suggestTriage(workspace, TEXT)).toBeUndefined();
    expect(await ai.suggestTriage(workspace, TEXT)).toBeUndefined();
    expect(fake.requests).toHaveLength(2);
    expect(failures).toEqual([{ operation: 'triage', workspaceId: workspace.id, reason: 'cap' }]);

    const admin = { userId: 'U_ADMIN', platformAdmin: true };
    expect(await ai.usage(workspace, admin)).toEqual({
      day: '2026-03-02',
      calls: 2,
      tokens: 120,
      maxCalls: 2,
      maxTokens: 1_000_000,
    });
    await expect(ai.usage(workspace, { userId: 'U_SOMEONE' })).rejects.toMatchObject({
      code: 'WORKSPACE.NOT_ADMIN',
    });

    clock.advance(24 * 60 * 60_000);
    expect(await ai.suggestTriage(workspace, TEXT)).toBeDefined();
    expect(fake.requests).toHaveLength(3);
  });

  it('counts tokens against the cap', async () => {
    const ai = makeAi({}, { maxCalls: 100, maxTokens: 100 });
    expect(await ai.suggestTriage(workspace, TEXT)).toBeDefined(); // 60 tokens
    expect(await ai.suggestTriage(workspace, TEXT)).toBeDefined(); // 120: over from now on
    expect(await ai.suggestTriage(workspace, TEXT)).toBeUndefined();
    expect(fake.requests).toHaveLength(2);
  });

  it('sends nothing at all for a workspace that turned AI off', async () => {
    const off = await store.workspaces.updateSettings(
      workspace.id,
      { aiEnabled: false },
      { at: clock.now(), actor: 'U_ADMIN', action: 'settings' },
    );
    const ai = makeAi();
    expect(await ai.suggestTriage(off, TEXT)).toBeUndefined();
    expect(await ai.embed(off, ['x'])).toBeUndefined();
    expect(fake.requests).toHaveLength(0);
    expect(failures).toEqual([]);
  });
});

describe('outages and the backfill', () => {
  it('rests after a failure: calls fall back at once, silently, until the cool-down ends', async () => {
    fake.script({ status: 400, body: apiError('invalid_request_error', null) });
    const ai = makeAi();
    expect(await ai.suggestTriage(workspace, TEXT)).toBeUndefined();
    expect(await ai.suggestTriage(workspace, TEXT)).toBeUndefined();
    expect(await ai.embed(workspace, ['x'])).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(failures).toHaveLength(1);
    clock.advance(30_000);
    expect(await ai.suggestTriage(workspace, TEXT)).toBeDefined();
    expect(fake.requests).toHaveLength(2);
  });

  it('shares one embeddings request between concurrent callers of the same texts', async () => {
    fake.script({ delayMs: 100 }, 'embeddings');
    const ai = makeAi();
    const [a, b] = await Promise.all([
      ai.embed(workspace, ['same text', 'other']),
      ai.embed(workspace, ['other', 'same text']),
    ]);
    expect(a).toEqual([letterVector('same text'), letterVector('other')]);
    expect(b).toEqual([letterVector('other'), letterVector('same text')]);
    expect(fake.count('embeddings')).toBe(1);
  });

  it('back-fills embeddings of open and resolved pebbles once, skipping workspaces with AI off', async () => {
    const { backfillEmbeddings } = await import('../../src/core/ai/ai.jobs.js');
    const now = clock.now();
    for (const title of ['Refunds slow', 'VPN drops', 'Search empty']) {
      await store.pebbles.create({
        workspaceId: workspace.id,
        title,
        description: '',
        stakeholder: 'customer',
        anonymous: false,
        reporter: { userId: 'U1' },
        source: { kind: 'console' },
        status: 'new',
        createdAt: now,
        updatedAt: now,
        history: [],
      });
    }
    const ai = makeAi();
    expect(await backfillEmbeddings({ store, ai })).toEqual({
      workspaces: 1,
      embedded: 3,
      stopped: 0,
    });
    expect(fake.count('embeddings')).toBe(1);
    expect((fake.requests[0]!.body.input as string[]).sort()).toEqual([
      'Refunds slow',
      'Search empty',
      'VPN drops',
    ]);
    await backfillEmbeddings({ store, ai: makeAi() });
    expect(fake.count('embeddings')).toBe(1);

    await store.workspaces.updateSettings(
      workspace.id,
      { aiEnabled: false },
      { at: now, actor: 'U_ADMIN', action: 'settings' },
    );
    expect(await backfillEmbeddings({ store, ai })).toEqual({
      workspaces: 0,
      embedded: 0,
      stopped: 0,
    });
  });
});
