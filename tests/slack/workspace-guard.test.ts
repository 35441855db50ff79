import { afterEach, describe, expect, it } from 'vitest';
import { fromTheFuture } from '../../src/slack/slack.channel.js';
import { ACTIONS } from '../../src/views/actions.js';
import {
  alice,
  blockAction,
  BOT_USER,
  CHANNEL,
  commandBody,
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

/** Every workspace in the store and every pebble in them: what a refused request must not touch. */
async function written(): Promise<{ workspaces: string[]; pebbles: number }> {
  const all = await t.app.services.store.workspaces.list();
  let pebbles = 0;
  for (const ws of all) pebbles += (await t.app.services.pebbles.list(ws)).total;
  return { workspaces: all.map((w) => w.id), pebbles };
}

const settle = () => new Promise((r) => setTimeout(r, 150));

describe('Slack: only the workspace the bot token belongs to', () => {
  it.each([['T0INTRUDER'], ['%ZZ']])(
    'refuses a validly signed /pebble report from team %s with an ephemeral word, writing nothing',
    async (team) => {
      t = await startSlackApp();
      const body = new URLSearchParams(
        commandBody('report Checkout button is hidden', { team_id: team }),
      ).toString();
      const res = await t.post(body);
      expect(res.status).toBe(200);
      const answer = JSON.parse(res.text) as { response_type: string; text: string };
      expect(answer.response_type).toBe('ephemeral');
      expect(answer.text).toMatch(/serves another Slack workspace/);
      await settle();
      expect(await written()).toEqual({ workspaces: [], pebbles: 0 });
      expect(t.slack.calls.map((c) => c.method)).toEqual(['auth.test']);
      expect(t.logs.join('')).toMatch(/does not serve refused/);
    },
  );

  it('acknowledges an event from another team with 200 (no retries) and does no work', async () => {
    t = await startSlackApp();
    const eventId = `Ev${uid()}`;
    const res = await t.post(
      JSON.stringify({
        token: 'legacy',
        team_id: 'T0INTRUDER',
        api_app_id: 'A0PEBBLE',
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: 'T0INTRUDER', user_id: BOT_USER, is_bot: true }],
        event: {
          type: 'app_mention',
          user: alice.id,
          text: `<@${BOT_USER}> the invoice page times out`,
          channel: CHANNEL,
          ts: '1700000000.000100',
          event_ts: '1700000000.000100',
        },
      }),
      { contentType: 'application/json' },
    );
    expect(res.status).toBe(200);
    await settle();
    expect(await written()).toEqual({ workspaces: [], pebbles: 0 });
    // Not even the delivery key is claimed: the store is not written at all.
    expect(
      await t.app.services.store.events.claim(
        `slack:T0INTRUDER:event:${eventId}`,
        new Date(Date.now() + 60_000),
      ),
    ).toBe(true);
    expect(t.slack.calls.map((c) => c.method)).toEqual(['auth.test']);
  });

  it('refuses a button click from another team without answering on its response_url', async () => {
    t = await startSlackApp();
    const payload = blockAction(alice, { action_id: ACTIONS.report });
    payload.team = { id: 'T0INTRUDER', domain: 'elsewhere' };
    payload.user = { id: alice.id, username: alice.name, team_id: 'T0INTRUDER' };
    const res = await t.interaction(payload);
    expect(res.status).toBe(200);
    await settle();
    expect(await written()).toEqual({ workspaces: [], pebbles: 0 });
    expect(t.slack.calls.map((c) => c.method)).toEqual(['auth.test']);
  });

  it('still serves its own team', async () => {
    t = await startSlackApp();
    const id = uid();
    t.slack.expectRespond(responsePath(id));
    const res = await t.command('report Checkout button is hidden', {
      response_url: `https://hooks.slack.com${responsePath(id)}`,
    });
    expect(res.status).toBe(200);
    await t.slack.done();
    expect(await written()).toEqual({ workspaces: [`slack:${TEAM}`], pebbles: 1 });
  });
});

describe('Slack: request timestamps from the future', () => {
  it('rejects a correctly signed request stamped 6 minutes ahead with 401, writing nothing', async () => {
    t = await startSlackApp();
    const body = new URLSearchParams(commandBody('report Replayed later')).toString();
    const res = await t.post(body, { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 });
    expect(res.status).toBe(401);
    await settle();
    expect(await written()).toEqual({ workspaces: [], pebbles: 0 });
    expect(t.logs.join('')).toMatch(/more than 5 minutes ahead/);
  });

  it('accepts a clock a little ahead (within 5 minutes), as Slack allows skew both ways', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(fromTheFuture(now / 1000 + 4 * 60, now)).toBe(false);
    expect(fromTheFuture(now / 1000 + 5 * 60, now)).toBe(false);
    expect(fromTheFuture(now / 1000 + 5 * 60 + 1, now)).toBe(true);
    expect(fromTheFuture(now / 1000 - 10 * 60, now)).toBe(false);
  });
});
