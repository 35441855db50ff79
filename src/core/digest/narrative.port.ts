import type { DigestMetrics, DigestTheme } from './digest.model.js';

/** What a narrator may know besides the numbers. */
export interface NarrativeContext {
  /** Whose digest it is (an AI narrator checks the workspace's AI switch and cap). */
  workspaceId?: string;
  workspaceName?: string;
  /** A preview of the running period (counted so far), not a finished week. */
  preview: boolean;
  /** The period's themes when they were already found (the narrator need not look again). */
  themes?: DigestTheme[];
}

/**
 * Writes the week in words from a digest's numbers: three short lines (what people said most,
 * what shipped, which promises were kept or broken and what came back), shown first. The
 * deterministic implementation (NumbersNarrator) is the default and the fallback; an AI
 * implementation can replace it, and whatever it writes is checked and replaced by the
 * deterministic text when it fails.
 */
export interface DigestNarrator {
  /** Recorded with the snapshot: `numbers`, `ai`, … */
  readonly name: string;
  narrate(metrics: DigestMetrics, context: NarrativeContext): Promise<string>;
}
