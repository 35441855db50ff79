import { afterEach, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/views/actions.js';
import {
  alice,
  blockAction,
  bob,
  HOOKS,
  responsePath,
  startSlackApp,
  TEAM,
  uid,
  type SlackTestApp,
} from './harness.js';

let t: SlackTestApp;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

type Block = {
  type: string;
  text?: { text: string };
  elements?: { action_id: string; value?: string; text?: { text: string } }[];
  accessory?: { action_id: string; value: string };
};

async function seed(n: number, reporter = alice) {
  const ws = await t.app.services.workspaces.ensure('slack', TEAM);
  for (let i = 1; i <= n; i++) {
    await t.app.services.pebbles.report(
      ws,
      { userId: reporter.id, name: reporter.name },
      { text: `Friction number ${i}`, journey: 'customer', stage: i % 2 ? 'buy' : 'use' },
      { kind: 'console' },
    );
  }
  return ws;
}

async function ask(
  text: string,
  user = bob,
): Promise<{ id: string; blocks: Block[]; text: string }> {
  const id = uid();
  t.slack.expectRespond(responsePath(id));
  await t.command(text, {
    user_id: user.id,
    user_name: user.name,
    response_url: `${HOOKS}${responsePath(id)}`,
  });
  await t.slack.done();
  const body = t.slack.of(`respond ${responsePath(id)}`)[0]!.body as {
    blocks: Block[];
    text: string;
  };
  return { id, blocks: body.blocks, text: body.text };
}

describe('Slack: lists and pages', () => {
  it('lists ten pebbles a page, with Next and Previous that replace the message', async () => {
    t = await startSlackApp();
    await seed(25);
    const first = await ask('list');
    expect(first.blocks.filter((b) => b.type === 'section')).toHaveLength(10);
    expect(JSON.stringify(first.blocks)).toContain('Showing 1–10 of 25');
    const next = first.blocks.at(-1)!.elements!.find((e) => e.text?.text === 'Next')!;
    expect(JSON.parse(next.value!)).toEqual({ s: 'list', f: '', o: 10 });

    t.slack.expectRespond(responsePath(first.id));
    await t.interaction(
      blockAction(
        bob,
        { action_id: next.action_id, value: next.value! },
        { responseUrlId: first.id },
      ),
    );
    await t.slack.done();
    const page2 = t.slack.of(`respond ${responsePath(first.id)}`)[1]!.body as {
      replace_original: boolean;
      blocks: Block[];
    };
    expect(page2.replace_original).toBe(true);
    expect(JSON.stringify(page2.blocks)).toContain('Showing 11–20 of 25');
    expect(page2.blocks.at(-1)!.elements!.map((e) => e.text?.text)).toEqual(['Previous', 'Next']);
    expect(page2.blocks.at(-1)!.elements!.map((e) => e.action_id)).toEqual([
      ACTIONS.listPage,
      `${ACTIONS.listPage}#2`,
    ]);
  });

  it('filters by stage and lists my own pebbles', async () => {
    t = await startSlackApp();
    await seed(4);
    await seed(1, bob);
    const buy = await ask('list buy');
    expect(buy.text).toBe('Open pebbles at Buy: 3 pebbles');
    const mine = await ask('mine');
    expect(mine.text).toBe('Pebbles you reported: 1 pebble');
    const unknown = await ask('list nowhere');
    expect(unknown.text).toContain('I don\'t know "nowhere"');
  });

  it('shows one pebble, takes a +1 by command and answers help', async () => {
    t = await startSlackApp();
    await seed(2);
    const shown = await ask('show P-2');
    expect(shown.text).toBe('P-2 Friction number 2 (New)');
    const plus = await ask('+1 p-2');
    expect(plus.text).toContain('+1 recorded on *P-2*');
    const missing = await ask('show P-9');
    expect(missing.text).toBe('There is no pebble P-9 in this workspace.');
    const help = await ask('help');
    expect(JSON.stringify(help.blocks)).toContain('Report as pebble');
  });
});

describe('Slack: App Home', () => {
  it('publishes my pebbles, those I supported and open pebbles by stage, with working buttons', async () => {
    t = await startSlackApp();
    const ws = await seed(3);
    await seed(1, bob);
    await t.app.services.pebbles.support(ws, { userId: alice.id }, 4);
    t.slack.expect('users.info', { user: { id: alice.id, name: 'alice' } }).expect('views.publish');
    await t.event({
      type: 'app_home_opened',
      user: alice.id,
      channel: 'D0ALICE',
      tab: 'home',
      event_ts: '1.1',
    });
    await t.slack.done();
    const published = t.slack.of('views.publish')[0]!.body as {
      user_id: string;
      view: { type: string; blocks: Block[] };
    };
    expect(published.user_id).toBe(alice.id);
    expect(published.view.type).toBe('home');
    const text = JSON.stringify(published.view.blocks);
    for (const expected of [
      'Your pebbles',
      'Pebbles you supported',
      'Open pebbles by journey stage',
      '*Buy*: 3 open',
      '*Use*: 1 open',
    ])
      expect(text).toContain(expected);
    const shows = published.view.blocks.filter((b) => b.accessory?.action_id === ACTIONS.show);
    expect(shows).toHaveLength(4);

    // Show (from Home: no message to answer in, so a modal) and Report.
    t.slack.expect('views.open', {}, 2);
    await t.interaction(
      blockAction(alice, { action_id: ACTIONS.show, value: '4' }, { container: 'view' }),
    );
    await t.interaction(blockAction(alice, { action_id: ACTIONS.report }, { container: 'view' }));
    await t.slack.done();
    const [show, report] = t.slack
      .of('views.open')
      .map((c) => c.body as { view: { callback_id: string; blocks: Block[] } });
    expect(show!.view.callback_id).toBe('pebble_show');
    expect(JSON.stringify(show!.view.blocks)).toContain('P-4 Friction number 1');
    expect(report!.view.callback_id).toBe('pebble_report');
  });
});
