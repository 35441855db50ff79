import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestMetrics } from '../../src/core/digest/digest.model.js';
import { narrateNumbers } from '../../src/core/digest/numbers.narrator.js';
import { renderMessage } from '../../src/slack/render-blocks.js';
import type { Store } from '../../src/core/ports/store.port.js';
import { digestMessages, digestView } from '../../src/views/digest.view.js';
import { seededWeekMetrics } from '../core/digest/dataset.js';
import { maximal } from '../core/digest/maximal.js';
import { blockKitProblems, type AnyBlock } from './block-kit-limits.js';

let store: Store;
let metrics: DigestMetrics;

beforeAll(async () => {
  ({ store, metrics } = await seededWeekMetrics());
});

afterAll(async () => {
  await store.close();
});

describe('digest as Block Kit', () => {
  it('renders the hand-built week: the main message, then the details in its thread', () => {
    const { main, details } = digestMessages(
      { metrics, narrative: narrateNumbers(metrics, { preview: false }) },
      { chart: 'attached' },
    );
    for (const view of [main, details]) {
      const message = renderMessage(view);
      expect(blockKitProblems(message.blocks as AnyBlock[], 'message')).toEqual([]);
      expect(message).toMatchSnapshot();
    }
  });

  it('stays within Slack limits with every list full, with and without the chart', () => {
    for (const chart of ['attached', 'fallback'] as const) {
      const digest = { metrics: maximal(metrics), narrative: 'y'.repeat(2_500) };
      const { main, details } = digestMessages(digest, { chart });
      for (const view of [main, details, digestView(digest, { chart, preview: true })]) {
        const { blocks, text } = renderMessage(view);
        expect(blockKitProblems(blocks as AnyBlock[], 'message')).toEqual([]);
        expect(blocks.length).toBeLessThanOrEqual(50);
        expect(text.length).toBeLessThanOrEqual(4_000);
      }
    }
  });
});
