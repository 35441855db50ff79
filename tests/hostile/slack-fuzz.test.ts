import fc from 'fast-check';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PebbleSchema } from '../../src/core/pebbles/pebble.model.js';
import { listenerIds } from '../../src/slack/listeners/index.js';
import { ACTIONS, OVERFLOW_ACTION } from '../../src/views/actions.js';
import { recordOutgoing } from '../helpers/privacy.js';
import {
  alice,
  API,
  blockAction,
  BOT_USER,
  CHANNEL,
  HOOKS,
  responsePath,
  startSlackApp,
  TEAM,
  uid,
  viewSubmission,
  type SlackTestApp,
} from '../slack/harness.js';
import { hostileText, hostileValue, INTERNALS } from './hostile-text.js';
import { hostileStores, type HostileStore } from './store-snapshot.js';

/**
 * Property-based fuzzing of every kind of Slack payload through the real endpoint (signed
 * HTTP): slash commands, a block action for every action id, a submission of every form,
 * events, shortcuts and options requests, all with hostile text and values. Whatever arrives:
 * never a 5xx, never a crash, a person who clicked or typed gets an answer that reads as a
 * sentence (no stack, no `undefined`), a refused action writes nothing, and whatever is
 * written is a whole, valid document. On the embedded store, and on MongoDB when MONGODB_URI
 * is set (fewer runs there, see HostileStore.runs).
 */

const MALLORY = { id: 'U0MALLORY', name: 'mallory' };
/** Runs per property: bounded, so the suite stays fast on a loaded machine. */
const RUNS = 12;

let t: SlackTestApp;
let store: HostileStore;
interface Sent {
  method: string;
  body: Record<string, unknown>;
}
const sent: Sent[] = [];

function decode(raw: unknown): Record<string, unknown> {
  const s = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (s.startsWith('{')) return JSON.parse(s) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(s)) {
    try {
      out[key] = /^[[{]/.test(value) ? (JSON.parse(value) as unknown) : value;
    } catch {
      out[key] = value;
    }
  }
  return out;
}

/** Waits until the bot has gone quiet (listeners work after their ack). */
async function settle(): Promise<void> {
  let count = -1;
  const until = Date.now() + 3_000;
  while (count !== sent.length && Date.now() < until) {
    count = sent.length;
    await new Promise((r) => setTimeout(r, 80));
  }
}

/** Every piece of text the bot sent since `from`, as one string per call. */
function textsSince(from: number): string[] {
  return sent.slice(from).map((c) => JSON.stringify(c.body));
}

/** Internal details in what the bot said that were not in what it was sent. */
function internals(said: string, input: string): string[] {
  const found = said.match(new RegExp(INTERNALS.source, 'g')) ?? [];
  return found.filter((f) => !input.includes(f));
}

/** What the outbox worker changes while it delivers a message queued earlier. */
const DELIVERY = [
  'status',
  'attempts',
  'lockedBy',
  'lockedUntil',
  'recovered',
  'sentAt',
  'ref',
  'nextAttemptAt',
  'lastError',
];

/**
 * The domain as stored, without the delivery log, the scheduler's leases and caches, and
 * without the delivery state of queued messages: the outbox worker sends what earlier requests
 * queued on its own clock, so only which messages are queued, and what they say, counts.
 */
const domain = async () => {
  const all = JSON.parse(
    await store.snapshot(['leases', 'events', 'embeddings', 'ai_usage', 'outbox_claims']),
  ) as Record<string, Record<string, Record<string, unknown>>>;
  for (const message of Object.values(all.outbox ?? {})) {
    for (const key of DELIVERY) delete message[key];
    // A delivered message keeps its text but drops its blocks (see the store's markSent).
    delete (message.view as { blocks?: unknown } | undefined)?.blocks;
  }
  return JSON.stringify(all);
};

async function expectValidStore(): Promise<void> {
  const ws = await t.app.services.workspaces.get(`slack:${TEAM}`);
  const list = await t.app.services.pebbles.list(ws, {}, { limit: 500, offset: 0 });
  for (const pebble of list.items) expect(PebbleSchema.safeParse(pebble).success).toBe(true);
}

/** Actions a plain member may use on someone else's pebble: they may change things. */
const OPEN_ACTIONS = new Set<string>([
  ACTIONS.report,
  ACTIONS.show,
  ACTIONS.listPage,
  ACTIONS.support,
  ACTIONS.digestPreview,
  // The fuzz's own reports are Mallory's: she may hide or show her name on them.
  ACTIONS.toggleAnonymous,
]);

for (const target of hostileStores('fuzz'))
  (target.skip ? describe.skip : describe)(
    `Slack payload fuzzing (signed, through /slack/events) on the ${target.label}`,
    () => {
      const make = target.store;
      beforeAll(async () => {
        store = make();
        t = await startSlackApp({ env: store.env });
        // Every Web API call and response_url answered; nobody is an admin.
        nock(API)
          .post(/^\/api\/.+/)
          .reply(200, (uri, raw) => {
            const method = uri.replace(/^\/api\//, '');
            const body = decode(raw);
            sent.push({ method, body });
            recordOutgoing('slack', method, body);
            if (method === 'users.info')
              return { ok: true, user: { id: body.user, name: 'someone', is_admin: false } };
            if (method === 'conversations.open') return { ok: true, channel: { id: 'D0DM' } };
            return { ok: true, channel: body.channel ?? 'D0DM', ts: `${Date.now() / 1000}` };
          })
          .persist();
        nock(HOOKS)
          .post(/.*/)
          .reply(200, (uri, raw) => {
            const body = decode(raw);
            sent.push({ method: `respond ${uri}`, body });
            recordOutgoing('slack', 'response_url', body, uri);
            return 'ok';
          })
          .persist();
        // Something to aim at: alice's pebble P-1 in the triage channel.
        const ws = await t.app.services.workspaces.ensure('slack', TEAM);
        await t.app.services.pebbles.report(
          ws,
          { userId: alice.id, name: alice.name },
          { text: 'Expense reports bounce twice before approval' },
          { kind: 'console' },
        );
      }, 60_000);

      afterAll(async () => {
        await t?.stop();
        await store?.drop();
      });

      it('slash commands with hostile text: never a 5xx, always a readable answer, only whole documents', async () => {
        const settings = async () =>
          JSON.stringify((await t.app.services.workspaces.get(`slack:${TEAM}`)).settings);
        const before = await settings();
        await fc.assert(
          fc.asyncProperty(hostileText, async (text) => {
            const from = sent.length;
            const id = uid();
            const res = await t.command(text, {
              user_id: MALLORY.id,
              user_name: MALLORY.name,
              response_url: `${HOOKS}${responsePath(id)}`,
            });
            expect(res.status).toBeLessThan(500);
            await settle();
            const answers = [res.text, ...textsSince(from)].filter((s) => s.trim());
            expect(answers.length, 'an answer to the person').toBeGreaterThan(0);
            for (const said of answers) expect(internals(said, text)).toEqual([]);
          }),
          { numRuns: store.runs(RUNS * 2) },
        );
        await expectValidStore();
        // A plain member's `config …` lines (among the samples) changed no setting.
        expect(await settings()).toBe(before);
      });

      it('a plain member setting every setting to hostile values changes none of them', async () => {
        const before = JSON.stringify(
          (await t.app.services.workspaces.get(`slack:${TEAM}`)).settings,
        );
        const setting = fc.constantFrom(
          'config triage',
          'config emoji',
          'config admins',
          'config council members',
          'config council sponsor',
          'config council ballots',
          'config council quorum',
          'config council threshold',
          'config council window',
          'config digest channel',
          'config digest',
          'config retention',
          'config timezone',
          'config ai',
          'improvement sponsor',
        );
        await fc.assert(
          fc.asyncProperty(
            setting,
            fc.oneof(
              hostileText,
              fc.constantFrom('off', 'secret', '1', '<@U0MALLORY>', '<#C0X|x>'),
            ),
            async (command, value) => {
              const from = sent.length;
              const res = await t.command(`${command} ${value}`, {
                user_id: MALLORY.id,
                user_name: MALLORY.name,
                response_url: `${HOOKS}${responsePath(uid())}`,
              });
              expect(res.status).toBeLessThan(500);
              await settle();
              for (const said of [res.text, ...textsSince(from)])
                expect(internals(said, value)).toEqual([]);
            },
          ),
          { numRuns: store.runs(RUNS * 2) },
        );
        expect(
          JSON.stringify((await t.app.services.workspaces.get(`slack:${TEAM}`)).settings),
        ).toBe(before);
      });

      it('a crafted block action for every action id, with hostile values, from a plain member: refused or harmless, never a 5xx', async () => {
        const ids = [...new Set([...listenerIds().actions, OVERFLOW_ACTION])];
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...ids),
            hostileValue,
            fc.boolean(),
            fc.constantFrom<'message' | 'view'>('message', 'view'),
            async (actionId, value, select, container) => {
              const before = await domain();
              const from = sent.length;
              const res = await t.interaction(
                blockAction(
                  MALLORY,
                  { action_id: actionId, ...(select ? { selected: value } : { value }) },
                  { container, responseUrlId: uid() },
                ),
              );
              expect(res.status, actionId).toBeLessThan(500);
              await settle();
              // A form may quote what the store holds, typed by earlier runs: Mallory's own pebble
              // titled "P-NaN" prefills the form of "add details" for that pebble.
              for (const said of textsSince(from))
                expect(
                  internals(said, value + before),
                  `${actionId} said: ${said.slice(0, 600)}`,
                ).toEqual([]);
              const overflowOpen =
                actionId === OVERFLOW_ACTION && [...OPEN_ACTIONS].some((a) => value.startsWith(a));
              if (!OPEN_ACTIONS.has(actionId) && !overflowOpen)
                expect(
                  await domain(),
                  `${actionId} ${JSON.stringify(value)} changed the store`,
                ).toBe(before);
            },
          ),
          { numRuns: store.runs(RUNS * 8) },
        );
        await expectValidStore();
      });

      it('a submission of every form with hostile fields and metadata: never a 5xx, privileged forms change nothing', async () => {
        const views = [...new Set(listenerIds().views)];
        const fieldNames = [
          'title',
          'description',
          'reason',
          'of',
          'note',
          'date',
          'owner',
          'members',
          'ballots',
          'v',
          'anonymous',
          'stakeholder',
          'severity',
          'journey',
          'quorum',
          'threshold',
        ];
        const element = fc.oneof(
          hostileText.map((value) => ({ type: 'plain_text_input', value })),
          hostileText.map((value) => ({ type: 'datepicker', selected_date: value })),
          hostileText.map((value) => ({ type: 'static_select', selected_option: { value } })),
          hostileText.map((value) => ({ type: 'users_select', selected_user: value })),
          fc
            .array(hostileText, { maxLength: 3 })
            .map((v) => ({ type: 'multi_users_select', selected_users: v })),
          fc.constant({ type: 'plain_text_input', value: null }),
          fc.jsonValue().map((v) => ({ type: 'plain_text_input', value: v })),
        );
        const values = fc.dictionary(
          fc.oneof(fc.constantFrom(...fieldNames), fc.string({ maxLength: 12 })),
          fc.dictionary(
            fc.oneof(fc.constantFrom(...fieldNames), fc.string({ maxLength: 12 })),
            element,
            {
              minKeys: 1,
              maxKeys: 2,
            },
          ),
          { maxKeys: 5 },
        );
        const metadata = fc.oneof(
          hostileText,
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc
            .record({
              n: fc.oneof(fc.integer(), hostileText),
              v: fc.integer(),
              k: hostileText,
              c: hostileText,
            })
            .map((v) => JSON.stringify(v)),
        );
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...views),
            values,
            metadata,
            async (callbackId, state, meta) => {
              const before = await domain();
              const from = sent.length;
              const res = await t.interaction(
                viewSubmission(MALLORY, {
                  callback_id: callbackId,
                  private_metadata: meta,
                  values: state,
                }),
              );
              expect(res.status, callbackId).toBeLessThan(500);
              await settle();
              const input = `${meta}${JSON.stringify(state)}`;
              for (const said of [res.text, ...textsSince(from)])
                expect(internals(said, input), callbackId).toEqual([]);
              // Reporting is anyone's; every other form is an admin's, triager's, owner's or sponsor's.
              if (callbackId !== 'pebble_report')
                expect(await domain(), `${callbackId} changed the store`).toBe(before);
            },
          ),
          { numRuns: store.runs(RUNS * 5) },
        );
        await expectValidStore();
      });

      it('events with hostile text and fields: acknowledged, never a 5xx, the app keeps serving', async () => {
        const event = fc.oneof(
          hostileText.map((text) => ({
            type: 'app_mention',
            user: MALLORY.id,
            text: `<@${BOT_USER}> ${text}`,
            channel: CHANNEL,
            ts: `${Date.now() / 1000}`,
            event_ts: `${Date.now() / 1000}`,
          })),
          fc.tuple(hostileText, hostileText).map(([reaction, ts]) => ({
            type: 'reaction_added',
            user: MALLORY.id,
            reaction,
            item: { type: 'message', channel: CHANNEL, ts },
            item_user: alice.id,
            event_ts: `${Date.now() / 1000}`,
          })),
          hostileText.map((tab) => ({
            type: 'app_home_opened',
            user: MALLORY.id,
            channel: 'D0MALLORY',
            tab,
            event_ts: `${Date.now() / 1000}`,
          })),
          fc.array(hostileText, { maxLength: 4 }).map((users) => ({
            type: 'subteam_members_changed',
            subteam_id: 'S0COUNCIL',
            added_users: users,
            removed_users: [],
            event_ts: `${Date.now() / 1000}`,
          })),
          fc
            .jsonValue()
            .map((v) => ({ type: 'app_mention', user: MALLORY.id, text: v, channel: v })),
        );
        // The settle window also catches late work of earlier events (a triage card, a thread
        // reply): what they say may quote any text sent so far, e.g. a title "P-NaN".
        let inputs = '';
        await fc.assert(
          fc.asyncProperty(event, async (e) => {
            const from = sent.length;
            const res = await t.event(e);
            expect(res.status).toBe(200);
            await settle();
            inputs += JSON.stringify(e);
            for (const said of textsSince(from)) expect(internals(said, inputs)).toEqual([]);
          }),
          { numRuns: store.runs(RUNS * 3) },
        );
        expect((await fetch(t.url.replace('/slack/events', '/healthz'))).status).toBe(200);
        await expectValidStore();
      });

      it('shortcuts and options requests with hostile content: never a 5xx, nothing written for options', async () => {
        const { shortcuts } = listenerIds();
        // As for events: late work of an earlier run may quote its text (a title "P-NaN").
        let inputs = '';
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...shortcuts, 'retired_shortcut'),
            hostileText,
            async (callbackId, text) => {
              const from = sent.length;
              const res = await t.interaction({
                type: callbackId === 'report_pebble' ? 'shortcut' : 'message_action',
                callback_id: callbackId,
                trigger_id: `trigger-${uid()}`,
                team: { id: TEAM, domain: 'acme' },
                user: { id: MALLORY.id, username: MALLORY.name, team_id: TEAM },
                channel: { id: CHANNEL, name: 'general' },
                message: { type: 'message', user: alice.id, ts: `${Date.now() / 1000}`, text },
                message_ts: `${Date.now() / 1000}`,
                response_url: `${HOOKS}${responsePath(uid())}`,
                action_ts: `${Date.now() / 1000}`,
              });
              expect(res.status).toBeLessThan(500);
              await settle();
              inputs += text;
              for (const said of textsSince(from)) expect(internals(said, inputs)).toEqual([]);
            },
          ),
          { numRuns: store.runs(RUNS * 2) },
        );
        // Pebblebot offers no external select: an options request is refused, never served.
        await fc.assert(
          fc.asyncProperty(hostileText, hostileText, async (actionId, value) => {
            const before = await domain();
            const res = await t.interaction({
              type: 'block_suggestion',
              action_id: actionId,
              block_id: 'b1',
              value,
              team: { id: TEAM, domain: 'acme' },
              user: { id: MALLORY.id, team_id: TEAM },
            });
            expect(res.status).toBeLessThan(500);
            expect(await domain()).toBe(before);
          }),
          { numRuns: store.runs(RUNS) },
        );
      });
    },
  );
