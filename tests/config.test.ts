import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

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
      host: '0.0.0.0',
      dataDir: './data',
      console: true,
      logLevel: 'warn',
    });
    expect(config.mongodb).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('chooses Slack over HTTP, Socket Mode or OAuth from the variables present', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack?.mode).toBe(
      'http',
    );
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack?.mode).toBe(
      'socket',
    );
    const oauth = loadConfig({
      SLACK_CLIENT_ID: 'c',
      SLACK_CLIENT_SECRET: 's',
      SLACK_STATE_SECRET: 't',
      SLACK_SIGNING_SECRET: 'x',
    });
    expect(oauth.slack?.mode).toBe('oauth');
    expect(oauth.console).toBe(false);
    expect(oauth.logLevel).toBe('info');
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
    [
      { SLACK_CLIENT_ID: 'c', SLACK_SIGNING_SECRET: 's' },
      'SLACK_CLIENT_SECRET is required for Slack OAuth',
    ],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI must be a MongoDB connection string'],
    [{ PORT: '70000' }, 'PORT must be a whole number from 0 to 65535'],
    [{ SLACK_API_URL: 'not a url' }, 'SLACK_API_URL must be a full URL'],
    [{ MICROSOFT_APP_ID: 'id' }, 'MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID'],
    [
      { MICROSOFT_APP_ID: 'id', MICROSOFT_APP_PASSWORD: 'p', MICROSOFT_APP_TYPE: 'SingleTenant' },
      'MICROSOFT_APP_TENANT_ID is required',
    ],
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
});
