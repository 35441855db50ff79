import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/core/workspaces/workspace.model.js';
import { listenerIds } from '../../src/slack/listeners/index.js';
import { ACTIONS, OVERFLOW_ACTION, type ActionId } from '../../src/views/actions.js';
import {
  alice,
  blockAction,
  eventually,
  recordSlack,
  startSlackApp,
  TEAM,
  uid,
  viewSubmission,
  type Recorded,
  type SlackTestApp,
} from './harness.js';

/**
 * A plain member (no admin, not on the council, not the sponsor, owner, reporter or supporter)
 * crafts every privileged button and form payload by hand. Each must be refused in a sentence
 * they can read, with nothing changed in the store: the rights live in core, so a payload
 * nobody rendered for them meets the same check as a click.
 */

const MALLORY = { id: 'U0MALLORY', name: 'mallory' };
const ADMIN = { userId: 'U0ADMIN', platformAdmin: true };
const VERA = { userId: 'U0VERA', name: 'vera' };
const DAVE = { userId: 'U0DAVE', name: 'dave' };
const COUNCIL = 'C0COUNCIL';

type ActionCase =
  { open: string } | { value?: string; selected?: string; container?: 'view' | 'message' };

/**
 * Every action id of the catalogue: a crafted payload, or why a plain member may use it. A new
 * action id without an entry fails the test (the Record type and the enumeration below).
 */
const ACTION_CASES: Record<ActionId, ActionCase> = {
  [ACTIONS.report]: { open: 'anyone reports a pebble' },
  [ACTIONS.show]: { open: 'anyone reads a pebble (anonymous reporters stay hidden)' },
  [ACTIONS.listPage]: { open: 'anyone pages through the list' },
  [ACTIONS.support]: { open: 'anyone gives a +1' },
  [ACTIONS.digestPreview]: { open: 'anyone previews the digest, as with /pebble digest' },
  // The reporter's own buttons, on alice's P-2.
  [ACTIONS.addDetails]: { value: '2' },
  [ACTIONS.toggleAnonymous]: { value: '2' },
  [ACTIONS.mergeInto]: { value: '2:1' },
  // Triage.
  [ACTIONS.setSeverity]: { selected: '2:4' },
  [ACTIONS.setStage]: { selected: '2:customer/buy' },
  [ACTIONS.setStakeholder]: { selected: '2:employee' },
  [ACTIONS.decline]: { value: '2' },
  [ACTIONS.markDuplicate]: { value: '2' },
  [ACTIONS.acceptSuggestion]: { value: '2' },
  [ACTIONS.confirmRecurrence]: { value: '2:1' },
  // The owner's buttons on I-1 (offered to dave) and the sponsor's.
  [ACTIONS.improvementAccept]: { value: '1' },
  [ACTIONS.improvementProposeDate]: { value: '1' },
  [ACTIONS.improvementDecline]: { value: '1' },
  [ACTIONS.improvementStatus]: { value: '1:blocked' },
  [ACTIONS.improvementSnooze]: { value: '1:1w' },
  [ACTIONS.improvementDone]: { value: '1' },
  [ACTIONS.improvementChangeDate]: { value: '1' },
  [ACTIONS.improvementExtend]: { value: '1' },
  [ACTIONS.improvementReassign]: { value: '1' },
  [ACTIONS.improvementDrop]: { value: '1' },
  // Close the loop on I-2 (done): only its reporters and supporters are asked.
  [ACTIONS.improvementFixedYes]: { value: '2' },
  [ACTIONS.improvementFixedNo]: { value: '2' },
  // The council (V-1 is open).
  [ACTIONS.councilBallot]: { value: '1:fix-now' },
  [ACTIONS.councilPropose]: { value: '2' },
  [ACTIONS.councilDecide]: { value: '1:fix-now' },
  [ACTIONS.councilWipDisplace]: { value: '1:1' },
  [ACTIONS.councilWipQueue]: { value: '1' },
  [ACTIONS.councilSettings]: { value: 'open', container: 'view' },
  [ACTIONS.councilReason]: { value: '1' },
  // The admins' settings on the Home tab.
  [ACTIONS.settingsEdit]: { value: 'triage' },
  [ACTIONS.settingsAi]: { value: 'off' },
  [ACTIONS.auditLog]: { value: '1' },
  [ACTIONS.apiTokens]: {},
  [ACTIONS.apiTokenCreate]: {},
  [ACTIONS.apiTokenRevoke]: { value: 'tok_1a2b3c4d' },
  [ACTIONS.openLink]: { open: 'a link button only opens a link' },
};

const text = (value: string) => ({ type: 'plain_text_input', value });
const date = (value: string) => ({ type: 'datepicker', selected_date: value });

/** Every menu Pebblebot fills as people type, and why a plain member may ask for it. */
const OPTIONS_CASES: Record<string, string> = {
  // Read-only: the titles `/pebble list` shows every member, of their own workspace only
  // (tests/slack/duplicate-search.test.ts); marking the duplicate is checked in core.
  search_open_pebbles: 'open pebbles of the caller’s workspace, as `list` shows any member',
};

/** Every form Pebblebot registers: crafted values, or why a plain member may submit it. */
const VIEW_CASES: Record<
  string,
  { open: string } | { metadata: string; values: Record<string, Record<string, unknown>> }
> = {
  pebble_report: { open: 'anyone reports; revising is the reporter’s, checked in reviseReport' },
  pebble_decline: { metadata: '{"n":2}', values: { reason: { reason: text('Not ours') } } },
  pebble_duplicate: { metadata: '{"n":2}', values: { of: { of: text('P-1') } } },
  improvement_propose_date: {
    metadata: '{"n":1}',
    values: { date: { date: date('2027-06-01') } },
  },
  improvement_decline: { metadata: '{"n":1}', values: { note: { note: text('Not me') } } },
  improvement_done: { metadata: '{"n":1}', values: {} },
  improvement_change_date: {
    metadata: '{"n":1}',
    values: { date: { date: date('2027-06-01') }, note: { note: text('Later') } },
  },
  improvement_extend: {
    metadata: '{"n":1}',
    values: { date: { date: date('2027-06-01') }, note: { note: text('Later') } },
  },
  improvement_reassign: {
    metadata: '{"n":1}',
    values: {
      owner: { owner: { type: 'users_select', selected_user: MALLORY.id } },
      date: { date: date('2027-06-01') },
    },
  },
  improvement_drop: { metadata: '{"n":1}', values: { note: { note: text('Pointless') } } },
  council_settings: {
    metadata: '',
    values: {
      members: { v: { type: 'multi_users_select', selected_users: [MALLORY.id] } },
      ballots: { v: { type: 'radio_buttons', selected_option: { value: 'open' } } },
    },
  },
  council_reason: { metadata: '{"v":1}', values: { reason: { v: text('Because') } } },
  settings_triage: {
    metadata: '{"n":0}',
    values: {
      channel: { v: { type: 'conversations_select', selected_conversation: 'C0EVIL' } },
      emoji: { v: text('skull') },
    },
  },
  settings_stages: {
    metadata: '{"n":0}',
    values: {
      action: { v: { type: 'static_select', selected_option: { value: 'retire' } } },
      stage: { v: { type: 'static_select', selected_option: { value: 'customer/buy' } } },
    },
  },
  settings_nudges: {
    metadata: '{"n":0}',
    values: {
      every: { v: { type: 'number_input', value: '1' } },
      daily: { v: { type: 'number_input', value: '30' } },
      quietStart: { v: text('00:00') },
      quietEnd: { v: text('00:01') },
      weekends: { v: { type: 'checkboxes', selected_options: [] } },
      escalate: { v: { type: 'number_input', value: '1' } },
    },
  },
  settings_digest: {
    metadata: '{"n":0}',
    values: {
      enabled: { v: { type: 'checkboxes', selected_options: [] } },
      day: { v: { type: 'static_select', selected_option: { value: '3' } } },
      time: { v: text('03:00') },
      leaders: { v: { type: 'multi_users_select', selected_users: [MALLORY.id] } },
    },
  },
  settings_workspace: {
    metadata: '{"n":0}',
    values: {
      timezone: { v: text('Asia/Tokyo') },
      retention: { v: text('30d') },
      admins: { v: { type: 'multi_users_select', selected_users: [MALLORY.id] } },
    },
  },
  settings_api_token: { metadata: '{"n":0}', values: { name: { v: text('exfiltrate') } } },
};

let t: SlackTestApp;
let calls: Recorded[];
let ws: Workspace;

/** Everything a refused action must leave as it was. */
async function snapshot(): Promise<string> {
  const { store } = t.app.services;
  const all = { limit: 1_000 } as const;
  const votes = (await store.votes.list(ws.id, {}, all)).items;
  return JSON.stringify({
    workspace: await store.workspaces.get(ws.id),
    pebbles: (await store.pebbles.list(ws.id, {}, all)).items,
    improvements: (await store.improvements.list(ws.id, {}, all)).items,
    votes,
    ballots: await Promise.all(votes.map((v) => store.ballots.list(v.id))),
    outbox: await store.outbox.count(),
  });
}

/**
 * alice reported P-1 (in council as V-1, open), P-2 (new), P-3 (I-1, offered to dave) and P-4
 * (I-2, done by dave). The council is two members with vera as sponsor; open ballots.
 */
async function seed(): Promise<void> {
  const { services } = t.app;
  ws = await services.workspaces.ensure('slack', TEAM);
  ({ workspace: ws } = await services.council.configure(ws, ADMIN, {
    members: [
      { userId: 'U0MIA', name: 'mia' },
      { userId: 'U0NOAH', name: 'noah' },
    ],
    channel: COUNCIL,
    sponsor: VERA.userId,
    secret: false,
  }));
  const reporter = { userId: alice.id, name: alice.name };
  const report = async (title: string) =>
    (
      await services.pebbles.report(
        ws,
        reporter,
        { text: title, severity: 3, journey: 'customer', stage: 'buy' },
        { kind: 'slash' },
      )
    ).pebble.number;
  const p1 = await report('Checkout asks for the address twice');
  await report('Invoices arrive as images');
  const p3 = await report('Refunds take three weeks');
  const p4 = await report('Password reset mails land in spam');
  for (const n of [p1, p3, p4]) await services.pebbles.transition(ws, ADMIN, n, 'triaged');
  await services.council.propose(ws, ADMIN, [p1]);
  const i1 = await services.improvements.createFromPebbles(ws, ADMIN, {
    title: 'Faster refunds',
    pebbleNumbers: [p3],
  });
  await services.improvements.assign(ws, ADMIN, i1.number, {
    ownerId: DAVE.userId,
    promisedDate: '2099-01-01',
  });
  const i2 = await services.improvements.createFromPebbles(ws, ADMIN, {
    title: 'Mail deliverability',
    pebbleNumbers: [p4],
  });
  await services.improvements.assign(ws, ADMIN, i2.number, {
    ownerId: DAVE.userId,
    promisedDate: '2099-01-01',
  });
  await services.improvements.accept(ws, DAVE, i2.number);
  await services.improvements.complete(ws, DAVE, i2.number);
}

/** The store once the seed's own messages and vote refreshes have settled. */
async function settled(): Promise<string> {
  let last = await snapshot();
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    const next = await snapshot();
    if (next === last) return next;
    last = next;
  }
}

/** Messages the member can read: answers on response_urls, DMs and ephemeral messages. */
function toMember(from: number): string[] {
  return calls
    .slice(from)
    .filter(
      (c) =>
        c.method.startsWith('respond ') ||
        (c.method === 'chat.postMessage' && c.body.channel === MALLORY.id) ||
        (c.method === 'chat.postEphemeral' && c.body.user === MALLORY.id),
    )
    .map((c) => JSON.stringify([c.body.text ?? '', c.body.blocks ?? []]));
}

const REFUSAL = /only|not offered|not a member|are asked/i;

beforeEach(async () => {
  t = await startSlackApp();
  // Nobody is an admin; every call goes to the privacy scan.
  calls = recordSlack({
    user: (id) => ({ name: id.toLowerCase(), is_admin: false }),
    scan: true,
  });
  await seed();
});
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
  nock.cleanAll();
});

describe('Slack: a plain member crafting privileged payloads', () => {
  it('has a case for every action id and every registered form', () => {
    const ids = listenerIds();
    expect(Object.keys(ACTION_CASES).sort()).toEqual([...Object.values(ACTIONS)].sort());
    // The overflow menu is a carrier: each option names an action id of the catalogue.
    expect([...new Set(ids.actions)].sort()).toEqual(
      [...Object.values(ACTIONS), OVERFLOW_ACTION].sort(),
    );
    expect(Object.keys(OPTIONS_CASES).sort()).toEqual([...new Set(ids.options)].sort());
    expect(Object.keys(VIEW_CASES).sort()).toEqual([...new Set(ids.views)].sort());
  });

  it('is refused every button an admin, triager, sponsor, owner, reporter or council member uses, and nothing changes', async () => {
    const before = await settled();
    const refused: string[] = [];
    for (const [actionId, spec] of Object.entries(ACTION_CASES)) {
      if ('open' in spec) continue;
      const from = calls.length;
      const res = await t.interaction(
        blockAction(
          MALLORY,
          {
            action_id: actionId,
            ...(spec.value !== undefined ? { value: spec.value } : {}),
            ...(spec.selected !== undefined ? { selected: spec.selected } : {}),
          },
          { responseUrlId: uid(), ...(spec.container ? { container: spec.container } : {}) },
        ),
      );
      expect(res.status, actionId).toBe(200);
      const said = await eventually(() => toMember(from)[0], 5_000).catch(() => undefined);
      expect(said, `${actionId}: no answer`).toBeDefined();
      expect(said, actionId).toMatch(REFUSAL);
      expect(said, actionId).not.toMatch(/went wrong/i);
      expect(
        calls.slice(from).filter((c) => c.method === 'views.open'),
        `${actionId} opened a form`,
      ).toEqual([]);
      expect(await snapshot(), `${actionId} changed the store`).toBe(before);
      refused.push(actionId);
    }
    expect(refused.length).toBe(Object.values(ACTION_CASES).filter((c) => !('open' in c)).length);
  });

  it('is refused every form an admin, triager, sponsor, owner or council member submits, and nothing changes', async () => {
    const before = await settled();
    for (const [callbackId, spec] of Object.entries(VIEW_CASES)) {
      if ('open' in spec) continue;
      const from = calls.length;
      const res = await t.interaction(
        viewSubmission(MALLORY, {
          callback_id: callbackId,
          private_metadata: spec.metadata,
          values: spec.values,
        }),
      );
      expect(res.status, callbackId).toBe(200);
      // A refusal shows in the form when it is still open, otherwise in a direct message.
      const inForm = res.text.includes('"response_action":"errors"') ? res.text : undefined;
      const said =
        inForm ?? (await eventually(() => toMember(from)[0], 5_000).catch(() => undefined));
      expect(said, `${callbackId}: no answer`).toBeDefined();
      expect(said, callbackId).toMatch(REFUSAL);
      expect(said, callbackId).not.toMatch(/went wrong/i);
      expect(await snapshot(), `${callbackId} changed the store`).toBe(before);
    }
  });
});
