import { startApp, type RunningApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { isPebbleError } from './core/shared/errors.js';
import { createLogger } from './logger.js';
import { createChannels } from './channels.js';

/**
 * Reads `.env` from the working folder when there is one, as .env.example promises. Variables
 * already in the environment win: a deployment's settings are never overridden by a stray file.
 */
function readDotEnv(): void {
  try {
    process.loadEnvFile('.env');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    const why = error instanceof Error ? error.message : String(error);
    process.stderr.write(`Pebblebot cannot start: .env could not be read (${why}).\n`);
    process.exit(1);
  }
}

/** Process entry point: `npm start`. */
async function main(): Promise<void> {
  readDotEnv();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, fd: config.console ? 2 : 1 });
  // Signals are handled from the start, so a SIGTERM during start-up still shuts down cleanly.
  let stopRequested: string | undefined;
  let app: RunningApp | undefined;
  const shutdown = (signal: string) => {
    if (stopRequested) return;
    stopRequested = signal;
    logger.info({ signal }, 'signal received');
    if (app) exitAfterStop(app);
  };
  const exitAfterStop = (running: RunningApp) => {
    running.stop().then(
      // The console sets a non-zero exit code when a piped command failed.
      () => process.exit(),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    app = await startApp(config, {
      logger,
      channels: (services) => createChannels(config, services, logger),
    });
  } catch (error) {
    if (isPebbleError(error)) {
      process.stderr.write(`Pebblebot cannot start: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  if (stopRequested) return exitAfterStop(app);
  if (app.consoleDone) {
    await app.consoleDone;
    if (!stopRequested) exitAfterStop(app);
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Pebblebot stopped: ${message}\n`);
  process.exit(1);
});
