import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { ROOT } from './helpers/run-cli.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('defaults to the console channel on the embedded store with no chat credentials', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: './data',
      console: true,
      logLevel: 'warn',
    });
    expect(config.mongodb).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('chooses Slack over HTTP or Socket Mode from the variables present', () => {
    const http = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    expect(http.slack?.mode).toBe('http');
    expect(http.console).toBe(false);
    expect(http.logLevel).toBe('info');
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack?.mode).toBe(
      'socket',
    );
  });

  it('keeps the console on loopback whatever HOST says, and honours HOST for Slack', () => {
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '192.0.2.10' }).host).toBe('127.0.0.1');
    expect(
      loadConfig({ HOST: '0.0.0.0', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).host,
    ).toBe('0.0.0.0');
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).host).toBe(
      '0.0.0.0',
    );
  });

  it('maps the Teams variables onto the Teams channel, Bot Framework endpoints included', () => {
    const config = loadConfig({
      MICROSOFT_APP_ID: '11111111-2222-3333-4444-555555555555',
      MICROSOFT_APP_PASSWORD: 'pw-secret',
      MICROSOFT_APP_TENANT_ID: 'tenant-1',
      MICROSOFT_APP_TYPE: 'SingleTenant',
      BOTFRAMEWORK_OPENID_METADATA_URL:
        'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
      BOTFRAMEWORK_TOKEN_ISSUER: 'https://api.botframework.us',
      BOTFRAMEWORK_LOGIN_URL: 'https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.com',
      BOTFRAMEWORK_OAUTH_SCOPE: 'https://api.botframework.us',
      TEAMS_ADMIN_IDS: '00000000-1111-2222-3333-444444444444, AAAAAAAA-1111-2222-3333-444444444444',
      MICROSOFT_GRAPH_URL: 'https://graph.microsoft.us/v1.0',
      MICROSOFT_GRAPH_LOGIN_URL: 'https://login.microsoftonline.us',
    });
    expect(config.console).toBe(false);
    expect(config.host).toBe('0.0.0.0');
    expect(config.teams).toEqual({
      appId: '11111111-2222-3333-4444-555555555555',
      appPassword: 'pw-secret',
      tenantId: 'tenant-1',
      appType: 'SingleTenant',
      allowUnauthenticated: false,
      openIdMetadataUrl: 'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
      tokenIssuer: 'https://api.botframework.us',
      loginUrl: 'https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.com',
      oauthScope: 'https://api.botframework.us',
      adminObjectIds: [
        '00000000-1111-2222-3333-444444444444',
        'AAAAAAAA-1111-2222-3333-444444444444',
      ],
      graph: {
        baseUrl: 'https://graph.microsoft.us/v1.0',
        loginUrl: 'https://login.microsoftonline.us',
      },
    });
    // Unset endpoints stay unset here: the channel fills the public cloud's for each of them.
    const multi = loadConfig({ MICROSOFT_APP_ID: 'id', MICROSOFT_APP_PASSWORD: 'pw' }).teams;
    expect(multi).toEqual({
      appId: 'id',
      appPassword: 'pw',
      appType: 'MultiTenant',
      allowUnauthenticated: false,
      // Teams admins and team owners come from the public cloud's Graph by default.
      graph: {
        baseUrl: 'https://graph.microsoft.com/v1.0',
        loginUrl: 'https://login.microsoftonline.com',
      },
    });
    // Switched off, or a managed identity (no client secret for an app-only Graph token): none.
    expect(
      loadConfig({
        MICROSOFT_APP_ID: 'id',
        MICROSOFT_APP_PASSWORD: 'pw',
        TEAMS_GRAPH_ROLES: 'false',
      }).teams?.graph,
    ).toBeUndefined();
    expect(
      loadConfig({
        MICROSOFT_APP_ID: 'id',
        MICROSOFT_APP_TYPE: 'UserAssignedMSI',
        MICROSOFT_APP_TENANT_ID: 'tenant-1',
      }).teams?.graph,
    ).toBeUndefined();
  });

  it('reads PUBLIC_URL (https, or loopback for a local try) without its trailing slash', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://pebblebot.example.com/' }).publicUrl).toBe(
      'https://pebblebot.example.com',
    );
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(() => loadConfig({ PUBLIC_URL: 'http://pebblebot.example.com' })).toThrow(
      /PUBLIC_URL must be an https:\/\/ URL/,
    );
  });

  it('runs Teams without an app id only for the emulator, never by default', () => {
    expect(loadConfig({}).teams).toBeUndefined();
    expect(loadConfig({ TEAMS_ALLOW_UNAUTHENTICATED: 'false' }).teams).toBeUndefined();
    expect(loadConfig({ TEAMS_ALLOW_UNAUTHENTICATED: 'true' }).teams).toEqual({
      appType: 'MultiTenant',
      allowUnauthenticated: true,
    });
  });

  it.each([
    [
      { MICROSOFT_APP_ID: 'id' },
      'MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID for a MultiTenant bot',
    ],
    [
      { MICROSOFT_APP_ID: 'id', MICROSOFT_APP_TYPE: 'SingleTenant' },
      'MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID for a SingleTenant bot',
    ],
    [
      { MICROSOFT_APP_ID: 'id', MICROSOFT_APP_PASSWORD: 'pw', MICROSOFT_APP_TYPE: 'SingleTenant' },
      'MICROSOFT_APP_TENANT_ID is required when MICROSOFT_APP_TYPE is SingleTenant',
    ],
    [
      { MICROSOFT_APP_ID: 'id', MICROSOFT_APP_TYPE: 'UserAssignedMSI' },
      'MICROSOFT_APP_TENANT_ID is required when MICROSOFT_APP_TYPE is UserAssignedMSI',
    ],
    [{ MICROSOFT_APP_PASSWORD: 'pw' }, 'MICROSOFT_APP_ID is required when MICROSOFT_APP_PASSWORD'],
    [{ MICROSOFT_APP_TYPE: 'MultiTenant' }, 'MICROSOFT_APP_ID is required when MICROSOFT_APP_TYPE'],
    [
      { MICROSOFT_APP_ID: 'id', MICROSOFT_APP_PASSWORD: 'pw', MICROSOFT_APP_TYPE: 'Other' },
      'MICROSOFT_APP_TYPE must be MultiTenant, SingleTenant or UserAssignedMSI',
    ],
    [
      { MICROSOFT_APP_ID: 'id', MICROSOFT_APP_PASSWORD: 'pw', TEAMS_ALLOW_UNAUTHENTICATED: 'true' },
      'TEAMS_ALLOW_UNAUTHENTICATED must not be true when MICROSOFT_APP_ID is set',
    ],
    [
      { MICROSOFT_APP_ID: 'id', MICROSOFT_APP_PASSWORD: 'pw', BOTFRAMEWORK_LOGIN_URL: 'nope' },
      'BOTFRAMEWORK_LOGIN_URL must be a full URL',
    ],
    [
      {
        MICROSOFT_APP_ID: 'id',
        MICROSOFT_APP_PASSWORD: 'pw',
        BOTFRAMEWORK_LOGIN_URL: 'http://login.example/x',
      },
      'BOTFRAMEWORK_LOGIN_URL must be an https:// URL',
    ],
    [
      {
        MICROSOFT_APP_ID: 'id',
        MICROSOFT_APP_PASSWORD: 'pw',
        BOTFRAMEWORK_OPENID_METADATA_URL: 'x',
      },
      'BOTFRAMEWORK_OPENID_METADATA_URL must be a full URL',
    ],
    [
      { MICROSOFT_APP_ID: 'id', MICROSOFT_APP_PASSWORD: 'pw', TEAMS_ADMIN_IDS: 'ana@example.com' },
      'TEAMS_ADMIN_IDS must be Microsoft Entra object ids',
    ],
    [
      { BOTFRAMEWORK_TOKEN_ISSUER: 'https://api.botframework.us' },
      'BOTFRAMEWORK_TOKEN_ISSUER is set without MICROSOFT_APP_ID: Teams is off',
    ],
  ])('refuses the Teams settings %o', (env, message) => {
    expect(problems(env as Record<string, string>).join('\n')).toContain(message);
  });

  it('never echoes the Teams client secret in a problem', () => {
    const found = problems({ MICROSOFT_APP_PASSWORD: 'pw-very-secret', PORT: 'x' });
    expect(found).toHaveLength(2);
    expect(found.join('\n')).not.toContain('pw-very-secret');
  });

  const OAUTH = {
    SLACK_CLIENT_ID: '123.456',
    SLACK_CLIENT_SECRET: 'client-secret-value',
    SLACK_STATE_SECRET: 'state-secret-value',
    SLACK_SIGNING_SECRET: 's',
    PEBBLEBOT_ENCRYPTION_KEY: 'AB'.repeat(32),
  };

  it('chooses Slack OAuth from its variables, the signing secret and the encryption key', () => {
    const config = loadConfig({
      ...OAUTH,
      PEBBLEBOT_ENCRYPTION_KEYS_OLD: `${'1'.repeat(64)}, ${'2'.repeat(64)}`,
    });
    expect(config.slack).toMatchObject({
      mode: 'oauth',
      clientId: '123.456',
      encryption: { key: 'ab'.repeat(32), oldKeys: ['1'.repeat(64), '2'.repeat(64)] },
    });
    expect(config.console).toBe(false);
  });

  it('asks for every OAuth variable together, the signing secret and the key, naming each', () => {
    const found = problems({
      SLACK_CLIENT_ID: 'c',
      SLACK_CLIENT_SECRET: 'client-secret-value',
      PORT: 'x',
    });
    expect(found).toEqual([
      'PORT must be a whole number from 0 to 65535 (got "x")',
      'SLACK_STATE_SECRET is required for Slack OAuth (set all three of SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET)',
      'SLACK_SIGNING_SECRET is required with Slack OAuth to verify requests from Slack',
      "PEBBLEBOT_ENCRYPTION_KEY is required with Slack OAuth: it encrypts the installations' bot tokens at rest (generate one with `openssl rand -hex 32`)",
    ]);
    expect(found.join('\n')).not.toContain('client-secret-value');
  });

  it.each([
    [
      { ...OAUTH, PEBBLEBOT_ENCRYPTION_KEY: 'abc' },
      'PEBBLEBOT_ENCRYPTION_KEY must be 32 random bytes written as 64 hex characters',
    ],
    [
      { ...OAUTH, PEBBLEBOT_ENCRYPTION_KEY: 'g'.repeat(64) },
      'PEBBLEBOT_ENCRYPTION_KEY must be 32 random bytes',
    ],
    [
      { ...OAUTH, PEBBLEBOT_ENCRYPTION_KEYS_OLD: 'abc' },
      'PEBBLEBOT_ENCRYPTION_KEYS_OLD must be earlier PEBBLEBOT_ENCRYPTION_KEY values',
    ],
    [
      { ...OAUTH, SLACK_BOT_TOKEN: 'xoxb-1' },
      'SLACK_BOT_TOKEN cannot be combined with Slack OAuth',
    ],
    [
      { ...OAUTH, SLACK_APP_TOKEN: 'xapp-1' },
      'SLACK_APP_TOKEN cannot be combined with Slack OAuth',
    ],
    [
      {
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 's',
        PEBBLEBOT_ENCRYPTION_KEY: 'a'.repeat(64),
      },
      'PEBBLEBOT_ENCRYPTION_KEY is only used with Slack OAuth',
    ],
  ])('refuses an OAuth set-up that cannot work: %o', (env, message) => {
    expect(problems(env).join('\n')).toContain(message);
  });

  it('starts the console from a copy of .env.example as it is (its blanks count as unset)', () => {
    const example = parseEnv(readFileSync(path.join(ROOT, '.env.example'), 'utf8'));
    expect(example).toMatchObject({ MONGODB_URI: '', SLACK_BOT_TOKEN: '', PORT: '3000' });
    const config = loadConfig(example);
    expect(config).toMatchObject({ console: true, host: '127.0.0.1', dataDir: './data' });
    expect(config.slack).toBeUndefined();
    expect(config.teams).toBeUndefined();
  });

  it('uses MongoDB when MONGODB_URI is set', () => {
    const config = loadConfig({ MONGODB_URI: 'mongodb://u:p@db:27017', MONGODB_DB: 'cx' });
    expect(config.mongodb).toEqual({ uri: 'mongodb://u:p@db:27017', dbName: 'cx' });
  });

  it.each([
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_BOT_TOKEN needs SLACK_SIGNING_SECRET'],
    [{ SLACK_SIGNING_SECRET: 's' }, 'SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is missing'],
    [
      { SLACK_BOT_TOKEN: 'xoxp-1', SLACK_SIGNING_SECRET: 's' },
      'SLACK_BOT_TOKEN must be a bot token',
    ],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI must be a MongoDB connection string'],
    [{ PORT: '70000' }, 'PORT must be a whole number from 0 to 65535'],
    [{ SLACK_API_URL: 'not a url' }, 'SLACK_API_URL must be a full URL'],
    [{ TEAMS_ALLOW_UNAUTHENTICATED: 'maybe' }, 'TEAMS_ALLOW_UNAUTHENTICATED must be true or false'],
    [{ BALLOT_SECRET: 'secret' }, 'BALLOT_SECRET must be at least 32 characters'],
    [{ BALLOT_SECRET: 'x'.repeat(31) }, 'openssl rand -hex 32'],
  ])('rejects %o', (env, message) => {
    expect(problems(env).join('\n')).toContain(message);
  });

  it('lists every problem at once and never echoes a secret', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'x', SLACK_BOT_TOKEN: 'xoxb-secret-value', OPENAI_BASE_URL: 'nope' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.problems).toHaveLength(3);
    expect(error.message).not.toContain('xoxb-secret-value');
  });

  it('takes a BALLOT_SECRET of 32 characters or more, and leaves it unset when blank', () => {
    const secret = 'a'.repeat(64);
    expect(loadConfig({ BALLOT_SECRET: secret }).ballotSecret).toBe(secret);
    expect(loadConfig({ BALLOT_SECRET: '  ' }).ballotSecret).toBeUndefined();
    expect(loadConfig({}).ballotSecret).toBeUndefined();
    expect(problems({ BALLOT_SECRET: 'short-secret-value' }).join('\n')).not.toContain(
      'short-secret-value',
    );
  });

  it('maps the AI settings, and names each malformed one', () => {
    const config = loadConfig({
      OPENAI_API_KEY: 'sk-test',
      OPENAI_API_STYLE: 'chat',
      OPENAI_EMBEDDING_ENCODING: 'float',
      OPENAI_TIMEOUT_MS: '5000',
      OPENAI_MAX_RETRIES: '1',
      AI_DAILY_CALLS: '10',
      AI_DAILY_TOKENS: '5000',
    });
    expect(config.openai).toMatchObject({
      apiStyle: 'chat',
      embeddingEncoding: 'float',
      timeoutMs: 5000,
      maxRetries: 1,
      maxCallsPerDay: 10,
      maxTokensPerDay: 5000,
    });
    const error = (() => {
      try {
        loadConfig({
          OPENAI_API_KEY: 'sk-test',
          OPENAI_API_STYLE: 'graphql',
          AI_DAILY_CALLS: 'many',
        });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error?.message).toContain('OPENAI_API_STYLE must be responses or chat');
    expect(error?.message).toContain('AI_DAILY_CALLS must be a whole number');
  });
});
