/**
 * The workers section (issue 11), every row measured in the same run, each case in a
 * fresh process (bench/workers-cases.ts), the load average beside every figure (a shared
 * 2-core machine: the rate of a multi-threaded case follows the share of the machine it
 * gets; CPU per record does not):
 * - the Producer in a worker vs in the cluster's thread (target: worker ≥ 0.8 of main);
 * - a 3-node RF 3 acks=all cluster, `threads: 'per-node'` vs `'inline'` (target ≥ 1.3x),
 *   with CPU µs per record, and its ceiling beside it (bench/pernode-ceiling.ts: the
 *   skeleton of per-node's messages, no broker work, and the messages a real run posts);
 * - start+close of a 3-node `'per-node'` cluster (target < 300 ms), beside `'inline'`,
 *   from the built package in plain Node (`workers-start.mjs`) and from source (tsx);
 * - a consumer group member in a worker vs in the main thread (target ≥ 0.8), with CPU µs
 *   per record;
 * - e2e latency from a producer worker to a consumer worker at 10,000 rec/s (target p99 <
 *   1 ms), beside the same producer and consumer in the cluster's thread.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fmt, runCase, table, type CaseResult } from './lib.js';
import { pernodeCeilingSection } from './pernode-ceiling.js';

type Run = CaseResult & { load: number };

const load1 = (): number => Number(loadavg()[0]!.toFixed(1));

async function run(file: string, arg: string): Promise<Run> {
  const load = load1();
  return { ...(await runCase(file, [arg])), load };
}

/** `bench/workers-start.mjs` in plain Node (no TypeScript loader in the process or its workers: what a user of the package runs). */
async function runPlain(arg: string): Promise<Run> {
  const load = load1();
  const path = fileURLToPath(new URL('./workers-start.mjs', import.meta.url));
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [path, arg], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`workers-start.mjs ${arg} exited ${code}: ${text}`))));
  });
  return { ...(JSON.parse(out.trim().split('\n').pop()!) as CaseResult), load };
}

async function median3(file: string, arg: string, metric: string): Promise<{ value: number; runs: Run[] }> {
  const runs: Run[] = [];
  for (let i = 0; i < 3; i++) runs.push(await run(file, arg));
  const values = runs.map((r) => Number(r[metric])).sort((a, b) => a - b);
  return { value: values[1]!, runs };
}

const rates = (m: { runs: Run[] }): string => m.runs.map((r) => `${fmt(Number(r.recordsPerSec))} (${r.load})`).join(', ');
const cpus = (m: { runs: Run[] }): string => m.runs.map((r) => `${r.cpuUsPerRecord} µs${r.cores !== undefined ? ` / ${r.cores} cores` : ''}`).join('; ');

export async function workersBench(): Promise<string> {
  const f = './workers-cases.ts';
  let out = `## Workers\n\nEach row: three runs, each a fresh process, the 1-minute load average at its start in parentheses (a shared 2-core machine: ratios are measured in one run; CPU per record counts every thread of the process and is the figure that does not depend on the load).\n\n`;

  const prodMain = await median3(f, 'main', 'recordsPerSec');
  const prodWorker = await median3(f, 'worker', 'recordsPerSec');
  out += `### Producer in a worker vs in the cluster's thread (1 node, 100-byte records, calls of 1,000, 4 in flight; 1,000 calls measured after 2,000 of warm-up, both sides alike; WARMUP_CALLS=100 gives the figure before session 8)\n\n${table(['where', 'rec/s (load)', 'median', 'CPU per record'], [
    ['main thread', rates(prodMain), fmt(prodMain.value), cpus(prodMain)],
    ['worker', rates(prodWorker), fmt(prodWorker.value), cpus(prodWorker)],
  ])}\n\nworker / main: **${fmt(prodWorker.value / prodMain.value, 2)}** (target ≥ 0.8)\n\n`;

  const rf3Inline = await median3(f, 'rf3:inline', 'recordsPerSec');
  const rf3PerNode = await median3(f, 'rf3:per-node', 'recordsPerSec');
  out += `### 3 nodes, RF 3, acks=all, producer in the main thread (3 partitions, 100-byte records, calls of 1,000, 4 in flight; 1,000 calls measured after 3,000 of warm-up, while every isolate's JIT settles)\n\n${table(['threads', 'rec/s (load)', 'median', 'CPU per record / cores busy'], [
    ["'inline'", rates(rf3Inline), fmt(rf3Inline.value), cpus(rf3Inline)],
    ["'per-node'", rates(rf3PerNode), fmt(rf3PerNode.value), cpus(rf3PerNode)],
  ])}\n\nper-node / inline: **${fmt(rf3PerNode.value / rf3Inline.value, 2)}**; pairwise: ${rf3PerNode.runs.map((r, i) => fmt(Number(r.recordsPerSec) / Number(rf3Inline.runs[i]!.recordsPerSec), 2)).join(', ')} (target ≥ 1.3)\n\n`;
  // Beside the row, not instead of it: the same cases with 16 calls in flight (the
  // producer's window, 5 batches a partition, stays full at 4 already; bench/results/2026-12-07k-rounds.md).
  const rf3Inline16 = await median3(f, 'rf3:inline@16', 'recordsPerSec');
  const rf3PerNode16 = await median3(f, 'rf3:per-node@16', 'recordsPerSec');
  out += `#### The same, 16 calls in flight (a second row beside the one above; the target is judged on the row above)\n\n${table(['threads', 'rec/s (load)', 'median', 'CPU per record / cores busy'], [
    ["'inline', 16 in flight", rates(rf3Inline16), fmt(rf3Inline16.value), cpus(rf3Inline16)],
    ["'per-node', 16 in flight", rates(rf3PerNode16), fmt(rf3PerNode16.value), cpus(rf3PerNode16)],
  ])}\n\nper-node / inline at 16 in flight: **${fmt(rf3PerNode16.value / rf3Inline16.value, 2)}**; pairwise: ${rf3PerNode16.runs.map((r, i) => fmt(Number(r.recordsPerSec) / Number(rf3Inline16.runs[i]!.recordsPerSec), 2)).join(', ')}\n\n`;
  out += `#### The ceiling beside it: per-node's messages alone\n\nThe skeleton of 'per-node' (bench/pernode-ceiling.ts): the calling thread and three workers with the ports the supervisor makes, and per call of 1,000 records (4 in flight) the messages a real run posts: the Produce requests to each partition's leader with their batches (the real run's sizes, in 64 KiB buffers that come back with the answers), each leader's answers to its two followers' parked fetches with those bytes (copied into fresh buffers, transferred), the followers' next fetches, and the Produce answers once both followers have fetched past the batch; no broker and no producer work at all. Its records a second is the most 'per-node' can do with this message pattern on this machine, measured in the same run as the 'inline' row above. Two forms bracket the real run's count of fetch rounds (the table below it: the real run's posts counted by bench/workers-probe.cjs): a fetch answer with every byte past the follower's offset (fewer rounds than the real run) and with one batch only (more).\n\n${await pernodeCeilingSection(rf3Inline, rf3PerNode)}\n`;

  const startRows: (string | number)[][] = [];
  const dist = existsSync(new URL('../dist/index.js', import.meta.url));
  for (const s of ['per-node', 'inline']) {
    if (!dist) break;
    for (let i = 0; i < 2; i++) {
      const r = await runPlain(s);
      startRows.push([`${s} (dist, node)`, fmt(Number(r.firstMs)), String(r.allMs), fmt(Number(r.medianMs)), fmt(Number(r.cpuMs)), r.load]);
    }
  }
  for (const s of ['start:per-node', 'start:inline']) {
    const r = await run(f, s);
    startRows.push([`${s.slice(6)} (source, tsx)`, fmt(Number(r.firstMs)), String(r.allMs), fmt(Number(r.medianMs)), fmt(Number(r.cpuMs)), r.load]);
  }
  out += `### Start + close of a 3-node cluster (five in one process)\n\n${table(['threads (from)', 'first ms', 'all ms', 'median ms', 'CPU ms (median, all threads)', 'load'], startRows)}\n\nTarget for 'per-node': < 300 ms. From \`dist\` in plain Node is what a user runs; from source every new worker loads TypeScript through tsx (a figure of the harness). With 'per-node' the first start boots three workers; the later ones run on the idle workers of the nodes that closed (\`src/cluster/worker-pool.ts\`).\n\n`;

  const groupMain = await median3(f, 'group:main', 'recordsPerSec');
  const groupWorker = await median3(f, 'group:worker', 'recordsPerSec');
  out += `### Consumer group member reading 1,000,000 records (1 node, 4 partitions)\n\n${table(['where', 'rec/s (load)', 'median', 'CPU per record'], [
    ['main thread', rates(groupMain), fmt(groupMain.value), cpus(groupMain)],
    ['worker', rates(groupWorker), fmt(groupWorker.value), cpus(groupWorker)],
  ])}\n\nworker / main: **${fmt(groupWorker.value / groupMain.value, 2)}** (target ≥ 0.8)\n\n`;

  const e2eMain = await median3(f, 'e2e:main', 'p99Ms');
  const e2e = await median3(f, 'e2e', 'p99Ms');
  const e2eRows = (m: { runs: Run[] }, where: string) => m.runs.map((r) => [where, fmt(Number(r.measured)), fmt(Number(r.p50Ms), 3), fmt(Number(r.p99Ms), 3), fmt(Number(r.maxMs), 1), `${r.cpuUsPerRecord} µs`, r.load]);
  out += `### e2e latency at 10,000 rec/s (1 node in the main thread; the first 6 s, while three isolates' JIT settles, not measured)\n\n${table(['producer → consumer', 'records measured', 'p50 ms', 'p99 ms', 'max ms', 'CPU per record', 'load'], [...e2eRows(e2eMain, 'both in the main thread'), ...e2eRows(e2e, 'worker → worker')])}\n\nmedian p99: worker → worker **${fmt(e2e.value, 3)} ms**, both in the main thread ${fmt(e2eMain.value, 3)} ms (target < 1 ms)\n`;
  return `${out}\nLoad average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')}.\n`;
}
