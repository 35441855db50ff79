import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/shared/clock.port.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { createServices, type Services } from '../../src/services.js';
import type { Store } from '../../src/core/ports/store.port.js';
import { createTeamsChannel } from '../../src/teams/teams.channel.js';
import { ACTIONS } from '../../src/views/actions.js';
import { TEST_BALLOT_SECRET } from '../helpers/services.js';
import { activityFixture, APP_ID, FakeBotFramework, TENANT } from '../teams/harness.js';
import { hostileText, hostileValue, INTERNALS } from './hostile-text.js';
import { hostileStores, type HostileStore } from './store-snapshot.js';

/**
 * Hostile input on the Teams endpoint: tokens forged in ways tests/teams/security.test.ts does
 * not cover, every activity and invoke kind fuzzed with hostile text and values, and one
 * tenant acting on another tenant's pebble numbers. Real JWT validation against the loopback
 * Bot Framework; "nothing written" is checked document by document, on an embedded store on
 * disk and, when MONGODB_URI is set, on MongoDB (fewer fuzz runs there, see HostileStore.runs).
 */

const OTHER_TENANT = 'b2b2b2b2-0000-4000-8000-00000000b2b2';
const ADMIN_AAD = 'a0a0a0a0-0000-4000-8000-0000000000ad';
const bf = new FakeBotFramework();
let store: Store;
let services: Services;
let server: RunningHttpServer;
let url: string;
let hostile: HostileStore;

beforeEach(() => {
  bf.connectorCalls.length = 0;
});

async function post(
  activity: unknown,
  token: string | undefined = bf.token(),
): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    body: typeof activity === 'string' ? activity : JSON.stringify(activity),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // kept as text
  }
  return { status: res.status, body, text };
}

/** A plain member's activity in a tenant (no admin, not on the council, reporter of nothing). */
function activity(
  overrides: Record<string, unknown>,
  tenant = TENANT,
  kind: 'personal' | 'channel' = 'personal',
): Record<string, unknown> {
  const base = activityFixture('activity-personal-message.json');
  return {
    ...base,
    id: `act-${Math.random().toString(36).slice(2)}`,
    serviceUrl: bf.serviceUrl,
    from: {
      id: '29:1mallory-plain-member',
      name: 'Mallory Member',
      aadObjectId: 'c0c0c0c0-0000-4000-8000-00000000c0c0',
    },
    conversation:
      kind === 'personal'
        ? { conversationType: 'personal', tenantId: tenant, id: `a:mallory-${tenant}` }
        : {
            conversationType: 'channel',
            isGroup: true,
            tenantId: tenant,
            id: `19:general-${tenant}@thread.tacv2;messageid=1`,
          },
    channelData: { tenant: { id: tenant } },
    ...overrides,
  };
}

const internalsIn = (said: string, input: string) =>
  (said.match(new RegExp(INTERNALS.source, 'g')) ?? []).filter((f) => !input.includes(f));

/** Documents of one tenant's workspace, as stored. */
const tenantState = async (tenant: string) => {
  const all = JSON.parse(await hostile.snapshot(['leases', 'events'])) as Record<
    string,
    Record<string, unknown>
  >;
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(all).map(([name, docs]) => [
        name,
        Object.values(docs).filter((d) => JSON.stringify(d).includes(`teams:${tenant}`)),
      ]),
    ),
  );
};

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

for (const target of hostileStores('teams'))
  (target.skip ? describe.skip : describe)(`Teams hostile input on the ${target.label}`, () => {
    const make = target.store;
    beforeAll(async () => {
      await bf.start();
      hostile = make();
      store = await hostile.open();
      services = createServices(store, systemClock, { ballotSecret: TEST_BALLOT_SECRET });
      const logger = pino({ level: 'silent' });
      const channel = createTeamsChannel(bf.config(), {
        store,
        logger,
        services,
        adminObjectIds: [ADMIN_AAD],
        gateway: { backoffMs: 1, maxInlineWaitMs: 50 },
      });
      server = await startHttpServer({
        port: 0,
        host: '127.0.0.1',
        logger,
        routes: channel.routes,
        ready: () => store.ping(),
      });
      await channel.start();
      url = `http://127.0.0.1:${server.port}/api/messages`;
      // Each tenant has a P-1 and a P-2, reported by its own people.
      for (const tenant of [TENANT, OTHER_TENANT]) {
        const ws = await services.workspaces.ensure('teams', tenant);
        for (const text of ['Onboarding laptop arrives late', 'VPN drops every hour'])
          await services.pebbles.report(
            ws,
            { userId: `29:1reporter-${tenant}`, name: 'Rae Porter' },
            { text },
            { kind: 'console' },
          );
      }
    }, 60_000);
    afterAll(async () => {
      await server?.close(1_000);
      await store?.close();
      await hostile?.drop();
      await bf.stop();
    });
    describe('Teams tokens the existing suite does not forge', () => {
      const claims = () => {
        const now = Math.floor(Date.now() / 1000);
        return {
          iss: 'https://api.botframework.test',
          aud: APP_ID,
          serviceurl: bf.serviceUrl,
          nbf: now - 60,
          iat: now - 60,
          exp: now + 3600,
        };
      };
      const valid = () => bf.token().split('.');
      const cases: [string, () => string][] = [
        [
          'an unsigned token (alg none)',
          () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`,
        ],
        [
          'a token signed with HMAC over the public key (algorithm confusion)',
          () => {
            const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: bf.key.kid })}.${b64(claims())}`;
            const pem = bf.key.publicKey.export({ type: 'spki', format: 'pem' });
            return `${head}.${createHmac('sha256', pem).update(head).digest('base64url')}`;
          },
        ],
        [
          'a valid token whose claims were swapped after signing (another audience)',
          () => {
            const [h, , s] = valid();
            return `${h}.${b64({ ...claims(), aud: 'another-bot' })}.${s}`;
          },
        ],
        [
          'a valid token whose claims were edited to extend it',
          () => {
            const [h, , s] = valid();
            return `${h}.${b64({ ...claims(), exp: claims().exp + 86_400 * 365 })}.${s}`;
          },
        ],
        ['a valid token cut short', () => valid().slice(0, 2).join('.')],
        ['a token without the Bearer scheme', () => ''],
      ];
      for (const [name, token] of cases)
        it(`refuses ${name} with 401, nothing written, nothing sent`, async () => {
          const before = await hostile.snapshot(['leases']);
          const body = activity({ text: 'report Forged token report' });
          const res =
            name === 'a token without the Bearer scheme'
              ? await fetch(url, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json', authorization: bf.token() },
                  body: JSON.stringify(body),
                }).then((r) => ({ status: r.status }))
              : await post(body, token());
          expect(res.status).toBe(401);
          expect(bf.connectorCalls).toHaveLength(0);
          expect(await hostile.snapshot(['leases'])).toBe(before);
        });
    });

    describe('Teams activity fuzzing (signed, through /api/messages)', () => {
      const verbs = [...new Set(Object.values(ACTIONS))];

      it('messages with hostile text, in a personal chat or a channel: never a 5xx, replies read as sentences', async () => {
        // Proactive sends of earlier messages (a triage card) may land during a later one and
        // quote its text (e.g. a title "P-NaN"): internals are looked for beyond all input sent.
        let inputs = '';
        await fc.assert(
          fc.asyncProperty(
            hostileText,
            fc.constantFrom<'personal' | 'channel'>('personal', 'channel'),
            async (text, kind) => {
              bf.connectorCalls.length = 0;
              const res = await post(
                activity(
                  { text: kind === 'channel' ? `<at>Pebblebot</at> ${text}` : text },
                  TENANT,
                  kind,
                ),
              );
              expect(res.status).toBeLessThan(500);
              inputs += JSON.stringify(text);
              for (const call of bf.connectorCalls)
                expect(internalsIn(JSON.stringify(call.body), inputs)).toEqual([]);
            },
          ),
          { numRuns: hostile.runs(20) },
        );
      });

      it('a card action for every action id with hostile data, from a plain member: refused or harmless, never a 5xx', async () => {
        const open = new Set<string>([
          ACTIONS.report,
          ACTIONS.show,
          ACTIONS.listPage,
          ACTIONS.support,
          ACTIONS.digestPreview,
          // The fuzz's own reports are Mallory's: she may hide or show her name on them.
          ACTIONS.toggleAnonymous,
        ]);
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...verbs),
            hostileValue,
            fc.dictionary(fc.string({ maxLength: 10 }), hostileText, { maxKeys: 3 }),
            async (verb, value, extra) => {
              const before = await tenantState(TENANT);
              const res = await post(
                activity({
                  type: 'invoke',
                  name: 'adaptiveCard/action',
                  value: {
                    action: {
                      type: 'Action.Execute',
                      verb,
                      data: { ...extra, action: verb, value },
                    },
                    trigger: 'manual',
                  },
                }),
              );
              expect(res.status, verb).toBe(200);
              const answer = res.body as { statusCode?: number; value?: unknown };
              expect(answer.statusCode ?? 200, verb).toBeLessThan(500);
              // A form may quote what the store holds, typed by earlier runs: a pebble of Mallory's
              // titled "P-NaN" prefills the form of "add details" for that pebble.
              expect(
                internalsIn(res.text, `${value}${JSON.stringify(extra)}${before}`),
                verb,
              ).toEqual([]);
              if (!open.has(verb))
                expect(await tenantState(TENANT), `${verb} changed the store`).toBe(before);
            },
          ),
          { numRuns: hostile.runs(60) },
        );
      });

      it('dialogs and message actions (fetch and submit) with hostile data: never a 5xx', async () => {
        const names = [
          'task/fetch',
          'task/submit',
          'composeExtension/fetchTask',
          'composeExtension/submitAction',
        ];
        const value = fc.oneof(
          fc.record({
            commandId: fc.oneof(fc.constantFrom('reportPebble', 'report'), hostileText),
            data: fc.dictionary(
              fc.oneof(
                fc.constantFrom(
                  'action',
                  'title',
                  'description',
                  'stakeholder',
                  'severity',
                  'anonymous',
                  'n',
                ),
                fc.string({ maxLength: 8 }),
              ),
              fc.oneof(hostileText, fc.constantFrom(...verbs)),
              { maxKeys: 5 },
            ),
            messagePayload: fc.record({ body: fc.record({ content: hostileText }) }),
          }),
          fc.jsonValue(),
        );
        await fc.assert(
          fc.asyncProperty(fc.constantFrom(...names), value, async (name, v) => {
            const res = await post(activity({ type: 'invoke', name, value: v }));
            expect(res.status, name).toBeLessThan(500);
            expect(internalsIn(res.text, JSON.stringify(v)), name).toEqual([]);
          }),
          { numRuns: hostile.runs(40) },
        );
      });

      it('a report dialog submitted without its fields says what to fill in, not what the parser expected', async () => {
        for (const data of [{}, { title: 42, severity: 'high', stakeholder: 'aliens' }]) {
          const res = await post(
            activity({
              type: 'invoke',
              name: 'composeExtension/submitAction',
              value: { data: { action: 'pebble.report', ...data } },
            }),
          );
          expect(res.status).toBe(200);
          expect(res.text).not.toMatch(/Invalid (input|option)|expected \w+, received/);
          expect(res.text).toMatch(/Fill this in\.|This is not a value this field takes\./);
        }
      });

      it('other activity and invoke kinds, and activities with hostile envelopes: never a 5xx', async () => {
        const weird = fc.oneof(
          fc.record({
            type: fc.constantFrom(
              'conversationUpdate',
              'installationUpdate',
              'messageReaction',
              'event',
              'typing',
              'endOfConversation',
            ),
            action: hostileText,
            membersAdded: fc.array(fc.record({ id: hostileText, name: hostileText }), {
              maxLength: 3,
            }),
            text: hostileText,
          }),
          fc.record({
            type: fc.constant('invoke'),
            name: fc.oneof(
              hostileText,
              fc.constantFrom(
                'signin/verifyState',
                'fileConsent/invoke',
                'composeExtension/query',
                'adaptiveCard/action',
              ),
            ),
            value: fc.jsonValue(),
          }),
          fc.record({
            type: fc.constant('message'),
            text: fc.jsonValue(),
            value: fc.jsonValue(),
            entities: fc.jsonValue(),
          }),
        );
        await fc.assert(
          fc.asyncProperty(weird, async (overrides) => {
            const res = await post(activity(overrides));
            expect(res.status).toBeLessThan(500);
          }),
          { numRuns: hostile.runs(40) },
        );
        expect((await post(activity({ text: 'help' }))).status).toBe(200);
      });
    });

    describe('Teams: one tenant never reaches another tenant’s pebbles', () => {
      it('a member of tenant A acting on every number through every action id leaves tenant B untouched', async () => {
        const before = await tenantState(OTHER_TENANT);
        // Even an admin of tenant A: rights are per workspace.
        const asAdmin = (a: Record<string, unknown>) => ({
          ...a,
          from: { id: '29:1admin-a', name: 'Ada Admin', aadObjectId: ADMIN_AAD },
        });
        for (const verb of new Set(Object.values(ACTIONS)))
          for (const value of ['1', '2', '1:4', '1:employee', '1:customer/buy', '1:fix-now', '2:1'])
            for (const who of [(a: Record<string, unknown>) => a, asAdmin]) {
              const res = await post(
                who(
                  activity({
                    type: 'invoke',
                    name: 'adaptiveCard/action',
                    value: {
                      action: { type: 'Action.Execute', verb, data: { action: verb, value } },
                    },
                  }),
                ),
              );
              expect(res.status).toBeLessThan(500);
            }
        for (const text of [
          'support P-1',
          'show P-2',
          'triage P-1 decline No',
          'anon P-1',
          'config council quorum 1',
        ])
          expect((await post(asAdmin(activity({ text })))).status).toBeLessThan(500);
        expect(await tenantState(OTHER_TENANT)).toBe(before);
        // Tenant A's own P-1 did get the +1: the same numbers meant A's pebbles all along.
        const a = await services.workspaces.get(`teams:${TENANT}`);
        expect((await services.pebbles.get(a, 1)).supporterCount).toBeGreaterThan(0);
      });
    });
  });
