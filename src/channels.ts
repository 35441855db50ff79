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
  // loadConfig refuses these variables; a Config built another way must not start half a bot.
  if (config.teams)
    throw new Error('Microsoft Teams is not available in this version of Pebblebot');
  const channels: Channel[] = [];
  if (config.slack)
    channels.push(createSlackChannel(config.slack, services, logger, options.slack));
  return channels;
}
