import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { ChartImageHost } from '../../src/teams/chart-images.js';
import { CARD_BYTE_LIMIT } from '../../src/teams/render-card.js';
import { APP_PASSWORD, type ConnectorCall } from './harness.js';
import { CHANNELS, TeamsDriver, WORKSPACE_ID } from './teams.driver.js';

let t: TeamsDriver;

beforeAll(async () => {
  t = await TeamsDriver.start({ publicUrl: true });
  await t.install();
  await t.configure();
  await t.report('raj', 'Checkout times out on mobile');
  await t.report('olu', 'Invoice PDF shows the wrong VAT number');
  await t.digest();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

type Element = { type: string; url?: string; altText?: string; text?: string };
const cardOf = (call: ConnectorCall) =>
  (call.body.attachments as { contentType: string; content: { body: Element[] } }[])[0]!;
const digestCards = (calls: ConnectorCall[]) =>
  calls.filter((c) => JSON.stringify(c.body).includes('Weekly CX digest'));
const imageOf = (call: ConnectorCall) => cardOf(call).content.body.find((e) => e.type === 'Image');

describe('the Teams digest card shows its chart', () => {
  it('as an Image the bot serves at its public address, in a card under 28 KB', async () => {
    const [main] = digestCards(t.sentTo(CHANNELS.leaders));
    expect(main).toBeDefined();
    expect(Buffer.byteLength(JSON.stringify(cardOf(main!).content))).toBeLessThan(CARD_BYTE_LIMIT);
    expect(Buffer.byteLength(JSON.stringify(main!.body))).toBeLessThan(CARD_BYTE_LIMIT);
    const image = imageOf(main!);
    expect(image?.altText).toMatch(/^Stacked bar chart\. New pebbles per journey stage/);
    expect(image?.url).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/teams\/charts\/[\w-]+\.[\w-]{43}\.png$/,
    );

    // Teams fetches it: a PNG of the chart.
    const res = await fetch(image!.url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await res.arrayBuffer());
    expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    expect(png.length).toBeGreaterThan(2_000);
    // The card says where the details are, not that the chart is elsewhere; no numbers table.
    const text = JSON.stringify(main!.body);
    expect(text).toContain('Details are in the thread.');
    expect(text).not.toContain('chart of the last 8 weeks');
    expect(JSON.stringify(t.sentTo(CHANNELS.leaders).map((c) => c.body))).not.toContain(
      'oldest first, this week last',
    );
    // The details follow as a reply in the card's thread.
    // (The loopback connector answers the n-th call with the id `activity-n`.)
    const messageId = `activity-${t.bf.connectorCalls.indexOf(main!) + 1}`;
    const details = t
      .sentTo(CHANNELS.leaders)
      .find((c) => JSON.stringify(c.body).includes('Weekly CX digest, the details'));
    expect(decodeURIComponent(details!.path)).toContain(
      `/v3/conversations/${CHANNELS.leaders};messageid=${messageId}/`,
    );
  });

  it('puts the image in the card leaders get in their personal chat too', () => {
    const [dm] = digestCards(t.sentTo('a:personal-lea'));
    expect(imageOf(dm!)?.url).toContain('/teams/charts/');
  });

  it('serves nothing at an altered or made-up address', async () => {
    const [main] = digestCards(t.sentTo(CHANNELS.leaders));
    const url = imageOf(main!)!.url!;
    const [payload, signature] = url.split('/').at(-1)!.split('.') as [string, string];
    const base = url.slice(0, url.lastIndexOf('/') + 1);
    const other = Buffer.from(
      JSON.stringify(['teams:another-tenant', '2026-W10', 4_102_444_800]),
    ).toString('base64url');
    for (const wrong of [
      `${base}${other}.${signature}.png`,
      `${base}${payload}.${'A'.repeat(43)}.png`,
      `${base}${payload}.png`,
      `${base}nothing.png`,
    ]) {
      const res = await fetch(wrong);
      expect(res.status, wrong).toBe(404);
      expect(res.headers.get('content-type')).not.toBe('image/png');
    }
  });

  it('stops serving an address once it has expired', async () => {
    const [main] = digestCards(t.sentTo(CHANNELS.leaders));
    const url = new URL(imageOf(main!)!.url!);
    const period = (await t.store.digests.list(WORKSPACE_ID, 1))[0]!.period;
    // An address signed as the bot signs them, 31 days ago (they last 30).
    const old = new ChartImageHost({
      publicUrl: url.origin,
      secret: APP_PASSWORD,
      store: t.store,
      chart: { frictionByStage: () => Promise.reject(new Error('not drawn here')) },
      logger: pino({ level: 'silent' }),
      now: () => Date.now() - 31 * 86_400_000,
    }).url(WORKSPACE_ID, period);
    expect((await fetch(old)).status).toBe(404);
    // The same, signed now, works: only the expiry differs.
    const fresh = new ChartImageHost({
      publicUrl: url.origin,
      secret: APP_PASSWORD,
      store: t.store,
      chart: { frictionByStage: () => Promise.reject(new Error('not drawn here')) },
      logger: pino({ level: 'silent' }),
    }).url(WORKSPACE_ID, period);
    expect((await fetch(fresh)).status).toBe(200);
  });
});
