import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isPebbleError, type PebbleError } from '../../src/core/shared/errors.js';
import { LOCK_NAME } from '../../src/store/nedb/data-lock.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { NewPebble } from '../../src/core/ports/store.port.js';
import { cleanEnv, ROOT, tempDir } from '../helpers/run-cli.js';

const UNSHARE = ['--pid', '--fork', '--mount-proc', '--kill-child'];

/** Whether this machine lets us start a process as pid 1 of a new pid namespace, and if not why. */
function probeUnshare(): { ok: true } | { ok: false; why: string } {
  const probe = spawnSync('unshare', [...UNSHARE, process.execPath, '-p', 'process.pid'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.error) return { ok: false, why: `unshare could not run (${probe.error.message})` };
  if (probe.status !== 0 || probe.stdout.trim() !== '1')
    return {
      ok: false,
      why: `unshare --pid --fork --mount-proc is not permitted here (exit ${probe.status}: ${probe.stderr.trim()})`,
    };
  return { ok: true };
}
const unshare = probeUnshare();
if (!unshare.ok)
  console.warn(`Data-folder lock test across pid namespaces skipped: ${unshare.why}`);

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Bot {
  child: ChildProcessWithoutNullStreams;
  output: () => { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** Starts Pebblebot as `npm start` does (console channel, embedded store in `dataDir`). */
function startBot(dataDir: string, asPid1: boolean): Bot {
  const command = [process.execPath, '--import', 'tsx', 'src/main.ts'];
  const child = asPid1
    ? spawn('unshare', [...UNSHARE, ...command], {
        cwd: ROOT,
        env: cleanEnv({ DATA_DIR: dataDir }),
      })
    : spawn(command[0]!, command.slice(1), { cwd: ROOT, env: cleanEnv({ DATA_DIR: dataDir }) });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => ({ stdout, stderr }), exited };
}

async function waitFor(what: () => boolean, label: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${label}`);
    await sleep(50);
  }
}

/**
 * The files a report writes, with their content. (The running bot's scheduler keeps writing its
 * leases and claims, so those files are left out.)
 */
async function dataFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort())
    if (['pebbles.db', 'sequences.db', 'workspaces.db'].includes(name))
      files[name] = await readFile(path.join(dir, name), 'utf8');
  return files;
}

async function titlesIn(dataDir: string): Promise<string[]> {
  const store = await openEmbeddedStore({ dataDir });
  try {
    const workspaces = await store.workspaces.list();
    const titles: string[] = [];
    for (const ws of workspaces)
      for (const p of (await store.pebbles.list(ws.id)).items) titles.push(p.title);
    return titles;
  } finally {
    await store.close();
  }
}

/**
 * Two bots on one DATA_DIR: the first reports a pebble and keeps running, the second must stop
 * at start with STORE.LOCKED's message and write nothing; the first's pebble stays the only one.
 */
async function secondBotIsRefused(asPid1: boolean): Promise<void> {
  const dataDir = tempDir('pebblebot-lock-');
  const first = startBot(dataDir, asPid1);
  first.child.stdin.write('report Badge printer jams on floor 3\n');
  await waitFor(() => /P-1\b/.test(first.output().stdout), 'the first bot to report P-1');
  const before = await dataFiles(dataDir);

  const second = startBot(dataDir, asPid1);
  second.child.stdin.end('report Written by the second bot\n');
  expect(await second.exited).toBe(1);
  const { stderr, stdout } = second.output();
  expect(stderr).toContain(`The data folder ${path.resolve(dataDir)} is in use by another`);
  expect(stderr).toContain('DATA_DIR');
  expect(stdout).not.toContain('P-2');
  if (asPid1) expect(stderr).toMatch(/\bpid 1\b/);
  // Nothing written by the second bot.
  expect(await dataFiles(dataDir)).toEqual(before);

  first.child.stdin.end();
  expect(await first.exited).toBe(0);
  await expect(stat(path.join(dataDir, LOCK_NAME))).rejects.toMatchObject({ code: 'ENOENT' });
  expect(await titlesIn(dataDir)).toEqual(['Badge printer jams on floor 3']);
  await rm(dataDir, { recursive: true, force: true });
}

function newPebble(title: string): NewPebble {
  const at = new Date('2026-01-05T09:00:00Z');
  return {
    workspaceId: 'slack:T-lock',
    title,
    description: '',
    stakeholder: 'customer',
    anonymous: false,
    reporter: { userId: 'U-1' },
    source: { kind: 'console' },
    status: 'new',
    createdAt: at,
    updatedAt: at,
    history: [{ at, actor: 'U-1', action: 'reported' }],
  };
}

describe('one writer per data folder', () => {
  it('refuses a second bot on the same DATA_DIR, which writes nothing', async () => {
    await secondBotIsRefused(false);
  }, 90_000);

  it.skipIf(!unshare.ok)(
    'refuses a second bot when both run as pid 1 in their own pid namespaces (containers)',
    async () => {
      await secondBotIsRefused(true);
    },
    90_000,
  );

  it("takes over a crashed holder's lock once it is older than the staleness window", async () => {
    const dataDir = tempDir('pebblebot-lock-');
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(import.meta.dirname, 'fixtures/hold-data-dir.ts'),
        dataDir,
        '3000',
      ],
      { cwd: ROOT },
    );
    children.push(holder);
    let out = '';
    holder.stdout.on('data', (d: Buffer) => (out += d.toString()));
    holder.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('holding P-1'), `the holder to start: ${out}`);
    holder.kill('SIGKILL');
    await once(holder, 'exit');

    // Freshly refreshed: could still be a live process on another host, so it is refused…
    const refused = await openEmbeddedStore({ dataDir, lock: { staleMs: 3_000 } }).catch(
      (e: unknown) => e,
    );
    expect(isPebbleError(refused, 'STORE.LOCKED')).toBe(true);
    expect((refused as Error).message).toMatch(/refreshed \d+ s ago/);
    expect((refused as Error).message).toContain('taken over once it is 3 s old');

    // …and taken over once nobody refreshed it for the window.
    // NOTE: proper-lockfile may round the lock's mtime up to the next second: wait past that too.
    await sleep(5_000);
    const store = await openEmbeddedStore({ dataDir, lock: { staleMs: 3_000 } });
    try {
      expect((await store.pebbles.get('slack:T-lock', 1))?.title).toBe('Written by the holder');
      expect((await store.pebbles.create(newPebble('After the takeover'))).number).toBe(2);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('releases the folder on close, so the next process opens it at once', async () => {
    const dataDir = tempDir('pebblebot-lock-');
    const first = await openEmbeddedStore({ dataDir });
    expect((await stat(path.join(dataDir, LOCK_NAME))).isDirectory()).toBe(true);
    const second = await openEmbeddedStore({ dataDir }).catch((e: unknown) => e);
    expect(isPebbleError(second, 'STORE.LOCKED')).toBe(true);
    await first.close();
    await expect(stat(path.join(dataDir, LOCK_NAME))).rejects.toMatchObject({ code: 'ENOENT' });
    const third = await openEmbeddedStore({ dataDir });
    await third.close();
  });

  it('refuses writes once closed, so late work never touches a folder it no longer holds', async () => {
    const dataDir = tempDir('pebblebot-lock-');
    const store = await openEmbeddedStore({ dataDir });
    const pebble = await store.pebbles.create(newPebble('Before the close'));
    await store.close();
    const before = await dataFiles(dataDir);
    // The next holder of the folder (here: none yet) must find the files as they were left.
    const late = await store.pebbles
      .update(pebble.workspaceId, pebble.number, {
        set: { title: 'After the close' },
        history: { at: new Date(), actor: 'U-1', action: 'edited' },
      })
      .catch((e: unknown) => e);
    expect(isPebbleError(late, 'STORE.UNAVAILABLE')).toBe(true);
    const create = await store.pebbles.create(newPebble('Also late')).catch((e: unknown) => e);
    expect(isPebbleError(create, 'STORE.UNAVAILABLE')).toBe(true);
    expect(await dataFiles(dataDir)).toEqual(before);
    await store.close(); // a second close is harmless
    const reopened = await openEmbeddedStore({ dataDir });
    try {
      expect((await reopened.pebbles.get(pebble.workspaceId, pebble.number))?.title).toBe(
        'Before the close',
      );
      expect((await reopened.pebbles.list(pebble.workspaceId)).total).toBe(1);
    } finally {
      await reopened.close();
    }
  });

  it('stops writing, and says so, when the lock is lost while running', async () => {
    const dataDir = tempDir('pebblebot-lock-');
    const onLockLost = vi.fn<(error: PebbleError) => void>();
    const store = await openEmbeddedStore({
      dataDir,
      lock: { staleMs: 2_000, updateMs: 1_000 },
      onLockLost,
    });
    try {
      await store.pebbles.create(newPebble('Before the lock was lost'));
      const before = await dataFiles(dataDir);
      // Another process decided the lock was stale and took it: a new lock directory.
      await rm(path.join(dataDir, LOCK_NAME), { recursive: true });
      await mkdir(path.join(dataDir, LOCK_NAME));

      await waitFor(() => onLockLost.mock.calls.length > 0, 'the lock loss to be noticed', 10_000);
      const lost = onLockLost.mock.calls[0]![0];
      expect(isPebbleError(lost, 'STORE.LOCKED')).toBe(true);
      expect(lost.message).toContain('lost the lock on its data folder');

      const write = await store.pebbles.create(newPebble('After')).catch((e: unknown) => e);
      expect(isPebbleError(write, 'STORE.LOCKED')).toBe(true);
      await expect(store.ping()).rejects.toThrow(/lost the lock/);
      expect(await dataFiles(dataDir)).toEqual(before);
    } finally {
      await store.close();
    }
    // The new holder's lock is left alone.
    expect((await stat(path.join(dataDir, LOCK_NAME))).isDirectory()).toBe(true);
  }, 30_000);
});
