import http from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  commandBody,
  responsePath,
  sign,
  SECRET,
  startSlackApp,
  TEAM,
  uid,
  type SlackTestApp,
} from '../slack/harness.js';
import { hostileStores, type HostileStore } from './store-snapshot.js';

/**
 * Requests that did not come from Slack, or came from it once already: each is refused with
 * 401 before any listener runs (no Web API call, no response_url answer) and writes nothing.
 * Complements tests/slack/security.test.ts (forged, stale, unsigned) with the replayed, the
 * altered, the malformed headers, and a volume run proving valid requests always pass. The
 * refusals run on the embedded store and, when MONGODB_URI is set, on MongoDB (a fresh database
 * per test); the volume run writes nothing and proves the signature check, so it runs once.
 */

let t: SlackTestApp;
let store: HostileStore;
/** Where start() puts the app: the embedded store unless a describe block says otherwise. */
let makeStore: () => HostileStore = hostileStores('sig')[0]!.store;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
  await store.drop();
});

async function start(): Promise<void> {
  store = makeStore();
  t = await startSlackApp({ env: store.env });
  // The workspace exists before the attacks, so "nothing written" is about them alone.
  await t.app.services.workspaces.ensure('slack', TEAM);
}

/** A slash command that would report a pebble and answer on its response_url. */
function reportCommand(text = 'Forged: the coffee machine is broken'): string {
  return new URLSearchParams(
    commandBody(text, { response_url: `https://hooks.slack.com${responsePath(uid())}` }),
  ).toString();
}

function raw(body: string, headers: Record<string, string>, contentType?: string) {
  return fetch(t.url, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType ?? 'application/x-www-form-urlencoded', ...headers },
  });
}

const now = () => Math.floor(Date.now() / 1000);
const sig = (body: string) => sign(body)['x-slack-signature'];

async function expectRefusedUntouched(run: () => Promise<number>): Promise<void> {
  const before = await store.snapshot();
  expect(await run()).toBe(401);
  // Listeners run after an ack: give one the time it would need to write or call Slack.
  await new Promise((r) => setTimeout(r, 100));
  expect(t.slack.calls.map((c) => c.method)).toEqual(['auth.test']);
  expect(await store.snapshot()).toBe(before);
}

for (const target of hostileStores('sig'))
  (target.skip ? describe.skip : describe)(
    `Slack signatures: refused before any listener, nothing written, on the ${target.label}`,
    () => {
      beforeAll(() => {
        makeStore = target.store;
      });
      const cases: [string, (body: string) => Record<string, string>][] = [
        ['a forged signature (another secret)', (b) => sign(b, now(), 'someone-elses-secret')],
        ['no signature at all', () => ({ 'x-slack-request-timestamp': String(now()) })],
        ['no timestamp', (b) => ({ 'x-slack-signature': sig(b) })],
        [
          'an empty signature',
          () => ({ 'x-slack-request-timestamp': String(now()), 'x-slack-signature': '' }),
        ],
        ['a stale timestamp (5 min 10 s old)', (b) => sign(b, now() - 310)],
        ['a timestamp 6 minutes in the future', (b) => sign(b, now() + 360)],
        [
          'a timestamp that is not a number',
          (b) => ({ ...sign(b), 'x-slack-request-timestamp': 'soon' }),
        ],
        [
          'a signature of another version (v1=)',
          (b) => ({ ...sign(b), 'x-slack-signature': sig(b).replace(/^v0=/, 'v1=') }),
        ],
        [
          'a signature cut short',
          (b) => ({ ...sign(b), 'x-slack-signature': sig(b).slice(0, 40) }),
        ],
        [
          'a signature in upper case hex',
          (b) => ({ ...sign(b), 'x-slack-signature': `v0=${sig(b).slice(3).toUpperCase()}` }),
        ],
        [
          'a timestamp moved by one second after signing',
          (b) => ({ ...sign(b, now() - 1), 'x-slack-request-timestamp': String(now()) }),
        ],
      ];
      for (const [name, headers] of cases)
        it(`refuses ${name}`, async () => {
          await start();
          const body = reportCommand();
          await expectRefusedUntouched(async () => (await raw(body, headers(body))).status);
        });

      it('refuses a body altered after signing (one character, appended field, re-encoded)', async () => {
        await start();
        const body = reportCommand('Printer jam on floor 2');
        const headers = sign(body);
        const altered = [
          body.replace('Printer', 'Primter'),
          `${body}&user_id=U0ADMIN`,
          body.replace(/%20|\+/g, (m) => (m === '+' ? '%20' : '+')),
        ];
        for (const variant of altered) {
          expect(variant).not.toBe(body);
          await expectRefusedUntouched(async () => (await raw(variant, headers)).status);
        }
      });

      it('refuses a captured request sent again (same body, signature and timestamp)', async () => {
        await start();
        const id = uid();
        t.slack.expectRespond(responsePath(id));
        const body = new URLSearchParams(
          commandBody('Badge reader at door C is flaky', {
            response_url: `https://hooks.slack.com${responsePath(id)}`,
          }),
        ).toString();
        const headers = sign(body);
        expect((await raw(body, headers)).status).toBe(200);
        await t.slack.done();
        const ws = await t.app.services.workspaces.get(`slack:${TEAM}`);
        expect((await t.app.services.pebbles.list(ws)).total).toBe(1);
        const calls = t.slack.calls.length;
        const before = await store.snapshot();

        for (let i = 0; i < 3; i++) expect((await raw(body, headers)).status).toBe(401);
        await new Promise((r) => setTimeout(r, 100));
        expect(t.slack.calls).toHaveLength(calls);
        expect(await store.snapshot()).toBe(before);
        expect(t.logs.join('')).toContain('replayed Slack request rejected');
      });

      it('refuses a replayed interaction payload, while a fresh signature of it still passes the signature check', async () => {
        await start();
        const payload = new URLSearchParams({
          payload: JSON.stringify({
            type: 'view_closed',
            team: { id: TEAM, domain: 'acme' },
            user: { id: 'U0ALICE', team_id: TEAM },
            view: { id: 'V0CLOSED', callback_id: 'pebble_report' },
          }),
        }).toString();
        const signedAt = now();
        const first = sign(payload, signedAt);
        expect((await raw(payload, first)).status).toBe(200);
        expect((await raw(payload, first)).status).toBe(401);
        // Signed again a second earlier, the same content is a new request (Slack never resends
        // interactions, but people do close the same form twice).
        expect((await raw(payload, sign(payload, signedAt - 1))).status).toBe(200);
      });

      it('lets a retried event through to the event-id deduplication even with its first signature', async () => {
        await start();
        const body = JSON.stringify({
          type: 'event_callback',
          team_id: TEAM,
          api_app_id: 'A0PEBBLE',
          event_id: `Ev${uid()}`,
          event_time: now(),
          event: { type: 'channel_rename', channel: { id: 'C0X', name: 'renamed', created: 1 } },
        });
        const headers = sign(body);
        const json = 'application/json';
        expect((await raw(body, headers, json)).status).toBe(200);
        const retried = {
          ...headers,
          'x-slack-retry-num': '1',
          'x-slack-retry-reason': 'http_timeout',
        };
        expect((await raw(body, retried, json)).status).toBe(200);
        expect((await raw(body, headers, json)).status).toBe(401);
      });
    },
  );

describe('Slack signatures: valid requests are never refused', () => {
  beforeAll(() => {
    makeStore = hostileStores('sig')[0]!.store;
  });
  it('accepts 10,000 distinct validly signed requests (closed forms and ignored events), 32 at a time, with no false rejection', async () => {
    await start();
    const total = 10_000;
    const statuses = new Map<number, number>();
    let next = 0;
    // node:http with keep-alive: fetch costs the client more CPU than the server spends.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const post = (body: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          t.url,
          {
            method: 'POST',
            agent,
            headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const started = performance.now();
    const worker = async () => {
      while (next < total) {
        const i = next++;
        // Mostly a form closed by someone (acknowledged and dropped, as Slack sends it for
        // every closed modal), every tenth an event the bot does not listen to: the path up
        // to the listeners runs (signature, replay guard, envelope, Bolt, middleware).
        const event = i % 10 === 0;
        const body = event
          ? JSON.stringify({
              type: 'event_callback',
              team_id: TEAM,
              api_app_id: 'A0PEBBLE',
              event_id: `EvLoad${i}`,
              event_time: now(),
              event: {
                type: 'channel_rename',
                channel: { id: `C0L${i}`, name: `n${i}`, created: 1 },
              },
            })
          : new URLSearchParams({
              payload: JSON.stringify({
                type: 'view_closed',
                team: { id: TEAM, domain: 'acme' },
                user: { id: 'U0ALICE', team_id: TEAM },
                view: { id: `V0LOAD${i}`, callback_id: 'pebble_report' },
                is_cleared: false,
              }),
            }).toString();
        // A spread of timestamps across the accepted window, both sides of now.
        const skew = (i % 11) * 50 - 250;
        const status = await post(body, {
          'content-type': event ? 'application/json' : 'application/x-www-form-urlencoded',
          ...sign(body, now() + skew, SECRET),
        });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    agent.destroy();
    const seconds = (performance.now() - started) / 1000;
    expect(Object.fromEntries(statuses)).toEqual({ 200: total });
    expect(t.logs.join('')).not.toContain('rejected');
    console.info(`10,000 signed requests: ${(total / seconds).toFixed(0)} requests/s`);
  }, 180_000);
});
