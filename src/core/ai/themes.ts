import type { Pebble } from '../pebbles/pebble.model.js';
import type { Workspace } from '../workspaces/workspace.model.js';
import type { Theme } from './ai.model.js';
import { embeddingText, type AiService } from './ai.service.js';
import { cosine } from './embedding-similarity.js';

export const MAX_THEMES = 5;
/** Clusters merge while their average similarity stays above this. */
const MERGE_THRESHOLD = 0.5;
/** How many titles of a cluster the model sees to name it. */
const SAMPLES = 5;

/**
 * Average-linkage agglomerative clustering by cosine: merges the closest pair until no pair is
 * similar enough, then keeps the largest groups of two or more (at most `max`). Deterministic:
 * ties go to the earlier indices. O(n³) in the worst case, fine for a week's pebbles.
 */
export function clusterVectors(
  vectors: readonly number[][],
  { max = MAX_THEMES, threshold = MERGE_THRESHOLD } = {},
): number[][] {
  const sim: number[][] = vectors.map((a) => vectors.map((b) => cosine(a, b)));
  let clusters = vectors.map((_, i) => [i]);
  const linkage = (a: number[], b: number[]) => {
    let sum = 0;
    for (const i of a) for (const j of b) sum += sim[i]![j]!;
    return sum / (a.length * b.length);
  };
  while (clusters.length > 1) {
    let best = { score: -Infinity, a: -1, b: -1 };
    for (let a = 0; a < clusters.length; a++) {
      for (let b = a + 1; b < clusters.length; b++) {
        const score = linkage(clusters[a]!, clusters[b]!);
        if (score > best.score) best = { score, a, b };
      }
    }
    if (best.score < threshold) break;
    const merged = [...clusters[best.a]!, ...clusters[best.b]!].sort((x, y) => x - y);
    clusters = clusters.filter((_, i) => i !== best.a && i !== best.b);
    clusters.push(merged);
  }
  return clusters
    .filter((c) => c.length >= 2)
    .sort((a, b) => b.length - a.length || a[0]! - b[0]!)
    .slice(0, max);
}

const COMMON = new Set(
  (
    'a an and are as at be but by can for from has have i if in into is it its me my no not of on ' +
    'or our so that the their them then there they this to too up us was we were when where which ' +
    'while who will with you your after again all also am any been before being did do does get ' +
    'gets got had how just more than very what when why would should could one still keeps keep'
  ).split(' '),
);

/** A deterministic name: the two words the cluster's titles share most. */
export function nameByWords(titles: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const title of titles) {
    const words = new Set(
      (title.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(
        (w) => w.length > 2 && !COMMON.has(w),
      ),
    );
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 2)
    .map(([w]) => w);
  return top.length ? top.join(' and ') : 'related pebbles';
}

/**
 * The week's pebbles grouped into at most five named themes. Empty when AI is off or the
 * embeddings fail (the digest lists pebbles as before); named by words when only the naming
 * fails. Anonymous reporters' titles are clustered but never sent to be named.
 */
export async function findThemes(
  ai: AiService,
  workspace: Workspace,
  pebbles: readonly Pebble[],
): Promise<Theme[]> {
  if (pebbles.length < 2) return [];
  const vectors = await ai.embed(workspace, pebbles.map(embeddingText));
  if (!vectors) return [];
  const clusters = clusterVectors(vectors);
  if (clusters.length === 0) return [];
  const members = clusters.map((c) => c.map((i) => pebbles[i]!));
  const names = await ai.nameThemes(
    workspace,
    members.map((ps) => ({
      size: ps.length,
      samples: ps
        .filter((p) => !p.anonymous)
        .slice(0, SAMPLES)
        .map((p) => p.title),
    })),
  );
  return members.map((ps, i) => ({
    // Words of anonymous reporters stay out of names too: names reach the narrative prompt.
    name: names?.[i] ?? nameByWords(ps.filter((p) => !p.anonymous).map((p) => p.title)),
    pebbles: ps.map((p) => p.number),
    namedBy: names ? 'ai' : 'words',
  }));
}
