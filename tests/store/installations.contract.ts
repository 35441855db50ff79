import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstallationRecord } from '../../src/core/ports/installations.port.js';
import type { Store } from '../../src/core/ports/store.port.js';

const T0 = new Date('2026-01-05T09:00:00.000Z');
const id = (prefix: string) =>
  `${prefix}${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
const sealed = (data: string) => ({ keyId: '0123456789abcdef', iv: 'aXY=', tag: 'dGFn', data });

function teamInstall(
  teamId: string,
  overrides: Partial<InstallationRecord> = {},
): InstallationRecord {
  return {
    key: `team:${teamId}`,
    teamId,
    isEnterpriseInstall: false,
    botUserId: 'UBOT',
    botId: 'BBOT',
    installerUserId: 'UINSTALLER',
    sealed: sealed('c2VhbGVk'),
    installedAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** Slack installations and the inactive mark of workspaces, on every store adapter. */
export function describeInstallationContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`installations: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store.close();
    });

    it('saves an installation and reads it back by key', async () => {
      const team = id('T');
      const record = teamInstall(team);
      await store.installations.save(record);
      expect(await store.installations.get(`team:${team}`)).toEqual(record);
      expect(await store.installations.get(`team:${id('T')}`)).toBeNull();
    });

    it('replaces a reinstalled workspace’s installation whole (no field of the old one lingers)', async () => {
      const team = id('T');
      await store.installations.save(teamInstall(team));
      const { installerUserId: _dropped, ...without } = teamInstall(team, {
        sealed: sealed('bmV3'),
        updatedAt: new Date(T0.getTime() + 60_000),
      });
      await store.installations.save(without);
      const saved = await store.installations.get(`team:${team}`);
      expect(saved).toEqual(without);
      expect(saved?.installerUserId).toBeUndefined();
    });

    it('removes an installation, keeping the links of its workspaces for a reinstall', async () => {
      const enterprise = id('E');
      const key = `enterprise:${enterprise}`;
      const [t1, t2, other] = [id('T'), id('T'), id('T')];
      await store.installations.save({
        ...teamInstall('X'),
        key,
        teamId: undefined,
        enterpriseId: enterprise,
        isEnterpriseInstall: true,
      });
      await store.installations.linkTeam(t1, key);
      await store.installations.linkTeam(t2, key);
      await store.installations.linkTeam(t1, key);
      await store.installations.linkTeam(other, `enterprise:${id('E')}`);
      expect(await store.installations.linkedKey(t1)).toBe(key);
      expect(await store.installations.linkedTeams(key)).toEqual([t1, t2].sort());

      expect(await store.installations.remove(key)).toBe(true);
      expect(await store.installations.get(key)).toBeNull();
      expect(await store.installations.linkedKey(t1)).toBe(key);
      expect(await store.installations.linkedTeams(key)).toEqual([t1, t2].sort());
      expect(await store.installations.linkedKey(other)).not.toBeNull();
      expect(await store.installations.remove(key)).toBe(false);
    });

    it('refuses a record without its sealed tokens, writing nothing', async () => {
      const team = id('T');
      const bad = { ...teamInstall(team), sealed: undefined } as unknown as InstallationRecord;
      await expect(store.installations.save(bad)).rejects.toThrow();
      expect(await store.installations.get(`team:${team}`)).toBeNull();
    });

    it('marks a workspace inactive and active again, keeping its settings', async () => {
      const externalId = id('T');
      const workspace = await store.workspaces.ensure({
        id: `slack:${externalId}`,
        platform: 'slack',
        externalId,
        settings: (await import('../../src/core/workspaces/workspace.model.js')).defaultSettings(),
        createdAt: T0,
        updatedAt: T0,
      });
      const since = new Date(T0.getTime() + 3_600_000);
      expect(await store.workspaces.setInactive(workspace.id, since)).toBe(true);
      expect((await store.workspaces.get(workspace.id))?.inactiveSince).toEqual(since);
      expect(
        (await store.workspaces.list()).find((w) => w.id === workspace.id)?.inactiveSince,
      ).toEqual(since);
      expect(await store.workspaces.setInactive(workspace.id, null)).toBe(true);
      const back = await store.workspaces.get(workspace.id);
      expect(back?.inactiveSince).toBeUndefined();
      expect(back?.settings).toEqual(workspace.settings);
      expect(await store.workspaces.setInactive(`slack:${id('T')}`, since)).toBe(false);
    });
  });
}
