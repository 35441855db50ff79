import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Channel } from './channel.js';
import { BALLOT_SECRET_MIN, type Config } from './config.js';
import { ConsoleChannel } from './console/console.channel.js';
import { ConsoleClock } from './console/console-clock.js';
import { COUNCIL_SWEEP_JOB } from './core/council/council.jobs.js';
import { OUTBOX_JOB } from './scheduler/outbox.js';
import { systemClock, type Clock } from './core/shared/clock.port.js';
import type { UserContext } from './core/workspaces/workspace.service.js';
import { apiRoutes } from './http/api/api.routes.js';
import { startHttpServer, type RunningHttpServer } from './http/server.js';
import { safeUri, type Logger } from './logger.js';
import { startScheduler, type RunningScheduler } from './scheduler/index.js';
import { createServices, type Services } from './services.js';
import { openStore } from './store/open-store.js';

export interface AppOptions {
  logger: Logger;
  clock?: Clock;
  /** Console channel input/output (default: the process's). */
  stdin?: Readable;
  stdout?: Writable;
  /** Builds the chat channels from the services; the default builds none. */
  channels?: (services: Services) => Channel[] | Promise<Channel[]>;
  /** Who the console acts as (default: the operating-system user, as an admin). */
  consoleUser?: UserContext;
}

export interface RunningApp {
  services: Services;
  http: RunningHttpServer | undefined;
  /** Resolves when the console session ends (undefined when not in console mode). */
  consoleDone?: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The composition root: config -> store -> services -> channels -> HTTP. Stopping reverses it:
 * stop accepting, let requests in flight finish, stop channels, close the store.
 */
export async function startApp(config: Readonly<Config>, options: AppOptions): Promise<RunningApp> {
  const { logger } = options;
  const store = await openStore(config);
  logger.info(
    config.mongodb
      ? { store: 'mongodb', uri: safeUri(config.mongodb.uri), db: config.mongodb.dbName }
      : { store: 'embedded', dataDir: config.dataDir },
    'store open',
  );
  // The console's clock moves with `advance`; every service and job reads time from it.
  const consoleClock = config.console && !options.clock ? new ConsoleClock() : undefined;
  const ballotSecret =
    config.ballotSecret ?? (config.console ? localBallotSecret(config.dataDir, logger) : undefined);
  const services = createServices(store, options.clock ?? consoleClock ?? systemClock, {
    ...(ballotSecret ? { ballotSecret } : {}),
    ...(config.openai ? { ai: config.openai, logger } : {}),
  });
  await explainMissingBallotSecret(services, logger);
  const channels: Channel[] = [];
  let consoleChannel: ConsoleChannel | undefined;
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const tty = Boolean((stdin as { isTTY?: boolean }).isTTY);
  let http: RunningHttpServer | undefined;
  let scheduler: RunningScheduler | undefined;
  try {
    channels.push(...((await options.channels?.(services)) ?? []));
    if (config.console) {
      const workspace = await services.workspaces.ensure('console', 'local', {
        name: 'Local console',
      });
      consoleChannel = new ConsoleChannel({
        services,
        workspace,
        defaultUser: options.consoleUser ?? {
          userId: os.userInfo().username || 'you',
          name: os.userInfo().username || 'you',
          platformAdmin: true,
        },
        input: stdin,
        output: stdout,
        logger,
        prompt: tty,
        dataDir: config.dataDir,
        ...(consoleClock ? { clock: consoleClock } : {}),
      });
      channels.push(consoleChannel);
    }
    try {
      http = await startHttpServer({
        port: config.port,
        // The console is one person on their own machine: nothing listens beyond it.
        host: config.console ? '127.0.0.1' : config.host,
        logger,
        routes: [...channels.flatMap((c) => c.routes), ...apiRoutes({ services, logger })],
        ready: () => store.ping(),
      });
    } catch (error) {
      // The console works without HTTP; a busy port must not stop someone trying the bot.
      if (!config.console) throw error;
      logger.warn(
        { err: error, port: config.port },
        'HTTP server not started; health probes unavailable',
      );
    }
    for (const channel of channels) await channel.start();
    // Scheduled jobs and the outbox, once the channels they send through are up.
    scheduler = startScheduler({ services, channels, logger });
    const jobs = scheduler.scheduler;
    // A console script runs faster than the vote message's refresh slots: it settles each
    // line at once (refreshes close a vote every member voted on), then delivers the outbox.
    const settle = async () => {
      for (let round = 0; round < 2; round++) {
        // Suggestions and "it came back?" flags follow a report in the background.
        await services.assist.idle();
        await services.council.refresher.flush();
        jobs.kick(OUTBOX_JOB);
        await jobs.idle();
      }
    };
    consoleChannel?.attach({
      // The same jobs production runs, at the console clock's time, then their deliveries.
      tick: async (now) => {
        for (const job of [COUNCIL_SWEEP_JOB, 'improvements.nudges', 'digest.weekly'])
          await jobs.tick(job, now);
        await settle();
      },
      settle,
    });
  } catch (error) {
    await http?.close();
    await store.close();
    throw error;
  }

  let consoleDone: Promise<void> | undefined;
  if (consoleChannel) {
    consoleDone = consoleChannel.run().then(({ failed }) => {
      // A piped script that had a failing command exits non-zero, like a shell script would.
      if (failed && !tty) process.exitCode = 1;
    });
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      await http?.close();
      await scheduler
        ?.stop()
        .catch((error: unknown) => logger.warn({ err: error }, 'scheduler stop failed'));
      // Suggestions under way finish (bounded by the AI timeout) while their card can be updated.
      await services.assist.idle();
      for (const channel of channels.reverse()) {
        await channel
          .stop()
          .catch((error: unknown) =>
            logger.warn({ err: error, channel: channel.name }, 'channel stop failed'),
          );
      }
      // Vote messages waiting for their next refresh slot are refreshed once more.
      await services.council
        .stop()
        .catch((error: unknown) => logger.warn({ err: error }, 'council stop failed'));
      await store.close();
      logger.info('stopped');
    })());

  return { services, http, ...(consoleDone ? { consoleDone } : {}), stop };
}

/**
 * Secret ballots need BALLOT_SECRET; the console keeps its own in the data folder, so a
 * newcomer can run a secret vote without configuring anything. Deployments set the variable.
 */
function localBallotSecret(dataDir: string, logger: Logger): string {
  const file = path.join(dataDir, 'ballot-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  logger.info({ file }, 'BALLOT_SECRET not set: the console generated a local one');
  return secret;
}

/**
 * Secret ballots are the default, and none can open without BALLOT_SECRET: say so at start-up,
 * naming the variable and how to make one, rather than when the first proposal fails.
 */
async function explainMissingBallotSecret(services: Services, logger: Logger): Promise<void> {
  const waiting = await services.council.workspacesMissingBallotSecret();
  if (!waiting.length) return;
  logger.warn(
    { workspaces: waiting.length },
    `Secret council ballots are on in ${waiting.length} workspace${waiting.length === 1 ? '' : 's'}, ` +
      'but BALLOT_SECRET is not set, so no secret vote can open. Set BALLOT_SECRET to at least ' +
      `${BALLOT_SECRET_MIN} random characters, the same on every replica (generate one with ` +
      '`openssl rand -hex 32`), and restart; or switch those councils to open ballots.',
  );
}
