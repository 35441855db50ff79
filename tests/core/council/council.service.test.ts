import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../src/core/shared/clock.port.js';
import { isPebbleError } from '../../../src/core/shared/errors.js';
import { createServices, type Services } from '../../../src/services.js';
import { openEmbeddedStore } from '../../../src/store/nedb/nedb.store.js';
import type { Store } from '../../../src/core/ports/store.port.js';
import { makeServices, TEST_BALLOT_SECRET } from '../../helpers/services.js';
import {
  admin,
  FakeGateway,
  member,
  members,
  outboxDelivery,
  reporter,
  setUpCouncil,
  supporter,
  triagedPebble,
  vera,
  viewText,
} from './fakes.js';

const HOUR = 60 * 60_000;
const stores: Store[] = [];
const dirs: string[] = [];

afterEach(async () => {
  while (stores.length) await stores.pop()!.close();
});
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Services with a council of four; Monday 5 January 2026, 09:00 UTC. */
async function council(patch: Parameters<Services['council']['configure']>[2] = {}) {
  const made = await makeServices('2026-01-05T09:00:00Z');
  stores.push(made.store);
  const gateway = new FakeGateway();
  made.services.council.connect('slack', { gateway });
  const workspace = await setUpCouncil(made.services, made.workspace, patch);
  // Vote messages are posted by the outbox, as in production: `deliver` is its scheduled run.
  const deliver = outboxDelivery(made.services, made.store, made.clock, gateway);
  return { ...made, workspace, gateway, deliver, council: made.services.council };
}

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (isPebbleError(error)) return error.code;
    throw error;
  }
}

describe('council settings', () => {
  it('lets only admins change them, and records every change in the history', async () => {
    const { services, workspace } = await makeServices();
    stores.push(services.store);
    expect(await code(services.council.configure(workspace, member(0), { channel: 'C1' }))).toBe(
      'WORKSPACE.NOT_ADMIN',
    );

    const { workspace: updated, changes } = await services.council.configure(workspace, admin, {
      members,
      channel: 'C_COUNCIL',
      quorum: 2,
      threshold: 66,
      balance: 2,
      secret: false,
      wipLimit: 3,
      votingDays: 5,
      sponsor: vera.userId,
    });
    expect(updated.settings.council).toMatchObject({
      channel: 'C_COUNCIL',
      quorum: 2,
      threshold: 66,
      balance: 2,
      secret: false,
      wipLimit: 3,
      votingDays: 5,
    });
    expect(updated.settings.council.members).toHaveLength(4);
    expect(updated.settings.sponsor).toBe(vera.userId);
    expect(changes).toContain('quorum: half → 2');
    const entry = updated.history.at(-1)!;
    expect(entry).toMatchObject({ actor: admin.userId, action: 'council-settings' });
    expect(entry.note).toContain('sponsor: none → U_VERA');

    const cleared = await services.council.configure(updated, admin, {
      quorum: null,
      balance: null,
      removeMembers: ['U_M4'],
      functions: { U_M1: 'Design' },
    });
    expect(cleared.workspace.settings.council.quorum).toBeUndefined();
    expect(cleared.workspace.settings.council.balance).toBeUndefined();
    expect(cleared.workspace.settings.council.members.map((m) => m.userId)).toEqual([
      'U_M1',
      'U_M2',
      'U_M3',
    ]);
    expect(cleared.workspace.settings.council.members[0]?.function).toBe('Design');
    expect(cleared.changes).toContain('members: −U_M4');
  });

  it('refuses invalid settings and writes nothing', async () => {
    const { services, workspace } = await makeServices();
    stores.push(services.store);
    expect(await code(services.council.configure(workspace, admin, { threshold: 40 }))).toBe(
      'COUNCIL.INVALID_SETTING',
    );
    expect(
      await code(services.council.configure(workspace, admin, { functions: { U_X: 'Sales' } })),
    ).toBe('COUNCIL.INVALID_SETTING');
    const stored = await services.store.workspaces.get(workspace.id);
    expect(stored?.history).toHaveLength(0);
  });

  it('keeps the members in sync with a user group, keeping their functions', async () => {
    const {
      services,
      workspace,
      council: service,
    } = await council({
      userGroup: { id: 'S_COUNCIL', handle: 'cx-council' },
    });
    const synced = await service.syncGroup(workspace, 'S_COUNCIL', [
      { userId: 'U_M1' },
      { userId: 'U_NEW', name: 'Nina' },
    ]);
    expect(synced?.settings.council.members).toEqual([
      { userId: 'U_M1', name: 'Mia', function: 'Product' },
      { userId: 'U_NEW', name: 'Nina' },
    ]);
    expect(await service.syncGroup(workspace, 'S_OTHER', [])).toBeUndefined();
    expect((await services.store.workspaces.get(workspace.id))?.history.at(-1)?.action).toBe(
      'council-sync',
    );
  });
});

describe('proposals', () => {
  it('sends triaged pebbles to the council, posts the vote and tells reporters and supporters', async () => {
    const { services, workspace, gateway, deliver, council: service } = await council();
    const a = await triagedPebble(services, workspace);
    const b = await triagedPebble(services, workspace, 'Refund form loses the order number');
    const { vote: proposed, posted } = await service.propose(workspace, member(0), [
      a.number,
      b.number,
    ]);
    await deliver();
    const vote = await service.getVote(workspace, proposed.number);

    expect(posted).toBe(true);
    expect(vote).toMatchObject({
      number: 1,
      status: 'open',
      pebbleNumbers: [a.number, b.number],
      channelId: 'C_COUNCIL',
      message: { channelId: 'C_COUNCIL' },
    });
    expect(vote.deadline.toISOString()).toBe('2026-01-08T09:00:00.000Z');
    expect(vote.remindAt?.toISOString()).toBe('2026-01-07T09:00:00.000Z');
    expect(vote.electorate).toHaveLength(4);
    expect(vote.sealSalt).toBeTruthy();
    for (const n of [a.number, b.number])
      expect((await services.pebbles.get(workspace, n)).status).toBe('in-council');

    expect(gateway.posts('C_COUNCIL')).toHaveLength(1);
    expect(vote.message).toEqual(gateway.posts('C_COUNCIL')[0]!.ref);
    const text = viewText(gateway.posts('C_COUNCIL')[0]!.view);
    expect(text).toContain('Checkout asks for the address twice');
    expect(text).toContain('0 of 4 members voted');
    const told = await services.store.outbox.list({ kind: 'council.proposed' });
    expect(told.map((m) => m.target)).toEqual(
      expect.arrayContaining([
        { kind: 'dm', userId: reporter.userId },
        { kind: 'dm', userId: supporter.userId },
      ]),
    );
    expect(told).toHaveLength(4);
  });

  it('proposes a new pebble whose severity and stage triage has set, recording both steps', async () => {
    const { services, workspace, council: service } = await council();
    const { pebble } = await services.pebbles.report(
      workspace,
      reporter,
      {
        text: 'Hold music loops every 20 seconds',
        severity: 2,
        journey: 'customer',
        stage: 'get-help',
      },
      { kind: 'console' },
    );
    await service.propose(workspace, admin, [pebble.number]);
    const after = await services.pebbles.get(workspace, pebble.number);
    expect(after.status).toBe('in-council');
    expect(after.history.map((h) => h.to).filter(Boolean)).toEqual([
      'new',
      'triaged',
      'in-council',
    ]);
  });

  it('refuses what is not triaged, all or nothing, and people outside the council', async () => {
    const { services, workspace, council: service } = await council();
    const ok = await triagedPebble(services, workspace);
    const { pebble: raw } = await services.pebbles.report(
      workspace,
      reporter,
      { text: 'Not triaged yet' },
      { kind: 'console' },
    );
    expect(await code(service.propose(workspace, admin, [ok.number, raw.number]))).toBe(
      'COUNCIL.NOT_PROPOSABLE',
    );
    expect((await services.pebbles.get(workspace, ok.number)).status).toBe('triaged');
    expect(await code(service.propose(workspace, reporter, [ok.number]))).toBe(
      'COUNCIL.NOT_ALLOWED',
    );
    await service.propose(workspace, admin, [ok.number]);
    expect(await code(service.propose(workspace, admin, [ok.number]))).toBe(
      'COUNCIL.NOT_PROPOSABLE',
    );
  });

  it('needs a council channel and members first', async () => {
    const { services, workspace } = await makeServices();
    stores.push(services.store);
    const pebble = await triagedPebble(services, workspace);
    expect(await code(services.council.propose(workspace, admin, [pebble.number]))).toBe(
      'COUNCIL.NOT_CONFIGURED',
    );
  });
});

describe('ballots', () => {
  it('refuses non-members and changes nothing', async () => {
    const { services, workspace, council: service } = await council();
    const { vote } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    expect(await code(service.cast(workspace, reporter, vote.number, 'fix-now'))).toBe(
      'COUNCIL.NOT_A_MEMBER',
    );
    expect(await services.store.ballots.list(vote.id)).toEqual([]);
  });

  it('keeps one ballot per member, changeable until close; 50 clicks leave one ballot', async () => {
    const { services, workspace, council: service } = await council();
    const { vote } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    const first = await service.cast(workspace, member(0), vote.number, 'not-now');
    expect(first.created).toBe(true);
    const changed = await service.cast(workspace, member(0), vote.number, 'fix-now');
    expect(changed.created).toBe(false);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        service.cast(workspace, member(1), vote.number, i % 2 ? 'need-info' : 'next-cycle'),
      ),
    );
    const counts = await services.store.ballots.counts(vote.id);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(2);
    expect(counts['fix-now']).toBe(1);
    expect(counts['not-now']).toBe(0);
  });

  it('stores secret ballots without the member, and forgets the salt at close', async () => {
    const { services, workspace, clock, council: service } = await council();
    const { vote } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    await service.cast(workspace, member(0), vote.number, 'fix-now');
    await service.cast(workspace, member(1), vote.number, 'not-now');
    const stored = JSON.stringify(await services.store.ballots.list(vote.id));
    for (const m of members) {
      expect(stored).not.toContain(m.userId);
      expect(stored).not.toContain(m.name);
    }
    clock.set('2026-01-08T09:00:01Z');
    await service.sweep();
    const closed = await service.getVote(workspace, vote.number);
    expect(closed.sealSalt).toBeUndefined();
    expect(closed.result?.names).toBeUndefined();
    expect(JSON.stringify(closed)).not.toMatch(/U_M1[^"]*"[^}]*fix-now/);
    expect(await code(service.cast(workspace, member(2), vote.number, 'fix-now'))).toBe(
      'COUNCIL.VOTE_CLOSED',
    );
  });

  it('shows names per option after the close of an open ballot', async () => {
    const {
      services,
      workspace,
      clock,
      gateway,
      deliver,
      council: service,
    } = await council({ secret: false });
    const { vote } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    await deliver();
    await service.cast(workspace, member(0), vote.number, 'fix-now');
    await service.cast(workspace, member(1), vote.number, 'fix-now');
    await service.cast(workspace, member(2), vote.number, 'need-info');
    clock.set('2026-01-08T10:00:00Z');
    await service.sweep();
    await service.refresher.flush();
    const closed = await service.getVote(workspace, vote.number);
    expect(closed.result?.names?.['fix-now']?.map((n) => n.name)).toEqual(['Mia', 'Noah']);
    expect(gateway.lastText()).toContain('Fix now: *2* (Mia, Noah)');
  });
});

describe('closing', () => {
  it('closes early when every member has voted, plans the improvement and asks who owns it', async () => {
    const { services, workspace, gateway, deliver, council: service } = await council();
    const pebble = await triagedPebble(services, workspace);
    const { vote } = await service.propose(workspace, admin, [pebble.number]);
    await deliver();
    await service.cast(workspace, member(0), vote.number, 'fix-now');
    await service.cast(workspace, member(1), vote.number, 'fix-now');
    await service.cast(workspace, member(2), vote.number, 'next-cycle');
    await service.refresher.flush();
    expect((await service.getVote(workspace, vote.number)).status).toBe('open');
    expect(gateway.lastText()).toContain('3 of 4 members voted');
    expect(gateway.lastText()).not.toContain('Fix now: *');

    await service.cast(workspace, member(3), vote.number, 'recuse');
    await service.refresher.flush(); // all voted: closes
    await service.refresher.flush(); // the result, in its own slot
    const closed = await service.getVote(workspace, vote.number);
    expect(closed).toMatchObject({
      status: 'decided',
      closedBy: 'all-voted',
      decision: { option: 'fix-now', by: 'council' },
      applied: true,
      improvementNumber: 1,
    });
    expect(closed.result).toMatchObject({
      cast: 3,
      recused: 1,
      quorumRequired: 2,
      quorumMet: true,
    });
    const improvement = await services.store.improvements.get(workspace.id, 1);
    expect(improvement).toMatchObject({
      status: 'planned',
      voteNumber: vote.number,
      pebbleNumbers: [pebble.number],
    });
    expect(improvement?.ownerId).toBeUndefined();
    expect((await services.pebbles.get(workspace, pebble.number)).status).toBe('approved');
    expect(await services.store.outbox.list({ kind: 'council.owner-wanted' })).toHaveLength(1);
    const decisions = await services.store.outbox.list({ kind: 'council.decision' });
    expect(decisions.map((d) => d.target)).toEqual(
      expect.arrayContaining([
        { kind: 'dm', userId: reporter.userId },
        { kind: 'dm', userId: supporter.userId },
      ]),
    );
    expect(gateway.lastText()).toContain('Decided: Fix now');
  });

  it('closes at the deadline from the store, after a restart', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pebblebot-council-'));
    dirs.push(dir);
    const clock = new FakeClock('2026-01-05T09:00:00Z');
    let store = await openEmbeddedStore({ dataDir: dir });
    let services = createServices(store, clock, { ballotSecret: TEST_BALLOT_SECRET });
    let workspace = await services.workspaces.ensure('slack', 'T1');
    workspace = await setUpCouncil(services, workspace);
    const pebble = await triagedPebble(services, workspace);
    const { vote } = await services.council.propose(workspace, admin, [pebble.number]);
    await services.council.cast(workspace, member(0), vote.number, 'not-now');
    await services.council.cast(workspace, member(1), vote.number, 'not-now');
    await services.council.stop();
    await store.close();

    // A new process, after the deadline: nothing lived in timers.
    clock.set('2026-01-08T09:05:00Z');
    store = await openEmbeddedStore({ dataDir: dir });
    stores.push(store);
    services = createServices(store, clock, { ballotSecret: TEST_BALLOT_SECRET });
    const result = await services.council.sweep();
    expect(result.closed).toBe(1);
    const closed = await services.council.getVote(workspace, vote.number);
    expect(closed).toMatchObject({
      status: 'decided',
      closedBy: 'deadline',
      decision: { option: 'not-now' },
    });
    const declined = await services.pebbles.get(workspace, pebble.number);
    expect(declined.status).toBe('declined');
    expect(declined.declineReason).toContain('Not now');
    // The files no longer hold the salt of the closed secret vote.
    expect(await readFile(path.join(dir, 'votes.db'), 'utf8')).not.toContain(vote.sealSalt!);
    await services.council.stop();
  });

  it('reminds only the members who have not voted, once, 24 hours before the deadline', async () => {
    const { services, workspace, clock, council: service } = await council();
    const { vote } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    await service.cast(workspace, member(0), vote.number, 'fix-now');
    await service.cast(workspace, member(1), vote.number, 'recuse');
    clock.set('2026-01-07T08:59:00Z');
    expect((await service.sweep()).reminders).toBe(0);
    clock.set('2026-01-07T09:00:00Z');
    expect((await service.sweep()).reminders).toBe(2);
    clock.advance(HOUR);
    expect((await service.sweep()).reminders).toBe(0);
    const reminders = await services.store.outbox.list({ kind: 'council.reminder' });
    expect(
      reminders
        .map((r) => r.target)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      { kind: 'dm', userId: 'U_M3' },
      { kind: 'dm', userId: 'U_M4' },
    ]);
    expect(reminders[0]!.key).toBe(
      `council-reminder:${workspace.id}:V-1:${reminders[0]!.target.kind === 'dm' ? reminders[0]!.target.userId : ''}`,
    );
  });

  it('sends no reminder once the vote has closed', async () => {
    const { services, workspace, clock, council: service } = await council();
    const { vote } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    for (let i = 0; i < 4; i++) await service.cast(workspace, member(i), vote.number, 'fix-now');
    await service.refresher.flush();
    clock.set('2026-01-07T10:00:00Z');
    await service.sweep();
    expect(await services.store.outbox.list({ kind: 'council.reminder' })).toHaveLength(0);
  });

  it.each([
    ['no quorum', [['fix-now']], 'no-quorum'],
    ['a tie', [['fix-now'], ['fix-now'], ['not-now'], ['not-now']], 'tie'],
  ] as const)(
    'escalates %s to the sponsor, who decides in a DM',
    async (_name, ballots, outcome) => {
      const { services, workspace, clock, gateway, deliver, council: service } = await council();
      const pebble = await triagedPebble(services, workspace);
      const { vote } = await service.propose(workspace, admin, [pebble.number]);
      await deliver();
      for (const [i, [choice]] of ballots.entries())
        await service.cast(workspace, member(i), vote.number, choice);
      clock.set('2026-01-08T09:00:00Z');
      await service.sweep();
      await service.refresher.flush();
      const escalated = await service.getVote(workspace, vote.number);
      expect(escalated.status).toBe('escalated');
      expect(escalated.result?.outcome).toBe(outcome);
      expect((await services.pebbles.get(workspace, pebble.number)).status).toBe('in-council');
      const [dm] = await services.store.outbox.list({ kind: 'council.escalation' });
      expect(dm?.target).toEqual({ kind: 'dm', userId: vera.userId });
      expect(viewText(dm!.view)).toContain('Your decision');
      expect(gateway.lastText()).toContain('Escalated to the sponsor');

      expect(await code(service.sponsorDecide(workspace, admin, vote.number, 'fix-now'))).toBe(
        'COUNCIL.NOT_ALLOWED',
      );
      const decided = await service.sponsorDecide(workspace, vera, vote.number, 'need-info');
      expect(decided).toMatchObject({
        status: 'decided',
        decision: { option: 'need-info', by: 'sponsor' },
        applied: true,
      });
      expect((await services.pebbles.get(workspace, pebble.number)).status).toBe('triaged');
      const [ask] = await services.store.outbox.list({ kind: 'council.need-info' });
      expect(ask?.target).toEqual({ kind: 'dm', userId: reporter.userId });
      expect(await code(service.sponsorDecide(workspace, vera, vote.number, 'fix-now'))).toBe(
        'COUNCIL.VOTE_CLOSED',
      );
    },
  );

  it('escalates an unmet balance rule', async () => {
    const {
      services,
      workspace,
      clock,
      council: service,
    } = await council({
      balance: 3,
      members: members.map((m, i) => (i < 3 ? { ...m, function: 'Product' } : m)),
    });
    const { vote } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    for (let i = 0; i < 3; i++) await service.cast(workspace, member(i), vote.number, 'fix-now');
    clock.set('2026-01-08T09:00:00Z');
    await service.sweep();
    const closed = await service.getVote(workspace, vote.number);
    expect(closed.result).toMatchObject({
      outcome: 'no-balance',
      functionsVoted: 1,
      balanceRequired: 3,
    });
  });

  it('asks what to displace above the WIP limit; a queued improvement is planned once a slot frees up', async () => {
    const { services, workspace, clock, council: service } = await council({ wipLimit: 1 });
    const busy = await triagedPebble(services, workspace, 'Already being fixed');
    await services.improvements.createPlanned(
      workspace,
      { title: 'Already being fixed', pebbleNumbers: [busy.number] },
      admin,
    );
    const pebble = await triagedPebble(services, workspace);
    const { vote } = await service.propose(workspace, admin, [pebble.number]);
    for (let i = 0; i < 4; i++) await service.cast(workspace, member(i), vote.number, 'fix-now');
    await service.refresher.flush();
    let current = await service.getVote(workspace, vote.number);
    expect(current).toMatchObject({
      status: 'decided',
      applied: false,
      wip: { status: 'asked', active: 1, limit: 1 },
    });
    expect(current.improvementNumber).toBeUndefined();
    const [question] = await services.store.outbox.list({ kind: 'council.wip' });
    expect(viewText(question!.view)).toContain('Already being fixed');

    expect(
      await code(service.resolveWip(workspace, reporter, vote.number, { kind: 'queue' })),
    ).toBe('COUNCIL.NOT_A_MEMBER');
    await service.resolveWip(workspace, member(1), vote.number, { kind: 'queue' });
    clock.advance(HOUR);
    expect((await service.sweep()).dequeued).toBe(0);
    await services.improvements.drop(workspace, admin, 1, 'done another way');
    expect((await service.sweep()).dequeued).toBe(1);
    current = await service.getVote(workspace, vote.number);
    expect(current).toMatchObject({
      applied: true,
      improvementNumber: 2,
      wip: { status: 'dequeued' },
    });
    expect((await services.pebbles.get(workspace, pebble.number)).status).toBe('approved');
  });

  it('displaces the improvement the council picks', async () => {
    const { services, workspace, council: service } = await council({ wipLimit: 1 });
    const busy = await triagedPebble(services, workspace, 'Already being fixed');
    await services.improvements.createPlanned(
      workspace,
      { title: 'Already being fixed', pebbleNumbers: [busy.number] },
      admin,
    );
    const { vote } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    for (let i = 0; i < 4; i++) await service.cast(workspace, member(i), vote.number, 'fix-now');
    await service.refresher.flush();
    const done = await service.resolveWip(workspace, member(2), vote.number, {
      kind: 'displace',
      improvement: 1,
    });
    expect(done).toMatchObject({
      applied: true,
      improvementNumber: 2,
      wip: { status: 'displaced', displaced: 1 },
    });
    expect((await services.store.improvements.get(workspace.id, 1))?.status).toBe('dropped');
    expect(
      await code(service.resolveWip(workspace, member(2), vote.number, { kind: 'queue' })),
    ).toBe('COUNCIL.CONFLICT');
  });

  it('proposes "next cycle" pebbles again at the start of the next cycle', async () => {
    const { services, workspace, clock, council: service } = await council({ cycle: 'week' });
    const pebble = await triagedPebble(services, workspace);
    const { vote } = await service.propose(workspace, admin, [pebble.number]);
    for (let i = 0; i < 4; i++) await service.cast(workspace, member(i), vote.number, 'next-cycle');
    await service.refresher.flush();
    const decided = await service.getVote(workspace, vote.number);
    expect(decided.reproposeAt?.toISOString()).toBe('2026-01-12T09:00:00.000Z');
    expect((await services.pebbles.get(workspace, pebble.number)).status).toBe('triaged');

    clock.set('2026-01-12T08:59:00Z');
    expect((await service.sweep()).reproposed).toBe(0);
    clock.set('2026-01-12T09:00:00Z');
    expect((await service.sweep()).reproposed).toBe(1);
    expect((await service.sweep()).reproposed).toBe(0);
    const again = await service.getVote(workspace, 2);
    expect(again).toMatchObject({
      status: 'open',
      reproposedFrom: 1,
      pebbleNumbers: [pebble.number],
    });
    expect((await service.getVote(workspace, 1)).reproposedAs).toBe(2);
    expect((await services.pebbles.get(workspace, pebble.number)).status).toBe('in-council');
  });
});

describe('the reason for "Not now"', () => {
  it("records the council's reason on the vote and the pebbles, and tells the people concerned", async () => {
    const { services, workspace, gateway, deliver, council: service } = await council();
    const pebble = await triagedPebble(services, workspace);
    const { vote } = await service.propose(workspace, admin, [pebble.number]);
    await deliver();
    for (let i = 0; i < 4; i++) await service.cast(workspace, member(i), vote.number, 'not-now');
    await service.refresher.flush();
    await service.refresher.flush();
    expect(gateway.lastText()).toContain('Decided: Not now');
    expect(JSON.stringify(gateway.updates.at(-1)!.view)).toContain('council.reason');

    expect(await code(service.explain(workspace, reporter, vote.number, 'Too small'))).toBe(
      'COUNCIL.NOT_A_MEMBER',
    );
    expect(await code(service.explain(workspace, member(0), vote.number, '  '))).toBe(
      'PEBBLE.INVALID_INPUT',
    );
    const explained = await service.explain(
      workspace,
      member(2),
      vote.number,
      'A checkout rebuild next quarter replaces this form.',
    );
    expect(explained.decision?.reason).toBe('A checkout rebuild next quarter replaces this form.');
    const declined = await services.pebbles.get(workspace, pebble.number);
    expect(declined.declineReason).toBe('A checkout rebuild next quarter replaces this form.');
    const notices = await services.store.outbox.list({ kind: 'council.decision' });
    expect(notices).toHaveLength(4); // the decision, then the reason, to the reporter and the supporter
    expect(notices.some((n) => viewText(n.view).includes('checkout rebuild'))).toBe(true);
  });
});

describe('vote message refreshes', () => {
  it('updates a message at most once per slot, however many ballots arrive', async () => {
    const { services, workspace, gateway, deliver, council: service } = await council();
    const { vote } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    await deliver();
    for (let i = 0; i < 3; i++) await service.cast(workspace, member(i), vote.number, 'fix-now');
    await service.refresher.flush();
    expect(gateway.updates).toHaveLength(1);
    expect(gateway.lastText()).toContain('3 of 4 members voted');
  });
});

describe('vote messages through the outbox', () => {
  const SECOND = 1_000;

  /** Scheduler ticks every 10 s for `ms`: outbox delivery each tick, the council sweep each minute. */
  async function run(
    made: Awaited<ReturnType<typeof council>>,
    ms: number,
    until: () => boolean = () => false,
  ) {
    const { clock, deliver, council: service } = made;
    const posted: number[] = [];
    for (let t = 0; t < ms && !until(); t += 10 * SECOND) {
      clock.advance(10 * SECOND);
      await deliver();
      if ((t / SECOND) % 60 === 50) posted.push((await service.sweep()).posted);
    }
    return posted;
  }

  it('posts a vote proposed while Slack is down once, soon after it recovers, with the ballots cast meanwhile', async () => {
    const made = await council();
    const { services, workspace, clock, gateway, deliver, council: service } = made;
    gateway.outage = 'down';
    const { vote, posted } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    expect(posted).toBe(true); // queued: the outbox posts it
    await deliver();
    await service.cast(workspace, member(0), vote.number, 'fix-now');
    await service.cast(workspace, member(1), vote.number, 'not-now');
    // Ten minutes of outage: the outbox keeps retrying, the sweep queues nothing new and never
    // posts by itself, and refreshes leave the unposted vote alone.
    const sweeps = await run(made, 10 * 60 * SECOND);
    await service.refresher.flush();
    expect(sweeps.length).toBeGreaterThanOrEqual(9);
    expect(sweeps.every((n) => n === 0)).toBe(true);
    expect(gateway.posts('C_COUNCIL')).toEqual([]);
    expect(gateway.updates).toEqual([]);
    const queued = await services.store.outbox.list({ kind: 'council.vote' });
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ status: 'pending', key: `council-vote:${workspace.id}:V-1` });
    expect(queued[0]!.attempts).toBeGreaterThan(10);
    expect((await service.getVote(workspace, vote.number)).message).toBeUndefined();

    gateway.outage = undefined;
    const recovered = clock.now().getTime();
    await run(made, 5 * 60 * SECOND, () => gateway.posts('C_COUNCIL').length > 0);
    // The back-off is capped at a minute (plus 20 % jitter); deliveries run every 10 s.
    expect(clock.now().getTime() - recovered).toBeLessThanOrEqual(82 * SECOND);
    await run(made, 5 * 60 * SECOND);

    const posts = gateway.posts('C_COUNCIL');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.key).toBe(`council-vote:${workspace.id}:V-1`);
    expect(viewText(posts[0]!.view)).toContain('0 of 4 members voted'); // as it was queued
    const stored = await service.getVote(workspace, vote.number);
    expect(stored.message).toEqual(posts[0]!.ref);
    expect(stored.history.filter((h) => h.action === 'posted')).toHaveLength(1);
    expect((await services.store.outbox.list({ kind: 'council.vote' }))[0]!.status).toBe('sent');
    // The one refresh its delivery asked for shows the ballots cast while it waited.
    await service.refresher.flush();
    expect(gateway.updates).toHaveLength(1);
    expect(gateway.updates[0]!.ref).toEqual(posts[0]!.ref);
    expect(gateway.lastText()).toContain('2 of 4 members voted');
  });

  it('does not post twice when Slack took the vote but its answer was lost', async () => {
    const made = await council();
    const { services, workspace, gateway, deliver, council: service } = made;
    gateway.outage = 'lost-answer';
    const { vote } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    expect(await deliver()).toMatchObject({ sent: 0, retried: expect.any(Number) });
    expect(gateway.posts('C_COUNCIL')).toHaveLength(1); // in the channel, unbeknown to us
    expect((await service.getVote(workspace, vote.number)).message).toBeUndefined();
    await service.cast(workspace, member(2), vote.number, 'fix-now');

    gateway.outage = undefined;
    await run(made, 5 * 60 * SECOND);

    const posts = gateway.posts('C_COUNCIL');
    expect(posts).toHaveLength(1);
    const [queued] = await services.store.outbox.list({ kind: 'council.vote' });
    expect(queued).toMatchObject({ status: 'sent', ref: posts[0]!.ref });
    expect((await service.getVote(workspace, vote.number)).message).toEqual(posts[0]!.ref);
    await service.refresher.flush();
    expect(gateway.updates.at(-1)?.ref).toEqual(posts[0]!.ref);
    expect(gateway.lastText()).toContain('1 of 4 members voted');
  });

  it('queues a vote message again from the sweep when the proposal could not queue it', async () => {
    const made = await council();
    const { services, workspace, gateway, deliver, council: service } = made;
    const enqueue = vi
      .spyOn(services.outbox, 'enqueue')
      .mockRejectedValueOnce(new Error('store unavailable'));
    const { vote, posted } = await service.propose(workspace, admin, [
      (await triagedPebble(services, workspace)).number,
    ]);
    enqueue.mockRestore();
    expect(posted).toBe(false);
    expect(await services.store.outbox.list({ kind: 'council.vote' })).toEqual([]);

    expect((await service.sweep()).posted).toBe(1);
    expect(gateway.posts('C_COUNCIL')).toEqual([]); // the sweep queues; only the outbox posts
    expect((await service.sweep()).posted).toBe(0);
    await deliver();
    expect(gateway.posts('C_COUNCIL')).toHaveLength(1);
    expect((await service.getVote(workspace, vote.number)).message).toEqual(
      gateway.posts('C_COUNCIL')[0]!.ref,
    );
  });
});
