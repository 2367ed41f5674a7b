/**
 * The main demo: a child process moves money between two accounts that live in
 * two different segments, one transaction per transfer, and reports every
 * commit that returned. The parent kills it with SIGKILL mid-stream, reopens
 * the store (which recovers from the redo log) and checks what RVM promises:
 * every acknowledged commit is there, no transaction is half-applied across
 * the two segments, and the total amount of money is unchanged.
 *
 * Run: npm run demo   (or: pnpm demo:run)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rvm } from '@rvm/core';

const ACCOUNTS = 1000;
const INITIAL = 1_000;
const KILLS = 5;

function openAccounts(dir: string) {
  const rvm = Rvm.open(dir);
  const checking = rvm.map('checking', ACCOUNTS * 8);
  const savings = rvm.map('savings', ACCOUNTS * 8);
  return { rvm, checking, savings };
}

/** Child: transfers forever, printing the sequence number of each commit that returned. */
function child(dir: string): void {
  const { rvm, checking, savings } = openAccounts(dir);
  let sequence = Number(checking.bytes.readBigUInt64LE(0));
  process.stdout.write('ready\n');
  for (;;) {
    const account = 1 + Math.floor(Math.random() * (ACCOUNTS - 1));
    const amount = 1 + Math.floor(Math.random() * 10);
    const tx = rvm.begin();
    tx.setRange(checking, 0, 8);
    tx.setRange(checking, account * 8, 8);
    tx.setRange(savings, account * 8, 8);
    checking.bytes.writeBigUInt64LE(BigInt(++sequence), 0);
    checking.bytes.writeDoubleLE(checking.bytes.readDoubleLE(account * 8) - amount, account * 8);
    savings.bytes.writeDoubleLE(savings.bytes.readDoubleLE(account * 8) + amount, account * 8);
    tx.commit(); // a flush commit: durable when it returns
    process.stdout.write(`${sequence}\n`);
  }
}

async function runChild(dir: string, lifeMs: number): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', self, 'child', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acknowledged = 0;
  let buffered = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') setTimeout(() => proc.kill('SIGKILL'), lifeMs);
      else acknowledged = Number(line);
    }
  });
  await new Promise((resolve) => proc.on('exit', resolve));
  return acknowledged;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rvm-demo-'));
  try {
    const setup = openAccounts(dir);
    const tx = setup.rvm.begin();
    tx.setRange(setup.checking, 0, ACCOUNTS * 8);
    for (let a = 1; a < ACCOUNTS; a++) setup.checking.bytes.writeDoubleLE(INITIAL, a * 8);
    tx.commit();
    setup.rvm.close();
    const total = (ACCOUNTS - 1) * INITIAL;
    console.log(`store ${dir}: ${ACCOUNTS - 1} accounts across segments "checking" and "savings", ${total} in total`);
    for (let round = 1; round <= KILLS; round++) {
      const lifeMs = 100 + Math.floor(Math.random() * 300);
      const acknowledged = await runChild(dir, lifeMs);
      const { rvm, checking, savings } = openAccounts(dir);
      const recovered = Number(checking.bytes.readBigUInt64LE(0));
      let sum = 0;
      for (let a = 1; a < ACCOUNTS; a++) sum += checking.bytes.readDoubleLE(a * 8) + savings.bytes.readDoubleLE(a * 8);
      const report = rvm.query().recovery;
      rvm.close();
      const ok = recovered >= acknowledged && sum === total;
      console.log(
        `kill ${round}: child killed with SIGKILL after ${lifeMs} ms; ${acknowledged} commits acknowledged, ` +
          `${recovered} recovered (${report.recordCount} log records replayed), total ${sum}: ${ok ? 'OK' : 'VIOLATION'}`,
      );
      if (!ok) {
        process.exitCode = 1;
        return;
      }
    }
    console.log('every acknowledged commit survived SIGKILL, and no transfer was ever half-applied across the two segments.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') child(process.argv[3]!);
else await main();
