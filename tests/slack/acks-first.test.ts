import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ANSWER_MAX_WAIT_MS } from '../../src/slack/acks-first.js';
import {
  alice,
  blockAction,
  responsePath,
  startSlackApp,
  uid,
  type SlackTestApp,
} from './harness.js';

let t: SlackTestApp;
let slow: net.Socket | undefined;
afterEach(async () => {
  slow?.destroy();
  slow = undefined;
  expect(t.slack.unexpected).toEqual([]);
  await t.stop();
});

/** A request to the Slack endpoint whose body has not all arrived: it waits to be acknowledged. */
async function requestStillArriving(url: string): Promise<{ finish(): Promise<void> }> {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  slow = socket;
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const body = 'payload=%7B%7D';
  socket.write(
    `POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `content-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\n\r\n` +
      body.slice(0, 4),
  );
  return {
    finish: async () => {
      const answered = new Promise<string>((resolve) =>
        socket.once('data', (data: Buffer) => resolve(data.toString())),
      );
      socket.write(body.slice(4));
      // Unsigned: refused, which is its acknowledgement too.
      expect(await answered).toMatch(/^HTTP\/1\.1 401/);
    },
  };
}

/** A click on a control no listener knows: acknowledged at once, then answered through its response_url. */
async function clickOldControl(): Promise<string> {
  const id = uid();
  t.slack.expectRespond(responsePath(id));
  const res = await t.interaction(
    blockAction(alice, { action_id: 'retired.button', value: '1' }, { responseUrlId: id }),
  );
  expect(res.status).toBe(200);
  return `respond ${responsePath(id)}`;
}

const answered = (method: string) => t.slack.of(method).length > 0;

describe('Slack: acknowledgements before answers', () => {
  it('answers a click once no other request waits for its acknowledgement', async () => {
    t = await startSlackApp();
    const pending = await requestStillArriving(t.url);
    const answer = await clickOldControl();
    await new Promise((r) => setTimeout(r, 400));
    // The click is acknowledged; its answer waits while another request is still unanswered.
    expect(answered(answer)).toBe(false);
    const released = performance.now();
    await pending.finish();
    await t.slack.done();
    expect(performance.now() - released).toBeLessThan(ANSWER_MAX_WAIT_MS);
    expect(JSON.stringify(t.slack.of(answer)[0]!.body)).toContain('older version');
  });

  it('answers within its bound when requests keep waiting', async () => {
    t = await startSlackApp();
    await requestStillArriving(t.url);
    const asked = performance.now();
    const answer = await clickOldControl();
    await t.slack.done(ANSWER_MAX_WAIT_MS + 3_000);
    const waited = performance.now() - asked;
    expect(answered(answer)).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(ANSWER_MAX_WAIT_MS - 100);
    expect(waited).toBeLessThan(ANSWER_MAX_WAIT_MS + 2_000);
  });
});
