import { afterEach, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/views/actions.js';
import { registerSensitive } from '../helpers/privacy.js';
import {
  blockAction,
  bob,
  carol,
  CHANNEL,
  eventually,
  HOOKS,
  responsePath,
  startSlackApp,
  TEAM,
  TRIAGE,
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

const sam = { id: 'U0SECRETSAM', name: 'secret.sam' };

describe('Slack: anonymous reporters', () => {
  it.each(['info', 'debug'])(
    'never appear in any outgoing request but their own, nor in the log (log level %s)',
    async (logLevel) => {
      t = await startSlackApp({ logLevel });
      const ws = await t.app.services.workspaces.ensure('slack', TEAM);
      await t.app.services.workspaces.updateSettings(
        ws,
        { userId: 'U0ADMIN', platformAdmin: true },
        { triageChannel: TRIAGE },
      );
      const samUrls: string[] = [];
      const samRespond = () => {
        const id = uid('sam');
        samUrls.push(responsePath(id));
        t.slack.expectRespond(responsePath(id));
        return `${HOOKS}${responsePath(id)}`;
      };

      // Sam reports anonymously twice: with the form, and with `/pebble anon`.
      t.slack
        .expect('chat.postEphemeral')
        .expect('chat.postMessage', { channel: TRIAGE, ts: '1700000200.000001' });
      await t.interaction(
        viewSubmission(sam, {
          callback_id: 'pebble_report',
          private_metadata: JSON.stringify({ k: 'slash', c: CHANNEL }),
          values: {
            title: {
              title: {
                type: 'plain_text_input',
                value: 'Manager approvals get lost over holidays',
              },
            },
            anonymous: {
              anonymous: { type: 'checkboxes', selected_options: [{ value: 'anonymous' }] },
            },
          },
        }),
      );
      await t.slack.done();
      t.slack.expect('chat.postMessage', { channel: TRIAGE, ts: '1700000200.000002' });
      await t.command('anon Approvals by managers vanish over holidays', {
        user_id: sam.id,
        user_name: sam.name,
        response_url: samRespond(),
      });
      await t.slack.done();
      await eventually(async () => (await t.app.services.pebbles.get(ws, 2)).triageCard);

      // Others look: +1 on the card, list, show, App Home.
      const bobUrl = () => {
        const id = uid('bob');
        t.slack.expectRespond(responsePath(id));
        return id;
      };
      t.slack.expect('chat.update');
      await t.interaction(
        blockAction(
          bob,
          { action_id: ACTIONS.support, value: '1' },
          { responseUrlId: bobUrl(), channel: TRIAGE },
        ),
      );
      await t.command('list', {
        user_id: bob.id,
        user_name: bob.name,
        response_url: `${HOOKS}${responsePath(bobUrl())}`,
      });
      await t.command('show P-1', {
        user_id: bob.id,
        user_name: bob.name,
        response_url: `${HOOKS}${responsePath(bobUrl())}`,
      });
      await t.slack.done();
      t.slack
        .expect('users.info', { user: { id: bob.id, name: bob.name } })
        .expect('views.publish');
      await t.event({
        type: 'app_home_opened',
        user: bob.id,
        channel: 'D0BOB',
        tab: 'home',
        event_ts: '1.1',
      });
      await t.slack.done();

      // An admin declines P-1 and marks P-2 a duplicate of it: everyone concerned is told.
      const admin = (b: Record<string, unknown>) => ({
        user: { id: b.user, name: 'carol', is_admin: true },
      });
      t.slack.expect('users.info', admin).expect('views.open', {}, 2);
      await t.interaction(
        blockAction(carol, { action_id: ACTIONS.markDuplicate, value: '2' }, { channel: TRIAGE }),
      );
      await t.interaction(
        blockAction(carol, { action_id: ACTIONS.decline, value: '1' }, { channel: TRIAGE }),
      );
      await t.slack.done();
      t.slack
        .expect('chat.update', {}, 2)
        .expect('chat.postMessage', { channel: 'D', ts: '1.1' }, 1);
      await t.interaction(
        viewSubmission(carol, {
          callback_id: 'pebble_duplicate',
          private_metadata: JSON.stringify({ n: 2 }),
          values: { of: { of: { type: 'plain_text_input', value: 'P-1' } } },
        }),
      );
      await t.slack.done();
      t.slack.expect('chat.update').expect('chat.postMessage', { channel: 'D', ts: '1.2' }, 2);
      await t.interaction(
        viewSubmission(carol, {
          callback_id: 'pebble_decline',
          private_metadata: JSON.stringify({ n: 1 }),
          values: {
            reason: {
              reason: {
                type: 'plain_text_input',
                value: 'Covered by the new approval delegation.',
              },
            },
          },
        }),
      );
      await t.slack.done();

      // The suite-wide privacy scan looks for Sam everywhere else too (tests/privacy-scan.global.ts).
      registerSensitive({
        kind: 'anonymous-reporter',
        id: sam.id,
        names: [sam.name],
        ownAddresses: [sam.id, ...samUrls],
      });
      const toSam = (call: Call) =>
        (call.method === 'chat.postEphemeral' && call.body.user === sam.id) ||
        (call.method === 'chat.postMessage' && call.body.channel === sam.id) ||
        samUrls.some((url) => call.method === `respond ${url}`);
      const others = t.slack.calls.filter((call) => !toSam(call));
      expect(t.slack.calls.filter(toSam).length).toBeGreaterThanOrEqual(3);
      expect(others.length).toBeGreaterThan(10);
      for (const call of others) {
        expect(call.raw, `${call.method} leaks the reporter`).not.toContain(sam.id);
        expect(call.raw.toLowerCase(), `${call.method} leaks the reporter`).not.toContain('secret');
      }
      const cards = t.slack.calls.filter(
        (c) => c.method === 'chat.postMessage' && c.body.channel === TRIAGE,
      );
      expect(cards).toHaveLength(2);
      for (const card of cards) expect(JSON.stringify(card.body.blocks)).toContain('Anonymous');
      const log = t.logs.join('');
      expect(log).not.toContain(sam.id);
      expect(log.toLowerCase()).not.toContain('secret');
      expect(log).toContain('P-1');
    },
  );
});
