import { describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, runCli, tempDir } from '../helpers/run-cli.js';

describe('npm start with no chat credentials (console channel)', () => {
  it('records a piped report as P-1, lists it and exits when input ends', async () => {
    const dataDir = tempDir();
    const result = await runCli(
      'report Checkout times out on mobile\nlist\n',
      cleanEnv({ DATA_DIR: dataDir }),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('P-1 recorded: Checkout times out on mobile');
    expect(result.stdout).toMatch(/Open pebbles[\s\S]*P-1 Checkout times out on mobile/);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('keeps pebbles across restarts on the same data folder', async () => {
    const dataDir = tempDir();
    await runCli('report Invoice PDF has the wrong VAT number\n', cleanEnv({ DATA_DIR: dataDir }));
    const second = await runCli(
      'report Password reset email arrives late\nshow P-1\n',
      cleanEnv({ DATA_DIR: dataDir }),
    );
    expect(second.stdout).toContain('P-2 recorded: Password reset email arrives late');
    expect(second.stdout).toContain('P-1 Invoice PDF has the wrong VAT number');
  });

  it('answers unknown commands and unknown pebble ids clearly, without a stack trace', async () => {
    const result = await runCli('dance\nshow P-42\n+1 banana\n', cleanEnv({ DATA_DIR: tempDir() }));
    // A piped script with failing commands exits non-zero, like a shell script.
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Unknown command "dance". Type help to see what I understand.');
    expect(result.stdout).toContain('There is no pebble P-42 in this workspace.');
    expect(result.stdout).toContain('Usage: +1 P-12');
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('start-up configuration', () => {
  it('stops with one readable message listing every bad variable and exits non-zero', async () => {
    const result = await runCli(
      '',
      cleanEnv({
        PORT: 'eighty',
        SLACK_BOT_TOKEN: 'xoxb-1',
        MONGODB_URI: 'http://db',
        LOG_LEVEL: 'loud',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Pebblebot cannot start: 4 configuration problems.');
    expect(result.stderr).toContain('PORT must be a whole number from 0 to 65535 (got "eighty")');
    expect(result.stderr).toContain('SLACK_BOT_TOKEN needs SLACK_SIGNING_SECRET');
    expect(result.stderr).toContain('MONGODB_URI must be a MongoDB connection string');
    expect(result.stderr).toContain('LOG_LEVEL must be one of');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain('xoxb-1');
  });

  it('refuses a data folder another process holds, with a clear message', async () => {
    const dataDir = tempDir();
    const { spawn } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    // A live process that is not us holds the lock.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      writeFileSync(`${dataDir}/pebblebot.lock`, String(holder.pid));
      const result = await runCli('list\n', cleanEnv({ DATA_DIR: dataDir }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('is in use by another Pebblebot process');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      holder.kill();
    }
  });
});

describe('graceful shutdown', () => {
  it('stops cleanly on SIGTERM: closes the HTTP server and the store, exits 0', async () => {
    const { spawn } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    const dataDir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: cleanEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not started: ${stderr}`)), 15_000);
      child.stderr.on('data', () => {
        if (stderr.includes('HTTP server listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(existsSync(`${dataDir}/pebblebot.lock`)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('"msg":"stopped"');
    expect(existsSync(`${dataDir}/pebblebot.lock`)).toBe(false);
  });
});
