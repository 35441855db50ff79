import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderText } from '../../../src/console/render-text.js';
import type { DigestMetrics } from '../../../src/core/digest/digest.model.js';
import { narrateNumbers } from '../../../src/core/digest/numbers.narrator.js';
import { completedPeriod } from '../../../src/core/digest/period.js';
import { DigestMetricsCalculator } from '../../../src/core/metrics/digest-metrics.js';
import { openEmbeddedStore } from '../../../src/store/nedb/nedb.store.js';
import type { Store } from '../../../src/store/store.port.js';
import { digestView, SECTION_MAX } from '../../../src/views/digest.view.js';
import { seedWeek } from './dataset.js';
import { d } from './fixtures.js';

let store: Store;
let metrics: DigestMetrics;

beforeAll(async () => {
  store = await openEmbeddedStore();
  const { workspace } = await seedWeek(store);
  const period = completedPeriod(
    d('2026-03-30T07:00:00Z'),
    workspace.settings.digest,
    workspace.settings.timezone,
  );
  metrics = await new DigestMetricsCalculator(store.metrics).compute(
    workspace.id,
    workspace.settings,
    period,
  );
});

afterAll(async () => {
  await store.close();
});

/** The biggest digest the view can be asked for: every list full, every title at its limit. */
export function maximal(m: DigestMetrics): DigestMetrics {
  const long = (i: number) =>
    `${i} ${'Friction that takes a whole paragraph to say '.repeat(4)}`.slice(0, 150);
  const pebble = (i: number) => ({
    number: 100_000 + i,
    title: long(i),
    stakeholder: 'customer' as const,
    stage: 'Stage name that is long',
    supporterCount: 999,
  });
  const improvement = (i: number) => ({
    number: 10_000 + i,
    title: long(i),
    owner: 'A person with a very long display name indeed',
    promisedDate: '2026-04-01',
    daysOverdue: 120,
    pebbles: Array.from({ length: 20 }, (_, j) => pebble(j)),
    fixedYes: 99,
    fixedNo: 99,
    hoursPerWeek: 1234.5,
  });
  const stages = Array.from({ length: 25 }, (_, i) => ({
    ref: `j/s${i}`,
    name: `Journey name › Stage ${i} with a long name`,
    count: 9999,
    previous: 1,
  }));
  return {
    ...m,
    youSaid: { ...m.youSaid, byStage: stages, mostSupported: [1, 2, 3].map(pebble) },
    weDecided: {
      ...m.weDecided,
      votes: Array.from({ length: 5 }, (_, i) => ({
        number: 900 + i,
        pebbles: Array.from({ length: 10 }, (_, j) => pebble(j)),
        outcome: 'no-balance',
        cast: 2000,
        eligible: 2000,
      })),
      votesTotal: 500,
    },
    weDid: {
      ...m.weDid,
      improvements: Array.from({ length: 5 }, (_, i) => improvement(i)),
      improvementsTotal: 80,
    },
    wePromised: {
      ...m.wePromised,
      overdue: [1, 2, 3, 4, 5].map(improvement),
      overdueTotal: 77,
      dueNext: [1, 2, 3, 4, 5].map(improvement),
      dueNextTotal: 66,
    },
    cameBack: {
      ...m.cameBack,
      items: [1, 2, 3, 4, 5].map((i) => ({
        number: i,
        title: long(i),
        how: 'reopened' as const,
        of: i,
        improvement: i,
      })),
      total: 40,
      stages: Array.from({ length: 5 }, (_, i) => ({
        ref: `j/s${i}`,
        name: long(i),
        improvement: i + 1,
        shippedPeriod: '2026-W10',
        beforePerWeek: 10,
        beforeWeeks: 4,
        afterPerWeek: 1,
        afterWeeks: 4,
      })),
    },
    history: {
      ...m.history,
      series: stages.map((s) => ({
        ref: s.ref,
        name: s.name,
        counts: Array(8).fill(99999) as number[],
      })),
    },
  };
}

describe('digest view', () => {
  it('renders the hand-built week as console text', () => {
    const view = digestView(
      { metrics, narrative: narrateNumbers(metrics, { preview: false }) },
      { chart: 'fallback' },
    );
    expect(renderText(view)).toMatchSnapshot();
  });

  it('says where the chart is when it is attached, and shows its numbers when it is not', () => {
    const narrative = 'n';
    const attached = digestView({ metrics, narrative }, { chart: 'attached' });
    const texts = (v: typeof attached) => v.blocks.map((b) => ('text' in b ? b.text : ''));
    expect(texts(attached).some((t) => t.startsWith('Chart: friction by journey stage'))).toBe(
      true,
    );
    expect(texts(attached).some((t) => t.startsWith('*Friction by journey stage'))).toBe(false);
    const fallback = digestView({ metrics, narrative }, { chart: 'fallback' });
    expect(texts(fallback)).toContain(
      '*Friction by journey stage, last 8 weeks* (2 Feb · 9 Feb · 16 Feb · 23 Feb · 2 Mar · 9 Mar · 16 Mar · 23 Mar)\n' +
        'Buy: 0 · 0 · 0 · 0 · 0 · 0 · 1 · 1\nOnboard: 0 · 0 · 0 · 0 · 0 · 0 · 1 · 2\nUse: 0 · 0 · 0 · 0 · 0 · 1 · 0 · 1\n' +
        'Get help: 1 · 0 · 0 · 0 · 0 · 0 · 0 · 1\nNo stage yet: 0 · 0 · 0 · 0 · 0 · 0 · 0 · 1',
    );
  });

  it('marks a preview as private and counted up to now', () => {
    const view = digestView({ metrics, narrative: 'n' }, { chart: 'none', preview: true });
    expect(view.blocks[0]).toEqual({ type: 'header', text: 'CX digest preview: this week so far' });
    expect(view.blocks[1]).toMatchObject({
      type: 'context',
      text: expect.stringContaining('only you can see this preview'),
    });
  });

  it('stays within 50 blocks and 3,000 characters a section with every list full', () => {
    const view = digestView(
      { metrics: maximal(metrics), narrative: 'x'.repeat(2_000) },
      { chart: 'fallback' },
    );
    expect(view.blocks.length).toBeLessThanOrEqual(50);
    for (const block of view.blocks)
      if ('text' in block) expect(block.text.length).toBeLessThanOrEqual(SECTION_MAX);
    expect(renderText(view)).toContain('…and 75 more');
  });

  it('never names a reporter, anonymous or not', () => {
    const text = renderText(digestView({ metrics, narrative: 'n' }, { chart: 'fallback' }));
    expect(text).not.toMatch(/Name of|\bU(2|6|7|10|11)\b/);
    expect(text).toContain('Dana');
  });
});
