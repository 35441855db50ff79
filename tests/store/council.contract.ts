import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BallotChoice, Vote } from '../../src/core/council/council.model.js';
import type { NewVote } from '../../src/core/ports/council.port.js';
import type { Store } from '../../src/core/ports/store.port.js';

const T0 = new Date('2026-01-05T09:00:00.000Z');
const at = (hours: number) => new Date(T0.getTime() + hours * 60 * 60_000);

function newVote(workspaceId: string, overrides: Partial<NewVote> = {}): NewVote {
  return {
    workspaceId,
    pebbleNumbers: [1],
    proposedBy: 'U-admin',
    status: 'open',
    electorate: [{ userId: 'U-1' }, { userId: 'U-2', function: 'Sales' }],
    rules: { threshold: 50, secret: true, wipLimit: 5 },
    channelId: 'C-council',
    openedAt: T0,
    deadline: at(72),
    remindAt: at(48),
    sealSalt: 'salt-salt-salt-salt-salt',
    applied: false,
    createdAt: T0,
    updatedAt: T0,
    history: [{ at: T0, actor: 'U-admin', action: 'proposed' }],
    ...overrides,
  };
}

const CHOICES: BallotChoice[] = ['fix-now', 'next-cycle', 'not-now', 'need-info', 'recuse'];
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export interface CouncilContractOptions {
  /** Set where concurrent updates of one document are not isolated (FerretDB 1.x): why. */
  nonAtomicDocumentUpdates?: string;
}

/**
 * What the council needs of every store: ballots counted exactly once per member under any
 * concurrency, votes numbered per workspace, conditional updates, the sweep's query.
 */
export function describeCouncilContract(
  name: string,
  makeStore: () => Promise<Store>,
  options: CouncilContractOptions = {},
): void {
  describe(`Store contract: council votes on ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store?.close();
    });
    const itAtomic = options.nonAtomicDocumentUpdates ? it.skip : it;

    it('counts 1,000 distinct members casting at once exactly once each', async () => {
      const voteId = randomUUID();
      await Promise.all(
        Array.from({ length: 1_000 }, (_, i) =>
          store.ballots.cast(voteId, `s:key-${i}`, CHOICES[i % 4]!),
        ),
      );
      const counts = await store.ballots.counts(voteId);
      expect(total(counts)).toBe(1_000);
      expect(counts).toEqual({
        'fix-now': 250,
        'next-cycle': 250,
        'not-now': 250,
        'need-info': 250,
        recuse: 0,
      });
      expect(await store.ballots.list(voteId)).toHaveLength(1_000);
    });

    it('leaves one ballot when one member clicks 50 times at once', async () => {
      const voteId = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.ballots.cast(voteId, 'u:U-clicky', CHOICES[i % CHOICES.length]!, 'Clicky'),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(total(await store.ballots.counts(voteId))).toBe(1);
      const [ballot] = await store.ballots.list(voteId);
      expect(ballot).toMatchObject({ key: 'u:U-clicky', name: 'Clicky' });
    });

    it('replaces a ballot with the latest choice and keeps votes apart', async () => {
      const a = randomUUID();
      const b = randomUUID();
      expect(await store.ballots.cast(a, 'u:U-1', 'not-now')).toEqual({ created: true });
      expect(await store.ballots.cast(a, 'u:U-1', 'fix-now')).toEqual({ created: false });
      // A double click on the same option is told apart from a change.
      expect(await store.ballots.cast(a, 'u:U-1', 'fix-now')).toEqual({
        created: false,
        unchanged: true,
      });
      await store.ballots.cast(b, 'u:U-1', 'recuse');
      expect(await store.ballots.counts(a)).toMatchObject({ 'fix-now': 1, 'not-now': 0 });
      expect(await store.ballots.counts(b)).toMatchObject({ recuse: 1 });
      expect(await store.ballots.present(a, ['u:U-1', 'u:U-2'])).toEqual(['u:U-1']);
      expect(await store.ballots.present(a, [])).toEqual([]);
    });

    it('stores a ballot without a name when none is given', async () => {
      const voteId = randomUUID();
      await store.ballots.cast(voteId, 's:opaque', 'fix-now');
      const [ballot] = await store.ballots.list(voteId);
      expect(ballot).toEqual({ key: 's:opaque', choice: 'fix-now' });
      await expect(store.ballots.forgetWriteOrder()).resolves.toBeUndefined();
    });

    it('numbers votes per workspace, also when created at once', async () => {
      const ws = `test:${randomUUID()}`;
      const other = `test:${randomUUID()}`;
      const votes = await Promise.all(
        Array.from({ length: 20 }, () => store.votes.create(newVote(ws))),
      );
      expect(votes.map((v) => v.number).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      expect((await store.votes.create(newVote(other))).number).toBe(1);
      const page = await store.votes.list(ws, { status: ['open'] }, { limit: 5 });
      expect(page.total).toBe(20);
      expect(page.items.map((v) => v.number)).toEqual([20, 19, 18, 17, 16]);
    });

    it('reads back what it stored, and lists by pebble', async () => {
      const ws = `test:${randomUUID()}`;
      const created = await store.votes.create(newVote(ws, { pebbleNumbers: [4, 7] }));
      const read = await store.votes.get(ws, created.number);
      expect(read).toEqual(created);
      expect(read?.deadline).toEqual(at(72));
      expect((await store.votes.list(ws, { pebbleNumber: 7 })).total).toBe(1);
      expect((await store.votes.list(ws, { pebbleNumber: 5 })).total).toBe(0);
      expect(await store.votes.get(ws, 99)).toBeNull();
    });

    it('applies a change only while its conditions hold, and unsets fields', async () => {
      const ws = `test:${randomUUID()}`;
      const vote = await store.votes.create(newVote(ws));
      const closed = await store.votes.update(ws, vote.number, {
        set: { status: 'escalated', closedAt: at(72), closedBy: 'deadline' },
        unset: ['sealSalt'],
        if: { status: ['open'] },
        history: { at: at(72), actor: 'pebblebot', action: 'closed' },
      });
      expect(closed).toMatchObject({ status: 'escalated', closedBy: 'deadline' });
      expect(closed?.sealSalt).toBeUndefined();
      expect(closed?.history.map((h) => h.action)).toEqual(['proposed', 'closed']);
      const again = await store.votes.update(ws, vote.number, {
        set: { status: 'decided' },
        if: { status: ['open'] },
        history: { at: at(73), actor: 'pebblebot', action: 'closed' },
      });
      expect(again).toBeNull();
      const reminded = await store.votes.update(ws, vote.number, {
        set: { remindedAt: at(48) },
        if: { notReminded: true, undecided: true, applied: false, noMessage: true },
        history: { at: at(48), actor: 'pebblebot', action: 'reminded' },
      });
      expect(reminded?.remindedAt).toEqual(at(48));
      expect(
        await store.votes.update(ws, vote.number, {
          set: { remindedAt: at(49) },
          if: { notReminded: true },
          history: { at: at(49), actor: 'pebblebot', action: 'reminded' },
        }),
      ).toBeNull();
    });

    itAtomic('lets exactly one of 20 concurrent conditional closes win', async () => {
      const ws = `test:${randomUUID()}`;
      const vote = await store.votes.create(newVote(ws));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.votes.update(ws, vote.number, {
            set: { status: 'decided', closedAt: at(72 + i) },
            if: { status: ['open'] },
            history: { at: at(72), actor: `closer-${i}`, action: 'closed' },
          }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('finds the votes the sweep must look at, across workspaces, oldest first', async () => {
      const ws = `test:${randomUUID()}`;
      const now = at(100);
      const make = (o: Partial<NewVote>, hours: number) =>
        store.votes.create(
          newVote(ws, {
            message: { channelId: 'C-council', messageId: '1.1' },
            createdAt: at(hours),
            ...o,
          }),
        );
      const due = await make({ deadline: at(99) }, 1);
      const remind = await make({ deadline: at(200), remindAt: at(99) }, 2);
      const unposted = await make({ deadline: at(200), remindAt: at(150), message: undefined }, 3);
      const unapplied = await make({ status: 'escalated', deadline: at(50) }, 4);
      const cycle = await make({ status: 'decided', applied: true, reproposeAt: at(99) }, 5);
      const queued = await make(
        { status: 'decided', applied: false, wip: { status: 'queued', active: 5, limit: 5 } },
        6,
      );
      // Nothing to do for these:
      await make({ deadline: at(200), remindAt: at(150) }, 7);
      await make({ deadline: at(200), remindAt: at(50), remindedAt: at(50) }, 8);
      await make({ status: 'decided', applied: true, reproposeAt: at(101) }, 9);
      await make({ status: 'decided', applied: true, reproposeAt: at(99), reproposedAs: 3 }, 10);

      const found = (await store.votes.needingAttention(now, 500)).filter(
        (v: Vote) => v.workspaceId === ws,
      );
      expect(found.map((v) => v.number)).toEqual(
        [due, remind, unposted, unapplied, cycle, queued].map((v) => v.number),
      );
    });
  });
}
