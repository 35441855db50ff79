import { rm } from 'node:fs/promises';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/ports/store.port.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import { FakeSlackApi } from '../helpers/fake-slack-api.js';
import { tempDir } from '../helpers/run-cli.js';
import { FakeBotFramework } from '../teams/harness.js';
import { createReplica, JOBS, slotAt, type Replica } from './fixtures/replica.js';
import { expectExactlyOnce, seedWorld, SLACK_WS, tickTimes } from './fixtures/replica-world.js';

const logger = pino({ level: 'silent' });
const SKEWS_MS = [-2_000, 0, 2_000];

let dir: string | undefined;
let fake: FakeSlackApi | undefined;
let bf: FakeBotFramework | undefined;
let store: Store | undefined;
const replicas: Replica[] = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) await r.stop();
  await store?.close();
  await fake?.stop();
  await bf?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * The store as one replica sees it, until that replica "dies": from then on every call it
 * makes never returns, as a killed process neither writes nor releases anything again.
 */
function killable(store: Store): { store: Store; kill(): void } {
  let dead = false;
  const never = new Promise<never>(() => undefined);
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value: unknown = Reflect.get(obj, prop, receiver);
        if (typeof value === 'function')
          return (...args: unknown[]) =>
            dead ? never : (value as (...a: unknown[]) => unknown).apply(obj, args);
        if (value && typeof value === 'object' && !(value instanceof Date)) return wrap(value);
        return value;
      },
    });
  return { store: wrap(store), kill: () => (dead = true) };
}

describe('exactly once across three replicas on one embedded store', () => {
  it('sends one digest per period, one nudge per owner per day and every message once, with ±2 s skew and the sender killed mid-send', async () => {
    bf = new FakeBotFramework();
    await bf.start();
    fake = new FakeSlackApi();
    const slackApiUrl = await fake.start();
    dir = tempDir('pebblebot-replicas-');
    store = await openEmbeddedStore({ dataDir: dir });
    await seedWorld(store, bf.serviceUrl);

    let killed: { id: string; key: string } | undefined;
    const dead = new Map<string, Promise<void>>();
    for (const [i, skewMs] of SKEWS_MS.entries()) {
      const id = `replica-${i}`;
      const handle = killable(store);
      let die!: () => void;
      dead.set(id, new Promise<void>((resolve) => (die = resolve)));
      replicas.push(
        createReplica({
          id,
          store: handle.store,
          logger,
          skewMs,
          slackApiUrl,
          teams: bf.config(),
          // NOTE: the Teams connector cannot be asked whether a message arrived, so a Teams
          // message in flight when its sender dies would go out again: one send at a time here
          // keeps the kill on the Slack message alone (see the report of issue 16).
          concurrency: 1,
          // The first Slack digest reaches Slack; its sender dies before recording it.
          afterDelivery: async (key, workspaceId) => {
            if (killed || workspaceId !== SLACK_WS || !key.startsWith('digest:')) return;
            killed = { id, key };
            handle.kill();
            die();
            await new Promise<never>(() => undefined);
          },
        }),
      );
    }

    const ran = new Map<string, number>();
    for (const at of tickTimes()) {
      const live = replicas.filter((r) => r.scheduler.instanceId !== killed?.id);
      await Promise.all(
        live.map(async (replica, i) => {
          const id = replica.scheduler.instanceId;
          const outcomes = await Promise.race([replica.tick(at), dead.get(id)!.then(() => null)]);
          if (!outcomes) return;
          const skew = SKEWS_MS[replicas.indexOf(replica)]!;
          for (const job of JOBS) {
            if (outcomes[job.name] !== 'ran') continue;
            const slot = `${job.name}@${slotAt(at + skew, job.stepMs).toISOString()}`;
            ran.set(slot, (ran.get(slot) ?? 0) + 1);
          }
          void i;
        }),
      );
    }

    // One replica ran each job's slot, whichever replica's clock named it.
    expect([...ran.entries()].filter(([, n]) => n > 1)).toEqual([]);
    // The kill happened, and the digest it left half-sent was found delivered, not sent again.
    expect(killed).toBeDefined();
    const all = await expectExactlyOnce(store, fake, bf);
    const orphan = all.find((m) => m.key === killed!.key)!;
    expect(orphan).toMatchObject({ status: 'sent', recovered: true });
    // Both surviving replicas did work after the kill.
    expect(ran.size).toBeGreaterThan(0);
  }, 180_000);
});
