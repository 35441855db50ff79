import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { ConversationContext, ConversationDeps } from '../../src/conversation/context.js';
import { runText } from '../../src/conversation/run-command.js';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import type { Workspace } from '../../src/core/workspaces/workspace.model.js';
import type { UserContext } from '../../src/core/workspaces/workspace.service.js';
import { apiRoutes, METRIC_PERIODS } from '../../src/http/api/api.routes.js';
import { startHttpServer } from '../../src/http/server.js';
import { tempDir } from '../helpers/run-cli.js';

const logger = pino({ level: 'silent' });
const OPENAPI_FILE = new URL('../../src/http/api/openapi.json', import.meta.url);
let app: RunningApp | undefined;

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

const admin: UserContext = { userId: 'U_ADMIN', name: 'Ada', platformAdmin: true };
const member: UserContext = { userId: 'U_MEMBER', name: 'Mo', team: 'Sales', platformAdmin: false };

async function start() {
  const config = {
    ...loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDir() }),
    console: false,
  };
  const clock = new FakeClock('2026-03-02T10:00:00Z');
  app = await startApp(config, { logger, clock });
  const services = app.services;
  const deps: ConversationDeps = { services };
  const base = `http://127.0.0.1:${app.http!.port}`;
  const ctx = async (workspace: Workspace, actor: UserContext): Promise<ConversationContext> => ({
    workspace: await services.workspaces.get(workspace.id),
    actor,
    channel: 'slack',
    prefix: '/pebble',
  });
  const say = async (workspace: Workspace, actor: UserContext, text: string) => {
    const [out] = await runText(deps, await ctx(workspace, actor), text);
    return out?.kind === 'reply'
      ? out.view.blocks.map((b) => ('text' in b ? b.text : '')).join('\n')
      : '';
  };
  /** A token created the way an admin does it: the command, reading the one-time reply. */
  const createToken = async (workspace: Workspace, name: string) => {
    const text = await say(workspace, admin, `api token create ${name}`);
    const token = /`(pbt_[A-Za-z0-9_-]+)`/.exec(text)?.[1];
    const id = /`(tok_[0-9a-f]+)`/.exec(text)?.[1];
    expect(token, text).toBeDefined();
    return { token: token!, id: id! };
  };
  const get = (path: string, token?: string) =>
    fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { services, clock, base, say, createToken, get };
}

describe('read API over HTTP', () => {
  it('serves pebbles, improvements, decisions and metrics of the token’s workspace, checked against the store', async () => {
    const { services, clock, say, createToken, get } = await start();
    const acme = await services.workspaces.ensure('slack', 'T_ACME', { name: 'Acme' });
    const other = await services.workspaces.ensure('slack', 'T_OTHER', { name: 'Other' });
    await say(acme, member, 'report Checkout asks for the address twice');
    clock.advance(60_000);
    await say(acme, member, 'anon Payroll portal logs me out');
    clock.advance(60_000);
    await say(acme, member, 'report =HYPERLINK("http://evil") in titles');
    await say(other, member, 'report Other workspace secret pebble');
    const improvement = await services.improvements.createFromPebbles(acme, admin, {
      title: 'One address form',
      pebbleNumbers: [1],
    });
    const { token } = await createToken(acme, 'power-bi');
    expect(token.length).toBeGreaterThanOrEqual(20);
    expect(token).not.toMatch(/\s/);
    // Only the hash is stored.
    const stored = await services.store.apiTokens.list(acme.id);
    expect(JSON.stringify(stored)).not.toContain(token);

    const page1 = await get('/api/v1/pebbles?limit=2', token);
    expect(page1.status).toBe(200);
    const body1 = (await page1.json()) as {
      data: { id: string; title: string; reporter: unknown }[];
      total: number;
      nextCursor: string | null;
    };
    expect(body1.total).toBe(3);
    expect(body1.data.map((p) => p.id)).toEqual(['P-1', 'P-2']);
    expect(body1.data[0]!.title).toBe('Checkout asks for the address twice');
    expect(body1.data[0]!.reporter).toEqual({ name: 'Mo', team: 'Sales' });
    expect(body1.data[1]!.reporter).toBeNull();
    expect(JSON.stringify(body1)).not.toContain('U_MEMBER');
    const page2 = (await (
      await get(`/api/v1/pebbles?limit=2&cursor=${body1.nextCursor}`, token)
    ).json()) as typeof body1;
    expect(page2.data.map((p) => p.id)).toEqual(['P-3']);
    expect(page2.nextCursor).toBeNull();
    const fromStore = await services.store.pebbles.list(acme.id);
    expect(new Set([...body1.data, ...page2.data].map((p) => p.title))).toEqual(
      new Set(fromStore.items.map((p) => p.title)),
    );

    const improvements = (await (await get('/api/v1/improvements', token)).json()) as {
      data: { id: string; title: string; pebbles: string[] }[];
    };
    expect(improvements.data).toEqual([
      expect.objectContaining({
        id: `I-${improvement.number}`,
        title: 'One address form',
        pebbles: ['P-1'],
      }),
    ]);
    const decisions = (await (await get('/api/v1/decisions', token)).json()) as {
      data: unknown[];
      total: number;
    };
    expect(decisions).toMatchObject({ data: [], total: 0 });

    for (const period of Object.keys(METRIC_PERIODS)) {
      const res = await get(`/api/v1/metrics?period=${period}`, token);
      expect(res.status).toBe(200);
      const metrics = await res.json();
      expect(metrics, JSON.stringify(metrics)).toMatchObject({
        period,
        pebblesReported: 3,
        pebblesOpen: 3,
      });
    }
  });

  it('answers bad query parameters with a 400 that says which and why', async () => {
    const { services, createToken, get } = await start();
    const acme = await services.workspaces.ensure('slack', 'T_ACME', { name: 'Acme' });
    const { token } = await createToken(acme, 'looker');
    const cases: [string, RegExp][] = [
      ['/api/v1/pebbles?limit=0', /limit/],
      ['/api/v1/pebbles?limit=abc', /limit/],
      ['/api/v1/pebbles?status=open', /status/],
      ['/api/v1/pebbles?from=2026-13-45', /from/],
      ['/api/v1/pebbles?cursor=bm9wZQ', /cursor/],
      ['/api/v1/pebbles?sort=title', /sort|Unrecognized/i],
      ['/api/v1/metrics', /period/],
      ['/api/v1/metrics?period=week', /period/],
    ];
    for (const [path, message] of cases) {
      const res = await get(path, token);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('bad_request');
      expect(body.message, path).toMatch(message);
    }
    expect((await get('/api/v1/nothing', token)).status).toBe(404);
    expect(
      (await fetch(`${(await get('/api/v1/openapi.json')).url}`, { method: 'POST' })).status,
    ).toBe(405);
  });

  it('refuses missing, unknown, revoked and cross-workspace tokens', async () => {
    const { services, say, createToken, get } = await start();
    const acme = await services.workspaces.ensure('slack', 'T_ACME', { name: 'Acme' });
    const other = await services.workspaces.ensure('slack', 'T_OTHER', { name: 'Other' });
    await say(other, member, 'report Only the other workspace sees this');
    const { token, id } = await createToken(acme, 'tableau');
    expect((await get('/api/v1/pebbles')).status).toBe(401);
    expect((await get('/api/v1/pebbles', 'pbt_not-a-real-token-at-all-000000')).status).toBe(401);
    const own = (await (await get('/api/v1/pebbles', token)).json()) as { total: number };
    expect(own.total).toBe(0);
    expect(
      (await get(`/api/v1/pebbles?workspace=${encodeURIComponent(other.id)}`, token)).status,
    ).toBe(403);
    expect(
      (await get(`/api/v1/pebbles?workspace=${encodeURIComponent(acme.id)}`, token)).status,
    ).toBe(200);
    // A member cannot revoke; an admin of another workspace cannot either.
    await expect(say(acme, member, `api token revoke ${id}`)).rejects.toThrow(
      /Only Pebblebot admins/,
    );
    expect((await get('/api/v1/pebbles', token)).status).toBe(200);
    const otherAdminTry = await services.governance
      .revokeApiToken(other, admin, id)
      .catch((e: unknown) => e);
    expect((otherAdminTry as Error).message).toMatch(/no live API token/);
    expect(await say(acme, admin, `api token revoke ${id}`)).toMatch(/revoked/);
    const revoked = await get('/api/v1/pebbles', token);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toMatch(/invalid_token/);
    const list = await say(acme, admin, 'api token list');
    expect(list).toContain(id);
    expect(list).toContain('revoked');
  });

  it('serves the OpenAPI 3.1 file it keeps, which validates, and lists the metric periods it accepts', async () => {
    const { get } = await start();
    const file = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Record<string, unknown>;
    const served = await get('/api/v1/openapi.json');
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(file);
    expect(file.openapi).toBe('3.1.0');
    const api = (await SwaggerParser.validate(structuredClone(file) as never)) as {
      paths: Record<
        string,
        { get: { parameters: { name: string; schema: { enum?: string[] } }[] } }
      >;
    };
    const period = api.paths['/api/v1/metrics']!.get.parameters.find((p) => p.name === 'period')!;
    expect(period.schema.enum).toEqual(Object.keys(METRIC_PERIODS));
    expect(Object.keys(api.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/pebbles',
        '/api/v1/improvements',
        '/api/v1/decisions',
        '/api/v1/metrics',
      ]),
    );
  });
});

describe('read API rate limit', () => {
  it('answers 429 with Retry-After once a token used its requests, per token', async () => {
    const { services, createToken } = await start();
    const acme = await services.workspaces.ensure('slack', 'T_ACME', { name: 'Acme' });
    const a = await createToken(acme, 'a');
    const b = await createToken(acme, 'b');
    const server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      routes: apiRoutes({ services, logger, rateLimit: { requests: 3, windowMs: 60_000 } }),
      ready: () => Promise.resolve(),
    });
    try {
      const call = (token: string) =>
        fetch(`http://127.0.0.1:${server.port}/api/v1/metrics?period=7d`, {
          headers: { authorization: `Bearer ${token}` },
        });
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(a.token)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const limited = await call(a.token);
      expect(limited.headers.get('retry-after')).toBe('60');
      expect((await call(b.token)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
