import { describe, expect, it } from 'vitest';
import { applyCatalogOp } from '../../../src/core/workspaces/catalog.js';
import { DEFAULT_JOURNEYS } from '../../../src/core/workspaces/workspace.model.js';
import { alice, bob, makeServices } from '../../helpers/services.js';

const admin = { ...alice, platformAdmin: true };
const keys = (journeys: typeof DEFAULT_JOURNEYS) => journeys[0]!.stages.map((s) => s.key);

describe('the journeys catalog', () => {
  it('adds, renames, moves, retires and brings back stages without changing their keys', () => {
    let journeys = DEFAULT_JOURNEYS;
    journeys = applyCatalogOp(journeys, {
      op: 'add-stage',
      name: 'Upgrade',
      after: 'use',
    }).journeys;
    journeys = applyCatalogOp(journeys, {
      op: 'rename-stage',
      stage: 'Get help',
      name: 'Ask for help',
    }).journeys;
    journeys = applyCatalogOp(journeys, {
      op: 'move-stage',
      stage: 'customer/renew-or-leave',
      position: 1,
    }).journeys;
    const retired = applyCatalogOp(journeys, { op: 'retire-stage', stage: 'buy' });
    expect(retired.summary).toContain('retired the stage Buy');
    expect(keys(retired.journeys)).toEqual([
      'renew-or-leave',
      'discover',
      'buy',
      'onboard',
      'use',
      'upgrade',
      'get-help',
    ]);
    expect(retired.journeys[0]!.stages.find((s) => s.key === 'get-help')!.name).toBe(
      'Ask for help',
    );
    expect(retired.journeys[0]!.stages.find((s) => s.key === 'buy')!.retired).toBe(true);
    const back = applyCatalogOp(retired.journeys, { op: 'restore-stage', stage: 'buy' });
    expect(back.journeys[0]!.stages.find((s) => s.key === 'buy')).toEqual({
      key: 'buy',
      name: 'Buy',
    });
    // The default catalog is a value: nothing was changed in place.
    expect(keys(DEFAULT_JOURNEYS)).toEqual([
      'discover',
      'buy',
      'onboard',
      'use',
      'get-help',
      'renew-or-leave',
    ]);
  });

  it('refuses what would lose a journey or confuse people, with a sentence saying why', () => {
    const one = [{ key: 'x', name: 'X journey', stages: [{ key: 'only', name: 'Only' }] }];
    expect(() => applyCatalogOp(one, { op: 'retire-stage', stage: 'only' })).toThrow(
      /last stage of X journey still in use/,
    );
    expect(() => applyCatalogOp(DEFAULT_JOURNEYS, { op: 'add-stage', name: 'buy' })).toThrow(
      /already has a stage "buy"/,
    );
    expect(() =>
      applyCatalogOp(DEFAULT_JOURNEYS, { op: 'rename-stage', stage: 'nowhere', name: 'X' }),
    ).toThrow(/There is no stage "nowhere"/);
    expect(() => applyCatalogOp(DEFAULT_JOURNEYS, { op: 'add-stage', name: '   ' })).toThrow(
      /give it a name/,
    );
    const two = applyCatalogOp(DEFAULT_JOURNEYS, {
      op: 'add-journey',
      name: 'Partner journey',
      stages: ['Sign up', 'Buy'],
    }).journeys;
    expect(() => applyCatalogOp(two, { op: 'retire-stage', stage: 'buy' })).toThrow(
      /several journeys: say which, e.g. customer\/buy or partner-journey\/buy/,
    );
    expect(() => applyCatalogOp(two, { op: 'add-stage', name: 'Refer' })).toThrow(
      /Say which journey/,
    );
  });

  it('is changed by admins only, through the audit log, and a retired stage takes no new pebbles', async () => {
    const { services, workspace } = await makeServices();
    await expect(
      services.workspaces.editCatalog(workspace, bob, { op: 'retire-stage', stage: 'buy' }),
    ).rejects.toThrow('Only Pebblebot admins');
    const { workspace: updated } = await services.workspaces.editCatalog(workspace, admin, {
      op: 'retire-stage',
      stage: 'buy',
    });
    const [entry] = (await services.store.audit.list(workspace.id)).items;
    expect(entry).toMatchObject({ actor: alice.userId, what: 'journeys' });
    expect(JSON.parse(entry!.before)).toEqual({ journeys: DEFAULT_JOURNEYS });
    expect(JSON.parse(entry!.after).journeys[0].stages[1]).toEqual({
      key: 'buy',
      name: 'Buy',
      retired: true,
    });
    await expect(
      services.pebbles.report(
        updated,
        bob,
        { text: 'Card declined', journey: 'customer', stage: 'buy' },
        { kind: 'slash' },
      ),
    ).rejects.toThrow('The stage Buy is retired');
  });

  it('validates the time zone with luxon, from every path that sets it', async () => {
    const { services, workspace } = await makeServices();
    await expect(
      services.workspaces.setTimezone(workspace, admin, 'Europe/Atlantis'),
    ).rejects.toThrow('"Europe/Atlantis" is not a time zone');
    await expect(
      services.workspaces.updateSettings(workspace, admin, { timezone: 'GMT+25' }),
    ).rejects.toThrow('is not a time zone');
    const updated = await services.workspaces.setTimezone(workspace, admin, 'America/New_York');
    expect(updated.settings.timezone).toBe('America/New_York');
    await expect(services.workspaces.setAiEnabled(workspace, bob, false)).rejects.toThrow(
      'Only Pebblebot admins',
    );
    expect(
      (await services.workspaces.setAiEnabled(workspace, admin, false)).settings.aiEnabled,
    ).toBe(false);
  });
});
