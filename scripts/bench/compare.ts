/**
 * What the two bare-Bolt comparisons (ack.ts, votes.ts) share beyond kit.ts: Pebblebot started
 * through its real entry point with only the Slack channel, in the configuration each of them
 * measures (token or OAuth mode, the embedded store or a throwaway MongoDB database), and a
 * ballot click that changes a member's mind, and the scenario kit's Slack requests need. The fakes, the load generator, the bare Bolt app
 * and the figures come from kit.ts.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import type { RunningApp } from '../../src/app.js';
import { SECRET, type Fakes, type Prepared, type Scenario } from './kit.js';

export interface SlackBot {
  app: RunningApp;
  /** Where signed Slack requests go. */
  url: string;
  /** Stops the bot and removes its data (the folder, and the MongoDB database it used). */
  stop: () => Promise<void>;
}

/**
 * Pebblebot through its composition root (`startApp` + `createChannels`) with the Slack channel
 * over HTTP and the Web API at `apiUrl`, on the embedded store in a fresh folder or, when
 * `mongoUri` is given, on a database of its own; `env` adds to the configuration (a bot token,
 * or OAuth's client and key).
 */
export async function startSlackBot(
  apiUrl: string,
  options: { name: string; env: Record<string, string>; mongoUri?: string | undefined },
): Promise<SlackBot> {
  const [{ startApp }, { createChannels }, { loadConfig }] = await Promise.all([
    import('../../src/app.js'),
    import('../../src/channels.js'),
    import('../../src/config.js'),
  ]);
  const { mongoUri } = options;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `pebblebot-${options.name}-`));
  const dbName = `pebblebot_${options.name.replace(/-/g, '_')}_${randomUUID().slice(0, 8)}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: apiUrl,
    ...options.env,
    ...(mongoUri ? { MONGODB_URI: mongoUri, MONGODB_DB: dbName } : {}),
  });
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const app = await startApp(config, {
    logger,
    channels: (services) => createChannels(config, services, logger),
  });
  return {
    app,
    url: `http://127.0.0.1:${app.http!.port}/slack/events`,
    stop: async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (!mongoUri) return;
      const client = new MongoClient(mongoUri);
      await client
        .db(dbName)
        .dropDatabase()
        .finally(() => client.close());
    },
  };
}

/**
 * A ballot click (kit's `ballotClick`, whose option follows the member) with another option,
 * signed again: one member clicking several options at once changes one ballot, where clicking
 * the same option again would change nothing.
 */
export function withOption(click: Prepared, vote: number, option: string): Prepared {
  const form = new URLSearchParams(click.body);
  const payload = JSON.parse(form.get('payload')!) as { actions: { value: string }[] };
  payload.actions[0]!.value = `${vote}:${option}`;
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  const mac = createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex');
  const headers: Record<string, string> = { ...click.headers, 'x-slack-request-timestamp': ts };
  headers['content-length'] = String(Buffer.byteLength(body));
  headers['x-slack-signature'] = `v0=${mac}`;
  return { ...click, body, headers };
}

/** A scenario for kit's Slack requests to `slackUrl` (reports and ballots: no Teams side). */
export function slackScenario(fakes: Fakes, slackUrl: string, vote = 0): Scenario {
  return {
    slackUrl,
    teamsUrl: '',
    responseUrl: fakes.responseUrl,
    serviceUrl: fakes.serviceUrl,
    teamsToken: fakes.teamsToken,
    pebbles: 0,
    vote,
  };
}
