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

/** A text's terms: each distinct token once, in order of first use, with its count. */
interface Terms {
  tokens: string[];
  counts: number[];
  countOf: Map<string, number>;
}

function termsOf(tokens: string[]): Terms {
  const countOf = new Map<string, number>();
  for (const t of tokens) countOf.set(t, (countOf.get(t) ?? 0) + 1);
  return { tokens: [...countOf.keys()], counts: [...countOf.values()], countOf };
}

/**
 * Terms of a pebble's text (stemming and counting are the costly part), memoised per pebble
 * object: the service reuses the same objects as candidates, and a changed pebble is a new
 * object.
 */
const termsMemo = new WeakMap<Pebble, Terms>();
function pebbleTerms(p: Pebble): Terms {
  let terms = termsMemo.get(p);
  if (!terms) {
    terms = termsOf(tokenize(pebbleText(p)));
    termsMemo.set(p, terms);
  }
  return terms;
}

/**
 * Deterministic lexical similarity: TF-IDF vectors over title (weighted twice) and description,
 * compared by cosine. Same inputs, same ranking, no network. A report compares itself with up
 * to 500 open pebbles before it is answered, so the work per candidate is kept small: its terms
 * are counted once, each term's weight once per call, and a candidate that shares no term with
 * the text (cosine 0, under any positive threshold) is not weighed at all.
 */
export class LexicalSimilarity implements SimilarityPort {
  findSimilar(
    text: string,
    candidates: readonly Pebble[],
    { limit = 3, threshold = 0.25 }: { limit?: number; threshold?: number } = {},
  ): Promise<{ pebble: Pebble; score: number }[]> {
    const docs = candidates.map(pebbleTerms);
    const query = termsOf(tokenize(text));
    if (query.tokens.length === 0 || docs.length === 0) return Promise.resolve([]);

    const df = new Map<string, number>();
    for (const terms of [...docs, query]) {
      for (const t of terms.tokens) df.set(t, (df.get(t) ?? 0) + 1);
    }
    const n = docs.length + 1;
    const idf = new Map<string, number>();
    for (const [t, count] of df) idf.set(t, 1 + Math.log(n / count));
    const norm = (terms: Terms) => {
      let sum = 0;
      for (let i = 0; i < terms.tokens.length; i++) {
        const w = terms.counts[i]! * idf.get(terms.tokens[i]!)!;
        sum += w * w;
      }
      return Math.sqrt(sum);
    };
    const q = query.tokens.map((t, i) => query.counts[i]! * idf.get(t)!);
    const qn = norm(query);

    const scored: { pebble: Pebble; score: number }[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const d = docs[i]!;
      let dot = 0;
      let shared = false;
      for (let k = 0; k < query.tokens.length; k++) {
        const t = query.tokens[k]!;
        const count = d.countOf.get(t);
        if (count === undefined) continue;
        shared = true;
        dot += q[k]! * (count * idf.get(t)!);
      }
      if (!shared && threshold > 0) continue;
      const dn = norm(d);
      scored.push({ pebble: candidates[i]!, score: dn && qn ? dot / (dn * qn) : 0 });
    }
    return Promise.resolve(
      scored
        .filter((s) => s.score >= threshold)
        .sort((a, b) => b.score - a.score || a.pebble.number - b.pebble.number)
        .slice(0, limit),
    );
  }
}
