import type { Channel } from './channel.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Services } from './services.js';
import { createSlackChannel, type SlackChannelOptions } from './slack/slack.channel.js';
import type { TeamsChatGatewayOptions } from './teams/chat-gateway.js';
import { createTeamsChannel } from './teams/teams.channel.js';

/** Per-channel overrides (tests turn client retries and reconnection off). */
export interface ChannelOptions {
  slack?: SlackChannelOptions;
  teams?: { gateway?: TeamsChatGatewayOptions };
}

/** The chat channels the configuration asks for. */
export function createChannels(
  config: Readonly<Config>,
  services: Services,
  logger: Logger,
  options: ChannelOptions = {},
): Channel[] {
  const channels: Channel[] = [];
  if (config.slack)
    channels.push(createSlackChannel(config.slack, services, logger, options.slack));
  if (config.teams) {
    const { adminObjectIds, graph, ...teams } = config.teams;
    channels.push(
      createTeamsChannel(teams, {
        store: services.store,
        logger,
        services,
        ...(adminObjectIds ? { adminObjectIds } : {}),
        ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
        ...(graph && teams.appId && teams.appPassword
          ? { graph: { ...graph, appId: teams.appId, appPassword: teams.appPassword } }
          : {}),
        ...(options.teams?.gateway ? { gateway: options.teams.gateway } : {}),
      }),
    );
  }
  return channels;
}
