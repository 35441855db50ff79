import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import {
  crashScene,
  postSigned,
  startBot,
  stopBot,
  type BotProcess as Bot,
} from './bot-process.js';

const SECRET = 'crash-test-signing-secret';
// The fake Slack's auth.test names this team: requests come from the workspace the token serves.
const TEAM = 'T1';
const WORKSPACE = `slack:${TEAM}`;
const BURST = 200;
const KILL_AFTER = 60;

const scene = crashScene('pebblebot-ack-crash-');

/** The bot on DATA_DIR with the fake Slack API at `slackApi`. */
const start = (dataDir: string, slackApi: string) =>
  startBot(dataDir, { slackApi, secret: SECRET, token: 'xoxb-crash-test' });

/** A signed `/pebble …` from `user`, as Slack sends it. */
async function slash(bot: Bot, text: string, user: string, responseUrl: string): Promise<number> {
  const body = new URLSearchParams({
    token: 'legacy',
    team_id: TEAM,
    team_domain: 'acme',
    channel_id: 'C0GENERAL1',
    channel_name: 'general',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/pebble',
    text,
    response_url: responseUrl,
    trigger_id: `trigger-${user}-${text.length}-${Math.random().toString(36).slice(2)}`,
  }).toString();
  return postSigned(bot, body);
}

/** A signed `app_mention` event, as Slack sends it. */
async function mention(bot: Bot, text: string, i: number): Promise<number> {
  const ts = `1700000000.${String(i).padStart(6, '0')}`;
  const body = JSON.stringify({
    token: 'legacy',
    team_id: TEAM,
    api_app_id: 'A0PEBBLE',
    type: 'event_callback',
    event_id: `Ev0CRASH${i}`,
    event_time: 1700000000,
    authorizations: [{ team_id: TEAM, user_id: 'UBOT', is_bot: true }],
    event: {
      type: 'app_mention',
      user: `U0MEN${i}`,
      text: `<@UBOT> ${text}`,
      channel: 'C0GENERAL1',
      ts,
      event_ts: ts,
    },
  });
  return postSigned(bot, body, 'application/json');
}

/**
 * Fires `count` requests at once and SIGKILLs the bot after `killAfter` acknowledgements;
 * returns the indexes of the requests that were acknowledged (HTTP 200).
 */
async function burstThenKill(
  bot: Bot,
  count: number,
  killAfter: number,
  send: (i: number) => Promise<number>,
): Promise<number[]> {
  const acked: number[] = [];
  const exited = once(bot.child, 'exit');
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const status = await send(i).catch(() => 0);
      if (status !== 200) return;
      acked.push(i);
      if (acked.length === killAfter) bot.child.kill('SIGKILL');
    }),
  );
  const [, signal] = (await exited) as [number | null, string | null];
  expect(signal, bot.output()).toBe('SIGKILL');
  return acked;
}

/** Restarts the bot on the same folder (as after a crash), stops it, and reads what it kept. */
async function afterRestart<T>(
  dataDir: string,
  slackApi: string,
  read: (store: Awaited<ReturnType<typeof openEmbeddedStore>>) => Promise<T>,
): Promise<T> {
  // startBot waits for the killed bot's folder lock to go stale.
  await stopBot(await start(dataDir, slackApi));
  const store = await openEmbeddedStore({ dataDir });
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

describe('Slack: a request the bot acknowledged survives a crash', () => {
  it('stores every acknowledged /pebble report before a kill -9 mid-burst', async () => {
    const dir = scene.folder();
    const { fake, api } = await scene.slack();
    const bot = await start(dir, api);
    const text = (i: number) => `crash-report-${String(i).padStart(3, '0')} the hold music loops`;

    const acked = await burstThenKill(bot, BURST, KILL_AFTER, (i) =>
      slash(bot, text(i), `U0REP${i}`, `${fake.url}/response/${i}`),
    );
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER);

    const titles = await afterRestart(dir, api, async (store) => {
      const page = await store.pebbles.list(WORKSPACE, {}, { limit: 1_000 });
      return new Set(page.items.map((p) => p.title));
    });
    const lost = acked.filter((i) => !titles.has(text(i)));
    expect(lost, `${lost.length} of ${acked.length} acknowledged reports lost`).toEqual([]);
  }, 180_000);

  it('stores every acknowledged @mention report before a kill -9 mid-burst', async () => {
    const dir = scene.folder();
    const { api } = await scene.slack();
    const bot = await start(dir, api);
    const text = (i: number) => `crash-mention-${String(i).padStart(3, '0')} the wiki is down`;

    const acked = await burstThenKill(bot, BURST, KILL_AFTER, (i) => mention(bot, text(i), i));
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER);

    const titles = await afterRestart(dir, api, async (store) => {
      const page = await store.pebbles.list(WORKSPACE, {}, { limit: 1_000 });
      return new Set(page.items.map((p) => p.title));
    });
    const lost = acked.filter((i) => !titles.has(text(i)));
    expect(lost, `${lost.length} of ${acked.length} acknowledged mentions lost`).toEqual([]);
  }, 180_000);

  it('stores every acknowledged /pebble +1 before a kill -9 mid-burst', async () => {
    const dir = scene.folder();
    const { fake, api } = await scene.slack();
    const first = await start(dir, api);
    expect(await slash(first, 'The badge reader forgets me', 'U0OWNER', `${fake.url}/r/0`)).toBe(
      200,
    );
    // The pebble is stored before its acknowledgement; a clean stop hands the folder on.
    await stopBot(first);

    const bot = await start(dir, api);
    const acked = await burstThenKill(bot, BURST, KILL_AFTER, (i) =>
      slash(bot, '+1 P-1', `U0FAN${i}`, `${fake.url}/response/${i}`),
    );
    const supporters = await afterRestart(dir, api, async (store) => {
      const found = new Set<number>();
      for (const i of acked) {
        const page = await store.pebbles.list(WORKSPACE, { supporterId: `U0FAN${i}` });
        if (page.items.some((p) => p.number === 1)) found.add(i);
      }
      return found;
    });
    const lost = acked.filter((i) => !supporters.has(i));
    expect(lost, `${lost.length} of ${acked.length} acknowledged +1s lost`).toEqual([]);
  }, 180_000);
});
