import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import { FakeSlackApi } from '../helpers/fake-slack-api.js';
import { cleanEnv, ROOT, tempDir } from '../helpers/run-cli.js';

const SECRET = 'crash-test-signing-secret';
// The fake Slack's auth.test names this team: requests come from the workspace the token serves.
const TEAM = 'T1';
const WORKSPACE = `slack:${TEAM}`;
const BURST = 200;
const KILL_AFTER = 60;

interface Bot {
  child: ChildProcess;
  url: string;
  output: () => string;
}

let dir: string | undefined;
let fake: FakeSlackApi | undefined;
const bots: ChildProcess[] = [];
afterEach(async () => {
  for (const child of bots.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await fake?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts the real bot (`src/main.ts`) on DATA_DIR and resolves once it listens. */
async function startBot(dataDir: string, slackApi: string): Promise<Bot> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: cleanEnv({
      DATA_DIR: dataDir,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-crash-test',
      SLACK_API_URL: slackApi,
      LOG_LEVEL: 'info',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bots.push(child);
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bot did not start:\n${output}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /"port":(\d+)[^\n]*HTTP server listening/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', () => reject(new Error(`bot exited before listening:\n${output}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/slack/events`, output: () => output };
}

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
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  const response = await fetch(bot.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signature,
    },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  return response.status;
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
  const now = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${now}:${body}`).digest('hex')}`;
  const response = await fetch(bot.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(now),
      'x-slack-signature': signature,
    },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  return response.status;
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

/**
 * Starts the bot again on the folder a killed bot held. Its store lock is stale only once it is
 * 15 s old, and until then the new bot refuses the folder (as it should): it is retried.
 */
async function restartAfterCrash(dataDir: string, slackApi: string): Promise<Bot> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      return await startBot(dataDir, slackApi);
    } catch (error) {
      if (Date.now() > until || !/in use by another Pebblebot process/.test(String(error)))
        throw error;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

/** Restarts the bot on the same folder (as after a crash), stops it, and reads what it kept. */
async function afterRestart<T>(
  dataDir: string,
  slackApi: string,
  read: (store: Awaited<ReturnType<typeof openEmbeddedStore>>) => Promise<T>,
): Promise<T> {
  const again = await restartAfterCrash(dataDir, slackApi);
  const exited = once(again.child, 'exit');
  again.child.kill('SIGTERM');
  await exited;
  const store = await openEmbeddedStore({ dataDir });
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

describe('Slack: a request the bot acknowledged survives a crash', () => {
  it('stores every acknowledged /pebble report before a kill -9 mid-burst', async () => {
    dir = tempDir('pebblebot-ack-crash-');
    fake = new FakeSlackApi();
    const api = await fake.start();
    const bot = await startBot(dir, api);
    const text = (i: number) => `crash-report-${String(i).padStart(3, '0')} the hold music loops`;

    const acked = await burstThenKill(bot, BURST, KILL_AFTER, (i) =>
      slash(bot, text(i), `U0REP${i}`, `${fake!.url}/response/${i}`),
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
    dir = tempDir('pebblebot-ack-crash-');
    fake = new FakeSlackApi();
    const api = await fake.start();
    const bot = await startBot(dir, api);
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
    dir = tempDir('pebblebot-ack-crash-');
    fake = new FakeSlackApi();
    const api = await fake.start();
    const first = await startBot(dir, api);
    expect(await slash(first, 'The badge reader forgets me', 'U0OWNER', `${fake.url}/r/0`)).toBe(
      200,
    );
    // The pebble is stored before its acknowledgement; a clean stop hands the folder on.
    const stopped = once(first.child, 'exit');
    first.child.kill('SIGTERM');
    await stopped;

    const bot = await startBot(dir, api);
    const acked = await burstThenKill(bot, BURST, KILL_AFTER, (i) =>
      slash(bot, '+1 P-1', `U0FAN${i}`, `${fake!.url}/response/${i}`),
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
