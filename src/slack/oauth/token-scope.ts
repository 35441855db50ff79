import { AsyncLocalStorage } from 'node:async_hooks';
import { webApi, type AnyMiddlewareArgs, type Middleware } from '@slack/bolt';
import { answeringBounds, type AnsweringBounds, type AnsweringClientOptions } from '../gateway.js';

interface Scope {
  botToken?: string;
  botUserId?: string;
}

/**
 * The installation a request is served with, for everything the request's listeners do,
 * before and after the acknowledgement. In OAuth mode the answering client has no token of its
 * own: each call takes the token of the request it belongs to, so a listener written for one
 * workspace serves many without passing tokens around, and can never use another
 * installation's token.
 */
export class TokenScope {
  private readonly storage = new AsyncLocalStorage<Scope>();

  /** Bolt middleware (first in the chain): runs the rest of the request in its installation's scope. */
  readonly middleware: Middleware<AnyMiddlewareArgs> = ({ context, next }) =>
    this.storage.run(
      {
        ...(context.botToken ? { botToken: context.botToken } : {}),
        ...(context.botUserId ? { botUserId: context.botUserId } : {}),
      },
      next,
    );

  get botUserId(): string | undefined {
    return this.storage.getStore()?.botUserId;
  }

  /** The token of the request in scope, if any. */
  get botToken(): string | undefined {
    return this.storage.getStore()?.botToken;
  }
}

/**
 * The answering client of OAuth mode: bounded like `createAnsweringClient` (timeout, few quick
 * retries, capped concurrency and queue), with no token of its own. Each call takes the token
 * of the request in scope when it is made, before it waits in the limiter's queue: jobs of a
 * shared queue run in whichever request's async context drains it, so reading the scope any
 * later could hand one workspace's call another workspace's token. A call outside any request
 * is refused instead of going out unauthenticated.
 */
export function createScopedAnsweringClient(
  scope: TokenScope,
  base: webApi.WebClientOptions,
  options: AnsweringClientOptions = {},
): webApi.WebClient {
  const { clientOptions, schedule } = answeringBounds(base, options);
  return new ScopedWebClient(scope, clientOptions, schedule);
}

// NOTE: the Web API client binds its method shortcuts (`chat.postMessage`…) to `apiCall` when
// it is constructed, so the token goes in by overriding apiCall in a subclass.
class ScopedWebClient extends webApi.WebClient {
  constructor(
    private readonly scope: TokenScope,
    options: webApi.WebClientOptions,
    private readonly bounded: AnsweringBounds['schedule'],
  ) {
    super(undefined, options);
  }

  override apiCall(
    method: string,
    options?: Record<string, unknown>,
  ): Promise<webApi.WebAPICallResult> {
    const token = (options?.token as string | undefined) ?? this.scope.botToken;
    if (!token)
      return Promise.reject(
        new Error(`Slack call ${method} outside a request of an installed workspace`),
      );
    return this.bounded(method, () => super.apiCall(method, { ...options, token }));
  }
}
