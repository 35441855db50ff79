import { PassThrough } from 'node:stream';
import pino from 'pino';
import { ConsoleChannel } from '../../src/console/console.channel.js';
import type { Clock } from '../../src/core/shared/clock.port.js';
import { OUTBOX_JOB } from '../../src/scheduler/outbox.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { createServices } from '../../src/services.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import { tempDir } from '../helpers/run-cli.js';
import { TEST_BALLOT_SECRET } from '../helpers/services.js';
import type { ParityDriver, Person } from './driver.js';

const P = (n: number) => `P-${n}`;

/** The story typed into the console channel, line by line, acting as each person in turn. */
export async function consoleDriver(clock: Clock): Promise<ParityDriver> {
  const store = await openEmbeddedStore();
  const services = createServices(store, clock, { ballotSecret: TEST_BALLOT_SECRET });
  const workspace = await services.workspaces.ensure('console', 'local', { name: 'Local console' });
  const logger = pino({ level: 'silent' });
  const channel = new ConsoleChannel({
    services,
    workspace,
    defaultUser: { userId: 'you', name: 'you', platformAdmin: true },
    input: new PassThrough(),
    output: new PassThrough(),
    logger,
    dataDir: tempDir('pebblebot-parity-'),
  });
  await channel.start();
  const scheduler = startScheduler({ services, channels: [channel], logger });
  const as = async (person: Person, line: string) =>
    (await channel.handle(`as @${person} ${line}`)).output;
  return {
    name: 'console',
    setUp: async () => {
      await channel.handle('cast');
    },
    report: async (person, text) => void (await as(person, `report ${text}`)),
    support: async (person, n) => void (await as(person, `+1 ${P(n)}`)),
    triage: async (person, n, change) =>
      void (await as(
        person,
        'severity' in change
          ? `triage ${P(n)} severity ${change.severity}`
          : `triage ${P(n)} stage ${change.stage}`,
      )),
    propose: async (person, numbers) =>
      void (await as(person, `council propose ${numbers.map(P).join(' ')}`)),
    vote: async (person, vote, choice) => void (await as(person, `vote V-${vote} ${choice}`)),
    settle: async () => {
      for (let round = 0; round < 2; round++) {
        await services.council.refresher.flush();
        scheduler.scheduler.kick(OUTBOX_JOB);
        await scheduler.scheduler.idle();
      }
    },
    assign: async (person, i, owner, date) =>
      void (await as(person, `improvement assign I-${i} @${owner} ${date}`)),
    accept: async (person, i) => void (await as(person, `improvement accept I-${i}`)),
    done: async (person, i, what) =>
      void (await as(person, `improvement update I-${i} done "${what}"`)),
    answerFixed: async (person, i, answer) =>
      void (await as(person, `improvement fixed I-${i} ${answer}`)),
    digest: (person) => as(person, 'digest'),
    result: () => ({
      store,
      workspaceId: workspace.id,
      // The console's people and channels are named by their handles already.
      ids: new Map<string, string>(),
    }),
    stop: async () => {
      await scheduler.stop();
      await services.council.stop();
      await store.close();
    },
  };
}
