import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { runText } from '../../src/conversation/run-command.js';
import type { Workspace } from '../../src/core/workspaces/workspace.model.js';
import { cleanEnv, runCli, tempDir } from '../helpers/run-cli.js';
import { hostileText, INTERNALS } from './hostile-text.js';

/**
 * The read API and the console fed hostile input: query strings, paths and tokens of every
 * shape, and console sessions of commands with hostile arguments (every command of the help,
 * settings and export included). Never a 5xx, never a crash, every refusal says why, and a
 * workspace's token never reads another workspace.
 */

const internalsIn = (said: string, input: string) =>
  (said.match(new RegExp(INTERNALS.source, 'g')) ?? []).filter((f) => !input.includes(f));

describe('read API fuzzing', () => {
  let app: RunningApp;
  let base: string;
  let tokenA: string;
  let tokenB: string;
  const SECRET_TITLE = 'Workspace B only: payroll export leaks';

  beforeAll(async () => {
    const config = {
      ...loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDir('pebblebot-hostile-api-') }),
      console: false,
    };
    app = await startApp(config, { logger: pino({ level: 'silent' }) });
    base = `http://127.0.0.1:${app.http!.port}`;
    const { services } = app;
    const admin = { userId: 'U_ADMIN', name: 'Ada', platformAdmin: true };
    const tokenOf = async (ws: Workspace) => {
      const [out] = await runText(
        { services },
        { workspace: ws, actor: admin, channel: 'slack', prefix: '/pebble' },
        'api token create bi',
      );
      const text = out?.kind === 'reply' ? JSON.stringify(out.view) : '';
      return /(pbt_[A-Za-z0-9_-]+)/.exec(text)![1]!;
    };
    const a = await services.workspaces.ensure('slack', 'T0AAAAAA');
    const b = await services.workspaces.ensure('slack', 'T0BBBBBB');
    await services.pebbles.report(
      a,
      { userId: 'U1' },
      { text: 'Workspace A pebble' },
      { kind: 'console' },
    );
    await services.pebbles.report(b, { userId: 'U2' }, { text: SECRET_TITLE }, { kind: 'console' });
    tokenA = await tokenOf(a);
    tokenB = await tokenOf(b);
    expect(tokenA).not.toBe(tokenB);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  const resources = ['pebbles', 'improvements', 'decisions', 'metrics'];
  const queryKey = fc.oneof(
    fc.constantFrom('limit', 'cursor', 'status', 'from', 'to', 'period', 'workspace'),
    fc.string({ maxLength: 10 }),
  );
  const queryValue = fc.oneof(
    hostileText.map((s) => s.slice(0, 2_000)),
    fc.integer().map(String),
    fc.constantFrom(
      '-1',
      '0',
      '1e309',
      'NaN',
      '2026-02-30',
      '9999-12-31',
      'T0BBBBBB',
      'slack:T0BBBBBB',
    ),
  );

  it('any query on any resource: 200 with only its own workspace, or a 4xx that says why; never a 5xx', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...resources),
          // A lone surrogate cannot be percent-encoded: a client sends U+FFFD for it.
          hostileText.map((s) =>
            encodeURIComponent(s.slice(0, 200).replace(/[\uD800-\uDFFF]/g, '\uFFFD')),
          ),
        ),
        fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }),
        async (resource, pairs) => {
          const query = new URLSearchParams();
          for (const [k, v] of pairs) query.append(k, v);
          const res = await fetch(`${base}/api/v1/${resource}?${query.toString()}`, {
            headers: { authorization: `Bearer ${tokenA}` },
          });
          const text = await res.text();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status).toBeLessThan(500);
          expect(text).not.toContain(SECRET_TITLE);
          if (res.status >= 400) {
            const problem = JSON.parse(text) as { error?: string; message?: string };
            expect(problem.error, text).toBeTruthy();
            expect(problem.message, text).toMatch(/\w+ \w+/);
          }
          expect(internalsIn(text, `${resource}${query.toString()}`)).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
    // The fuzz reached the handlers, not only the front door.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });

  it('tokens and methods of every shape: 401 or 405, never a 5xx, never another workspace', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileText.map((s) => s.replace(/[\r\n\0]/g, '').slice(0, 600)),
          fc.constant(`Bearer ${tokenB.slice(0, -1)}x`),
          fc.constant(`Bearer ${tokenA}${tokenB}`),
          fc.constant(`Basic ${Buffer.from(`x:${tokenB}`).toString('base64')}`),
        ),
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'),
        async (authorization, method) => {
          let res: Response;
          try {
            res = await fetch(`${base}/api/v1/pebbles`, { method, headers: { authorization } });
          } catch {
            return; // a header fetch itself refuses to send (not a server answer)
          }
          const text = await res.text();
          expect(res.status).toBeLessThan(500);
          expect([401, 405]).toContain(res.status);
          expect(text).not.toContain(SECRET_TITLE);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a token of workspace A naming workspace B is refused, and B’s token still reads B', async () => {
    const refused = await fetch(`${base}/api/v1/pebbles?workspace=slack:T0BBBBBB`, {
      headers: { authorization: `Bearer ${tokenA}` },
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain(SECRET_TITLE);
    const own = await fetch(`${base}/api/v1/pebbles`, {
      headers: { authorization: `Bearer ${tokenB}` },
    });
    expect(await own.text()).toContain(SECRET_TITLE);
  });
});

describe('console fuzzing (npm start, piped)', () => {
  const COMMANDS = [
    'report',
    'anon',
    'anon P-1',
    'merge P-2',
    'list',
    'list page',
    'mine',
    'show',
    '+1',
    'digest',
    'triage P-1 severity',
    'triage P-1 stage',
    'triage P-1 decline',
    'triage P-2 duplicate',
    'council propose',
    'council votes',
    'vote V-1',
    'council decide V-1',
    'council reason V-1',
    'council wip V-1',
    'improvement list',
    'improvement show',
    'improvement assign I-1',
    'improvement accept I-1',
    'improvement decline I-1',
    'improvement update I-1',
    'improvement date I-1',
    'improvement snooze I-1',
    'improvement fixed I-1',
    'improvement new P-1',
    'improvement sponsor',
    'improvement settings',
    'config',
    'config triage',
    'config emoji',
    'config admins',
    'config council members',
    'config council sponsor',
    'config council ballots',
    'config council quorum',
    'config council threshold',
    'config council window',
    'config digest channel',
    'config digest',
    'config audit',
    'config retention',
    'config delete-workspace-data confirm',
    'export',
    'api token create',
    'api token revoke',
    'forget',
    'help',
  ];
  const line = fc
    .tuple(
      fc.constantFrom(...COMMANDS),
      hostileText.map((s) => s.replace(/[\r\n]/g, ' ').slice(0, 3_000)),
    )
    .map(([command, arg]) => `${command} ${arg}`);

  it('a session of commands with hostile arguments: every line answered, no crash, no stack trace, the data folder reopens', async () => {
    const dataDir = tempDir('pebblebot-hostile-console-');
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 80, maxLength: 80 }), async (lines) => {
        const input = [
          'report Badge reader at door C is flaky',
          'report VPN drops hourly',
          ...lines,
          'list',
        ].join('\n');
        const result = await runCli(`${input}\n`, cleanEnv({ DATA_DIR: dataDir }), 60_000);
        // A piped script whose commands fail exits 1, like a shell script; never a crash.
        expect([0, 1], result.stderr).toContain(result.code);
        expect(result.stdout + result.stderr).not.toMatch(/\n\s+at [\w.<>$]+ \(|\.ts:\d+:\d+/);
        expect(result.stderr).not.toMatch(/Unhandled|uncaught|FATAL/i);
        expect(internalsIn(result.stdout, input)).toEqual([]);
        // The last line still works: the session was alive to the end.
        expect(result.stdout).toMatch(/P-1 Badge reader at door C is flaky|Open pebbles/);
      }),
      { numRuns: 2 },
    );
    const again = await runCli('show P-1\n', cleanEnv({ DATA_DIR: dataDir }), 60_000);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Badge reader at door C is flaky');
  }, 240_000);
});
