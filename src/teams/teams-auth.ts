import { ConfidentialClientApplication } from '@azure/msal-node';
import {
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
} from 'botbuilder';
import {
  MsalServiceClientCredentialsFactory,
  type ServiceClientCredentialsFactory,
} from 'botframework-connector';

/** How the bot authenticates with the Bot Framework (from MICROSOFT_APP_* and BOTFRAMEWORK_*). */
export interface TeamsConfig {
  /** MICROSOFT_APP_ID; without it the endpoint is off unless `allowUnauthenticated`. */
  appId?: string;
  /** MICROSOFT_APP_PASSWORD (client secret); not used with UserAssignedMSI. */
  appPassword?: string;
  /** MICROSOFT_APP_TENANT_ID; required for SingleTenant and UserAssignedMSI. */
  tenantId?: string;
  /** MICROSOFT_APP_TYPE. */
  appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
  /** TEAMS_ALLOW_UNAUTHENTICATED: only for the Bot Framework Emulator, only without an app id. */
  allowUnauthenticated: boolean;
  /** BOTFRAMEWORK_OPENID_METADATA_URL: the OpenID configuration whose keys sign incoming tokens. */
  openIdMetadataUrl?: string;
  /** BOTFRAMEWORK_TOKEN_ISSUER: the `iss` incoming tokens must carry. */
  tokenIssuer?: string;
  /** BOTFRAMEWORK_LOGIN_URL: the authority the bot gets its outgoing tokens from, used as given. */
  loginUrl?: string;
  /** BOTFRAMEWORK_OAUTH_SCOPE: the audience of outgoing tokens (the channel service). */
  oauthScope?: string;
}

/** The public cloud's Bot Framework endpoints, used for every key the configuration leaves unset. */
export const PUBLIC_CLOUD = {
  loginUrl: 'https://login.microsoftonline.com/botframework.com',
  oauthScope: 'https://api.botframework.com',
  tokenIssuer: 'https://api.botframework.com',
  oauthApiUrl: 'https://api.botframework.com',
  openIdMetadataUrl: 'https://login.botframework.com/v1/.well-known/openidconfiguration',
  emulatorOpenIdMetadataUrl:
    'https://login.microsoftonline.com/botframework.com/v2.0/.well-known/openid-configuration',
  callerId: 'urn:botframework:azure',
} as const;

/** True when requests are authenticated (an app id is configured). */
export function authenticationEnabled(config: TeamsConfig): boolean {
  return Boolean(config.appId);
}

function credentialsFactory(config: TeamsConfig): ServiceClientCredentialsFactory {
  const appId = config.appId ?? '';
  // NOTE: botbuilder's default MSAL credentials refuse an authority other than
  // login.microsoftonline.com ("Endpoints cannot be resolved"); a sovereign cloud or a test
  // authority needs MSAL told that its host is known, and the URL used exactly as given.
  if (appId && config.loginUrl && config.appType !== 'UserAssignedMSI') {
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: appId,
        clientSecret: config.appPassword ?? '',
        authority: config.loginUrl,
        knownAuthorities: [new URL(config.loginUrl).host],
      },
    });
    // The ESM and CommonJS typings of msal-node are distinct types of the same class.
    type MsalApp = ConstructorParameters<typeof MsalServiceClientCredentialsFactory>[1];
    return new MsalServiceClientCredentialsFactory(appId, app as unknown as MsalApp);
  }
  return new ConfigurationServiceClientCredentialFactory({
    MicrosoftAppId: appId,
    MicrosoftAppPassword: config.appPassword ?? '',
    MicrosoftAppTenantId: config.tenantId ?? '',
    // Without an app id (emulator) there is nothing to be single-tenant about.
    MicrosoftAppType: appId ? config.appType : 'MultiTenant',
  });
}

/**
 * Bot Framework authentication with every endpoint key filled.
 * NOTE: once one endpoint key is given, botbuilder takes all of them as given: a key left
 * undefined (the token issuer, say) makes every request 401. Unset keys get the public cloud's.
 */
export function createBotFrameworkAuthentication(
  config: TeamsConfig,
): ConfigurationBotFrameworkAuthentication {
  return new ConfigurationBotFrameworkAuthentication(
    {
      MicrosoftAppId: config.appId ?? '',
      MicrosoftAppTenantId: config.tenantId ?? '',
      ValidateAuthority: true,
      ToChannelFromBotLoginUrl: config.loginUrl ?? PUBLIC_CLOUD.loginUrl,
      ToChannelFromBotOAuthScope: config.oauthScope ?? PUBLIC_CLOUD.oauthScope,
      ToBotFromChannelTokenIssuer: config.tokenIssuer ?? PUBLIC_CLOUD.tokenIssuer,
      OAuthUrl: PUBLIC_CLOUD.oauthApiUrl,
      ToBotFromChannelOpenIdMetadataUrl: config.openIdMetadataUrl ?? PUBLIC_CLOUD.openIdMetadataUrl,
      ToBotFromEmulatorOpenIdMetadataUrl: PUBLIC_CLOUD.emulatorOpenIdMetadataUrl,
      CallerId: PUBLIC_CLOUD.callerId,
    },
    credentialsFactory(config),
  );
}
