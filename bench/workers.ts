/**
 * The workers section (issue 11), every row measured in the same run, each case in a
 * fresh process (bench/workers-cases.ts):
 * - the Producer in a worker vs in the cluster's thread (target: worker ≥ 0.8 of main);
 * - a 3-node RF 3 acks=all cluster, `threads: 'per-node'` vs `'inline'` (target ≥ 1.3x),
 *   with CPU µs per record;
 * - start+close of a 3-node `'per-node'` cluster (target < 300 ms), beside `'inline'`;
 * - a consumer group member in a worker vs in the main thread (target ≥ 0.8);
 * - e2e latency from a producer worker to a consumer worker at 10,000 rec/s (target p99 < 1 ms).
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fmt, runCase, table } from './lib.js';

async function median3(file: string, arg: string, metric: string): Promise<{ value: number; runs: Record<string, number | string>[] }> {
  const runs: Record<string, number | string>[] = [];
  for (let i = 0; i < 3; i++) runs.push(await runCase(file, [arg]));
  const values = runs.map((r) => Number(r[metric])).sort((a, b) => a - b);
  return { value: values[1]!, runs };
}

export async function workersBench(): Promise<string> {
  const f = './workers-cases.ts';
  let out = `## Workers\n\nEach row: the median of three runs, each a fresh process. Load average at the start: ${loadavg().map((l) => l.toFixed(1)).join(', ')} (a shared 2-core machine: figures are ratios measured in one run, not absolutes).\n\n`;

  const prodMain = await median3(f, 'main', 'recordsPerSec');
  const prodWorker = await median3(f, 'worker', 'recordsPerSec');
  out += `### Producer in a worker vs in the cluster's thread (1 node, 100-byte records, calls of 1,000, 4 in flight)\n\n${table(['where', 'rec/s (runs)', 'median'], [
    ['main thread', prodMain.runs.map((r) => fmt(Number(r.recordsPerSec))).join(', '), fmt(prodMain.value)],
    ['worker', prodWorker.runs.map((r) => fmt(Number(r.recordsPerSec))).join(', '), fmt(prodWorker.value)],
  ])}\n\nworker / main: **${fmt(prodWorker.value / prodMain.value, 2)}** (target ≥ 0.8)\n\n`;

  const rf3Inline = await median3(f, 'rf3:inline', 'recordsPerSec');
  const rf3PerNode = await median3(f, 'rf3:per-node', 'recordsPerSec');
  const cpu = (m: { runs: Record<string, number | string>[] }) => m.runs.map((r) => `${r.cpuUsPerRecord} µs / ${r.cores} cores`).join('; ');
  out += `### 3 nodes, RF 3, acks=all, producer in the main thread (3 partitions, 100-byte records, calls of 1,000, 4 in flight)\n\n${table(['threads', 'rec/s (runs)', 'median', 'CPU per record / cores busy (runs)'], [
    ["'inline'", rf3Inline.runs.map((r) => fmt(Number(r.recordsPerSec))).join(', '), fmt(rf3Inline.value), cpu(rf3Inline)],
    ["'per-node'", rf3PerNode.runs.map((r) => fmt(Number(r.recordsPerSec))).join(', '), fmt(rf3PerNode.value), cpu(rf3PerNode)],
  ])}\n\nper-node / inline: **${fmt(rf3PerNode.value / rf3Inline.value, 2)}** (target ≥ 1.3)\n\n`;

  const starts = ['start:inline', 'start:per-node', ...(existsSync(new URL('../dist/index.js', import.meta.url)) ? ['start:per-node@dist'] : [])];
  const startRows: (string | number)[][] = [];
  for (const s of starts) {
    const r = await runCase(f, [s]);
    startRows.push([s.slice(6), fmt(Number(r.firstMs)), fmt(Number(r.medianMs)), fmt(Number(r.cpuMs))]);
  }
  out += `### Start + close of a 3-node cluster (five in one process)\n\n${table(['threads', 'first ms', 'median ms', 'CPU ms (all threads)'], startRows)}\n\nTarget for 'per-node': < 300 ms. From source every worker loads TypeScript through tsx; '@dist' is the built package.\n\n`;

  const groupMain = await median3(f, 'group:main', 'recordsPerSec');
  const groupWorker = await median3(f, 'group:worker', 'recordsPerSec');
  out += `### Consumer group member reading 200,000 records (1 node, 4 partitions)\n\n${table(['where', 'rec/s (runs)', 'median'], [
    ['main thread', groupMain.runs.map((r) => fmt(Number(r.recordsPerSec))).join(', '), fmt(groupMain.value)],
    ['worker', groupWorker.runs.map((r) => fmt(Number(r.recordsPerSec))).join(', '), fmt(groupWorker.value)],
  ])}\n\nworker / main: **${fmt(groupWorker.value / groupMain.value, 2)}** (target ≥ 0.8)\n\n`;

  const e2e = await median3(f, 'e2e', 'p99Ms');
  out += `### e2e latency, producer worker → consumer worker, 10,000 rec/s (1 node in the main thread)\n\n${table(['run', 'records measured', 'p50 ms', 'p99 ms'], e2e.runs.map((r, i) => [i + 1, fmt(Number(r.measured)), fmt(Number(r.p50Ms), 3), fmt(Number(r.p99Ms), 3)]))}\n\nmedian p99: **${fmt(e2e.value, 3)} ms** (target < 1 ms)\n`;
  return `${out}\nLoad average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')}.\n`;
}
