import { describe, expect, it, vi } from 'vitest';
import {
  DECLINED_NOTICE_KIND,
  DUPLICATE_NOTICE_KIND,
} from '../../../src/core/pebbles/pebble.notices.js';
import { stakeholdersOf } from '../../../src/core/pebbles/pebble.service.js';
import { isPebbleError } from '../../../src/core/shared/errors.js';
import { alice, bob, carol, makeServices } from '../../helpers/services.js';

const admin = { userId: 'U_ADMIN', name: 'Ada', platformAdmin: true };

async function withPebbles() {
  const ctx = await makeServices();
  const { services, workspace } = ctx;
  const one = await services.pebbles.report(
    workspace,
    alice,
    { text: 'Checkout times out' },
    { kind: 'slash', channelId: 'C1', messageTs: '1.1' },
  );
  const two = await services.pebbles.report(
    workspace,
    carol,
    { text: 'Mobile checkout hangs', anonymous: true },
    { kind: 'reaction', channelId: 'C1', messageTs: '2.2' },
  );
  await services.pebbles.support(workspace, bob, 2);
  return { ...ctx, one: one.pebble, two: two.pebble };
}

describe('PebbleService triage decisions', () => {
  it('lets only admins decline, requires a reason, and names who to tell', async () => {
    const { services, workspace } = await withPebbles();
    const refused = await services.pebbles
      .decline(workspace, bob, 2, 'nope')
      .catch((e: unknown) => e);
    expect(isPebbleError(refused, 'WORKSPACE.NOT_ADMIN')).toBe(true);
    const empty = await services.pebbles
      .decline(workspace, admin, 2, '  ')
      .catch((e: unknown) => e);
    expect(isPebbleError(empty, 'PEBBLE.INVALID_INPUT')).toBe(true);
    const { pebble, notify } = await services.pebbles.decline(
      workspace,
      admin,
      2,
      'Known vendor issue',
    );
    expect(pebble).toMatchObject({ status: 'declined', declineReason: 'Known vendor issue' });
    expect(notify.sort()).toEqual([bob.userId, carol.userId].sort());
  });

  it('counts workspace settings admins as admins too', async () => {
    const { services, workspace } = await withPebbles();
    const updated = await services.workspaces.updateSettings(workspace, admin, {
      admins: [bob.userId],
    });
    await expect(
      services.pebbles.decline(updated, bob, 1, 'Duplicate of an old ticket'),
    ).resolves.toBeDefined();
  });

  it('marks a duplicate and moves the reporter’s and supporters’ +1 to the original', async () => {
    const { services, workspace } = await withPebbles();
    const result = await services.pebbles.markDuplicate(workspace, admin, 2, 1);
    expect(result.pebble).toMatchObject({ status: 'duplicate', duplicateOf: 1 });
    expect(result.original.supporters.map((s) => s.userId).sort()).toEqual(
      [bob.userId, carol.userId].sort(),
    );
    expect(result.moved).toBe(2);
    expect(result.notify.sort()).toEqual([bob.userId, carol.userId].sort());
    // A duplicate of the duplicate points at the first original.
    const three = await services.pebbles.report(
      workspace,
      bob,
      { text: 'Checkout spins' },
      { kind: 'slash' },
    );
    const again = await services.pebbles.markDuplicate(workspace, admin, three.pebble.number, 2);
    expect(again.pebble.duplicateOf).toBe(1);
    const refused = await services.pebbles
      .markDuplicate(workspace, bob, 1, 2)
      .catch((e: unknown) => e);
    expect(isPebbleError(refused, 'WORKSPACE.NOT_ADMIN')).toBe(true);
  });

  it('does not move support onto an original that is closed', async () => {
    const { services, workspace } = await withPebbles();
    await services.pebbles.decline(workspace, admin, 1, 'Fixed by the vendor');
    const result = await services.pebbles.markDuplicate(workspace, admin, 2, 1);
    expect(result.moved).toBe(0);
    expect(result.original.supporterCount).toBe(0);
  });

  it('finds a pebble by the message it was reported from', async () => {
    const { services, workspace } = await withPebbles();
    expect((await services.pebbles.findBySourceMessage(workspace, 'C1', '2.2'))?.number).toBe(2);
    expect(await services.pebbles.findBySourceMessage(workspace, 'C1', '9.9')).toBeNull();
    expect(await services.pebbles.findBySourceMessage(workspace, 'C2', '1.1')).toBeNull();
  });

  it('remembers the triage card', async () => {
    const { services, workspace } = await withPebbles();
    const updated = await services.pebbles.setTriageCard(workspace, 1, {
      channelId: 'C9',
      ts: '5.5',
    });
    expect(updated?.triageCard).toEqual({ channelId: 'C9', ts: '5.5' });
    expect((await services.pebbles.get(workspace, 1)).triageCard).toEqual({
      channelId: 'C9',
      ts: '5.5',
    });
  });

  it('lists the pebbles a user supported, and open pebbles per stage', async () => {
    const { services, workspace } = await withPebbles();
    await services.pebbles.updateDetails(workspace, admin, 1, {
      journey: 'customer',
      stage: 'buy',
    });
    expect((await services.pebbles.supported(workspace, bob)).items.map((p) => p.number)).toEqual([
      2,
    ]);
    const stages = await services.pebbles.openByStage(workspace);
    expect(stages.find((s) => s.stage?.key === 'buy')).toMatchObject({ total: 1 });
    expect(stages.at(-1)!.stage).toBeUndefined();
    expect(stages.at(-1)!.total).toBe(1);
  });
});

describe('PebbleService.reviseReport and anonymity', () => {
  it('lets only the reporter revise, sets and clears fields, and shortens oversized text', async () => {
    const { services, workspace } = await withPebbles();
    await services.pebbles.updateDetails(workspace, admin, 1, { segment: 'SMB', severity: 2 });
    const refused = await services.pebbles
      .reviseReport(workspace, bob, 1, { title: 'Mine now' })
      .catch((e: unknown) => e);
    expect(isPebbleError(refused, 'PEBBLE.INVALID_INPUT')).toBe(true);
    const { pebble, truncated } = await services.pebbles.reviseReport(workspace, alice, 1, {
      title: 'x'.repeat(400),
      severity: 4,
      anonymous: true,
    });
    expect(truncated).toBe(true);
    expect(pebble.title.length).toBeLessThanOrEqual(150);
    expect(pebble).toMatchObject({ severity: 4, anonymous: true });
    expect(pebble.segment).toBeUndefined();
  });

  it('refuses an anonymity change through updateDetails from anyone but the reporter', async () => {
    const { services, workspace } = await withPebbles();
    const refused = await services.pebbles
      .updateDetails(workspace, admin, 2, { anonymous: false })
      .catch((e: unknown) => e);
    expect(isPebbleError(refused, 'PEBBLE.INVALID_INPUT')).toBe(true);
  });

  it('lets only triagers set severity and journey stage, and records nothing otherwise', async () => {
    const { services, workspace } = await withPebbles();
    const before = await services.pebbles.get(workspace, 1);
    for (const user of [alice, bob]) {
      const refused = await services.pebbles
        .updateDetails(workspace, user, 1, { severity: 4, journey: 'customer', stage: 'buy' })
        .catch((e: unknown) => e);
      expect(isPebbleError(refused, 'WORKSPACE.NOT_ADMIN')).toBe(true);
    }
    expect(await services.pebbles.get(workspace, 1)).toEqual(before);
    // An admin listed in the settings, and one the platform names when asked.
    await services.workspaces.updateSettings(workspace, admin, { admins: [carol.userId] });
    const fresh = await services.workspaces.get(workspace.id);
    await services.pebbles.updateDetails(fresh, carol, 1, { severity: 3 });
    const asked: string[] = [];
    const platformAdmin = {
      userId: 'U_OWNER',
      resolvePlatformAdmin: () => {
        asked.push('U_OWNER');
        return Promise.resolve(true);
      },
    };
    const updated = await services.pebbles.updateDetails(fresh, platformAdmin, 1, { severity: 4 });
    expect(updated.severity).toBe(4);
    expect(asked).toEqual(['U_OWNER']);
    expect(updated.history.slice(-2).map((h) => h.actor)).toEqual([carol.userId, 'U_OWNER']);
  });

  it('names each stakeholder once, without the one acting', async () => {
    const { services, workspace } = await withPebbles();
    const two = await services.pebbles.get(workspace, 2);
    expect(stakeholdersOf(two).sort()).toEqual([bob.userId, carol.userId].sort());
    expect(stakeholdersOf(two, bob.userId)).toEqual([carol.userId]);
  });

  it('returns the merged report when folding it into another pebble', async () => {
    const { services, workspace } = await withPebbles();
    const mine = await services.pebbles.report(
      workspace,
      bob,
      { text: 'Checkout slow' },
      { kind: 'slash' },
    );
    const result = await services.pebbles.mergeInto(workspace, bob, mine.pebble.number, 1);
    expect(result.merged.number).toBe(mine.pebble.number);
    expect(result.pebble.supporterCount).toBe(1);
  });
});

describe('PebbleService triage notices through the outbox', () => {
  const notices = async (store: Awaited<ReturnType<typeof withPebbles>>['store'], kind: string) =>
    (await store.outbox.list({ kind })).sort((a, b) => (a.key < b.key ? -1 : 1));

  it('queues one notice per person on a decline, and none again for the same decline', async () => {
    const { services, workspace, store } = await withPebbles();
    await services.pebbles.decline(workspace, admin, 2, 'Known vendor issue');
    const queued = await notices(store, DECLINED_NOTICE_KIND);
    expect(queued.map((m) => m.target)).toEqual([
      { kind: 'dm', userId: bob.userId },
      { kind: 'dm', userId: carol.userId },
    ]);
    expect(queued.map((m) => m.key)).toEqual([
      `pebble.declined:${workspace.id}:P-2:1:${bob.userId}`,
      `pebble.declined:${workspace.id}:P-2:1:reporter`,
    ]);
    expect(queued.every((m) => m.status === 'pending' && m.view.text === 'P-2 was declined')).toBe(
      true,
    );
    // The same admin's decline again (a repeated click, a retried request) is answered as done
    // and queues nothing; another admin's is refused as before.
    const again = await services.pebbles.decline(workspace, admin, 2, 'Known vendor issue');
    expect(again.pebble.status).toBe('declined');
    expect(await notices(store, DECLINED_NOTICE_KIND)).toHaveLength(2);
    const other = await services.pebbles
      .decline(workspace, { userId: 'U_OTHER', platformAdmin: true }, 2, 'Known vendor issue')
      .catch((e: unknown) => e);
    expect(isPebbleError(other, 'PEBBLE.ILLEGAL_TRANSITION')).toBe(true);
    expect(await notices(store, DECLINED_NOTICE_KIND)).toHaveLength(2);
  });

  it('tells people again when a reopened pebble is declined again', async () => {
    const { services, workspace, store } = await withPebbles();
    await services.pebbles.decline(workspace, admin, 1, 'Not ours');
    await services.pebbles.transition(workspace, admin, 1, 'triaged');
    await services.pebbles.decline(workspace, admin, 1, 'Not ours');
    expect((await notices(store, DECLINED_NOTICE_KIND)).map((m) => m.key)).toEqual([
      `pebble.declined:${workspace.id}:P-1:1:reporter`,
      `pebble.declined:${workspace.id}:P-1:3:reporter`,
    ]);
  });

  it('queues what a failed first attempt could not, when the admin tries again', async () => {
    const { services, workspace, store } = await withPebbles();
    const enqueue = vi
      .spyOn(store.outbox, 'enqueue')
      .mockRejectedValueOnce(new Error('store unavailable'));
    await expect(services.pebbles.decline(workspace, admin, 2, 'Vendor')).rejects.toThrow(
      'store unavailable',
    );
    expect((await services.pebbles.get(workspace, 2)).status).toBe('declined');
    enqueue.mockRestore();
    await services.pebbles.decline(workspace, admin, 2, 'Vendor');
    expect(await notices(store, DECLINED_NOTICE_KIND)).toHaveLength(2);
  });

  it('queues duplicate notices once, and never names an anonymous reporter to a supporter', async () => {
    const { services, workspace, store } = await withPebbles();
    await services.pebbles.markDuplicate(workspace, admin, 2, 1);
    await services.pebbles.markDuplicate(workspace, admin, 2, 1);
    const queued = await notices(store, DUPLICATE_NOTICE_KIND);
    expect(queued.map((m) => m.key)).toEqual([
      `pebble.duplicate:${workspace.id}:P-2:1:${bob.userId}`,
      `pebble.duplicate:${workspace.id}:P-2:1:reporter`,
    ]);
    expect((await services.pebbles.get(workspace, 1)).supporterCount).toBe(2);
    const toBob = JSON.stringify(
      queued.find((m) => m.target.kind === 'dm' && m.target.userId === bob.userId),
    );
    expect(toBob).toContain('A pebble you supported');
    // P-2's reporter (Carol) is anonymous: neither her id nor her name reach Bob's notice.
    expect(toBob).not.toMatch(/carol/i);
    const toCarol = queued.find((m) => m.key.endsWith(':reporter'))!;
    expect(JSON.stringify(toCarol.view)).toContain('Your pebble');
  });
});
