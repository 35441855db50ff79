import { stemmer } from 'stemmer';
import type { Pebble } from './pebble.model.js';

/** Finds open pebbles that look like a given text. AI-based matching implements it later. */
export interface SimilarityPort {
  findSimilar(
    text: string,
    candidates: readonly Pebble[],
    options?: { limit?: number; threshold?: number },
  ): Promise<{ pebble: Pebble; score: number }[]>;
}

const STOP_WORDS = new Set(
  (
    'a an and are as at be but by can for from has have i if in into is it its me my no not of on ' +
    'or our so that the their them then there they this to too up us was we were when where which ' +
    'while who will with you your after again all also am any been before being both did do does ' +
    'doing down each few had he her here him his how just more most nor off once only other ' +
    'over own same she should some such than these those through under until very what why would'
  ).split(' '),
);

/** Lower-cased, Porter-stemmed word tokens without stop words ("timed out" ~ "times out"). */
export function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
    .filter((t) => t.length > 1 && !STOP_WORDS.has(t))
    .map((t) => stemmer(t));
}

function pebbleText(p: Pebble): string {
  return `${p.title} ${p.title} ${p.description}`;
}

/**
 * Tokens of a pebble's text (stemming is the costly part), memoised per pebble object: the
 * service reuses the same objects as candidates, and a changed pebble is a new object.
 */
const tokenMemo = new WeakMap<Pebble, string[]>();
function pebbleTokens(p: Pebble): string[] {
  let tokens = tokenMemo.get(p);
  if (!tokens) {
    tokens = tokenize(pebbleText(p));
    tokenMemo.set(p, tokens);
  }
  return tokens;
}

/**
 * Deterministic lexical similarity: TF-IDF vectors over title (weighted twice) and description,
 * compared by cosine. Same inputs, same ranking, no network.
 */
export class LexicalSimilarity implements SimilarityPort {
  findSimilar(
    text: string,
    candidates: readonly Pebble[],
    { limit = 3, threshold = 0.25 }: { limit?: number; threshold?: number } = {},
  ): Promise<{ pebble: Pebble; score: number }[]> {
    const docs = candidates.map(pebbleTokens);
    const query = tokenize(text);
    if (query.length === 0 || docs.length === 0) return Promise.resolve([]);

    const df = new Map<string, number>();
    for (const tokens of [...docs, query]) {
      for (const t of new Set(tokens)) df.set(t, (df.get(t) ?? 0) + 1);
    }
    const n = docs.length + 1;
    const vector = (tokens: string[]): Map<string, number> => {
      const tf = new Map<string, number>();
      for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
      const v = new Map<string, number>();
      for (const [t, count] of tf) v.set(t, count * (1 + Math.log(n / (df.get(t) ?? 1))));
      return v;
    };
    const norm = (v: Map<string, number>) =>
      Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0));
    const q = vector(query);
    const qn = norm(q);

    const scored = candidates.map((pebble, i) => {
      const d = vector(docs[i] ?? []);
      let dot = 0;
      for (const [t, w] of q) dot += w * (d.get(t) ?? 0);
      const dn = norm(d);
      return { pebble, score: dn && qn ? dot / (dn * qn) : 0 };
    });
    return Promise.resolve(
      scored
        .filter((s) => s.score >= threshold)
        .sort((a, b) => b.score - a.score || a.pebble.number - b.pebble.number)
        .slice(0, limit),
    );
  }
}
