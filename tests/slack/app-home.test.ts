import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/core/workspaces/workspace.model.js';
import { ACTIONS } from '../../src/views/actions.js';
import {
  alice,
  blockAction,
  bob,
  eventually,
  recordSlack,
  startSlackApp,
  TEAM,
  TRIAGE,
  uid,
  viewSubmission,
  type Recorded,
  type SlackTestApp,
} from './harness.js';

/**
 * App Home through the real entry point: app_home_opened → views.publish, the checklist's and
 * the settings' buttons (block_actions from the Home tab) → views.open, the forms
 * (view_submission) → the store, the audit log and a republished Home tab.
 */

const ADA = { id: 'U0ADA', name: 'ada' };
const ADMINS = new Set([ADA.id]);

type Block = {
  type: string;
  text?: { text: string };
  accessory?: { action_id: string; value?: string; text?: { text: string } };
  elements?: { action_id?: string; value?: string; text?: { text: string } | string }[];
};

let t: SlackTestApp;
let calls: Recorded[];

beforeEach(async () => {
  t = await startSlackApp();
  // ada is a workspace admin.
  calls = recordSlack({
    user: (id) => ({ name: id.slice(2).toLowerCase(), is_admin: ADMINS.has(id) }),
  });
});
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
  nock.cleanAll();
});

/** Opens the Home tab as `user` and returns the blocks published. */
async function openHome(user: { id: string }): Promise<Block[]> {
  const from = calls.length;
  await t.event({
    type: 'app_home_opened',
    user: user.id,
    channel: 'D0',
    tab: 'home',
    event_ts: '1.1',
  });
  const call = await eventually(() =>
    calls.slice(from).find((c) => c.method === 'views.publish' && c.body.user_id === user.id),
  );
  return (call.body.view as { blocks: Block[] }).blocks;
}

/** Waits for the next call of a method after `from`. */
function next(method: string, from: number, where: (c: Recorded) => boolean = () => true) {
  return eventually(() =>
    calls
      .slice(from)
      .find((c) => (c.method === method || c.method.startsWith(`${method} `)) && where(c)),
  );
}

/** Clicks a button on the Home tab. */
async function click(user: { id: string; name: string }, actionId: string, value?: string) {
  const res = await t.interaction(
    blockAction(user, { action_id: actionId, ...(value ? { value } : {}) }, { container: 'view' }),
  );
  expect(res.status).toBe(200);
}

/** Submits a form (view_submission) and returns Slack's acknowledgement body. */
async function submit(
  user: { id: string; name: string },
  callbackId: string,
  values: Record<string, Record<string, unknown>>,
): Promise<string> {
  const res = await t.interaction(
    viewSubmission(user, { callback_id: callbackId, private_metadata: '{"n":0}', values }),
  );
  expect(res.status).toBe(200);
  return res.text;
}

const text = (value: string) => ({ v: { type: 'plain_text_input', value } });
const pick = (value: string) => ({ v: { type: 'static_select', selected_option: { value } } });
const conversation = (id: string) => ({
  v: { type: 'conversations_select', selected_conversation: id },
});
const users = (ids: string[]) => ({ v: { type: 'multi_users_select', selected_users: ids } });
const number = (value: string) => ({ v: { type: 'number_input', value } });
const box = (on: boolean) => ({
  v: { type: 'checkboxes', selected_options: on ? [{ value: 'yes' }] : [] },
});

const texts = (blocks: Block[]) => JSON.stringify(blocks);
const workspace = async (): Promise<Workspace> =>
  (await t.app.services.store.workspaces.get(`slack:${TEAM}`))!;

describe('Slack App Home for an admin', () => {
  it('starts with the setup checklist; each button opens its form, and what is saved is ticked and audited', async () => {
    const fresh = await openHome(ADA);
    expect(fresh).toMatchSnapshot('admin, fresh install');
    const home = texts(fresh);
    expect(home).toContain('Set up Pebblebot');
    // The harness runs with BALLOT_SECRET set: secret ballots work, so that item is done.
    expect(home).toContain('1 of 5 done');
    expect(home).toContain(':white_large_square: *To do* · *Triage channel*');
    expect(home).toContain(':white_check_mark: *Done* · *Ballot secrecy*');
    expect(home.indexOf('Set up Pebblebot')).toBeLessThan(home.indexOf('Your pebbles'));
    expect(home.indexOf('Your pebbles')).toBeLessThan(home.indexOf('Settings (admins)'));

    // The checklist's triage button opens the triage form.
    let from = calls.length;
    await click(ADA, ACTIONS.settingsEdit, 'triage');
    const opened = await next('views.open', from);
    const modal = opened.body.view as { callback_id: string; blocks: Block[] };
    expect(modal.callback_id).toBe('settings_triage');
    expect(JSON.stringify(modal.blocks)).toContain('conversations_select');

    // A bad emoji name stays in the form with a sentence; nothing is written.
    const before = JSON.stringify((await workspace()).settings);
    const refused = await submit(ADA, 'settings_triage', {
      channel: conversation(TRIAGE),
      emoji: text('not an emoji'),
    });
    expect(JSON.parse(refused)).toEqual({
      response_action: 'errors',
      errors: { emoji: 'An emoji name like rock or thumbsup, without spaces.' },
    });
    expect(JSON.stringify((await workspace()).settings)).toBe(before);

    from = calls.length;
    expect(
      await submit(ADA, 'settings_triage', {
        channel: conversation(TRIAGE),
        emoji: text(':pebble:'),
      }),
    ).toBe('');
    const republished = await next('views.publish', from);
    const after = texts((republished.body.view as { blocks: Block[] }).blocks);
    expect(after).toContain('2 of 5 done');
    expect(after).toContain(':white_check_mark: *Done* · *Triage channel*');
    expect((await workspace()).settings).toMatchObject({
      triageChannel: TRIAGE,
      reactionEmoji: 'pebble',
    });
    await next('conversations.join', from, (c) => c.body.channel === TRIAGE);
    const dm = await next('chat.postMessage', from, (c) => c.body.channel === ADA.id);
    expect(JSON.stringify(dm.body)).toContain('recorded in the audit log');
    const audit = await t.app.services.store.audit.list(`slack:${TEAM}`);
    expect(audit.items[0]).toMatchObject({
      actor: ADA.id,
      action: 'settings',
      what: 'triageChannel, reactionEmoji',
      before: '{"triageChannel":null,"reactionEmoji":"rock"}',
      after: `{"triageChannel":"${TRIAGE}","reactionEmoji":"pebble"}`,
    });

    // The council items open the council form; the digest item its own.
    from = calls.length;
    await click(ADA, ACTIONS.councilSettings);
    await click(ADA, ACTIONS.settingsEdit, 'digest');
    await eventually(() => calls.slice(from).filter((c) => c.method === 'views.open').length === 2);
    const ids = calls
      .slice(from)
      .filter((c) => c.method === 'views.open')
      .map((c) => (c.body.view as { callback_id: string }).callback_id)
      .sort();
    expect(ids).toEqual(['council_settings', 'settings_digest']);
  });

  it('collapses a configured workspace to a summary with Edit buttons, audit log and API tokens', async () => {
    const { services } = t.app;
    let ws = await services.workspaces.ensure('slack', TEAM);
    const admin = { userId: ADA.id, platformAdmin: true };
    ws = (
      await services.council.configure(ws, admin, {
        members: [
          { userId: 'U0MIA', name: 'mia' },
          { userId: 'U0NOAH', name: 'noah' },
        ],
        channel: 'C0COUNCIL',
        sponsor: 'U0VERA',
      })
    ).workspace;
    await services.workspaces.updateSettings(ws, admin, {
      triageChannel: TRIAGE,
      digest: { ...ws.settings.digest, leaders: ['U0VERA'], channel: 'C0LEADERS' },
    });
    const blocks = await openHome(ADA);
    expect(blocks).toMatchSnapshot('admin, configured');
    const home = texts(blocks);
    expect(home).not.toContain('Set up Pebblebot');
    expect(home).toContain('Setup complete');
    const edits = blocks
      .filter((b) => b.accessory?.action_id === ACTIONS.settingsEdit)
      .map((b) => b.accessory!.value);
    expect(edits).toEqual(['triage', 'stages', 'nudges', 'digest', 'workspace']);
    const buttons = blocks.flatMap((b) => b.elements ?? []).map((e) => e.action_id);
    expect(buttons).toEqual(
      expect.arrayContaining([ACTIONS.auditLog, ACTIONS.apiTokens, ACTIONS.report]),
    );
  });

  it('saves every settings form, refusing bad values in the form and auditing what changed', async () => {
    await openHome(ADA);
    const ws = async () => (await workspace()).settings;

    // Workspace: an unknown time zone is refused next to its field.
    const bad = JSON.parse(
      await submit(ADA, 'settings_workspace', {
        timezone: text('Mars/Olympus'),
        retention: text(''),
        admins: users([]),
      }),
    ) as { errors: Record<string, string> };
    expect(bad.errors.timezone).toMatch(/"Mars\/Olympus" is not a time zone/);
    expect((await ws()).timezone).toBe('UTC');
    expect(
      JSON.parse(
        await submit(ADA, 'settings_workspace', {
          timezone: text('Europe/Berlin'),
          retention: text('10y10'),
          admins: users([]),
        }),
      ),
    ).toMatchObject({ errors: { retention: expect.stringMatching(/30 days to 10 years/) } });
    expect(
      await submit(ADA, 'settings_workspace', {
        timezone: text('Europe/Berlin'),
        retention: text('2y'),
        admins: users([bob.id]),
      }),
    ).toBe('');
    expect(await ws()).toMatchObject({
      timezone: 'Europe/Berlin',
      retentionDays: 730,
      admins: [bob.id],
    });

    // Nudges.
    expect(
      JSON.parse(
        await submit(ADA, 'settings_nudges', {
          every: number('0'),
          daily: number('3'),
          quietStart: text('7pm'),
          quietEnd: text('08:00'),
          weekends: box(true),
          escalate: number('3'),
        }),
      ),
    ).toEqual({
      response_action: 'errors',
      errors: { every: 'A whole number from 1 to 30.', quietStart: 'A time like 19:00.' },
    });
    expect(
      await submit(ADA, 'settings_nudges', {
        every: number('5'),
        daily: number('2'),
        quietStart: text('20:00'),
        quietEnd: text('7:30'),
        weekends: box(false),
        escalate: number('4'),
      }),
    ).toBe('');
    expect((await ws()).nudges).toEqual({
      checkInEveryDays: 5,
      dailyFromDaysBefore: 2,
      quietStart: '20:00',
      quietEnd: '07:30',
      skipWeekends: false,
      escalateAfterDays: 4,
    });

    // Digest: schedule and recipients.
    expect(
      await submit(ADA, 'settings_digest', {
        enabled: box(true),
        day: pick('5'),
        time: text('16:30'),
        channel: conversation('C0LEADERS'),
        leaders: users(['U0VERA', 'U0VERA']),
      }),
    ).toBe('');
    expect((await ws()).digest).toEqual({
      enabled: true,
      day: 5,
      time: '16:30',
      channel: 'C0LEADERS',
      leaders: ['U0VERA'],
    });

    // Stages: a form missing what its action needs is refused per field.
    expect(JSON.parse(await submit(ADA, 'settings_stages', { action: pick('rename') }))).toEqual({
      response_action: 'errors',
      errors: { stage: 'Pick the stage to rename.', name: 'Give its new name.' },
    });
    expect(
      await submit(ADA, 'settings_stages', {
        action: pick('add'),
        stage: pick('customer/use'),
        name: text('Upgrade'),
      }),
    ).toBe('');
    expect(
      await submit(ADA, 'settings_stages', { action: pick('retire'), stage: pick('customer/buy') }),
    ).toBe('');
    const stages = (await ws()).journeys[0]!.stages;
    expect(stages.map((s) => s.key)).toEqual([
      'discover',
      'buy',
      'onboard',
      'use',
      'upgrade',
      'get-help',
      'renew-or-leave',
    ]);
    expect(stages.find((s) => s.key === 'buy')!.retired).toBe(true);

    // Each accepted change is one audit entry with its values before and after.
    const audit = (await t.app.services.store.audit.list(`slack:${TEAM}`)).items;
    expect(audit.map((e) => e.what)).toEqual([
      'journeys',
      'journeys',
      'digest',
      'nudges',
      'timezone, admins, retentionDays',
    ]);
    expect(audit.every((e) => e.actor === ADA.id && e.at instanceof Date)).toBe(true);
    expect(audit.at(-1)).toMatchObject({
      before: '{"timezone":"UTC","admins":[],"retentionDays":null}',
      after: `{"timezone":"Europe/Berlin","admins":["${bob.id}"],"retentionDays":730}`,
    });

    // The retired stage is not offered for new reports, but its pebbles keep the label.
    const from = calls.length;
    await click(ADA, ACTIONS.report);
    const report = await next('views.open', from);
    const offered = JSON.stringify(report.body.view);
    expect(offered).toContain('Upgrade');
    expect(offered).not.toContain('"Buy"');
  });

  it('turns AI off from the Home tab, audited, and shows the new state', async () => {
    await openHome(ADA);
    const from = calls.length;
    await click(ADA, ACTIONS.settingsAi, 'off');
    const republished = await next('views.publish', from);
    expect(texts((republished.body.view as { blocks: Block[] }).blocks)).toContain(
      '*AI suggestions and summaries* · off',
    );
    expect((await workspace()).settings.aiEnabled).toBe(false);
    const [entry] = (await t.app.services.store.audit.list(`slack:${TEAM}`)).items;
    expect(entry).toMatchObject({
      actor: ADA.id,
      what: 'aiEnabled',
      before: '{"aiEnabled":true}',
      after: '{"aiEnabled":false}',
    });
  });

  it('browses the audit log page by page from the Home tab', async () => {
    const { services } = t.app;
    const ws = await services.workspaces.ensure('slack', TEAM);
    const admin = { userId: ADA.id, platformAdmin: true };
    for (let i = 1; i <= 12; i++)
      await services.workspaces.updateSettings(ws, admin, { reactionEmoji: `emoji${i}` });
    let from = calls.length;
    await click(ADA, ACTIONS.auditLog, '1');
    const first = await next('chat.postMessage', from, (c) => c.body.channel === ADA.id);
    const page1 = JSON.stringify(first.body);
    expect(page1).toContain('Audit log · page 1 of 2');
    expect(page1).toContain('emoji12');
    expect(page1).not.toContain('emoji1\\"');
    // Older turns the page in place (the message's response_url).
    from = calls.length;
    const urlId = uid();
    await t.interaction(
      blockAction(ADA, { action_id: ACTIONS.auditLog, value: '2' }, { responseUrlId: urlId }),
    );
    const second = await next('respond', from);
    expect(second.body.replace_original).toBe(true);
    expect(JSON.stringify(second.body)).toContain('Audit log · page 2 of 2');
    expect(JSON.stringify(second.body)).toContain('emoji1\\"');
  });

  it('creates an API token shown once to that admin, lists it and revokes it', async () => {
    await openHome(ADA);
    let from = calls.length;
    await click(ADA, ACTIONS.apiTokens);
    const empty = await next('chat.postMessage', from, (c) => c.body.channel === ADA.id);
    expect(JSON.stringify(empty.body)).toContain('No API token yet');
    expect(JSON.stringify(empty.body)).toContain(ACTIONS.apiTokenCreate);

    from = calls.length;
    await click(ADA, ACTIONS.apiTokenCreate);
    const form = await next('views.open', from);
    expect((form.body.view as { callback_id: string }).callback_id).toBe('settings_api_token');
    expect(await submit(ADA, 'settings_api_token', { name: text('power-bi') })).toBe('');
    const shown = await next('chat.postMessage', from, (c) => c.body.channel === ADA.id);
    const token = /pbt_[A-Za-z0-9_-]+/.exec(JSON.stringify(shown.body))![0];
    expect(token.length).toBeGreaterThanOrEqual(20);
    const [record] = await t.app.services.store.apiTokens.list(`slack:${TEAM}`);
    expect(record).toMatchObject({ name: 'power-bi', createdBy: ADA.id });
    // Only its hash is stored; the token itself never again appears in Slack.
    expect(JSON.stringify(record)).not.toContain(token);

    from = calls.length;
    await click(ADA, ACTIONS.apiTokens);
    const list = await next('chat.postMessage', from, (c) => c.body.channel === ADA.id);
    const listed = JSON.stringify(list.body);
    expect(listed).toContain(record!.id);
    expect(listed).toContain(ACTIONS.apiTokenRevoke);
    expect(listed).not.toContain(token);
    expect(listed).toContain('"confirm"');

    from = calls.length;
    await click(ADA, ACTIONS.apiTokenRevoke, record!.id);
    const revoked = await next('chat.postMessage', from, (c) => c.body.channel === ADA.id);
    expect(JSON.stringify(revoked.body)).toContain('is revoked');
    expect(await t.app.services.governance.authenticate(token)).toBeNull();
  });
});

describe('Slack App Home for a member', () => {
  it('lists their own pebbles and what happened to them first, stages with open pebbles only, and settings as a summary', async () => {
    const { services } = t.app;
    const ws = await services.workspaces.ensure('slack', TEAM);
    const admin = { userId: ADA.id, platformAdmin: true };
    const reporter = { userId: alice.id, name: alice.name };
    const report = async (text: string, stage?: string) =>
      (
        await services.pebbles.report(
          ws,
          reporter,
          { text, ...(stage ? { journey: 'customer', stage } : {}) },
          { kind: 'slash' },
        )
      ).pebble;
    await report('Checkout asks for the address twice', 'buy');
    const declined = await report('The mascot is too cheerful', 'use');
    await services.pebbles.decline(ws, admin, declined.number, 'Marketing owns the mascot');
    await report('Invoices arrive as images');
    await services.pebbles.report(
      ws,
      { userId: bob.id, name: bob.name },
      { text: 'Onboarding emails come in German', journey: 'customer', stage: 'onboard' },
      { kind: 'slash' },
    );
    await services.pebbles.support(ws, reporter, 4);

    const blocks = await openHome(alice);
    expect(blocks).toMatchSnapshot('member');
    const home = texts(blocks);
    expect(home).not.toContain('Set up Pebblebot');
    expect(home).not.toContain('Settings (admins)');
    expect(home).not.toContain(ACTIONS.settingsEdit);
    expect(home).toContain('How Pebblebot is set up here');
    expect(home).toContain('Declined: Marketing owns the mascot');
    expect(home).toContain('Waiting for triage.');
    // Own pebbles come before everything else people see on the tab.
    expect(home.indexOf('Your pebbles')).toBeLessThan(home.indexOf('Pebbles you supported'));
    expect(home.indexOf('Pebbles you supported')).toBeLessThan(
      home.indexOf('Open pebbles by journey stage'),
    );
    // Only stages with open pebbles are listed: Buy, Onboard, and those with no stage yet.
    expect(home).toContain('*Buy*: 1 open');
    expect(home).toContain('*Onboard*: 1 open');
    expect(home).toContain('*No stage yet*: 1 open');
    for (const quiet of ['*Discover*', '*Use*', '*Get help*', '*Renew or leave*'])
      expect(home).not.toContain(quiet);
  });
});
