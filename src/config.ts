import { ConnectionString } from 'mongodb-connection-string-url';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The shortest BALLOT_SECRET accepted: 32 characters (`openssl rand -hex 32` gives 64), so the
 * key of a secret ballot cannot be guessed by trying secrets against a copy of the store.
 */
export const BALLOT_SECRET_MIN = 32;

const optional = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** A 256-bit key written as hex (`openssl rand -hex 32`). */
const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/** An empty variable counts as unset. */
const blankAsUnset = <T extends z.ZodType>(schema: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    schema.optional(),
  );

const url = (what: string) =>
  optional.refine((v) => v === undefined || URL.canParse(v), {
    message: `must be a full URL for ${what}`,
  });

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .optional()
  .refine((v) => v === undefined || ['', 'true', 'false', '1', '0', 'yes', 'no'].includes(v), {
    message: 'must be true or false',
  })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return 3000;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a whole number from 0 to 65535 (got "${v}")`,
      });
      return z.NEVER;
    }
    return n;
  });

const ENTRA_OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const prefixed = (prefix: string, what: string) =>
  optional.refine((v) => v === undefined || v.startsWith(prefix), {
    message: `must be ${what} (starts with ${prefix})`,
  });

/** The environment contract (see DESIGN.md). Names are fixed; deployments depend on them. */
const EnvSchema = z.object({
  PORT: port,
  HOST: optional.default('0.0.0.0'),
  PUBLIC_URL: url('where this server is reached from the internet').refine(
    (v) =>
      v === undefined ||
      v.startsWith('https://') ||
      /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(v),
    { message: 'must be an https:// URL (Teams fetches card images over https only)' },
  ),
  DATA_DIR: optional.default('./data'),
  MONGODB_URI: optional.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        new ConnectionString(v);
        return true;
      } catch {
        return false;
      }
    },
    {
      message:
        'must be a MongoDB connection string like mongodb://host:27017 or mongodb+srv://cluster.example.net',
    },
  ),
  MONGODB_DB: optional.default('pebblebot'),
  SLACK_SIGNING_SECRET: optional,
  SLACK_BOT_TOKEN: prefixed('xoxb-', 'a bot token'),
  SLACK_APP_TOKEN: prefixed('xapp-', 'an app-level token'),
  SLACK_CLIENT_ID: optional,
  SLACK_CLIENT_SECRET: optional,
  SLACK_STATE_SECRET: optional,
  PEBBLEBOT_ENCRYPTION_KEY: optional.refine((v) => v === undefined || HEX_KEY.test(v), {
    message: `must be 32 random bytes written as 64 hex characters (generate one with \`openssl rand -hex 32\`)`,
  }),
  PEBBLEBOT_ENCRYPTION_KEYS_OLD: optional.refine(
    (v) => v === undefined || v.split(',').every((k) => HEX_KEY.test(k.trim())),
    {
      message:
        'must be earlier PEBBLEBOT_ENCRYPTION_KEY values separated by commas, each 64 hex characters',
    },
  ),
  SLACK_API_URL: url('the Slack Web API').transform((v) => (v && !v.endsWith('/') ? `${v}/` : v)),
  MICROSOFT_APP_ID: optional,
  MICROSOFT_APP_PASSWORD: optional,
  MICROSOFT_APP_TENANT_ID: optional,
  MICROSOFT_APP_TYPE: blankAsUnset(
    z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI'], {
      error: 'must be MultiTenant, SingleTenant or UserAssignedMSI',
    }),
  ),
  TEAMS_ALLOW_UNAUTHENTICATED: bool,
  TEAMS_ADMIN_IDS: optional.transform((v, ctx) => {
    const ids = (v ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    const bad = ids.filter((id) => !ENTRA_OBJECT_ID.test(id));
    if (bad.length) {
      ctx.addIssue({
        code: 'custom',
        message: `must be Microsoft Entra object ids (GUIDs like 00000000-1111-2222-3333-444444444444) separated by commas; not ${bad.map((b) => `"${b.slice(0, 40)}"`).join(', ')}`,
      });
      return z.NEVER;
    }
    return ids;
  }),
  BOTFRAMEWORK_OPENID_METADATA_URL: url('the Bot Framework OpenID configuration'),
  BOTFRAMEWORK_TOKEN_ISSUER: optional,
  BOTFRAMEWORK_LOGIN_URL: url('the Bot Framework login authority').refine(
    (v) => v === undefined || v.startsWith('https://'),
    { message: 'must be an https:// URL (MSAL only accepts an https authority)' },
  ),
  BOTFRAMEWORK_OAUTH_SCOPE: optional,
  MICROSOFT_GRAPH_URL: url('Microsoft Graph (with its version, e.g. /v1.0)'),
  MICROSOFT_GRAPH_LOGIN_URL: url('the Microsoft Entra login host').refine(
    (v) => v === undefined || v.startsWith('https://'),
    { message: 'must be an https:// URL (MSAL only accepts an https authority)' },
  ),
  TEAMS_GRAPH_ROLES: optional.refine(
    (v) => v === undefined || ['true', 'false', '1', '0', 'yes', 'no'].includes(v.toLowerCase()),
    { message: 'must be true or false' },
  ),
  OPENAI_API_KEY: optional,
  OPENAI_BASE_URL: url('an OpenAI-compatible API'),
  OPENAI_MODEL: optional.default('gpt-4o-mini'),
  OPENAI_EMBEDDING_MODEL: optional.default('text-embedding-3-small'),
  OPENAI_API_STYLE: blankAsUnset(
    z.enum(['responses', 'chat'], { error: 'must be responses or chat' }),
  ),
  OPENAI_EMBEDDING_ENCODING: blankAsUnset(
    z.enum(['base64', 'float'], { error: 'must be base64 or float' }),
  ),
  OPENAI_TIMEOUT_MS: blankAsUnset(
    z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(1_000).max(120_000),
  ),
  OPENAI_MAX_RETRIES: blankAsUnset(
    z.coerce.number({ error: 'must be a whole number' }).int().min(0).max(5),
  ),
  AI_DAILY_CALLS: blankAsUnset(
    z.coerce.number({ error: 'must be a whole number' }).int().positive(),
  ),
  AI_DAILY_TOKENS: blankAsUnset(
    z.coerce.number({ error: 'must be a whole number' }).int().positive(),
  ),
  BALLOT_SECRET: optional.refine((v) => v === undefined || v.length >= BALLOT_SECRET_MIN, {
    message: `must be at least ${BALLOT_SECRET_MIN} characters of random data (generate one with \`openssl rand -hex 32\`)`,
  }),
  LOG_LEVEL: blankAsUnset(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })),
});

/**
 * Channels whose variables are in the environment contract but whose code is not in this version.
 * Setting one stops start-up: running without the channel behind a green /readyz would look like
 * it works. A channel's entry goes when the channel lands (its rules below then apply).
 */
const NOT_IN_THIS_VERSION: Record<string, { feature: string; variables: readonly string[] }> = {};

/** Set means a value that asks for the feature: blank, or a switch left at false, does not. */
const asksFor = (name: string, value: unknown) =>
  typeof value === 'string' &&
  value.trim() !== '' &&
  !(
    name === 'TEAMS_ALLOW_UNAUTHENTICATED' &&
    !['true', '1', 'yes'].includes(value.trim().toLowerCase())
  );

/** One problem per unbuilt channel, naming every variable of it that is set. */
const UnbuiltChannels = z.looseObject({}).superRefine((env, ctx) => {
  for (const { feature, variables } of Object.values(NOT_IN_THIS_VERSION)) {
    const set = variables.filter((name) => asksFor(name, env[name]));
    if (!set.length) continue;
    const them = set.length === 1 ? 'it' : 'them';
    ctx.addIssue({
      code: 'custom',
      path: [set.join(', ')],
      message: `${set.length === 1 ? 'is' : 'are'} set, but ${feature} is not available in this version of Pebblebot: unset ${them} to start (Slack over HTTP or Socket Mode, and the console, work without ${them})`,
    });
  }
});

/**
 * Rules between variables. They read the raw values (present or not), so they are reported
 * together with any malformed value instead of after it is fixed.
 */
function crossFieldProblems(raw: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const env = Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, v?.trim() ? v.trim() : undefined]),
  ) as Record<string, string | undefined>;
  const problem = (path: string, message: string) => problems.push(`${path} ${message}`);
  const oauth = [env.SLACK_CLIENT_ID, env.SLACK_CLIENT_SECRET, env.SLACK_STATE_SECRET];
  const oauthSome = oauth.some(Boolean);
  if (oauthSome && !oauth.every(Boolean)) {
    for (const [name, v] of [
      ['SLACK_CLIENT_ID', env.SLACK_CLIENT_ID],
      ['SLACK_CLIENT_SECRET', env.SLACK_CLIENT_SECRET],
      ['SLACK_STATE_SECRET', env.SLACK_STATE_SECRET],
    ] as const) {
      if (!v)
        problem(
          name,
          'is required for Slack OAuth (set all three of SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET)',
        );
    }
  }
  if (oauthSome && !env.SLACK_SIGNING_SECRET) {
    problem('SLACK_SIGNING_SECRET', 'is required with Slack OAuth to verify requests from Slack');
  }
  if (oauthSome && !env.PEBBLEBOT_ENCRYPTION_KEY) {
    problem(
      'PEBBLEBOT_ENCRYPTION_KEY',
      "is required with Slack OAuth: it encrypts the installations' bot tokens at rest (generate one with `openssl rand -hex 32`)",
    );
  }
  if (oauthSome && env.SLACK_APP_TOKEN) {
    problem(
      'SLACK_APP_TOKEN',
      'cannot be combined with Slack OAuth: installations are served over HTTP at /slack/events',
    );
  }
  if (!oauthSome && (env.PEBBLEBOT_ENCRYPTION_KEY || env.PEBBLEBOT_ENCRYPTION_KEYS_OLD)) {
    problem(
      env.PEBBLEBOT_ENCRYPTION_KEY ? 'PEBBLEBOT_ENCRYPTION_KEY' : 'PEBBLEBOT_ENCRYPTION_KEYS_OLD',
      'is only used with Slack OAuth (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET): set those too, or unset it',
    );
  }
  if (env.PEBBLEBOT_ENCRYPTION_KEYS_OLD && !env.PEBBLEBOT_ENCRYPTION_KEY) {
    problem(
      'PEBBLEBOT_ENCRYPTION_KEY',
      'is required when PEBBLEBOT_ENCRYPTION_KEYS_OLD is set (the old keys only decrypt; new tokens need the current key)',
    );
  }
  if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    problem(
      'SLACK_BOT_TOKEN',
      'needs SLACK_SIGNING_SECRET (Slack over HTTP) or SLACK_APP_TOKEN (Socket Mode) beside it',
    );
  }
  if (!env.SLACK_BOT_TOKEN && !oauthSome && (env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN)) {
    problem(
      env.SLACK_APP_TOKEN ? 'SLACK_APP_TOKEN' : 'SLACK_SIGNING_SECRET',
      'is set but SLACK_BOT_TOKEN is missing: add the bot token (xoxb-…) from your Slack app',
    );
  }
  if (oauthSome && env.SLACK_BOT_TOKEN) {
    problem(
      'SLACK_BOT_TOKEN',
      'cannot be combined with Slack OAuth: installations bring their own tokens',
    );
  }
  if (
    env.MICROSOFT_APP_ID &&
    !env.MICROSOFT_APP_PASSWORD &&
    env.MICROSOFT_APP_TYPE !== 'UserAssignedMSI'
  ) {
    problem(
      'MICROSOFT_APP_PASSWORD',
      `is required with MICROSOFT_APP_ID for a ${env.MICROSOFT_APP_TYPE ?? 'MultiTenant'} bot (the client secret of the Azure Bot's app registration)`,
    );
  }
  if (env.MICROSOFT_APP_TYPE && !env.MICROSOFT_APP_ID) {
    problem('MICROSOFT_APP_ID', 'is required when MICROSOFT_APP_TYPE is set');
  }
  if (!env.MICROSOFT_APP_ID && (env.MICROSOFT_APP_PASSWORD || env.MICROSOFT_APP_TENANT_ID)) {
    problem(
      'MICROSOFT_APP_ID',
      'is required when MICROSOFT_APP_PASSWORD or MICROSOFT_APP_TENANT_ID is set',
    );
  }
  if (
    (env.MICROSOFT_APP_TYPE === 'SingleTenant' || env.MICROSOFT_APP_TYPE === 'UserAssignedMSI') &&
    !env.MICROSOFT_APP_TENANT_ID
  ) {
    problem(
      'MICROSOFT_APP_TENANT_ID',
      `is required when MICROSOFT_APP_TYPE is ${env.MICROSOFT_APP_TYPE} (the directory the bot's app registration lives in)`,
    );
  }
  const endpoints = [
    'BOTFRAMEWORK_OPENID_METADATA_URL',
    'BOTFRAMEWORK_TOKEN_ISSUER',
    'BOTFRAMEWORK_LOGIN_URL',
    'BOTFRAMEWORK_OAUTH_SCOPE',
    'TEAMS_ADMIN_IDS',
    'MICROSOFT_GRAPH_URL',
    'MICROSOFT_GRAPH_LOGIN_URL',
  ].filter((name) => env[name]);
  const teamsAsked =
    env.MICROSOFT_APP_ID ||
    ['true', '1', 'yes'].includes(env.TEAMS_ALLOW_UNAUTHENTICATED?.toLowerCase() ?? '');
  if (endpoints.length && !teamsAsked) {
    problem(
      endpoints.join(', '),
      `${endpoints.length === 1 ? 'is' : 'are'} set without MICROSOFT_APP_ID: Teams is off, so ${endpoints.length === 1 ? 'it does' : 'they do'} nothing (set MICROSOFT_APP_ID, or unset ${endpoints.length === 1 ? 'it' : 'them'})`,
    );
  }
  if (
    ['true', '1', 'yes'].includes(env.TEAMS_ALLOW_UNAUTHENTICATED?.toLowerCase() ?? '') &&
    env.MICROSOFT_APP_ID
  ) {
    problem(
      'TEAMS_ALLOW_UNAUTHENTICATED',
      'must not be true when MICROSOFT_APP_ID is set (it turns authentication off)',
    );
  }
  return problems;
}

export type SlackMode = 'http' | 'socket' | 'oauth';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** PUBLIC_URL: where this server is reached from the internet (Teams fetches chart images). */
  publicUrl?: string;
  mongodb?: { uri: string; dbName: string };
  slack?: {
    mode: SlackMode;
    signingSecret?: string;
    botToken?: string;
    appToken?: string;
    clientId?: string;
    clientSecret?: string;
    stateSecret?: string;
    /** Encrypts installations' tokens at rest (OAuth mode): the current key and older ones. */
    encryption?: { key: string; oldKeys: string[] };
    apiUrl?: string;
  };
  teams?: {
    appId?: string;
    appPassword?: string;
    tenantId?: string;
    appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
    allowUnauthenticated: boolean;
    openIdMetadataUrl?: string;
    tokenIssuer?: string;
    loginUrl?: string;
    oauthScope?: string;
    /** TEAMS_ADMIN_IDS: Entra object ids of people who administer Pebblebot in their tenant. */
    adminObjectIds?: string[];
    /**
     * Microsoft Graph, where Teams admins and team owners are read (MICROSOFT_GRAPH_URL,
     * MICROSOFT_GRAPH_LOGIN_URL; public cloud by default). Absent without a client secret or
     * with TEAMS_GRAPH_ROLES=false.
     */
    graph?: { baseUrl: string; loginUrl: string };
  };
  openai?: {
    apiKey: string;
    baseUrl?: string;
    model: string;
    embeddingModel: string;
    apiStyle?: 'responses' | 'chat';
    embeddingEncoding?: 'base64' | 'float';
    timeoutMs?: number;
    maxRetries?: number;
    maxCallsPerDay?: number;
    maxTokensPerDay?: number;
  };
  logLevel: (typeof LOG_LEVELS)[number];
  /** BALLOT_SECRET: keys secret council ballots with a secret that is not in the store. */
  ballotSecret?: string;
  /** No chat platform is configured: run the local console channel. */
  console: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(
      `Pebblebot cannot start: ${problems.length} configuration problem${problems.length === 1 ? '' : 's'}.\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nFix these variables (in the environment or in .env, see .env.example) and start again.',
    );
  }
}

const drop = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * Parses the environment once. Every problem is reported together, naming the variable; the
 * result is frozen and injected (nothing else reads process.env).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const issues = (error: z.ZodError | undefined) =>
    (error?.issues ?? []).map((i) => `${i.path.join('.') || 'environment'} ${i.message}`);
  const unbuilt = UnbuiltChannels.safeParse(env);
  const parsed = EnvSchema.safeParse(env);
  const problems = [...issues(unbuilt.error), ...issues(parsed.error), ...crossFieldProblems(env)];
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  const slackMode: SlackMode | undefined = e.SLACK_CLIENT_ID
    ? 'oauth'
    : e.SLACK_BOT_TOKEN
      ? e.SLACK_APP_TOKEN
        ? 'socket'
        : 'http'
      : undefined;
  const teamsOn = Boolean(e.MICROSOFT_APP_ID) || e.TEAMS_ALLOW_UNAUTHENTICATED;
  const consoleMode = !slackMode && !teamsOn;
  const config: Config = {
    port: e.PORT,
    // The console is one person trying the bot on their own machine: its HTTP server (health
    // probes only) stays on loopback whatever HOST says, so a trial never opens a port to the network.
    host: consoleMode ? '127.0.0.1' : e.HOST,
    dataDir: e.DATA_DIR,
    ...(e.PUBLIC_URL ? { publicUrl: e.PUBLIC_URL.replace(/\/+$/, '') } : {}),
    ...(e.MONGODB_URI ? { mongodb: { uri: e.MONGODB_URI, dbName: e.MONGODB_DB } } : {}),
    ...(slackMode
      ? {
          slack: drop({
            mode: slackMode,
            signingSecret: e.SLACK_SIGNING_SECRET,
            botToken: e.SLACK_BOT_TOKEN,
            appToken: e.SLACK_APP_TOKEN,
            clientId: e.SLACK_CLIENT_ID,
            clientSecret: e.SLACK_CLIENT_SECRET,
            stateSecret: e.SLACK_STATE_SECRET,
            encryption: e.PEBBLEBOT_ENCRYPTION_KEY
              ? {
                  key: e.PEBBLEBOT_ENCRYPTION_KEY.toLowerCase(),
                  oldKeys: (e.PEBBLEBOT_ENCRYPTION_KEYS_OLD ?? '')
                    .split(',')
                    .map((k) => k.trim().toLowerCase())
                    .filter(Boolean),
                }
              : undefined,
            apiUrl: e.SLACK_API_URL,
          }),
        }
      : {}),
    ...(teamsOn
      ? {
          teams: drop({
            appId: e.MICROSOFT_APP_ID,
            appPassword: e.MICROSOFT_APP_PASSWORD,
            tenantId: e.MICROSOFT_APP_TENANT_ID,
            appType: e.MICROSOFT_APP_TYPE ?? 'MultiTenant',
            allowUnauthenticated: e.TEAMS_ALLOW_UNAUTHENTICATED,
            openIdMetadataUrl: e.BOTFRAMEWORK_OPENID_METADATA_URL,
            tokenIssuer: e.BOTFRAMEWORK_TOKEN_ISSUER,
            loginUrl: e.BOTFRAMEWORK_LOGIN_URL,
            oauthScope: e.BOTFRAMEWORK_OAUTH_SCOPE,
            adminObjectIds: e.TEAMS_ADMIN_IDS?.length ? e.TEAMS_ADMIN_IDS : undefined,
            // Graph needs the bot's own client secret (app-only token); a managed identity
            // bot reads no roles and relies on TEAMS_ADMIN_IDS and the settings' admins.
            graph:
              e.MICROSOFT_APP_ID &&
              e.MICROSOFT_APP_PASSWORD &&
              !['false', '0', 'no'].includes(e.TEAMS_GRAPH_ROLES?.toLowerCase() ?? '')
                ? {
                    baseUrl: e.MICROSOFT_GRAPH_URL ?? 'https://graph.microsoft.com/v1.0',
                    loginUrl: e.MICROSOFT_GRAPH_LOGIN_URL ?? 'https://login.microsoftonline.com',
                  }
                : undefined,
          }),
        }
      : {}),
    ...(e.OPENAI_API_KEY
      ? {
          openai: drop({
            apiKey: e.OPENAI_API_KEY,
            baseUrl: e.OPENAI_BASE_URL,
            model: e.OPENAI_MODEL,
            embeddingModel: e.OPENAI_EMBEDDING_MODEL,
            apiStyle: e.OPENAI_API_STYLE,
            embeddingEncoding: e.OPENAI_EMBEDDING_ENCODING,
            timeoutMs: e.OPENAI_TIMEOUT_MS,
            maxRetries: e.OPENAI_MAX_RETRIES,
            maxCallsPerDay: e.AI_DAILY_CALLS,
            maxTokensPerDay: e.AI_DAILY_TOKENS,
          }),
        }
      : {}),
    // The console channel shares the terminal with its user: only warnings unless asked.
    logLevel: e.LOG_LEVEL ?? (consoleMode ? 'warn' : 'info'),
    ...(e.BALLOT_SECRET ? { ballotSecret: e.BALLOT_SECRET } : {}),
    console: consoleMode,
  };
  return Object.freeze(config);
}
