import OpenAI from 'openai';

/** What to do after a failed attempt: wait this long and try again, or give up. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/** `Retry-After` (seconds or an HTTP date) or OpenAI's `retry-after-ms`, in milliseconds. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** True for the 429 that means the account is out of credit: retrying cannot help. */
export function isQuotaExhausted(error: unknown): boolean {
  return (
    error instanceof OpenAI.APIError &&
    (error.code === 'insufficient_quota' ||
      (error.error as { code?: unknown } | undefined)?.code === 'insufficient_quota')
  );
}

/**
 * Rate limits wait for Retry-After (or back off when the server gives none) unless that is
 * longer than `maxRetryAfterMs`; 5xx and dropped connections back off; a timeout, a quota
 * exhausted, a bad request or a reply that breaks its schema give up at once.
 */
export function decideRetry(
  error: unknown,
  attempt: number,
  { maxRetries, maxRetryAfterMs }: { maxRetries: number; maxRetryAfterMs: number },
): RetryDecision {
  if (attempt >= maxRetries) return { retry: false };
  const backoff = Math.min(8_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
  if (error instanceof OpenAI.APIConnectionTimeoutError) return { retry: false };
  if (error instanceof OpenAI.APIConnectionError) return { retry: true, delayMs: backoff };
  if (!(error instanceof OpenAI.APIError) || error.status === undefined) return { retry: false };
  if (error.status === 429) {
    if (isQuotaExhausted(error)) return { retry: false };
    const after = retryAfterMs(error.headers as Headers | undefined);
    if (after === undefined) return { retry: true, delayMs: backoff };
    return after <= maxRetryAfterMs ? { retry: true, delayMs: after } : { retry: false };
  }
  if (error.status === 408 || error.status === 409 || error.status >= 500) {
    return { retry: true, delayMs: backoff };
  }
  return { retry: false };
}

/** Runs `attempt` with the retry policy above; rejects with the last error. */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: { maxRetries: number; maxRetryAfterMs: number },
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      const decision = decideRetry(error, i, policy);
      if (!decision.retry) throw error;
      await sleep(decision.delayMs);
    }
  }
}

/** A failure in a few words for the log: never the request, which carries people's text. */
export function describeAiError(error: unknown): Record<string, unknown> {
  if (error instanceof OpenAI.APIError) {
    return {
      kind: error.constructor.name,
      status: error.status,
      ...(error.code ? { code: error.code } : {}),
      ...(error.type ? { type: error.type } : {}),
    };
  }
  if (error instanceof Error) return { kind: error.name, message: error.message.slice(0, 200) };
  return { kind: typeof error };
}
