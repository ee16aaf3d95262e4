/**
 * `npx tsx bench/reopen.ts [MiB] [runs]` or `npm run bench -- --only reopen`: reopening a
 * 1-node cluster after a crash that followed a bulk load (issue 13: "under 1 s warm for
 * 5 GiB"), and again after a clean close.
 *
 * A child process bulk-loads `MiB` (default 5120, or `TRIBUTARY_REOPEN_MIB`) into a topic
 * of 4 partitions with 64 MiB segments (acks=1, 1,000-byte records) and SIGKILLs itself
 * 2 s after its last acknowledgement (rolled segments flushed, tails not). A fresh
 * process then times `Cluster.start` plus the first `listOffsets` on the folder, warm
 * (the page cache still holds the files), counts what the reopen read (`rchar` of
 * /proc/self/io: bytes through read system calls, load-independent) and what recovery
 * scanned (`tributary:recovery`); then closes cleanly and does the same again.
 */
import { spawnSync } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../src/index.js';
import { fmt, runCase, table, report } from './lib.js';

const self = fileURLToPath(import.meta.url);
const mib = (bytes: number): number => bytes / 1024 / 1024;

function readBytesSoFar(): number {
  return Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
}

async function bulkLoadAndDie(dataDir: string, sizeMiB: number): Promise<never> {
  const cluster = await Cluster.start({ nodes: 1, dataDir });
  await cluster.admin().createTopics([{ name: 'bulk', partitions: 4, configs: { 'segment.bytes': String(64 * 1024 * 1024) } }]);
  const producer = cluster.producer({ acks: 1, lingerMs: 1 });
  const value = Buffer.alloc(1000, 7);
  const target = sizeMiB * 1024 * 1024;
  const calls: Promise<unknown>[] = [];
  for (let sent = 0, i = 0; sent < target; sent += 1000 * 1000, i++) {
    calls.push(producer.send('bulk', Array.from({ length: 1000 }, (_, j) => ({ partition: (i + j) % 4, value }))));
    if (calls.length >= 8) await calls.shift();
  }
  await Promise.all(calls);
  // Rolled segments are flushed and the recovery points written (they may wait up to 1 s); the tails are not.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

/** Times one start on `dataDir`: Cluster.start plus the first listOffsets, the bytes read, the bytes recovery scanned. */
async function timedStart(dataDir: string): Promise<{ ms: number; readMiB: number; scannedMiB: number; cluster: Cluster }> {
  let scanned = 0;
  const onRecovery = (m: unknown): void => {
    const e = m as { phase: string; bytes: number };
    if (e.phase === 'end') scanned += e.bytes;
  };
  subscribe('tributary:recovery', onRecovery);
  const read0 = readBytesSoFar();
  const t0 = performance.now();
  const cluster = await Cluster.start({ nodes: 1, dataDir });
  await cluster.admin().listOffsets('bulk', 'latest');
  const ms = performance.now() - t0;
  const readMiB = mib(readBytesSoFar() - read0);
  return { ms, readMiB, scannedMiB: mib(scanned), cluster };
}

async function measure(dataDir: string): Promise<void> {
  const crash = await timedStart(dataDir);
  await crash.cluster.close();
  const clean = await timedStart(dataDir);
  await clean.cluster.close();
  report({ name: 'reopen', crashMs: crash.ms, crashReadMiB: crash.readMiB, crashScannedMiB: crash.scannedMiB, cleanMs: clean.ms, cleanReadMiB: clean.readMiB, cleanScannedMiB: clean.scannedMiB });
}

/** One crash and two reopens, each in a process of its own. */
async function runOnce(sizeMiB: number): Promise<{ load: number; totalMiB: number; r: Record<string, number | string> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-reopen-'));
  try {
    const child = spawnSync(process.execPath, ['--import', 'tsx', self, '--crash-child', dataDir, String(sizeMiB)], { stdio: 'inherit' });
    if (child.signal !== 'SIGKILL') throw new Error(`the crash child ended with ${child.status ?? child.signal}`);
    const du = spawnSync('du', ['-sb', join(dataDir, 'node-1')], { encoding: 'utf8' });
    const totalMiB = mib(Number(du.stdout.split('\t')[0]));
    const load = loadavg()[0]!;
    const r = await runCase('./reopen.ts', ['--measure', dataDir]);
    return { load, totalMiB, r };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function reopenBench(sizeMiB = Number(process.env.TRIBUTARY_REOPEN_MIB ?? 5120), runs = 1): Promise<string> {
  const rows: (string | number)[][] = [];
  for (let run = 0; run < runs; run++) {
    const { load, totalMiB, r } = await runOnce(sizeMiB);
    const crashMs = r.crashMs as number;
    rows.push([
      `run ${run + 1}, load ${fmt(load, 1)}`,
      `${fmt(totalMiB)} MiB`,
      `${fmt(crashMs)} ms`,
      `${fmt(r.crashScannedMiB as number, 1)} MiB scanned, ${fmt(r.crashReadMiB as number, 1)} MiB read`,
      `${fmt(r.cleanMs as number)} ms`,
      `${fmt(r.cleanScannedMiB as number, 1)} MiB scanned, ${fmt(r.cleanReadMiB as number, 1)} MiB read`,
      crashMs < 1000 ? 'met' : 'MISSED',
    ]);
  }
  const intro = `A 1-node cluster bulk-loaded with ${fmt(sizeMiB)} MiB (4 partitions, 64 MiB segments, acks=1) and SIGKILLed 2 s after its last acknowledgement; then, each in a fresh process, \`Cluster.start\` plus the first \`listOffsets\`, warm, after the crash and again after a clean close. "read": bytes through read system calls during the start (/proc/self/io rchar).`;
  return `## Reopen after a crash following a bulk load\n\n${intro}\n\n${table(['run', 'data', 'crash reopen', 'crash reopen read', 'clean reopen', 'clean reopen read', 'target: crash reopen < 1 s'], rows)}\n`;
}

if (process.argv[2] === '--crash-child') {
  await bulkLoadAndDie(process.argv[3]!, Number(process.argv[4]));
} else if (process.argv[2] === '--measure') {
  await measure(process.argv[3]!);
} else if (process.argv[1] === self) {
  const sizeMiB = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  console.log(await reopenBench(sizeMiB, Number(process.argv[3] ?? 1)));
}
