import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, tempDir } from './helpers/run-cli.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAIN = path.join(ROOT, 'src/main.ts');

interface Started {
  /** Sends a line to the console, or ends its input with `null`. */
  send(line: string | null): void;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill(): void;
}

const running: Started[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill();
});

/**
 * `npm start` from another working folder (where a `.env` may lie), with stdin left open so
 * the process stays up until the test ends its input.
 */
function start(cwd: string, env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, ['--import', TSX, MAIN], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  const started: Started = {
    send: (line) => (line === null ? child.stdin.end() : child.stdin.write(`${line}\n`)),
    exit,
    kill: () => child.kill('SIGKILL'),
  };
  running.push(started);
  return started;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function until<T>(check: () => Promise<T | undefined>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start reads .env', () => {
  it('takes settings from .env in the working folder, and the real environment wins over it', async () => {
    const cwd = tempDir('pebblebot-dotenv-');
    const fromDotEnv = path.join(cwd, 'from-dotenv');
    // PORT in the file is broken: start-up only succeeds if the environment's PORT wins.
    writeFileSync(path.join(cwd, '.env'), `DATA_DIR=${fromDotEnv}\nPORT=eighty\n`);
    const cli = start(cwd, cleanEnv({ PORT: '0' }));
    cli.send('report Delivery slot picker skips Saturdays');
    cli.send(null);
    const result = await cli.exit;
    expect(result.stderr).not.toContain('PORT must be');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('P-1 recorded: Delivery slot picker skips Saturdays');
    expect(readdirSync(fromDotEnv).length).toBeGreaterThan(0);
  });

  it('stops with the same readable message when a setting in .env is wrong', async () => {
    const cwd = tempDir('pebblebot-dotenv-');
    writeFileSync(path.join(cwd, '.env'), 'LOG_LEVEL=chatty\n');
    const result = await start(cwd, cleanEnv({ DATA_DIR: tempDir() })).exit;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('LOG_LEVEL must be one of');
    expect(result.stderr).toContain('Fix these variables (in the environment or in .env');
  });

  it('starts without a .env', async () => {
    const cwd = tempDir('pebblebot-nodotenv-');
    const cli = start(cwd, cleanEnv({ DATA_DIR: path.join(cwd, 'data') }));
    cli.send(null);
    const result = await cli.exit;
    expect(result.code).toBe(0);
    expect(existsSync(path.join(cwd, '.env'))).toBe(false);
  });
});

describe('Microsoft Teams', () => {
  it('mounts /api/messages and refuses an activity without a Bot Framework token (401)', async () => {
    const port = await freePort();
    const cli = start(
      ROOT,
      cleanEnv({
        DATA_DIR: tempDir(),
        PORT: String(port),
        HOST: '127.0.0.1',
        MICROSOFT_APP_ID: '11111111-2222-3333-4444-555555555555',
        MICROSOFT_APP_PASSWORD: 'app-password-value',
      }),
    );
    const status = await until(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return res.status;
    }, '/api/messages');
    expect(status).toBe(401);
    cli.kill();
    expect((await cli.exit).stderr).not.toContain('app-password-value');
  });
});

describe('Slack OAuth mode', () => {
  const oauthEnv = {
    SLACK_CLIENT_ID: '123.456',
    SLACK_CLIENT_SECRET: 'client-secret-value',
    SLACK_STATE_SECRET: 'state-secret-value',
    SLACK_SIGNING_SECRET: 'signing-secret-value',
    PEBBLEBOT_ENCRYPTION_KEY: 'c'.repeat(64),
  };
  const stores: [string, Record<string, string>][] = [['the embedded store', {}]];
  if (process.env.MONGODB_URI)
    stores.push([
      'MongoDB',
      { MONGODB_URI: process.env.MONGODB_URI, MONGODB_DB: `pebblebot_main_${Date.now()}` },
    ]);

  it.each(stores)(
    'starts with only the OAuth variables, the signing secret and the key, on %s; /healthz answers and /slack/install leads to Slack',
    async (_name, store) => {
      const port = await freePort();
      start(ROOT, cleanEnv({ DATA_DIR: tempDir(), PORT: String(port), ...oauthEnv, ...store }));
      const health = await until(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        return res.ok ? res.status : undefined;
      }, '/healthz');
      expect(health).toBe(200);
      const install = await fetch(`http://127.0.0.1:${port}/slack/install`, { redirect: 'manual' });
      expect(install.status).toBe(302);
      const location = new URL(install.headers.get('location') ?? '');
      expect(location.origin + location.pathname).toBe('https://slack.com/oauth/v2/authorize');
      expect(location.searchParams.get('client_id')).toBe('123.456');
      expect(install.headers.get('set-cookie')).toMatch(/^slack-app-oauth-state=/);
    },
  );

  it('stops naming the encryption key when it is missing or malformed', async () => {
    const missing = await start(
      ROOT,
      cleanEnv({ DATA_DIR: tempDir(), ...oauthEnv, PEBBLEBOT_ENCRYPTION_KEY: '' }),
    ).exit;
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('PEBBLEBOT_ENCRYPTION_KEY is required with Slack OAuth');
    const short = await start(
      ROOT,
      cleanEnv({ DATA_DIR: tempDir(), ...oauthEnv, PEBBLEBOT_ENCRYPTION_KEY: 'abc' }),
    ).exit;
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('PEBBLEBOT_ENCRYPTION_KEY must be 32 random bytes');
    expect(short.stderr).not.toMatch(/secret-value/);
  });
});

describe('console mode', () => {
  it('listens on 127.0.0.1 only, even when HOST asks for every interface', async () => {
    const port = await freePort();
    const cli = start(ROOT, cleanEnv({ DATA_DIR: tempDir(), HOST: '0.0.0.0', PORT: String(port) }));
    const health = await until(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      return res.ok ? await res.json() : undefined;
    }, '/healthz on 127.0.0.1');
    expect(health).toEqual({ status: 'ok' });
    const outside = Object.values(os.networkInterfaces())
      .flat()
      .flatMap((i) => (i && i.family === 'IPv4' && !i.internal ? [i.address] : []));
    for (const address of outside) expect(await accepts(address, port)).toBe(false);
    cli.send(null);
    expect((await cli.exit).code).toBe(0);
  });
});
