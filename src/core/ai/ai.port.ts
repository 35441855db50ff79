import type {
  CatalogEntry,
  NarrativeFacts,
  ThemeNamesOutput,
  TriageSuggestionOutput,
} from './ai.model.js';

/** What one model call gave back, with what it cost (for the daily cap). */
export interface AiResult<T> {
  value: T;
  /** The model that answered, recorded with whatever is accepted from it. */
  model: string;
  /** Input plus output tokens as the API reported them (0 when it did not). */
  tokens: number;
}

/** A cluster of pebbles to name: a few redacted titles and how many pebbles it holds. */
export interface ThemeCluster {
  size: number;
  samples: string[];
}

/**
 * The model behind Pebblebot's suggestions (src/ai/ implements it on OpenAI). Callers hand it
 * text that has already been redacted (core/ai/redact.ts); every method rejects on any failure
 * (timeout, rate limit, quota, a reply that breaks its schema) and AiService falls back.
 * Nothing it returns is acted on: outputs become suggestions, names and a checked narrative.
 */
export interface AiPort {
  /** Shown in logs and recorded with digests (`openai`). */
  readonly name: string;
  suggestTriage(
    text: string,
    catalog: readonly CatalogEntry[],
  ): Promise<AiResult<TriageSuggestionOutput>>;
  /** One vector per text, in order. */
  embed(texts: readonly string[]): Promise<AiResult<number[][]>>;
  nameThemes(clusters: readonly ThemeCluster[]): Promise<AiResult<ThemeNamesOutput>>;
  narrate(facts: NarrativeFacts): Promise<AiResult<string>>;
}

/** The model for embeddings, so cached vectors of another model are never mixed in. */
export interface EmbeddingModelInfo {
  readonly embeddingModel: string;
}
