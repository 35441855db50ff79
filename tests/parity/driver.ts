import type { Store } from '../../src/core/ports/store.port.js';

/** The people of the story, by handle; each channel gives them its own platform ids. */
export const PEOPLE = ['ana', 'ben', 'cy', 'dee', 'vera', 'olu', 'raj'] as const;
export type Person = (typeof PEOPLE)[number];

/**
 * One channel's way of living the story: each step as a person of that channel does it (a
 * console line, a signed Slack command or click, later a Teams activity). A third channel joins
 * the parity test by implementing this.
 */
export interface ParityDriver {
  readonly name: string;
  /** The cast's roles in the workspace: ana admin, ben/cy/dee council, vera sponsor, olu owner. */
  setUp(): Promise<void>;
  report(person: Person, text: string): Promise<void>;
  support(person: Person, pebble: number): Promise<void>;
  triage(
    person: Person,
    pebble: number,
    change: { severity: number } | { stage: string },
  ): Promise<void>;
  propose(person: Person, pebbles: number[]): Promise<void>;
  vote(person: Person, vote: number, choice: string): Promise<void>;
  /** Lets what follows a change happen (the vote closing once every member voted, deliveries). */
  settle(): Promise<void>;
  assign(person: Person, improvement: number, owner: Person, date: string): Promise<void>;
  accept(person: Person, improvement: number): Promise<void>;
  done(person: Person, improvement: number, whatChanged: string): Promise<void>;
  answerFixed(person: Person, improvement: number, answer: 'yes' | 'no'): Promise<void>;
  /** The digest preview; returns its text so both runs can be checked for numbers. */
  digest(person: Person): Promise<string>;
  /** The store the run wrote, its workspace, and what each platform id (person, channel) stands for. */
  result(): { store: Store; workspaceId: string; ids: Map<string, string> };
  stop(): Promise<void>;
}
