import { Writable } from 'node:stream';
import nock from 'nock';
import pino from 'pino';
import { startApp, type RunningApp } from '../../src/app.js';
import { createChannels } from '../../src/channels.js';
import { loadConfig } from '../../src/config.js';
import { tempDir } from '../helpers/run-cli.js';
import { TEST_BALLOT_SECRET } from '../helpers/services.js';
import { API, commandBody, HOOKS, SECRET, sign, uid } from './harness.js';
import { recordLog, recordOutgoing } from '../helpers/privacy.js';

export const CLIENT_ID = '1111.2222';
export const CLIENT_SECRET = 'oauth-client-secret-value';
export const STATE_SECRET = 'oauth-state-secret-value';
export const KEY_A = 'a'.repeat(48) + '0123456789abcdef';
export const KEY_B = 'b'.repeat(48) + 'fedcba9876543210';
export const APP_ID = 'A0PEBBLE';

/** One Web API call or response_url answer, with the token it carried. */
export interface RecordedCall {
  method: string;
  token?: string;
  body: Record<string, unknown>;
}

/** What an install through `oauth.v2.access` returns: one workspace, or an org (Enterprise Grid). */
export interface FakeInstall {
  code: string;
  token: string;
  botUserId: string;
  installer: string;
  team?: { id: string; name: string };
  enterprise?: { id: string; name: string };
}

/**
 * An install by `installer` of a workspace (`{ team }`) or of an org (`{ enterprise }`), its
 * code, bot token and bot user named after it; `tag` keeps one test file's codes and tokens
 * apart from another's.
 */
export function fakeInstall(
  installer: string,
  where: { team: { id: string; name: string } } | { enterprise: { id: string; name: string } },
  tag = '',
): FakeInstall {
  const name = 'team' in where ? where.team.name : where.enterprise.name;
  const slug = `${tag}${name.toLowerCase()}`;
  return {
    code: `code-${slug}`,
    token: `xoxb-${slug}-0001`,
    botUserId: `UBOT${name.toUpperCase()}`,
    installer,
    ...where,
  };
}

function decode(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'string') return (raw ?? {}) as Record<string, unknown>;
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    const body: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(raw)) {
      try {
        body[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
      } catch {
        body[k] = v;
      }
    }
    return body;
  }
}

/**
 * Slack faked with nock for many installations: `oauth.v2.access` answers per code, every
 * Web API call is recorded with the token it carried (to prove which installation served it),
 * and response_urls record their answers.
 */
export class MultiSlack {
  readonly calls: RecordedCall[] = [];
  readonly installs = new Map<string, FakeInstall>();
  private ts = 0;

  constructor() {
    const calls = this.calls;
    const answer = (method: string, body: Record<string, unknown>, token?: string) =>
      this.answer(method, body, token);
    nock(API)
      .persist()
      .post(/^\/api\//)
      .reply(function (uri, requestBody) {
        const method = uri.replace(/^\/api\//, '');
        const auth = this.req.headers.authorization;
        const token = (Array.isArray(auth) ? auth[0] : auth)?.replace(/^Bearer /, '');
        const body = decode(requestBody);
        calls.push({ method, ...(token ? { token } : {}), body });
        recordOutgoing('slack', method, body);
        return [200, answer(method, body, token)];
      });
    nock(HOOKS)
      .persist()
      .post(/.*/)
      .reply(function (uri, requestBody) {
        calls.push({ method: `respond ${uri}`, body: decode(requestBody) });
        recordOutgoing('slack', 'response_url', decode(requestBody), uri);
        return [200, 'ok'];
      });
  }

  of(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method || c.method.startsWith(`${method} `));
  }

  private answer(method: string, body: Record<string, unknown>, token?: string) {
    switch (method) {
      case 'oauth.v2.access': {
        const install = this.installs.get(String(body.code));
        if (!install || body.client_secret !== CLIENT_SECRET)
          return { ok: false, error: 'invalid_code' };
        return {
          ok: true,
          app_id: APP_ID,
          authed_user: { id: install.installer },
          scope: 'commands,chat:write,users:read',
          token_type: 'bot',
          access_token: install.token,
          bot_user_id: install.botUserId,
          team: install.enterprise ? null : install.team,
          enterprise: install.enterprise ?? null,
          is_enterprise_install: Boolean(install.enterprise),
        };
      }
      case 'auth.test': {
        const install = [...this.installs.values()].find((i) => i.token === token);
        if (!install) return { ok: false, error: 'invalid_auth' };
        return {
          ok: true,
          url: 'https://acme.slack.com/',
          user_id: install.botUserId,
          bot_id: `B${install.botUserId}`,
          ...(install.team ? { team_id: install.team.id } : {}),
          ...(install.enterprise ? { enterprise_id: install.enterprise.id } : {}),
        };
      }
      case 'chat.postMessage':
        this.ts += 1;
        return {
          ok: true,
          channel: String(body.channel).replace(/^U/, 'D'),
          ts: `1700000000.${this.ts}`,
        };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(body.users)}` } };
      case 'users.info':
        return { ok: true, user: { name: String(body.user), is_admin: false, is_owner: false } };
      default:
        return { ok: true };
    }
  }
}

export interface OAuthTestApp {
  app: RunningApp;
  slack: MultiSlack;
  base: string;
  dataDir: string;
  logs: string[];
  /** Runs the whole install in one browser: /slack/install, Slack's consent, the redirect. */
  install(install: FakeInstall): Promise<{ status: number; html: string }>;
  /** A signed slash command from a workspace (and its org, when given). */
  command(
    text: string,
    where: { team: string; enterprise?: string; user: string },
  ): Promise<{ status: number; answer?: Record<string, unknown> }>;
  /** A signed Events API callback. */
  event(
    event: Record<string, unknown>,
    where: { team: string; enterprise?: string; orgWide?: boolean },
  ): Promise<{ status: number }>;
  stop(): Promise<void>;
}

/** Starts Pebblebot in OAuth mode through the real composition root. */
export async function startOAuthApp(
  options: { env?: Record<string, string>; dataDir?: string } = {},
): Promise<OAuthTestApp> {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  const slack = new MultiSlack();
  const logs: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        recordLog(chunk.toString());
        cb();
      },
    }),
  );
  const dataDir = options.dataDir ?? tempDir('pebblebot-oauth-');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_CLIENT_ID: CLIENT_ID,
    SLACK_CLIENT_SECRET: CLIENT_SECRET,
    SLACK_STATE_SECRET: STATE_SECRET,
    PEBBLEBOT_ENCRYPTION_KEY: KEY_A,
    BALLOT_SECRET: TEST_BALLOT_SECRET,
    ...options.env,
  });
  const app = await startApp(config, {
    logger,
    channels: (services) =>
      createChannels(config, services, logger, {
        slack: { clientOptions: { retryConfig: { retries: 0 } } },
      }),
  });
  const base = `http://127.0.0.1:${app.http?.port ?? 0}`;
  const post = async (body: string, contentType: string) => {
    const res = await fetch(`${base}/slack/events`, {
      method: 'POST',
      body,
      headers: { 'content-type': contentType, ...sign(body) },
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, text: await res.text() };
  };

  return {
    app,
    slack,
    base,
    dataDir,
    logs,
    async install(install) {
      slack.installs.set(install.code, install);
      const started = await fetch(`${base}/slack/install`, { redirect: 'manual' });
      const location = new URL(started.headers.get('location') ?? '');
      const state = location.searchParams.get('state') ?? '';
      const cookie = (started.headers.get('set-cookie') ?? '').split(';')[0]!;
      const done = await fetch(
        `${base}/slack/oauth_redirect?code=${install.code}&state=${encodeURIComponent(state)}`,
        { headers: { cookie }, redirect: 'manual' },
      );
      return { status: done.status, html: await done.text() };
    },
    async command(text, where) {
      const id = uid();
      const responseUrl = `/commands/${where.team}/${id}/tok`;
      const body = commandBody(text, {
        team_id: where.team,
        ...(where.enterprise ? { enterprise_id: where.enterprise } : {}),
        user_id: where.user,
        user_name: where.user.toLowerCase(),
        response_url: `${HOOKS}${responseUrl}`,
      });
      const { status } = await post(
        new URLSearchParams(body).toString(),
        'application/x-www-form-urlencoded',
      );
      // The answer goes to the response_url after the acknowledgement.
      const until = Date.now() + 5_000;
      let answer: Record<string, unknown> | undefined;
      while (status === 200 && !answer && Date.now() < until) {
        answer = slack.of(`respond ${responseUrl}`)[0]?.body;
        if (!answer) await new Promise((r) => setTimeout(r, 10));
      }
      return { status, ...(answer ? { answer } : {}) };
    },
    async event(event, where) {
      const body = JSON.stringify({
        token: 'legacy',
        team_id: where.team,
        ...(where.enterprise ? { enterprise_id: where.enterprise } : {}),
        api_app_id: APP_ID,
        event,
        type: 'event_callback',
        event_id: `Ev${uid()}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [
          {
            enterprise_id: where.enterprise ?? null,
            team_id: where.orgWide ? null : where.team,
            user_id: 'UBOT',
            is_bot: true,
            is_enterprise_install: where.orgWide ?? false,
          },
        ],
        is_ext_shared_channel: false,
      });
      const { status } = await post(body, 'application/json');
      return { status };
    },
    stop: async () => {
      await app.stop();
      nock.cleanAll();
    },
  };
}
