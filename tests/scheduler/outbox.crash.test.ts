import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isPebbleError } from '../../src/core/shared/errors.js';
import { StoreOutbox, OutboxDispatcher } from '../../src/scheduler/outbox.js';
import { createSlackChatGateway } from '../../src/slack/chat-gateway.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import { FakeSlackApi } from '../helpers/fake-slack-api.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const CLAIM_MS = 2_000;
const logger = pino({ level: 'silent' });

let dir: string | undefined;
let fake: FakeSlackApi | undefined;
afterEach(async () => {
  await fake?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('outbox: a worker process killed mid-send', () => {
  it('is taken over after its claims run out: nothing is sent twice, nothing is lost', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pebblebot-crash-'));
    const keys = Array.from({ length: 10 }, (_, i) => `nudge:slack:T1:U${i}:2026-03-02`);
    const before = await openEmbeddedStore({ dataDir: dir });
    const outbox = new StoreOutbox(before, { now: () => new Date() });
    for (const [i, key] of keys.entries())
      await outbox.enqueue({
        key,
        workspaceId: 'slack:T1',
        kind: 'improvement.nudge',
        target: { kind: 'dm', userId: `U${i}` },
        view: { text: `nudge ${i}`, blocks: [] },
      });
    await before.close();

    // Slack takes the 4th message; the worker is killed before it hears back.
    const worker: { child?: ReturnType<typeof spawn> } = {};
    fake = new FakeSlackApi({
      onPosted: () => {
        if (fake!.messages.length === 4) worker.child?.kill('SIGKILL');
      },
    });
    const url = await fake.start();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'fixtures/outbox-worker.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dir, SLACK_API_URL: url, CLAIM_MS: String(CLAIM_MS) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    worker.child = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    expect(signal, stderr).toBe('SIGKILL');
    expect(fake.messages).toHaveLength(4);

    // A new process, once the dead worker's claims have run out. Its folder lock is taken over
    // once nobody has refreshed it for the staleness window (15 s by default, 2 s here).
    let after: Awaited<ReturnType<typeof openEmbeddedStore>> | undefined;
    for (let attempt = 0; !after; attempt++) {
      after = await openEmbeddedStore({ dataDir: dir, lock: { staleMs: 2_000 } }).catch(
        async (error: unknown) => {
          if (!isPebbleError(error, 'STORE.LOCKED') || attempt > 40) throw error;
          await sleep(250);
          return undefined;
        },
      );
    }
    try {
      const stuck = await after.outbox.count({ status: ['sending'] });
      expect(stuck).toBe(7);
      const later = { now: () => new Date(Date.now() + CLAIM_MS + 1_000) };
      const dispatcher = new OutboxDispatcher({
        store: after,
        clock: later,
        logger,
        worker: 'restarted',
        gatewayFor: () => createSlackChatGateway('xoxb-test', { slackApiUrl: url }, logger),
      });
      const result = await dispatcher.drain();
      expect(result).toMatchObject({ recovered: 1, sent: 6, failed: 0 });
      const posted = fake.byKey();
      expect([...posted.keys()].sort()).toEqual([...keys].sort());
      for (const key of keys) expect(posted.get(key)).toHaveLength(1);
      expect(await after.outbox.count({ status: ['sent'] })).toBe(10);
    } finally {
      await after.close();
    }
  });
});
