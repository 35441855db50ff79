import { afterEach, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/views/actions.js';
import {
  alice,
  blockAction,
  bob,
  carol,
  eventually,
  responsePath,
  startSlackApp,
  TEAM,
  TRIAGE,
  uid,
  viewSubmission,
  type SlackTestApp,
} from './harness.js';

let t: SlackTestApp;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

const userInfo = (admin: boolean) => (body: Record<string, unknown>) => ({
  user: { id: body.user, name: String(body.user), is_admin: admin, is_owner: false },
});

type Element = { type: string; action_id: string; value?: string; text?: { text: string } };
const elementsOf = (blocks: unknown) =>
  (blocks as { type: string; elements?: Element[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);

async function workspace() {
  return t.app.services.workspaces.ensure('slack', TEAM);
}

/** A workspace whose triage channel is set, with P-1 reported by Alice and its card posted. */
async function withCard(): Promise<void> {
  const ws = await workspace();
  await t.app.services.workspaces.updateSettings(
    ws,
    { userId: 'U0ADMIN', platformAdmin: true },
    {
      triageChannel: TRIAGE,
    },
  );
  const id = uid();
  t.slack
    .expectRespond(responsePath(id))
    .expect('chat.postMessage', { channel: TRIAGE, ts: '1700000100.000001' });
  await t.command('Support hold music is 40 minutes long', {
    response_url: `https://hooks.slack.com${responsePath(id)}`,
  });
  await t.slack.done();
  await eventually(async () => (await t.app.services.pebbles.get(ws, 1)).triageCard);
}

describe('Slack: /pebble config', () => {
  it('politely refuses a person who is not an admin, and changes nothing', async () => {
    t = await startSlackApp();
    const id = uid();
    t.slack.expect('users.info', userInfo(false)).expectRespond(responsePath(id));
    await t.command('config triage <#C0TRIAGE01|cx-triage>', {
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await t.slack.done();
    expect(t.slack.of('respond')[0]!.body.text).toMatch(
      /Only Pebblebot admins can change Pebblebot settings/,
    );
    expect((await workspace()).settings.triageChannel).toBeUndefined();
  });

  it('lets a workspace admin set the triage channel, joining it', async () => {
    t = await startSlackApp();
    const id = uid();
    t.slack
      .expect('users.info', userInfo(true))
      .expect('conversations.join', { channel: { id: TRIAGE } })
      .expectRespond(responsePath(id));
    await t.command('config triage <#C0TRIAGE01|cx-triage>', {
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await t.slack.done();
    expect(t.slack.of('conversations.join')[0]!.body).toMatchObject({ channel: TRIAGE });
    expect(t.slack.of('respond')[0]!.body.text).toContain('posted to <#C0TRIAGE01>');
    expect((await workspace()).settings.triageChannel).toBe(TRIAGE);
  });

  it('sets the reaction emoji and the extra admins', async () => {
    t = await startSlackApp();
    const a = uid();
    const b = uid();
    t.slack
      .expect('users.info', userInfo(true))
      .expectRespond(responsePath(a))
      .expectRespond(responsePath(b));
    await t.command('config emoji :pebble:', {
      response_url: `https://hooks.slack.com${responsePath(a)}`,
    });
    await t.command('config admins <@U0BOB|bob> <@U0CAROL>', {
      response_url: `https://hooks.slack.com${responsePath(b)}`,
    });
    await t.slack.done();
    expect((await workspace()).settings).toMatchObject({
      reactionEmoji: 'pebble',
      admins: [bob.id, carol.id],
    });
  });
});

describe('Slack: the triage card', () => {
  it('posts every new pebble to the triage channel with its controls, and remembers the card', async () => {
    t = await startSlackApp();
    await withCard();
    const card = t.slack.of('chat.postMessage')[0]!.body;
    expect(card.channel).toBe(TRIAGE);
    expect(elementsOf(card.blocks).map((e) => e.action_id)).toEqual([
      ACTIONS.support,
      ACTIONS.markDuplicate,
      ACTIONS.decline,
      ACTIONS.setSeverity,
      ACTIONS.setStage,
      ACTIONS.setStakeholder,
    ]);
    const ws = await workspace();
    const pebble = await eventually(async () => {
      const p = await t.app.services.pebbles.get(ws, 1);
      return p.triageCard && p;
    });
    expect(pebble.triageCard).toEqual({ channelId: TRIAGE, ts: '1700000100.000001' });
  });

  it('updates the card in place on a +1 and on a new severity or stage', async () => {
    t = await startSlackApp();
    await withCard();
    const click = uid();
    // Anyone gives a +1; severity and stage are triage decisions (carol is an admin; her role
    // is asked of Slack once and remembered).
    t.slack
      .expectRespond(responsePath(click))
      .expect('users.info', userInfo(true))
      .expect('chat.update', {}, 3);
    await t.interaction(
      blockAction(
        bob,
        { action_id: ACTIONS.support, value: '1' },
        { responseUrlId: click, channel: TRIAGE },
      ),
    );
    await t.interaction(
      blockAction(carol, { action_id: ACTIONS.setSeverity, selected: '1:4' }, { channel: TRIAGE }),
    );
    await t.interaction(
      blockAction(
        carol,
        { action_id: ACTIONS.setStage, selected: '1:customer/get-help' },
        { channel: TRIAGE },
      ),
    );
    await t.slack.done();
    const updates = t.slack.of('chat.update').map((c) => c.body);
    expect(updates.every((u) => u.channel === TRIAGE && u.ts === '1700000100.000001')).toBe(true);
    expect(JSON.stringify(updates.at(-1)!.blocks)).toContain('Get help');
    expect(await t.app.services.pebbles.get(await workspace(), 1)).toMatchObject({
      supporterCount: 1,
      severity: 4,
      journey: 'customer',
      stage: 'get-help',
    });
  });

  it('declines with a reason from an admin, updates the card and tells reporter and supporters', async () => {
    t = await startSlackApp();
    await withCard();
    await t.app.services.pebbles.support(await workspace(), { userId: bob.id, name: 'bob' }, 1);
    t.slack.expect('users.info', userInfo(true)).expect('views.open');
    await t.interaction(
      blockAction(carol, { action_id: ACTIONS.decline, value: '1' }, { channel: TRIAGE }),
    );
    await t.slack.done();
    const opened = t.slack.of('views.open')[0]!.body as {
      view: { callback_id: string; private_metadata: string };
    };
    expect(opened.view.callback_id).toBe('pebble_decline');

    t.slack.expect('chat.update').expect('chat.postMessage', { channel: 'D1', ts: '1.1' }, 2);
    await t.interaction(
      viewSubmission(carol, {
        callback_id: 'pebble_decline',
        private_metadata: opened.view.private_metadata,
        values: {
          reason: {
            reason: {
              type: 'plain_text_input',
              value: 'Hold music is a vendor contract; renewed in June.',
            },
          },
        },
      }),
    );
    await t.slack.done();
    expect(JSON.stringify(t.slack.of('chat.update')[0]!.body.blocks)).toContain(
      'Declined: Hold music is a vendor contract',
    );
    const dms = t.slack
      .of('chat.postMessage')
      .slice(1)
      .map((c) => c.body);
    expect(dms.map((d) => d.channel).sort()).toEqual([alice.id, bob.id].sort());
    expect(dms.find((d) => d.channel === alice.id)!.text).toBe('P-1 was declined');
    expect(JSON.stringify(dms.find((d) => d.channel === alice.id)!.blocks)).toContain(
      'Your pebble',
    );
    expect((await t.app.services.pebbles.get(await workspace(), 1)).status).toBe('declined');
  });

  it('refuses Decline to someone who is not an admin, without opening the form', async () => {
    t = await startSlackApp();
    await withCard();
    const click = uid();
    t.slack.expect('users.info', userInfo(false)).expectRespond(responsePath(click));
    await t.interaction(
      blockAction(
        bob,
        { action_id: ACTIONS.decline, value: '1' },
        { responseUrlId: click, channel: TRIAGE },
      ),
    );
    await t.slack.done();
    expect(t.slack.of('respond')[1]!.body.text).toMatch(
      /Only Pebblebot admins can decline a pebble/,
    );
  });

  it('marks a duplicate: support moves to the original, both cards update, people are told', async () => {
    t = await startSlackApp();
    await withCard();
    const id = uid();
    t.slack
      .expectRespond(responsePath(id))
      .expect('chat.postMessage', { channel: TRIAGE, ts: '1700000100.000002' });
    await t.command('Waiting on hold takes forever', {
      user_id: bob.id,
      user_name: 'bob',
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await t.slack.done();
    const ws0 = await workspace();
    await eventually(async () => (await t.app.services.pebbles.get(ws0, 2)).triageCard);

    t.slack.expect('users.info', userInfo(true)).expect('views.open');
    await t.interaction(
      blockAction(carol, { action_id: ACTIONS.markDuplicate, value: '2' }, { channel: TRIAGE }),
    );
    await t.slack.done();
    const opened = t.slack.of('views.open')[0]!.body as { view: { private_metadata: string } };

    // A pebble that does not exist is pointed out in the form, which stays open.
    const wrong = await t.interaction(
      viewSubmission(carol, {
        callback_id: 'pebble_duplicate',
        private_metadata: opened.view.private_metadata,
        values: { of: { of: { type: 'plain_text_input', value: 'P-99' } } },
      }),
    );
    expect(JSON.parse(wrong.text)).toEqual({
      response_action: 'errors',
      errors: { of: 'There is no P-99.' },
    });

    t.slack.expect('chat.update', {}, 2).expect('chat.postMessage', { channel: 'D1', ts: '1.1' });
    await t.interaction(
      viewSubmission(carol, {
        callback_id: 'pebble_duplicate',
        private_metadata: opened.view.private_metadata,
        values: { of: { of: { type: 'plain_text_input', value: 'p-1' } } },
      }),
    );
    await t.slack.done();
    expect(t.slack.of('chat.update').map((c) => c.body.ts)).toEqual([
      '1700000100.000002',
      '1700000100.000001',
    ]);
    expect(t.slack.of('chat.postMessage').at(-1)!.body).toMatchObject({
      channel: bob.id,
      text: 'P-2 is a duplicate of P-1',
    });
    const ws = await workspace();
    expect(await t.app.services.pebbles.get(ws, 2)).toMatchObject({
      status: 'duplicate',
      duplicateOf: 1,
    });
    expect((await t.app.services.pebbles.get(ws, 1)).supporters.map((s) => s.userId)).toEqual([
      bob.id,
    ]);
  });
});
