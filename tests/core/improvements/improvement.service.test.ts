import { beforeEach, describe, expect, it } from 'vitest';
import { promiseLedger } from '../../../src/core/improvements/improvement.model.js';
import type { FakeClock } from '../../../src/core/shared/clock.port.js';
import { isPebbleError } from '../../../src/core/shared/errors.js';
import type { Workspace } from '../../../src/core/workspaces/workspace.model.js';
import type { Services } from '../../../src/services.js';
import type { Store } from '../../../src/core/ports/store.port.js';
import { alice, bob, carol, makeServices } from '../../helpers/services.js';
import { plainText } from '../../../src/views/tokens.js';

const admin = { userId: 'U_ADMIN', name: 'Ada', platformAdmin: true };
const sponsor = { userId: 'U_SPONSOR', name: 'Sam' };
const owner = { userId: 'U_OWNER', name: 'Olga' };
const dave = { userId: 'U_DAVE', name: 'Dave' };

let services: Services;
let clock: FakeClock;
let store: Store;
let workspace: Workspace;

beforeEach(async () => {
  ({ services, clock, store, workspace } = await makeServices('2026-03-02T10:00:00Z'));
  workspace = await services.workspaces.updateSettings(workspace, admin, {
    sponsor: sponsor.userId,
  });
});

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

/** P-1 by Alice (anonymous), supported by Bob; P-2 by Carol; both approved through triage. */
async function approvedPebbles() {
  const { pebbles } = services;
  await pebbles.report(
    workspace,
    alice,
    { text: 'Checkout asks for the address twice', anonymous: true },
    { kind: 'slash' },
  );
  await pebbles.report(workspace, carol, { text: 'Invoice PDF is blank' }, { kind: 'slash' });
  await pebbles.support(workspace, bob, 1);
  for (const n of [1, 2]) {
    await pebbles.transition(workspace, admin, n, 'triaged');
    await pebbles.transition(workspace, admin, n, 'approved');
  }
}

async function outboxKeys(): Promise<string[]> {
  return (await store.outbox.list()).map((m) => m.key);
}

describe('ImprovementService: planning', () => {
  it('creates a planned improvement without an owner, numbered I-1, I-2 per workspace', async () => {
    await approvedPebbles();
    const first = await services.improvements.createPlanned(
      workspace,
      { title: 'One address form', pebbleNumbers: [1] },
      admin,
    );
    const second = await services.improvements.createPlanned(
      workspace,
      { title: 'Fix invoice rendering', pebbleNumbers: [2, 2] },
      admin,
    );
    expect(first).toMatchObject({ number: 1, status: 'planned', pebbleNumbers: [1] });
    expect(first.ownerId).toBeUndefined();
    expect(second).toMatchObject({ number: 2, pebbleNumbers: [2] });
    expect(await services.improvements.countActive(workspace)).toBe(2);
  });

  it('gives the same improvement for the same council vote, however often it is asked', async () => {
    await approvedPebbles();
    const input = { title: 'One address form', pebbleNumbers: [1], voteNumber: 7 };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => services.improvements.createPlanned(workspace, input, admin)),
    );
    expect(new Set(results.map((r) => r.number))).toEqual(new Set([results[0]!.number]));
    expect((await services.improvements.list(workspace)).total).toBe(1);
  });

  it('refuses unknown or closed pebbles and empty titles, writing nothing', async () => {
    await approvedPebbles();
    expect(
      isPebbleError(
        await errorOf(
          services.improvements.createPlanned(workspace, { title: 'x', pebbleNumbers: [9] }, admin),
        ),
        'PEBBLE.NOT_FOUND',
      ),
    ).toBe(true);
    expect(
      isPebbleError(
        await errorOf(
          services.improvements.createPlanned(workspace, { title: ' ', pebbleNumbers: [1] }, admin),
        ),
        'IMPROVEMENT.INVALID_INPUT',
      ),
    ).toBe(true);
    await services.pebbles.transition(workspace, admin, 2, 'triaged');
    await services.pebbles.decline(workspace, admin, 2, 'not ours');
    expect(
      isPebbleError(
        await errorOf(
          services.improvements.createPlanned(workspace, { title: 'x', pebbleNumbers: [2] }, admin),
        ),
        'IMPROVEMENT.INVALID_INPUT',
      ),
    ).toBe(true);
    expect(await services.improvements.countActive(workspace)).toBe(0);
  });

  it('lets an admin plan one straight from new pebbles, approving them', async () => {
    await services.pebbles.report(workspace, alice, { text: 'Login loops' }, { kind: 'slash' });
    const improvement = await services.improvements.createFromPebbles(workspace, admin, {
      title: 'Fix login loop',
      pebbleNumbers: [1],
    });
    expect(improvement.status).toBe('planned');
    expect((await services.pebbles.get(workspace, 1)).status).toBe('approved');
    expect(
      isPebbleError(
        await errorOf(
          services.improvements.createFromPebbles(workspace, bob, {
            title: 'x',
            pebbleNumbers: [1],
          }),
        ),
        'IMPROVEMENT.NOT_ALLOWED',
      ),
    ).toBe(true);
  });
});

describe('ImprovementService: owner, promise and check-ins', () => {
  async function planned() {
    await approvedPebbles();
    return services.improvements.createPlanned(
      workspace,
      { title: 'One address form', pebbleNumbers: [1, 2] },
      admin,
    );
  }

  it('asks the owner by DM, and their acceptance opens the promise and starts the pebbles', async () => {
    await planned();
    const asked = await services.improvements.assign(workspace, sponsor, 1, {
      ownerId: owner.userId,
      ownerName: owner.name,
      promisedDate: '2026-04-15',
      ownerTimezone: 'Europe/Berlin',
    });
    expect(asked).toMatchObject({
      ownerId: owner.userId,
      ownerPending: true,
      proposedDate: '2026-04-15',
      ownerTimezone: 'Europe/Berlin',
      status: 'planned',
    });
    expect(asked.promise).toBeUndefined();
    const dm = (await store.outbox.list({ kind: 'improvement.assigned' }))[0]!;
    expect(dm.target).toEqual({ kind: 'dm', userId: owner.userId });
    expect(JSON.stringify(dm.view)).toContain('improvement.accept');

    clock.advance(60_000);
    const accepted = await services.improvements.accept(workspace, owner, 1);
    expect(accepted).toMatchObject({
      ownerPending: false,
      status: 'on-track',
      promisedDate: '2026-04-15',
      promise: { promisedDate: '2026-04-15', ownerId: owner.userId, outcome: 'open' },
    });
    expect((await services.pebbles.get(workspace, 1)).status).toBe('in-progress');
    expect((await services.pebbles.get(workspace, 2)).status).toBe('in-progress');
    const answer = (await store.outbox.list({ kind: 'improvement.answered' }))[0]!;
    expect(answer.target).toEqual({ kind: 'dm', userId: sponsor.userId });
    expect(answer.view.text).toContain('accepted');
  });

  it('lets the owner accept with another date, and tells the assigner', async () => {
    await planned();
    await services.improvements.assign(workspace, sponsor, 1, {
      ownerId: owner.userId,
      promisedDate: '2026-04-15',
    });
    const accepted = await services.improvements.accept(workspace, owner, 1, {
      promisedDate: '2026-05-01',
    });
    expect(accepted.promise?.promisedDate).toBe('2026-05-01');
    expect(accepted.history.at(-1)).toMatchObject({
      action: 'accepted-other-date',
      from: '2026-04-15',
      to: '2026-05-01',
    });
    const answer = (await store.outbox.list({ kind: 'improvement.answered' }))[0]!;
    // Dates are tokens: each reader sees their own zone; plain text reads the fallback.
    expect(plainText(answer.view.text)).toContain(
      'for *Fri 1 May 2026* instead of Wed 15 Apr 2026',
    );
  });

  it('sends a declined improvement back without an owner and tells the assigner why', async () => {
    await planned();
    await services.improvements.assign(workspace, sponsor, 1, {
      ownerId: owner.userId,
      promisedDate: '2026-04-15',
    });
    expect(
      isPebbleError(
        await errorOf(services.improvements.decline(workspace, owner, 1, ' ')),
        'IMPROVEMENT.INVALID_INPUT',
      ),
    ).toBe(true);
    const declined = await services.improvements.decline(workspace, owner, 1, 'No capacity');
    expect(declined.ownerId).toBeUndefined();
    expect(declined.status).toBe('planned');
    const answer = (await store.outbox.list({ kind: 'improvement.answered' }))[0]!;
    expect(answer.view.text).toContain('No capacity');
  });

  it('lets only the asked person answer, and only the sponsor or admins assign', async () => {
    await planned();
    expect(
      isPebbleError(
        await errorOf(
          services.improvements.assign(workspace, bob, 1, {
            ownerId: owner.userId,
            promisedDate: '2026-04-15',
          }),
        ),
        'IMPROVEMENT.NOT_ALLOWED',
      ),
    ).toBe(true);
    await services.improvements.assign(workspace, admin, 1, {
      ownerId: owner.userId,
      promisedDate: '2026-04-15',
    });
    expect(
      isPebbleError(
        await errorOf(services.improvements.accept(workspace, bob, 1)),
        'IMPROVEMENT.NOT_OWNER',
      ),
    ).toBe(true);
    expect(
      isPebbleError(
        await errorOf(services.improvements.checkIn(workspace, owner, 1, 'at-risk')),
        'IMPROVEMENT.ILLEGAL_TRANSITION',
      ),
    ).toBe(true);
  });

  it('refuses dates that are not real or already past', async () => {
    await planned();
    for (const date of ['2026-02-30', 'soon', '2026-03-01']) {
      const error = await errorOf(
        services.improvements.assign(workspace, sponsor, 1, {
          ownerId: owner.userId,
          promisedDate: date,
        }),
      );
      expect(isPebbleError(error, 'IMPROVEMENT.INVALID_INPUT')).toBe(true);
    }
  });

  it('records check-ins with notes and tracks since when it is blocked', async () => {
    await planned();
    await services.improvements.assign(workspace, sponsor, 1, {
      ownerId: owner.userId,
      promisedDate: '2026-04-15',
    });
    await services.improvements.accept(workspace, owner, 1);
    clock.advance(3_600_000);
    const risky = await services.improvements.checkIn(
      workspace,
      owner,
      1,
      'at-risk',
      'waiting on vendor',
    );
    expect(risky.status).toBe('at-risk');
    clock.advance(3_600_000);
    const blocked = await services.improvements.checkIn(workspace, owner, 1, 'blocked');
    expect(blocked.blockedSince).toEqual(clock.now());
    clock.advance(3_600_000);
    const still = await services.improvements.checkIn(workspace, owner, 1, 'blocked', 'still');
    expect(still.blockedSince).toEqual(blocked.blockedSince);
    const back = await services.improvements.checkIn(workspace, owner, 1, 'on-track');
    expect(back.blockedSince).toBeUndefined();
    expect(back.checkIns.map((c) => [c.status, c.note])).toEqual([
      ['at-risk', 'waiting on vendor'],
      ['blocked', undefined],
      ['blocked', 'still'],
      ['on-track', undefined],
    ]);
    expect(
      isPebbleError(
        await errorOf(services.improvements.checkIn(workspace, dave, 1, 'on-track')),
        'IMPROVEMENT.NOT_OWNER',
      ),
    ).toBe(true);
  });

  it('keeps 20 concurrent check-ins, losing none', async () => {
    await planned();
    await services.improvements.assign(workspace, sponsor, 1, {
      ownerId: owner.userId,
      promisedDate: '2026-04-15',
    });
    await services.improvements.accept(workspace, owner, 1);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        services.improvements.checkIn(workspace, owner, 1, i % 2 ? 'at-risk' : 'on-track', `#${i}`),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const stored = await services.improvements.get(workspace, 1);
    expect(stored.checkIns).toHaveLength(ok);
    expect(ok).toBeGreaterThan(0);
  });
});

describe('ImprovementService: the promise ledger', () => {
  async function accepted() {
    await approvedPebbles();
    await services.improvements.createPlanned(
      workspace,
      { title: 'One address form', pebbleNumbers: [1] },
      admin,
    );
    await services.improvements.assign(workspace, sponsor, 1, {
      ownerId: owner.userId,
      ownerName: owner.name,
      promisedDate: '2026-04-15',
    });
    return services.improvements.accept(workspace, owner, 1);
  }

  it('records a moved date as a broken promise and a new one, never overwriting', async () => {
    await accepted();
    clock.advance(86_400_000);
    const moved = await services.improvements.changeDate(
      workspace,
      owner,
      1,
      '2026-05-01',
      'vendor slipped',
    );
    expect(moved.promisedDate).toBe('2026-05-01');
    expect(promiseLedger(moved).map((p) => [p.promisedDate, p.outcome, p.reason])).toEqual([
      ['2026-04-15', 'broken', 'vendor slipped'],
      ['2026-05-01', 'open', undefined],
    ]);
    // The sponsor extends it: another broken promise, and the owner is told.
    const extended = await services.improvements.changeDate(workspace, sponsor, 1, '2026-05-20');
    expect(promiseLedger(extended).map((p) => p.outcome)).toEqual(['broken', 'broken', 'open']);
    expect((await store.outbox.list({ kind: 'improvement.date-changed' }))[0]?.target).toEqual({
      kind: 'dm',
      userId: owner.userId,
    });
  });

  it('lets exactly one of two concurrent date changes win', async () => {
    await accepted();
    const results = await Promise.allSettled([
      services.improvements.changeDate(workspace, owner, 1, '2026-05-01'),
      services.improvements.changeDate(workspace, sponsor, 1, '2026-06-01'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const stored = await services.improvements.get(workspace, 1);
    expect(promiseLedger(stored).map((p) => p.outcome)).toEqual(['broken', 'open']);
  });

  it('keeps the promise when done by the date, breaks it when done later', async () => {
    await accepted();
    clock.set('2026-04-15T16:00:00Z');
    const kept = await services.improvements.complete(workspace, owner, 1);
    expect(kept.improvement.promises.at(-1)?.outcome).toBe('kept');
    expect(kept.improvement.promise).toBeUndefined();

    await services.improvements.createPlanned(
      workspace,
      { title: 'Invoice PDF', pebbleNumbers: [2] },
      admin,
    );
    await services.improvements.assign(workspace, sponsor, 2, {
      ownerId: owner.userId,
      promisedDate: '2026-04-20',
    });
    await services.improvements.accept(workspace, owner, 2);
    clock.set('2026-04-22T10:00:00Z');
    const late = await services.improvements.complete(workspace, owner, 2);
    expect(late.improvement.promises.at(-1)).toMatchObject({ outcome: 'broken' });
  });

  it('withdraws the promise of a replaced owner and asks the new one', async () => {
    await accepted();
    const reassigned = await services.improvements.assign(workspace, sponsor, 1, {
      ownerId: dave.userId,
      ownerName: dave.name,
      promisedDate: '2026-04-30',
    });
    expect(reassigned).toMatchObject({ ownerId: dave.userId, ownerPending: true });
    expect(reassigned.promises.at(-1)).toMatchObject({
      ownerId: owner.userId,
      outcome: 'withdrawn',
    });
    const released = (await store.outbox.list({ kind: 'improvement.released' }))[0]!;
    expect(released.target).toEqual({ kind: 'dm', userId: owner.userId });
    expect(
      isPebbleError(
        await errorOf(services.improvements.checkIn(workspace, owner, 1, 'on-track')),
        'IMPROVEMENT.NOT_OWNER',
      ),
    ).toBe(true);
  });

  it('snoozes nudges but never past the promised date', async () => {
    await accepted();
    const day = await services.improvements.snooze(workspace, owner, 1, '1d');
    expect(day).toMatchObject({ capped: false });
    expect(day.until).toEqual(new Date('2026-03-03T10:00:00Z'));
    clock.set('2026-04-12T10:00:00Z');
    const week = await services.improvements.snooze(workspace, owner, 1, '1w');
    expect(week.capped).toBe(true);
    expect(week.until).toEqual(new Date('2026-04-15T00:00:00Z'));
    clock.set('2026-04-15T09:00:00Z');
    expect(
      isPebbleError(
        await errorOf(services.improvements.snooze(workspace, owner, 1, '1d')),
        'IMPROVEMENT.SNOOZE_PAST_DUE',
      ),
    ).toBe(true);
  });

  it('drops with a reason (sponsor only): promise withdrawn, pebbles back to triage', async () => {
    await accepted();
    expect(
      isPebbleError(
        await errorOf(services.improvements.drop(workspace, owner, 1, 'meh')),
        'IMPROVEMENT.NOT_ALLOWED',
      ),
    ).toBe(true);
    const dropped = await services.improvements.drop(
      workspace,
      sponsor,
      1,
      'Superseded by replatforming',
    );
    expect(dropped).toMatchObject({ status: 'dropped', dropReason: 'Superseded by replatforming' });
    expect(dropped.promises.at(-1)?.outcome).toBe('withdrawn');
    expect((await services.pebbles.get(workspace, 1)).status).toBe('triaged');
    expect(await services.improvements.countActive(workspace)).toBe(0);
    expect(
      isPebbleError(
        await errorOf(services.improvements.complete(workspace, owner, 1)),
        'IMPROVEMENT.ILLEGAL_TRANSITION',
      ),
    ).toBe(true);
  });
});

describe('ImprovementService: closing the loop', () => {
  async function done() {
    await approvedPebbles();
    await services.improvements.createPlanned(
      workspace,
      { title: 'One address form', pebbleNumbers: [1, 2] },
      admin,
    );
    await services.improvements.assign(workspace, sponsor, 1, {
      ownerId: owner.userId,
      ownerName: owner.name,
      promisedDate: '2026-04-15',
    });
    await services.improvements.accept(workspace, owner, 1);
    return services.improvements.complete(workspace, owner, 1, 'Address is asked once now');
  }

  it('resolves the linked pebbles and asks every reporter and supporter, once each', async () => {
    const result = await done();
    expect(result.improvement).toMatchObject({ status: 'done', doneBy: owner.userId });
    expect(result.pebbles.map((p) => p.status)).toEqual(['resolved', 'resolved']);
    expect(result.asked).toBe(3);
    const loops = await store.outbox.list({ kind: 'improvement.close-the-loop' });
    expect(
      loops.map((m) => m.target).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual(
      [alice, bob, carol]
        .map((u) => ({ kind: 'dm', userId: u.userId }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    const toAlice = loops.find((m) => m.target.kind === 'dm' && m.target.userId === alice.userId)!;
    expect(JSON.stringify(toAlice.view)).toContain('anonymously; only you see this');
    expect(JSON.stringify(toAlice.view)).toContain('Address is asked once now');
    const toBob = loops.find((m) => m.target.kind === 'dm' && m.target.userId === bob.userId)!;
    expect(JSON.stringify(toBob.view)).toContain('You supported');
    expect(JSON.stringify(toBob.view)).not.toContain('anonymously');
    // Done twice is refused, and nobody is asked twice.
    expect(
      isPebbleError(
        await errorOf(services.improvements.complete(workspace, owner, 1)),
        'IMPROVEMENT.ILLEGAL_TRANSITION',
      ),
    ).toBe(true);
    expect(await store.outbox.count({ kind: 'improvement.close-the-loop' })).toBe(3);
  });

  it('takes a "Yes" once per person, and refuses people who were not asked', async () => {
    await done();
    const yes = await services.improvements.answerFix(workspace, bob, 1, 'yes');
    expect(yes.recorded).toBe(true);
    const again = await services.improvements.answerFix(workspace, bob, 1, 'no');
    expect(again.recorded).toBe(false);
    expect(again.reopened).toBeUndefined();
    expect(again.improvement.feedback).toEqual([
      { userId: bob.userId, answer: 'yes', at: clock.now() },
    ]);
    expect(
      isPebbleError(
        await errorOf(services.improvements.answerFix(workspace, dave, 1, 'yes')),
        'IMPROVEMENT.NOT_ALLOWED',
      ),
    ).toBe(true);
  });

  it('reopens the pebble of whoever says "Not really" and counts one recurrence', async () => {
    await done();
    const no = await services.improvements.answerFix(workspace, carol, 1, 'no');
    expect(no.reopened?.number).toBe(2);
    expect(no.reopened?.status).toBe('triaged');
    expect(no.improvement.recurrences).toBe(1);
    expect((await services.pebbles.get(workspace, 1)).status).toBe('resolved');
    const history = (await services.pebbles.get(workspace, 2)).history.at(-1)!;
    expect(history).toMatchObject({ from: 'resolved', to: 'triaged', note: 'came back after I-1' });
  });

  it('counts one recurrence when two people say "Not really" about one pebble at once', async () => {
    await done();
    const [a, b] = await Promise.all([
      services.improvements.answerFix(workspace, alice, 1, 'no'),
      services.improvements.answerFix(workspace, bob, 1, 'no'),
    ]);
    expect([a.reopened, b.reopened].filter(Boolean)).toHaveLength(1);
    const stored = await services.improvements.get(workspace, 1);
    expect(stored.recurrences).toBe(1);
    expect(stored.feedback).toHaveLength(2);
  });

  it('puts every message in the outbox under its own idempotency key', async () => {
    await done();
    const keys = await outboxKeys();
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((k) => k.startsWith('close-loop:'))).toHaveLength(3);
  });
});
