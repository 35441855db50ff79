import { afterEach, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/views/actions.js';
import { withoutBotMarkup } from './block-kit-limits.js';
import {
  alice,
  blockAction,
  bob,
  responsePath,
  startSlackApp,
  TEAM,
  uid,
  eventually,
  viewSubmission,
  type Call,
  type SlackTestApp,
} from './harness.js';

let t: SlackTestApp;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

const TRIAGE = 'C0TRIAGE01';
const carol = { id: 'U0CAROL', name: 'carol' };

/**
 * What people type, as Slack sends it: typed angle brackets arrive escaped (`&lt;!channel&gt;`),
 * real mentions and links as markup; plus controls, token delimiters, RTL, zero-width, emoji.
 */
const HOSTILE = [
  '&lt;!channel&gt;',
  '<!here>',
  '<@U0X>',
  '<!subteam^S0X|@team>',
  '<!date^1^{date}|x>',
  '&lt;https://evil.example|click&gt;',
  '<https://evil.example/login|https://bank.example/login>',
  'nul\u0000bell\u0007esc\u001b',
  '\uE000person\uE002U0EVIL\uE001',
  'rtl\u202Eevil',
  'zero\u200Bwidth',
  '🪨👩🏽‍💻',
].join(' ');

// eslint-disable-next-line no-control-regex
const UNCLEAN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uE000-\uE00F]/;

/** Fields Slack parses as mrkdwn: a message's `text` and every mrkdwn text object. */
function parsedTexts(call: Call): string[] {
  const found: string[] = [];
  if (typeof call.body.text === 'string') found.push(call.body.text);
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') found.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(call.body);
  return found;
}

/** Every string in a payload (plain_text, titles, initial values included). */
function allStrings(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) node.forEach((n) => allStrings(n, out));
  else if (node && typeof node === 'object') Object.values(node).forEach((n) => allStrings(n, out));
  return out;
}

function expectNoLeak(calls: Call[]): void {
  expect(calls.length).toBeGreaterThan(0);
  for (const call of calls) {
    for (const text of parsedTexts(call)) {
      // After the bot's own tokens, no tag may open: no <!channel>, <@…>, <#…>, <http…>.
      expect(withoutBotMarkup(text), `${call.method}: ${text}`).not.toMatch(/<|>/);
    }
    for (const s of allStrings(call.body)) expect(s, call.method).not.toMatch(UNCLEAN);
  }
}

const userInfo = (admin: boolean) => (body: Record<string, unknown>) => ({
  user: { id: body.user, name: String(body.user), is_admin: admin, is_owner: false },
});

describe('Slack: text people type never pings, disguises a link or carries controls', () => {
  it('/pebble report with hostile text: every outgoing payload is escaped, the store is clean', async () => {
    t = await startSlackApp();
    const ws = await t.app.services.workspaces.ensure('slack', TEAM);
    await t.app.services.workspaces.updateSettings(
      ws,
      { userId: 'U0ADMIN', platformAdmin: true },
      { triageChannel: TRIAGE },
    );

    // The report: a private confirmation and the triage card.
    const id = uid();
    t.slack
      .expectRespond(responsePath(id))
      .expect('chat.postMessage', { channel: TRIAGE, ts: '1700000100.000001' });
    const res = await t.command(`report ${HOSTILE}\nMore: ${HOSTILE}`, {
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    expect(res.status).toBe(200);
    await t.slack.done();
    const stored = await eventually(async () => {
      const p = await t.app.services.pebbles.get(ws, 1);
      return p.triageCard && p;
    });
    for (const field of [stored.title, stored.description]) {
      expect(field).not.toMatch(UNCLEAN);
      // Stored as the plain text people read: what they typed, and Slack's mentions as names.
      expect(field).toContain('<!channel>');
      expect(field).toContain('@here');
    }
    expect(stored.description).toContain('zero\u200Bwidth 🪨👩🏽‍💻');

    // The reporter opens "Add details": the form shows the plain text, nothing re-parsed.
    t.slack.expect('views.open');
    await t.interaction(
      blockAction(alice, { action_id: ACTIONS.addDetails, value: '1' }, { responseUrlId: id }),
    );
    await t.slack.done();
    const opened = t.slack.of('views.open')[0]!.body as {
      view: { private_metadata: string; blocks: { element: { initial_value?: string } }[] };
    };
    expect(opened.view.blocks[0]!.element.initial_value).toBe(stored.title);

    // A supporter, then triage declines with a hostile reason: card update and two DMs.
    await t.app.services.pebbles.support(ws, { userId: bob.id, name: 'bob<!channel>' }, 1);
    t.slack.expect('users.info', userInfo(true)).expect('views.open');
    await t.interaction(
      blockAction(carol, { action_id: ACTIONS.decline, value: '1' }, { channel: TRIAGE }),
    );
    await t.slack.done();
    const decline = t.slack.of('views.open')[1]!.body as { view: { private_metadata: string } };
    t.slack.expect('chat.update').expect('chat.postMessage', { channel: 'D1', ts: '1.1' }, 2);
    await t.interaction(
      viewSubmission(carol, {
        callback_id: 'pebble_decline',
        private_metadata: decline.view.private_metadata,
        values: { reason: { reason: { type: 'plain_text_input', value: `No: ${HOSTILE}` } } },
      }),
    );
    await t.slack.done();
    const declined = await t.app.services.pebbles.get(ws, 1);
    expect(declined.declineReason).not.toMatch(UNCLEAN);

    expect(t.slack.of('chat.postMessage').length).toBe(3);
    expectNoLeak(t.slack.calls.filter((c) => c.method !== 'auth.test'));
    // The escaped forms are there: people still read exactly what was typed.
    const card = t.slack.of('chat.postMessage')[0]!.body;
    expect(card.text).toContain('&lt;!channel&gt;');
    expect(JSON.stringify(card.blocks)).toContain('&lt;https://evil.example|click&gt;');
  });
});
