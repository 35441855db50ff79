import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { openMongoStore, type MongoStore } from '../../src/store/mongo/mongo.store.js';
import { FakeSlackApi } from '../helpers/fake-slack-api.js';
import { cleanEnv, ROOT } from '../helpers/run-cli.js';
import { FakeBotFramework } from '../teams/harness.js';
import { expectExactlyOnce, seedWorld, tickTimes } from './fixtures/replica-world.js';

const URI = process.env.MONGODB_URI;
const SKEWS_MS = [-2_000, 0, 2_000];
const FIXTURE = path.join(import.meta.dirname, 'fixtures/replica-process.ts');

interface Child {
  id: string;
  process: ChildProcess;
  /** The next line it prints (parsed), in order. */
  next(): Promise<Record<string, unknown>>;
  stderr: () => string;
}

let fake: FakeSlackApi | undefined;
let bf: FakeBotFramework | undefined;
let store: MongoStore | undefined;
let dbName: string | undefined;
const children: Child[] = [];
afterEach(async () => {
  for (const child of children.splice(0))
    if (child.process.exitCode === null && child.process.signalCode === null)
      child.process.kill('SIGKILL');
  await store?.close();
  if (URI && dbName) {
    const client = new MongoClient(URI);
    await client
      .db(dbName)
      .dropDatabase()
      .finally(() => client.close());
  }
  await fake?.stop();
  await bf?.stop();
});

function startReplica(id: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Record<string, unknown>[] = [];
  const waiters: ((line: Record<string, unknown>) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    const waiter = waiters.shift();
    if (waiter) waiter(parsed);
    else lines.push(parsed);
  });
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code, signal) =>
      reject(new Error(`replica ${id} exited (${code ?? signal}):\n${stderr}`)),
    ),
  );
  exited.catch(() => undefined);
  return {
    id,
    process: child,
    stderr: () => stderr,
    next: () =>
      Promise.race([
        lines.length
          ? Promise.resolve(lines.shift()!)
          : new Promise<Record<string, unknown>>((resolve) => waiters.push(resolve)),
        exited,
      ]),
  };
}

(URI ? describe : describe.skip)(
  `exactly once across three replica processes on one MongoDB${URI ? '' : ' (skipped: MONGODB_URI is not set)'}`,
  () => {
    it('sends one digest per period, one nudge per owner per day and every message once, with ±2 s skew and the sender killed -9 mid-send', async () => {
      bf = new FakeBotFramework();
      await bf.start();
      fake = new FakeSlackApi();
      const slackApiUrl = await fake.start();
      dbName = `pebblebot_replicas_${randomUUID().slice(0, 8)}`;
      store = await openMongoStore({ uri: URI!, dbName, appName: 'pebblebot-tests' });
      await seedWorld(store, bf.serviceUrl);

      for (const [i, skew] of SKEWS_MS.entries())
        children.push(
          startReplica(`replica-${i}`, {
            MONGODB_URI: URI!,
            MONGODB_DB: dbName,
            REPLICA_ID: `replica-${i}`,
            SKEW_MS: String(skew),
            SLACK_API_URL: slackApiUrl,
            TEAMS_CONFIG: JSON.stringify(bf.config()),
            NODE_EXTRA_CA_CERTS: bf.certFile,
          }),
        );
      for (const child of children) expect(await child.next()).toEqual({ ready: child.id });

      let killed: { id: string; key: string } | undefined;
      // Each tick costs three processes' store round trips per job (slow on FerretDB): ticks
      // every hour of the working morning only, from 08:00 to 11:00 UTC, each jittered so
      // that Monday 09:00 is met on both sides. The embedded test ticks around the clock.
      for (const at of tickTimes(60, [8, 11])) {
        const live = children.filter((c) => c.id !== killed?.id);
        await Promise.all(
          live.map(async (child) => {
            child.process.stdin!.write(`${JSON.stringify({ tick: at, armed: !killed })}\n`);
            const answer = await child.next();
            if (typeof answer.dying === 'string') {
              killed = { id: child.id, key: answer.dying };
              const exited = once(child.process, 'exit');
              child.process.kill('SIGKILL');
              await exited;
              return;
            }
            expect(answer.done).toBe(at);
          }),
        );
      }

      expect(killed).toBeDefined();
      const all = await expectExactlyOnce(store, fake, bf);
      expect(all.find((m) => m.key === killed!.key)).toMatchObject({
        status: 'sent',
        recovered: true,
      });
      for (const child of children) child.process.stdin!.end();
    }, 300_000);
  },
);
