import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderText } from '../../../src/console/render-text.js';
import type { DigestMetrics } from '../../../src/core/digest/digest.model.js';
import { narrateNumbers } from '../../../src/core/digest/numbers.narrator.js';
import type { Store } from '../../../src/store/store.port.js';
import { digestView, SECTION_MAX } from '../../../src/views/digest.view.js';
import { seededWeekMetrics } from './dataset.js';
import { maximal } from './maximal.js';

let store: Store;
let metrics: DigestMetrics;

beforeAll(async () => {
  ({ store, metrics } = await seededWeekMetrics());
});

afterAll(async () => {
  await store.close();
});

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
