import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { chartTitle, type DigestChartRenderer } from '../core/digest/chart.port.js';
import type { Store } from '../core/ports/store.port.js';
import type { Route } from '../http/server.js';
import type { Logger } from '../logger.js';

export const CHART_IMAGE_PATH = '/teams/charts/';
/** How long a chart's address works: a digest card keeps its chart for a few weeks' reading. */
export const CHART_URL_TTL_MS = 30 * 86_400_000;
/** Charts drawn and kept in memory (a few per workspace per week are asked for, repeatedly). */
const DRAWN_LIMIT = 32;

const PayloadSchema = z.tuple([z.string().min(1).max(300), z.string().min(1).max(40), z.number()]);

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Where a digest's chart can be fetched (the Teams gateway puts it in the digest card). */
export interface ChartUrls {
  url(workspaceId: string, period: string): string;
}

export interface ChartImageHostOptions {
  /** PUBLIC_URL: where Teams reaches this server from the internet. */
  publicUrl: string;
  /** Keys the addresses (the bot's client secret, so every replica signs alike). */
  secret: string;
  store: Store;
  chart: DigestChartRenderer;
  logger: Logger;
  ttlMs?: number;
  now?: () => number;
}

/**
 * The digest chart as an image Teams can show inside the digest card.
 *
 * NOTE: an Adaptive Card Image must be fetched from an https address (a data: URL of the PNG
 * alone exceeds the 28 KB a card should stay under), and bots cannot upload images to a channel.
 * The address names the digest snapshot and an expiry, signed with a key derived from the bot's
 * secret: it cannot be guessed or altered, needs no storage, and any replica answers it by
 * drawing the chart again from the stored snapshot (kept drawn in memory for repeat fetches).
 */
export class ChartImageHost implements ChartUrls {
  private readonly key: Buffer;
  private readonly base: string;
  private readonly drawn = new Map<string, Promise<Buffer>>();

  constructor(private readonly options: ChartImageHostOptions) {
    this.key = Buffer.from(
      hkdfSync('sha256', options.secret, 'pebblebot', 'teams digest chart addresses', 32),
    );
    this.base = `${options.publicUrl.replace(/\/+$/, '')}${CHART_IMAGE_PATH}`;
  }

  url(workspaceId: string, period: string): string {
    const now = this.options.now?.() ?? Date.now();
    const expires = Math.floor((now + (this.options.ttlMs ?? CHART_URL_TTL_MS)) / 1000);
    const payload = b64(JSON.stringify([workspaceId, period, expires]));
    return `${this.base}${payload}.${this.sign(payload)}.png`;
  }

  readonly route: Route = {
    path: `${CHART_IMAGE_PATH}*`,
    handler: async (req, res) => {
      const refuse = (status: number, message: string) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(message);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(405, 'Use GET');
      const name = new URL(req.url ?? '/', 'http://localhost').pathname.slice(
        CHART_IMAGE_PATH.length,
      );
      const target = this.verify(name);
      if (!target) return refuse(404, 'No such chart');
      const snapshot = await this.options.store.digests.get(target.workspaceId, target.period);
      if (!snapshot) return refuse(404, 'No such chart');
      let png: Buffer;
      try {
        png = await this.draw(`${target.workspaceId}|${target.period}`, snapshot.metrics.history);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'digest chart could not be drawn for Teams');
        return refuse(503, 'The chart cannot be drawn just now');
      }
      res.writeHead(200, {
        'content-type': 'image/png',
        'content-length': png.length,
        // The snapshot never changes: the same address always shows the same chart.
        'cache-control': 'public, max-age=86400, immutable',
        'x-content-type-options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : png);
    },
  };

  private sign(payload: string): string {
    return b64(createHmac('sha256', this.key).update(payload).digest());
  }

  /** The snapshot an address names, if its signature holds and it has not expired. */
  private verify(name: string): { workspaceId: string; period: string } | undefined {
    const match = /^([A-Za-z0-9_-]{1,600})\.([A-Za-z0-9_-]{43})\.png$/.exec(name);
    if (!match) return undefined;
    const [, payload, signature] = match as unknown as [string, string, string];
    const expected = Buffer.from(this.sign(payload));
    if (!timingSafeEqual(expected, Buffer.from(signature))) return undefined;
    let parsed: z.infer<typeof PayloadSchema>;
    try {
      parsed = PayloadSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      return undefined;
    }
    const [workspaceId, period, expires] = parsed;
    const now = this.options.now?.() ?? Date.now();
    if (expires * 1000 < now) return undefined;
    return { workspaceId, period };
  }

  private draw(
    key: string,
    history: Parameters<DigestChartRenderer['frictionByStage']>[0],
  ): Promise<Buffer> {
    let png = this.drawn.get(key);
    if (!png) {
      png = this.options.chart.frictionByStage(history, chartTitle(history)).then((i) => i.data);
      // A failed drawing is not kept: the next fetch tries again.
      void png.catch(() => this.drawn.delete(key));
      if (this.drawn.size >= DRAWN_LIMIT) this.drawn.delete(this.drawn.keys().next().value!);
      this.drawn.set(key, png);
    }
    return png;
  }
}
