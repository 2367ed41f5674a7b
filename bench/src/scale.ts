import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assert } from './assert.js';
import type { BenchConfig } from './config.js';
import { formatRate, writeResult } from './report.js';
import { SUBJECT_MODULES } from './subjects/index.js';
import type { ChartSeries } from './svg-chart.js';
import { lineChart } from './svg-chart.js';

/**
 * The scale sweep: for 10^4, 10^5, ... up to BENCH_SCALE_MAX entries (10^6 by default,
 * 10^5 in quick mode), every subject with kvGet (unless it says scaleSweep: false) is loaded
 * in a fresh child process, which reports load rate (entries/s, including open), median
 * random-get rate and resident memory. Charts of get rate and of resident memory added by
 * the store are written next to the JSON results. RSS counts the pages of memory-mapped
 * files that were touched (lmdb), the whole segment Buffer (RVM reads its segments into
 * memory) and everything the JS heap holds (memory); it is what the machine pays either way.
 */
export const SCALE_WORKLOAD = 'scale';
const CHILD = fileURLToPath(new URL('./scale-child.ts', import.meta.url));

export interface ScalePoint {
  readonly subject: string;
  readonly entryCount: number;
  readonly loadRate: number;
  readonly getRate: number;
  readonly getRates: readonly number[];
  /** RSS after building the shared dataset, before opening the subject. */
  readonly baselineSize: number;
  readonly loadedSize: number;
  readonly afterGetsSize: number;
}

export interface ScaleResult {
  readonly points: readonly ScalePoint[];
  readonly charts: readonly string[];
  readonly table: string;
  readonly markdown: string;
}

export function scaleEntryCounts(config: BenchConfig): number[] {
  const counts: number[] = [];
  for (let count = 10_000; count <= config.scaleEntryCountMax; count *= 10) counts.push(count);
  return counts;
}

export async function runScale(config: BenchConfig, timestamp: string, log: (line: string) => void): Promise<ScaleResult> {
  const subjects = SUBJECT_MODULES.filter((module) => module.kvGet !== undefined && module.scaleSweep !== false).map((module) => module.name);
  const points: ScalePoint[] = [];
  for (const entryCount of scaleEntryCounts(config)) {
    for (const subject of subjects) {
      const start = performance.now();
      const point = await runChild(subject, entryCount);
      points.push(point);
      log(
        `scale ${subject} ${entryCount.toLocaleString('en-US')}: load ${formatRate(point.loadRate)}/s, get ${formatRate(point.getRate)}/s, ` +
          `rss +${megabytes(storeSize(point))} MB (${((performance.now() - start) / 1000).toFixed(1)} s)`,
      );
    }
  }

  const seriesOf = (value: (point: ScalePoint) => number): ChartSeries[] =>
    subjects.map((name) => ({
      name,
      points: points.filter((point) => point.subject === name).map((point) => ({ x: point.entryCount, y: value(point) })),
    }));
  const charts = [
    writeResult(
      timestamp,
      '-scale-get.svg',
      lineChart({ title: 'Random get (decoded) vs entries', xLabel: 'entries', yLabel: 'get/s', xLog: true, yLog: true, series: seriesOf((point) => point.getRate) }),
    ),
    writeResult(
      timestamp,
      '-scale-rss.svg',
      lineChart({
        title: 'Resident memory added by the store vs entries',
        xLabel: 'entries',
        yLabel: 'bytes (RSS after gets - RSS before open)',
        xLog: true,
        yLog: true,
        series: seriesOf((point) => Math.max(storeSize(point), 1 << 20)),
      }),
    ),
    writeResult(
      timestamp,
      '-scale-load.svg',
      lineChart({ title: 'Load rate vs entries', xLabel: 'entries', yLabel: 'entries/s', xLog: true, yLog: true, series: seriesOf((point) => point.loadRate) }),
    ),
  ];
  const header = ['subject', 'entries', 'load/s', 'get/s', 'store RSS MB'];
  const lines = points.map((point) => [
    point.subject,
    point.entryCount.toLocaleString('en-US'),
    formatRate(point.loadRate),
    formatRate(point.getRate),
    megabytes(storeSize(point)),
  ]);
  const widths = header.map((_, column) => Math.max(header[column]!.length, ...lines.map((line) => line[column]!.length)));
  const table = [header, ...lines]
    .map((line) => line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '))
    .join('\n');
  const markdown = [`| ${header.join(' | ')} |`, `| --- | ${header.slice(1).map(() => '---:').join(' | ')} |`, ...lines.map((line) => `| ${line.join(' | ')} |`)].join('\n');
  return { points, charts, table, markdown };
}

/** Resident memory the store added: after the get rounds, minus before opening it. */
function storeSize(point: ScalePoint): number {
  return Math.max(0, point.afterGetsSize - point.baselineSize);
}

function megabytes(size: number): string {
  return (size / 1e6).toFixed(1);
}

function runChild(subject: string, entryCount: number): Promise<ScalePoint> {
  return new Promise((resolve, reject) => {
    // execArgv carries tsx's loader and --conditions=source; --expose-gc lets the child
    // collect garbage before reading RSS.
    const child = fork(CHILD, [subject, String(entryCount)], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let point: ScalePoint | null = null;
    child.on('message', (message) => {
      point = message as ScalePoint;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 || point === null) {
        reject(new Error(`scale child ${subject} ${entryCount} failed: exit ${code} ${signal ?? ''}`));
        return;
      }
      assert(point.subject === subject && point.entryCount === entryCount, 'the child measured what it was asked');
      resolve(point);
    });
  });
}
