import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startHttpServer } from '../../src/http/server.js';
import { tempDir } from '../helpers/run-cli.js';

const logger = pino({ level: 'silent' });
let app: RunningApp | undefined;

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

describe('HTTP server', () => {
  it('answers /healthz and /readyz through the real composition root', async () => {
    const config = {
      ...loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDir() }),
      console: false,
    };
    app = await startApp(config, { logger });
    const base = `http://127.0.0.1:${app.http!.port}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('reports not ready when the store does not answer', async () => {
    const server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      routes: [],
      ready: () => Promise.reject(new Error('store down')),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'store unreachable' });
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('finishes a request in flight before closing, and refuses new connections after', async () => {
    let release!: () => void;
    const server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      ready: () => Promise.resolve(),
      routes: [
        {
          path: '/slow',
          handler: async (_req, res) => {
            await new Promise<void>((resolve) => (release = resolve));
            res.end('done');
          },
        },
      ],
    });
    const url = `http://127.0.0.1:${server.port}`;
    const inFlight = fetch(`${url}/slow`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 50));
    const closed = server.close();
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    release();
    expect(await inFlight).toBe('done');
    await closed;
  });
});
