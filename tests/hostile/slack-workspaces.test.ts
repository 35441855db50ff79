import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/views/actions.js';
import { blockAction, sign, uid } from '../slack/harness.js';
import { fakeInstall, startOAuthApp, type OAuthTestApp } from '../slack/oauth-harness.js';
import { hostileStores, type HostileStore } from './store-snapshot.js';

/**
 * Slack installed in two workspaces (OAuth): a person of workspace A crafting every action id,
 * every slash command that names a number, aimed at the pebble, improvement and vote numbers
 * workspace B uses. Numbers are per workspace, so each request meets A's own pebbles or none;
 * B's documents stay exactly as they were: on the embedded store, and on MongoDB when
 * MONGODB_URI is set.
 */

const ACME = fakeInstall('UANNA', { team: { id: 'TACME', name: 'Acme' } }, 'hostile-');
const GLOBEX = fakeInstall('UBRUNO', { team: { id: 'TGLOBEX', name: 'Globex' } }, 'hostile-');
const ATTACKER = { id: 'UMALLORYACME', name: 'mallory' };

let t: OAuthTestApp;
let store: HostileStore;

/** Workspace B's documents only. */
const globexState = async () => {
  const all = JSON.parse(await store.snapshot(['leases', 'events'])) as Record<
    string,
    Record<string, unknown>
  >;
  return JSON.stringify(
    Object.entries(all).map(([name, docs]) => [
      name,
      Object.values(docs).filter((d) => JSON.stringify(d).includes('TGLOBEX')),
    ]),
  );
};

async function interaction(payload: Record<string, unknown>): Promise<number> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const res = await fetch(`${t.base}/slack/events`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body) },
  });
  await res.text();
  return res.status;
}

for (const target of hostileStores('workspaces'))
  (target.skip ? describe.skip : describe)(
    `Slack (many workspaces) on the ${target.label}: one workspace never reaches another’s numbers`,
    () => {
      const make = target.store;

      beforeAll(async () => {
        store = make();
        t = await startOAuthApp({ env: store.env });
        for (const install of [ACME, GLOBEX]) expect((await t.install(install)).status).toBe(200);
        const { services } = t.app;
        const acme = await services.workspaces.ensure('slack', 'TACME');
        const globex = await services.workspaces.ensure('slack', 'TGLOBEX');
        await services.pebbles.report(
          acme,
          { userId: 'UANNA' },
          { text: 'Acme: the kettle leaks' },
          { kind: 'console' },
        );
        for (const text of [
          'Globex: payroll runs late',
          'Globex: SSO loops',
          'Globex: the VPN drops',
        ])
          await services.pebbles.report(
            globex,
            { userId: 'UBRUNO' },
            { text },
            { kind: 'console' },
          );
      }, 60_000);
      afterAll(async () => {
        await t?.stop();
        await store?.drop();
      });

      it('every action id and every numbered command from workspace A leave workspace B unchanged', async () => {
        const before = await globexState();
        const values = [
          '1',
          '2',
          '3',
          '1:4',
          '2:employee',
          '3:customer/buy',
          '1:fix-now',
          '3:1',
          '1:blocked',
        ];
        for (const actionId of new Set(Object.values(ACTIONS)))
          for (const value of values) {
            const payload = blockAction(ATTACKER, { action_id: actionId, value });
            // The harness shapes payloads for the single-workspace team: name Acme throughout.
            Object.assign(payload, {
              team: { id: 'TACME', domain: 'acme' },
              user: {
                id: ATTACKER.id,
                username: ATTACKER.name,
                name: ATTACKER.name,
                team_id: 'TACME',
              },
              response_url: `https://hooks.slack.com/actions/TACME/${uid()}/tok`,
            });
            expect(await interaction(payload), actionId).toBe(200);
          }
        for (const text of [
          'show P-2',
          '+1 P-3',
          'triage P-2 decline Not ours',
          'triage P-3 duplicate P-2',
          'merge P-2 P-3',
          'council propose P-2',
          'vote V-1 fix-now',
          'improvement accept I-1',
          'export',
          'api token create steal',
        ])
          expect((await t.command(text, { team: 'TACME', user: ATTACKER.id })).status).toBe(200);
        // Let the listeners that work after their acknowledgement finish.
        await new Promise((r) => setTimeout(r, 500));
        expect(await globexState()).toBe(before);
        // Nothing workspace B wrote was said to workspace A.
        const toAcme = t.slack.calls.filter(
          (c) => c.token === ACME.token || c.method.includes('TACME'),
        );
        expect(toAcme.length).toBeGreaterThan(0);
        for (const call of toAcme) expect(JSON.stringify(call.body)).not.toMatch(/Globex: /);
      }, 120_000);
    },
  );
