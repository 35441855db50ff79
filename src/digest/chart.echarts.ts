import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import { BarChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TitleComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import {
  chartAltText,
  type ChartImage,
  type DigestChartRenderer,
} from '../core/digest/chart.port.js';
import type { DigestMetrics } from '../core/digest/digest.model.js';

echarts.use([
  BarChart,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TitleComponent,
  SVGRenderer,
]);

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

/**
 * One colour per journey stage, the same in every chart of every digest: a stage keeps the
 * colour of its place in the catalog (Okabe–Ito, readable with the common colour-vision
 * deficiencies). Grey is kept for pebbles with no stage yet.
 */
export const STAGE_COLOURS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
] as const;
export const NO_STAGE_COLOUR = '#9E9E9E';

/** A stage's colour: by catalog place, else (a stage outside the catalog) by its ref. */
export function stageColour(series: { ref: string; slot?: number | undefined }): string {
  if (series.ref === 'unassigned') return NO_STAGE_COLOUR;
  if (series.slot !== undefined) return STAGE_COLOURS[series.slot % STAGE_COLOURS.length]!;
  let hash = 0;
  for (const ch of series.ref) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return STAGE_COLOURS[hash % STAGE_COLOURS.length]!;
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
    const labels = history.periods.map((p) => p.label);
    const current = labels.at(-1);
    // Marks ride on one series; an empty chart gets a transparent one to carry them.
    const marks = {
      markArea: current
        ? {
            silent: true,
            itemStyle: { color: 'rgba(255, 213, 79, 0.25)' },
            label: { show: false },
            data: [[{ xAxis: current }, { xAxis: current }]],
          }
        : undefined,
      markLine: {
        silent: true,
        symbol: ['none', 'triangle'],
        lineStyle: { color: '#333333', type: 'dashed', width: 1.5 },
        label: { show: true, position: 'end', fontFamily: FONT_FAMILY },
        data: labels.flatMap((label, i) => {
          const count = history.shipped[i] ?? 0;
          return count > 0 ? [{ xAxis: label, label: { formatter: `${count} shipped` } }] : [];
        }),
      },
    };
    const series = empty
      ? [{ name: '', type: 'bar', data: labels.map(() => 0), ...marks }]
      : history.series.map((s, i) => ({
          name: s.name,
          type: 'bar',
          stack: 'pebbles',
          emphasis: { disabled: true },
          itemStyle: { color: stageColour(s) },
          data: s.counts,
          ...(i === 0 ? marks : {}),
        }));
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: FONT_FAMILY },
      title: {
        text: title,
        subtext: empty
          ? 'No pebble was reported in these weeks'
          : 'New pebbles per week; dashed line: an improvement shipped that week',
        left: 'center',
        textStyle: { fontSize: 16, fontFamily: FONT_FAMILY },
        subtextStyle: { fontFamily: FONT_FAMILY },
      },
      legend: {
        show: !empty,
        bottom: 0,
        type: 'plain',
        itemGap: 18,
        textStyle: { fontFamily: FONT_FAMILY },
      },
      grid: { left: 48, right: 24, top: 80, bottom: 72 },
      xAxis: {
        type: 'category',
        data: labels,
        axisLabel: {
          fontFamily: FONT_FAMILY,
          // The current week's label is bold too: not only its colour says which it is.
          interval: 0,
          formatter: (value: string) => (value === current ? `{now|${value}\nThis week}` : value),
          rich: { now: { fontWeight: 'bold', fontFamily: FONT_FAMILY } },
        },
      },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { fontFamily: FONT_FAMILY } },
      series,
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
