import { z } from 'zod';

/**
 * What the OpenAI adapter needs. src/config.ts maps the environment onto it (OPENAI_API_KEY,
 * OPENAI_BASE_URL, OPENAI_MODEL, OPENAI_EMBEDDING_MODEL, OPENAI_API_STYLE, …); the adapter
 * never reads the environment itself.
 */
export const AiConfigSchema = z.object({
  apiKey: z.string().min(1),
  /** Any OpenAI-compatible server; the SDK's default (api.openai.com) when absent. */
  baseUrl: z.string().url().optional(),
  model: z.string().min(1).default('gpt-4o-mini'),
  embeddingModel: z.string().min(1).default('text-embedding-3-small'),
  /**
   * `responses` (the Responses API, OpenAI's current surface) or `chat` (Chat Completions with
   * structured outputs, for OpenAI-compatible servers that lack the Responses API).
   */
  apiStyle: z.enum(['responses', 'chat']).default('responses'),
  /** How embeddings travel: base64 float32 (the SDK's default, smaller) or JSON floats. */
  embeddingEncoding: z.enum(['base64', 'float']).default('base64'),
  /** One request's timeout; nobody waits on AI, but a hung request must not pile up. */
  timeoutMs: z.number().int().positive().default(15_000),
  /** Retries after the first attempt, on rate limits (429), 5xx and dropped connections. */
  maxRetries: z.number().int().min(0).max(5).default(2),
  /** The longest Retry-After honoured; a longer one gives up at once (the fallback is ready). */
  maxRetryAfterMs: z.number().int().min(0).default(20_000),
  /** Per workspace per UTC day. */
  maxCallsPerDay: z.number().int().positive().default(500),
  maxTokensPerDay: z.number().int().positive().default(200_000),
});
export type AiConfig = z.infer<typeof AiConfigSchema>;
export type AiConfigInput = z.input<typeof AiConfigSchema>;
