import { DateTime } from 'luxon';
import { z } from 'zod';
import type {
  ImprovementChange,
  ImprovementFilter,
  ImprovementSortField,
} from '../ports/improvements.port.js';
import type { ListOptions, Page, Store } from '../ports/store.port.js';
import { isOpen, shortId, type Pebble, type PebbleStatus } from '../pebbles/pebble.model.js';
import { stakeholdersOf, type PebbleService } from '../pebbles/pebble.service.js';
import type { HistoryEntry } from '../shared/actor.js';
import type { Clock } from '../shared/clock.port.js';
import { isPebbleError, PebbleError } from '../shared/errors.js';
import type { OutboxPort, OutgoingMessage } from '../shared/outbox.port.js';
import { isWorkspaceAdmin, type Workspace } from '../workspaces/workspace.model.js';
import type { UserContext } from '../workspaces/workspace.service.js';
import {
  ACTIVE_IMPROVEMENT_STATUSES,
  IMPROVEMENT_STATUS_LABELS,
  improvementShortId,
  IsoDateSchema,
  isActiveImprovement,
  PEBBLES_PER_IMPROVEMENT_MAX,
  TITLE_MAX,
  type CheckInStatus,
  type Improvement,
  type PromiseEntry,
} from './improvement.model.js';
import type { ImprovementNotices } from './improvement.notices.js';
import { localDate, zoneOr } from './nudge.planner.js';
import { cleanText, typedText } from '../shared/text.js';

/** Who acts: a person from a channel, or the council flow acting for a vote. */
export type ImprovementActor = Pick<
  UserContext,
  'userId' | 'name' | 'platformAdmin' | 'resolvePlatformAdmin'
>;

/** The forms of an improvement's buttons, each with its own rights (see `formFor`). */
export type ImprovementForm =
  'propose-date' | 'decline' | 'done' | 'change-date' | 'extend' | 'reassign' | 'drop';

export const PlannedInputSchema = z.object({
  title: typedText(z.string().trim().min(1, 'An improvement needs a title').max(TITLE_MAX)),
  pebbleNumbers: z
    .array(z.number().int().positive())
    .min(1, 'Link at least one pebble')
    .max(PEBBLES_PER_IMPROVEMENT_MAX)
    .transform((numbers) => [...new Set(numbers)]),
  voteNumber: z.number().int().positive().optional(),
});
export type PlannedInput = z.input<typeof PlannedInputSchema>;

export const SNOOZE_PERIODS = { '1d': 1, '3d': 3, '1w': 7 } as const;
export type SnoozePeriod = keyof typeof SNOOZE_PERIODS;

const ReasonSchema = typedText(z.string().trim().min(1).max(500));

/** Steps that move a linked pebble to where its improvement is (skipping what is not legal). */
const PEBBLE_PATHS: Record<
  'in-progress' | 'resolved' | 'triaged',
  Partial<Record<PebbleStatus, PebbleStatus[]>>
> = {
  'in-progress': {
    triaged: ['approved', 'in-progress'],
    'in-council': ['approved', 'in-progress'],
    approved: ['in-progress'],
  },
  resolved: {
    triaged: ['approved', 'resolved'],
    'in-council': ['approved', 'resolved'],
    approved: ['resolved'],
    'in-progress': ['resolved'],
  },
  triaged: { approved: ['triaged'], 'in-progress': ['approved', 'triaged'] },
};

/** The result of marking an improvement done. */
export interface CompletedResult {
  improvement: Improvement;
  /** Linked pebbles after the change (resolved where they could be). */
  pebbles: Pebble[];
  /** How many reporters and supporters were asked "Did this fix it for you?". */
  asked: number;
}

export interface FeedbackResult {
  improvement: Improvement;
  /** False when this person had already answered (their first answer stands). */
  recorded: boolean;
  /** The pebble a "Not really" reopened. */
  reopened?: Pebble;
}

export interface ImprovementServiceDeps {
  store: Store;
  clock: Clock;
  pebbles: PebbleService;
  outbox: OutboxPort;
  notices: ImprovementNotices;
}

const ref = improvementShortId;

/**
 * Journey improvements: created from approved pebbles, owned by someone who promised a date,
 * checked in on, done (closing the loop with everyone who cared) or dropped. Every change is
 * one conditional atomic update of the store; a concurrent change makes it fail, never lost.
 */
export class ImprovementService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly pebbles: PebbleService;
  private readonly outbox: OutboxPort;
  private readonly notices: ImprovementNotices;

  constructor(deps: ImprovementServiceDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.pebbles = deps.pebbles;
    this.outbox = deps.outbox;
    this.notices = deps.notices;
  }

  /**
   * A planned improvement, with no owner yet, for pebbles the council approved ("Fix now").
   * With a vote number it is idempotent: the same vote always gives the same improvement.
   */
  async createPlanned(
    workspace: Workspace,
    input: PlannedInput,
    actor: ImprovementActor,
  ): Promise<Improvement> {
    const parsed = PlannedInputSchema.safeParse(input);
    if (!parsed.success)
      throw new PebbleError('IMPROVEMENT.INVALID_INPUT', issues(parsed.error.issues));
    const { title, pebbleNumbers, voteNumber } = parsed.data;
    for (const number of pebbleNumbers) {
      const pebble = await this.pebbles.get(workspace, number);
      if (!isOpen(pebble.status))
        throw new PebbleError(
          'IMPROVEMENT.INVALID_INPUT',
          `${shortId(number)} is ${pebble.status}; only open pebbles can be improved.`,
        );
    }
    const now = this.clock.now();
    const { improvement } = await this.store.improvements.create(
      {
        workspaceId: workspace.id,
        title,
        pebbleNumbers,
        ...(voteNumber ? { voteNumber } : {}),
        status: 'planned',
        ownerPending: false,
        promises: [],
        checkIns: [],
        nudgesSent: 0,
        escalationLevel: 0,
        feedback: [],
        recurrences: 0,
        createdAt: now,
        updatedAt: now,
        history: [
          {
            at: now,
            actor: actor.userId,
            action: 'planned',
            to: 'planned',
            note: `${pebbleNumbers.map(shortId).join(', ')}${voteNumber ? ` (vote ${voteNumber})` : ''}`,
          },
        ],
      },
      voteNumber ? { idempotencyKey: `vote:${voteNumber}` } : {},
    );
    return improvement;
  }

  /**
   * An improvement planned by an admin straight from pebbles (without a council vote): the
   * pebbles become approved on the way.
   */
  async createFromPebbles(
    workspace: Workspace,
    user: ImprovementActor,
    input: PlannedInput,
  ): Promise<Improvement> {
    await this.assertLead(workspace, user, 'plan an improvement');
    const improvement = await this.createPlanned(workspace, input, user);
    for (const number of improvement.pebbleNumbers) {
      const pebble = await this.pebbles.get(workspace, number);
      if (pebble.status === 'new')
        await this.pebbles.transition(workspace, user, number, 'triaged').catch(ignoreConflict);
    }
    await this.advancePebbles(workspace, user, improvement, {
      triaged: ['approved'],
      'in-council': ['approved'],
    });
    return improvement;
  }

  /** Active improvements (planned, on track, at risk, blocked): the council's WIP. */
  countActive(workspace: Workspace): Promise<number> {
    return this.store.improvements.count(workspace.id, {
      status: [...ACTIVE_IMPROVEMENT_STATUSES],
    });
  }

  async get(workspace: Workspace, number: number): Promise<Improvement> {
    const improvement = await this.store.improvements.get(workspace.id, number);
    if (!improvement)
      throw new PebbleError(
        'IMPROVEMENT.NOT_FOUND',
        `There is no improvement ${ref(number)} in this workspace.`,
      );
    return improvement;
  }

  list(
    workspace: Workspace,
    filter: ImprovementFilter = {},
    options: ListOptions<ImprovementSortField> = {},
  ): Promise<Page<Improvement>> {
    return this.store.improvements.list(workspace.id, filter, options);
  }

  /** The sponsor and admins steer improvements: assign, reassign, extend, drop. */
  async isLead(workspace: Workspace, user: ImprovementActor): Promise<boolean> {
    return workspace.settings.sponsor === user.userId || (await isWorkspaceAdmin(workspace, user));
  }

  /**
   * Asks someone to own an improvement by a date; they get a direct message to accept (or
   * propose another date) or decline. Reassigning withdraws the previous owner's promise.
   */
  async assign(
    workspace: Workspace,
    user: ImprovementActor,
    number: number,
    input: { ownerId: string; promisedDate: string; ownerTimezone?: string; ownerName?: string },
  ): Promise<Improvement> {
    await this.assertLead(workspace, user, 'assign an improvement');
    const ownerId = z.string().trim().min(1).max(255).parse(input.ownerId);
    const date = this.futureDate(workspace, input.promisedDate, input.ownerTimezone);
    const current = await this.getActive(workspace, number);
    if (current.ownerId === ownerId && !current.ownerPending)
      throw new PebbleError(
        'IMPROVEMENT.INVALID_INPUT',
        `${current.ownerName ?? input.ownerName ?? 'That person'} already owns ${ref(number)}; change its date instead.`,
      );
    const now = this.clock.now();
    const previous = current.ownerId;
    const unset: ImprovementChange['unset'] = ['promise', 'promisedDate', 'snoozedUntil'];
    unset.push('blockedSince', 'lastNudgedOn');
    if (!input.ownerTimezone) unset.push('ownerTimezone');
    const ownerName = input.ownerName && cleanText(input.ownerName).trim().slice(0, 255);
    if (!ownerName) unset.push('ownerName');
    const updated = await this.store.improvements.update(workspace.id, number, {
      set: {
        ownerId,
        ownerPending: true,
        proposedDate: date,
        assignedBy: user.userId,
        assignedAt: now,
        status: 'planned',
        escalationLevel: 0,
        ...(input.ownerTimezone ? { ownerTimezone: zoneOr(input.ownerTimezone) } : {}),
        ...(ownerName ? { ownerName } : {}),
      },
      unset,
      ...(current.promise
        ? { push: { promises: closePromise(current.promise, 'withdrawn', now, `reassigned`) } }
        : {}),
      if: this.unchanged(current),
      history: {
        at: now,
        actor: user.userId,
        action: 'assigned',
        ...(previous ? { from: previous } : {}),
        to: ownerId,
        note: date,
      },
    });
    if (!updated) throw conflict(number);
    const revision = updated.history.length;
    await this.send({
      key: `assign:${workspace.id}:${ref(number)}:${revision}`,
      workspaceId: workspace.id,
      kind: 'improvement.assigned',
      target: { kind: 'dm', userId: ownerId },
      view: this.notices.ownerAsked(updated, workspace.settings),
    });
    if (previous && previous !== ownerId)
      await this.send({
        key: `released:${workspace.id}:${ref(number)}:${revision}`,
        workspaceId: workspace.id,
        kind: 'improvement.released',
        target: { kind: 'dm', userId: previous },
        view: this.notices.ownerReleased(updated, { kind: 'reassigned', to: ownerId }),
      });
    return updated;
  }

  /**
   * The asked owner accepts: the asked date, or another one they propose. Either way their
   * promise opens and the linked pebbles move to in progress.
   */
  async accept(
    workspace: Workspace,
    user: ImprovementActor,
    number: number,
    input: { promisedDate?: string; ownerTimezone?: string } = {},
  ): Promise<Improvement> {
    const current = await this.getActive(workspace, number);
    this.assertAsked(current, user);
    const asked = current.proposedDate;
    const date = this.futureDate(
      workspace,
      input.promisedDate ?? asked ?? '',
      input.ownerTimezone ?? current.ownerTimezone,
    );
    const now = this.clock.now();
    const promise: PromiseEntry = {
      promisedDate: date,
      ownerId: user.userId,
      madeAt: now,
      outcome: 'open',
    };
    const proposed = asked !== undefined && date !== asked;
    const updated = await this.store.improvements.update(workspace.id, number, {
      set: {
        ownerPending: false,
        promise,
        promisedDate: date,
        ...(current.status === 'planned' ? { status: 'on-track' } : {}),
        ...(input.ownerTimezone ? { ownerTimezone: zoneOr(input.ownerTimezone) } : {}),
      },
      unset: ['proposedDate'],
      if: { ownerId: user.userId, ownerPending: true, status: [...ACTIVE_IMPROVEMENT_STATUSES] },
      history: {
        at: now,
        actor: user.userId,
        action: proposed ? 'accepted-other-date' : 'accepted',
        ...(asked ? { from: asked } : {}),
        to: date,
      },
    });
    if (!updated) throw conflict(number);
    await this.advancePebbles(workspace, user, updated, PEBBLE_PATHS['in-progress']);
    await this.tellAssigner(
      workspace,
      updated,
      user.userId,
      proposed
        ? { kind: 'proposed', date, ...(asked ? { asked } : {}) }
        : { kind: 'accepted', date },
    );
    return updated;
  }

  /** The asked owner declines with a reason: the improvement goes back without an owner. */
  async decline(
    workspace: Workspace,
    user: ImprovementActor,
    number: number,
    reason: string,
  ): Promise<Improvement> {
    const why = ReasonSchema.safeParse(reason);
    if (!why.success)
      throw new PebbleError('IMPROVEMENT.INVALID_INPUT', 'Say why you decline, in a few words.');
    const current = await this.getActive(workspace, number);
    this.assertAsked(current, user);
    const now = this.clock.now();
    const updated = await this.store.improvements.update(workspace.id, number, {
      set: { ownerPending: false, status: 'planned' },
      unset: [
        'ownerId',
        'ownerName',
        'proposedDate',
        'ownerTimezone',
        'snoozedUntil',
        'lastNudgedOn',
      ],
      if: { ownerId: user.userId, ownerPending: true, status: [...ACTIVE_IMPROVEMENT_STATUSES] },
      history: {
        at: now,
        actor: user.userId,
        action: 'declined',
        from: user.userId,
        note: why.data,
      },
    });
    if (!updated) throw conflict(number);
    await this.tellAssigner(workspace, updated, user.userId, {
      kind: 'declined',
      reason: why.data,
    });
    return updated;
  }

  /** A status update (on track, at risk, blocked) with an optional note: a check-in. */
  async checkIn(
    workspace: Workspace,
    user: ImprovementActor,
    number: number,
    status: CheckInStatus,
    note?: string,
  ): Promise<Improvement> {
    const text = note ? cleanText(note).trim().slice(0, 2_000) || undefined : undefined;
    // A concurrent check-in changes what "blocked since" means: re-read and try again.
    for (let attempt = 1; ; attempt++) {
      const current = await this.getActive(workspace, number);
      await this.assertOwnerOrLead(workspace, current, user, 'update');
      const now = this.clock.now();
      const nowBlocked = status === 'blocked';
      const updated = await this.store.improvements.update(workspace.id, number, {
        set: {
          status,
          lastCheckInAt: now,
          ...(nowBlocked && current.status !== 'blocked' ? { blockedSince: now } : {}),
        },
        ...(nowBlocked ? {} : { unset: ['blockedSince' as const] }),
        push: { checkIns: { at: now, by: user.userId, status, ...(text ? { note: text } : {}) } },
        if: { status: [current.status], ownerId: current.ownerId ?? null },
        history: {
          at: now,
          actor: user.userId,
          action: 'check-in',
          from: current.status,
          to: status,
          ...(text ? { note: text } : {}),
        },
      });
      if (updated) return updated;
      if (attempt >= 3) throw conflict(number);
    }
  }

  /**
   * Moves the promised date (the owner, or the sponsor extending it): the open promise is
   * closed as broken and a new one opens. Never a silent overwrite.
   */
  async changeDate(
    workspace: Workspace,
    user: ImprovementActor,
    number: number,
    newDate: string,
    reason?: string,
  ): Promise<Improvement> {
    const current = await this.getActive(workspace, number);
    await this.assertOwnerOrLead(workspace, current, user, 'change the date of');
    if (!current.promise || !current.ownerId || current.ownerPending)
      throw new PebbleError(
        'IMPROVEMENT.ILLEGAL_TRANSITION',
        `${ref(number)} has no accepted promise yet: its owner accepts a date first.`,
      );
    const date = this.futureDate(workspace, newDate, current.ownerTimezone);
    if (date === current.promise.promisedDate)
      throw new PebbleError(
        'IMPROVEMENT.INVALID_INPUT',
        `${ref(number)} is already promised for ${date}.`,
      );
    const why = reason ? cleanText(reason).trim().slice(0, 500) || undefined : undefined;
    const now = this.clock.now();
    const from = current.promise.promisedDate;
    const updated = await this.store.improvements.update(workspace.id, number, {
      set: {
        promise: { promisedDate: date, ownerId: current.ownerId, madeAt: now, outcome: 'open' },
        promisedDate: date,
        escalationLevel: 0,
      },
      unset: ['snoozedUntil'],
      push: { promises: closePromise(current.promise, 'broken', now, why ?? `moved to ${date}`) },
      if: this.unchanged(current),
      history: {
        at: now,
        actor: user.userId,
        action: 'date-changed',
        from,
        to: date,
        ...(why ? { note: why } : {}),
      },
    });
    if (!updated) throw conflict(number);
    if (user.userId !== current.ownerId)
      await this.send({
        key: `date:${workspace.id}:${ref(number)}:${updated.history.length}`,
        workspaceId: workspace.id,
        kind: 'improvement.date-changed',
        target: { kind: 'dm', userId: current.ownerId },
        view: this.notices.dateChanged(updated, user.userId, from, date),
      });
    return updated;
  }

  /**
   * Pauses the owner's nudges for a day, three days or a week, but never past the start of the
   * promised date: a snooze cannot move a promise.
   */
  async snooze(
    workspace: Workspace,
    user: ImprovementActor,
    number: number,
    period: SnoozePeriod,
  ): Promise<{ improvement: Improvement; until: Date; capped: boolean }> {
    const days = SNOOZE_PERIODS[period];
    if (!days) throw new PebbleError('IMPROVEMENT.INVALID_INPUT', 'Snooze for 1d, 3d or 1w.');
    const current = await this.getActive(workspace, number);
    await this.assertOwnerOrLead(workspace, current, user, 'snooze');
    const now = this.clock.now();
    const zone = zoneOr(current.ownerTimezone, workspace.settings.timezone);
    let until = DateTime.fromJSDate(now, { zone }).plus({ days }).toJSDate();
    let capped = false;
    const date = current.ownerPending ? current.proposedDate : current.promisedDate;
    if (date) {
      const dueStart = DateTime.fromISO(date, { zone }).startOf('day').toJSDate();
      if (now >= dueStart)
        throw new PebbleError(
          'IMPROVEMENT.SNOOZE_PAST_DUE',
          `${ref(number)} is due ${date}: a snooze cannot push past it. Change the date instead.`,
        );
      if (until > dueStart) {
        until = dueStart;
        capped = true;
      }
    }
    const updated = await this.store.improvements.update(workspace.id, number, {
      set: { snoozedUntil: until },
      if: { status: [...ACTIVE_IMPROVEMENT_STATUSES], ownerId: current.ownerId ?? null },
      history: {
        at: now,
        actor: user.userId,
        action: 'snoozed',
        note: `${period} until ${until.toISOString()}${capped ? ' (the promised date)' : ''}`,
      },
    });
    if (!updated) throw conflict(number);
    return { improvement: updated, until, capped };
  }

  /**
   * Done: the promise is kept (done by its date) or broken, the linked pebbles become resolved,
   * and every reporter and supporter is asked "Did this fix it for you?".
   */
  async complete(
    workspace: Workspace,
    user: ImprovementActor,
    number: number,
    note?: string,
  ): Promise<CompletedResult> {
    const current = await this.getActive(workspace, number);
    await this.assertOwnerOrLead(workspace, current, user, 'mark done');
    const now = this.clock.now();
    const zone = zoneOr(current.ownerTimezone, workspace.settings.timezone);
    const today = localDate(now, zone);
    const text = note ? cleanText(note).trim().slice(0, 2_000) || undefined : undefined;
    const closed = current.promise
      ? current.promise.promisedDate >= today
        ? closePromise(current.promise, 'kept', now)
        : closePromise(current.promise, 'broken', now, `done ${today}, after the promised date`)
      : undefined;
    const updated = await this.store.improvements.update(workspace.id, number, {
      set: { status: 'done', doneAt: now, doneBy: user.userId, ownerPending: false },
      unset: ['promise', 'snoozedUntil', 'blockedSince', 'proposedDate'],
      push: {
        checkIns: { at: now, by: user.userId, status: 'done', ...(text ? { note: text } : {}) },
        ...(closed ? { promises: closed } : {}),
      },
      if: { status: [...ACTIVE_IMPROVEMENT_STATUSES] },
      history: {
        at: now,
        actor: user.userId,
        action: 'status',
        from: current.status,
        to: 'done',
        ...(closed ? { note: `promise ${closed.outcome}` } : {}),
      },
    });
    if (!updated) throw conflict(number);
    const pebbles = await this.advancePebbles(workspace, user, updated, PEBBLE_PATHS.resolved);
    const asked = await this.closeTheLoop(workspace, updated, pebbles);
    return { improvement: updated, pebbles, asked };
  }

  /** Dropped by the sponsor or an admin, with a reason; the pebbles go back to triage. */
  async drop(
    workspace: Workspace,
    user: ImprovementActor,
    number: number,
    reason: string,
  ): Promise<Improvement> {
    await this.assertLead(workspace, user, 'drop an improvement');
    const why = ReasonSchema.safeParse(reason);
    if (!why.success)
      throw new PebbleError('IMPROVEMENT.INVALID_INPUT', 'Say why it is dropped, in a few words.');
    const current = await this.getActive(workspace, number);
    const now = this.clock.now();
    const today = localDate(now, zoneOr(current.ownerTimezone, workspace.settings.timezone));
    const closed = current.promise
      ? closePromise(
          current.promise,
          current.promise.promisedDate < today ? 'broken' : 'withdrawn',
          now,
          `dropped: ${why.data}`,
        )
      : undefined;
    const updated = await this.store.improvements.update(workspace.id, number, {
      set: { status: 'dropped', droppedAt: now, dropReason: why.data, ownerPending: false },
      unset: ['promise', 'snoozedUntil', 'blockedSince', 'proposedDate'],
      ...(closed ? { push: { promises: closed } } : {}),
      if: { status: [...ACTIVE_IMPROVEMENT_STATUSES] },
      history: {
        at: now,
        actor: user.userId,
        action: 'status',
        from: current.status,
        to: 'dropped',
        note: why.data,
      },
    });
    if (!updated) throw conflict(number);
    await this.advancePebbles(workspace, user, updated, PEBBLE_PATHS.triaged);
    if (current.ownerId && current.ownerId !== user.userId)
      await this.send({
        key: `released:${workspace.id}:${ref(number)}:${updated.history.length}`,
        workspaceId: workspace.id,
        kind: 'improvement.released',
        target: { kind: 'dm', userId: current.ownerId },
        view: this.notices.ownerReleased(updated, { kind: 'dropped', reason: why.data }),
      });
    return updated;
  }

  /**
   * A reporter's or supporter's answer to "Did this fix it for you?", once per person. "Not
   * really" reopens a linked pebble of theirs and counts as a recurrence.
   */
  async answerFix(
    workspace: Workspace,
    user: ImprovementActor,
    number: number,
    answer: 'yes' | 'no',
  ): Promise<FeedbackResult> {
    const current = await this.get(workspace, number);
    if (current.status !== 'done')
      throw new PebbleError(
        'IMPROVEMENT.ILLEGAL_TRANSITION',
        `${ref(number)} is ${IMPROVEMENT_STATUS_LABELS[current.status].toLowerCase()}, not done.`,
      );
    const linked = await this.linkedPebbles(workspace, current);
    const theirs = linked.filter((p) => stakeholdersOf(p).includes(user.userId));
    if (theirs.length === 0)
      throw new PebbleError(
        'IMPROVEMENT.NOT_ALLOWED',
        `Only the people who reported or supported the pebbles of ${ref(number)} are asked.`,
      );
    const now = this.clock.now();
    const result = await this.store.improvements.addFeedback(
      workspace.id,
      number,
      { userId: user.userId, answer, at: now },
      { at: now, actor: user.userId, action: 'fix-feedback', to: answer },
    );
    if (!result.improvement) throw conflict(number);
    if (!result.added) return { improvement: result.improvement, recorded: false };
    if (answer === 'yes') return { improvement: result.improvement, recorded: true };
    const target =
      theirs.find((p) => p.status === 'resolved') ?? linked.find((p) => p.status === 'resolved');
    if (!target) return { improvement: result.improvement, recorded: true };
    let reopened: Pebble;
    try {
      reopened = await this.pebbles.transition(workspace, user, target.number, 'triaged', {
        reason: `came back after ${ref(number)}`,
      });
    } catch (error) {
      // Someone else's "Not really" reopened it a moment ago: one recurrence, not two.
      if (
        isPebbleError(error, 'PEBBLE.CONFLICT') ||
        isPebbleError(error, 'PEBBLE.ILLEGAL_TRANSITION')
      )
        return { improvement: result.improvement, recorded: true };
      throw error;
    }
    const counted = await this.store.improvements.update(workspace.id, number, {
      inc: { recurrences: 1 },
      history: {
        at: now,
        actor: user.userId,
        action: 'recurrence',
        note: `${shortId(target.number)} reopened`,
      },
    });
    return { improvement: counted ?? result.improvement, recorded: true, reopened };
  }

  /** The linked pebbles that still exist, in the improvement's order. */
  async linkedPebbles(workspace: Workspace, improvement: Improvement): Promise<Pebble[]> {
    const found = await Promise.all(
      improvement.pebbleNumbers.map((n) => this.store.pebbles.get(workspace.id, n)),
    );
    return found.filter((p): p is Pebble => p !== null);
  }

  /** Active improvements owned (or asked of) this person, soonest promise first. */
  async ownedBy(workspace: Workspace, ownerId: string): Promise<Improvement[]> {
    const page = await this.store.improvements.list(
      workspace.id,
      { ownerId, status: [...ACTIVE_IMPROVEMENT_STATUSES] },
      { sort: { field: 'promisedDate', direction: 'asc' } },
    );
    return page.items;
  }

  // ---------------------------------------------------------------------------------------

  private async closeTheLoop(
    workspace: Workspace,
    improvement: Improvement,
    pebbles: Pebble[],
  ): Promise<number> {
    const people = new Map<string, Pebble[]>();
    for (const pebble of pebbles) {
      for (const userId of stakeholdersOf(pebble)) {
        if (userId === improvement.ownerId) continue;
        people.set(userId, [...(people.get(userId) ?? []), pebble]);
      }
    }
    for (const [userId, theirs] of people) {
      await this.send({
        key: `close-loop:${workspace.id}:${ref(improvement.number)}:${userId}`,
        workspaceId: workspace.id,
        kind: 'improvement.close-the-loop',
        target: { kind: 'dm', userId },
        view: this.notices.closeTheLoop(improvement, userId, theirs, workspace.settings),
      });
    }
    return people.size;
  }

  private async tellAssigner(
    workspace: Workspace,
    improvement: Improvement,
    ownerId: string,
    answer: Parameters<ImprovementNotices['ownerAnswered']>[2],
  ): Promise<void> {
    const to = improvement.assignedBy;
    if (!to || to === ownerId) return;
    await this.send({
      key: `answer:${workspace.id}:${ref(improvement.number)}:${improvement.history.length}`,
      workspaceId: workspace.id,
      kind: 'improvement.answered',
      target: { kind: 'dm', userId: to },
      view: this.notices.ownerAnswered(improvement, ownerId, answer),
    });
  }

  private async send(message: OutgoingMessage): Promise<void> {
    await this.outbox.enqueue(message);
  }

  /** Moves each linked pebble along `paths`; a pebble that cannot move is left as it is. */
  private async advancePebbles(
    workspace: Workspace,
    user: ImprovementActor,
    improvement: Improvement,
    paths: Partial<Record<PebbleStatus, PebbleStatus[]>>,
  ): Promise<Pebble[]> {
    const result: Pebble[] = [];
    for (const number of improvement.pebbleNumbers) {
      let pebble = await this.store.pebbles.get(workspace.id, number);
      if (!pebble) continue;
      for (const step of paths[pebble.status] ?? []) {
        try {
          pebble = await this.pebbles.transition(workspace, user, number, step, {
            reason: `${ref(improvement.number)} ${IMPROVEMENT_STATUS_LABELS[improvement.status].toLowerCase()}`,
          });
        } catch (error) {
          if (!isPebbleError(error)) throw error;
          pebble = (await this.store.pebbles.get(workspace.id, number)) ?? pebble;
          break;
        }
      }
      result.push(pebble);
    }
    return result;
  }

  private async getActive(workspace: Workspace, number: number): Promise<Improvement> {
    const improvement = await this.get(workspace, number);
    if (!isActiveImprovement(improvement.status))
      throw new PebbleError(
        'IMPROVEMENT.ILLEGAL_TRANSITION',
        `${ref(number)} is already ${improvement.status}.`,
      );
    return improvement;
  }

  /** Conditions that hold while nobody else changed the owner, the promise or the status. */
  private unchanged(current: Improvement): NonNullable<ImprovementChange['if']> {
    return {
      status: [...ACTIVE_IMPROVEMENT_STATUSES],
      ownerId: current.ownerId ?? null,
      ownerPending: current.ownerPending,
      promisedDate: current.promisedDate ?? null,
    };
  }

  /** A valid date that is not before today in the owner's (or workspace's) time zone. */
  private futureDate(workspace: Workspace, value: string, zone?: string): string {
    const parsed = IsoDateSchema.safeParse(value.trim());
    if (!parsed.success)
      throw new PebbleError(
        'IMPROVEMENT.INVALID_INPUT',
        `"${value}" is not a date: write it like 2026-12-15.`,
      );
    const today = localDate(this.clock.now(), zoneOr(zone, workspace.settings.timezone));
    if (parsed.data < today)
      throw new PebbleError(
        'IMPROVEMENT.INVALID_INPUT',
        `${parsed.data} is in the past: promise a date from ${today} on.`,
      );
    return parsed.data;
  }

  /**
   * The improvement a form is about, once the user may submit that form: channels call it
   * before opening one, so nobody fills in a form that would be refused.
   */
  async formFor(
    workspace: Workspace,
    user: ImprovementActor,
    number: number,
    form: ImprovementForm,
  ): Promise<Improvement> {
    const improvement = await this.get(workspace, number);
    switch (form) {
      case 'propose-date':
      case 'decline':
        this.assertAsked(improvement, user);
        break;
      case 'done':
        await this.assertOwnerOrLead(workspace, improvement, user, 'mark done');
        break;
      case 'change-date':
        await this.assertOwnerOrLead(workspace, improvement, user, 'change the date of');
        break;
      case 'extend':
        await this.assertLead(workspace, user, 'extend an improvement');
        break;
      case 'reassign':
        await this.assertLead(workspace, user, 'reassign an improvement');
        break;
      case 'drop':
        await this.assertLead(workspace, user, 'drop an improvement');
        break;
    }
    return improvement;
  }

  /** Throws IMPROVEMENT.NOT_ALLOWED unless the user is the sponsor or an admin. */
  async assertLead(workspace: Workspace, user: ImprovementActor, what: string): Promise<void> {
    if (!(await this.isLead(workspace, user)))
      throw new PebbleError(
        'IMPROVEMENT.NOT_ALLOWED',
        `Only the executive sponsor and Pebblebot admins can ${what}.`,
      );
  }

  /**
   * Throws unless the improvement was offered to the user and awaits their answer; channels
   * call it before opening the owner's forms (propose a date, decline).
   */
  assertAsked(improvement: Improvement, user: ImprovementActor): void {
    if (improvement.ownerId !== user.userId)
      throw new PebbleError(
        'IMPROVEMENT.NOT_OWNER',
        `${ref(improvement.number)} was not offered to you.`,
      );
    if (!improvement.ownerPending)
      throw new PebbleError(
        'IMPROVEMENT.ILLEGAL_TRANSITION',
        `You already accepted ${ref(improvement.number)}.`,
      );
  }

  /**
   * Throws unless the user owns the improvement (accepted) or steers it (sponsor, admins);
   * channels call it before opening the owner's forms (change the date).
   */
  async assertOwnerOrLead(
    workspace: Workspace,
    improvement: Improvement,
    user: ImprovementActor,
    what: string,
  ): Promise<void> {
    if (improvement.ownerId === user.userId) {
      if (improvement.ownerPending)
        throw new PebbleError(
          'IMPROVEMENT.ILLEGAL_TRANSITION',
          `Accept ${ref(improvement.number)} first (or decline it).`,
        );
      return;
    }
    if (!(await this.isLead(workspace, user)))
      throw new PebbleError(
        'IMPROVEMENT.NOT_OWNER',
        `Only the owner of ${ref(improvement.number)}, the sponsor or an admin can ${what} it.`,
      );
  }
}

function closePromise(
  promise: PromiseEntry,
  outcome: 'kept' | 'broken' | 'withdrawn',
  at: Date,
  reason?: string,
): PromiseEntry {
  return { ...promise, outcome, closedAt: at, ...(reason ? { reason } : {}) };
}

function conflict(number: number): PebbleError {
  return new PebbleError(
    'IMPROVEMENT.CONFLICT',
    `${ref(number)} was changed by someone else just now; look again and retry.`,
  );
}

function ignoreConflict(error: unknown): void {
  if (!isPebbleError(error)) throw error;
}

function issues(list: { path: PropertyKey[]; message: string }[]): string {
  return list
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** A history entry for a system action (jobs). */
export function systemEntry(at: Date, action: string, note?: string): HistoryEntry {
  return { at, actor: 'pebblebot', action, ...(note ? { note } : {}) };
}
