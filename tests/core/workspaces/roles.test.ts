import { describe, expect, it } from 'vitest';
import { BALLOT_SECRET_MISSING } from '../../../src/core/council/council.service.js';
import { isPebbleError } from '../../../src/core/shared/errors.js';
import { isWorkspaceAdmin } from '../../../src/core/workspaces/workspace.model.js';
import type { UserContext } from '../../../src/core/workspaces/workspace.service.js';
import { makeServices } from '../../helpers/services.js';
import { admin, FakeGateway, member, setUpCouncil, triagedPebble, vera } from '../council/fakes.js';

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (isPebbleError(error)) return error.code;
    throw error;
  }
}

/** A user whose platform role is asked for lazily, counting the questions. */
function lazyUser(userId: string, platformAdmin: boolean) {
  const asked: string[] = [];
  const user: UserContext = {
    userId,
    resolvePlatformAdmin: () => {
      asked.push(userId);
      return Promise.resolve(platformAdmin);
    },
  };
  return { user, asked };
}

describe('workspace admin role', () => {
  it('asks the platform only when neither the settings nor a known flag decide', async () => {
    const { services, workspace } = await makeServices();
    const listed = await services.workspaces.updateSettings(workspace, admin, {
      admins: ['U_LISTED'],
    });
    const byList = lazyUser('U_LISTED', false);
    expect(await isWorkspaceAdmin(listed, byList.user)).toBe(true);
    expect(byList.asked).toEqual([]);
    expect(await isWorkspaceAdmin(listed, { userId: 'U_X', platformAdmin: false })).toBe(false);
    const owner = lazyUser('U_OWNER', true);
    expect(await isWorkspaceAdmin(listed, owner.user)).toBe(true);
    expect(owner.asked).toEqual(['U_OWNER']);
    const plain = lazyUser('U_PLAIN', false);
    expect(await isWorkspaceAdmin(listed, plain.user)).toBe(false);
    // No way to ask and not listed: not an admin.
    expect(await isWorkspaceAdmin(listed, { userId: 'U_NOBODY' })).toBe(false);
  });

  it('lets only admins change settings, asking the platform for the role', async () => {
    const { services, workspace } = await makeServices();
    const plain = lazyUser('U_PLAIN', false);
    expect(
      await code(
        services.workspaces.updateSettings(workspace, plain.user, { triageChannel: 'C1' }),
      ),
    ).toBe('WORKSPACE.NOT_ADMIN');
    expect(plain.asked).toEqual(['U_PLAIN']);
    const owner = lazyUser('U_OWNER', true);
    const updated = await services.workspaces.updateSettings(workspace, owner.user, {
      triageChannel: 'C1',
    });
    expect(updated.settings.triageChannel).toBe('C1');
    expect(await code(services.workspaces.requireAdmin(updated, plain.user))).toBe(
      'WORKSPACE.NOT_ADMIN',
    );
  });
});

describe('council rights in core', () => {
  async function council(secret?: string) {
    const made = await makeServices(
      '2026-01-05T09:00:00Z',
      secret === undefined ? {} : { ballotSecret: secret },
    );
    made.services.council.connect('slack', { gateway: new FakeGateway() });
    const workspace = await setUpCouncil(made.services, made.workspace);
    return { ...made, workspace };
  }

  it('decides who configures the council and who gives its reason, members without asking', async () => {
    const { services, workspace } = await council('s'.repeat(32));
    const plain = lazyUser('U_PLAIN', false);
    expect(await code(services.council.requireConfigurer(workspace, plain.user))).toBe(
      'WORKSPACE.NOT_ADMIN',
    );
    const pebble = await triagedPebble(services, workspace);
    const { vote } = await services.council.propose(workspace, admin, [pebble.number]);
    expect(
      await code(services.council.requireReasonGiver(workspace, plain.user, vote.number)),
    ).toBe('COUNCIL.NOT_A_MEMBER');
    const mia = lazyUser(member(0).userId, false);
    await services.council.requireReasonGiver(workspace, mia.user, vote.number);
    await services.council.requireReasonGiver(workspace, vera, vote.number);
    expect(mia.asked).toEqual([]);
  });

  it('refuses to open a secret vote without BALLOT_SECRET, changing nothing', async () => {
    const { services, workspace, store } = await council();
    const pebble = await triagedPebble(services, workspace);
    const refused = await services.council
      .propose(workspace, admin, [pebble.number])
      .catch((e: unknown) => e);
    expect(isPebbleError(refused, 'COUNCIL.BALLOT_SECRET_MISSING')).toBe(true);
    expect((refused as Error).message).toBe(BALLOT_SECRET_MISSING);
    expect((refused as Error).message).toContain('BALLOT_SECRET');
    expect(await services.pebbles.get(workspace, pebble.number)).toEqual(pebble);
    expect((await store.votes.list(workspace.id, {}, {})).total).toBe(0);
    expect(await services.council.workspacesMissingBallotSecret()).toHaveLength(1);
  });

  it('warns the admin who keeps or turns secret ballots on without BALLOT_SECRET', async () => {
    const { services, workspace } = await council();
    const on = await services.council.configure(workspace, admin, { secret: true });
    expect(on.warning).toBe(BALLOT_SECRET_MISSING);
    const off = await services.council.configure(workspace, admin, { secret: false });
    expect(off.warning).toBeUndefined();
    expect(await services.council.workspacesMissingBallotSecret()).toEqual([]);
    const pebble = await triagedPebble(services, off.workspace);
    const { vote } = await services.council.propose(off.workspace, admin, [pebble.number]);
    expect(vote.rules.secret).toBe(false);
  });
});

describe('improvement forms in core', () => {
  it('opens each form only to those who may submit it', async () => {
    const { services, workspace } = await makeServices('2026-03-02T10:00:00Z');
    const lead = await services.workspaces.updateSettings(workspace, admin, {
      sponsor: vera.userId,
    });
    const { pebble } = await services.pebbles.report(
      lead,
      { userId: 'U_REP' },
      { text: 'Refunds take three weeks' },
      { kind: 'console' },
    );
    const improvement = await services.improvements.createFromPebbles(lead, vera, {
      title: 'Faster refunds',
      pebbleNumbers: [pebble.number],
    });
    await services.improvements.assign(lead, vera, improvement.number, {
      ownerId: 'U_OWNER',
      promisedDate: '2026-04-01',
    });
    const plain = lazyUser('U_PLAIN', false);
    const owner: UserContext = { userId: 'U_OWNER' };
    const forms = ['propose-date', 'decline', 'done', 'change-date', 'extend', 'reassign', 'drop'];
    for (const form of forms) {
      const refused = await code(
        services.improvements.formFor(lead, plain.user, improvement.number, form as never),
      );
      expect(refused, form).toMatch(/^IMPROVEMENT\.NOT_(OWNER|ALLOWED)$/);
    }
    // The asked owner answers the ask; the sponsor steers.
    await services.improvements.formFor(lead, owner, improvement.number, 'propose-date');
    await services.improvements.formFor(lead, owner, improvement.number, 'decline');
    for (const form of ['extend', 'reassign', 'drop', 'change-date'] as const)
      await services.improvements.formFor(lead, vera, improvement.number, form);
    expect(
      await code(services.improvements.formFor(lead, owner, improvement.number, 'reassign')),
    ).toBe('IMPROVEMENT.NOT_ALLOWED');
  });
});
