import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChartImage, DigestChartRenderer } from '../../../src/core/digest/chart.port.js';
import { withDigestCharts } from '../../../src/core/digest/digest.delivery.js';
import { digestJob, sweepDigests } from '../../../src/core/digest/digest.jobs.js';
import {
  DigestService,
  parseDigestKey,
  recipientKey,
} from '../../../src/core/digest/digest.service.js';
import type { DigestNarrator } from '../../../src/core/digest/narrative.port.js';
import type {
  ChatGateway,
  ChatTarget,
  MessageRef,
} from '../../../src/core/shared/chat-gateway.port.js';
import { FakeClock } from '../../../src/core/shared/clock.port.js';
import { DeliveryError } from '../../../src/core/shared/outbox.port.js';
import type { Workspace } from '../../../src/core/workspaces/workspace.model.js';
import { OutboxDispatcher, StoreOutbox } from '../../../src/scheduler/outbox.js';
import { openEmbeddedStore } from '../../../src/store/nedb/nedb.store.js';
import type { Store } from '../../../src/core/ports/store.port.js';
import type { MessageView } from '../../../src/core/ports/message-view.port.js';
import { digestViews } from '../../../src/views/digest.view.js';
import { addPebble, d, makeWorkspace } from './fixtures.js';

/** Monday 9 March 2026, 09:00 in Berlin: the W10 digest is due. */
const DUE = '2026-03-09T08:00:00Z';

async function setup(
  digest: Record<string, unknown> = { channel: 'C-LEADERS', leaders: ['U-CEO', 'U-COO'] },
) {
  const store = await openEmbeddedStore();
  const clock = new FakeClock(DUE);
  const created = await makeWorkspace(store, 'Europe/Berlin');
  const workspace = await store.workspaces.updateSettings(
    created.id,
    { digest: { ...created.settings.digest, ...digest } },
    { at: d('2025-10-01T00:00:00Z'), actor: 'U-admin', action: 'settings' },
  );
  await addPebble(store, workspace.id, {
    at: '2026-03-04T10:00:00Z',
    stage: 'buy',
    reporter: 'U1',
  });
  const outbox = new StoreOutbox(store, clock);
  const service = new DigestService({ store, clock });
  return { store, clock, workspace, outbox, service };
}

/** A chat gateway that records what it is asked to do. */
class RecordingGateway implements ChatGateway {
  sent: { target: ChatTarget; view: MessageView; key?: string }[] = [];
  updated: { ref: MessageRef; view: MessageView }[] = [];
  uploads: { target: ChatTarget; image: ChartImage }[] = [];
  failSends = 0;
  failUploads = false;

  send(_ws: string, target: ChatTarget, view: MessageView, key?: string): Promise<MessageRef> {
    if (this.failSends > 0) {
      this.failSends--;
      return Promise.reject(new DeliveryError('Slack answered 429', { retryAfterMs: 1_000 }));
    }
    this.sent.push({ target, view, ...(key ? { key } : {}) });
    return Promise.resolve({ channelId: 'C', messageId: String(this.sent.length) });
  }
  update(_ws: string, ref: MessageRef, view: MessageView): Promise<void> {
    this.updated.push({ ref, view });
    return Promise.resolve();
  }
  uploadImage(_ws: string, target: ChatTarget, image: ChartImage): Promise<void> {
    if (this.failUploads)
      return Promise.reject(new Error('files.completeUploadExternal: not_allowed'));
    this.uploads.push({ target, image });
    return Promise.resolve();
  }
}

const fakeChart: DigestChartRenderer = {
  frictionByStage: (_history, title) =>
    Promise.resolve({ data: Buffer.from('png'), filename: 'chart.png', title, altText: 'alt' }),
};

const silent = pino({ level: 'silent' });

describe('digest: exactly one per workspace per period', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    ctx = await setup();
  });
  afterEach(async () => {
    await ctx.store.close();
  });

  it('queues the finished week once per recipient, under digest:{workspace}:{period}', async () => {
    const { service, workspace, outbox, store } = ctx;
    expect(await service.sendDue(workspace, outbox, digestViews)).toBe('queued');
    const messages = await store.outbox.list({ workspaceId: workspace.id, kind: 'digest' });
    expect(messages.map((m) => [m.key, m.target])).toEqual([
      [`digest:${workspace.id}:2026-W10`, { kind: 'channel', channelId: 'C-LEADERS' }],
      [`digest:${workspace.id}:2026-W10:dm:U-CEO`, { kind: 'dm', userId: 'U-CEO' }],
      [`digest:${workspace.id}:2026-W10:dm:U-COO`, { kind: 'dm', userId: 'U-COO' }],
    ]);
    const snapshot = await store.digests.get(workspace.id, '2026-W10');
    expect(snapshot?.metrics.youSaid.total).toBe(1);
    expect(snapshot?.queuedAt).toEqual(d(DUE));
    expect(snapshot?.narrator).toBe('numbers');

    expect(await service.sendDue(workspace, outbox, digestViews)).toBe('already-queued');
    expect(await store.outbox.count({ workspaceId: workspace.id, kind: 'digest' })).toBe(3);
  });

  it('three replicas sweeping at once queue one digest', async () => {
    const { store, clock, outbox } = ctx;
    const replicas = [1, 2, 3].map(() => new DigestService({ store, clock }));
    const results = await Promise.all(
      replicas.map((digests) =>
        sweepDigests({ store, digests, outbox, views: digestViews }, clock.now()),
      ),
    );
    expect(results.reduce((n, r) => n + r.queued, 0)).toBeGreaterThanOrEqual(1);
    expect(await store.outbox.count({ kind: 'digest' })).toBe(3);
    expect(await store.digests.list(ctx.workspace.id, 10)).toHaveLength(1);
  });

  it('finishes a digest interrupted between the outbox and its record, without a second copy', async () => {
    const { service, workspace, outbox, store } = ctx;
    const snapshot = await service.snapshot(workspace, service.lastPeriod(workspace));
    // The crash: one message made it into the outbox, the snapshot was never marked queued.
    await outbox.enqueue({
      key: recipientKey(workspace.id, snapshot.period, { kind: 'channel', channelId: 'C-LEADERS' }),
      workspaceId: workspace.id,
      kind: 'digest',
      target: { kind: 'channel', channelId: 'C-LEADERS' },
      view: digestViews.digest(snapshot, { chart: 'attached' }).main,
    });
    expect(await service.sendDue(workspace, outbox, digestViews)).toBe('queued');
    expect(await store.outbox.count({ kind: 'digest' })).toBe(3);
  });

  it('sends the snapshot it stored first, even when the data changes before a retry', async () => {
    const { service, workspace, outbox, store } = ctx;
    const first = await service.snapshot(workspace, service.lastPeriod(workspace));
    await addPebble(store, workspace.id, { at: '2026-03-05T10:00:00Z', reporter: 'U2' });
    await service.sendDue(workspace, outbox, digestViews);
    const stored = await store.digests.get(workspace.id, first.period);
    expect(stored?.metrics.youSaid.total).toBe(1);
  });

  it('is not due when off, without recipients, before the workspace existed, or days late', async () => {
    const { service, workspace, outbox, clock } = ctx;
    const off: Workspace = {
      ...workspace,
      settings: { ...workspace.settings, digest: { ...workspace.settings.digest, enabled: false } },
    };
    expect(await service.sendDue(off, outbox, digestViews)).toBe('off');
    const nobody: Workspace = {
      ...workspace,
      settings: {
        ...workspace.settings,
        digest: { ...workspace.settings.digest, channel: undefined, leaders: [] },
      },
    };
    expect(await service.sendDue(nobody, outbox, digestViews)).toBe('no-recipients');
    const newborn: Workspace = { ...workspace, createdAt: d('2026-03-09T08:00:00Z') };
    expect(await service.sendDue(newborn, outbox, digestViews)).toBe('not-due');
    clock.set('2026-03-13T08:00:01Z');
    expect(await service.sendDue(workspace, outbox, digestViews)).toBe('not-due');
  });

  it('previews the running week without storing or sending anything', async () => {
    const { service, workspace, store, clock } = ctx;
    clock.set('2026-03-11T12:00:00Z');
    await addPebble(store, workspace.id, {
      at: '2026-03-10T10:00:00Z',
      stage: 'use',
      reporter: 'U3',
    });
    const preview = await service.preview(workspace);
    expect(preview.metrics.period.key).toBe('2026-W11');
    expect(preview.metrics.youSaid.total).toBe(1);
    expect(preview.narrative).toMatch(/^So far this week people reported 1 pebble/);
    expect(await store.digests.list(workspace.id, 10)).toEqual([]);
    expect(await store.outbox.count({})).toBe(0);
  });

  it('runs as a scheduled job every five minutes', async () => {
    const { store, service, outbox, clock } = ctx;
    const job = digestJob({ store, digests: service, outbox, views: digestViews });
    expect(job).toMatchObject({ name: 'digest.weekly', cron: '*/5 * * * *' });
    const result = await job.run({
      now: clock.now(),
      slot: clock.now(),
      signal: new AbortController().signal,
    });
    expect(result).toMatchObject({ workspaces: 1, queued: 1, failed: 0 });
  });
});

describe('digest narrative port', () => {
  it('uses the narrator it is given, and the numbers when it fails, hangs or rambles', async () => {
    const { store, clock, workspace } = await setup();
    const period = new DigestService({ store, clock }).lastPeriod(workspace);
    const ai: DigestNarrator = {
      name: 'ai',
      narrate: () => Promise.resolve('  Leaders: a calm week.  '),
    };
    const broken: DigestNarrator = { name: 'ai', narrate: () => Promise.reject(new Error('429')) };
    const hanging: DigestNarrator = { name: 'ai', narrate: () => new Promise(() => undefined) };
    const rambling: DigestNarrator = {
      name: 'ai',
      narrate: () => Promise.resolve('x'.repeat(5_000)),
    };

    const told = await new DigestService({ store, clock, narrator: ai }).compute(
      workspace,
      period,
      false,
    );
    expect([told.narrative, told.narrator]).toEqual(['Leaders: a calm week.', 'ai']);
    for (const narrator of [broken, hanging, rambling]) {
      const fallback = await new DigestService({
        store,
        clock,
        narrator,
        narratorTimeoutMs: 20,
      }).compute(workspace, period, false);
      expect(fallback.narrator).toBe('numbers');
      expect(fallback.narrative).toMatch(/^This week people reported 1 pebble/);
    }
    await store.close();
  });
});

describe('digest delivery: the chart goes with the message', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    ctx = await setup({ channel: 'C-LEADERS', leaders: [] });
    await ctx.service.sendDue(ctx.workspace, ctx.outbox, digestViews);
  });
  afterEach(async () => {
    await ctx.store.close();
  });

  const dispatcher = (store: Store, clock: FakeClock, gateway: ChatGateway) =>
    new OutboxDispatcher({ store, clock, logger: silent, worker: 'w1', gatewayFor: () => gateway });

  it('puts the chart and then the details in the digest thread, right after the digest', async () => {
    const { store, clock } = ctx;
    const inner = new RecordingGateway();
    const onChartError = vi.fn();
    const gateway = withDigestCharts(inner, {
      store,
      chart: fakeChart,
      views: digestViews,
      onChartError,
    });
    const result = await dispatcher(store, clock, gateway).drain();
    expect(result.sent).toBe(1);
    expect(inner.sent).toHaveLength(2);
    expect(inner.sent[0]!.key).toBe(`digest:${ctx.workspace.id}:2026-W10`);
    expect(inner.sent[0]!.view.blocks[0]).toEqual({ type: 'header', text: 'Weekly CX digest' });
    const thread = { kind: 'channel', channelId: 'C-LEADERS', threadId: '1' };
    expect(inner.uploads).toEqual([
      {
        target: thread,
        image: expect.objectContaining({
          title: expect.stringContaining('New pebbles per journey stage, weeks of 12 Jan to 2 Mar'),
        }),
      },
    ]);
    // The details follow in the thread, without the chart's numbers (the chart is there).
    expect(inner.sent[1]).toMatchObject({ target: thread });
    expect(inner.sent[1]!.key).toBeUndefined();
    const details = JSON.stringify(inner.sent[1]!.view.blocks);
    expect(details).toContain('*What people said*');
    expect(details).not.toContain('New pebbles per journey stage, weeks of');
    expect(inner.updated).toEqual([]);
    expect(onChartError).not.toHaveBeenCalled();
  });

  it('sends a leader the chart and the details as the next direct messages', async () => {
    const dm = await setup({ leaders: ['U-CEO'] });
    try {
      await dm.service.sendDue(dm.workspace, dm.outbox, digestViews);
      const inner = new RecordingGateway();
      const gateway = withDigestCharts(inner, {
        store: dm.store,
        chart: fakeChart,
        views: digestViews,
      });
      await dispatcher(dm.store, dm.clock, gateway).drain();
      const ceo = { kind: 'dm', userId: 'U-CEO' };
      expect(inner.sent.map((m) => m.target)).toEqual([ceo, ceo]);
      expect(inner.uploads.map((u) => u.target)).toEqual([ceo]);
    } finally {
      await dm.store.close();
    }
  });

  it("puts the chart's numbers in the details when the upload fails", async () => {
    const { store, clock } = ctx;
    const inner = new RecordingGateway();
    inner.failUploads = true;
    const onChartError = vi.fn();
    const gateway = withDigestCharts(inner, {
      store,
      chart: fakeChart,
      views: digestViews,
      onChartError,
    });
    await dispatcher(store, clock, gateway).drain();
    expect(inner.sent).toHaveLength(2);
    expect(inner.updated).toEqual([]);
    const texts = inner.sent[1]!.view.blocks.map((b) => ('text' in b ? b.text : ''));
    expect(
      texts.some((t) => t.startsWith('*New pebbles per journey stage, weeks of 12 Jan to 2 Mar*')),
    ).toBe(true);
    expect(texts.join('\n')).toContain('Buy: 0 · 0 · 0 · 0 · 0 · 0 · 0 · 1');
    expect(onChartError).toHaveBeenCalledOnce();
    // The digest itself counts as delivered: no retry, no second message.
    expect(await store.outbox.count({ status: ['sent'] })).toBe(1);
  });

  it('delivers exactly once when the first attempt is refused (429) and retried', async () => {
    const { store, clock } = ctx;
    const inner = new RecordingGateway();
    inner.failSends = 1;
    const gateway = withDigestCharts(inner, { store, chart: fakeChart, views: digestViews });
    const first = await dispatcher(store, clock, gateway).drain();
    expect(first).toMatchObject({ sent: 0, retried: 1 });
    clock.advance(2_000);
    const second = await dispatcher(store, clock, gateway).drain();
    expect(second).toMatchObject({ sent: 1 });
    clock.advance(60 * 60_000);
    expect(await dispatcher(store, clock, gateway).drain()).toMatchObject({ sent: 0, retried: 0 });
    // One digest, its details in the thread, one chart.
    expect(inner.sent.map((m) => m.key)).toEqual([
      `digest:${ctx.workspace.id}:2026-W10`,
      undefined,
    ]);
    expect(inner.uploads).toHaveLength(1);
  });

  it('does not post a digest twice when an earlier attempt reached Slack but its answer was lost', async () => {
    const { store, clock } = ctx;
    const inner = new RecordingGateway();
    // The platform already holds the message with this key (the lost answer's).
    const findSent = vi.fn(() => Promise.resolve({ channelId: 'C-LEADERS', messageId: '1.0' }));
    const gateway = withDigestCharts(Object.assign(inner, { findSent }), {
      store,
      chart: fakeChart,
      views: digestViews,
    });
    expect(await dispatcher(store, clock, gateway).drain()).toMatchObject({ sent: 1 });
    expect(findSent).toHaveBeenCalledOnce();
    expect(inner.sent).toEqual([]);
    expect(inner.uploads).toEqual([]);
  });

  it('leaves other messages alone', async () => {
    const inner = new RecordingGateway();
    const gateway = withDigestCharts(inner, {
      store: ctx.store,
      chart: fakeChart,
      views: digestViews,
    });
    await gateway.send(
      ctx.workspace.id,
      { kind: 'dm', userId: 'U1' },
      { text: 'hi', blocks: [] },
      'nudge:x:U1:2026-03-09',
    );
    expect(inner.uploads).toEqual([]);
  });

  it('reads its keys back', () => {
    expect(parseDigestKey('digest:slack:T1:2026-W10')).toEqual({
      workspaceId: 'slack:T1',
      period: '2026-W10',
    });
    expect(parseDigestKey('digest:slack:T1:2026-W10:dm:U9')).toEqual({
      workspaceId: 'slack:T1',
      period: '2026-W10',
    });
    expect(parseDigestKey('nudge:slack:T1:U1')).toBeUndefined();
  });
});
