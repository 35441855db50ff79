import { describe, expect, it } from 'vitest';
import { chartAltText } from '../../../src/core/digest/chart.port.js';
import type { DigestMetrics } from '../../../src/core/digest/digest.model.js';
import { EchartsChartRenderer, frictionChartSvg } from '../../../src/digest/chart.echarts.js';

const history: DigestMetrics['history'] = {
  periods: ['2 Feb', '9 Feb', '16 Feb', '23 Feb', '2 Mar', '9 Mar', '16 Mar', '23 Mar'].map(
    (label, i) => ({
      key: `2026-W${String(6 + i).padStart(2, '0')}`,
      label,
    }),
  ),
  series: [
    { ref: 'customer/buy', name: 'Buy', counts: [0, 0, 0, 0, 0, 0, 1, 1] },
    { ref: 'customer/onboard', name: 'Onboard', counts: [3, 1, 0, 2, 0, 0, 1, 2] },
  ],
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
      'Pebbles reported per journey stage, weeks starting 2 Feb, 9 Feb, 16 Feb, 23 Feb, 2 Mar, 9 Mar, 16 Mar, 23 Mar. Buy: 0, 0, 0, 0, 0, 0, 1, 1; Onboard: 3, 1, 0, 2, 0, 0, 1, 2.',
    );
  });

  it('puts the stages, weeks and title in the drawing', () => {
    const svg = frictionChartSvg(history, 'Friction by journey stage');
    for (const text of ['Friction by journey stage', 'Onboard', 'Buy', '23 Mar'])
      expect(svg).toContain(text);
  });

  it('draws an empty chart for a workspace with no friction yet', async () => {
    const empty = { periods: history.periods, series: [] };
    const image = await new EchartsChartRenderer().frictionByStage(empty, 'Friction');
    expect(pngSize(image.data).width).toBe(1600);
    expect(chartAltText(empty)).toBe('No pebble was reported in the 8 weeks shown.');
    expect(frictionChartSvg(empty, 'Friction')).toContain('No pebble was reported in these weeks');
  });
});
