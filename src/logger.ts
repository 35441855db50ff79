import pino, { type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'clientSecret',
  'stateSecret',
  'password',
  'appPassword',
  'apiKey',
  'authorization',
  'uri',
];

/** Paths pino blanks out: secrets at the top level and up to two levels down. */
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers["x-slack-signature"]',
];

/** A connection string without its user name and password, for logs and messages. */
export function safeUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

export interface LoggerOptions {
  level: string;
  /** 1 for stdout, 2 for stderr (the console channel keeps stdout for its own output). */
  fd?: 1 | 2;
  pretty?: boolean;
}

/** Structured logs: pretty in a terminal, JSON lines otherwise; secrets never written. */
export function createLogger({ level, fd = 1, pretty }: LoggerOptions): Logger {
  const stream = fd === 2 ? process.stderr : process.stdout;
  const usePretty = pretty ?? Boolean(stream.isTTY);
  const options = {
    level,
    base: { app: 'pebblebot' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (usePretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { destination: fd, colorize: true, translateTime: 'SYS:HH:MM:ss' },
      },
    });
  }
  return pino(options, pino.destination({ fd, sync: fd === 2 }));
}
