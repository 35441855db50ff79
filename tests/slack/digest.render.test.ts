import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestMetrics } from '../../src/core/digest/digest.model.js';
import { narrateNumbers } from '../../src/core/digest/numbers.narrator.js';
import { completedPeriod } from '../../src/core/digest/period.js';
import { DigestMetricsCalculator } from '../../src/core/metrics/digest-metrics.js';
import { renderMessage } from '../../src/slack/render-blocks.js';
import { openEmbeddedStore } from '../../src/store/nedb/nedb.store.js';
import type { Store } from '../../src/store/store.port.js';
import { digestView } from '../../src/views/digest.view.js';
import { seedWeek } from '../core/digest/dataset.js';
import { d } from '../core/digest/fixtures.js';
import { maximal } from '../core/digest/maximal.js';
import { blockKitProblems, type AnyBlock } from './block-kit-limits.js';

let store: Store;
let metrics: DigestMetrics;

beforeAll(async () => {
  store = await openEmbeddedStore();
  const { workspace } = await seedWeek(store);
  const { digest, timezone } = workspace.settings;
  const period = completedPeriod(d('2026-03-30T07:00:00Z'), digest, timezone);
  metrics = await new DigestMetricsCalculator(store.metrics).compute(
    workspace.id,
    workspace.settings,
    period,
  );
});

afterAll(async () => {
  await store.close();
});

describe('digest as Block Kit', () => {
  it('renders the hand-built week', () => {
    const view = digestView(
      { metrics, narrative: narrateNumbers(metrics, { preview: false }) },
      { chart: 'attached' },
    );
    const message = renderMessage(view);
    expect(blockKitProblems(message.blocks as AnyBlock[], 'message')).toEqual([]);
    expect(message).toMatchSnapshot();
  });

  it('stays within Slack limits with every list full, with and without the chart', () => {
    for (const chart of ['attached', 'fallback'] as const) {
      const view = digestView(
        { metrics: maximal(metrics), narrative: 'y'.repeat(2_500) },
        { chart },
      );
      const { blocks, text } = renderMessage(view);
      expect(blockKitProblems(blocks as AnyBlock[], 'message')).toEqual([]);
      expect(blocks.length).toBeLessThanOrEqual(50);
      expect(text.length).toBeLessThanOrEqual(4_000);
    }
  });
});
