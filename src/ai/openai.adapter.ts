import OpenAI from 'openai';
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import type { z } from 'zod';
import {
  NarrativeOutputSchema,
  ThemeNamesOutputSchema,
  TriageSuggestionOutputSchema,
  type CatalogEntry,
  type NarrativeFacts,
  type ThemeNamesOutput,
  type TriageSuggestionOutput,
} from '../core/ai/ai.model.js';
import type { AiPort, AiResult, ThemeCluster } from '../core/ai/ai.port.js';
import { redact } from '../core/ai/redact.js';
import { decodeVector } from '../core/ports/ai.port.js';
import type { AiConfig } from './ai.config.js';
import {
  narrativeMessage,
  narrativePrompt,
  pebbleMessage,
  themesMessage,
  themesPrompt,
  triagePrompt,
} from './prompts.js';
import { withRetries } from './retry.js';

// Converting a zod schema to JSON Schema is not free: once per process, not once per call.
const FORMATS = {
  triage: {
    text: zodTextFormat(TriageSuggestionOutputSchema, 'triage_suggestion'),
    chat: zodResponseFormat(TriageSuggestionOutputSchema, 'triage_suggestion'),
  },
  themes: {
    text: zodTextFormat(ThemeNamesOutputSchema, 'theme_names'),
    chat: zodResponseFormat(ThemeNamesOutputSchema, 'theme_names'),
  },
  narrative: {
    text: zodTextFormat(NarrativeOutputSchema, 'digest_narrative'),
    chat: zodResponseFormat(NarrativeOutputSchema, 'digest_narrative'),
  },
};

/** Inputs per embeddings request (the API takes up to 2,048). */
const EMBED_BATCH = 256;

/**
 * The AI port on the official OpenAI SDK: structured outputs through the Responses API
 * (`responses.parse` with a zod text format) or, with `apiStyle: chat`, Chat Completions
 * (`chat.completions.parse` with a zod response format). The SDK's own retries are off: ours
 * honour Retry-After and never retry an exhausted quota. Text is redacted again here, so
 * nothing personal leaves even if a caller forgot.
 */
export class OpenAiAdapter implements AiPort {
  readonly name: string;
  private readonly client: OpenAI;

  constructor(
    private readonly config: AiConfig,
    options: { fetch?: typeof fetch; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    this.name = `openai:${config.model}`;
    this.client = new OpenAI({
      apiKey: config.apiKey,
      ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
      timeout: config.timeoutMs,
      maxRetries: 0,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.sleep = options.sleep;
  }

  private readonly sleep: ((ms: number) => Promise<void>) | undefined;

  suggestTriage(
    text: string,
    catalog: readonly CatalogEntry[],
  ): Promise<AiResult<TriageSuggestionOutput>> {
    return this.structured(
      TriageSuggestionOutputSchema,
      FORMATS.triage,
      triagePrompt(catalog),
      pebbleMessage(redact(text)),
    );
  }

  nameThemes(clusters: readonly ThemeCluster[]): Promise<AiResult<ThemeNamesOutput>> {
    return this.structured(
      ThemeNamesOutputSchema,
      FORMATS.themes,
      themesPrompt(),
      themesMessage(clusters.map((c) => ({ size: c.size, samples: c.samples.map(redact) }))),
    );
  }

  async narrate(facts: NarrativeFacts): Promise<AiResult<string>> {
    const result = await this.structured(
      NarrativeOutputSchema,
      FORMATS.narrative,
      narrativePrompt(),
      narrativeMessage({
        ...facts,
        themes: facts.themes.map((t) => ({ ...t, name: redact(t.name) })),
      }),
    );
    return { ...result, value: result.value.narrative };
  }

  async embed(texts: readonly string[]): Promise<AiResult<number[][]>> {
    const vectors: number[][] = [];
    let tokens = 0;
    let model = this.config.embeddingModel;
    for (let at = 0; at < texts.length; at += EMBED_BATCH) {
      const input = texts.slice(at, at + EMBED_BATCH).map(redact);
      const response = await this.retrying(() =>
        this.client.embeddings.create({
          model: this.config.embeddingModel,
          input,
          // Left out for base64: the SDK then asks for base64 and decodes it itself.
          ...(this.config.embeddingEncoding === 'float'
            ? { encoding_format: 'float' as const }
            : {}),
        }),
      );
      if (response.data.length !== input.length) {
        throw new Error(`expected ${input.length} embeddings, got ${response.data.length}`);
      }
      const ordered = [...response.data].sort((a, b) => a.index - b.index);
      for (const item of ordered) {
        const raw = item.embedding as number[] | string;
        const vector = typeof raw === 'string' ? decodeVector(raw) : raw;
        if (
          !Array.isArray(vector) ||
          vector.some((x) => typeof x !== 'number' || !Number.isFinite(x))
        )
          throw new Error('an embedding is not a vector of numbers');
        vectors.push(vector);
      }
      tokens += response.usage?.total_tokens ?? 0;
      model = response.model || model;
    }
    return { value: vectors, model, tokens };
  }

  /** One structured call in the configured API style; rejects unless the reply parses. */
  private async structured<S extends z.ZodType>(
    schema: S,
    format: { text: ReturnType<typeof zodTextFormat>; chat: ReturnType<typeof zodResponseFormat> },
    system: string,
    user: string,
  ): Promise<AiResult<z.infer<S>>> {
    if (this.config.apiStyle === 'chat') {
      const completion = await this.retrying(() =>
        this.client.chat.completions.parse({
          model: this.config.model,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: user },
          ],
          response_format: format.chat,
        }),
      );
      const message = completion.choices[0]?.message;
      if (!message || message.refusal || message.parsed == null) {
        throw new Error('the model gave no structured answer');
      }
      return {
        value: schema.parse(message.parsed),
        model: completion.model || this.config.model,
        tokens: completion.usage?.total_tokens ?? 0,
      };
    }
    const response = await this.retrying(() =>
      this.client.responses.parse({
        model: this.config.model,
        input: [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ],
        text: { format: format.text },
        // Pebble text is not kept on the provider's side for later retrieval.
        store: false,
      }),
    );
    if (response.output_parsed == null) throw new Error('the model gave no structured answer');
    return {
      value: schema.parse(response.output_parsed),
      model: response.model || this.config.model,
      tokens: response.usage?.total_tokens ?? 0,
    };
  }

  private retrying<T>(attempt: () => Promise<T>): Promise<T> {
    return withRetries(attempt, this.config, this.sleep);
  }
}
