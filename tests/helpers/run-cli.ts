import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Environment with no chat credentials or store settings from the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      !/^(SLACK_|MICROSOFT_|TEAMS_|OPENAI_|MONGODB_|PEBBLEBOT_|DATA_DIR|PORT|HOST|LOG_LEVEL)/.test(
        k,
      )
    )
      env[k] = v;
  }
  return { ...env, PORT: '0', HOST: '127.0.0.1', ...extra };
}

export function tempDir(prefix = 'pebblebot-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs `src/main.ts` the way `npm start` does, feeding `input` on stdin. */
export function runCli(
  input: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`CLI did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
