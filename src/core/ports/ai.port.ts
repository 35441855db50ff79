/** Daily AI caps of a workspace. */
export interface AiCaps {
  maxCalls: number;
  maxTokens: number;
}

/**
 * Per-workspace, per-day (UTC) AI usage: `{workspaceId}:{day}` is the identity. Counting is
 * one atomic conditional update, so concurrent replicas never pass the cap together.
 */
export interface AiUsageRepository {
  /**
   * Counts one call when the day is still under both caps (calls made < maxCalls and tokens
   * used < maxTokens); false, with nothing counted, when a cap is reached.
   */
  reserve(workspaceId: string, day: string, caps: AiCaps): Promise<boolean>;
  /** Adds the tokens a call reported. */
  addTokens(workspaceId: string, day: string, tokens: number): Promise<void>;
  get(workspaceId: string, day: string): Promise<{ calls: number; tokens: number }>;
}

/**
 * Embedding vectors by content hash (the key covers the model and the redacted text), so a
 * pebble is embedded once however often it is compared.
 */
export interface EmbeddingCacheRepository {
  /** The vectors found, by key; missing keys are absent. */
  get(keys: readonly string[]): Promise<Map<string, number[]>>;
  /** Stores vectors; a key already stored keeps its vector. */
  put(entries: readonly { key: string; vector: readonly number[] }[]): Promise<void>;
}

/** Vectors are stored as base64 float32: a quarter of the size of a JSON number array. */
export function encodeVector(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

export function decodeVector(encoded: string): number[] {
  // Copied so the floats start on a 4-byte boundary (pooled Buffers may not).
  const bytes = new Uint8Array(Buffer.from(encoded, 'base64'));
  return Array.from(new Float32Array(bytes.buffer, 0, Math.floor(bytes.byteLength / 4)));
}

export const usageId = (workspaceId: string, day: string) => `${workspaceId}:${day}`;
