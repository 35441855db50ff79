import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/core/workspaces/workspace.model.js';
import { ACTIONS } from '../../src/views/actions.js';
import {
  alice,
  API,
  blockAction,
  bob,
  carol,
  eventually,
  responsePath,
  startSlackApp,
  TEAM,
  uid,
  viewSubmission,
  type Call,
  type SlackTestApp,
} from './harness.js';
import { recordOutgoing } from '../helpers/privacy.js';

let t: SlackTestApp;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

const COUNCIL = 'C0COUNCIL';
const vera = { id: 'U0VERA', name: 'vera' };
const members = [
  { id: 'U0MIA', name: 'mia', fn: 'Product' },
  { id: 'U0NOAH', name: 'noah', fn: 'Support' },
  { id: 'U0OLGA', name: 'olga', fn: 'Sales' },
  { id: 'U0PAUL', name: 'paul', fn: 'Engineering' },
];
const m = (i: number) => ({ id: members[i]!.id, name: members[i]!.name });

const userInfo = (body: Record<string, unknown>) => ({
  user: { id: body.user, name: String(body.user).toLowerCase(), is_admin: body.user === carol.id },
});
const posted = (body: Record<string, unknown>) => ({
  channel: String(body.channel).startsWith('U')
    ? `D${String(body.channel).slice(1)}`
    : body.channel,
  ts: `${Math.floor(Date.now() / 1000)}.${uid().slice(-6).replace(/\D/g, '1')}`,
});

/** A Web API body, JSON or form-encoded (blocks arrive as a JSON string). */
function decode(body: unknown): { raw: string; body: Record<string, unknown> } {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  if (raw.startsWith('{')) return { raw, body: JSON.parse(raw) as Record<string, unknown> };
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw))
    out[key] = /^[[{]/.test(value) ? (JSON.parse(value) as unknown) : value;
  return { raw, body: out };
}

/** chat.update calls, however many the throttle lets through (recorded, not counted ahead). */
function recordUpdates(): (Call & { at: number })[] {
  const calls: (Call & { at: number })[] = [];
  nock(API)
    .post('/api/chat.update')
    .reply(200, (_uri, body) => {
      calls.push({ method: 'chat.update', ...decode(body), at: Date.now() });
      recordOutgoing('slack', 'chat.update', decode(body).body);
      return { ok: true, channel: COUNCIL, ts: '1.1' };
    })
    .persist();
  return calls;
}

const textOf = (call: Call | undefined) => JSON.stringify(call?.body.blocks ?? []);

async function seedCouncil(options: { secret?: boolean; sponsor?: boolean } = {}) {
  const { services } = t.app.services ? t.app : t.app;
  let ws: Workspace = await services.workspaces.ensure('slack', TEAM);
  ({ workspace: ws } = await services.council.configure(
    ws,
    { userId: carol.id, platformAdmin: true },
    {
      members: members.map((x) => ({ userId: x.id, name: x.name, function: x.fn })),
      channel: COUNCIL,
      secret: options.secret ?? true,
      ...(options.sponsor === false ? {} : { sponsor: vera.id }),
    },
  ));
  const { pebble } = await services.pebbles.report(
    ws,
    { userId: alice.id, name: alice.name },
    { text: 'Checkout asks for the address twice', severity: 3, journey: 'customer', stage: 'buy' },
    { kind: 'slash' },
  );
  await services.pebbles.support(ws, { userId: bob.id, name: bob.name }, pebble.number);
  await services.pebbles.transition(
    ws,
    { userId: carol.id, platformAdmin: true },
    pebble.number,
    'triaged',
  );
  return ws;
}

/** Proposes P-1 through the slash command, as a council member. */
async function propose(by = m(0)) {
  const id = uid();
  // A council member is known from the settings: no users.info for their role.
  t.slack
    .expect('chat.postMessage', posted, 3) // the vote, and the two "going to the council" DMs
    .expectRespond(responsePath(id));
  const res = await t.command('council propose P-1', {
    user_id: by.id,
    user_name: by.name,
    response_url: `https://hooks.slack.com${responsePath(id)}`,
  });
  expect(res.status).toBe(200);
  await t.slack.done();
  const vote = t.slack.of('chat.postMessage').find((c) => c.body.channel === COUNCIL)!;
  return vote;
}

async function ballot(user: { id: string; name: string }, value: string) {
  const id = uid();
  t.slack.expectRespond(responsePath(id));
  const res = await t.interaction(
    blockAction(
      user,
      { action_id: ACTIONS.councilBallot, value },
      { responseUrlId: id, channel: COUNCIL },
    ),
  );
  expect(res.status).toBe(200);
  return id;
}

describe('Slack: council settings', () => {
  it('lets admins configure the council with /pebble config council, and refuses others', async () => {
    t = await startSlackApp();
    const refused = uid();
    t.slack.expect('users.info', userInfo).expectRespond(responsePath(refused));
    await t.command('config council quorum 2', {
      user_id: bob.id,
      user_name: bob.name,
      response_url: `https://hooks.slack.com${responsePath(refused)}`,
    });
    await t.slack.done();
    expect(JSON.stringify(t.slack.of(`respond ${responsePath(refused)}`)[0]!.body)).toContain(
      'Only Pebblebot admins',
    );

    const ask = async (text: string, expectations: () => void = () => undefined) => {
      const id = uid();
      expectations();
      t.slack.expectRespond(responsePath(id));
      await t.command(`config council ${text}`, {
        user_id: carol.id,
        user_name: carol.name,
        response_url: `https://hooks.slack.com${responsePath(id)}`,
      });
      await t.slack.done();
      return JSON.stringify(t.slack.of(`respond ${responsePath(id)}`)[0]!.body);
    };
    expect(
      await ask('members <@U0MIA|mia> <@U0NOAH|noah> <@U0OLGA|olga>', () =>
        t.slack.expect('users.info', userInfo),
      ),
    ).toContain('Members (3): <@U0MIA>, <@U0NOAH>, <@U0OLGA>');
    expect(
      await ask(`channel <#${COUNCIL}|cx-council>`, () => t.slack.expect('conversations.join')),
    ).toContain(`Council channel: <#${COUNCIL}>`);
    expect(await ask('function <@U0MIA|mia> Product')).toContain('<@U0MIA> (Product)');
    expect(await ask('quorum 2')).toContain('Quorum: 2 ballots');
    expect(await ask('ballots open')).toContain('open (names shown after close)');
    expect(await ask('sponsor <@U0VERA|vera>')).toContain('Executive sponsor: <@U0VERA>');
    expect(await ask('threshold 40')).toContain('threshold');

    const ws = (await t.app.services.store.workspaces.get(`slack:${TEAM}`))!;
    expect(ws.settings.council).toMatchObject({ channel: COUNCIL, quorum: 2, secret: false });
    expect(ws.settings.sponsor).toBe(vera.id);
    expect(ws.history.filter((h) => h.action === 'council-settings')).toHaveLength(6);
  });
});

describe('Slack: council kept in sync with a user group', () => {
  it('takes the members of the group when set, and again when the group changes', async () => {
    t = await startSlackApp();
    const group = (users: string[]) => () => ({ users });
    const id = uid();
    t.slack
      .expect('users.info', userInfo) // the admin's role
      .expect('usergroups.users.list', group(['U0MIA', 'U0NOAH']))
      .expect('users.info', userInfo, 2) // the members' names
      .expectRespond(responsePath(id));
    await t.command('config council group <!subteam^S0COUNCIL|@cx-council>', {
      user_id: carol.id,
      user_name: carol.name,
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await t.slack.done();
    expect(JSON.stringify(t.slack.of(`respond ${responsePath(id)}`)[0]!.body)).toContain(
      'Kept in sync with user group: @cx-council',
    );
    let council = (await t.app.services.store.workspaces.get(`slack:${TEAM}`))!.settings.council;
    expect(council.members.map((x) => x.userId)).toEqual(['U0MIA', 'U0NOAH']);

    t.slack
      .expect('usergroups.users.list', group(['U0NOAH', 'U0OLGA']))
      .expect('users.info', userInfo, 2);
    await t.event({
      type: 'subteam_members_changed',
      subteam_id: 'S0COUNCIL',
      team_id: TEAM,
      added_users: ['U0OLGA'],
      removed_users: ['U0MIA'],
      event_ts: '1.2',
    });
    await t.slack.done();
    await eventually(async () => {
      council = (await t.app.services.store.workspaces.get(`slack:${TEAM}`))!.settings.council;
      return council.members.some((x) => x.userId === 'U0OLGA');
    });
    expect(council.members.map((x) => x.userId)).toEqual(['U0NOAH', 'U0OLGA']);
  });
});

describe('Slack: council settings in App Home', () => {
  it('shows admins the council section, and saves the settings form', async () => {
    t = await startSlackApp();
    const ws = await t.app.services.workspaces.ensure('slack', TEAM);
    await t.app.services.council.configure(
      ws,
      { userId: carol.id, platformAdmin: true },
      { members: [{ userId: 'U0MIA', name: 'mia' }], channel: COUNCIL },
    );
    t.slack.expect('users.info', userInfo).expect('views.publish');
    await t.event({
      type: 'app_home_opened',
      user: carol.id,
      channel: 'D0CAROL',
      tab: 'home',
      event_ts: '1.1',
    });
    await t.slack.done();
    const home = JSON.stringify(t.slack.of('views.publish')[0]!.body);
    expect(home).toContain('*CX council* · 1 member · votes in');
    expect(home).toContain(ACTIONS.councilSettings);

    t.slack.expect('views.open');
    await t.interaction(
      blockAction(carol, { action_id: ACTIONS.councilSettings }, { container: 'view' }),
    );
    await t.slack.done();
    const modal = t.slack.of('views.open')[0]!.body.view as {
      callback_id: string;
      blocks: unknown[];
    };
    expect(JSON.stringify(modal.blocks)).toContain('"initial_users":["U0MIA"]');

    t.slack
      .expect('users.info', userInfo) // the new member's name
      .expect('conversations.join')
      .expect('chat.postMessage', posted); // "saved" to the admin
    await t.interaction(
      viewSubmission(carol, {
        callback_id: modal.callback_id,
        private_metadata: '',
        values: {
          members: { v: { type: 'multi_users_select', selected_users: ['U0MIA', 'U0NOAH'] } },
          channel: { v: { type: 'conversations_select', selected_conversation: COUNCIL } },
          sponsor: { v: { type: 'users_select', selected_user: vera.id } },
          window: { v: { type: 'number_input', value: '5' } },
          quorum: { v: { type: 'number_input', value: '' } },
          threshold: { v: { type: 'number_input', value: '66' } },
          balance: { v: { type: 'number_input', value: '2' } },
          ballots: { v: { type: 'radio_buttons', selected_option: { value: 'open' } } },
          wip: { v: { type: 'number_input', value: '3' } },
          cycle: { v: { type: 'static_select', selected_option: { value: 'week' } } },
        },
      }),
    );
    await t.slack.done();
    const saved = (await t.app.services.store.workspaces.get(ws.id))!;
    expect(saved.settings.council).toMatchObject({
      votingDays: 5,
      threshold: 66,
      balance: 2,
      secret: false,
      wipLimit: 3,
      cycle: 'week',
    });
    expect(saved.settings.council.members.map((x) => x.name)).toEqual(['mia', 'u0noah']);
    expect(saved.settings.sponsor).toBe(vera.id);
    expect(saved.history.at(-1)?.action).toBe('council-settings');
  });

  it('refuses a form whose numbers are out of range, inside the form', async () => {
    t = await startSlackApp();
    const res = await t.interaction(
      viewSubmission(carol, {
        callback_id: 'council_settings',
        private_metadata: '',
        values: { threshold: { v: { type: 'number_input', value: '30' } } },
      }),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      response_action: 'errors',
      errors: { threshold: 'A whole number from 50 to 100.' },
    });
  });
});

describe('Slack: council votes', () => {
  it('proposes, takes ballots through the real receiver, closes early and never leaks a secret ballot', async () => {
    t = await startSlackApp();
    await seedCouncil();
    const updates = recordUpdates();
    const vote = await propose();
    expect(textOf(vote)).toContain('Checkout asks for the address twice');
    expect(textOf(vote)).toContain('0 of 4 members voted');
    const dms = t.slack.of('chat.postMessage').filter((c) => c.body.channel !== COUNCIL);
    expect(dms.map((c) => c.body.channel).sort()).toEqual([alice.id, bob.id].sort());

    // A non-member's click: a private refusal, nothing recorded.
    const refused = await ballot(bob, '1:fix-now');
    await t.slack.done();
    expect(JSON.stringify(t.slack.of(`respond ${responsePath(refused)}`)[0]!.body)).toContain(
      'Only council members vote',
    );
    const stored = await t.app.services.store.votes.get(`slack:${TEAM}`, 1);
    expect(await t.app.services.store.ballots.counts(stored!.id)).toMatchObject({ 'fix-now': 0 });

    // Members vote (one changes their mind; one recuses): the vote closes when all have voted.
    const receipts = [
      await ballot(m(0), '1:not-now'),
      await ballot(m(0), '1:fix-now'),
      await ballot(m(1), '1:fix-now'),
      await ballot(m(2), '1:need-info'),
    ];
    t.slack.expect('chat.postMessage', posted, 3); // who owns it (channel), decision DMs x2
    receipts.push(await ballot(m(3), '1:recuse'));
    await t.slack.done(10_000);
    await eventually(
      () => Promise.resolve(updates.some((u) => textOf(u).includes('Decided: Fix now'))),
      8_000,
    );
    for (const id of receipts)
      expect(JSON.stringify(t.slack.of(`respond ${responsePath(id)}`)[0]!.body)).toMatch(
        /Ballot (recorded|changed)/,
      );

    const closed = await t.app.services.council.getVote(
      await t.app.services.workspaces.get(`slack:${TEAM}`),
      1,
    );
    expect(closed).toMatchObject({
      status: 'decided',
      closedBy: 'all-voted',
      improvementNumber: 1,
    });
    expect(closed.result).toMatchObject({ tally: { 'fix-now': 2, 'need-info': 1 }, recused: 1 });
    const owner = t.slack
      .of('chat.postMessage')
      .find((c) => JSON.stringify(c.body).includes('Who owns it'));
    expect(owner?.body.channel).toBe(COUNCIL);

    // The tally was updated in place, at most once per 2 s: never more updates than slots.
    expect(updates.length).toBeGreaterThanOrEqual(1);
    const ts = closed.message?.messageId;
    expect(updates.every((u) => u.body.ts === ts)).toBe(true);
    for (let i = 1; i < updates.length; i++)
      expect(updates[i]!.at - updates[i - 1]!.at).toBeGreaterThanOrEqual(1_500);

    // Secret ballots: no outgoing payload names a member (the only member-specific answers
    // are the private receipts through each voter's own response_url, which name nobody).
    const outgoing = [...t.slack.calls.filter((c) => c.method !== 'users.info'), ...updates];
    for (const call of outgoing)
      for (const member of members) {
        expect(call.raw).not.toContain(member.id);
        expect(call.raw.toLowerCase()).not.toContain(`${member.name} `);
      }
    // Nor does the store or the log.
    const ballots = JSON.stringify(await t.app.services.store.ballots.list(closed.id));
    for (const member of members) expect(ballots).not.toContain(member.id);
    for (const line of t.logs)
      if (members.some((x) => line.includes(x.id)))
        expect(line).not.toMatch(/fix-now|next-cycle|not-now|need-info|recuse/);
  });

  it('shows names per option after the close of an open ballot', async () => {
    t = await startSlackApp();
    await seedCouncil({ secret: false });
    const updates = recordUpdates();
    await propose();
    t.slack.expect('chat.postMessage', posted, 3);
    for (let i = 0; i < 4; i++) await ballot(m(i), i < 3 ? '1:fix-now' : '1:not-now');
    await t.slack.done(10_000);
    const result = await eventually(
      () => Promise.resolve(updates.find((u) => textOf(u).includes('Decided'))),
      8_000,
    );
    expect(textOf(result)).toContain('Fix now: *3* (mia, noah, olga)');
    expect(textOf(result)).toContain('Not now: *1* (paul)');
  });

  it('closes at the deadline, escalates a missing quorum to the sponsor, who decides in a DM', async () => {
    t = await startSlackApp();
    const ws = await seedCouncil();
    const updates = recordUpdates();
    await propose();
    await ballot(m(0), '1:fix-now');
    await t.slack.done();
    const { store, council } = t.app.services;
    await store.votes.update(ws.id, 1, {
      set: { deadline: new Date(Date.now() - 1_000) },
      history: { at: new Date(), actor: 'test', action: 'deadline moved' },
    });
    t.slack.expect('chat.postMessage', posted); // the sponsor's DM
    expect((await council.sweep()).closed).toBe(1);
    await t.slack.done();
    const dm = t.slack.of('chat.postMessage').find((c) => c.body.channel === vera.id)!;
    expect(textOf(dm)).toContain('No quorum');
    expect(textOf(dm)).toContain(ACTIONS.councilDecide);
    await eventually(
      () => Promise.resolve(updates.some((u) => textOf(u).includes('Escalated to the sponsor'))),
      8_000,
    );

    // Someone else cannot decide; the sponsor can, with the DM's buttons.
    const other = uid();
    // With a sponsor, nobody else decides: no users.info for the role.
    t.slack.expectRespond(responsePath(other));
    await t.interaction(
      blockAction(
        bob,
        { action_id: ACTIONS.councilDecide, value: '1:fix-now' },
        { responseUrlId: other, channel: 'D0BOB' },
      ),
    );
    await t.slack.done();
    expect(JSON.stringify(t.slack.of(`respond ${responsePath(other)}`)[0]!.body)).toContain(
      'Only the executive sponsor',
    );
    const decide = uid();
    t.slack.expectRespond(responsePath(decide)).expect('chat.postMessage', posted, 2); // decision DMs to the reporter and the supporter
    await t.interaction(
      blockAction(
        vera,
        { action_id: ACTIONS.councilDecide, value: '1:not-now' },
        { responseUrlId: decide, channel: 'DVERA' },
      ),
    );
    await t.slack.done();
    const answer = t.slack.of(`respond ${responsePath(decide)}`)[0]!.body;
    expect(answer.replace_original).toBe(true);
    expect(JSON.stringify(answer)).toContain('You decided *Not now*');
    expect((await t.app.services.pebbles.get(ws, 1)).status).toBe('declined');
    const told = t.slack
      .of('chat.postMessage')
      .filter((c) => [alice.id, bob.id].includes(String(c.body.channel)));
    expect(
      told.some((c) => JSON.stringify(c.body).includes('decided by the executive sponsor')),
    ).toBe(true);
    const result = await eventually(
      () => Promise.resolve(updates.find((u) => textOf(u).includes('Decided: Not now'))),
      8_000,
    );
    expect(textOf(result)).toContain(ACTIONS.councilReason);

    // A council member gives the council's reason through the form.
    t.slack.expect('views.open');
    await t.interaction(
      blockAction(m(2), { action_id: ACTIONS.councilReason, value: '1' }, { channel: COUNCIL }),
    );
    await t.slack.done();
    const form = t.slack.of('views.open')[0]!.body.view as {
      callback_id: string;
      private_metadata: string;
    };
    t.slack.expect('chat.postMessage', posted, 3); // the member's confirmation, the two people told
    await t.interaction(
      viewSubmission(m(2), {
        callback_id: form.callback_id,
        private_metadata: form.private_metadata,
        values: {
          reason: { v: { type: 'plain_text_input', value: 'A new checkout ships in May.' } },
        },
      }),
    );
    await t.slack.done();
    expect((await t.app.services.pebbles.get(ws, 1)).declineReason).toBe(
      'A new checkout ships in May.',
    );
    expect(
      t.slack
        .of('chat.postMessage')
        .filter((c) => JSON.stringify(c.body).includes('A new checkout ships in May.')),
    ).toHaveLength(2);
  });

  it('asks the council what to displace above the WIP limit, and queues it on request', async () => {
    t = await startSlackApp();
    const ws = await seedCouncil();
    await t.app.services.council.configure(
      ws,
      { userId: carol.id, platformAdmin: true },
      { wipLimit: 1 },
    );
    await t.app.services.improvements.createPlanned(
      ws,
      { title: 'Already being fixed', pebbleNumbers: [1] },
      { userId: carol.id, platformAdmin: true },
    );
    recordUpdates();
    await propose();
    t.slack.expect('chat.postMessage', posted); // the WIP question in the council channel
    for (let i = 0; i < 4; i++) await ballot(m(i), '1:fix-now');
    await t.slack.done(10_000);
    const question = t.slack
      .of('chat.postMessage')
      .find((c) => JSON.stringify(c.body).includes('make room'))!;
    expect(question.body.channel).toBe(COUNCIL);
    expect(textOf(question)).toContain(ACTIONS.councilWipDisplace);

    const id = uid();
    t.slack.expectRespond(responsePath(id));
    await t.interaction(
      blockAction(
        m(1),
        { action_id: ACTIONS.councilWipQueue, value: '1' },
        { responseUrlId: id, channel: COUNCIL },
      ),
    );
    await t.slack.done();
    expect(JSON.stringify(t.slack.of(`respond ${responsePath(id)}`)[0]!.body)).toContain('queued');
    const vote = await t.app.services.council.getVote(ws, 1);
    expect(vote.wip).toMatchObject({ status: 'queued', by: m(1).id });
  });

  it('reminds only the members who have not voted, once', async () => {
    t = await startSlackApp();
    const ws = await seedCouncil();
    await propose();
    await ballot(m(0), '1:fix-now');
    await ballot(m(1), '1:recuse');
    await t.slack.done();
    const { store, council } = t.app.services;
    await store.votes.update(ws.id, 1, {
      set: { remindAt: new Date(Date.now() - 1_000) },
      history: { at: new Date(), actor: 'test', action: 'reminder moved' },
    });
    t.slack.expect('chat.postMessage', posted, 2);
    expect((await council.sweep()).reminders).toBe(2);
    expect((await council.sweep()).reminders).toBe(0);
    await t.slack.done();
    const reminders = t.slack
      .of('chat.postMessage')
      .filter((c) => JSON.stringify(c.body).includes('you have not voted yet'));
    expect(reminders.map((c) => c.body.channel).sort()).toEqual([m(2).id, m(3).id]);
    expect(textOf(reminders[0])).toContain(ACTIONS.councilBallot);
  });

  it('sends a pebble to the council from its "Send to council" button', async () => {
    t = await startSlackApp();
    await seedCouncil();
    const id = uid();
    t.slack.expect('chat.postMessage', posted, 3).expectRespond(responsePath(id));
    await t.interaction(
      blockAction(m(1), { action_id: ACTIONS.councilPropose, value: '1' }, { responseUrlId: id }),
    );
    await t.slack.done();
    expect(JSON.stringify(t.slack.of(`respond ${responsePath(id)}`)[0]!.body)).toContain(
      'went to the council as *V-1*',
    );
    expect(
      (await t.app.services.pebbles.get(await t.app.services.workspaces.get(`slack:${TEAM}`), 1))
        .status,
    ).toBe('in-council');
  });
});

describe('Slack: secret ballots need BALLOT_SECRET', () => {
  it('tells an admin who turns secret ballots on exactly what to set', async () => {
    t = await startSlackApp({ env: { BALLOT_SECRET: '' } });
    const id = uid();
    t.slack.expect('users.info', userInfo).expectRespond(responsePath(id));
    await t.command('config council ballots secret', {
      user_id: carol.id,
      user_name: carol.name,
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await t.slack.done();
    const answer = JSON.stringify(t.slack.of(`respond ${responsePath(id)}`)[0]!.body);
    expect(answer).toContain('BALLOT_SECRET');
    expect(answer).toContain('openssl rand -hex 32');
  });

  it('refuses to open a secret vote without it, tells the proposer, and changes nothing', async () => {
    t = await startSlackApp({ env: { BALLOT_SECRET: '' } });
    const ws = await seedCouncil({ secret: true });
    const before = await t.app.services.pebbles.get(ws, 1);
    const id = uid();
    t.slack.expectRespond(responsePath(id));
    await t.command('council propose P-1', {
      user_id: m(0).id,
      user_name: m(0).name,
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await t.slack.done();
    const answer = JSON.stringify(t.slack.of(`respond ${responsePath(id)}`)[0]!.body);
    expect(answer).toContain('no secret vote can open');
    expect(answer).toContain('BALLOT_SECRET');
    expect(await t.app.services.pebbles.get(ws, 1)).toEqual(before);
    expect((await t.app.services.store.votes.list(ws.id, {}, {})).total).toBe(0);
    expect(t.slack.of('chat.postMessage')).toEqual([]);
  });

  it('still opens open-ballot votes without it', async () => {
    t = await startSlackApp({ env: { BALLOT_SECRET: '' } });
    await seedCouncil({ secret: false });
    const vote = await propose();
    expect(vote.body.channel).toBe(COUNCIL);
  });
});
