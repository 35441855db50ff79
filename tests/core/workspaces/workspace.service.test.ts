import { describe, expect, it } from 'vitest';
import { DEFAULT_JOURNEYS } from '../../../src/core/workspaces/workspace.model.js';
import { alice, bob, makeServices } from '../../helpers/services.js';

describe('WorkspaceService', () => {
  it('creates a workspace on first contact with the default catalog and settings', async () => {
    const { workspace } = await makeServices();
    expect(workspace).toMatchObject({ id: 'slack:T1', platform: 'slack', name: 'Acme' });
    expect(workspace.settings).toMatchObject({
      timezone: 'UTC',
      reactionEmoji: 'rock',
      journeys: DEFAULT_JOURNEYS,
    });
    expect(workspace.settings.journeys[0]!.stages.map((s) => s.name)).toEqual([
      'Discover',
      'Buy',
      'Onboard',
      'Use',
      'Get help',
      'Renew or leave',
    ]);
  });

  it('returns the same workspace on later contacts without resetting settings', async () => {
    const { services, workspace } = await makeServices();
    await services.workspaces.updateSettings(
      workspace,
      { ...alice, platformAdmin: true },
      { reactionEmoji: 'pebble' },
    );
    const again = await services.workspaces.ensure('slack', 'T1');
    expect(again.settings.reactionEmoji).toBe('pebble');
    expect(again.history).toEqual([
      expect.objectContaining({ actor: alice.userId, action: 'settings', note: 'reactionEmoji' }),
    ]);
  });

  it('lets only admins change settings, and validates them', async () => {
    const { services, workspace } = await makeServices();
    await expect(
      services.workspaces.updateSettings(workspace, bob, { triageChannel: 'C1' }),
    ).rejects.toThrow('Only Pebblebot admins');
    await expect(
      services.workspaces.updateSettings(
        workspace,
        { ...alice, platformAdmin: true },
        { journeys: [] },
      ),
    ).rejects.toThrow(/journeys/);
  });
});
