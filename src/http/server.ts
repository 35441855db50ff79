import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';

/** A route a channel mounts on the shared server (Slack events, Teams messages, OAuth). */
export interface Route {
  /** Exact path, or a prefix when it ends with `*`. */
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export interface HttpServerOptions {
  port: number;
  host: string;
  logger: Logger;
  routes: Route[];
  /** Rejects when the store does not answer. */
  ready: () => Promise<void>;
  /** How long /readyz waits for `ready` before answering unhealthy (default 1000 ms). */
  readyTimeoutMs?: number;
}

/**
 * A store that stops answering (rather than refusing) would hold /readyz open until the
 * orchestrator's own probe timeout: past this, the store counts as unreachable at once.
 */
const READY_TIMEOUT_MS = 1_000;

/** `ready()`, or a rejection once `ms` have passed without an answer. */
function readyWithin(ready: () => Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([ready(), timeout]).finally(() => clearTimeout(timer));
}

export interface RunningHttpServer {
  server: http.Server;
  port: number;
  /** Stops accepting connections, waits for requests in flight, then resolves. */
  close(timeoutMs?: number): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function matches(route: Route, pathname: string): boolean {
  return route.path.endsWith('*')
    ? pathname.startsWith(route.path.slice(0, -1))
    : pathname === route.path;
}

/** The one HTTP server of the process: health probes plus the routes of each chat channel. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { logger, routes, ready } = options;
  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | undefined;

  const server = http.createServer((req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (closing && inFlight === 0) drained?.();
    });
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/healthz') return json(res, 200, { status: 'ok' });
    if (pathname === '/readyz') {
      if (closing) return json(res, 503, { status: 'shutting down' });
      readyWithin(ready, options.readyTimeoutMs ?? READY_TIMEOUT_MS).then(
        () => json(res, 200, { status: 'ready' }),
        (error: unknown) => {
          logger.warn({ err: error }, 'readiness check failed: store unreachable');
          json(res, 503, { status: 'store unreachable' });
        },
      );
      return;
    }
    const route = routes.find((r) => matches(r, pathname));
    if (!route) return json(res, 404, { error: 'not found' });
    Promise.resolve(route.handler(req, res)).catch((error: unknown) => {
      logger.error({ err: error, path: pathname }, 'request handler failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
  // A proxy in front (an ingress, a load balancer) and busy clients keep idle connections for
  // up to a minute: closing one first races their next request on it, which then fails with a
  // reset. Idle connections are closed on shutdown (see close).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: options.host }, 'HTTP server listening');

  return {
    server,
    port,
    close: async (timeoutMs = 10_000) => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
