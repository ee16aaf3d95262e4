/**
 * `node bench/ready-dist.mjs [partitions] [dist|src]` (default 9000 dist; `src` needs
 * `node --import tsx`): the ready phase of `bench/partitions.ts` (a topic of N partitions
 * created on a 1-node cluster with a data folder, then one record sent to each), timed
 * against the built package in plain Node, as a user runs it, or against the source. Prints
 * the wall time and the user and system CPU of the phase: the system time is the kernel
 * creating each partition's folder and segment file. N at most 9,999 (one createTopics).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const n = Number(process.argv[2] ?? 9000);
const from = process.argv[3] ?? 'dist';
const { Cluster } = await import(from === 'src' ? '../src/index.ts' : '../dist/index.js');
const dir = mkdtempSync(join(tmpdir(), 'ready-dist-'));
const cluster = await Cluster.start({ dataDir: dir });
const c0 = process.cpuUsage();
const t0 = performance.now();
await cluster.admin().createTopics([{ name: 'bench', partitions: n }]);
const createMs = performance.now() - t0;
const producer = cluster.producer({ lingerMs: 5 });
for (let first = 0; first < n; first += 2000) {
  await Promise.all(Array.from({ length: Math.min(2000, n - first) }, (_, i) => producer.send('bench', [{ partition: first + i, value: `v${first + i}` }])));
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
console.log(`${from === 'src' ? 'source, tsx' : 'dist, plain node'}: ${n} partitions: create ${createMs.toFixed(0)} ms, ready ${(ms / 1000).toFixed(2)} s, CPU user ${(cpu.user / 1e6).toFixed(2)} s system ${(cpu.system / 1e6).toFixed(2)} s, load ${loadavg()[0].toFixed(1)}`);
await producer.close();
await cluster.close();
rmSync(dir, { recursive: true, force: true });
