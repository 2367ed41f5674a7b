import os from 'node:os';
import { readConfig } from './config.js';
import { describeMachine, TempRoot } from './environment.js';
import type { Measurement, Workload } from './harness.js';
import { runWorkload } from './harness.js';
import { physicalWorkloads } from './physical.js';
import { computeRows, formatMarkdown, formatRate, formatTable, timestampOf, writeResult } from './report.js';
import { runScale, SCALE_WORKLOAD } from './scale.js';
import { SUBJECT_MODULES } from './subjects/index.js';
import { commitWorkloads } from './workloads/commit.js';
import { kvWorkloads } from './workloads/kv.js';
import { rvmbenchWorkloads } from './workloads/rvmbench.js';

/**
 * Entry of `pnpm bench`: physical limits, then commit, rvmbench and key-value workloads over every
 * subject module (subjects/index.ts), then the scale sweep; prints one table and writes
 * results/<timestamp>.json, results/latest.json (and .md, and the scale charts).
 */
async function main(): Promise<void> {
  const config = readConfig();
  const machine = describeMachine();
  const startedAt = new Date();
  const timestamp = timestampOf(startedAt);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`rvm bench ${config.quick ? '(BENCH_QUICK) ' : ''}${config.roundCount} rounds, seed ${config.seed}`);
  log(`node ${machine.node} on ${machine.platform}, ${machine.cpuCount} x ${machine.cpuModel}`);
  log(`temp ${machine.tmpDir} on ${machine.fsType} (${machine.fsSource}); load average ${formatLoad(machine.loadAverageStart)}`);

  const all: Workload[] = [
    ...physicalWorkloads(config),
    ...commitWorkloads(config, SUBJECT_MODULES),
    ...rvmbenchWorkloads(config, SUBJECT_MODULES),
    ...kvWorkloads(config, SUBJECT_MODULES),
  ];
  const selected = all.filter((workload) => config.only === null || config.only.test(workload.name));
  const runScaleSweep = config.only === null || config.only.test(SCALE_WORKLOAD);

  const temp = new TempRoot();
  const measurements: Measurement[] = [];
  try {
    for (const [index, workload] of selected.entries()) {
      const start = performance.now();
      const results = await runWorkload(workload, config, temp);
      measurements.push(...results);
      const seconds = (performance.now() - start) / 1000;
      const summary = results.map((result) => `${result.subject} ${formatRate(result.rate)}`).join(', ');
      log(`[${String(index + 1).padStart(2)}/${selected.length}] ${workload.name}: ${summary} ${workload.unit} (${seconds.toFixed(1)} s)`);
    }
  } finally {
    temp.remove();
  }

  const scale = runScaleSweep ? await runScale(config, timestamp, log) : null;
  const rows = computeRows(measurements, all);
  const finishedAt = new Date();
  const loadAverageEnd = os.loadavg();

  const table = formatTable(rows);
  process.stdout.write(`\n${table}\n`);
  if (scale !== null) process.stdout.write(`\n${scale.table}\n`);
  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    command: `BENCH_QUICK=${config.quick ? 1 : 0} BENCH_ROUNDS=${config.roundCount} pnpm bench`,
    config: { ...config, only: config.only?.source ?? null },
    machine: { ...machine, loadAverageEnd },
    workloads: selected.map(({ name, description, unit, stepCount, itemsPerStep, reference, latency }) => ({
      name,
      description,
      unit,
      stepCount,
      itemsPerStep,
      reference,
      latency,
    })),
    subjects: SUBJECT_MODULES.map(({ name, description, persistent }) => ({ name, description, persistent })),
    rows,
    scale: scale?.points ?? null,
    charts: scale?.charts ?? [],
  };
  const file = writeResult(timestamp, '.json', `${JSON.stringify(result, null, 2)}\n`);
  writeResult(timestamp, '.md', `${formatMarkdown(rows)}\n${scale === null ? '' : `\n${scale.markdown}\n`}`);
  log(`\nload average at the end ${formatLoad(loadAverageEnd)}; ${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s`);
  log(`wrote ${file} and latest.json`);
}

function formatLoad(load: readonly number[]): string {
  return load.map((value) => value.toFixed(2)).join(' ');
}

await main();
