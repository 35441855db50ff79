import type { IncomingMessage, ServerResponse } from 'node:http';
import Bottleneck from 'bottleneck';
import { z } from 'zod';
import { voteShortId, type Vote } from '../../core/council/council.model.js';
import type { ApiToken } from '../../core/governance/governance.model.js';
import {
  ImprovementStatusSchema,
  improvementShortId,
  promiseLedger,
  type Improvement,
} from '../../core/improvements/improvement.model.js';
import { PebbleStatusSchema, shortId, type Pebble } from '../../core/pebbles/pebble.model.js';
import type { Logger } from '../../logger.js';
import type { Services } from '../../services.js';
import type { Route } from '../server.js';

import openapiDocument from './openapi.json' with { type: 'json' };

/** The OpenAPI 3.1 description of this API, kept beside it and served as is. */
export const OPENAPI = openapiDocument;

/** `/metrics?period=` values, as the OpenAPI file lists them, in days. */
export const METRIC_PERIODS = { '7d': 7, '30d': 30, '90d': 90, '365d': 365 } as const;

export interface ApiOptions {
  services: Services;
  logger: Logger;
  /** Requests each token may make per window (default 120 a minute). */
  rateLimit?: { requests: number; windowMs: number };
}

const LIMIT_RULE = 'a whole number from 1 to 200.';
// The rule in words: zod's own ("expected number, received NaN") tells a BI developer nothing.
const Limit = z.coerce
  .number({ message: LIMIT_RULE })
  .int(LIMIT_RULE)
  .min(1, LIMIT_RULE)
  .max(200, LIMIT_RULE)
  .default(50);
const Cursor = z
  .string()
  .max(200)
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return 0;
    const parsed = z
      .object({ o: z.number().int().min(0).max(10_000_000) })
      .safeParse(safeJson(Buffer.from(value, 'base64url').toString('utf8')));
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor this API returned' });
      return z.NEVER;
    }
    return parsed.data.o;
  });
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-01-31')
  // Date.parse rolls 2026-02-30 over to March; a real date reads back the same.
  .refine(isRealDay, 'not a real date')
  .transform((d) => new Date(`${d}T00:00:00Z`));
const list = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()))
    .pipe(z.array(item).min(1));
const Common = { limit: Limit, cursor: Cursor, workspace: z.string().max(200).optional() };

const PebblesQuery = z.strictObject({
  ...Common,
  status: list(PebbleStatusSchema).optional(),
  from: Day.optional(),
  to: Day.optional(),
});
const ImprovementsQuery = z.strictObject({
  ...Common,
  status: list(ImprovementStatusSchema).optional(),
});
const DecisionsQuery = z.strictObject(Common);
const MetricsQuery = z.strictObject({
  period: z.enum(Object.keys(METRIC_PERIODS) as [keyof typeof METRIC_PERIODS]),
  workspace: Common.workspace,
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const cursorAt = (offset: number) =>
  Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

const problem = (
  res: ServerResponse,
  status: number,
  error: string,
  message: string,
  headers?: Record<string, string>,
) => send(res, status, { error, message }, headers);

function pebbleJson(p: Pebble) {
  return {
    id: shortId(p.number),
    number: p.number,
    title: p.title,
    description: p.description,
    status: p.status,
    stakeholder: p.stakeholder,
    journey: p.journey ?? null,
    stage: p.stage ?? null,
    severity: p.severity ?? null,
    segment: p.segment ?? null,
    // The identity of an anonymous reporter is never shown anywhere but to the reporter.
    reporter: p.anonymous ? null : { name: p.reporter.name ?? null, team: p.reporter.team ?? null },
    supporters: p.supporterCount,
    duplicateOf: p.duplicateOf ? shortId(p.duplicateOf) : null,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

function improvementJson(i: Improvement) {
  return {
    id: improvementShortId(i.number),
    number: i.number,
    title: i.title,
    status: i.status,
    owner: i.ownerId ? { name: i.ownerName ?? null } : null,
    pebbles: i.pebbleNumbers.map(shortId),
    vote: i.voteNumber ? voteShortId(i.voteNumber) : null,
    promisedDate: i.promisedDate ?? null,
    promises: promiseLedger(i).map((p) => ({
      promisedDate: p.promisedDate,
      outcome: p.outcome,
      madeAt: p.madeAt.toISOString(),
      closedAt: p.closedAt?.toISOString() ?? null,
    })),
    createdAt: i.createdAt.toISOString(),
    doneAt: i.doneAt?.toISOString() ?? null,
  };
}

/** A decision with its tally; never who chose what (secret ballots cannot be linked at all). */
function decisionJson(v: Vote) {
  return {
    id: voteShortId(v.number),
    number: v.number,
    pebbles: v.pebbleNumbers.map(shortId),
    status: v.status,
    openedAt: v.openedAt.toISOString(),
    closedAt: v.closedAt?.toISOString() ?? null,
    outcome: v.result?.outcome ?? null,
    tally: v.result?.tally ?? null,
    decision: v.decision
      ? {
          option: v.decision.option,
          by: v.decision.by,
          at: v.decision.at.toISOString(),
          reason: v.decision.reason ?? null,
        }
      : null,
    secretBallots: v.rules.secret,
    improvement: v.improvementNumber ? improvementShortId(v.improvementNumber) : null,
  };
}

/**
 * The read-only API for BI tools: `/api/v1/pebbles`, `/improvements`, `/decisions`, `/metrics`,
 * and its OpenAPI file. A bearer token belongs to one workspace and reads only that one.
 */
export function apiRoutes(options: ApiOptions): Route[] {
  const { services, logger } = options;
  const rate = options.rateLimit ?? { requests: 120, windowMs: 60_000 };
  const openapi = Buffer.from(JSON.stringify(openapiDocument));
  // One limiter per token: a full reservoir answers at once; an empty one drops (-> 429).
  const limiters = new Map<string, Bottleneck>();
  const limiterOf = (token: ApiToken) => {
    let limiter = limiters.get(token.id);
    if (!limiter) {
      limiter = new Bottleneck({
        reservoir: rate.requests,
        reservoirRefreshAmount: rate.requests,
        reservoirRefreshInterval: rate.windowMs,
        highWater: 0,
        strategy: Bottleneck.strategy.OVERFLOW,
      });
      limiters.set(token.id, limiter);
    }
    return limiter;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return problem(res, 405, 'method_not_allowed', 'The API is read only: use GET.', {
        allow: 'GET',
      });
    if (path === '/api/v1/openapi.json') {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': openapi.length,
      });
      return void res.end(openapi);
    }
    const bearer = /^Bearer\s+(\S{20,512})$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer)
      return problem(
        res,
        401,
        'unauthorized',
        'Send a read-API token as `Authorization: Bearer <token>`.',
        {
          'www-authenticate': 'Bearer realm="pebblebot"',
        },
      );
    const token = await services.governance.authenticate(bearer);
    if (!token)
      return problem(res, 401, 'unauthorized', 'This token is unknown or revoked.', {
        'www-authenticate': 'Bearer realm="pebblebot", error="invalid_token"',
      });
    const query = Object.fromEntries(url.searchParams);
    if (query.workspace !== undefined && query.workspace !== token.workspaceId)
      return problem(res, 403, 'forbidden', 'This token reads only its own workspace.');
    try {
      await limiterOf(token).schedule(() => Promise.resolve());
    } catch {
      return problem(
        res,
        429,
        'rate_limited',
        `At most ${rate.requests} requests per token every ${rate.windowMs / 1000} s.`,
        {
          'retry-after': String(Math.ceil(rate.windowMs / 1000)),
        },
      );
    }
    const bad = (error: z.ZodError) =>
      problem(
        res,
        400,
        'bad_request',
        error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '),
      );
    const g = services.governance;
    const ws = token.workspaceId;
    const paged = <T>(items: T[], total: number, offset: number) => ({
      data: items,
      total,
      nextCursor: offset + items.length < total ? cursorAt(offset + items.length) : null,
    });
    switch (path) {
      case '/api/v1/pebbles': {
        const q = PebblesQuery.safeParse(query);
        if (!q.success) return bad(q.error);
        // The store's end is exclusive: the next day's start includes the whole of `to`.
        const to = q.data.to ? new Date(q.data.to.getTime() + 86_400_000) : undefined;
        const page = await g.readPebbles(ws, {
          limit: q.data.limit,
          offset: q.data.cursor,
          ...(q.data.status ? { status: q.data.status } : {}),
          ...(q.data.from ? { from: q.data.from } : {}),
          ...(to ? { to } : {}),
        });
        return send(res, 200, paged(page.items.map(pebbleJson), page.total, q.data.cursor));
      }
      case '/api/v1/improvements': {
        const q = ImprovementsQuery.safeParse(query);
        if (!q.success) return bad(q.error);
        const page = await g.readImprovements(ws, {
          limit: q.data.limit,
          offset: q.data.cursor,
          ...(q.data.status ? { status: q.data.status } : {}),
        });
        return send(res, 200, paged(page.items.map(improvementJson), page.total, q.data.cursor));
      }
      case '/api/v1/decisions': {
        const q = DecisionsQuery.safeParse(query);
        if (!q.success) return bad(q.error);
        const page = await g.readDecisions(ws, { limit: q.data.limit, offset: q.data.cursor });
        return send(res, 200, paged(page.items.map(decisionJson), page.total, q.data.cursor));
      }
      case '/api/v1/metrics': {
        const q = MetricsQuery.safeParse(query);
        if (!q.success) return bad(q.error);
        return send(res, 200, {
          period: q.data.period,
          ...(await g.metrics(ws, METRIC_PERIODS[q.data.period])),
        });
      }
    }
    logger.debug({ path }, 'unknown API path');
    return problem(res, 404, 'not_found', `No API resource at ${path}.`);
  };
  return [{ path: '/api/v1/*', handler }];
}

function isRealDay(day: string): boolean {
  const at = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().startsWith(day);
}
