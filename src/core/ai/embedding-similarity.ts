import type { Store } from '../ports/store.port.js';
import type { Pebble } from '../pebbles/pebble.model.js';
import type { SimilarityPort } from '../pebbles/similarity.js';
import type { Workspace } from '../workspaces/workspace.model.js';
import { embeddingText, type AiService } from './ai.service.js';

/** Cosine of two vectors; 0 when either is all zeros or their lengths differ. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * The cosine similarity above which two pebbles count as the same friction: the best F1 on the
 * labelled set (tests/fixtures/ai, `npm run bench:similar`) with recorded all-MiniLM-L6-v2
 * vectors. Another model's scale may differ (re-run the benchmark with its vectors), hence a
 * setting of the implementation.
 */
export const DEFAULT_EMBEDDING_THRESHOLD = 0.5;

/**
 * Similar pebbles by embeddings of title and description, with the lexical similarity as the
 * fallback whenever AI is off, capped or failing: the answer's shape never changes, only its
 * quality. `threshold` in the options is on the scale of whichever one answers, so callers
 * normally leave it out.
 */
export class EmbeddingSimilarity implements SimilarityPort {
  constructor(
    private readonly ai: AiService,
    private readonly store: Store,
    private readonly fallback: SimilarityPort,
    private readonly threshold = DEFAULT_EMBEDDING_THRESHOLD,
  ) {}

  async findSimilar(
    text: string,
    candidates: readonly Pebble[],
    options: { limit?: number; threshold?: number } = {},
  ): Promise<{ pebble: Pebble; score: number }[]> {
    const workspaceId = candidates[0]?.workspaceId;
    const workspace = workspaceId ? await this.workspace(workspaceId) : null;
    const vectors = workspace
      ? await this.ai.embed(workspace, [text, ...candidates.map(embeddingText)])
      : undefined;
    if (!vectors) return this.fallback.findSimilar(text, candidates, options);
    const [query, ...rest] = vectors;
    const threshold = options.threshold ?? this.threshold;
    return candidates
      .map((pebble, i) => ({ pebble, score: cosine(query!, rest[i]!) }))
      .filter((s) => s.score >= threshold)
      .sort((a, b) => b.score - a.score || a.pebble.number - b.pebble.number)
      .slice(0, options.limit ?? 3);
  }

  private async workspace(id: string): Promise<Workspace | null> {
    return this.store.workspaces.get(id).catch(() => null);
  }
}
