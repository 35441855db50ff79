import { afterEach, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/views/actions.js';
import {
  alice,
  blockAction,
  bob,
  BOT_USER,
  CHANNEL,
  fixture,
  responsePath,
  startSlackApp,
  TEAM,
  uid,
  eventually,
  viewSubmission,
  type SlackTestApp,
} from './harness.js';

let t: SlackTestApp;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

const buttonsOf = (blocks: unknown) =>
  (
    blocks as {
      type: string;
      elements?: { action_id: string; value?: string; text?: { text: string } }[];
    }[]
  )
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);

describe('Slack: /pebble <text>', () => {
  it('acknowledges at once, records the pebble and answers privately with its buttons', async () => {
    t = await startSlackApp();
    const id = uid();
    t.slack.expectRespond(responsePath(id));
    const res = await t.command('Checkout asks for the address twice\nOn mobile only.', {
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    await t.slack.done();
    const [answer] = t.slack.of('respond');
    expect(answer!.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('P-1 recorded'),
    });
    expect(buttonsOf(answer!.body.blocks).map((b) => b.action_id)).toEqual([
      ACTIONS.addDetails,
      ACTIONS.toggleAnonymous,
    ]);
    const ws = await t.app.services.workspaces.get(`slack:${TEAM}`);
    const pebble = await t.app.services.pebbles.get(ws, 1);
    expect(pebble).toMatchObject({
      title: 'Checkout asks for the address twice',
      description: 'On mobile only.',
      source: { kind: 'slash', channelId: CHANNEL },
      reporter: { userId: alice.id, name: 'alice' },
    });
  });
});

const recorded = fixture<Record<string, Record<string, unknown>>>(
  'payloads/third-party-captures/vercel-chat__actions-reactions__slack.json',
);
const reactionEvent = (user: string, ts: string, reaction = 'rock') => ({
  ...(recorded.reaction!.event as object),
  user,
  reaction,
  item: { type: 'message', channel: CHANNEL, ts },
  item_user: 'U0AUTHOR',
  event_ts: `${Date.now() / 1000}`,
});

async function pebble(n: number) {
  const ws = await t.app.services.workspaces.get(`slack:${TEAM}`);
  return t.app.services.pebbles.get(ws, n);
}

function reportValues(title: string, extra: Record<string, Record<string, unknown>> = {}) {
  return {
    title: { title: { type: 'plain_text_input', value: title } },
    description: { description: { type: 'plain_text_input', value: 'It spins for 30 s.' } },
    stakeholder: {
      stakeholder: { type: 'radio_buttons', selected_option: { value: 'employee' } },
    },
    stage: { stage: { type: 'static_select', selected_option: { value: 'customer/buy' } } },
    severity: { severity: { type: 'static_select', selected_option: { value: '3' } } },
    segment: { segment: { type: 'plain_text_input', value: 'Enterprise' } },
    frequency: { frequency: { type: 'static_select', selected_option: { value: 'weekly' } } },
    minutes: { minutes: { type: 'number_input', value: '12' } },
    anonymous: { anonymous: { type: 'checkboxes', selected_options: [] } },
    ...extra,
  };
}

describe('Slack: the report form', () => {
  it('opens from /pebble alone right after the ack, and a submission records every field', async () => {
    t = await startSlackApp();
    t.slack.expect('views.open', { view: { id: 'V1' } });
    const res = await t.command('');
    expect(res.status).toBe(200);
    await t.slack.done();
    const opened = t.slack.of('views.open')[0]!.body as {
      trigger_id: string;
      view: { callback_id: string; private_metadata: string; blocks: { block_id: string }[] };
    };
    expect(opened.trigger_id).toMatch(/^trigger-/);
    expect(opened.view.callback_id).toBe('pebble_report');
    expect(JSON.parse(opened.view.private_metadata)).toEqual({ k: 'slash', c: CHANNEL });
    expect(opened.view.blocks.map((b) => b.block_id)).toEqual([
      'title',
      'description',
      'stakeholder',
      'stage',
      'severity',
      'segment',
      'frequency',
      'minutes',
      'anonymous',
    ]);

    t.slack.expect('chat.postEphemeral');
    const submitted = await t.interaction(
      viewSubmission(alice, {
        callback_id: 'pebble_report',
        private_metadata: opened.view.private_metadata,
        values: reportValues('Invoice PDF is blank'),
      }),
    );
    expect(submitted.status).toBe(200);
    await t.slack.done();
    expect(t.slack.of('chat.postEphemeral')[0]!.body).toMatchObject({
      channel: CHANNEL,
      user: alice.id,
    });
    expect(await pebble(1)).toMatchObject({
      title: 'Invoice PDF is blank',
      description: 'It spins for 30 s.',
      stakeholder: 'employee',
      journey: 'customer',
      stage: 'buy',
      severity: 3,
      segment: 'Enterprise',
      frequency: 'weekly',
      minutesLost: 12,
      anonymous: false,
      source: { kind: 'slash', channelId: CHANNEL },
    });
  });

  it('keeps the form open with a message next to a missing title, and records nothing', async () => {
    t = await startSlackApp();
    const res = await t.interaction(
      viewSubmission(alice, {
        callback_id: 'pebble_report',
        private_metadata: JSON.stringify({ k: 'modal' }),
        values: reportValues('   '),
      }),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      response_action: 'errors',
      errors: { title: 'Say in a few words what got in the way.' },
    });
    const ws = await t.app.services.workspaces.get(`slack:${TEAM}`);
    expect((await t.app.services.pebbles.list(ws)).total).toBe(0);
  });

  it('opens from the global shortcut "Report a pebble"', async () => {
    t = await startSlackApp();
    t.slack.expect('views.open');
    const res = await t.interaction({
      type: 'shortcut',
      callback_id: 'report_pebble',
      trigger_id: 'trigger-global',
      user: { id: alice.id, username: 'alice', team_id: TEAM },
      team: { id: TEAM, domain: 'acme' },
      action_ts: '1.2',
      token: 'legacy',
    });
    expect(res.status).toBe(200);
    await t.slack.done();
    const body = t.slack.of('views.open')[0]!.body as { view: { private_metadata: string } };
    expect(JSON.parse(body.view.private_metadata)).toEqual({ k: 'shortcut' });
  });

  it('reports a message from the message shortcut, prefilled, with its link and author', async () => {
    t = await startSlackApp();
    const shape = fixture<Record<string, unknown>>(
      'payloads/interactivity/MessageShortcutPayload.json',
    );
    t.slack.expect('views.open');
    const res = await t.interaction({
      ...shape,
      callback_id: 'report_message_as_pebble',
      trigger_id: 'trigger-msg',
      message_ts: '1700000000.000100',
      response_url: 'https://hooks.slack.com/app/T/1/x',
      team: { id: TEAM, domain: 'acme' },
      enterprise: null,
      user: { id: bob.id, name: 'bob', team_id: TEAM },
      channel: { id: CHANNEL, name: 'general' },
      message: {
        type: 'message',
        user: 'U0AUTHOR',
        ts: '1700000000.000100',
        text: 'Refund form &lt;v2&gt; rejects IBANs\nFrom <@U0CUST|dana> this morning',
      },
    });
    expect(res.status).toBe(200);
    await t.slack.done();
    const opened = t.slack.of('views.open')[0]!.body as {
      view: { private_metadata: string; blocks: { element: { initial_value?: string } }[] };
    };
    expect(opened.view.blocks[0]!.element.initial_value).toBe('Refund form <v2> rejects IBANs');
    expect(opened.view.blocks[1]!.element.initial_value).toBe('From @dana this morning');

    t.slack
      .expect('chat.getPermalink', {
        permalink: 'https://acme.slack.com/archives/C0GENERAL1/p1700000000000100',
      })
      .expect('chat.postEphemeral');
    await t.interaction(
      viewSubmission(bob, {
        callback_id: 'pebble_report',
        private_metadata: opened.view.private_metadata,
        values: reportValues('Refund form <v2> rejects IBANs'),
      }),
    );
    await t.slack.done();
    expect(t.slack.of('chat.getPermalink')[0]!.body).toMatchObject({
      channel: CHANNEL,
      message_ts: '1700000000.000100',
    });
    expect((await pebble(1)).source).toEqual({
      kind: 'shortcut',
      channelId: CHANNEL,
      messageTs: '1700000000.000100',
      authorId: 'U0AUTHOR',
      permalink: 'https://acme.slack.com/archives/C0GENERAL1/p1700000000000100',
    });
  });
});

describe('Slack: reactions and mentions', () => {
  it('reports a message on the first :rock:, confirms once in the thread, and counts later :rock:s as +1', async () => {
    t = await startSlackApp();
    const ts = '1700000000.000200';
    t.slack
      .expect('conversations.history', {
        messages: [{ ts, user: 'U0AUTHOR', text: 'The VPN drops every hour' }],
      })
      .expect('chat.getPermalink', {
        permalink: 'https://acme.slack.com/archives/C0GENERAL1/p1700000000000200',
      })
      .expect('users.info', { user: { id: alice.id, name: 'alice', real_name: 'Alice A' } })
      .expect('chat.postMessage', { channel: CHANNEL, ts: '1700000001.000001' })
      .expect('chat.postEphemeral');
    expect((await t.event(reactionEvent(alice.id, ts))).status).toBe(200);
    await t.slack.done();
    const thread = t.slack.of('chat.postMessage')[0]!.body;
    expect(thread).toMatchObject({ channel: CHANNEL, thread_ts: ts });
    expect(thread.text).toContain('P-1 recorded');
    expect(t.slack.of('chat.postEphemeral')[0]!.body).toMatchObject({
      channel: CHANNEL,
      user: alice.id,
    });
    expect(await pebble(1)).toMatchObject({
      title: 'The VPN drops every hour',
      reporter: { userId: alice.id, name: 'Alice A' },
      source: { kind: 'reaction', channelId: CHANNEL, messageTs: ts, authorId: 'U0AUTHOR' },
    });

    // Bob's :rock: is a +1: a private note to him, no second thread reply, no second pebble.
    t.slack
      .expect('users.info', { user: { id: bob.id, name: 'bob' } })
      .expect('chat.postEphemeral');
    await t.event(reactionEvent(bob.id, ts));
    await t.slack.done();
    expect(t.slack.of('chat.postMessage')).toHaveLength(1);
    expect(t.slack.of('chat.postEphemeral')[1]!.body).toMatchObject({
      user: bob.id,
      text: expect.stringContaining('+1 recorded on *P-1*'),
    });
    expect((await pebble(1)).supporterCount).toBe(1);

    // Other reactions are ignored.
    const before = t.slack.calls.length;
    await t.event(reactionEvent(bob.id, ts, 'tada'));
    await new Promise((r) => setTimeout(r, 100));
    expect(t.slack.calls).toHaveLength(before);
  });

  it('counts two people reacting at the same moment as one pebble and one +1', async () => {
    t = await startSlackApp();
    const ts = '1700000000.000300';
    t.slack
      .expect('users.info', (b) => ({ user: { id: b.user, name: String(b.user) } }), 2)
      .expect('conversations.history', { messages: [{ ts, text: 'Badge printer jams' }] })
      .expect('chat.getPermalink', { permalink: 'https://acme.slack.com/archives/C/p1' })
      .expect('chat.postMessage', { channel: CHANNEL, ts: '1.1' })
      .expect('chat.postEphemeral', {}, 2);
    await Promise.all([t.event(reactionEvent(alice.id, ts)), t.event(reactionEvent(bob.id, ts))]);
    await t.slack.done();
    const ws = await t.app.services.workspaces.get(`slack:${TEAM}`);
    const all = await t.app.services.pebbles.list(ws);
    expect(all.total).toBe(1);
    expect(all.items[0]!.supporterCount).toBe(1);
  });

  it('reports "@Pebblebot <text>" and answers in the thread', async () => {
    t = await startSlackApp();
    t.slack
      .expect('users.info', { user: { id: alice.id, name: 'alice' } })
      .expect('chat.postMessage', { channel: CHANNEL, ts: '1.2' })
      .expect('chat.postEphemeral');
    const mention = {
      ...(recorded.mention!.event as object),
      user: alice.id,
      text: `<@${BOT_USER}> Expense tool loses receipts over 5 MB`,
      channel: CHANNEL,
      ts: '1700000000.000400',
      event_ts: '1700000000.000400',
    };
    await t.event(mention);
    await t.slack.done();
    expect(t.slack.of('chat.postMessage')[0]!.body).toMatchObject({
      channel: CHANNEL,
      thread_ts: '1700000000.000400',
    });
    expect(await pebble(1)).toMatchObject({
      title: 'Expense tool loses receipts over 5 MB',
      source: { kind: 'mention', channelId: CHANNEL, messageTs: '1700000000.000400' },
    });
  });
});

describe('Slack: after a report', () => {
  it('offers "+1 P-n instead" for a similar open pebble, and folds the report into it', async () => {
    t = await startSlackApp();
    const first = uid();
    t.slack.expectRespond(responsePath(first));
    await t.command('Checkout times out on mobile', {
      user_id: bob.id,
      user_name: 'bob',
      response_url: `https://hooks.slack.com${responsePath(first)}`,
    });
    await t.slack.done();
    const second = uid();
    t.slack.expectRespond(responsePath(second));
    await t.command('Mobile checkout times out', {
      response_url: `https://hooks.slack.com${responsePath(second)}`,
    });
    await t.slack.done();
    const confirmation = t.slack.of(`respond ${responsePath(second)}`)[0]!.body;
    const merge = buttonsOf(confirmation.blocks).find((b) =>
      b.action_id.startsWith(ACTIONS.mergeInto),
    );
    expect(merge).toMatchObject({ value: '2:1', text: { text: '+1 P-1 instead' } });

    const click = uid();
    t.slack.expectRespond(responsePath(click));
    const action = blockAction(
      alice,
      { action_id: merge!.action_id, value: merge!.value },
      { responseUrlId: click },
    );
    await t.interaction(action);
    await t.slack.done();
    expect(t.slack.of(`respond ${responsePath(click)}`)[0]!.body).toMatchObject({
      replace_original: true,
      text: expect.stringContaining('P-2 was folded into *P-1*'),
    });
    const ws = await t.app.services.workspaces.get(`slack:${TEAM}`);
    const all = await t.app.services.pebbles.list(ws);
    // P-2 stays, as a duplicate of P-1: its text and reporter are not lost.
    expect(all.items.map((p) => [p.number, p.status, p.duplicateOf])).toEqual([
      [2, 'duplicate', 1],
      [1, 'new', undefined],
    ]);
    expect(all.items[1]!.supporters.map((s) => s.userId)).toEqual([alice.id]);

    // The same click delivered again changes nothing and answers nothing.
    await t.interaction(action);
    await new Promise((r) => setTimeout(r, 100));
    expect((await pebble(1)).supporterCount).toBe(1);
  });

  it('opens "Add details" prefilled and saves the reporter’s changes over the confirmation', async () => {
    t = await startSlackApp();
    const id = uid();
    t.slack.expectRespond(responsePath(id));
    await t.command('Badge reader rejects new cards', {
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await t.slack.done();
    t.slack.expect('views.open');
    await t.interaction(
      blockAction(alice, { action_id: ACTIONS.addDetails, value: '1' }, { responseUrlId: id }),
    );
    await t.slack.done();
    const opened = t.slack.of('views.open')[0]!.body as {
      view: {
        private_metadata: string;
        title: { text: string };
        blocks: { element: { initial_value?: string } }[];
      };
    };
    expect(opened.view.title.text).toBe('Details of P-1');
    expect(opened.view.blocks[0]!.element.initial_value).toBe('Badge reader rejects new cards');
    expect(JSON.parse(opened.view.private_metadata)).toMatchObject({
      n: 1,
      r: `https://hooks.slack.com${responsePath(id)}`,
    });

    t.slack.expectRespond(responsePath(id));
    await t.interaction(
      viewSubmission(alice, {
        callback_id: 'pebble_report',
        private_metadata: opened.view.private_metadata,
        values: reportValues('Badge reader rejects new cards', {
          anonymous: {
            anonymous: { type: 'checkboxes', selected_options: [{ value: 'anonymous' }] },
          },
          segment: { segment: { type: 'plain_text_input', value: null } },
        }),
      }),
    );
    await t.slack.done();
    expect(t.slack.of(`respond ${responsePath(id)}`)[1]!.body).toMatchObject({
      replace_original: true,
    });
    const revised = await pebble(1);
    expect(revised).toMatchObject({ severity: 3, stage: 'buy', anonymous: true });
    expect(revised.segment).toBeUndefined();
  });

  it('makes a report anonymous from its confirmation', async () => {
    t = await startSlackApp();
    const id = uid();
    t.slack.expectRespond(responsePath(id), 2);
    await t.command('Parking gate ignores badges', {
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    await eventually(() => t.slack.of('respond').length === 1);
    await t.interaction(
      blockAction(alice, { action_id: ACTIONS.toggleAnonymous, value: '1' }, { responseUrlId: id }),
    );
    await t.slack.done();
    const updated = t.slack.of('respond')[1]!.body;
    expect(updated).toMatchObject({ replace_original: true });
    expect(JSON.stringify(updated.blocks)).toContain('Your name is hidden from everyone else');
    expect((await pebble(1)).anonymous).toBe(true);
  });
});
