import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach } from 'vitest';
import { FakeSlackApi, type FakeSlackApiOptions } from '../helpers/fake-slack-api.js';
import { cleanEnv, ROOT, tempDir } from '../helpers/run-cli.js';

/**
 * The real bot (`src/main.ts`) in a child process on a data folder, for the tests that kill it
 * with -9 and start it again on the same folder, and signed Slack requests for a bot against a
 * loopback Slack (tests/helpers/fake-slack-api.ts). Unlike harness.ts this loads no nock: the
 * requests and the fake Slack API are real sockets, timed as in production.
 */
export interface BotProcess {
  child: ChildProcess;
  url: string;
  /** What the bot wrote to stdout and stderr so far (for failure messages). */
  output: () => string;
  /** The signing secret it was started with. */
  secret: string;
}

const running: ChildProcess[] = [];

/** Kills (-9) every bot still running: call it after each test. */
function killBots(): void {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}

/**
 * What each test of a file works in: a fresh data folder and a loopback Slack API, which are
 * removed and stopped after the test, with every bot still running killed (-9) first.
 */
export function crashScene(prefix: string) {
  let dir: string | undefined;
  let fake: FakeSlackApi | undefined;
  afterEach(async () => {
    killBots();
    await fake?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
    fake = undefined;
  });
  return {
    folder: (): string => (dir = tempDir(prefix)),
    slack: async (options?: FakeSlackApiOptions) => {
      const started = new FakeSlackApi(options);
      fake = started;
      return { fake: started, api: await started.start() };
    },
  };
}

/**
 * Starts the bot on `dataDir` with the Slack channel over HTTP and the Web API at `slackApi`,
 * and resolves once it listens. A bot killed on that folder holds its lock until the lock is
 * stale (src/store/nedb/data-lock.ts): the start is tried again meanwhile, as a restart policy
 * would.
 */
export async function startBot(
  dataDir: string,
  options: { slackApi: string; secret: string; token: string },
): Promise<BotProcess> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startOnce(dataDir, options);
    } catch (error) {
      if (attempt > 30 || !String(error).includes('is in use by another Pebblebot process'))
        throw error;
      await sleep(1_000);
    }
  }
}

async function startOnce(
  dataDir: string,
  options: { slackApi: string; secret: string; token: string },
): Promise<BotProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: cleanEnv({
      DATA_DIR: dataDir,
      SLACK_SIGNING_SECRET: options.secret,
      SLACK_BOT_TOKEN: options.token,
      SLACK_API_URL: options.slackApi,
      LOG_LEVEL: 'info',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
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
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`bot exited before listening:\n${output}`));
    });
  });
  return {
    child,
    url: `http://127.0.0.1:${port}/slack/events`,
    output: () => output,
    secret: options.secret,
  };
}

/** POSTs `body` to a bot's Slack endpoint signed as Slack signs it; resolves to the HTTP status. */
export async function postSigned(
  bot: { url: string; secret: string },
  body: string,
  contentType = 'application/x-www-form-urlencoded',
): Promise<number> {
  const ts = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', bot.secret).update(`v0:${ts}:${body}`).digest('hex');
  const response = await fetch(bot.url, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': `v0=${signature}`,
    },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Stops the bot as a deploy would (SIGTERM) and waits until it has exited. */
export async function stopBot(bot: BotProcess): Promise<void> {
  const exited = once(bot.child, 'exit');
  bot.child.kill('SIGTERM');
  await exited;
}
