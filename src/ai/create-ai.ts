import { AiNarrator, AiThemeFinder } from '../core/ai/ai.narrator.js';
import { AiService, type AiFailure } from '../core/ai/ai.service.js';
import type { AiPort } from '../core/ai/ai.port.js';
import { EmbeddingSimilarity } from '../core/ai/embedding-similarity.js';
import type { SimilarityPort } from '../core/pebbles/similarity.js';
import type { Clock } from '../core/shared/clock.port.js';
import type { Logger } from '../logger.js';
import type { Store } from '../core/ports/store.port.js';
import { AiConfigSchema, type AiConfigInput } from './ai.config.js';
import { OpenAiAdapter } from './openai.adapter.js';
import { describeAiError } from './retry.js';

export interface AiParts {
  service: AiService;
  similarity: EmbeddingSimilarity;
  narrator: AiNarrator;
  themes: AiThemeFinder;
}

/** One warning per operation that fell back; never the text it was about. */
export function logAiFailure(logger: Pick<Logger, 'warn'> | undefined) {
  return (failure: AiFailure) =>
    logger?.warn(
      {
        ai: failure.operation,
        workspaceId: failure.workspaceId,
        reason: failure.reason,
        ...(failure.error ? { error: describeAiError(failure.error) } : {}),
      },
      failure.reason === 'cap'
        ? 'AI daily cap reached for this workspace: deterministic fallback until tomorrow (UTC)'
        : 'AI call failed: deterministic fallback used',
    );
}

/**
 * The AI parts of the services on OpenAI: the policy service, the embedding similarity (lexical
 * as its fallback) and the digest narrator. `port` replaces the OpenAI adapter (tests, bench).
 */
export function createAi(
  input: AiConfigInput,
  deps: {
    store: Store;
    clock: Clock;
    fallback: SimilarityPort;
    logger?: Pick<Logger, 'warn'>;
    port?: AiPort;
  },
): AiParts {
  const config = AiConfigSchema.parse(input);
  const service = new AiService({
    port: deps.port ?? new OpenAiAdapter(config),
    store: deps.store,
    clock: deps.clock,
    embeddingModel: config.embeddingModel,
    caps: { maxCalls: config.maxCallsPerDay, maxTokens: config.maxTokensPerDay },
    onFailure: logAiFailure(deps.logger),
  });
  return {
    service,
    similarity: new EmbeddingSimilarity(service, deps.store, deps.fallback),
    narrator: new AiNarrator(service, deps.store),
    themes: new AiThemeFinder(service, deps.store),
  };
}
