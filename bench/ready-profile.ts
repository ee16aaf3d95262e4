/**
 * `npx tsx bench/ready-profile.ts [N]`: the "ready" phase of bench/partitions.ts alone
 * (1-node cluster with a data folder, one topic of N partitions, one record sent to each),
 * split into its steps, with the GC time of each (a PerformanceObserver on 'gc'). Run it
 * under `node --cpu-prof --import tsx` to profile the phase.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { subscribe } from 'node:diagnostics_channel';
import { PerformanceObserver } from 'node:perf_hooks';
import { Cluster } from '../src/index.js';

const n = Number(process.argv[2] ?? 10_000);
let gcMs = 0;
let gcCount = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcCount++;
  }
}).observe({ entryTypes: ['gc'] });

// Fencings of the broker and partition elections in the phase: under load a broker that
// misses its heartbeats is fenced, and every partition it leads moves twice (away, back).
const events = { fenced: 0, unfenced: 0, elections: 0 };
subscribe('tributary:fencing', (m) => ((m as { fenced: boolean }).fenced ? events.fenced++ : events.unfenced++));
subscribe('tributary:election', () => events.elections++);

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-ready-'));
try {
  {
    // The file floor of bench/partitions.ts: the same creations alone (a folder, a segment file with one record).
    const root = mkdtempSync(join(dataDir, 'floor-'));
    const record = Buffer.alloc(80, 1);
    const c = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      mkdirSync(join(root, `bench-${i}`));
      const fd = openSync(join(root, `bench-${i}`, '00000000000000000000.log'), 'a+');
      writeSync(fd, record);
      closeSync(fd);
    }
    const u = process.cpuUsage(c);
    console.log(`file floor ${(performance.now() - t).toFixed(0)} ms wall, ${((u.user + u.system) / 1000).toFixed(0)} ms CPU (${(u.system / 1000).toFixed(0)} system)`);
  }
  const cluster = await Cluster.start({ nodes: 1, dataDir });
  const admin = cluster.admin();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let last = t0;
  let lastGc = 0;
  let lastCpu = c0;
  const step = (what: string): void => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const cpuMs = (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000;
    const sysMs = (cpu.system - lastCpu.system) / 1000;
    console.log(`${what.padEnd(34)} ${(now - last).toFixed(0).padStart(6)} ms wall ${cpuMs.toFixed(0).padStart(6)} ms CPU (${sysMs.toFixed(0)} system) ${(gcMs - lastGc).toFixed(0).padStart(5)} ms GC`);
    last = now;
    lastGc = gcMs;
    lastCpu = cpu;
  };
  const first = Math.min(9_999, n);
  await admin.createTopics([{ name: 'bench', partitions: first }]);
  for (let total = first + 10_000; total - 10_000 < n; total += 10_000) await admin.createPartitions('bench', Math.min(total, n));
  step('createTopics answered');
  const producer = cluster.producer({ lingerMs: 5 });
  // The first record of partition 0 waits for the metadata (the producer's first refresh).
  await producer.send('bench', [{ partition: 0, value: 'v0' }]);
  step('first record accepted');
  const window = 2000;
  for (let from = 1; from < n; from += window) {
    await Promise.all(Array.from({ length: Math.min(window, n - from) }, (_, i) => producer.send('bench', [{ partition: from + i, value: `v${from + i}` }])));
  }
  step(`the other ${n - 1} records accepted`);
  await producer.close();
  const total = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  console.log(`ready ${(total / 1000).toFixed(2)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, GC ${gcMs.toFixed(0)} ms in ${gcCount} pauses, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, load ${loadavg()[0]!.toFixed(1)}; fenced ${events.fenced}, unfenced ${events.unfenced}, elections ${events.elections}`);
  await cluster.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
