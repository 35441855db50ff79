import { describe, expect, it } from 'vitest';
import { chartAltText, chartTitle } from '../../../src/core/digest/chart.port.js';
import type { DigestMetrics } from '../../../src/core/digest/digest.model.js';
import {
  EchartsChartRenderer,
  frictionChartSvg,
  NO_STAGE_COLOUR,
  STAGE_COLOURS,
  stageColour,
} from '../../../src/digest/chart.echarts.js';

const history: DigestMetrics['history'] = {
  periods: ['2 Feb', '9 Feb', '16 Feb', '23 Feb', '2 Mar', '9 Mar', '16 Mar', '23 Mar'].map(
    (label, i) => ({
      key: `2026-W${String(6 + i).padStart(2, '0')}`,
      label,
    }),
  ),
  series: [
    { ref: 'customer/buy', name: 'Buy', counts: [0, 0, 0, 0, 0, 0, 1, 1], slot: 1 },
    { ref: 'customer/onboard', name: 'Onboard', counts: [3, 1, 0, 2, 0, 0, 1, 2], slot: 2 },
    { ref: 'unassigned', name: 'No stage yet', counts: [0, 0, 0, 0, 0, 0, 0, 1] },
  ],
  shipped: [0, 0, 0, 0, 1, 0, 0, 2],
};

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('digest chart (ECharts server-side SVG, resvg PNG)', () => {
  it('draws friction by stage over the weeks as a sharp PNG with its numbers as alt text', async () => {
    const image = await new EchartsChartRenderer().frictionByStage(
      history,
      'Friction by journey stage',
    );
    expect(image.data.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(pngSize(image.data)).toEqual({ width: 1600, height: 840 });
    expect(image.filename).toBe('pebblebot-friction-2026-W13.png');
    expect(image.altText).toBe(
      'Stacked bar chart. New pebbles per journey stage, weeks of 2 Feb to 23 Mar, oldest first; the last bar is this week (23 Mar). ' +
        'Pebbles per week by stage: Buy: 0, 0, 0, 0, 0, 0, 1, 1; Onboard: 3, 1, 0, 2, 0, 0, 1, 2; No stage yet: 0, 0, 0, 0, 0, 0, 0, 1. ' +
        'Improvements shipped in the weeks of 2 Mar (1), 23 Mar (2).',
    );
  });

  it('puts the stages, weeks, title, shipping marks and this week in the drawing', () => {
    const svg = frictionChartSvg(history, chartTitle(history));
    for (const text of [
      'New pebbles per journey stage, weeks of 2 Feb to 23 Mar',
      'Onboard',
      'Buy',
      '23 Mar',
      'This week',
      '1 shipped',
      '2 shipped',
    ])
      expect(svg).toContain(text);
  });

  it('gives each stage the colour of its catalog place in every chart, and grey to no stage', () => {
    const svg = frictionChartSvg(history, 'Friction');
    expect(stageColour(history.series[0]!)).toBe(STAGE_COLOURS[1]);
    expect(stageColour(history.series[1]!)).toBe(STAGE_COLOURS[2]);
    expect(stageColour(history.series[2]!)).toBe(NO_STAGE_COLOUR);
    for (const colour of [STAGE_COLOURS[1], STAGE_COLOURS[2], NO_STAGE_COLOUR])
      expect(svg.toLowerCase()).toContain(colour.toLowerCase());
    // Another week's chart, with Buy alone: Buy keeps its colour.
    const later = { ...history, series: [history.series[0]!] };
    expect(frictionChartSvg(later, 'Friction').toLowerCase()).toContain(
      STAGE_COLOURS[1].toLowerCase(),
    );
    expect(stageColour({ ref: 'customer/buy', slot: 1 })).toBe(STAGE_COLOURS[1]);
  });

  it('draws an empty chart for a workspace with no friction yet', async () => {
    const empty = { periods: history.periods, series: [], shipped: [] };
    const image = await new EchartsChartRenderer().frictionByStage(empty, 'Friction');
    expect(pngSize(image.data).width).toBe(1600);
    expect(chartAltText(empty)).toBe(
      'New pebbles per journey stage, weeks of 2 Feb to 23 Mar: no pebble was reported in the 8 weeks shown.',
    );
    expect(frictionChartSvg(empty, 'Friction')).toContain('No pebble was reported in these weeks');
  });
});
