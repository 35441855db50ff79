import type { Store } from '../ports/store.port.js';
import { DigestMetricsCalculator } from '../metrics/digest-metrics.js';
import type { ChatTarget } from '../shared/chat-gateway.port.js';
import type { Clock } from '../shared/clock.port.js';
import type { OutboxPort } from '../shared/outbox.port.js';
import type { Workspace } from '../workspaces/workspace.model.js';
import type { MessageView } from '../ports/message-view.port.js';
import {
  digestKey,
  type DigestMetrics,
  type DigestSnapshot,
  type DigestTheme,
  type Period,
} from './digest.model.js';
import type { DigestSettings } from './digest-settings.js';
import type { DigestNarrator, NarrativeContext } from './narrative.port.js';
import { NumbersNarrator } from './numbers.narrator.js';
import { completedPeriod, runningPeriod } from './period.js';

/**
 * How the chart accompanies a rendered digest: `attached` after the message (its thread),
 * `inline` inside the message itself (a Teams card's image), `fallback` as numbers in the text.
 */
export type ChartMode = 'attached' | 'inline' | 'fallback' | 'none';

/**
 * The digest's messages as platform-neutral views: the main message a leader reads first, and
 * the details that go in its thread. Core owns this port; src/views implements it (the same
 * pattern as ImprovementNotices).
 */
export interface DigestViews {
  digest(
    digest: Pick<DigestSnapshot, 'metrics' | 'narrative'> & Partial<Pick<DigestSnapshot, 'themes'>>,
    options: { chart: ChartMode; preview?: boolean },
  ): { main: MessageView; details: MessageView };
}

/** A computed digest, saved (scheduled) or not (a preview). */
export type ComputedDigest = Pick<
  DigestSnapshot,
  'metrics' | 'narrative' | 'narrator' | 'computeMs' | 'themes'
>;

/**
 * Groups a period's pebbles into at most five named themes (the AI does; without it there are
 * none). Rejects or answers empty on any failure: the digest then goes without themes.
 */
export interface DigestThemeFinder {
  themes(workspace: Workspace, period: Period): Promise<DigestTheme[]>;
}

export interface DigestServiceDeps {
  store: Store;
  clock: Clock;
  /** Writes the narrative; the deterministic narrator when absent or when it fails. */
  narrator?: DigestNarrator;
  /** How long the narrator may take before the deterministic text is used (default 20 s). */
  narratorTimeoutMs?: number;
  /** Themes of the period, when AI is configured. */
  themes?: DigestThemeFinder;
}

/** A digest older than this is not sent any more (after a long outage the next one is). */
export const CATCH_UP_MS = 3 * 86_400_000;

/** Where a workspace's digest goes: its digest channel, then each leader by DM. */
export function digestRecipients(settings: DigestSettings): ChatTarget[] {
  const targets: ChatTarget[] = [];
  if (settings.channel) targets.push({ kind: 'channel', channelId: settings.channel });
  for (const userId of new Set(settings.leaders)) targets.push({ kind: 'dm', userId });
  return targets;
}

/**
 * The outbox key of one recipient's copy: the digest's key for the channel post, with
 * `:dm:{user}` for each leader's direct message.
 */
export function recipientKey(workspaceId: string, period: string, target: ChatTarget): string {
  const base = digestKey(workspaceId, period);
  return target.kind === 'channel' ? base : `${base}:dm:${target.userId}`;
}

/** Reads `digest:{workspace}:{period}[:dm:{user}]` back. */
export function parseDigestKey(key: string): { workspaceId: string; period: string } | undefined {
  const match = /^digest:(.+):(\d{4}-W\d{2})(?::dm:.+)?$/.exec(key);
  return match ? { workspaceId: match[1]!, period: match[2]! } : undefined;
}

const fallbackNarrator = new NumbersNarrator();

/**
 * The weekly digest: computes the metrics of a period from the store, has them told as a short
 * narrative, previews the running week and queues each finished week's digest exactly once.
 */
export class DigestService {
  private readonly calculator: DigestMetricsCalculator;
  private readonly narrator: DigestNarrator;
  private readonly narratorTimeoutMs: number;

  constructor(private readonly deps: DigestServiceDeps) {
    this.calculator = new DigestMetricsCalculator(deps.store.metrics);
    this.narrator = deps.narrator ?? fallbackNarrator;
    this.narratorTimeoutMs = deps.narratorTimeoutMs ?? 20_000;
  }

  /** The numbers of a period (no narrative). */
  metrics(workspace: Workspace, period: Period): Promise<DigestMetrics> {
    return this.calculator.compute(workspace.id, workspace.settings, period);
  }

  /** Metrics and narrative of a period. */
  async compute(workspace: Workspace, period: Period, preview: boolean): Promise<ComputedDigest> {
    const started = performance.now();
    const metrics = await this.metrics(workspace, period);
    const computeMs = Math.round(performance.now() - started);
    const themes = await this.themes(workspace, period);
    const context: NarrativeContext = {
      workspaceId: workspace.id,
      preview,
      ...(workspace.name ? { workspaceName: workspace.name } : {}),
      ...(this.deps.themes ? { themes } : {}),
    };
    const { narrative, narrator } = await this.narrate(metrics, context);
    return { metrics, narrative, narrator, computeMs, themes };
  }

  /** The running week so far, for `/pebble digest`: computed now, posted nowhere. */
  preview(workspace: Workspace): Promise<ComputedDigest> {
    const { digest, timezone } = workspace.settings;
    return this.compute(workspace, runningPeriod(this.deps.clock.now(), digest, timezone), true);
  }

  /** The last finished period of a workspace at `now`. */
  lastPeriod(workspace: Workspace, now: Date = this.deps.clock.now()): Period {
    return completedPeriod(now, workspace.settings.digest, workspace.settings.timezone);
  }

  /**
   * The snapshot of the last finished period: the stored one, or a new one computed and
   * stored once (when two replicas race, both get the first one written).
   */
  async snapshot(workspace: Workspace, period: Period): Promise<DigestSnapshot> {
    const existing = await this.deps.store.digests.get(workspace.id, period.key);
    if (existing) return existing;
    const computed = await this.compute(workspace, period, false);
    const { snapshot } = await this.deps.store.digests.saveOnce({
      workspaceId: workspace.id,
      period: period.key,
      ...computed,
      computedAt: this.deps.clock.now(),
      recipients: digestRecipients(workspace.settings.digest),
    });
    return snapshot;
  }

  /**
   * Sends the last finished period's digest of a workspace if it is due and not sent yet: one
   * outbox message per recipient, each under its idempotency key, so a retried tick, a restart
   * or a second replica never queues it twice. Returns what happened.
   */
  async sendDue(
    workspace: Workspace,
    outbox: OutboxPort,
    views: DigestViews,
    now: Date = this.deps.clock.now(),
  ): Promise<'queued' | 'already-queued' | 'not-due' | 'no-recipients' | 'off'> {
    const settings = workspace.settings.digest;
    if (!settings.enabled) return 'off';
    if (digestRecipients(settings).length === 0) return 'no-recipients';
    const period = this.lastPeriod(workspace, now);
    // Nothing to tell before the workspace existed, and a week-old digest is not news.
    if (workspace.createdAt >= period.end) return 'not-due';
    if (now.getTime() - period.end.getTime() > CATCH_UP_MS) return 'not-due';
    const stored = await this.deps.store.digests.get(workspace.id, period.key);
    if (stored?.queuedAt) return 'already-queued';
    const snapshot = stored ?? (await this.snapshot(workspace, period));
    let queued = 0;
    for (const target of snapshot.recipients) {
      const added = await outbox.enqueue({
        key: recipientKey(workspace.id, period.key, target),
        workspaceId: workspace.id,
        kind: 'digest',
        target,
        // The details and the chart follow in its thread when it is delivered (digest.delivery).
        view: views.digest(snapshot, { chart: 'attached' }).main,
      });
      if (added) queued++;
    }
    await this.deps.store.digests.markQueued(workspace.id, period.key, now);
    return queued > 0 ? 'queued' : 'already-queued';
  }

  /** The period's themes, or none when there is no finder, it fails or it is too slow. */
  private async themes(workspace: Workspace, period: Period): Promise<DigestTheme[]> {
    if (!this.deps.themes) return [];
    try {
      const found = await withTimeout(
        this.deps.themes.themes(workspace, period),
        this.narratorTimeoutMs,
      );
      return found.slice(0, 5);
    } catch {
      return [];
    }
  }

  private async narrate(
    metrics: DigestMetrics,
    context: NarrativeContext,
  ): Promise<{ narrative: string; narrator: string }> {
    if (this.narrator !== fallbackNarrator) {
      try {
        const text = await withTimeout(
          this.narrator.narrate(metrics, context),
          this.narratorTimeoutMs,
        );
        const trimmed = text.trim();
        if (trimmed && trimmed.length <= 2_000)
          return { narrative: trimmed, narrator: this.narrator.name };
      } catch {
        // The numbers speak for themselves: fall through to the deterministic narrative.
      }
    }
    return { narrative: await fallbackNarrator.narrate(metrics, context), narrator: 'numbers' };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
