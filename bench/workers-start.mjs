// Start and close a 3-node cluster five times from the built package (`dist/`), in plain
// Node (no TypeScript loader: what a user runs), and print one JSON line. Run by
// bench/workers.ts as `node bench/workers-start.mjs <threads>`.
import { Cluster } from '../dist/index.js';

const threads = process.argv[2] ?? 'per-node';
const times = [];
const cpus = [];
for (let i = 0; i < 5; i++) {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const cluster = await Cluster.start({ nodes: 3, threads });
  const started = performance.now() - t;
  await cluster.close();
  const used = process.cpuUsage(cpu);
  times.push([performance.now() - t, started]);
  cpus.push((used.user + used.system) / 1000);
}
const sorted = times.map((x) => x[0]).sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ name: `start:${threads}@dist`, firstMs: Math.round(times[0][0]), firstCpuMs: Math.round(cpus[0]), medianMs: Math.round(sorted[2]), startMs: times.map((x) => Math.round(x[1])).join(' '), allMs: times.map((x) => Math.round(x[0])).join(' '), cpuMs: Math.round([...cpus].sort((a, b) => a - b)[2]) })}\n`);
