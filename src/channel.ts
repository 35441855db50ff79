import type { ChatGateway } from './core/shared/chat-gateway.port.js';
import type { Route } from './http/server.js';

/** A chat front door (Slack, Teams): routes on the shared HTTP server and a life cycle. */
export interface Channel {
  readonly name: string;
  readonly routes: Route[];
  /** The platform's ChatGateway for proactive messages (the outbox delivers through it). */
  readonly chat?: ChatGateway;
  /** Connects outward where needed (Socket Mode); HTTP channels only mount routes. */
  start(): Promise<void>;
  stop(): Promise<void>;
}
