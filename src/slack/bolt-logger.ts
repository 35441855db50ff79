import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../logger.js';

const BOLT_LEVELS: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
};

/**
 * Debug lines of Bolt and the Web API client that carry whole payloads (request bodies, API
 * results, acknowledgement bodies): they hold user ids and message text, so they are dropped.
 */
const PAYLOAD_LINE =
  /^(http request body|http request result|ack\(\) (call begins|response sent|response stored)|\{)/;
/** Slack user ids (U…, W…) in the remaining lines are masked: an anonymous reporter's id never reaches a log. */
const USER_ID = /\b[UW][A-Z0-9]{7,}\b/g;

/** Bolt's and the Web API client's log lines, through the app's pino logger. */
export function boltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ component: 'bolt' });
  const text = (parts: unknown[]) =>
    parts
      .map((p) => (typeof p === 'string' ? p : p instanceof Error ? p.message : JSON.stringify(p)))
      .join(' ')
      .replace(USER_ID, 'U…');
  return {
    debug: (...msg: unknown[]) => {
      if (!log.isLevelEnabled('debug')) return;
      const line = text(msg);
      if (!PAYLOAD_LINE.test(line)) log.debug(line);
    },
    info: (...msg: unknown[]) => log.info(text(msg)),
    warn: (...msg: unknown[]) => log.warn(text(msg)),
    error: (...msg: unknown[]) => log.error(text(msg)),
    // The app's LOG_LEVEL rules; Bolt asking for another level is ignored.
    setLevel: () => undefined,
    getLevel: () => BOLT_LEVELS[log.level] ?? LogLevel.ERROR,
    setName: () => undefined,
  };
}
