import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEAMS_ADMIN_ROLE_TEMPLATES } from '../../src/teams/teams-roles.js';
import { CHANNELS, PEOPLE, TEAM_GROUP_ID, TeamsDriver, WORKSPACE_ID } from './teams.driver.js';

const TEAMS_ADMINISTRATOR = TEAMS_ADMIN_ROLE_TEMPLATES[0]!;

let t: TeamsDriver;

beforeAll(async () => {
  t = await TeamsDriver.start({ graph: true });
  await t.install();
  t.bf.teamMembers.set(TEAM_GROUP_ID, [
    { userId: PEOPLE.olu.aad, roles: ['owner'] },
    { userId: PEOPLE.cy.aad, roles: ['owner'] },
    { userId: PEOPLE.vera.aad, roles: ['owner'] },
    { userId: PEOPLE.raj.aad, roles: [] },
    { userId: PEOPLE.ben.aad, roles: ['guest'] },
  ]);
  t.bf.directoryRoles.set(PEOPLE.dee.aad, [TEAMS_ADMINISTRATOR]);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const settings = async () => (await t.services.workspaces.get(WORKSPACE_ID)).settings;
const refused = (out: string) => out.includes('Only Pebblebot admins');

describe('Teams roles: Teams admins and team owners administer their tenant', () => {
  it("lets a team owner configure Pebblebot from the team's channels, and not a member", async () => {
    const member = await t.say('raj', 'config triage here', 'triage');
    expect(refused(member)).toBe(true);
    expect((await settings()).triageChannel).toBeUndefined();
    const guest = await t.say('ben', 'config triage here', 'triage');
    expect(refused(guest)).toBe(true);

    const owner = await t.say('olu', 'config triage here', 'triage');
    expect(refused(owner)).toBe(false);
    expect((await settings()).triageChannel).toBe(CHANNELS.triage);
    // The owner was asked of Graph for that team, with an app-only token of the tenant.
    expect(t.bf.graphRequests).toContain(
      `/v1.0/teams/${TEAM_GROUP_ID}/members?$filter=(microsoft.graph.aadUserConversationMember/userId eq '${PEOPLE.olu.aad}')`,
    );
    expect(t.bf.graphTokenRequests.map((r) => r.tenant)).toContain(WORKSPACE_ID.slice(6));
    // The token's audience is the Graph it calls (sovereign clouds have their own).
    expect(decodeURIComponent(t.bf.graphTokenRequests[0]?.body ?? '')).toContain(
      `${new URL(t.bf.graphUrl).origin}/.default`,
    );
  });

  it('asks Graph once for a while: a second command by the same person uses the answer', async () => {
    const before = t.bf.graphRequests.length;
    const again = await t.say('olu', 'config council channel here', 'council');
    expect(refused(again)).toBe(false);
    expect((await settings()).council.channel).toBe(CHANNELS.council);
    expect(t.bf.graphRequests.length).toBe(before);
  });

  it('lets a Teams Administrator configure from a personal chat', async () => {
    const out = await t.say('dee', 'config digest leaders {@lea}');
    expect(refused(out)).toBe(false);
    expect((await settings()).digest.leaders).toContain(PEOPLE.lea.id);
    // A plain member in a personal chat is no admin (no directory role).
    expect(refused(await t.say('raj', 'config digest leaders {@raj}'))).toBe(true);
  });

  it('keeps TEAMS_ADMIN_IDS as admins without asking Graph', async () => {
    const before = t.bf.graphRequests.length;
    const out = await t.say('ana', 'config digest leaders {@vera}');
    expect(refused(out)).toBe(false);
    expect(t.bf.graphRequests.length).toBe(before);
  });

  it('fails closed: when Graph refuses, nobody counts as an owner, and that is logged once', async () => {
    t.bf.graphFailure = 403;
    try {
      // Cy and Vera own the team, but Graph cannot say so now.
      expect(refused(await t.say('cy', 'config triage off', 'triage'))).toBe(true);
      expect(refused(await t.say('vera', 'config triage off', 'triage'))).toBe(true);
      expect((await settings()).triageChannel).toBe(CHANNELS.triage);
      const warnings = t.logs.filter((l) => l.includes('could not read team owners'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('TeamMember.Read.Group');
    } finally {
      t.bf.graphFailure = undefined;
    }
  });
});
