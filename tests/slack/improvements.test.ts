import { afterEach, describe, expect, it } from 'vitest';
import { sweepNudges } from '../../src/core/improvements/improvement.jobs.js';
import { promiseLedger } from '../../src/core/improvements/improvement.model.js';
import type { Workspace } from '../../src/core/workspaces/workspace.model.js';
import { ACTIONS, parseOverflowValue } from '../../src/views/actions.js';
import { improvementNotices } from '../../src/views/improvement.view.js';
import {
  alice,
  blockAction,
  bob,
  eventually,
  responsePath,
  startSlackApp,
  TEAM,
  uid,
  viewSubmission,
  type Call,
  type SlackTestApp,
} from './harness.js';

let t: SlackTestApp;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

const admin = { id: 'U0ADMIN', name: 'ada' };
const owner = { id: 'U0OWNER', name: 'olga' };
const sponsor = { id: 'U0SPONSOR', name: 'sam' };
const dave = { id: 'U0DAVE', name: 'dave' };

type Element = {
  type: string;
  action_id: string;
  value?: string;
  options?: { value: string }[];
};
const buttonsOf = (blocks: unknown) =>
  (blocks as { type: string; elements?: Element[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    // An overflow menu's options each carry their own action id and value.
    .flatMap((e): Element[] =>
      e.type === 'overflow'
        ? (e.options ?? []).map((o) => {
            const option = parseOverflowValue(o.value)!;
            return { type: 'button', action_id: option.actionId, value: option.value };
          })
        : [e],
    )
    // The renderer numbers repeated ids in one block (`improvement.status#2`).
    .map((e) => ({ ...e, action_id: e.action_id.replace(/#\d+$/, '') }));

/** users.info as Slack answers it: admins by id, everyone in Berlin. */
const userInfo = (body: Record<string, unknown>) => ({
  user: {
    id: body.user,
    name: String(body.user).toLowerCase(),
    real_name: `Real ${String(body.user)}`,
    is_admin: body.user === admin.id,
    is_owner: false,
    tz: 'Europe/Berlin',
  },
});

const posted = (channel: string) => (body: Record<string, unknown>) => ({
  channel: String(body.channel).startsWith('U') ? `D${String(body.channel).slice(1)}` : channel,
  ts: `${Math.floor(Date.now() / 1000)}.${uid().slice(-6).replace(/\D/g, '1')}`,
});

const dmsTo = (user: string): Call[] =>
  t.slack.of('chat.postMessage').filter((c) => c.body.channel === user);

let ws: Workspace;

/** P-1 reported anonymously by Alice and supported by Bob, planned as I-1; a sponsor is set. */
async function planned(): Promise<void> {
  const { services } = t.app;
  ws = await services.workspaces.ensure('slack', TEAM);
  ws = await services.workspaces.updateSettings(
    ws,
    { userId: admin.id, platformAdmin: true },
    {
      sponsor: sponsor.id,
    },
  );
  await services.pebbles.report(
    ws,
    { userId: alice.id, name: alice.name },
    { text: 'Checkout asks for the address twice', anonymous: true },
    { kind: 'slash' },
  );
  await services.pebbles.support(ws, { userId: bob.id, name: bob.name }, 1);
  await services.improvements.createFromPebbles(
    ws,
    { userId: admin.id, platformAdmin: true },
    {
      title: 'Ask for the address once',
      pebbleNumbers: [1],
    },
  );
}

/** `/pebble improvement assign I-1 @olga 2026-12-15` by an admin, and the owner's DM. */
async function assigned(): Promise<Call> {
  const id = uid();
  t.slack
    .expect('users.info', userInfo, 2)
    .expectRespond(responsePath(id))
    .expect('chat.postMessage', posted('D0OWNER'));
  await t.command(`improvement assign I-1 <@${owner.id}|olga> 2026-12-15`, {
    user_id: admin.id,
    user_name: admin.name,
    response_url: `https://hooks.slack.com${responsePath(id)}`,
  });
  await t.slack.done();
  expect(t.slack.of('respond')[0]!.body.text).toContain('Asked <@U0OWNER> to own *I-1*');
  return dmsTo(owner.id)[0]!;
}

async function accepted(): Promise<void> {
  await assigned();
  const click = uid();
  t.slack.expectRespond(responsePath(click)).expect('chat.postMessage', posted('D0ADMIN'));
  await t.interaction(
    blockAction(
      owner,
      { action_id: ACTIONS.improvementAccept, value: '1' },
      { responseUrlId: click, channel: 'D0OWNER' },
    ),
  );
  await t.slack.done();
}

describe('Slack: assigning a journey improvement', () => {
  it('asks the owner by DM (through the outbox) with Accept, Propose another date and Decline', async () => {
    t = await startSlackApp();
    await planned();
    const dm = await assigned();
    // Blocked, a new date and snoozes sit in the view's overflow, another date in its date
    // picker (src/views/improvement.view.ts); these are the buttons Block Kit shows of it.
    expect(buttonsOf(dm.body.blocks).map((b) => b.action_id)).toEqual([
      ACTIONS.improvementAccept,
      ACTIONS.improvementDecline,
    ]);
    expect(dm.body.metadata).toEqual({
      event_type: 'pebblebot_outbox',
      event_payload: { key: expect.stringMatching(/^assign:slack:T0PEBBLE1:I-1:/) },
    });
    const improvement = await t.app.services.improvements.get(ws, 1);
    expect(improvement).toMatchObject({
      ownerId: owner.id,
      ownerPending: true,
      ownerTimezone: 'Europe/Berlin',
      ownerName: 'Real U0OWNER',
      proposedDate: '2026-12-15',
    });
    const [message] = await t.app.services.store.outbox.list({ kind: 'improvement.assigned' });
    await eventually(
      async () => (await t.app.services.store.outbox.get(message!.key))?.status === 'sent',
    );
  });

  it('refuses a person who is neither sponsor nor admin, and sends nothing', async () => {
    t = await startSlackApp();
    await planned();
    const id = uid();
    t.slack.expect('users.info', userInfo).expectRespond(responsePath(id));
    await t.command(`improvement assign I-1 <@${owner.id}> 2026-12-15`, {
      user_id: dave.id,
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await t.slack.done();
    expect(t.slack.of('respond')[0]!.body.text).toContain(
      'Only the executive sponsor and Pebblebot admins',
    );
    expect(await t.app.services.store.outbox.count()).toBe(0);
  });

  it('keeps "/pebble improvement <text>" that is not a sub-command a report', async () => {
    t = await startSlackApp();
    const id = uid();
    t.slack.expectRespond(responsePath(id));
    await t.command('Improvement needed: the billing page times out', {
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await t.slack.done();
    expect(t.slack.of('respond')[0]!.body.text).toContain('P-1 recorded');
  });
});

describe('Slack: the owner’s DM buttons', () => {
  it('Accept opens the promise, replaces the DM with the owner’s controls and tells the assigner', async () => {
    t = await startSlackApp();
    await planned();
    await accepted();
    const answer = t.slack.of('respond')[1]!.body;
    expect(answer).toMatchObject({ replace_original: true });
    expect(String(answer.text)).toContain('You promised *I-1* for *2026-12-15*');
    // Blocked and a new date sit in the view's overflow (src/views/improvement.view.ts); Block
    // Kit shows them as buttons after the three primary ones, each with its own listener.
    expect(buttonsOf(answer.blocks).map((b) => b.action_id)).toEqual([
      ACTIONS.improvementStatus,
      ACTIONS.improvementStatus,
      ACTIONS.improvementDone,
      ACTIONS.improvementStatus,
      ACTIONS.improvementChangeDate,
    ]);
    expect(String(dmsTo(admin.id)[0]!.body.text)).toContain('accepted *I-1*');
    expect(await t.app.services.pebbles.get(ws, 1)).toMatchObject({ status: 'in-progress' });
  });

  it('Propose another date opens a form; its date becomes the promise and the DM updates', async () => {
    t = await startSlackApp();
    await planned();
    await assigned();
    t.slack.expect('views.open');
    await t.interaction(
      blockAction(
        owner,
        { action_id: ACTIONS.improvementProposeDate, value: '1' },
        { channel: 'D0OWNER' },
      ),
    );
    await t.slack.done();
    const opened = t.slack.of('views.open')[0]!.body as {
      view: { callback_id: string; private_metadata: string };
    };
    expect(opened.view.callback_id).toBe('improvement_propose_date');
    t.slack.expect('chat.update').expect('chat.postMessage', posted('D0ADMIN'));
    const res = await t.interaction(
      viewSubmission(owner, {
        callback_id: 'improvement_propose_date',
        private_metadata: opened.view.private_metadata,
        values: { date: { date: { type: 'datepicker', selected_date: '2027-01-10' } } },
      }),
    );
    expect(res.status).toBe(200);
    await t.slack.done();
    expect(t.slack.of('chat.update')[0]!.body).toMatchObject({ channel: 'D0OWNER' });
    const improvement = await t.app.services.improvements.get(ws, 1);
    expect(improvement.promise).toMatchObject({ promisedDate: '2027-01-10', outcome: 'open' });
    expect(String(dmsTo(admin.id)[0]!.body.text)).toMatch(
      /instead of <!date\^\d+\^\{date_short_pretty\}\|Tue 15 Dec 2026>/,
    );
  });

  it('a date in the past stays in the form as an error', async () => {
    t = await startSlackApp();
    await planned();
    await assigned();
    const res = await t.interaction(
      viewSubmission(owner, {
        callback_id: 'improvement_propose_date',
        private_metadata: JSON.stringify({ n: 1 }),
        values: { date: { date: { type: 'datepicker', selected_date: '2020-01-01' } } },
      }),
    );
    expect(JSON.parse(res.text)).toMatchObject({
      response_action: 'errors',
      errors: { date: expect.stringContaining('in the past') },
    });
    expect((await t.app.services.improvements.get(ws, 1)).ownerPending).toBe(true);
  });

  it('status and snooze buttons update the improvement and answer privately', async () => {
    t = await startSlackApp();
    await planned();
    await accepted();
    const a = uid();
    const b = uid();
    t.slack.expectRespond(responsePath(a)).expectRespond(responsePath(b));
    await t.interaction(
      blockAction(
        owner,
        { action_id: ACTIONS.improvementStatus, value: '1:at-risk' },
        { responseUrlId: a, channel: 'D0OWNER' },
      ),
    );
    await t.interaction(
      blockAction(
        owner,
        { action_id: ACTIONS.improvementSnooze, value: '1:3d' },
        { responseUrlId: b, channel: 'D0OWNER' },
      ),
    );
    await t.slack.done();
    const improvement = await t.app.services.improvements.get(ws, 1);
    expect(improvement.status).toBe('at-risk');
    expect(improvement.snoozedUntil).toBeDefined();
    const answers = t.slack
      .of('respond')
      .slice(-2)
      .map((c) => String(c.body.text));
    expect(answers[0]).toContain('*I-1* is now *At risk*');
    expect(answers[1]).toContain('No reminders about *I-1*');
  });

  it('`/pebble improvement update I-1 at-risk "waiting on vendor"` records a check-in with the note', async () => {
    t = await startSlackApp();
    await planned();
    await accepted();
    const id = uid();
    t.slack.expectRespond(responsePath(id));
    await t.command('improvement update I-1 at-risk “waiting on vendor”', {
      user_id: owner.id,
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await t.slack.done();
    const improvement = await t.app.services.improvements.get(ws, 1);
    expect(improvement.checkIns.at(-1)).toMatchObject({
      status: 'at-risk',
      note: 'waiting on vendor',
    });
  });

  it('the nudge sweep DMs the owner once a day with status and snooze buttons', async () => {
    t = await startSlackApp();
    await planned();
    await accepted();
    t.slack.expect('chat.postMessage', posted('D0OWNER'));
    const deps = {
      store: t.app.services.store,
      outbox: t.app.services.outbox,
      notices: improvementNotices,
    };
    const monday = new Date('2026-12-14T10:00:00Z');
    expect(await sweepNudges(deps, monday)).toMatchObject({ nudges: 1 });
    expect(await sweepNudges(deps, monday)).toMatchObject({ nudges: 0 });
    await t.slack.done();
    const nudge = dmsTo(owner.id).at(-1)!;
    expect(nudge.body.text).toContain('needs a status update');
    // Blocked, a new date and snoozes sit in the view's overflow, another date in its date
    // picker (src/views/improvement.view.ts); these are the buttons Block Kit shows of it.
    expect(buttonsOf(nudge.body.blocks).map((b) => b.value)).toEqual([
      '1:on-track',
      '1:at-risk',
      '1',
    ]);
  });
});

describe('Slack: done, and closing the loop', () => {
  async function done(): Promise<void> {
    await accepted();
    t.slack.expect('views.open');
    await t.interaction(
      blockAction(
        owner,
        { action_id: ACTIONS.improvementDone, value: '1' },
        { channel: 'D0OWNER' },
      ),
    );
    await t.slack.done();
    const opened = t.slack.of('views.open')[0]!.body as {
      view: { callback_id: string; private_metadata: string };
    };
    expect(opened.view.callback_id).toBe('improvement_done');
    // The owner's confirmation, and one DM to each reporter and supporter.
    t.slack.expect('chat.postMessage', posted('D0'), 3);
    await t.interaction(
      viewSubmission(owner, {
        callback_id: 'improvement_done',
        private_metadata: opened.view.private_metadata,
        values: {
          note: { note: { type: 'plain_text_input', value: 'The address is asked once now' } },
        },
      }),
    );
    await t.slack.done();
  }

  it('asks every reporter (privately, even anonymous) and supporter "Did this fix it for you?"', async () => {
    t = await startSlackApp();
    await planned();
    await done();
    const toAlice = dmsTo(alice.id)[0]!;
    const toBob = dmsTo(bob.id)[0]!;
    expect(JSON.stringify(toAlice.body.blocks)).toContain('anonymously; only you see this');
    expect(JSON.stringify(toBob.body.blocks)).toContain('You supported');
    expect(JSON.stringify(toBob.body.blocks)).not.toContain('anonymous');
    for (const dm of [toAlice, toBob]) {
      expect(JSON.stringify(dm.body.blocks)).toContain('The address is asked once now');
      expect(buttonsOf(dm.body.blocks).map((b) => b.action_id)).toEqual([
        ACTIONS.improvementFixedYes,
        ACTIONS.improvementFixedNo,
      ]);
    }
    expect(String(dmsTo(owner.id).at(-1)!.body.text)).toContain(
      '2 people who reported or supported it are told',
    );
    expect(await t.app.services.pebbles.get(ws, 1)).toMatchObject({ status: 'resolved' });
  });

  it('"Yes" thanks the person; "Not really" reopens the pebble and counts a recurrence', async () => {
    t = await startSlackApp();
    await planned();
    await done();
    const yes = uid();
    const no = uid();
    t.slack.expectRespond(responsePath(yes)).expectRespond(responsePath(no));
    await t.interaction(
      blockAction(
        bob,
        { action_id: ACTIONS.improvementFixedYes, value: '1' },
        { responseUrlId: yes, channel: 'D0BOB' },
      ),
    );
    await t.interaction(
      blockAction(
        alice,
        { action_id: ACTIONS.improvementFixedNo, value: '1' },
        { responseUrlId: no, channel: 'D0ALICE' },
      ),
    );
    await t.slack.done();
    const [toBob, toAlice] = t.slack.of('respond').slice(-2);
    expect(toBob!.body).toMatchObject({
      replace_original: true,
      text: expect.stringContaining('Thank you'),
    });
    expect(String(toAlice!.body.text)).toContain('*P-1* is reopened');
    expect(await t.app.services.pebbles.get(ws, 1)).toMatchObject({ status: 'triaged' });
    const improvement = await t.app.services.improvements.get(ws, 1);
    expect(improvement.recurrences).toBe(1);
    expect(improvement.feedback.map((f) => [f.userId, f.answer])).toEqual([
      [bob.id, 'yes'],
      [alice.id, 'no'],
    ]);
  });
});

describe('Slack: the sponsor’s buttons', () => {
  it('Extend records a broken promise and a new one, and tells the owner', async () => {
    t = await startSlackApp();
    await planned();
    await accepted();
    t.slack.expect('views.open');
    await t.interaction(
      blockAction(
        sponsor,
        { action_id: ACTIONS.improvementExtend, value: '1' },
        { channel: 'D0SPONSOR' },
      ),
    );
    await t.slack.done();
    const opened = t.slack.of('views.open')[0]!.body as {
      view: { callback_id: string; private_metadata: string };
    };
    expect(opened.view.callback_id).toBe('improvement_extend');
    // The sponsor is known from the settings: no users.info for the role.
    t.slack.expect('chat.postMessage', posted('D0'), 2);
    await t.interaction(
      viewSubmission(sponsor, {
        callback_id: 'improvement_extend',
        private_metadata: opened.view.private_metadata,
        values: {
          date: { date: { type: 'datepicker', selected_date: '2027-02-01' } },
          note: { note: { type: 'plain_text_input', value: 'Vendor slipped' } },
        },
      }),
    );
    await t.slack.done();
    const improvement = await t.app.services.improvements.get(ws, 1);
    expect(promiseLedger(improvement).map((p) => [p.promisedDate, p.outcome])).toEqual([
      ['2026-12-15', 'broken'],
      ['2027-02-01', 'open'],
    ]);
    expect(String(dmsTo(owner.id).at(-1)!.body.text)).toMatch(
      /moved from <!date\^\d+\^\{date_short_pretty\}\|Tue 15 Dec 2026> to \*<!date\^\d+\^\{date_short_pretty\}\|Mon 1 Feb 2027>\*/,
    );
  });

  it('Reassign asks the new owner and releases the old one; Drop sends the pebble back to triage', async () => {
    t = await startSlackApp();
    await planned();
    await accepted();
    // One users.info: the new owner's time zone (the sponsor's role is in the settings).
    t.slack.expect('users.info', userInfo).expect('chat.postMessage', posted('D0'), 3);
    await t.interaction(
      viewSubmission(sponsor, {
        callback_id: 'improvement_reassign',
        private_metadata: JSON.stringify({ n: 1 }),
        values: {
          owner: { owner: { type: 'users_select', selected_user: dave.id } },
          date: { date: { type: 'datepicker', selected_date: '2027-01-20' } },
        },
      }),
    );
    await t.slack.done();
    expect(await t.app.services.improvements.get(ws, 1)).toMatchObject({
      ownerId: dave.id,
      ownerPending: true,
    });
    expect(buttonsOf(dmsTo(dave.id)[0]!.body.blocks)[0]!.action_id).toBe(ACTIONS.improvementAccept);
    expect(String(dmsTo(owner.id).at(-1)!.body.text)).toContain('your promise for it is withdrawn');

    const res = await t.interaction(
      viewSubmission(sponsor, {
        callback_id: 'improvement_drop',
        private_metadata: JSON.stringify({ n: 1 }),
        values: { note: { note: { type: 'plain_text_input', value: 'Superseded' } } },
      }),
    );
    expect(res.status).toBe(200);
    t.slack.expect('chat.postMessage', posted('D0DAVE'));
    await t.slack.done();
    expect(await t.app.services.improvements.get(ws, 1)).toMatchObject({ status: 'dropped' });
    expect(await t.app.services.pebbles.get(ws, 1)).toMatchObject({ status: 'triaged' });
  });
});

describe('Slack: assigning from App Home', () => {
  it('shows admins the improvements nobody owns, with a working Assign button', async () => {
    t = await startSlackApp();
    await planned();
    t.slack.expect('users.info', userInfo).expect('views.publish');
    await t.event({
      type: 'app_home_opened',
      user: admin.id,
      channel: 'D0ADMIN',
      tab: 'home',
      event_ts: '1.1',
    });
    await t.slack.done();
    const home = t.slack.of('views.publish')[0]!.body.view as { blocks: unknown[] };
    const text = JSON.stringify(home.blocks);
    expect(text).toContain('Improvements waiting for an owner');
    expect(text).toContain('Ask for the address once');
    expect(text).toContain(`"action_id":"${ACTIONS.improvementReassign}"`);

    t.slack.expect('views.open');
    await t.interaction(
      blockAction(
        admin,
        { action_id: ACTIONS.improvementReassign, value: '1' },
        { container: 'view' },
      ),
    );
    await t.slack.done();
    expect(JSON.stringify(t.slack.of('views.open')[0]!.body.view)).toContain('I-1');
  });

  it('does not show the section to people who are not admins or the sponsor', async () => {
    t = await startSlackApp();
    await planned();
    t.slack.expect('users.info', userInfo).expect('views.publish');
    await t.event({
      type: 'app_home_opened',
      user: dave.id,
      channel: 'D0DAVE',
      tab: 'home',
      event_ts: '1.2',
    });
    await t.slack.done();
    expect(JSON.stringify(t.slack.of('views.publish')[0]!.body)).not.toContain(
      'Improvements waiting for an owner',
    );
  });
});
