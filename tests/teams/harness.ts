import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import pino from 'pino';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { Store } from '../../src/core/ports/store.port.js';
import {
  createTeamsChannel,
  type TeamsChannel,
  type TeamsChannelDeps,
} from '../../src/teams/teams.channel.js';
import type { TeamsConfig } from '../../src/teams/teams-auth.js';
import { recordOutgoing } from '../helpers/privacy.js';
import type { GraphConfig } from '../../src/teams/teams-roles.js';

export const APP_ID = '11111111-2222-3333-4444-555555555555';
export const APP_PASSWORD = 'test-client-secret';
export const ISSUER = 'https://api.botframework.test';
export const TENANT = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';
const GRAPH_TOKEN = 'graph-app-token';

/** An activity fixture of tests/fixtures/teams (recorded or documented shapes). */
export function activityFixture(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/teams/${name}`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
}

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

async function readJson(req: IncomingMessage): Promise<{ raw: string; body: unknown }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  try {
    return { raw, body: raw ? JSON.parse(raw) : undefined };
  } catch {
    return { raw, body: raw };
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** An RSA key with a key id, as the Bot Framework's OpenID configuration publishes them. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function signingKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: randomUUID(), privateKey, publicKey };
}

export interface TokenClaims {
  iss?: string;
  aud?: string;
  serviceurl?: string;
  /** Seconds from now. */
  nbf?: number;
  exp?: number;
}

/** A signed RS256 JWT as the Bot Framework sends one to the bot. */
export function signToken(key: SigningKey, claims: TokenClaims): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: key.kid, x5t: key.kid };
  const payload = {
    iss: claims.iss ?? ISSUER,
    aud: claims.aud ?? APP_ID,
    ...(claims.serviceurl !== undefined ? { serviceurl: claims.serviceurl } : {}),
    iat: now + Math.min(0, claims.nbf ?? -60),
    nbf: now + (claims.nbf ?? -60),
    exp: now + (claims.exp ?? 3600),
  };
  const data = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${data}.${base64url(sign('sha256', Buffer.from(data), key.privateKey))}`;
}

const loopbackCerts: string[] = [];
let tlsPatched = false;

/**
 * Trusts a self-signed certificate for TLS connections to 127.0.0.1 in this process.
 * NOTE: setting `https.globalAgent.options.ca` is not enough once nock is loaded (the Slack
 * driver of the parity test loads it): its interceptor gives MSAL's agentless requests an
 * agent of its own, which ignores the global agent's options. `tls.connect` sees every one.
 */
function trustForLoopback(cert: string): void {
  loopbackCerts.push(cert);
  https.globalAgent.options.ca = [...tls.rootCertificates, ...loopbackCerts];
  if (tlsPatched) return;
  tlsPatched = true;
  const connect = tls.connect.bind(tls) as (...args: unknown[]) => tls.TLSSocket;
  (tls as { connect: unknown }).connect = (...args: unknown[]) => {
    const options = args.find((a): a is tls.ConnectionOptions => !!a && typeof a === 'object');
    if (
      options &&
      !options.ca &&
      (options.host === '127.0.0.1' || options.servername === '127.0.0.1')
    )
      options.ca = [...tls.rootCertificates, ...loopbackCerts];
    return connect(...args);
  };
}

/** One request the bot made to the loopback Bot Connector (a reply or a proactive send). */
export interface ConnectorCall {
  method: string;
  path: string;
  authorization?: string;
  body: Record<string, unknown>;
  /** When it arrived (ms since epoch). */
  at: number;
}

type ConnectorAnswer = { status: number; body?: unknown; headers?: Record<string, string> };

/**
 * Loopback Bot Framework: the OpenID configuration and keys that validate incoming tokens
 * (http), the login authority that issues the bot's outgoing tokens (https, self-signed
 * certificate trusted for this process only), and the Bot Connector that receives replies.
 */
export class FakeBotFramework {
  readonly key = signingKey();
  readonly connectorCalls: ConnectorCall[] = [];
  readonly tokenRequests: string[] = [];
  /** Microsoft Graph: each team's members with their roles, by the team's group id. */
  readonly teamMembers = new Map<string, { userId: string; roles: string[] }[]>();
  /** Microsoft Graph: directory role template ids each person holds, by Entra object id. */
  readonly directoryRoles = new Map<string, string[]>();
  /** Every Graph request (path and query), and the app-only tokens asked for it. */
  readonly graphRequests: string[] = [];
  readonly graphTokenRequests: { tenant: string; body: string }[] = [];
  /** A status Graph answers every request with (403: the permission was not granted). */
  graphFailure: number | undefined;
  graphUrl = '';
  /** The login host without a tenant (Graph's token authority is `{loginHost}/{tenant}`). */
  loginHost = '';
  /** Answers the connector gives, in order, before the default 200. */
  readonly connectorAnswers: ConnectorAnswer[] = [];
  private readonly servers: (http.Server | https.Server)[] = [];
  private tlsDir = '';
  openIdUrl = '';
  loginUrl = '';
  serviceUrl = '';

  async start(): Promise<void> {
    const openId = http.createServer((req, res) => {
      const port = (openId.address() as AddressInfo).port;
      if (req.url === '/v1/.well-known/openidconfiguration')
        return json(res, 200, {
          issuer: ISSUER,
          jwks_uri: `http://127.0.0.1:${port}/v1/keys`,
          id_token_signing_alg_values_supported: ['RS256'],
        });
      if (req.url === '/v1/keys') {
        const jwk = this.key.publicKey.export({ format: 'jwk' });
        return json(res, 200, {
          keys: [
            {
              kty: 'RSA',
              use: 'sig',
              kid: this.key.kid,
              n: jwk.n,
              e: jwk.e,
              endorsements: ['msteams', 'emulator'],
            },
          ],
        });
      }
      json(res, 404, {});
    });
    this.openIdUrl = `http://127.0.0.1:${await listen(openId)}/v1/.well-known/openidconfiguration`;

    // NOTE: MSAL only accepts an https authority; the certificate is made here for 127.0.0.1
    // and trusted for this process (NODE_EXTRA_CA_CERTS does the same in a real deployment
    // behind a private CA).
    this.tlsDir = mkdtempSync(path.join(os.tmpdir(), 'pebblebot-teams-tls-'));
    const keyFile = path.join(this.tlsDir, 'key.pem');
    const certFile = path.join(this.tlsDir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(certFile);
    trustForLoopback(cert.toString());
    const login = https.createServer({ key: readFileSync(keyFile), cert }, (req, res) => {
      void readJson(req).then(({ raw }) => {
        const port = (login.address() as AddressInfo).port;
        // The bot's own authority (botframework.com) and any tenant's (Graph's app-only tokens).
        const tenant = /^\/([^/?]+)\//.exec(req.url ?? '')?.[1] ?? 'botframework.com';
        const authority = `https://127.0.0.1:${port}/${tenant}`;
        if (tenant !== 'botframework.com') {
          if (req.url?.includes('/v2.0/.well-known/openid-configuration'))
            return json(res, 200, {
              issuer: `${authority}/v2.0`,
              token_endpoint: `${authority}/oauth2/v2.0/token`,
              authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
              end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
              jwks_uri: `${authority}/discovery/v2.0/keys`,
            });
          if (req.url?.includes('/oauth2/v2.0/token')) {
            this.graphTokenRequests.push({ tenant, body: raw });
            return json(res, 200, {
              token_type: 'Bearer',
              expires_in: 3600,
              ext_expires_in: 3600,
              access_token: GRAPH_TOKEN,
            });
          }
          return json(res, 404, {});
        }
        if (req.url?.startsWith('/botframework.com/v2.0/.well-known/openid-configuration'))
          return json(res, 200, {
            issuer: `${authority}/v2.0`,
            token_endpoint: `${authority}/oauth2/v2.0/token`,
            authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
            end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
            jwks_uri: `${authority}/discovery/v2.0/keys`,
          });
        if (req.url?.startsWith('/botframework.com/oauth2/v2.0/token')) {
          this.tokenRequests.push(raw);
          return json(res, 200, {
            token_type: 'Bearer',
            expires_in: 3600,
            ext_expires_in: 3600,
            access_token: 'outgoing-token',
          });
        }
        json(res, 404, {});
      });
    });
    this.loginUrl = `https://127.0.0.1:${await listen(login)}/botframework.com`;
    this.loginHost = new URL(this.loginUrl).origin;

    const graph = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://graph');
      this.graphRequests.push(decodeURIComponent(url.pathname + url.search));
      if (req.headers.authorization !== `Bearer ${GRAPH_TOKEN}`) return json(res, 401, {});
      const failure = this.graphFailure;
      if (failure) return json(res, failure, { error: { code: 'Authorization_RequestDenied' } });
      const team = /^\/v1\.0\/teams\/([^/]+)\/members$/.exec(url.pathname);
      if (team) {
        const wanted = /userId eq '([^']+)'/.exec(url.searchParams.get('$filter') ?? '')?.[1];
        const members = (this.teamMembers.get(decodeURIComponent(team[1]!)) ?? []).filter(
          (m) => !wanted || m.userId === wanted,
        );
        return json(res, 200, {
          value: members.map((m) => ({
            '@odata.type': '#microsoft.graph.aadUserConversationMember',
            userId: m.userId,
            roles: m.roles,
          })),
        });
      }
      const roles = /^\/v1\.0\/users\/([^/]+)\/memberOf\/microsoft\.graph\.directoryRole$/.exec(
        url.pathname,
      );
      if (roles)
        return json(res, 200, {
          value: (this.directoryRoles.get(decodeURIComponent(roles[1]!)) ?? []).map((id) => ({
            '@odata.type': '#microsoft.graph.directoryRole',
            roleTemplateId: id,
          })),
        });
      json(res, 404, { error: { code: 'Request_ResourceNotFound' } });
    });
    this.graphUrl = `http://127.0.0.1:${await listen(graph)}/v1.0`;
    this.servers.push(graph);

    const connector = http.createServer((req, res) => {
      void readJson(req).then(({ body }) => {
        this.connectorCalls.push({
          at: Date.now(),
          method: req.method ?? '',
          path: req.url ?? '',
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          body: (body ?? {}) as Record<string, unknown>,
        });
        recordOutgoing('teams', `${req.method ?? ''} connector`, body, req.url ?? '');
        const answer = this.connectorAnswers.shift();
        if (answer) return json(res, answer.status, answer.body ?? {}, answer.headers);
        json(res, 200, { id: `activity-${this.connectorCalls.length}` });
      });
    });
    this.serviceUrl = `http://127.0.0.1:${await listen(connector)}/amer/${TENANT}/`;
    this.servers.push(openId, login, connector);
  }

  /** The login authority's certificate, for child processes (NODE_EXTRA_CA_CERTS). */
  get certFile(): string {
    return path.join(this.tlsDir, 'cert.pem');
  }

  config(overrides: Partial<TeamsConfig> = {}): TeamsConfig {
    return {
      appId: APP_ID,
      appPassword: APP_PASSWORD,
      appType: 'MultiTenant',
      allowUnauthenticated: false,
      openIdMetadataUrl: this.openIdUrl,
      tokenIssuer: ISSUER,
      loginUrl: this.loginUrl,
      oauthScope: 'https://api.botframework.com',
      ...overrides,
    };
  }

  /** Microsoft Graph at this fake, with the bot's app credentials (Teams roles). */
  graph(): GraphConfig {
    return {
      baseUrl: this.graphUrl,
      loginUrl: this.loginHost,
      appId: APP_ID,
      appPassword: APP_PASSWORD,
    };
  }

  /** A valid token for an activity at this fake's serviceUrl. */
  token(claims: TokenClaims = {}): string {
    return signToken(this.key, { serviceurl: this.serviceUrl, ...claims });
  }

  async stop(): Promise<void> {
    for (const server of this.servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (this.tlsDir) rmSync(this.tlsDir, { recursive: true, force: true });
  }
}

/** Pebblebot's HTTP server with only the Teams channel, on an embedded store. */
export interface TeamsApp {
  url: string;
  store: Store;
  channel: TeamsChannel;
  server: RunningHttpServer;
  post(
    activity: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export async function startTeamsApp(
  config: TeamsConfig,
  deps: Partial<TeamsChannelDeps> = {},
): Promise<TeamsApp> {
  const store = deps.store ?? (await openEmbeddedStore());
  const logger = pino({ level: 'silent' });
  const channel = createTeamsChannel(config, { store, logger, ...deps });
  const server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    logger,
    routes: channel.routes,
    ready: () => store.ping(),
  });
  const url = `http://127.0.0.1:${server.port}/api/messages`;
  return {
    url,
    store,
    channel,
    server,
    async post(activity, headers = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof activity === 'string' ? activity : JSON.stringify(activity),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: kept as text
      }
      return { status: res.status, body };
    },
    async close() {
      await server.close(1_000);
      await store.close();
    },
  };
}
