import type { DigestChartRenderer } from '../core/digest/chart.port.js';

/**
 * The digest's chart renderer, loaded on first use: ECharts and resvg are only needed once a
 * week, so a process that never sends a digest never loads them.
 */
export function createChartRenderer(): DigestChartRenderer {
  let renderer: Promise<DigestChartRenderer> | undefined;
  return {
    async frictionByStage(history, title) {
      renderer ??= import('./chart.echarts.js').then((m) => new m.EchartsChartRenderer());
      return (await renderer).frictionByStage(history, title);
    },
  };
}
