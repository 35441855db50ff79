import type { Channel } from './channel.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Services } from './services.js';
import { createSlackChannel, type SlackChannelOptions } from './slack/slack.channel.js';

/** Per-channel overrides (tests turn client retries and reconnection off). */
export interface ChannelOptions {
  slack?: SlackChannelOptions;
}

/** The chat channels the configuration asks for. */
export function createChannels(
  config: Readonly<Config>,
  services: Services,
  logger: Logger,
  options: ChannelOptions = {},
): Channel[] {
  const channels: Channel[] = [];
  if (config.slack) {
    if (config.slack.mode === 'oauth')
      logger.warn(
        'Slack OAuth (many workspaces) is not built into this version yet: set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN',
      );
    else channels.push(createSlackChannel(config.slack, services, logger, options.slack));
  }
  if (config.teams)
    logger.warn(
      'Teams credentials are set, but the Teams channel is not built into this version yet',
    );
  return channels;
}
