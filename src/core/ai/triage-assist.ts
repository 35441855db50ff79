import { LRUCache } from 'lru-cache';
import type { Store } from '../ports/store.port.js';
import { isOpen, type Pebble } from '../pebbles/pebble.model.js';
import type { PebbleService } from '../pebbles/pebble.service.js';
import type { SimilarityPort } from '../pebbles/similarity.js';
import type { Clock } from '../shared/clock.port.js';
import type { Workspace } from '../workspaces/workspace.model.js';
import { embeddingText, type AiService } from './ai.service.js';
import { findRecurrence, recentlyResolved } from './recurrence.js';

/** How long the resolved pebbles a new report is compared with are reused. */
const RESOLVED_CACHE_MS = 60_000;

export interface TriageAssistDeps {
  store: Store;
  clock: Clock;
  pebbles: PebbleService;
  /** Embeddings when AI is configured (lexical when it is off or failing), lexical otherwise. */
  similarity: SimilarityPort;
  /** Absent without a key: no suggestion is ever asked for. */
  ai?: AiService;
  /** Told about a step that failed (the pebble is stored; only the extra is lost). */
  onError?: (error: unknown, pebble: Pebble) => void;
}

/**
 * What follows a report once it is acknowledged: an AI triage suggestion (when AI is on for
 * the workspace) and the "it came back?" flag when the pebble looks like a resolved one (with
 * lexical similarity when AI is off, so that flag works without a key). Both are written to
 * the pebble as things for a person to accept; nothing is applied. Runs in the background, so
 * neither the acknowledgement nor the reporter's confirmation waits for the model.
 */
export class TriageAssist {
  private readonly running = new Set<Promise<void>>();
  /**
   * The resolved pebbles of each workspace, read at most once a minute: reading them means
   * sorting every resolved pebble by its last change, too much to do for every report. A
   * pebble resolved in the last minute is compared from the next reading on.
   */
  private readonly resolved = new LRUCache<string, Promise<Pebble[]>>({
    max: 1_000,
    ttl: RESOLVED_CACHE_MS,
  });

  constructor(private readonly deps: TriageAssistDeps) {}

  private resolvedOf(workspace: Workspace): Promise<Pebble[]> {
    let reading = this.resolved.get(workspace.id);
    if (!reading) {
      reading = recentlyResolved(this.deps.store, workspace);
      this.resolved.set(workspace.id, reading);
      // A failed reading is not kept: the next report tries again.
      reading.catch(() => this.resolved.delete(workspace.id));
    }
    return reading;
  }

  /**
   * Looks for a suggestion and a recurrence; the pebble as updated, or undefined when there was
   * nothing to add. Never throws.
   */
  async assist(workspace: Workspace, pebble: Pebble): Promise<Pebble | undefined> {
    const { ai, pebbles, store, similarity, clock } = this.deps;
    const failed = (error: unknown) => {
      this.deps.onError?.(error, pebble);
      return undefined;
    };
    const [suggestion, recurrence] = await Promise.all([
      ai?.suggestTriage(workspace, embeddingText(pebble)).catch(failed),
      findRecurrence(store, similarity, workspace, pebble, clock.now(), (ws) =>
        this.resolvedOf(ws),
      ).catch(failed),
    ]);
    let updated: Pebble | undefined;
    try {
      if (recurrence) {
        const resolvedAt =
          recurrence.pebble.history.findLast((h) => h.to === 'resolved')?.at ??
          recurrence.pebble.updatedAt;
        updated =
          (await pebbles.flagRecurrence(workspace, pebble.number, {
            of: recurrence.pebble.number,
            resolvedAt,
          })) ?? updated;
      }
      if (suggestion) {
        const { model, ...fields } = suggestion;
        updated =
          (await pebbles.attachSuggestion(workspace, pebble.number, {
            ...fields,
            model,
            at: clock.now(),
          })) ?? updated;
      }
    } catch (error) {
      return failed(error);
    }
    return updated && isOpen(updated.status) ? updated : undefined;
  }

  /**
   * Starts `assist` without waiting for it; `then` gets the updated pebble (the channel
   * refreshes the triage card with it). Errors are reported, never thrown.
   */
  later(workspace: Workspace, pebble: Pebble, then: (pebble: Pebble) => Promise<void>): void {
    const run = this.assist(workspace, pebble)
      .then((updated) => (updated ? then(updated) : undefined))
      .catch((error: unknown) => void this.deps.onError?.(error, pebble));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Resolves once every assist started so far is done (tests, the console, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
