import { afterEach, describe, expect, it, vi } from 'vitest';
import { DESCRIPTION_MAX, TITLE_MAX } from '../../src/core/pebbles/pebble.model.js';
import { TRUNCATION_NOTE } from '../../src/core/pebbles/pebble.service.js';
import type { Datastore } from '../../src/store/nedb/datastore.js';
import { ACTIONS } from '../../src/views/actions.js';
import {
  alice,
  blockAction,
  bob,
  BOT_USER,
  CHANNEL,
  commandBody,
  fixture,
  responsePath,
  sign,
  startSlackApp,
  TEAM,
  uid,
  viewSubmission,
  type SlackTestApp,
} from './harness.js';

let t: SlackTestApp;
afterEach(async () => {
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

async function pebbleCount(): Promise<number> {
  const ws = await t.app.services.store.workspaces.get(`slack:${TEAM}`);
  return ws ? (await t.app.services.pebbles.list(ws)).total : 0;
}

describe('Slack: requests that are not from Slack', () => {
  it('rejects a forged signature with 401 before any listener runs', async () => {
    t = await startSlackApp();
    const body = new URLSearchParams(commandBody('Forged report')).toString();
    const res = await t.post(body, { headers: sign(body, undefined, 'not-the-secret') });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(t.slack.calls.map((c) => c.method)).toEqual(['auth.test']);
    expect(await t.app.services.store.workspaces.get(`slack:${TEAM}`)).toBeNull();
  });

  it('rejects a correctly signed but stale request (6 minutes old) with 401', async () => {
    t = await startSlackApp();
    const body = new URLSearchParams(commandBody('Replayed report')).toString();
    const res = await t.post(body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(res.status).toBe(401);
    expect(await pebbleCount()).toBe(0);
  });

  it('rejects a request without signature headers', async () => {
    t = await startSlackApp();
    const res = await fetch(t.url, {
      method: 'POST',
      body: 'command=/pebble',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(401);
  });

  it('answers Slack’s URL verification and SSL check', async () => {
    t = await startSlackApp();
    const challenge = fixture('payloads/events/url_challenge.json');
    const res = await t.post(JSON.stringify(challenge), { contentType: 'application/json' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ challenge: 'valid_challenge_token' });
    const ssl = await fetch(t.url, {
      method: 'POST',
      body: 'ssl_check=1&token=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(ssl.status).toBe(200);
  });
});

describe('Slack: malformed and oversized input', () => {
  const json = { contentType: 'application/json' };
  const form = (payload: string) => new URLSearchParams({ payload }).toString();

  it.each([
    ['broken JSON', '{"type":', json],
    ['a JSON null (crashes a bare Bolt receiver)', 'null', json],
    ['a JSON string', '"hello"', json],
    ['a JSON array', '[1,2]', json],
    ['an empty object', '{}', json],
    [
      'an event without its event',
      '{"type":"event_callback","team_id":"T0PEBBLE1","event_id":"Ev1"}',
      json,
    ],
    [
      'an event without a team',
      '{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}',
      json,
    ],
    [
      'a block action without user',
      form(
        '{"type":"block_actions","team":{"id":"T1"},"actions":[{"action_id":"pebble.support"}]}',
      ),
      {},
    ],
    [
      'a block action without actions',
      form('{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"actions":[]}'),
      {},
    ],
    [
      'a view submission without view',
      form('{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U1"}}'),
      {},
    ],
    ['an interaction payload that is not JSON', form('not json'), {}],
    ['a payload of null', form('null'), {}],
    [
      'a slash command without trigger_id',
      'command=%2Fpebble&team_id=T1&user_id=U1&channel_id=C1&response_url=https%3A%2F%2Fhooks.slack.com%2Fx',
      {},
    ],
    [
      'a slash command with a bad response_url',
      new URLSearchParams({ ...commandBody('x'), response_url: 'nope' }).toString(),
      {},
    ],
  ])('answers %s with 400, quickly, and keeps serving', async (_name, body, options) => {
    t = await startSlackApp();
    const res = await t.post(body, options);
    expect(res.status).toBe(400);
    expect(res.ms).toBeLessThan(1_000);
    expect((await fetch(t.url.replace('/slack/events', '/healthz'))).status).toBe(200);
    expect(await pebbleCount()).toBe(0);
  });

  it('refuses a body over 1 MB with 413', async () => {
    t = await startSlackApp();
    const res = await t.post(`text=${'x'.repeat(1024 * 1024 + 10)}`);
    expect(res.status).toBe(413);
  });

  it('answers other methods and paths under /slack/ with 405 and 404', async () => {
    t = await startSlackApp();
    expect((await fetch(t.url)).status).toBe(405);
    expect((await fetch(t.url.replace('/events', '/nope'), { method: 'POST' })).status).toBe(404);
  });

  it('shortens text over the limits with a note instead of failing', async () => {
    t = await startSlackApp();
    const id = uid();
    t.slack.expectRespond(responsePath(id));
    const title = 'T'.repeat(400);
    const description = 'd'.repeat(9_000);
    const res = await t.command(`${title}\n${description}`, {
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    expect(res.status).toBe(200);
    await t.slack.done();
    expect(JSON.stringify(t.slack.of('respond')[0]!.body)).toContain('shortened');
    const ws = await t.app.services.workspaces.get(`slack:${TEAM}`);
    const pebble = await t.app.services.pebbles.get(ws, 1);
    expect(pebble.title.length).toBeLessThanOrEqual(TITLE_MAX);
    expect(pebble.description.length).toBeLessThanOrEqual(DESCRIPTION_MAX);
    expect(pebble.description.endsWith(TRUNCATION_NOTE)).toBe(true);
  });

  it('shortens an oversized form submission (the form limits can be bypassed) instead of failing', async () => {
    t = await startSlackApp();
    t.slack.expect('chat.postEphemeral');
    await t.interaction(
      viewSubmission(alice, {
        callback_id: 'pebble_report',
        private_metadata: JSON.stringify({ k: 'modal', c: CHANNEL }),
        values: {
          title: { title: { type: 'plain_text_input', value: 'x'.repeat(5_000) } },
          description: { description: { type: 'plain_text_input', value: 'y'.repeat(50_000) } },
        },
      }),
    );
    await t.slack.done();
    expect(await pebbleCount()).toBe(1);
  });

  it('acknowledges a control no listener knows (an older version) and says so', async () => {
    t = await startSlackApp();
    const click = uid();
    t.slack.expectRespond(responsePath(click));
    const res = await t.interaction(
      blockAction(
        alice,
        { action_id: 'pebble.retired_button', value: '1' },
        { responseUrlId: click },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(1_000);
    await t.slack.done();
    expect(t.slack.of('respond')[0]!.body.text).toContain('older version');
  });
});

describe('Slack: retries and duplicates', () => {
  it('creates one pebble when Slack retries an event (same event_id, x-slack-retry-num)', async () => {
    t = await startSlackApp();
    t.slack
      .expect('users.info', { user: { id: alice.id, name: 'alice' } })
      .expect('chat.postMessage', { channel: CHANNEL, ts: '1.3' })
      .expect('chat.postEphemeral');
    const mention = {
      type: 'app_mention',
      user: alice.id,
      text: `<@${BOT_USER}> Printer on 3 is out of toner again`,
      channel: CHANNEL,
      ts: '1700000000.000500',
      event_ts: '1700000000.000500',
    };
    const eventId = `Ev${uid()}`;
    const results = await Promise.all([
      t.event(mention, { eventId }),
      t.event(mention, { eventId, retryNum: 1 }),
      t.event(mention, { eventId, retryNum: 2 }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    await t.slack.done();
    await new Promise((r) => setTimeout(r, 100));
    expect(await pebbleCount()).toBe(1);
    expect(t.logs.join('')).toContain('duplicate Slack event ignored');
  });

  it("remembers an event for Slack's last retry, 5 minutes on, and forgets it after 15", async () => {
    // Only Date is faked: the server, Bolt and the fakes keep their real timers.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    try {
      t = await startSlackApp();
      const mention = (text: string) => ({
        type: 'app_mention',
        user: alice.id,
        text: `<@${BOT_USER}> ${text}`,
        channel: CHANNEL,
        ts: `${Date.now() / 1000}`,
        event_ts: `${Date.now() / 1000}`,
      });
      const reported = () =>
        t.slack
          .expect('chat.postMessage', { channel: CHANNEL, ts: `${Date.now() / 1000}` })
          .expect('chat.postEphemeral');
      const eventId = `Ev${uid()}`;
      const first = mention('Printer on 3 is out of toner again');
      // Alice's profile is read once, then kept.
      t.slack.expect('users.info', { user: { id: alice.id, name: 'alice' } });
      reported();
      expect((await t.event(first, { eventId })).status).toBe(200);
      await t.slack.done();
      await vi.waitFor(async () => expect(await pebbleCount()).toBe(1));

      // Slack's third retry comes about 5 minutes after the first delivery.
      vi.setSystemTime(Date.now() + 6 * 60_000);
      expect((await t.event(first, { eventId, retryNum: 3 })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      expect(await pebbleCount()).toBe(1);

      // 16 minutes on, the next delivery's claim sweeps the key out (claims expire, and no
      // retry comes that late): the store no longer holds it.
      vi.setSystemTime(Date.now() + 16 * 60_000);
      reported();
      expect((await t.event(mention('Badge reader at the door'), {})).status).toBe(200);
      await t.slack.done();
      await vi.waitFor(async () => expect(await pebbleCount()).toBe(2));
      const claims = () =>
        (t.app.services.store.events as unknown as { db: Datastore }).db
          .getAllData()
          .map((claim) => String(claim._id));
      await vi.waitFor(() => expect(claims().join(' ')).not.toContain(eventId));
      expect(claims().length).toBeGreaterThan(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('creates one pebble when the same form submission arrives twice', async () => {
    t = await startSlackApp();
    t.slack.expect('chat.postEphemeral');
    const payload = viewSubmission(alice, {
      callback_id: 'pebble_report',
      private_metadata: JSON.stringify({ k: 'modal', c: CHANNEL }),
      values: {
        title: { title: { type: 'plain_text_input', value: 'Wiki search finds nothing' } },
      },
    });
    await Promise.all([t.interaction(payload), t.interaction(payload)]);
    await t.slack.done();
    await new Promise((r) => setTimeout(r, 100));
    expect(await pebbleCount()).toBe(1);
  });

  it('counts one +1 when the same click arrives twice, and one when the same slash command does', async () => {
    t = await startSlackApp();
    const ws = await t.app.services.workspaces.ensure('slack', TEAM);
    await t.app.services.pebbles.report(
      ws,
      { userId: alice.id },
      { text: 'Laptop refresh takes 6 weeks' },
      { kind: 'console' },
    );
    const click = uid();
    t.slack.expectRespond(responsePath(click));
    const action = blockAction(
      bob,
      { action_id: ACTIONS.support, value: '1' },
      { responseUrlId: click },
    );
    await Promise.all([t.interaction(action), t.interaction(action)]);
    await t.slack.done();

    const id = uid();
    t.slack.expectRespond(responsePath(id));
    const command = new URLSearchParams(
      commandBody('Wifi in room 4 drops', {
        response_url: `https://hooks.slack.com${responsePath(id)}`,
        trigger_id: 'trigger-same',
      }),
    ).toString();
    await Promise.all([t.post(command), t.post(command)]);
    await t.slack.done();
    await new Promise((r) => setTimeout(r, 100));
    expect((await t.app.services.pebbles.get(ws, 1)).supporterCount).toBe(1);
    expect((await t.app.services.pebbles.list(ws)).total).toBe(2);
  });
});
