import { DateTime } from 'luxon';
import nock from 'nock';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { withDigestCharts } from '../../src/core/digest/digest.delivery.js';
import { sweepDigests } from '../../src/core/digest/digest.jobs.js';
import { DigestService } from '../../src/core/digest/digest.service.js';
import { completedPeriod } from '../../src/core/digest/period.js';
import { FakeClock } from '../../src/core/shared/clock.port.js';
import { defaultSettings, type Workspace } from '../../src/core/workspaces/workspace.model.js';
import { createChartRenderer } from '../../src/digest/chart.js';
import { OutboxDispatcher, StoreOutbox } from '../../src/scheduler/outbox.js';
import { createSlackChatGateway, OUTBOX_EVENT_TYPE } from '../../src/slack/chat-gateway.js';
import { parseDigestConfig as parse } from '../../src/conversation/commands.js';
import { slackMarkupToTokens } from '../../src/conversation/slack-markup.js';

/** The text after `/pebble config digest`, read by the one grammar as Slack hands it over. */
const parseDigestConfig = (text: string) => parse(slackMarkupToTokens(text), { prefix: '/pebble' });
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { Store } from '../../src/core/ports/store.port.js';
import { ACTIONS } from '../../src/views/actions.js';
import { digestViews } from '../../src/views/digest.view.js';
import { blockKitProblems, type AnyBlock } from './block-kit-limits.js';
import { expectUploads } from './uploads.js';
import {
  alice,
  API,
  blockAction,
  BOT_TOKEN,
  carol,
  commandBody,
  eventually,
  responsePath,
  startSlackApp,
  TEAM,
  uid,
  type SlackTestApp,
} from './harness.js';

const LEADERS = 'C0LEADERS';
const CEO = 'U0CEO';
const WORKSPACE = `slack:${TEAM}`;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

const userInfo = (body: Record<string, unknown>) => ({
  user: { id: body.user, name: String(body.user).toLowerCase(), is_admin: body.user === carol.id },
});
const posted = (body: Record<string, unknown>) => ({
  channel: String(body.channel).startsWith('U')
    ? `D${String(body.channel).slice(1)}`
    : body.channel,
  ts: `${Math.floor(Date.now() / 1000)}.${uid().slice(-6).replace(/\D/g, '1')}`,
});

/** A workspace that existed before the week reported, with its digest due an hour ago. */
async function seedWorkspace(store: Store, digest: Record<string, unknown>): Promise<Workspace> {
  const due = DateTime.utc().minus({ hours: 1 });
  const settings = {
    ...defaultSettings(),
    digest: {
      ...defaultSettings().digest,
      day: due.weekday,
      time: due.toFormat('HH:mm'),
      ...digest,
    },
  };
  const at = new Date('2025-01-01T00:00:00Z');
  await store.workspaces.ensure({
    id: WORKSPACE,
    platform: 'slack',
    externalId: TEAM,
    name: 'Acme',
    settings,
    createdAt: at,
    updatedAt: at,
  });
  const period = completedPeriod(new Date(), settings.digest, settings.timezone);
  for (const [i, stage] of ['onboard', 'onboard', 'buy'].entries()) {
    const createdAt = new Date(period.start.getTime() + (i + 1) * 3_600_000);
    await store.pebbles.create({
      workspaceId: WORKSPACE,
      title: `Friction ${i + 1} <!channel>`,
      description: '',
      stakeholder: 'customer',
      journey: 'customer',
      stage,
      anonymous: i === 0,
      reporter: { userId: `U0REP${i}`, name: `Secret Reporter ${i}` },
      source: { kind: 'slash' },
      status: 'new',
      createdAt,
      updatedAt: createdAt,
      history: [{ at: createdAt, actor: `U0REP${i}`, action: 'reported', to: 'new' }],
    });
  }
  return (await store.workspaces.get(WORKSPACE))!;
}

let t: SlackTestApp | undefined;
afterEach(async () => {
  const app = t;
  t = undefined;
  try {
    if (app) expect(app.slack.unexpected).toEqual([]);
  } finally {
    await app?.stop();
    nock.cleanAll();
  }
});

const sweep = (app: SlackTestApp['app']) =>
  sweepDigests(
    {
      store: app.services.store,
      digests: app.services.digest,
      outbox: app.services.outbox,
      views: digestViews,
    },
    new Date(),
  );

describe('weekly digest in Slack', () => {
  it('posts the seeded week once to the leaders channel and each leader, chart and details after it', async () => {
    t = await startSlackApp();
    const { store } = t.app.services;
    await seedWorkspace(store, { channel: LEADERS, leaders: [CEO] });
    // findSent looks first (nothing there yet; the DM is opened to read it), then the post,
    // then the chart and the details in its thread.
    t.slack.expect('conversations.open', { channel: { id: `D${CEO.slice(1)}` } });
    t.slack.expect('conversations.history', { messages: [], has_more: false }, 2);
    const tsOf = new Map<unknown, string>();
    t.slack.expect(
      'chat.postMessage',
      (body) => {
        const reply = posted(body);
        if (body.metadata) tsOf.set(body.channel, reply.ts);
        return reply;
      },
      4,
    );
    const uploads = expectUploads(t, 2);

    expect(await sweep(t.app)).toMatchObject({ queued: 1, failed: 0 });
    await t.slack.done(15_000);

    const posts = t.slack.of('chat.postMessage');
    const mains = posts.filter((p) => p.body.metadata);
    const details = posts.filter((p) => !p.body.metadata);
    expect(mains.map((p) => p.body.channel).sort()).toEqual([LEADERS, CEO].sort());
    expect(details.map((p) => p.body.channel).sort()).toEqual([LEADERS, CEO].sort());
    for (const post of posts) {
      expect(blockKitProblems(post.body.blocks as AnyBlock[], 'message')).toEqual([]);
      // Counts only: the reporters (one of them anonymous) are never named.
      expect(post.raw).not.toMatch(/Secret Reporter|U0REP/);
      // Titles are escaped: no one can ping the channel through a pebble title.
      expect(post.raw).not.toContain('<!channel>');
    }
    for (const post of mains) {
      const blocks = post.body.blocks as AnyBlock[];
      expect(blocks[0]).toMatchObject({ type: 'header', text: { text: 'Weekly CX digest' } });
      expect(post.body.metadata).toMatchObject({ event_type: OUTBOX_EVENT_TYPE });
      expect(JSON.stringify(blocks)).toContain('people reported 3 pebbles');
      expect(JSON.stringify(blocks)).toContain('*Pebbles reported*\\n3 · up 3 from 0');
    }
    // In the channel, the details are a reply in the digest's thread.
    const mainTs = tsOf.get(LEADERS);
    expect(mainTs).toBeDefined();
    const channelDetails = details.find((p) => p.body.channel === LEADERS)!;
    expect(channelDetails.body.thread_ts).toBe(mainTs);
    // A leader's DM gets the details as the next message (no thread).
    expect(details.find((p) => p.body.channel === CEO)!.body.thread_ts).toBeUndefined();
    expect(JSON.stringify(channelDetails.body.blocks)).toContain('What people said');
    const shares = t.slack.of('files.completeUploadExternal');
    expect(shares.map((s) => s.body.channel_id).sort()).toEqual(
      [LEADERS, `D${CEO.slice(1)}`].sort(),
    );
    const channelShare = shares.find((s) => s.body.channel_id === LEADERS)!;
    expect(channelShare.body.thread_ts).toBe(mainTs);
    expect(JSON.stringify(shares[0]!.body.files)).toContain('New pebbles per journey stage');
    for (const upload of uploads) expect(upload.includes(PNG)).toBe(true);

    // Later ticks, a restart or another replica: nothing is queued or sent again.
    const again = await Promise.all([sweep(t.app), sweep(t.app)]);
    expect(again.map((r) => r.queued)).toEqual([0, 0]);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.slack.of('chat.postMessage')).toHaveLength(4);
    expect(await store.outbox.count({ kind: 'digest', status: ['sent'] })).toBe(2);
  });

  it('puts the chart as numbers in the details when Slack refuses the chart', async () => {
    t = await startSlackApp({ logLevel: 'error' });
    await seedWorkspace(t.app.services.store, { channel: LEADERS });
    t.slack.expect('conversations.history', { messages: [], has_more: false });
    t.slack.expect('chat.postMessage', posted, 2);
    expectUploads(t, 1, 'not_allowed_token_type');
    await sweep(t.app);
    await t.slack.done(15_000);
    const [main, details] = t.slack.of('chat.postMessage');
    expect(main!.body.metadata).toBeDefined();
    expect(JSON.stringify(main!.body.blocks)).not.toContain('Onboard: 0 · 0');
    const text = JSON.stringify(details!.body.blocks);
    expect(text).toContain('New pebbles per journey stage, weeks of');
    expect(text).toContain('Onboard: 0 · 0 · 0 · 0 · 0 · 0 · 0 · 2');
    expect(t.slack.of('chat.update')).toEqual([]);
  });

  it('previews this week privately with /pebble digest, posting nothing', async () => {
    t = await startSlackApp();
    await seedWorkspace(t.app.services.store, { channel: LEADERS });
    const id = uid();
    t.slack.expectRespond(responsePath(id));
    await t.command('digest', { response_url: `https://hooks.slack.com${responsePath(id)}` });
    await t.slack.done();
    const answer = t.slack.of('respond')[0]!.body;
    expect(answer.response_type).toBe('ephemeral');
    expect(JSON.stringify(answer.blocks)).toContain('CX digest preview: this week so far');
    expect(blockKitProblems(answer.blocks as AnyBlock[], 'message')).toEqual([]);
    expect(t.slack.of('chat.postMessage')).toEqual([]);
  });

  it('lets admins set the digest channel and leaders, and nobody else', async () => {
    t = await startSlackApp();
    await seedWorkspace(t.app.services.store, {});
    const first = uid();
    t.slack
      .expect('users.info', userInfo)
      .expect('conversations.join')
      .expectRespond(responsePath(first));
    await t.command(`config digest channel <#${LEADERS}|leaders>`, {
      user_id: carol.id,
      response_url: `https://hooks.slack.com${responsePath(first)}`,
    });
    await t.slack.done();
    expect(t.slack.of('conversations.join')[0]!.body.channel).toBe(LEADERS);
    expect(JSON.stringify(t.slack.of('respond')[0]!.body)).toContain('posted to <#C0LEADERS>');
    const second = uid();
    t.slack.expectRespond(responsePath(second));
    await t.command(`config digest leaders <@${CEO}|ceo> <@U0COO>`, {
      user_id: carol.id,
      response_url: `https://hooks.slack.com${responsePath(second)}`,
    });
    await t.slack.done();
    const saved = await eventually(async () => {
      const ws = await t!.app.services.store.workspaces.get(WORKSPACE);
      return ws?.settings.digest.leaders.length === 2 && ws;
    });
    expect(saved.settings.digest).toMatchObject({ channel: LEADERS, leaders: [CEO, 'U0COO'] });

    const third = uid();
    t.slack.expect('users.info', userInfo).expectRespond(responsePath(third));
    await t.command('config digest off', {
      user_id: alice.id,
      response_url: `https://hooks.slack.com${responsePath(third)}`,
    });
    await t.slack.done();
    expect(JSON.stringify(t.slack.of('respond').at(-1)!.body)).toContain('Only Pebblebot admins');
    expect((await t.app.services.store.workspaces.get(WORKSPACE))!.settings.digest.enabled).toBe(
      true,
    );
  });

  it('shows admins the digest schedule on the Home tab and sends them a preview from it', async () => {
    t = await startSlackApp();
    await seedWorkspace(t.app.services.store, { channel: LEADERS, leaders: [CEO] });
    t.slack.expect('users.info', userInfo).expect('views.publish');
    await t.event({
      type: 'app_home_opened',
      user: carol.id,
      channel: 'D0CAROL',
      tab: 'home',
      event_ts: '1.1',
    });
    await t.slack.done();
    const home = t.slack.of('views.publish')[0]!.body.view as { blocks: AnyBlock[] };
    expect(blockKitProblems(home.blocks, 'home')).toEqual([]);
    expect(JSON.stringify(home.blocks)).toContain('Weekly CX digest');
    expect(JSON.stringify(home.blocks)).toContain(
      'to channel <#C0LEADERS> and 1 leader by direct message',
    );

    t.slack.expect('chat.postMessage', posted);
    await t.interaction(
      blockAction(
        carol,
        { action_id: ACTIONS.digestPreview, value: 'home' },
        { container: 'view' },
      ),
    );
    await t.slack.done();
    const dm = t.slack.of('chat.postMessage')[0]!;
    expect(dm.body.channel).toBe(carol.id);
    expect(JSON.stringify(dm.body.blocks)).toContain('CX digest preview');
  });
});

describe('digest delivery through the Slack gateway', () => {
  it('posts once when Slack accepted the first attempt but its answer was lost (a forced retry)', async () => {
    nock.disableNetConnect();
    const store = await openEmbeddedStore();
    const clock = new FakeClock();
    const seeded = await seedWorkspace(store, { channel: LEADERS });
    clock.set(new Date());
    const service = new DigestService({ store, clock });
    await service.sendDue(seeded, new StoreOutbox(store, clock), digestViews);
    const logger = pino({ level: 'silent' });
    const chat = createSlackChatGateway(BOT_TOKEN, { retryConfig: { retries: 0 } }, logger, {
      perChannelMinTimeMs: 0,
    });
    const gateway = withDigestCharts(chat, {
      store,
      chart: createChartRenderer(),
      views: digestViews,
    });
    const dispatcher = new OutboxDispatcher({
      store,
      clock,
      logger,
      worker: 'w',
      gatewayFor: () => gateway,
    });

    const accepted: URLSearchParams[] = [];
    const api = nock(API)
      .post('/api/conversations.history')
      .reply(200, { ok: true, messages: [], has_more: false })
      // Slack keeps the message, the answer never arrives.
      .post('/api/chat.postMessage')
      .reply(500, (_uri, body) => {
        accepted.push(new URLSearchParams(typeof body === 'string' ? body : ''));
        return 'upstream timeout';
      })
      // The retry looks first, and finds it by its outbox key in the message metadata.
      .post('/api/conversations.history')
      .reply(200, () => {
        const metadata = JSON.parse(String(accepted[0]!.get('metadata'))) as unknown;
        return { ok: true, messages: [{ ts: '1700000000.000100', metadata }], has_more: false };
      });

    expect(await dispatcher.drain()).toMatchObject({ sent: 0, retried: 1 });
    clock.advance(60 * 60_000);
    // The retry finds the message Slack kept and records it instead of posting it again.
    expect(await dispatcher.drain()).toMatchObject({ sent: 0, recovered: 1 });
    expect(api.isDone()).toBe(true);
    expect(accepted).toHaveLength(1);
    expect(
      await store.outbox.get(
        `digest:${WORKSPACE}:${completedPeriod(new Date(), seeded.settings.digest, 'UTC').key}`,
      ),
    ).toMatchObject({
      status: 'sent',
      ref: { channelId: LEADERS, messageId: '1700000000.000100' },
    });
    await store.close();
  });
});

describe('/pebble config digest', () => {
  it('reads each setting and refuses what it does not understand', () => {
    expect(parseDigestConfig('')).toEqual({ kind: 'show' });
    expect(parseDigestConfig('channel <#C0LEADERS|leaders>')).toEqual({
      kind: 'patch',
      patch: { channel: 'C0LEADERS' },
      join: { id: 'C0LEADERS', name: 'leaders' },
    });
    expect(parseDigestConfig('channel off')).toEqual({
      kind: 'patch',
      patch: { channel: undefined },
    });
    expect(parseDigestConfig('leaders <@U1|a> <@U2> <@U1>')).toEqual({
      kind: 'patch',
      patch: { leaders: ['U1', 'U2'] },
    });
    expect(parseDigestConfig('leaders none')).toEqual({ kind: 'patch', patch: { leaders: [] } });
    expect(parseDigestConfig('friday 16:30')).toEqual({
      kind: 'patch',
      patch: { day: 5, time: '16:30' },
    });
    expect(parseDigestConfig('monday at 9:00')).toEqual({
      kind: 'patch',
      patch: { day: 1, time: '09:00' },
    });
    expect(parseDigestConfig('day tue')).toEqual({ kind: 'patch', patch: { day: 2 } });
    expect(parseDigestConfig('timezone Europe/Berlin')).toEqual({
      kind: 'patch',
      patch: {},
      timezone: 'Europe/Berlin',
    });
    expect(parseDigestConfig('off')).toEqual({ kind: 'patch', patch: { enabled: false } });
    expect(() => parseDigestConfig('time 25:00')).toThrow(/not a time/);
    expect(() => parseDigestConfig('timezone Mars/Olympus')).toThrow(/not a time zone/);
    expect(() => parseDigestConfig('channel leaders')).toThrow(/with #/);
    expect(() => parseDigestConfig('sometimes')).toThrow(/I can set the digest/);
    expect(commandBody('digest').text).toBe('digest');
  });
});
