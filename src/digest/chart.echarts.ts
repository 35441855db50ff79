import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import {
  chartAltText,
  type ChartImage,
  type DigestChartRenderer,
} from '../core/digest/chart.port.js';
import type { DigestMetrics } from '../core/digest/digest.model.js';

echarts.use([BarChart, GridComponent, LegendComponent, TitleComponent, SVGRenderer]);

const WIDTH = 800;
const HEIGHT = 420;
/** Rendered at twice the layout size, so the PNG stays sharp on high-density screens. */
const SCALE = 2;
const FONT_FAMILY = 'DejaVu Sans';

/**
 * The font ships with the app (npm package dejavu-fonts-ttf): slim container images have no
 * system fonts, and resvg draws no text without one.
 */
function fontFile(): string {
  return createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
}

/** The chart as SVG (Apache ECharts' server-side rendering: no DOM, no canvas). */
export function frictionChartSvg(history: DigestMetrics['history'], title: string): string {
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: WIDTH,
    height: HEIGHT,
  });
  try {
    const empty = history.series.length === 0;
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: FONT_FAMILY },
      title: {
        text: title,
        subtext: empty ? 'No pebble was reported in these weeks' : 'New pebbles per week',
        left: 'center',
        textStyle: { fontSize: 16, fontFamily: FONT_FAMILY },
        subtextStyle: { fontFamily: FONT_FAMILY },
      },
      legend: { bottom: 0, type: 'plain', itemGap: 18, textStyle: { fontFamily: FONT_FAMILY } },
      grid: { left: 48, right: 24, top: 72, bottom: 72 },
      xAxis: {
        type: 'category',
        data: history.periods.map((p) => p.label),
        axisLabel: { fontFamily: FONT_FAMILY },
      },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { fontFamily: FONT_FAMILY } },
      series: history.series.map((s) => ({
        name: s.name,
        type: 'bar',
        stack: 'pebbles',
        emphasis: { disabled: true },
        data: s.counts,
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * Renders the digest chart with Apache ECharts (server-side SVG) and converts it to PNG with
 * resvg (a Rust renderer shipped as a prebuilt napi binary inside its npm package): no native
 * canvas, no headless browser, nothing downloaded at install time.
 */
export class EchartsChartRenderer implements DigestChartRenderer {
  private readonly font = fontFile();

  frictionByStage(history: DigestMetrics['history'], title: string): Promise<ChartImage> {
    const svg = frictionChartSvg(history, title);
    const png = new Resvg(svg, {
      background: '#ffffff',
      fitTo: { mode: 'width', value: WIDTH * SCALE },
      font: { loadSystemFonts: false, fontFiles: [this.font], defaultFontFamily: FONT_FAMILY },
    })
      .render()
      .asPng();
    const last = history.periods.at(-1)?.key ?? 'digest';
    return Promise.resolve({
      data: png,
      filename: `pebblebot-friction-${last}.png`,
      title,
      altText: chartAltText(history),
    });
  }
}
