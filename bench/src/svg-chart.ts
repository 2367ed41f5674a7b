import { assert } from './assert.js';

/**
 * A small hand-written SVG line chart (no dependency): one or more series of (x, y) points,
 * each axis linear or logarithmic, grid lines at round values, a legend. Enough for the
 * scale sweep; the output is a standalone file any browser shows.
 */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog: boolean;
  readonly yLog: boolean;
  readonly series: readonly ChartSeries[];
}

const WIDTH = 720;
const HEIGHT = 440;
const MARGIN = { left: 80, right: 150, top: 48, bottom: 60 } as const;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'] as const;

interface Axis {
  readonly log: boolean;
  readonly low: number;
  readonly high: number;
  readonly ticks: readonly number[];
}

export function lineChart(spec: ChartSpec): string {
  const points = spec.series.flatMap((series) => series.points);
  assert(points.length > 0, 'a chart has points');
  const xAxis = makeAxis(points.map((point) => point.x), spec.xLog);
  const yAxis = makeAxis(points.map((point) => point.y), spec.yLog);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const toX = (x: number): number => MARGIN.left + fraction(xAxis, x) * plotWidth;
  const toY = (y: number): number => MARGIN.top + (1 - fraction(yAxis, y)) * plotHeight;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escape(spec.title)}</text>`);
  for (const tick of xAxis.ticks) {
    const x = round(toX(tick));
    parts.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotHeight}" stroke="#ddd"/>`);
    parts.push(`<text x="${x}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${formatSi(tick)}</text>`);
  }
  for (const tick of yAxis.ticks) {
    const y = round(toY(tick));
    parts.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotWidth}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${y + 4}" text-anchor="end">${formatSi(tick)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 16}" text-anchor="middle">${escape(spec.xLabel)}</text>`);
  parts.push(
    `<text x="18" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 18 ${MARGIN.top + plotHeight / 2})">${escape(spec.yLabel)}</text>`,
  );
  spec.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length]!;
    const sorted = [...series.points].sort((a, b) => a.x - b.x);
    const path = sorted.map((point) => `${round(toX(point.x))},${round(toY(point.y))}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const point of sorted) {
      parts.push(`<circle cx="${round(toX(point.x))}" cy="${round(toY(point.y))}" r="3.5" fill="${color}"><title>${escape(series.name)}: ${formatSi(point.y)} at ${formatSi(point.x)}</title></circle>`);
    }
    const legendY = MARGIN.top + 12 + index * 20;
    const legendX = MARGIN.left + plotWidth + 14;
    parts.push(`<line x1="${legendX}" y1="${legendY - 4}" x2="${legendX + 22}" y2="${legendY - 4}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${legendX + 28}" y="${legendY}">${escape(series.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function makeAxis(values: readonly number[], log: boolean): Axis {
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (log) {
    assert(min > 0, 'a logarithmic axis has positive values');
    const low = 10 ** Math.floor(Math.log10(min));
    const high = Math.max(low * 10, 10 ** Math.ceil(Math.log10(max) - 1e-9));
    const ticks: number[] = [];
    for (let tick = low; tick <= high * 1.000001; tick *= 10) ticks.push(tick);
    return { log, low, high, ticks };
  }
  const high = niceCeiling(max <= 0 ? 1 : max * 1.05);
  const step = high / 5;
  const ticks = [0, 1, 2, 3, 4, 5].map((index) => index * step);
  return { log, low: 0, high, ticks };
}

function fraction(axis: Axis, value: number): number {
  if (axis.log) return (Math.log10(value) - Math.log10(axis.low)) / (Math.log10(axis.high) - Math.log10(axis.low));
  return (value - axis.low) / (axis.high - axis.low);
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten that is >= value. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= value) return factor * power;
  return 10 * power;
}

/** 1500 -> 1.5k, 2000000 -> 2M. */
export function formatSi(value: number): string {
  const units: readonly [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) {
    if (Math.abs(value) >= size) return `${trim(value / size)}${suffix}`;
  }
  return trim(value);
}

function trim(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
