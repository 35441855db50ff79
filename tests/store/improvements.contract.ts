import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/core/shared/actor.js';
import type { NewImprovement, NewOutboxMessage } from '../../src/core/ports/improvements.port.js';
import type { Store } from '../../src/core/ports/store.port.js';

const T0 = new Date('2026-01-05T09:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const entry = (action: string, at: Date = T0): HistoryEntry => ({ at, actor: 'U-admin', action });
const freshWorkspaceId = () => `test:${randomUUID()}`;

function newImprovement(
  workspaceId: string,
  overrides: Partial<NewImprovement> = {},
): NewImprovement {
  return {
    workspaceId,
    title: 'Ask for the address once',
    pebbleNumbers: [1, 2],
    status: 'planned',
    ownerPending: false,
    promises: [],
    checkIns: [],
    nudgesSent: 0,
    escalationLevel: 0,
    feedback: [],
    recurrences: 0,
    createdAt: T0,
    updatedAt: T0,
    history: [entry('planned')],
    ...overrides,
  };
}

function newMessage(key: string, overrides: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  return {
    key,
    workspaceId: 'test:outbox',
    kind: 'test',
    target: { kind: 'dm', userId: 'U-1' },
    view: { text: `message ${key}`, blocks: [{ type: 'section', text: 'hello' }] },
    nextAttemptAt: T0,
    createdAt: T0,
    ...overrides,
  };
}

/**
 * The contract of the improvement, outbox and lease repositories, run inside
 * describeStoreContract against every adapter (embedded nedb, MongoDB / FerretDB).
 */
export function describeImprovementStoreContract(
  getStore: () => Store,
  itAtomic: (name: string, test: () => Promise<void>) => void,
): void {
  describe('improvements', () => {
    it('numbers improvements per workspace I-1, I-2 and reads them back', async () => {
      const store = getStore();
      const ws = freshWorkspaceId();
      const other = freshWorkspaceId();
      const first = await store.improvements.create(newImprovement(ws));
      const second = await store.improvements.create(newImprovement(ws, { title: 'Second' }));
      const elsewhere = await store.improvements.create(newImprovement(other));
      expect([first.improvement.number, second.improvement.number]).toEqual([1, 2]);
      expect(elsewhere.improvement.number).toBe(1);
      expect(first.created).toBe(true);
      expect(first.improvement).toMatchObject({
        workspaceId: ws,
        status: 'planned',
        pebbleNumbers: [1, 2],
      });
      expect(first.improvement).not.toHaveProperty('feedbackIds');
      expect(first.improvement).not.toHaveProperty('_id');
      expect(await store.improvements.get(ws, 1)).toEqual(first.improvement);
      expect(await store.improvements.get(ws, 3)).toBeNull();
    });

    it('creates once per idempotency key, also under 10 concurrent creates', async () => {
      const store = getStore();
      const ws = freshWorkspaceId();
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          store.improvements.create(newImprovement(ws, { voteNumber: 4 }), {
            idempotencyKey: 'vote:4',
          }),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.improvement.id)).size).toBe(1);
      expect((await store.improvements.list(ws)).total).toBe(1);
    });

    it('gives 20 concurrent creates 20 different numbers', async () => {
      const store = getStore();
      const ws = freshWorkspaceId();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.improvements.create(newImprovement(ws, { title: `#${i}` })),
        ),
      );
      const numbers = results.map((r) => r.improvement.number).sort((a, b) => a - b);
      expect(new Set(numbers).size).toBe(20);
    });

    it('lists and counts by status, owner, pebble, vote and due date, sorted as asked', async () => {
      const store = getStore();
      const ws = freshWorkspaceId();
      await store.improvements.create(newImprovement(ws));
      await store.improvements.create(
        newImprovement(ws, {
          status: 'on-track',
          ownerId: 'U-a',
          promisedDate: '2026-03-01',
          pebbleNumbers: [3],
        }),
      );
      await store.improvements.create(
        newImprovement(ws, {
          status: 'done',
          ownerId: 'U-a',
          promisedDate: '2026-02-01',
          voteNumber: 9,
        }),
      );
      await store.improvements.create(
        newImprovement(ws, { status: 'at-risk', ownerId: 'U-b', promisedDate: '2026-04-01' }),
      );
      const numbers = async (
        filter: Parameters<Store['improvements']['list']>[1],
        sort?: 'promisedDate',
      ) =>
        (
          await store.improvements.list(
            ws,
            filter,
            sort ? { sort: { field: sort, direction: 'asc' } } : {},
          )
        ).items.map((i) => i.number);
      expect(await numbers({})).toEqual([1, 2, 3, 4]);
      expect(await numbers({ status: ['on-track', 'at-risk'] })).toEqual([2, 4]);
      expect(await numbers({ ownerId: 'U-a' })).toEqual([2, 3]);
      expect(await numbers({ hasOwner: true }, 'promisedDate')).toEqual([3, 2, 4]);
      expect(await numbers({ pebbleNumber: 3 })).toEqual([2]);
      expect(await numbers({ pebbleNumber: 1 })).toEqual([1, 3, 4]);
      expect(await numbers({ voteNumber: 9 })).toEqual([3]);
      expect(await numbers({ dueOnOrBefore: '2026-03-01' })).toEqual([2, 3]);
      expect(
        await store.improvements.count(ws, {
          status: ['planned', 'on-track', 'at-risk', 'blocked'],
        }),
      ).toBe(3);
      const page = await store.improvements.list(ws, {}, { limit: 2, offset: 1 });
      expect(page.items.map((i) => i.number)).toEqual([2, 3]);
      expect(page.total).toBe(4);
    });

    it('applies a change: set, unset, inc, push and history, in one update', async () => {
      const store = getStore();
      const ws = freshWorkspaceId();
      await store.improvements.create(
        newImprovement(ws, { ownerId: 'U-a', ownerPending: true, proposedDate: '2026-03-01' }),
      );
      const promise = {
        promisedDate: '2026-03-01',
        ownerId: 'U-a',
        madeAt: minutes(1),
        outcome: 'open' as const,
      };
      const updated = await store.improvements.update(ws, 1, {
        set: { ownerPending: false, promise, promisedDate: '2026-03-01', status: 'on-track' },
        unset: ['proposedDate'],
        inc: { nudgesSent: 2 },
        push: { checkIns: { at: minutes(1), by: 'U-a', status: 'on-track', note: 'started' } },
        history: entry('accepted', minutes(1)),
      });
      expect(updated).toMatchObject({
        ownerPending: false,
        promise,
        promisedDate: '2026-03-01',
        status: 'on-track',
        nudgesSent: 2,
        checkIns: [{ at: minutes(1), by: 'U-a', status: 'on-track', note: 'started' }],
      });
      expect(updated!.proposedDate).toBeUndefined();
      expect(updated!.updatedAt).toEqual(minutes(1));
      expect(updated!.history.map((h) => h.action)).toEqual(['planned', 'accepted']);
      const closed = {
        ...promise,
        outcome: 'broken' as const,
        closedAt: minutes(2),
        reason: 'moved',
      };
      const moved = await store.improvements.update(ws, 1, {
        set: {
          promise: { ...promise, promisedDate: '2026-04-01', madeAt: minutes(2) },
          promisedDate: '2026-04-01',
        },
        push: { promises: closed },
        if: { promisedDate: '2026-03-01', ownerId: 'U-a' },
        history: entry('date-changed', minutes(2)),
      });
      expect(moved!.promises).toEqual([closed]);
      expect(moved!.promise?.promisedDate).toBe('2026-04-01');
      expect(await store.improvements.get(ws, 1)).toEqual(moved);
    });

    it('changes nothing and answers null when a condition no longer holds', async () => {
      const store = getStore();
      const ws = freshWorkspaceId();
      await store.improvements.create(
        newImprovement(ws, { escalationLevel: 2, lastNudgedOn: '2026-01-05' }),
      );
      const before = await store.improvements.get(ws, 1);
      const attempts = [
        { status: ['done' as const] },
        { ownerId: 'U-a' },
        { promisedDate: '2026-03-01' },
        { ownerPending: true },
        { escalationLevelBelow: 2 },
        { notNudgedOn: '2026-01-05' },
      ];
      for (const condition of attempts) {
        expect(
          await store.improvements.update(ws, 1, {
            set: { title: 'x' },
            if: condition,
            history: entry('x'),
          }),
        ).toBeNull();
      }
      expect(await store.improvements.get(ws, 1)).toEqual(before);
      expect(
        await store.improvements.update(ws, 9, { set: { title: 'x' }, history: entry('x') }),
      ).toBeNull();
      // Absent fields: `null` matches them, and "not nudged on" a date never nudged holds.
      const ok = await store.improvements.update(ws, 1, {
        set: { escalationLevel: 3 },
        if: {
          ownerId: null,
          promisedDate: null,
          escalationLevelBelow: 3,
          notNudgedOn: '2026-01-06',
        },
        history: entry('escalated'),
      });
      expect(ok?.escalationLevel).toBe(3);
    });

    it('applies one change to several improvements, each only where its conditions hold', async () => {
      const store = getStore();
      const ws = freshWorkspaceId();
      for (const ownerId of ['U-a', 'U-a', 'U-b', 'U-a'])
        await store.improvements.create(newImprovement(ws, { ownerId }));
      await store.improvements.update(ws, 4, {
        set: { lastNudgedOn: '2026-01-05' },
        history: entry('nudged'),
      });
      const change = {
        set: { lastNudgedOn: '2026-01-05', lastNudgedAt: minutes(1) },
        inc: { nudgesSent: 1 },
        if: { notNudgedOn: '2026-01-05', ownerId: 'U-a' },
        history: entry('nudged', minutes(1)),
      };
      expect(await store.improvements.updateMany(ws, [1, 2, 3, 4, 9], change)).toBe(2);
      expect(await store.improvements.updateMany(ws, [1, 2], change)).toBe(0);
      expect(await store.improvements.updateMany(ws, [], change)).toBe(0);
      const all = (await store.improvements.list(ws)).items;
      expect(all.map((i) => i.nudgesSent)).toEqual([1, 1, 0, 0]);
      expect(all[0]!.history.map((h) => h.action)).toEqual(['planned', 'nudged']);
      expect(all[0]!.updatedAt).toEqual(minutes(1));
    });

    itAtomic('lets exactly one of 20 concurrent conditional updates win', async () => {
      const store = getStore();
      const ws = freshWorkspaceId();
      await store.improvements.create(newImprovement(ws));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.improvements.update(ws, 1, {
            set: { escalationLevel: 1 },
            inc: { nudgesSent: 1 },
            if: { escalationLevelBelow: 1 },
            history: entry(`attempt ${i}`),
          }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const stored = await store.improvements.get(ws, 1);
      expect(stored).toMatchObject({ escalationLevel: 1, nudgesSent: 1 });
      expect(stored!.history).toHaveLength(2);
    });

    it('records each person’s feedback once', async () => {
      const store = getStore();
      const ws = freshWorkspaceId();
      await store.improvements.create(newImprovement(ws, { status: 'done' }));
      const yes = { userId: 'U-r', answer: 'yes' as const, at: minutes(1) };
      const first = await store.improvements.addFeedback(
        ws,
        1,
        yes,
        entry('fix-feedback', minutes(1)),
      );
      const again = await store.improvements.addFeedback(
        ws,
        1,
        { ...yes, answer: 'no', at: minutes(2) },
        entry('fix-feedback', minutes(2)),
      );
      expect(first.added).toBe(true);
      expect(first.improvement!.feedback).toEqual([yes]);
      expect(first.improvement).not.toHaveProperty('feedbackIds');
      expect(again).toEqual({ added: false, improvement: first.improvement });
      expect(await store.improvements.addFeedback(ws, 5, yes, entry('x'))).toEqual({
        added: false,
        improvement: null,
      });
    });

    itAtomic('counts 30 concurrent answers of one person once', async () => {
      const store = getStore();
      const ws = freshWorkspaceId();
      await store.improvements.create(newImprovement(ws, { status: 'done' }));
      const results = await Promise.all(
        Array.from({ length: 30 }, () =>
          store.improvements.addFeedback(
            ws,
            1,
            { userId: 'U-r', answer: 'no', at: T0 },
            entry('x'),
          ),
        ),
      );
      expect(results.filter((r) => r.added)).toHaveLength(1);
      expect((await store.improvements.get(ws, 1))!.feedback).toHaveLength(1);
    });
  });

  describe('outbox', () => {
    const prefix = () => `test-${randomUUID()}`;
    // Messages other tests left due would be claimed by the next test: deliver them all.
    afterEach(async () => {
      const store = getStore();
      const far = new Date('2999-01-01T00:00:00Z');
      for (;;) {
        const left = await store.outbox.claimDue('cleaner', far, far, 100);
        if (left.length === 0) break;
        for (const m of left) await store.outbox.markSent(m.key, 'cleaner', { at: far });
      }
    });

    it('stores a message once per key', async () => {
      const store = getStore();
      const key = prefix();
      expect(await store.outbox.enqueue(newMessage(key))).toBe(true);
      expect(
        await store.outbox.enqueue(newMessage(key, { view: { text: 'other', blocks: [] } })),
      ).toBe(false);
      expect(await store.outbox.get(key)).toMatchObject({
        key,
        status: 'pending',
        attempts: 0,
        view: { text: `message ${key}` },
        target: { kind: 'dm', userId: 'U-1' },
      });
      expect(await store.outbox.get(`${key}-missing`)).toBeNull();
    });

    it('lets exactly one of 20 concurrent enqueues of one key in', async () => {
      const store = getStore();
      const key = prefix();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.outbox.enqueue(newMessage(key))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('claims what is due, oldest first, up to the limit, and not what is not due yet', async () => {
      const store = getStore();
      const p = prefix();
      await store.outbox.enqueue(newMessage(`${p}-b`, { nextAttemptAt: minutes(2) }));
      await store.outbox.enqueue(newMessage(`${p}-a`, { nextAttemptAt: minutes(1) }));
      await store.outbox.enqueue(newMessage(`${p}-later`, { nextAttemptAt: minutes(60) }));
      const claimed = await store.outbox.claimDue('w1', minutes(5), minutes(7), 10);
      expect(claimed.map((m) => m.key)).toEqual([`${p}-a`, `${p}-b`]);
      expect(claimed[0]).toMatchObject({
        status: 'sending',
        attempts: 1,
        lockedBy: 'w1',
        recovered: false,
      });
      expect(claimed[0]!.lockedUntil).toEqual(minutes(7));
      expect(await store.outbox.claimDue('w2', minutes(5), minutes(7), 10)).toEqual([]);
      for (const m of claimed) await store.outbox.markSent(m.key, 'w1', { at: minutes(6) });
      const limited = await store.outbox.claimDue('w2', minutes(61), minutes(62), 1);
      expect(limited.map((m) => m.key)).toEqual([`${p}-later`]);
    });

    it('hands a claim that ran out to another worker as recovered', async () => {
      const store = getStore();
      const key = prefix();
      await store.outbox.enqueue(newMessage(key));
      await store.outbox.claimDue('w1', minutes(1), minutes(3), 10);
      expect(await store.outbox.claimDue('w2', minutes(2), minutes(4), 10)).toEqual([]);
      const [recovered] = await store.outbox.claimDue('w2', minutes(3.5), minutes(6), 10);
      expect(recovered).toMatchObject({ key, lockedBy: 'w2', recovered: true, attempts: 2 });
      // The first worker lost its claim: it can neither record nor release.
      expect(await store.outbox.markSent(key, 'w1', { at: minutes(4) })).toBe(false);
      expect(await store.outbox.release(key, 'w1', { nextAttemptAt: minutes(9), error: 'x' })).toBe(
        false,
      );
      const ref = { channelId: 'D1', messageId: '1.2' };
      expect(await store.outbox.markSent(key, 'w2', { at: minutes(4), ref })).toBe(true);
      const sent = await store.outbox.get(key);
      expect(sent).toMatchObject({ status: 'sent', sentAt: minutes(4), ref });
      expect(sent!.lockedUntil).toBeUndefined();
      // Delivered: the fallback text stays, the blocks (the bulk) are not kept.
      expect(sent!.view).toEqual({ text: `message ${key}`, blocks: [] });
      expect(await store.outbox.claimDue('w3', minutes(60), minutes(61), 10)).toEqual([]);
    });

    it('releases a claim for a later attempt, or for good', async () => {
      const store = getStore();
      const p = prefix();
      await store.outbox.enqueue(newMessage(`${p}-1`));
      await store.outbox.enqueue(newMessage(`${p}-2`));
      await store.outbox.claimDue('w1', minutes(1), minutes(3), 10);
      expect(
        await store.outbox.release(`${p}-1`, 'w1', {
          nextAttemptAt: minutes(10),
          error: 'ratelimited',
        }),
      ).toBe(true);
      expect(
        await store.outbox.release(`${p}-2`, 'w1', {
          nextAttemptAt: minutes(10),
          error: 'user_not_found',
          failed: true,
        }),
      ).toBe(true);
      expect(await store.outbox.get(`${p}-1`)).toMatchObject({
        status: 'pending',
        lastError: 'ratelimited',
        attempts: 1,
      });
      expect(await store.outbox.get(`${p}-2`)).toMatchObject({
        status: 'failed',
        lastError: 'user_not_found',
      });
      expect(await store.outbox.claimDue('w1', minutes(9), minutes(11), 10)).toEqual([]);
      const again = await store.outbox.claimDue('w1', minutes(10), minutes(12), 10);
      expect(again.map((m) => [m.key, m.attempts])).toEqual([[`${p}-1`, 2]]);
    });

    // Not `itAtomic`: claims are decided by a unique insert, so this holds on FerretDB too.
    it('never gives one message to two of 5 workers claiming 40 at once', async () => {
      const store = getStore();
      const p = prefix();
      for (let i = 0; i < 40; i++) await store.outbox.enqueue(newMessage(`${p}-${i}`));
      const claims = await Promise.all(
        ['w1', 'w2', 'w3', 'w4', 'w5'].map(async (w) => {
          const mine: string[] = [];
          for (;;) {
            const batch = await store.outbox.claimDue(w, minutes(1), minutes(5), 3);
            if (batch.length === 0) return mine;
            mine.push(...batch.map((m) => m.key));
          }
        }),
      );
      const all = claims.flat();
      expect(all).toHaveLength(40);
      expect(new Set(all).size).toBe(40);
    });

    it("reopens a channel's given-up messages of the kinds asked, once, and nothing else", async () => {
      const store = getStore();
      const ws = `test:${randomUUID()}`;
      const p = prefix();
      const channel = (channelId: string) => ({ kind: 'channel' as const, channelId });
      const messages: [string, Partial<NewOutboxMessage>][] = [
        ['refused', { target: channel('C-1') }],
        ['other-kind', { target: channel('C-1'), kind: 'digest' }],
        ['other-channel', { target: channel('C-2') }],
        ['dm', { target: { kind: 'dm', userId: 'C-1' } }],
        ['other-workspace', { target: channel('C-1'), workspaceId: `${ws}-x` }],
      ];
      for (const [name, overrides] of messages)
        await store.outbox.enqueue(
          newMessage(`${p}-${name}`, { workspaceId: ws, kind: 'vote', ...overrides }),
        );
      await store.outbox.enqueue(
        newMessage(`${p}-pending`, {
          workspaceId: ws,
          kind: 'vote',
          target: channel('C-1'),
          nextAttemptAt: minutes(30),
        }),
      );
      const claimed = await store.outbox.claimDue('w1', minutes(1), minutes(3), 100);
      expect(claimed.map((m) => m.key).sort()).toEqual(
        messages.map(([name]) => `${p}-${name}`).sort(),
      );
      for (const m of claimed)
        await store.outbox.release(m.key, 'w1', {
          nextAttemptAt: minutes(2),
          error: 'not_in_channel',
          failed: true,
        });

      // Two replicas seeing the same invitation: the message is back in line once.
      const counts = await Promise.all([
        store.outbox.reopenChannel(ws, 'C-1', ['vote', 'triage'], minutes(10)),
        store.outbox.reopenChannel(ws, 'C-1', ['vote', 'triage'], minutes(10)),
      ]);
      expect(Math.max(...counts)).toBe(1);
      expect(await store.outbox.get(`${p}-refused`)).toMatchObject({
        status: 'pending',
        nextAttemptAt: minutes(10),
        attempts: 1,
      });
      for (const name of ['other-kind', 'other-channel', 'dm', 'other-workspace'])
        expect((await store.outbox.get(`${p}-${name}`))!.status, name).toBe('failed');
      expect((await store.outbox.get(`${p}-pending`))!.nextAttemptAt).toEqual(minutes(30));

      // Claimed by one worker and delivered; a later invitation changes nothing.
      const again = (
        await Promise.all([
          store.outbox.claimDue('w2', minutes(10), minutes(12), 100),
          store.outbox.claimDue('w3', minutes(10), minutes(12), 100),
        ])
      ).flat();
      expect(again.map((m) => m.key)).toEqual([`${p}-refused`]);
      const worker = again[0]!.lockedBy!;
      expect(await store.outbox.markSent(`${p}-refused`, worker, { at: minutes(11) })).toBe(true);
      expect(await store.outbox.reopenChannel(ws, 'C-1', ['vote'], minutes(20))).toBe(0);
      expect((await store.outbox.get(`${p}-refused`))!.status).toBe('sent');
    });

    it('lists and counts by status, workspace and kind, oldest first', async () => {
      const store = getStore();
      const ws = `test:${randomUUID()}`;
      const p = prefix();
      await store.outbox.enqueue(
        newMessage(`${p}-1`, { workspaceId: ws, kind: 'nudge', createdAt: minutes(2) }),
      );
      await store.outbox.enqueue(
        newMessage(`${p}-2`, { workspaceId: ws, kind: 'digest', createdAt: minutes(1) }),
      );
      expect((await store.outbox.list({ workspaceId: ws })).map((m) => m.key)).toEqual([
        `${p}-2`,
        `${p}-1`,
      ]);
      expect(await store.outbox.count({ workspaceId: ws, kind: 'nudge' })).toBe(1);
      expect(await store.outbox.count({ workspaceId: ws, status: ['sent'] })).toBe(0);
      expect(await store.outbox.list({ workspaceId: ws }, { limit: 1 })).toHaveLength(1);
    });
  });

  describe('leases', () => {
    it('is held by one holder until it runs out, renewable by that holder', async () => {
      const store = getStore();
      const name = `job:${randomUUID()}`;
      expect(await store.leases.acquire(name, 'a', minutes(0), minutes(5))).toBe(true);
      expect(await store.leases.acquire(name, 'b', minutes(1), minutes(6))).toBe(false);
      expect(await store.leases.acquire(name, 'a', minutes(4), minutes(9))).toBe(true);
      expect(await store.leases.get(name)).toEqual({ name, holder: 'a', lockedUntil: minutes(9) });
      expect(await store.leases.acquire(name, 'b', minutes(8), minutes(12))).toBe(false);
      expect(await store.leases.acquire(name, 'b', minutes(9), minutes(14))).toBe(true);
      expect(await store.leases.get(name)).toMatchObject({ holder: 'b' });
    });

    it('is released only by its holder', async () => {
      const store = getStore();
      const name = `job:${randomUUID()}`;
      await store.leases.acquire(name, 'a', minutes(0), minutes(5));
      expect(await store.leases.release(name, 'b')).toBe(false);
      expect(await store.leases.release(name, 'a')).toBe(true);
      expect(await store.leases.get(name)).toBeNull();
      expect(await store.leases.acquire(name, 'b', minutes(1), minutes(5))).toBe(true);
    });

    itAtomic('goes to exactly one of 10 concurrent holders', async () => {
      const store = getStore();
      const name = `job:${randomUUID()}`;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.leases.acquire(name, `h${i}`, minutes(0), minutes(5)),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
