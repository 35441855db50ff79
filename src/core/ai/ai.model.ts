import { z } from 'zod';
import { SeveritySchema, StakeholderSchema } from '../pebbles/pebble.model.js';

/**
 * The structured outputs the model must produce. Every field is required and "no answer" is
 * null: OpenAI's strict structured outputs reject optional properties.
 */
export const TriageSuggestionOutputSchema = z.object({
  title: z.string().min(1).max(150),
  stakeholder: StakeholderSchema,
  /** Keys from the catalog the prompt listed; anything else is dropped on validation. */
  journey: z.string().max(64).nullable(),
  stage: z.string().max(64).nullable(),
  severity: SeveritySchema,
  summary: z.string().min(1).max(300),
});
export type TriageSuggestionOutput = z.infer<typeof TriageSuggestionOutputSchema>;

export const ThemeNamesOutputSchema = z.object({
  /** One short name per cluster, in the order the clusters were given. */
  names: z.array(z.string().min(1).max(80)).max(5),
});
export type ThemeNamesOutput = z.infer<typeof ThemeNamesOutputSchema>;

export const NarrativeOutputSchema = z.object({
  narrative: z.string().min(1).max(2_000),
});
export type NarrativeOutput = z.infer<typeof NarrativeOutputSchema>;

/** One stage of the workspace's catalog, as the model sees it. */
export interface CatalogEntry {
  journey: string;
  journeyName: string;
  stage: string;
  stageName: string;
}

/**
 * A triage suggestion validated against the workspace's catalog. It is a default someone may
 * accept or edit, never applied by itself; `model` goes into history when it is accepted.
 */
export interface TriageSuggestion {
  title: string;
  stakeholder: z.infer<typeof StakeholderSchema>;
  journey?: string;
  stage?: string;
  severity: number;
  summary: string;
  model: string;
}

/** A group of a week's pebbles, named for leaders. */
export interface Theme {
  name: string;
  /** Pebble numbers in the theme. */
  pebbles: number[];
  /** `ai` when the model named it, `words` when the most frequent words did. */
  namedBy: 'ai' | 'words';
}

/** What the narrative prompt may contain: numbers and names only, never a pebble's text. */
export interface NarrativeFacts {
  preview: boolean;
  /** Label → number, e.g. `pebbles reported` → 12. */
  numbers: Record<string, number>;
  /** Catalog stage names with their counts this week. */
  stages: { name: string; count: number }[];
  themes: { name: string; count: number }[];
}

/** A workspace's AI usage on one day (UTC) against its caps. */
export interface AiUsage {
  day: string;
  calls: number;
  tokens: number;
  maxCalls: number;
  maxTokens: number;
}
