import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Channel } from './channel.js';
import type { Config } from './config.js';
import { ConsoleChannel } from './console/console.channel.js';
import { systemClock, type Clock } from './core/shared/clock.port.js';
import type { UserContext } from './core/workspaces/workspace.service.js';
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
  /** Who the console acts as (default: the operating-system user, as an admin). */
  consoleUser?: UserContext;
  /** Builds the chat channels from the services; the default builds none. */
  channels?: (services: Services) => Channel[] | Promise<Channel[]>;
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
  const services = createServices(store, options.clock ?? systemClock, {
    ...(config.ballotSecret ? { ballotSecret: config.ballotSecret } : {}),
    ...(config.openai ? { ai: config.openai, logger } : {}),
  });
  const channels: Channel[] = [];
  let http: RunningHttpServer | undefined;
  let scheduler: RunningScheduler | undefined;
  try {
    channels.push(...((await options.channels?.(services)) ?? []));
    try {
      http = await startHttpServer({
        port: config.port,
        host: config.host,
        logger,
        routes: channels.flatMap((c) => c.routes),
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
  } catch (error) {
    await http?.close();
    await store.close();
    throw error;
  }

  let consoleDone: Promise<void> | undefined;
  if (config.console) {
    const stdin = options.stdin ?? process.stdin;
    const stdout = options.stdout ?? process.stdout;
    const user = options.consoleUser ?? {
      userId: os.userInfo().username || 'you',
      name: os.userInfo().username || 'you',
      platformAdmin: true,
    };
    const workspace = await services.workspaces.ensure('console', 'local', {
      name: 'Local console',
    });
    consoleDone = new ConsoleChannel({
      pebbles: services.pebbles,
      digest: services.digest,
      workspace,
      user,
      input: stdin,
      output: stdout,
      logger,
      prompt: Boolean((stdin as { isTTY?: boolean }).isTTY),
    }).run();
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      await http?.close();
      await scheduler
        ?.stop()
        .catch((error: unknown) => logger.warn({ err: error }, 'scheduler stop failed'));
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
