import type { Clock } from '../shared/clock.port.js';
import type { OutboxPort } from '../shared/outbox.port.js';
import { PebbleError } from '../shared/errors.js';
import type {
  ListOptions,
  Page,
  PebbleFilter,
  PebbleSortField,
  Store,
} from '../ports/store.port.js';
import type { UserContext } from '../workspaces/workspace.service.js';
import {
  catalogStages,
  isWorkspaceAdmin,
  type Journey,
  type Stage,
  type Workspace,
} from '../workspaces/workspace.model.js';
import {
  DESCRIPTION_MAX,
  isOpen,
  OPEN_STATUSES,
  parsePebbleRef,
  PebbleDetailsSchema,
  shortId,
  TITLE_MAX,
  type Pebble,
  type PebbleDetails,
  type PebbleSource,
  type PebbleStatus,
  type PebbleSuggestion,
  type RecurrenceFlag,
} from './pebble.model.js';
import {
  DECLINED_NOTICE_KIND,
  DUPLICATE_NOTICE_KIND,
  type PebbleNotices,
} from './pebble.notices.js';
import { assertTransition } from './pebble.status.js';
import { inferStakeholder } from './stakeholder.js';
import type { SimilarityPort } from './similarity.js';
import type { MessageView } from '../ports/message-view.port.js';
import { cleanText } from '../shared/text.js';

export const TRUNCATION_NOTE = '… (truncated: the original was longer than Pebblebot keeps)';

/** Shortens text to `max` characters, ending with an ellipsis, and says whether it did. */
export function truncate(
  text: string,
  max: number,
  note = '…',
): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  return { text: text.slice(0, Math.max(0, max - note.length)).trimEnd() + note, truncated: true };
}

/**
 * Cuts a one-line title at the last word boundary that fits, with an ellipsis; the rest of the
 * line comes back so it can lead the description (a long single-line report loses nothing).
 */
export function cutTitle(line: string, max = TITLE_MAX): { title: string; rest: string } {
  if (line.length <= max) return { title: line, rest: '' };
  const room = line.slice(0, max); // the ellipsis takes the place of the space cut at
  const space = room.lastIndexOf(' ');
  // A boundary in the first half would waste most of the title: cut inside the word then.
  const at = space >= max / 2 ? space : max - 1;
  return { title: `${line.slice(0, at).trimEnd()}…`, rest: line.slice(at).trim() };
}

/**
 * Splits free text into a title (the first non-empty line) and a description (the rest). A
 * first line over the title limit is cut at a word and continues in the description; only a
 * description over its limit is shortened, with a visible note, never rejected.
 */
export function splitReportText(raw: string): {
  title: string;
  description: string;
  truncated: boolean;
} {
  const lines = raw.replace(/\r\n?/g, '\n').split('\n');
  const first = lines.findIndex((l) => l.trim().length > 0);
  if (first === -1) return { title: '', description: '', truncated: false };
  const { title, rest } = cutTitle(lines[first]!.trim().replace(/\s+/g, ' '));
  const after = lines
    .slice(first + 1)
    .join('\n')
    .trim();
  const description = truncate(
    [rest ? `…${rest}` : '', after].filter(Boolean).join('\n\n'),
    DESCRIPTION_MAX,
    TRUNCATION_NOTE,
  );
  return { title, description: description.text, truncated: description.truncated };
}

export type ReportInput = Partial<PebbleDetails> & { text?: string };

export interface ReportResult {
  pebble: Pebble;
  truncated: boolean;
}

/** Outcome of folding a fresh report into another pebble: `merged` is now its duplicate. */
export type MergeResult = SupportResult & { merged: Pebble };

/** A triage decision that closes a pebble, and who is told why (through the outbox). */
export interface ClosedResult {
  pebble: Pebble;
  /** Reporter and supporters, without the person who decided: each has a notice queued. */
  notify: string[];
}

/** Where the triage decisions' notices go: the outbox, with views built outside core. */
export interface PebbleNoticeDeps {
  outbox: OutboxPort;
  notices: PebbleNotices;
}

export interface DuplicateResult extends ClosedResult {
  /** The pebble it duplicates (after the support was moved onto it). */
  original: Pebble;
  /** How many +1s (the reporter's included) moved to the original. */
  moved: number;
}

/** Open pebbles at one stage of the catalog (or with no stage yet), the newest first. */
export interface StageSummary {
  journey?: Journey;
  stage?: Stage;
  total: number;
  newest: Pebble[];
}

/** Everyone with a stake in a pebble: its reporter and supporters, each once, minus `except`. */
export function stakeholdersOf(pebble: Pebble, except?: string): string[] {
  const ids = new Set([pebble.reporter.userId, ...pebble.supporters.map((s) => s.userId)]);
  if (except) ids.delete(except);
  return [...ids];
}

/**
 * Whether the pebble already is `status` by this user's own latest status change (with this
 * note, when given): the same decision sent again, not a second one.
 */
function isRepeat(pebble: Pebble, status: PebbleStatus, actor: string, note?: string): boolean {
  if (pebble.status !== status) return false;
  const last = pebble.history.findLast((h) => h.action === 'status');
  return last?.to === status && last.actor === actor && (note === undefined || last.note === note);
}

/**
 * The team a person reports or supports for, for the digest's "people from N teams": the
 * platform's profile when the channel fills it (`UserContext.team`, e.g. a Slack title or
 * department), else their function on the CX council; nothing when neither is known, so the
 * count never invents a team.
 */
export function teamOf(workspace: Workspace, user: UserContext): { team?: string } {
  const team =
    user.team?.trim() ||
    workspace.settings.council.members.find((m) => m.userId === user.userId)?.function;
  return team ? { team: team.slice(0, 255) } : {};
}

const TRIAGE_FIELDS_CLEARABLE = [
  'journey',
  'stage',
  'severity',
  'segment',
  'frequency',
  'minutesLost',
] as const;

/** Outcome of a +1; `redirectedFrom` is set when the user supported a duplicate's original. */
export interface SupportResult {
  pebble: Pebble;
  added: boolean;
  redirectedFrom?: number;
}

function formatIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** How many open pebbles a new report is compared with (the newest). */
const SIMILARITY_CANDIDATES = 500;
/** A decline's reason is kept up to this length (on the pebble and in its history). */
const NOTE_MAX = 500;
/**
 * How long the open pebbles listed for similarity are reused. Reports, +1s and changes made
 * through this service update the list at once; a pebble reported on another replica shows
 * up in suggestions within this time.
 */
const SIMILARITY_CANDIDATES_TTL_MS = 30_000;
/** A searchable menu offers at most this many choices (Slack's limit for external selects). */
export const SEARCH_RESULTS_MAX = 100;
/** What is typed into a searchable menu is read up to this length. */
const SEARCH_QUERY_MAX = 200;

/** The pebble use cases, shared by every channel. */
export class PebbleService {
  /** Open pebbles recently listed for similarity, per workspace (see findSimilar). */
  private readonly similarityCandidates = new Map<string, { loadedAt: number; items: Pebble[] }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly similarity: SimilarityPort,
    private readonly tell: PebbleNoticeDeps,
  ) {}

  /** Records a pebble from free text and/or structured details. Nothing is written if invalid. */
  async report(
    workspace: Workspace,
    user: UserContext,
    input: ReportInput,
    source: PebbleSource,
  ): Promise<ReportResult> {
    const { text, ...details } = input;
    let truncated = false;
    const fromText = text !== undefined ? splitReportText(cleanText(text)) : undefined;
    if (fromText) truncated = fromText.truncated;
    const candidate = {
      ...details,
      title: cleanText(details.title ?? fromText?.title ?? ''),
      description: cleanText(details.description ?? fromText?.description ?? ''),
    };
    // Oversized fields from a form are shortened the same way free text is.
    const title = truncate(candidate.title.trim(), TITLE_MAX);
    const description = truncate(candidate.description.trim(), DESCRIPTION_MAX, TRUNCATION_NOTE);
    truncated ||= title.truncated || description.truncated;
    const parsed = PebbleDetailsSchema.safeParse({
      ...candidate,
      title: title.text,
      description: description.text,
      stakeholder:
        candidate.stakeholder ?? inferStakeholder(`${candidate.title}\n${candidate.description}`),
    });
    if (!parsed.success) {
      throw new PebbleError('PEBBLE.INVALID_INPUT', formatIssues(parsed.error));
    }
    this.assertInCatalog(workspace, parsed.data);

    const now = this.clock.now();
    const pebble = await this.store.pebbles.create({
      ...parsed.data,
      workspaceId: workspace.id,
      reporter: {
        userId: user.userId,
        ...(user.name ? { name: user.name } : {}),
        ...teamOf(workspace, user),
      },
      source,
      status: 'new',
      createdAt: now,
      updatedAt: now,
      history: [{ at: now, actor: user.userId, action: 'reported', to: 'new', note: source.kind }],
    });
    this.candidateChanged(pebble);
    return { pebble, truncated };
  }

  async get(workspace: Workspace, number: number): Promise<Pebble> {
    const pebble = await this.store.pebbles.get(workspace.id, number);
    if (!pebble) {
      throw new PebbleError(
        'PEBBLE.NOT_FOUND',
        `There is no pebble ${shortId(number)} in this workspace.`,
      );
    }
    return pebble;
  }

  list(
    workspace: Workspace,
    filter: PebbleFilter = {},
    options: ListOptions<PebbleSortField> = {},
  ): Promise<Page<Pebble>> {
    return this.store.pebbles.list(workspace.id, filter, options);
  }

  /** Open pebbles reported by this user. */
  mine(workspace: Workspace, user: UserContext, options: ListOptions<PebbleSortField> = {}) {
    return this.store.pebbles.list(workspace.id, { reporterId: user.userId }, options);
  }

  /** Pebbles this user supported with a +1. */
  supported(workspace: Workspace, user: UserContext, options: ListOptions<PebbleSortField> = {}) {
    return this.store.pebbles.list(workspace.id, { supporterId: user.userId }, options);
  }

  /** The pebble reported from a given chat message, if any. */
  async findBySourceMessage(
    workspace: Workspace,
    channelId: string,
    messageTs: string,
  ): Promise<Pebble | null> {
    const page = await this.store.pebbles.list(
      workspace.id,
      { sourceMessage: { channelId, messageTs } },
      { sort: { field: 'number', direction: 'asc' }, limit: 1 },
    );
    return page.items[0] ?? null;
  }

  /**
   * Open pebbles per stage of the catalog, plus those with no stage of the catalog (no stage
   * yet, or one since removed from it) when there are any.
   */
  async openByStage(workspace: Workspace, newestPerStage = 3): Promise<StageSummary[]> {
    const places = await this.store.pebbles.openByPlace(workspace.id, newestPerStage);
    const summaries: StageSummary[] = catalogStages(workspace.settings).map(
      ({ journey, stage }) => {
        const place = places.find((p) => p.journey === journey.key && p.stage === stage.key);
        return { journey, stage, total: place?.total ?? 0, newest: place?.newest ?? [] };
      },
    );
    const all = places.reduce((n, p) => n + p.total, 0);
    const staged = summaries.reduce((n, s) => n + s.total, 0);
    if (all > staged) {
      const unstaged = places
        .filter((p) => !p.stage)
        .flatMap((p) => p.newest)
        .sort((a, b) => b.number - a.number);
      summaries.push({ total: all - staged, newest: unstaged.slice(0, newestPerStage) });
    }
    return summaries;
  }

  /**
   * Adds the user's +1. The reporter's own +1 and a repeated +1 count nothing; a +1 on a
   * duplicate goes to its original.
   */
  async support(workspace: Workspace, user: UserContext, number: number): Promise<SupportResult> {
    let pebble = await this.get(workspace, number);
    let redirectedFrom: number | undefined;
    if (pebble.status === 'duplicate' && pebble.duplicateOf) {
      redirectedFrom = pebble.number;
      pebble = await this.get(workspace, pebble.duplicateOf);
    }
    if (!isOpen(pebble.status)) {
      throw new PebbleError(
        'PEBBLE.ILLEGAL_TRANSITION',
        `${shortId(pebble.number)} is ${pebble.status}; only open pebbles take a +1.`,
      );
    }
    if (pebble.reporter.userId === user.userId) {
      return { pebble, added: false, ...(redirectedFrom ? { redirectedFrom } : {}) };
    }
    const now = this.clock.now();
    const result = await this.store.pebbles.addSupporter(
      workspace.id,
      pebble.number,
      {
        userId: user.userId,
        ...(user.name ? { name: user.name } : {}),
        ...teamOf(workspace, user),
        at: now,
      },
      { at: now, actor: user.userId, action: 'supported' },
    );
    if (!result.pebble)
      throw new PebbleError('PEBBLE.NOT_FOUND', `${shortId(number)} no longer exists.`);
    this.candidateChanged(result.pebble);
    return {
      pebble: result.pebble,
      added: result.added,
      ...(redirectedFrom ? { redirectedFrom } : {}),
    };
  }

  /** Moves a pebble along its life cycle; a concurrent change makes this fail, never overwrite. */
  async transition(
    workspace: Workspace,
    user: UserContext,
    number: number,
    to: PebbleStatus,
    extra: { reason?: string; duplicateOf?: number } = {},
  ): Promise<Pebble> {
    const pebble = await this.get(workspace, number);
    assertTransition(pebble.status, to);
    if (to === 'duplicate') {
      if (!extra.duplicateOf || extra.duplicateOf === number) {
        throw new PebbleError(
          'PEBBLE.INVALID_INPUT',
          'Say which other pebble this one duplicates.',
        );
      }
      await this.get(workspace, extra.duplicateOf);
    }
    const set: Partial<Pebble> = { status: to };
    if (to === 'duplicate') set.duplicateOf = extra.duplicateOf;
    if (to === 'declined' && extra.reason) set.declineReason = extra.reason.slice(0, NOTE_MAX);
    const updated = await this.store.pebbles.update(workspace.id, number, {
      set,
      ...(to === 'new' || to === 'triaged'
        ? { unset: ['duplicateOf' as const, 'declineReason' as const] }
        : {}),
      ifStatus: [pebble.status],
      history: {
        at: this.clock.now(),
        actor: user.userId,
        action: 'status',
        from: pebble.status,
        to,
        ...(extra.reason ? { note: extra.reason.slice(0, NOTE_MAX) } : {}),
      },
    });
    if (!updated) {
      throw new PebbleError(
        'PEBBLE.CONFLICT',
        `${shortId(number)} was changed by someone else just now; look again and retry.`,
      );
    }
    this.candidateChanged(updated);
    return updated;
  }

  /**
   * Triage sets details after the report (severity, journey stage): they decide whether a
   * pebble can go to the council, so only triagers may. The reporter revises through
   * `reviseReport`.
   */
  async updateDetails(
    workspace: Workspace,
    user: UserContext,
    number: number,
    patch: Partial<PebbleDetails>,
  ): Promise<Pebble> {
    await this.requireTriager(
      workspace,
      user,
      'change the severity, journey stage or stakeholder of a pebble',
    );
    const pebble = await this.get(workspace, number);
    if ('anonymous' in patch && pebble.reporter.userId !== user.userId) {
      throw new PebbleError(
        'PEBBLE.INVALID_INPUT',
        `Only the reporter of ${shortId(number)} can change that.`,
      );
    }
    const parsed = PebbleDetailsSchema.partial().safeParse(patch);
    if (!parsed.success) throw new PebbleError('PEBBLE.INVALID_INPUT', formatIssues(parsed.error));
    // Zod defaults fill absent keys in a partial; keep only what the caller sent.
    const set = Object.fromEntries(
      Object.entries(parsed.data).filter(([k, v]) => k in patch && v !== undefined),
    ) as Partial<PebbleDetails>;
    this.assertInCatalog(workspace, { ...pebble, ...set }, pebble);
    const updated = await this.store.pebbles.update(workspace.id, number, {
      set,
      history: {
        at: this.clock.now(),
        actor: user.userId,
        action: 'details',
        note: Object.keys(set).join(', '),
      },
    });
    if (!updated) throw new PebbleError('PEBBLE.NOT_FOUND', `${shortId(number)} no longer exists.`);
    this.candidateChanged(updated);
    return updated;
  }

  /**
   * Folds a fresh report into an existing pebble: the reporter becomes a supporter of the target
   * and the new report becomes its duplicate. Only the reporter may do it, and only while new.
   */
  async mergeInto(
    workspace: Workspace,
    user: UserContext,
    number: number,
    target: number,
  ): Promise<MergeResult> {
    const pebble = await this.get(workspace, number);
    if (pebble.reporter.userId !== user.userId) {
      throw new PebbleError(
        'PEBBLE.INVALID_INPUT',
        `Only the reporter of ${shortId(number)} can merge it.`,
      );
    }
    if (pebble.status !== 'new') {
      throw new PebbleError(
        'PEBBLE.ILLEGAL_TRANSITION',
        `${shortId(number)} is already ${pebble.status}.`,
      );
    }
    if (target === number)
      throw new PebbleError('PEBBLE.INVALID_INPUT', 'A pebble cannot merge into itself.');
    const result = await this.support(workspace, user, target);
    // Kept as a duplicate, not deleted: its text, reporter and history stay readable, and a +1
    // on it still reaches the pebble it joined.
    const merged = await this.transition(workspace, user, number, 'duplicate', {
      duplicateOf: result.pebble.number,
      reason: `folded into ${shortId(result.pebble.number)} by its reporter`,
    });
    this.candidateGone(workspace.id, number);
    return { ...result, merged };
  }

  /**
   * The reporter's second look at a report (the details form): sets what was filled in and
   * clears the optional fields that were emptied. Only the reporter may do it.
   */
  async reviseReport(
    workspace: Workspace,
    user: UserContext,
    number: number,
    details: Partial<PebbleDetails>,
  ): Promise<ReportResult> {
    const pebble = await this.get(workspace, number);
    if (pebble.reporter.userId !== user.userId) {
      throw new PebbleError(
        'PEBBLE.INVALID_INPUT',
        `Only the reporter of ${shortId(number)} can change its details.`,
      );
    }
    const title = truncate(cleanText(details.title ?? pebble.title).trim(), TITLE_MAX);
    const description = truncate(
      cleanText(details.description ?? pebble.description).trim(),
      DESCRIPTION_MAX,
      TRUNCATION_NOTE,
    );
    const parsed = PebbleDetailsSchema.safeParse({
      ...details,
      title: title.text,
      description: description.text,
      stakeholder: details.stakeholder ?? pebble.stakeholder,
      anonymous: details.anonymous ?? pebble.anonymous,
    });
    if (!parsed.success) throw new PebbleError('PEBBLE.INVALID_INPUT', formatIssues(parsed.error));
    this.assertInCatalog(workspace, parsed.data, pebble);
    const unset = TRIAGE_FIELDS_CLEARABLE.filter(
      (key) => parsed.data[key] === undefined && pebble[key] !== undefined,
    );
    const set = Object.fromEntries(
      Object.entries(parsed.data).filter(([, v]) => v !== undefined),
    ) as Partial<PebbleDetails>;
    const updated = await this.store.pebbles.update(workspace.id, number, {
      set,
      ...(unset.length ? { unset } : {}),
      history: { at: this.clock.now(), actor: user.userId, action: 'details', note: 'revised' },
    });
    if (!updated) throw new PebbleError('PEBBLE.NOT_FOUND', `${shortId(number)} no longer exists.`);
    this.candidateChanged(updated);
    return { pebble: updated, truncated: title.truncated || description.truncated };
  }

  /**
   * Declines a pebble with a reason (admins only) and queues a notice to its reporter and
   * supporters. The same admin sending the same decline again (a repeated click, a request
   * retried after a failure) is answered as done and queues only what is still missing.
   */
  async decline(
    workspace: Workspace,
    user: UserContext,
    number: number,
    reason: string,
  ): Promise<ClosedResult> {
    await this.requireTriager(workspace, user, 'decline a pebble');
    const why = cleanText(reason).trim();
    if (!why) throw new PebbleError('PEBBLE.INVALID_INPUT', 'Say why the pebble is declined.');
    const current = await this.get(workspace, number);
    const pebble = isRepeat(current, 'declined', user.userId, why.slice(0, NOTE_MAX))
      ? current
      : await this.transition(workspace, user, number, 'declined', { reason: why });
    const notify = stakeholdersOf(pebble, user.userId);
    await this.queueNotices(workspace, pebble, DECLINED_NOTICE_KIND, notify, (forReporter) =>
      this.tell.notices.declined(pebble, forReporter),
    );
    return { pebble, notify };
  }

  /**
   * Marks a pebble as a duplicate of another (admins only) and queues a notice to its reporter
   * and supporters. They become supporters of the original while that one is open, so no voice
   * is lost; a duplicate of a duplicate points at the first original. The same admin marking
   * it again the same way finishes what a failed first attempt left undone, and adds nothing.
   */
  async markDuplicate(
    workspace: Workspace,
    user: UserContext,
    number: number,
    of: number,
  ): Promise<DuplicateResult> {
    await this.requireTriager(workspace, user, 'mark a pebble as a duplicate');
    let original = await this.get(workspace, of);
    if (original.status === 'duplicate' && original.duplicateOf) {
      original = await this.get(workspace, original.duplicateOf);
    }
    if (original.number === number) {
      throw new PebbleError('PEBBLE.INVALID_INPUT', 'A pebble cannot duplicate itself.');
    }
    const current = await this.get(workspace, number);
    const pebble =
      isRepeat(current, 'duplicate', user.userId) && current.duplicateOf === original.number
        ? current
        : await this.transition(workspace, user, number, 'duplicate', {
            duplicateOf: original.number,
          });
    let moved = 0;
    if (isOpen(original.status)) {
      const voices = [pebble.reporter, ...pebble.supporters];
      for (const voice of voices) {
        if (voice.userId === original.reporter.userId) continue;
        const at = this.clock.now();
        const result = await this.store.pebbles.addSupporter(
          workspace.id,
          original.number,
          {
            userId: voice.userId,
            ...(voice.name ? { name: voice.name } : {}),
            ...(voice.team ? { team: voice.team } : {}),
            at,
          },
          { at, actor: user.userId, action: 'supported', note: `via ${shortId(number)}` },
        );
        if (result.added) moved++;
      }
      original = await this.get(workspace, original.number);
      this.candidateChanged(original);
    }
    const notify = stakeholdersOf(pebble, user.userId);
    const target = original;
    await this.queueNotices(workspace, pebble, DUPLICATE_NOTICE_KIND, notify, (forReporter) =>
      this.tell.notices.duplicate(pebble, target, forReporter),
    );
    return { pebble, original, moved, notify };
  }

  /**
   * Keeps an AI triage suggestion with an open pebble, for triage to accept or ignore; nothing
   * of it is applied. Null when the pebble is gone or already closed.
   */
  async attachSuggestion(
    workspace: Workspace,
    number: number,
    suggestion: PebbleSuggestion,
  ): Promise<Pebble | null> {
    return this.store.pebbles.update(workspace.id, number, {
      set: { suggestion },
      ifStatus: [...OPEN_STATUSES],
      history: {
        at: this.clock.now(),
        actor: 'pebblebot',
        action: 'ai-suggestion',
        note: suggestion.model,
      },
    });
  }

  /** Flags a new pebble as looking like a resolved one ("it came back?"); triage confirms it. */
  async flagRecurrence(
    workspace: Workspace,
    number: number,
    flag: RecurrenceFlag,
  ): Promise<Pebble | null> {
    return this.store.pebbles.update(workspace.id, number, {
      set: { recurrence: flag },
      ifStatus: [...OPEN_STATUSES],
      history: {
        at: this.clock.now(),
        actor: 'pebblebot',
        action: 'recurrence-flag',
        note: shortId(flag.of),
      },
    });
  }

  /**
   * A triager accepts the pebble's AI suggestion: its title, who feels it, severity and (when
   * the catalog still has it) journey stage become the pebble's, and history names the model.
   */
  async acceptSuggestion(workspace: Workspace, user: UserContext, number: number): Promise<Pebble> {
    await this.requireTriager(workspace, user, 'accept a triage suggestion');
    const pebble = await this.get(workspace, number);
    const suggestion = pebble.suggestion;
    if (!suggestion) {
      throw new PebbleError(
        'PEBBLE.INVALID_INPUT',
        `${shortId(number)} has no suggestion to accept (it was accepted or replaced already).`,
      );
    }
    const stages = catalogStages(workspace.settings);
    const stageKnown = stages.some(
      (s) => s.journey.key === suggestion.journey && s.stage.key === suggestion.stage,
    );
    const set: Partial<PebbleDetails> = {
      stakeholder: suggestion.stakeholder,
      severity: suggestion.severity,
      ...(suggestion.title.trim() ? { title: suggestion.title.trim() } : {}),
      ...(stageKnown ? { journey: suggestion.journey!, stage: suggestion.stage! } : {}),
    };
    const parsed = PebbleDetailsSchema.partial().safeParse(set);
    if (!parsed.success) throw new PebbleError('PEBBLE.INVALID_INPUT', formatIssues(parsed.error));
    const updated = await this.store.pebbles.update(workspace.id, number, {
      set,
      unset: ['suggestion'],
      ifStatus: [...OPEN_STATUSES],
      history: {
        at: this.clock.now(),
        actor: user.userId,
        action: 'suggestion-accepted',
        note: `${suggestion.model}: ${Object.keys(set).join(', ')}`,
      },
    });
    if (!updated) {
      throw new PebbleError(
        'PEBBLE.CONFLICT',
        `${shortId(number)} was closed meanwhile; its suggestion no longer applies.`,
      );
    }
    this.candidateChanged(updated);
    return updated;
  }

  /** Remembers where the pebble's triage card is, so later changes update it in place. */
  async setTriageCard(
    workspace: Workspace,
    number: number,
    card: { channelId: string; ts: string },
  ): Promise<Pebble | null> {
    return this.store.pebbles.update(workspace.id, number, {
      set: { triageCard: card },
      history: { at: this.clock.now(), actor: 'pebblebot', action: 'triage-card' },
    });
  }

  /**
   * Queues one notice per person about the pebble's latest status change, keyed by the
   * pebble, that change and the person: a repeat queues nothing new, a decline after a
   * reopening is a new change and a new notice. The reporter's key says `reporter`, not
   * their id, since keys reach logs and an anonymous reporter's id must not.
   */
  private async queueNotices(
    workspace: Workspace,
    pebble: Pebble,
    kind: string,
    people: string[],
    viewFor: (forReporter: boolean) => MessageView,
  ): Promise<void> {
    const change = pebble.history.filter((h) => h.action === 'status').length;
    const prefix = `${kind}:${workspace.id}:${shortId(pebble.number)}:${change}`;
    for (const userId of people) {
      const forReporter = userId === pebble.reporter.userId;
      await this.tell.outbox.enqueue({
        key: `${prefix}:${forReporter ? 'reporter' : userId}`,
        workspaceId: workspace.id,
        kind,
        target: { kind: 'dm', userId },
        view: viewFor(forReporter),
      });
    }
  }

  /**
   * Throws WORKSPACE.NOT_ADMIN unless the user may take triage decisions (today: Pebblebot
   * admins). Channels call it before opening a triage form nobody else could submit.
   */
  async requireTriager(workspace: Workspace, user: UserContext, what: string): Promise<void> {
    if (!(await isWorkspaceAdmin(workspace, user))) {
      throw new PebbleError(
        'WORKSPACE.NOT_ADMIN',
        `Only Pebblebot admins can ${what}. Ask a workspace admin, or one listed in /pebble config.`,
      );
    }
  }

  /**
   * The pebble, once the user is its reporter (who alone revises it); channels call it before
   * opening the details form.
   */
  async requireReporter(workspace: Workspace, user: UserContext, number: number): Promise<Pebble> {
    const pebble = await this.get(workspace, number);
    if (pebble.reporter.userId !== user.userId) {
      throw new PebbleError(
        'PEBBLE.INVALID_INPUT',
        `Only the reporter of ${shortId(number)} can change its details.`,
      );
    }
    return pebble;
  }

  /** Hides or shows the reporter's name; only the reporter may change it. */
  async setAnonymous(
    workspace: Workspace,
    user: UserContext,
    number: number,
    anonymous: boolean,
  ): Promise<Pebble> {
    const pebble = await this.get(workspace, number);
    if (pebble.reporter.userId !== user.userId) {
      throw new PebbleError(
        'PEBBLE.INVALID_INPUT',
        `Only the reporter of ${shortId(number)} can change that.`,
      );
    }
    if (pebble.anonymous === anonymous) return pebble;
    const updated = await this.store.pebbles.update(workspace.id, number, {
      set: { anonymous },
      history: {
        at: this.clock.now(),
        actor: user.userId,
        action: anonymous ? 'anonymous' : 'named',
      },
    });
    if (!updated) throw new PebbleError('PEBBLE.NOT_FOUND', `${shortId(number)} no longer exists.`);
    return updated;
  }

  /**
   * Open pebbles that look like this one (itself excluded), best first. The newest open
   * pebbles are listed once and reused for a short while (listing and parsing hundreds of
   * pebbles for every report would cost more than the comparison itself).
   */
  async findSimilar(workspace: Workspace, pebble: Pebble, limit = 3) {
    const candidates = (await this.openCandidates(workspace)).filter(
      (p) => p.number !== pebble.number,
    );
    return this.similarity.findSimilar(`${pebble.title}\n${pebble.description}`, candidates, {
      limit,
    });
  }

  /**
   * Open pebbles of this workspace matching what someone is typing, for a searchable menu: by
   * number (`7`, `P-7`; numbers that start with it follow the exact one) or by words found in
   * the title, newest first; everything open when nothing is typed. `exclude` leaves out the
   * pebble the menu is about.
   */
  async searchOpen(
    workspace: Workspace,
    query: string,
    options: { exclude?: number; limit?: number } = {},
  ): Promise<Pebble[]> {
    const limit = Math.min(Math.max(options.limit ?? SEARCH_RESULTS_MAX, 0), SEARCH_RESULTS_MAX);
    const wanted = (p: Pebble) => p.number !== options.exclude && isOpen(p.status);
    const candidates = (await this.openCandidates(workspace)).filter(wanted);
    const typed = query.trim().slice(0, SEARCH_QUERY_MAX);
    if (!typed) return candidates.slice(0, limit);
    const found = new Map<number, Pebble>();
    const number = parsePebbleRef(typed);
    if (number !== undefined) {
      // Older than the candidates kept in memory, a pebble named by its number is still found.
      const exact =
        candidates.find((p) => p.number === number) ??
        (await this.store.pebbles.get(workspace.id, number));
      if (exact && exact.workspaceId === workspace.id && wanted(exact)) found.set(number, exact);
      const digits = String(number);
      for (const p of candidates) if (String(p.number).startsWith(digits)) found.set(p.number, p);
    }
    // `P-4` names a pebble; a bare `40` may also be a number in a title.
    const byIdOnly = number !== undefined && !/^\d+$/.test(typed);
    const words = typed
      .toLocaleLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean);
    if (words.length && !byIdOnly)
      for (const p of candidates) {
        const title = p.title.toLocaleLowerCase();
        if (words.every((w) => title.includes(w))) found.set(p.number, p);
      }
    return [...found.values()].slice(0, limit);
  }

  /**
   * The newest open pebbles, listed once and reused for a short while (listing and parsing
   * hundreds of pebbles for every report or keystroke would cost more than using them).
   */
  private async openCandidates(workspace: Workspace): Promise<Pebble[]> {
    const now = performance.now();
    let entry = this.similarityCandidates.get(workspace.id);
    if (!entry || now - entry.loadedAt > SIMILARITY_CANDIDATES_TTL_MS) {
      const open = await this.store.pebbles.list(
        workspace.id,
        { status: [...OPEN_STATUSES] },
        { sort: { field: 'number', direction: 'desc' }, limit: SIMILARITY_CANDIDATES },
      );
      entry = { loadedAt: now, items: open.items };
      this.similarityCandidates.set(workspace.id, entry);
    }
    return entry.items;
  }

  /** Keeps the similarity candidates in step with a pebble that was created or changed here. */
  private candidateChanged(pebble: Pebble): void {
    const items = this.similarityCandidates.get(pebble.workspaceId)?.items;
    if (!items) return;
    // In place: this runs on every report and +1, next to acknowledgements that must stay fast.
    const at = items.findIndex((p) => p.number === pebble.number);
    if (at !== -1) items.splice(at, 1);
    if (isOpen(pebble.status)) {
      items.unshift(pebble);
      if (items.length > SIMILARITY_CANDIDATES) items.length = SIMILARITY_CANDIDATES;
    }
  }

  private candidateGone(workspaceId: string, number: number): void {
    const items = this.similarityCandidates.get(workspaceId)?.items;
    const at = items ? items.findIndex((p) => p.number === number) : -1;
    if (items && at !== -1) items.splice(at, 1);
  }

  private assertInCatalog(
    workspace: Workspace,
    details: { journey?: string; stage?: string },
    /** The pebble as it is: it may stay on a stage retired since. */
    current?: { journey?: string | undefined; stage?: string | undefined },
  ): void {
    if (!details.journey && !details.stage) return;
    const retired = catalogStages(workspace.settings).find(
      (s) =>
        s.stage.retired &&
        s.stage.key === details.stage &&
        (!details.journey || s.journey.key === details.journey),
    );
    if (retired && !(current?.stage === details.stage && current?.journey === details.journey))
      throw new PebbleError(
        'PEBBLE.INVALID_INPUT',
        `The stage ${retired.stage.name} is retired: pick a stage in use.`,
      );
    const stages = catalogStages(workspace.settings);
    const journeyOk = !details.journey || stages.some((s) => s.journey.key === details.journey);
    const stageOk =
      !details.stage ||
      stages.some(
        (s) =>
          s.stage.key === details.stage && (!details.journey || s.journey.key === details.journey),
      );
    if (!journeyOk || !stageOk) {
      throw new PebbleError(
        'PEBBLE.INVALID_INPUT',
        `Unknown journey stage "${[details.journey, details.stage].filter(Boolean).join('/')}". ` +
          `Known stages: ${stages.map((s) => s.stage.name).join(', ')}.`,
      );
    }
  }
}
