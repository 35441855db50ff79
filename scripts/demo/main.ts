import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startApp, type RunningApp } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import { isPebbleError } from '../../src/core/shared/errors.js';
import { createLogger } from '../../src/logger.js';
import { createServices } from '../../src/services.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import { saveCast, type Cast } from '../../src/console/cast.js';
import { CAST_FILE, DemoCastSchema, PEOPLE, userOf, type DemoCast } from './cast.js';
import { freshDemoFolder } from './folder.js';
import { seedDemo } from './seed.js';

/** The environment of the demo app: console only, on the demo folder, no chat credentials. */
function demoEnv(dataDir: string, ballotSecret: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!/^(SLACK_|MICROSOFT_|TEAMS_|BOTFRAMEWORK_|MONGODB_|DATA_DIR$|PORT$|HOST$)/.test(key))
      env[key] = value;
  return { ...env, DATA_DIR: dataDir, BALLOT_SECRET: ballotSecret, PORT: '0', HOST: '127.0.0.1' };
}

/**
 * The demo's people as the console's cast, so `as @daniel …` and `user @maya` work on the seeded
 * workspace. Their roles are already set by the seeding; the cast only names them.
 */
function consoleCast(cast: DemoCast): Cast {
  return {
    version: 1,
    members: cast.people.map((p) => ({
      handle: p.id,
      name: p.displayName,
      roles: [
        ...p.roles.map((r) => (r === 'member' ? ('reporter' as const) : r)),
        ...(p.roles.includes('sponsor') ? (['leader'] as const) : []),
      ],
      ...(p.function ? { function: p.function } : {}),
      team: p.team,
    })),
    channels: {
      triage: 'cx-triage',
      council: cast.channels.council,
      leaders: cast.channels.digest,
    },
  };
}

/** `npm run demo`: seeds eight weeks into a fresh folder, then opens the console on it. */
async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.DEMO_DATA_DIR?.trim() || 'data-demo');
  freshDemoFolder(dataDir);
  // Secret ballots are sealed with it: the seeding and the console must share it.
  const ballotSecret = process.env.BALLOT_SECRET?.trim() || randomBytes(24).toString('base64url');

  const now = new Date();
  const clock = new FakeClock(now);
  const store = await openEmbeddedStore({ dataDir });
  const services = createServices(store, clock, { ballotSecret });
  let cast;
  try {
    cast = DemoCastSchema.parse(await seedDemo(services, clock, { end: now }));
  } finally {
    await services.council.stop();
    await store.close();
  }
  writeFileSync(path.join(dataDir, CAST_FILE), `${JSON.stringify(cast, null, 2)}\n`);
  saveCast(dataDir, consoleCast(cast));

  const config = loadConfig(demoEnv(dataDir, ballotSecret));
  const logger = createLogger({ level: config.logLevel, fd: 2 });
  const me = PEOPLE.find((p) => p.id === cast.defaultUser) ?? PEOPLE[0]!;
  process.stdout.write(
    `Demo workspace "${cast.workspace.name}": eight weeks of friction, council votes and improvements.\n` +
      `You are ${me.displayName} (${me.roles.join(', ')}). The cast is in ${path.join(dataDir, CAST_FILE)}.\n`,
  );

  const started = startApp(config, { logger, consoleUser: userOf(me) });
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    void started
      .then((app: RunningApp) => app.stop())
      .then(
        () => process.exit(code),
        () => process.exit(1),
      );
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  const app = await started;
  if (app.consoleDone) await app.consoleDone;
  stop(0);
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError || isPebbleError(error) || error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`Pebblebot demo stopped: ${message}\n`);
  process.exit(1);
});
