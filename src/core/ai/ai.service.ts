import { createHash } from 'node:crypto';
import type { AiCaps } from '../ports/ai.port.js';
import type { Store } from '../ports/store.port.js';
import type { Clock } from '../shared/clock.port.js';
import { PebbleError } from '../shared/errors.js';
import { cleanText } from '../shared/text.js';
import type { UserContext } from '../workspaces/workspace.service.js';
import { catalogStages, isWorkspaceAdmin, type Workspace } from '../workspaces/workspace.model.js';
import {
  TriageSuggestionOutputSchema,
  type AiUsage,
  type CatalogEntry,
  type NarrativeFacts,
  type TriageSuggestion,
  type TriageSuggestionOutput,
} from './ai.model.js';
import type { AiPort, AiResult, ThemeCluster } from './ai.port.js';
import { redact } from './redact.js';

/** Why an AI call did not give an answer; logged once per failed operation. */
export interface AiFailure {
  operation: 'triage' | 'embed' | 'themes' | 'narrate';
  workspaceId: string;
  reason: 'cap' | 'error' | 'invalid';
  error?: unknown;
}

export interface AiServiceDeps {
  port: AiPort;
  store: Store;
  clock: Clock;
  /** The embedding model, part of the cache key so vectors of two models never mix. */
  embeddingModel: string;
  /** Per workspace per UTC day (defaults: 500 calls, 200,000 tokens). */
  caps?: Partial<AiCaps>;
  /** Told about every call that fell back; the composition root logs it. */
  onFailure?: (failure: AiFailure) => void;
  /**
   * After a failed call, AI rests this long (default 30 s): calls meanwhile fall back at once,
   * silently, so an outage costs one log line and no pile of doomed requests. 0 disables it.
   */
  cooldownMs?: number;
}

/** Texts and vectors kept in memory (oldest out first), about 25 MB at 1,536 dimensions. */
const MEMO_SIZE = 2_000;

export const DEFAULT_AI_CAPS: AiCaps = { maxCalls: 500, maxTokens: 200_000 };

/** Text of a pebble as it is embedded and compared. */
export function embeddingText(p: { title: string; description: string }): string {
  return `${p.title}\n${p.description}`.trim();
}

/** The workspace's catalog as the model sees it. */
export function catalogOf(workspace: Workspace): CatalogEntry[] {
  return catalogStages(workspace.settings).map(({ journey, stage }) => ({
    journey: journey.key,
    journeyName: journey.name,
    stage: stage.key,
    stageName: stage.name,
  }));
}

/**
 * Keeps only a journey and stage the catalog has: the pair when it exists, else the journey
 * alone when that exists, else neither. The model cannot invent a stage.
 */
export function validateAgainstCatalog(
  output: Pick<TriageSuggestionOutput, 'journey' | 'stage'>,
  catalog: readonly CatalogEntry[],
): { journey?: string; stage?: string } {
  const { journey, stage } = output;
  if (journey && stage && catalog.some((c) => c.journey === journey && c.stage === stage))
    return { journey, stage };
  if (!journey && stage) {
    const matches = catalog.filter((c) => c.stage === stage);
    if (matches.length === 1) return { journey: matches[0]!.journey, stage };
  }
  if (journey && catalog.some((c) => c.journey === journey)) return { journey };
  return {};
}

/**
 * AI policy in one place: the workspace switch, the daily cap, redaction before anything
 * leaves, schema validation of what comes back, the embedding cache, and the fallback. Every
 * method answers `undefined` (or the deterministic result) instead of throwing, so a caller
 * never shows an AI failure to anyone.
 */
export class AiService {
  private readonly caps: AiCaps;
  /** `{workspace}:{day}` whose cap was already reported: a capped day logs once, not per call. */
  private readonly capReported = new Set<string>();
  /** Until when (clock ms) AI rests after a failure. */
  private restUntil = 0;
  /** Embeddings being fetched, by cache key: concurrent reports share one request per text. */
  private readonly inFlight = new Map<string, Promise<number[] | undefined>>();

  constructor(private readonly deps: AiServiceDeps) {
    this.caps = { ...DEFAULT_AI_CAPS, ...deps.caps };
  }

  /** Which AI answers (`openai:gpt-4o-mini`), for logs and admin views. */
  get provider(): string {
    return this.deps.port.name;
  }

  /** The models in use, for the admin view: suggestions and names, and embeddings. */
  get models(): { model: string; embeddingModel: string } {
    return { model: this.deps.port.name, embeddingModel: this.deps.embeddingModel };
  }

  /** Whether AI may run for this workspace (admins switch it with `config ai on|off`). */
  enabled(workspace: Workspace): boolean {
    return workspace.settings.aiEnabled;
  }

  /**
   * A triage suggestion for a pebble's text: title, who feels it, journey and stage from the
   * catalog only, severity and a one-line summary. Undefined when AI is off, capped or failed.
   */
  async suggestTriage(workspace: Workspace, text: string): Promise<TriageSuggestion | undefined> {
    const catalog = catalogOf(workspace);
    const result = await this.call(workspace, 'triage', () =>
      this.deps.port.suggestTriage(cleanText(redact(text)), catalog),
    );
    if (!result) return undefined;
    const parsed = TriageSuggestionOutputSchema.safeParse(result.value);
    if (!parsed.success) {
      this.fail({
        operation: 'triage',
        workspaceId: workspace.id,
        reason: 'invalid',
        error: parsed.error,
      });
      return undefined;
    }
    const out = parsed.data;
    return {
      title: cleanText(out.title).trim() || 'Untitled',
      stakeholder: out.stakeholder,
      ...validateAgainstCatalog(out, catalog),
      severity: out.severity,
      summary: cleanText(out.summary).trim(),
      model: result.model,
    };
  }

  /**
   * One vector per text (redacted first), from the cache where the same text was embedded
   * before. Undefined when AI is off, capped or failed: callers use lexical similarity then.
   */
  async embed(workspace: Workspace, texts: readonly string[]): Promise<number[][] | undefined> {
    if (!this.enabled(workspace)) return undefined;
    const prepared = texts.map((t) => this.prepare(t));
    const redacted = prepared.map((p) => p.redacted);
    const keys = prepared.map((p) => p.key);
    const cached = new Map<string, number[]>();
    for (const k of keys) {
      const v = this.recent.get(k);
      if (v) cached.set(k, v);
    }
    try {
      const unknown = [...new Set(keys.filter((k) => !cached.has(k)))];
      for (const [k, v] of await this.deps.store.embeddings.get(unknown)) {
        cached.set(k, v);
        this.remember(k, v);
      }
    } catch (error) {
      this.fail({ operation: 'embed', workspaceId: workspace.id, reason: 'error', error });
      return undefined;
    }
    const missing = [...new Set(keys.filter((k) => !cached.has(k)))];
    const fetch = missing.filter((k) => !this.inFlight.has(k));
    if (fetch.length > 0) {
      const textOf = new Map(keys.map((k, i) => [k, redacted[i]!]));
      const batch = this.fetchEmbeddings(
        workspace,
        fetch.map((k) => textOf.get(k)!),
        fetch,
      );
      fetch.forEach((key, i) => {
        const one = batch.then((vectors) => vectors?.[i]);
        this.inFlight.set(key, one);
        void one.finally(() => this.inFlight.delete(key));
      });
    }
    const found = await Promise.all(
      missing.map((k) => this.inFlight.get(k) ?? Promise.resolve(undefined)),
    );
    for (const [i, key] of missing.entries()) {
      const vector = found[i];
      if (!vector) return undefined;
      cached.set(key, vector);
      this.remember(key, vector);
    }
    return keys.map((k) => cached.get(k)!);
  }

  /**
   * The similar-pebble search embeds the same few hundred candidates on every report: their
   * redaction, hash and vector are kept in memory (bounded) so that costs no CPU and no read.
   */
  private readonly textKeys = new Map<string, { redacted: string; key: string }>();
  private readonly recent = new Map<string, number[]>();

  private prepare(text: string): { redacted: string; key: string } {
    const known = this.textKeys.get(text);
    if (known) return known;
    const redacted = cleanText(redact(text));
    const key = createHash('sha256')
      .update(`${this.deps.embeddingModel}\n${redacted}`)
      .digest('base64url');
    if (this.textKeys.size >= MEMO_SIZE) this.textKeys.delete(this.textKeys.keys().next().value!);
    const prepared = { redacted, key };
    this.textKeys.set(text, prepared);
    return prepared;
  }

  private remember(key: string, vector: number[]): void {
    if (this.recent.has(key)) return;
    if (this.recent.size >= MEMO_SIZE) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(key, vector);
  }

  /** One embeddings call for texts not in the cache; stores what it gets. */
  private async fetchEmbeddings(
    workspace: Workspace,
    texts: string[],
    keys: string[],
  ): Promise<number[][] | undefined> {
    const result = await this.call(workspace, 'embed', () => this.deps.port.embed(texts));
    if (!result) return undefined;
    const vectors = result.value;
    if (vectors.length !== texts.length || vectors.some((v) => v.length === 0)) {
      this.fail({ operation: 'embed', workspaceId: workspace.id, reason: 'invalid' });
      return undefined;
    }
    // The cache is an optimisation: a failed write costs a second call later, nothing more.
    await this.deps.store.embeddings
      .put(keys.map((key, i) => ({ key, vector: vectors[i]! })))
      .catch(() => undefined);
    return vectors;
  }

  /** Short names for clusters of pebbles, in order; undefined when the model gave none. */
  async nameThemes(
    workspace: Workspace,
    clusters: readonly ThemeCluster[],
  ): Promise<string[] | undefined> {
    if (clusters.length === 0) return [];
    const result = await this.call(workspace, 'themes', () =>
      this.deps.port.nameThemes(
        clusters.map((c) => ({
          size: c.size,
          samples: c.samples.map((s) => cleanText(redact(s))),
        })),
      ),
    );
    const names = result?.value.names.map((n) => cleanText(n).trim());
    if (!names || names.length !== clusters.length || names.some((n) => !n)) {
      if (result) this.fail({ operation: 'themes', workspaceId: workspace.id, reason: 'invalid' });
      return undefined;
    }
    return names;
  }

  /** A narrative written from numbers and names only; the caller checks it (ai.narrator.ts). */
  async narrate(workspace: Workspace, facts: NarrativeFacts): Promise<string | undefined> {
    const result = await this.call(workspace, 'narrate', () => this.deps.port.narrate(facts));
    return result?.value;
  }

  /** Today's AI usage of the workspace against its caps; for admins only. */
  async usage(workspace: Workspace, user: UserContext): Promise<AiUsage> {
    if (!(await isWorkspaceAdmin(workspace, user))) {
      throw new PebbleError('WORKSPACE.NOT_ADMIN', 'Only workspace admins can see AI usage.');
    }
    const day = this.today();
    const used = await this.deps.store.aiUsage.get(workspace.id, day);
    return { day, ...used, ...this.caps };
  }

  /** Records a failure that was fallen back from (used by callers that validate further). */
  fail(failure: AiFailure): void {
    this.deps.onFailure?.(failure);
  }

  private today(): string {
    return this.deps.clock.now().toISOString().slice(0, 10);
  }

  private async call<T>(
    workspace: Workspace,
    operation: AiFailure['operation'],
    run: () => Promise<AiResult<T>>,
  ): Promise<AiResult<T> | undefined> {
    const workspaceId = workspace.id;
    if (!this.enabled(workspace)) return undefined;
    if (this.deps.clock.now().getTime() < this.restUntil) return undefined;
    const day = this.today();
    try {
      if (!(await this.deps.store.aiUsage.reserve(workspaceId, day, this.caps))) {
        const key = `${workspaceId}:${day}`;
        if (!this.capReported.has(key)) {
          if (this.capReported.size > 10_000) this.capReported.clear();
          this.capReported.add(key);
          this.fail({ operation, workspaceId, reason: 'cap' });
        }
        return undefined;
      }
      const result = await run();
      await this.deps.store.aiUsage.addTokens(workspaceId, day, result.tokens);
      return result;
    } catch (error) {
      const resting = this.deps.clock.now().getTime() < this.restUntil;
      this.restUntil = this.deps.clock.now().getTime() + (this.deps.cooldownMs ?? 30_000);
      // Calls already in flight when the first one failed end the same way: one line is enough.
      if (!resting) this.fail({ operation, workspaceId, reason: 'error', error });
      return undefined;
    }
  }
}
