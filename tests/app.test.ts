import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { tempDir } from './helpers/run-cli.js';
import { TEST_BALLOT_SECRET } from './helpers/services.js';

let app: RunningApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

/** Starts the real composition root on `dataDir` and returns what it logged. */
async function start(dataDir: string, env: Record<string, string> = {}) {
  const logs: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
  );
  const config = {
    ...loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ...env }),
    console: false,
  };
  app = await startApp(config, { logger });
  return { app, logs };
}

const admin = { userId: 'U0ADMIN', platformAdmin: true };

describe('start-up: secret ballots and BALLOT_SECRET', () => {
  it('explains BALLOT_SECRET when a workspace has secret ballots on and it is unset', async () => {
    const dir = tempDir();
    const first = await start(dir);
    expect(first.logs.join('')).not.toContain('BALLOT_SECRET');
    await first.app.services.workspaces.ensure('slack', 'T1');
    const open = await first.app.services.workspaces.ensure('slack', 'T2');
    await first.app.services.council.configure(open, admin, { secret: false });
    await first.app.stop();
    app = undefined;

    const second = await start(dir);
    const warning = second.logs.find((l) => l.includes('BALLOT_SECRET'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, workspaces: 1 });
    expect(warning).toContain('openssl rand -hex 32');
    expect(warning).toContain('Secret council ballots are on in 1 workspace,');
    await second.app.stop();
    app = undefined;

    const third = await start(dir, { BALLOT_SECRET: TEST_BALLOT_SECRET });
    expect(third.logs.join('')).not.toContain('BALLOT_SECRET');
  });
});
