import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert } from './assert.js';
import type { Measurement, Target, Workload } from './harness.js';
import { rowKey } from './harness.js';

/** A measurement with its ratio against the workload's reference row and its target. */
export interface Row extends Measurement {
  readonly reference: string;
  /** rate / reference rate, or null when the reference row did not run (BENCH_ONLY). */
  readonly ratio: number | null;
  readonly target: string | null;
  readonly met: boolean | null;
}

/** bench/results/, or BENCH_RESULTS_DIR (the smoke test's, so that it leaves latest.json alone). */
export const RESULTS_DIR = process.env['BENCH_RESULTS_DIR'] ?? fileURLToPath(new URL('../results/', import.meta.url));

/** Known figures may differ by this factor before a row is flagged (machines vary). */
const KNOWN_FACTOR = 2;

export function computeRows(measurements: readonly Measurement[], workloads: readonly Workload[]): Row[] {
  const byKey = new Map<string, Measurement>();
  for (const measurement of measurements) {
    const key = rowKey(measurement.workload, measurement.subject);
    assert(!byKey.has(key), 'row keys are unique');
    byKey.set(key, measurement);
  }
  const workloadByName = new Map(workloads.map((workload) => [workload.name, workload]));
  return measurements.map((measurement) => {
    const workload = workloadByName.get(measurement.workload);
    assert(workload !== undefined, 'every measurement comes from a known workload');
    const referenceRate = byKey.get(workload.reference)?.rate;
    const target = workload.targets?.[measurement.subject];
    const judged = target === undefined ? null : judgeAll(measurement, workload, target, byKey);
    return {
      ...measurement,
      reference: workload.reference,
      ratio: referenceRate === undefined ? null : measurement.rate / referenceRate,
      target: judged?.text ?? null,
      met: judged?.met ?? null,
    };
  });
}

/**
 * Several targets on one row (e.g. >=2.5x lmdb and >=1x sqlite) are met only if each is met:
 * met is false if any target is missed, else null if any could not be judged (its row did
 * not run), else true.
 */
function judgeAll(
  measurement: Measurement,
  workload: Workload,
  target: Target | readonly Target[],
  byKey: ReadonlyMap<string, Measurement>,
): { text: string; met: boolean | null } {
  const targets: readonly Target[] = isTargetList(target) ? target : [target];
  assert(targets.length > 0, 'a target list is not empty');
  const judged = targets.map((one) => judge(measurement, workload, one, byKey));
  const met = judged.some((one) => one.met === false) ? false : judged.some((one) => one.met === null) ? null : true;
  return { text: judged.map((one) => one.text).join(', '), met };
}

function isTargetList(target: Target | readonly Target[]): target is readonly Target[] {
  return Array.isArray(target);
}

function judge(
  measurement: Measurement,
  workload: Workload,
  target: Target,
  byKey: ReadonlyMap<string, Measurement>,
): { text: string; met: boolean | null } {
  if (target.kind === 'known') {
    const met = measurement.rate >= target.value / KNOWN_FACTOR && measurement.rate <= target.value * KNOWN_FACTOR;
    return { text: `~${formatRate(target.value)} known`, met };
  }
  // A bare subject name (`lmdb`) means that subject's row in the same workload.
  const versus = target.versus === undefined ? workload.reference : target.versus.includes('/') ? target.versus : rowKey(workload.name, target.versus);
  const versusRate = byKey.get(versus)?.rate;
  const text = `>=${target.value}x ${shortKey(versus, measurement.workload)}`;
  if (versusRate === undefined) return { text, met: null };
  return { text, met: measurement.rate >= target.value * versusRate };
}

/** A row key shown relative to the row's own workload: `lmdb` rather than `kv.get/lmdb`. */
function shortKey(key: string, workload: string): string {
  return key.startsWith(`${workload}/`) ? key.slice(workload.length + 1) : key;
}

export function formatRate(rate: number): string {
  if (rate >= 100) return Math.round(rate).toLocaleString('en-US');
  return rate.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
}

function formatMicroseconds(value: number | null): string {
  if (value === null) return '';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

function formatRatio(ratio: number | null): string {
  if (ratio === null) return '';
  if (ratio >= 100) return `${Math.round(ratio)}x`;
  if (ratio >= 10) return `${ratio.toFixed(1)}x`;
  return `${ratio.toFixed(2)}x`;
}

const CUT_NOTE = '* some rounds stopped at BENCH_ROUND_SECONDS_MAX before their last step; the rate counts the steps that ran.';

const HEADER = ['workload', 'subject', 'rate', 'unit', 'p50 us', 'p99 us', 'spread', 'ratio', 'vs', 'target', 'met?'];
const RIGHT_ALIGNED = new Set(['rate', 'p50 us', 'p99 us', 'spread', 'ratio']);

function cells(row: Row): string[] {
  return [
    row.workload,
    row.subject,
    `${formatRate(row.rate)}${row.roundCutCount > 0 ? '*' : ''}`,
    row.unit,
    formatMicroseconds(row.latencyP50Us),
    formatMicroseconds(row.latencyP99Us),
    `${Math.round(row.spread * 100)}%`,
    formatRatio(row.ratio),
    shortKey(row.reference, row.workload),
    row.target ?? '',
    row.met === null ? '' : row.met ? 'yes' : 'NO',
  ];
}

/** The aligned plain-text table printed at the end of a run. */
export function formatTable(rows: readonly Row[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  const lines = table.map((line) =>
    line
      .map((cell, column) => (RIGHT_ALIGNED.has(HEADER[column]!) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  if (rows.some((row) => row.roundCutCount > 0)) lines.push(CUT_NOTE);
  return lines.join('\n');
}

/** The same table as Markdown, for pasting into a README. */
export function formatMarkdown(rows: readonly Row[]): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `| ${HEADER.map((name) => (RIGHT_ALIGNED.has(name) ? '---:' : '---')).join(' | ')} |`];
  for (const row of rows) lines.push(`| ${cells(row).join(' | ')} |`);
  if (rows.some((row) => row.roundCutCount > 0)) lines.push('', CUT_NOTE);
  return lines.join('\n');
}

/** A file-name-safe UTC timestamp, e.g. 2025-01-31T12-00-00Z. */
export function timestampOf(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** Writes `<timestamp><suffix>` and `latest<suffix>` into the results directory; returns the first path. */
export function writeResult(timestamp: string, suffix: string, content: string): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${timestamp}${suffix}`);
  fs.writeFileSync(file, content);
  fs.writeFileSync(path.join(RESULTS_DIR, `latest${suffix}`), content);
  return file;
}
