/**
 * Duplicate detection and what AI costs the reporter. On the labelled pebbles of
 * tests/fixtures/ai/pebbles.json (pebbles sharing a `group` are duplicates), prints:
 *
 * - precision, recall and F1 of duplicate pairs for the lexical fallback (LexicalSimilarity)
 *   and for the recorded sentence embeddings (EmbeddingSimilarity through AiService, the vectors
 *   from tests/fixtures/ai/embeddings.json, see embed-fixtures.py), at the production
 *   thresholds and over a sweep, plus top-1 accuracy and recurrence detection;
 * - report() latency (the acknowledgement) with no AI, and with AI present but slow or failing
 *   (the OpenAI adapter against a loopback fake that answers after a delay or with 500s), while
 *   each report also starts its AI work in the background the way the flow runs it after the ack.
 *
 *   npm run bench:similar -- [--reports 200] [--slow-ms 1500] [--gap-ms 0]
 *
 * Offline: no network beyond 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { OpenAiAdapter } from '../../src/ai/openai.adapter.js';
import { AiConfigSchema } from '../../src/ai/ai.config.js';
import type { AiPort } from '../../src/core/ai/ai.port.js';
import { AiService, embeddingText } from '../../src/core/ai/ai.service.js';
import {
  DEFAULT_EMBEDDING_THRESHOLD,
  EmbeddingSimilarity,
} from '../../src/core/ai/embedding-similarity.js';
import { redact } from '../../src/core/ai/redact.js';
import type { Pebble, Stakeholder } from '../../src/core/pebbles/pebble.model.js';
import { LexicalSimilarity, type SimilarityPort } from '../../src/core/pebbles/similarity.js';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import type { Journey, Workspace } from '../../src/core/workspaces/workspace.model.js';
import { cleanText } from '../../src/core/shared/text.js';
import { createServices, type Services } from '../../src/services.js';
import { decodeVector } from '../../src/core/ports/ai.port.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { Store } from '../../src/core/ports/store.port.js';
import { FakeOpenAi } from '../../tests/helpers/fake-openai.js';

const { values: args } = parseArgs({
  options: {
    reports: { type: 'string', default: '200' },
    'slow-ms': { type: 'string', default: '1500' },
    'gap-ms': { type: 'string' },
  },
});
const REPORTS = Number(args.reports);
const SLOW_MS = Number(args['slow-ms']);
/** Pauses between reports: 20 ms is 50 reports a second, 0 a burst (the worst case). */
const GAPS = args['gap-ms'] === undefined ? [20, 0] : [Number(args['gap-ms'])];
const LEXICAL_THRESHOLD = 0.25; // LexicalSimilarity's default, what production uses

interface FixturePebble {
  id: string;
  group: string | null;
  stakeholder: Stakeholder;
  journey: string;
  stage: string;
  status: 'open' | 'resolved';
  title: string;
  description: string;
}
const root = new URL('../../tests/fixtures/ai/', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('pebbles.json', root), 'utf8')) as {
  catalog: Journey[];
  pebbles: FixturePebble[];
};
const recorded = JSON.parse(readFileSync(new URL('embeddings.json', root), 'utf8')) as {
  model: string;
  dimensions: number;
  vectors: Record<string, string>;
};

/** The recorded vectors behind the AI port, looked up by the (redacted) text AiService sends. */
function recordedPort(): AiPort {
  const byText = new Map<string, number[]>();
  for (const p of fixture.pebbles) {
    byText.set(cleanText(redact(embeddingText(p))), decodeVector(recorded.vectors[p.id]!));
  }
  const unsupported = () => Promise.reject(new Error('not recorded'));
  return {
    name: 'recorded',
    embed: (texts) => {
      const value = texts.map((t) => {
        const v = byText.get(t);
        if (!v) throw new Error(`no recorded vector for ${JSON.stringify(t.slice(0, 40))}`);
        return v;
      });
      return Promise.resolve({ value, model: recorded.model, tokens: 0 });
    },
    suggestTriage: unsupported,
    nameThemes: unsupported,
    narrate: unsupported,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (x: number) => `${x.toFixed(2)} ms`;
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

async function seed(
  store: Store,
  services: Services,
): Promise<{ workspace: Workspace; pebbles: Pebble[] }> {
  let workspace = await services.workspaces.ensure('console', 'W-BENCH', { name: 'Bench' });
  workspace = await store.workspaces.updateSettings(
    workspace.id,
    { journeys: fixture.catalog, admins: ['U_ADMIN'] },
    { at: new Date(), actor: 'U_ADMIN', action: 'settings' },
  );
  const pebbles: Pebble[] = [];
  for (const f of fixture.pebbles) {
    const { pebble } = await services.pebbles.report(
      workspace,
      { userId: 'U_BENCH' },
      {
        title: f.title,
        description: f.description,
        stakeholder: f.stakeholder,
        journey: f.journey,
        stage: f.stage,
      },
      { kind: 'console' },
    );
    pebbles.push(f.status === 'resolved' ? { ...pebble, status: 'resolved' } : pebble);
  }
  return { workspace, pebbles };
}

/** Symmetric pair scores: the better of i→j and j→i, as a report meets earlier pebbles. */
async function pairScores(similarity: SimilarityPort, pebbles: Pebble[]): Promise<number[][]> {
  const n = pebbles.length;
  const s = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const others = pebbles.filter((_, j) => j !== i);
    const found = await similarity.findSimilar(embeddingText(pebbles[i]!), others, {
      limit: n,
      threshold: -1,
    });
    for (const { pebble, score } of found) {
      const j = pebble.number - 1;
      s[i]![j] = Math.max(s[i]![j]!, score);
      s[j]![i] = Math.max(s[j]![i]!, score);
    }
  }
  return s;
}

function evaluate(scores: number[][], threshold: number) {
  const groups = fixture.pebbles.map((p) => p.group);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < groups.length; i++) {
    for (let j = i + 1; j < groups.length; j++) {
      const same = groups[i] !== null && groups[i] === groups[j];
      const predicted = scores[i]![j]! >= threshold;
      if (predicted && same) tp++;
      else if (predicted) fp++;
      else if (same) fn++;
    }
  }
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const recall = tp + fn ? tp / (tp + fn) : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp, fn, precision, recall, f1 };
}

/** Of the pebbles that have a duplicate, how often the best match shown first is one. */
function top1(scores: number[][]): number {
  const groups = fixture.pebbles.map((p) => p.group);
  let hits = 0;
  let total = 0;
  for (let i = 0; i < groups.length; i++) {
    if (!groups[i] || groups.filter((g) => g === groups[i]).length < 2) continue;
    total++;
    let best = -1;
    for (let j = 0; j < groups.length; j++)
      if (j !== i && (best === -1 || scores[i]![j]! > scores[i]![best]!)) best = j;
    if (groups[best] === groups[i]) hits++;
  }
  return hits / total;
}

/** Open pebbles matched against the resolved ones: "it came back". */
async function recurrence(similarity: SimilarityPort, pebbles: Pebble[]) {
  const resolved = pebbles.filter((p) => p.status === 'resolved');
  const groupOf = (p: Pebble) => fixture.pebbles[p.number - 1]!.group;
  const resolvedGroups = new Set(resolved.map(groupOf));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const p of pebbles.filter((x) => x.status !== 'resolved')) {
    const [best] = await similarity.findSimilar(embeddingText(p), resolved, { limit: 1 });
    const truth = groupOf(p) !== null && resolvedGroups.has(groupOf(p));
    if (best && truth && groupOf(best.pebble) === groupOf(p)) tp++;
    else if (best) {
      fp++;
      if (truth) fn++;
    } else if (truth) fn++;
  }
  return {
    tp,
    fp,
    fn,
    precision: tp + fp ? tp / (tp + fp) : 1,
    recall: tp + fn ? tp / (tp + fn) : 1,
  };
}

async function quality() {
  const store = await openEmbeddedStore();
  const clock = new FakeClock('2026-03-02T09:00:00Z');
  const services = createServices(store, clock);
  const { workspace: _w, pebbles } = await seed(store, services);
  const lexical = new LexicalSimilarity();
  const ai = new AiService({ port: recordedPort(), store, clock, embeddingModel: 'recorded' });
  const embeddings = new EmbeddingSimilarity(ai, store, lexical);

  const groups = new Set(fixture.pebbles.map((p) => p.group).filter(Boolean));
  const dupPairs = evaluate(
    fixture.pebbles.map(() => fixture.pebbles.map(() => 1)),
    0,
  );
  console.log(
    `Labelled set: ${fixture.pebbles.length} pebbles (CX ${count('customer')}, EX ${count('employee')}, ` +
      `PX ${count('partner')}), ${groups.size} duplicate groups, ${dupPairs.tp} duplicate pairs, ` +
      `${fixture.pebbles.filter((p) => p.status === 'resolved').length} resolved.`,
  );
  console.log(`Embeddings: ${recorded.model}, ${recorded.dimensions} dimensions (recorded).\n`);

  const lexicalScores = await pairScores(lexical, pebbles);
  const embeddingScores = await pairScores(embeddings, pebbles);
  const row = (name: string, t: number, scores: number[][]) => {
    const e = evaluate(scores, t);
    return `${name.padEnd(22)} ${t.toFixed(2).padStart(9)} ${pct(e.precision).padStart(9)} ${pct(e.recall).padStart(7)} ${e.f1.toFixed(3).padStart(6)}   tp ${e.tp} fp ${e.fp} fn ${e.fn}`;
  };
  console.log('Duplicate pairs          threshold precision  recall     F1');
  console.log(row('lexical (fallback)', LEXICAL_THRESHOLD, lexicalScores));
  console.log(row('embeddings (AI)', DEFAULT_EMBEDDING_THRESHOLD, embeddingScores));
  console.log(
    `top-1 (best match is a duplicate): lexical ${pct(top1(lexicalScores))}, embeddings ${pct(top1(embeddingScores))}`,
  );
  console.log('\nSweep:');
  for (const t of [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4])
    console.log(row('  lexical', t, lexicalScores));
  for (const t of [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7])
    console.log(row('  embeddings', t, embeddingScores));

  const lr = await recurrence(lexical, pebbles);
  const er = await recurrence(embeddings, pebbles);
  console.log('\nRecurrence (open pebble matched to a resolved one):');
  console.log(
    `  lexical     precision ${pct(lr.precision)}, recall ${pct(lr.recall)} (tp ${lr.tp} fp ${lr.fp} fn ${lr.fn})`,
  );
  console.log(
    `  embeddings  precision ${pct(er.precision)}, recall ${pct(er.recall)} (tp ${er.tp} fp ${er.fp} fn ${er.fn})`,
  );
  await store.close();
}

const count = (s: Stakeholder) => fixture.pebbles.filter((p) => p.stakeholder === s).length;

type FakeJob = { mode: 'none' | 'slow' | 'failing'; slowMs: number };

/** The fake OpenAI server, on its own thread so it does not steal the measured event loop. */
async function fakeServer(job: FakeJob) {
  const fake = new FakeOpenAi();
  const baseUrl = await fake.start();
  fake.answers.set('triage_suggestion', {
    title: 't',
    stakeholder: 'customer',
    journey: null,
    stage: null,
    severity: 2,
    summary: 's',
  });
  if (job.mode === 'slow') fake.always = { delayMs: job.slowMs };
  if (job.mode === 'failing')
    fake.always = { status: 500, body: { error: { message: 'down', type: 'server_error' } } };
  parentPort!.postMessage({ baseUrl });
  parentPort!.on('message', (message: string) => {
    if (message === 'stop')
      void fake.stop().then(() => parentPort!.postMessage({ requests: fake.requests.length }));
  });
}

async function startFake(job: FakeJob) {
  // The worker runs this same TypeScript file: it registers tsx's loader first.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const worker = new Worker(bootstrap, { eval: true, workerData: job });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const { baseUrl } = await next<{ baseUrl: string }>();
  return {
    baseUrl,
    async stop(): Promise<number> {
      const done = next<{ requests: number }>();
      worker.postMessage('stop');
      const { requests } = await done;
      await worker.terminate();
      return requests;
    },
  };
}

/** report() latencies with the AI work of each report started in the background. */
async function latency(mode: FakeJob['mode'], gapMs: number) {
  const fake = await startFake({ mode, slowMs: SLOW_MS });
  const baseUrl = fake.baseUrl;
  const store = await openEmbeddedStore();
  const clock = new FakeClock('2026-03-02T09:00:00Z');
  const config = AiConfigSchema.parse({
    apiKey: 'sk-bench',
    baseUrl,
    maxCallsPerDay: 1e9,
    maxTokensPerDay: 1e12,
  });
  const services = createServices(store, clock, {
    ...(mode === 'none' ? {} : { ai: config, aiPort: new OpenAiAdapter(config) }),
  });
  const { workspace } = await seed(store, services);
  const acks: number[] = [];
  const background: Promise<number>[] = [];
  for (let i = 0; i < REPORTS; i++) {
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    const f = fixture.pebbles[i % fixture.pebbles.length]!;
    const started = performance.now();
    const { pebble } = await services.pebbles.report(
      workspace,
      { userId: `U${i % 40}` },
      { text: `${f.title} (${i})\n${f.description}` },
      { kind: 'slash' },
    );
    acks.push(performance.now() - started);
    // After the acknowledgement: suggestion and similar pebbles, never awaited by the report.
    background.push(
      Promise.all([
        services.ai?.suggestTriage(workspace, `${pebble.title}\n${pebble.description}`),
        services.pebbles.findSimilar(workspace, pebble),
      ]).then(() => performance.now() - started),
    );
  }
  const ready = await Promise.all(background);
  const requests = await fake.stop();
  await store.close();
  acks.sort((a, b) => a - b);
  ready.sort((a, b) => a - b);
  return { acks, ready, requests };
}

async function main() {
  await quality();
  for (const gap of GAPS) {
    console.log(
      `\nReporter latency, ${REPORTS} reports, ${gap ? `one every ${gap} ms` : 'back to back'} ` +
        '(report() = what the acknowledgement waits for; AI work starts after it):',
    );
    const base = await latency('none', gap);
    for (const [label, mode] of [
      ['no AI', 'none'],
      [`AI slow (${SLOW_MS} ms a call)`, 'slow'],
      ['AI failing (500s)', 'failing'],
    ] as const) {
      const r = mode === 'none' ? base : await latency(mode, gap);
      const p50 = quantile(r.acks, 0.5);
      const p99 = quantile(r.acks, 0.99);
      console.log(
        `  ${label.padEnd(26)} ack p50 ${ms(p50).padStart(9)} p99 ${ms(p99).padStart(9)} ` +
          `(x${(p50 / quantile(base.acks, 0.5)).toFixed(2)} p50)   suggestions ready p50 ` +
          `${ms(quantile(r.ready, 0.5)).padStart(10)}   API requests ${r.requests}`,
      );
    }
  }
}

if (isMainThread) await main();
else await fakeServer(workerData as FakeJob);
