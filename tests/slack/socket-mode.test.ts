import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  alice,
  BOT_USER,
  CHANNEL,
  commandBody,
  eventually,
  HOOKS,
  responsePath,
  startSlackApp,
  TEAM,
  uid,
  type SlackTestApp,
} from './harness.js';

let t: SlackTestApp | undefined;
let server: WebSocketServer | undefined;
afterEach(async () => {
  expect(t?.slack.unexpected).toEqual([]);
  await t?.stop();
  server?.close();
  t = undefined;
});

/** A loopback Socket Mode server: says hello, sends envelopes, collects Bolt's acks. */
async function socketServer() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const acks: { envelope_id: string; payload?: unknown }[] = [];
  let socket: WebSocket | undefined;
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data: Buffer) =>
      acks.push(JSON.parse(data.toString()) as (typeof acks)[number]),
    );
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'local' },
        connection_info: { app_id: 'A0PEBBLE' },
      }),
    );
  });
  return {
    wss,
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    acks,
    connected: () => eventually(() => socket),
    send: (type: string, payload: unknown, extra: Record<string, unknown> = {}) => {
      const envelope_id = uid('env-');
      socket!.send(
        JSON.stringify({
          envelope_id,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          ...extra,
        }),
      );
      return envelope_id;
    },
  };
}

describe('Slack over Socket Mode', () => {
  it('serves the same listeners: a slash command and a mention, each acknowledged on the socket', async () => {
    const ws = await socketServer();
    server = ws.wss;
    t = await startSlackApp({
      socket: true,
      prepare: (slack) => slack.expect('apps.connections.open', { url: ws.url }),
    });
    expect(t.app.http?.port).toBeGreaterThan(0);
    await ws.connected();
    await t.slack.done();

    const id = uid();
    t.slack.expectRespond(responsePath(id));
    const commandEnvelope = ws.send(
      'slash_commands',
      commandBody('Onboarding laptop arrives after day one', {
        response_url: `${HOOKS}${responsePath(id)}`,
      }),
    );
    await t.slack.done();
    expect(ws.acks.find((a) => a.envelope_id === commandEnvelope)).toBeDefined();
    expect(t.slack.of('respond')[0]!.body.text).toContain('P-1 recorded');

    t.slack
      .expect('users.info', { user: { id: alice.id, name: 'alice' } })
      .expect('chat.postMessage', { channel: CHANNEL, ts: '1.5' })
      .expect('chat.postEphemeral');
    const event = {
      token: 'legacy',
      team_id: TEAM,
      api_app_id: 'A0PEBBLE',
      type: 'event_callback',
      event_id: 'EvSOCKET1',
      event_time: 1,
      authorizations: [{ team_id: TEAM, user_id: BOT_USER, is_bot: true }],
      event: {
        type: 'app_mention',
        user: alice.id,
        text: `<@${BOT_USER}> Door badge fails in the rain`,
        channel: CHANNEL,
        ts: '1700000000.000600',
        event_ts: '1700000000.000600',
      },
    };
    const first = ws.send('events_api', event, { retry_attempt: 0, retry_reason: '' });
    const retried = ws.send('events_api', event, { retry_attempt: 1, retry_reason: 'timeout' });
    await t.slack.done();
    await eventually(() => ws.acks.some((a) => a.envelope_id === retried));
    expect(ws.acks.some((a) => a.envelope_id === first)).toBe(true);

    // A malformed envelope is acknowledged (so it is not redelivered) and dropped.
    const broken = ws.send('interactive', null);
    await eventually(() => ws.acks.some((a) => a.envelope_id === broken));
    await new Promise((r) => setTimeout(r, 100));
    const workspace = await t.app.services.workspaces.get(`slack:${TEAM}`);
    expect((await t.app.services.pebbles.list(workspace)).total).toBe(2);
  });
});
