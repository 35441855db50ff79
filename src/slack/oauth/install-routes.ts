import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger as SlackLogger } from '@slack/bolt';
import {
  ErrorCode,
  InstallProvider,
  type CodedError,
  type Installation,
  type OrgInstallation,
} from '@slack/oauth';
import type { Logger } from '../../logger.js';
import { slackHomeUrl, welcomeView } from '../../views/welcome.view.js';
import type { InstallationChatGateway } from './installation-chat-gateway.js';
import type { Installations } from './installations.js';

export const INSTALL_PATH = '/slack/install';
export const REDIRECT_PATH = '/slack/oauth_redirect';

/** The bot scopes Pebblebot asks for; manifests/slack/manifest.json lists the same (tested). */
export const BOT_SCOPES = [
  'app_mentions:read',
  'channels:history',
  'channels:join',
  'channels:read',
  'chat:write',
  'commands',
  'groups:history',
  'groups:read',
  'reactions:read',
  'users:read',
  'usergroups:read',
  'files:write',
  'im:write',
  'im:history',
] as const;

/** Refusals of the redirect that are the browser's or the link's fault, not the server's. */
const REFUSED: ReadonlySet<string> = new Set([
  ErrorCode.MissingStateError,
  ErrorCode.InvalidStateError,
  ErrorCode.MissingCodeError,
  ErrorCode.AuthorizationError,
]);

export interface InstallRoutesOptions {
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  installations: Installations;
  chat: InstallationChatGateway;
  /** The slash command named in the welcome message. */
  command: string;
  logger: Logger;
  boltLogger: SlackLogger;
  slackApiUrl?: string;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  );
}

/**
 * `/slack/install` and `/slack/oauth_redirect` through Bolt's InstallProvider. The state is
 * signed with SLACK_STATE_SECRET and tied to the installing browser by InstallProvider's state
 * cookie: a redirect without a state, with a forged one, or from another browser is refused
 * before `oauth.v2.access` is called. A completed install is stored sealed, and the installer
 * gets the welcome message pointing to App Home.
 */
export function createInstallRoutes(options: InstallRoutesOptions) {
  const { installations, chat, logger } = options;
  const provider = new InstallProvider({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    stateSecret: options.stateSecret,
    installationStore: installations,
    installUrlOptions: { scopes: [...BOT_SCOPES] },
    // Straight to Slack's consent screen, with the state cookie set on the way.
    directInstall: true,
    logger: options.boltLogger,
    clientOptions: {
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
      retryConfig: { retries: 0 },
    },
  });

  const welcome = async (installation: Installation | OrgInstallation) => {
    const token = installation.bot?.token;
    if (!token || !installation.user.id) return;
    const where = installation.isEnterpriseInstall
      ? `slack:${installation.enterprise?.id ?? ''}`
      : `slack:${installation.team?.id ?? ''}`;
    try {
      await chat.forToken(token).send(
        where,
        { kind: 'dm', userId: installation.user.id },
        welcomeView({
          installerId: installation.user.id,
          command: options.command,
          // An org-wide install has no one team to link to: the text says where to look.
          ...(installation.team?.id && installation.appId && !installation.isEnterpriseInstall
            ? { homeUrl: slackHomeUrl(installation.team.id, installation.appId) }
            : {}),
        }),
      );
    } catch (error) {
      logger.warn({ err: error }, 'welcome message to the installer not sent');
    }
  };

  const install = (req: IncomingMessage, res: ServerResponse) =>
    provider.handleInstallPath(req, res);

  const redirect = (req: IncomingMessage, res: ServerResponse) =>
    provider.handleCallback(req, res, {
      successAsync: async (installation, _options, _req, response) => {
        await welcome(installation);
        const team = installation.isEnterpriseInstall
          ? (installation.enterprise?.name ?? 'your organisation')
          : (installation.team?.name ?? 'your workspace');
        page(
          response,
          200,
          'Pebblebot is installed',
          `<p>Pebblebot is installed in ${escapeHtml(team)}. Open Slack: Pebblebot sent you a message, ` +
            'and its Home tab has the setup checklist.</p>',
        );
      },
      failureAsync: (error: CodedError, _options, _req, response) => {
        const refused = REFUSED.has(error.code);
        logger.warn({ code: error.code }, 'Slack install not completed');
        page(
          response,
          refused ? 400 : 500,
          'Pebblebot was not installed',
          refused
            ? `<p>This install link has expired, was not started in this browser, or was cancelled. ` +
                `<a href="${INSTALL_PATH}">Start the install again</a> from the same browser.</p>`
            : '<p>Something went wrong while installing. Please try again in a minute.</p>',
        );
        return Promise.resolve();
      },
    });

  return { install, redirect };
}
