/**
 * `node bench/ready-dist.mjs [partitions] [dist|src] [restart]` (default 10000 dist; `src`
 * needs `node --import tsx`; `restart` also times a clean restart and its first records): the ready phase of `bench/partitions.ts` (a topic of N partitions
 * created on a 1-node cluster with a data folder, then one record sent to each), timed
 * against the built package in plain Node, as a user runs it, or against the source.
 *
 * Prints the wall time and the user and system CPU of the phase, and beside them, in the
 * same process and the same parent folder, the **file floor**: the N folder + segment file
 * creations alone (what the kernel must do for N new partitions whatever the code), with its
 * own system CPU. The system time of the ready phase is mostly those creations, and on a
 * shared ext4 disk it swings several-fold between runs (bench/results/2026-12-07g-ready.md
 * says why): read "ready" against the floor printed beside it, never alone.
 *
 * Past 9,999 partitions the topic grows by `createPartitions` (one request writes at most
 * 10,000 metadata records, Kafka's limit), as in bench/partitions.ts.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const n = Number(process.argv[2] ?? 10000);
const from = process.argv[3] ?? 'dist';
const { Cluster } = await import(from === 'src' ? '../src/index.ts' : '../dist/index.js');
const base = mkdtempSync(join(tmpdir(), 'tributary-ready-dist-'));
const s = (us) => (us / 1e6).toFixed(2);

/** The floor: N times a folder and a segment file with one record, in a folder beside the data. */
function floor() {
  const root = mkdtempSync(join(base, 'floor-'));
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
  return { s: (performance.now() - t) / 1000, user: u.user, system: u.system };
}

try {
  const f = floor();
  const dir = mkdtempSync(join(base, 'data-'));
  const cluster = await Cluster.start({ dataDir: dir });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const admin = cluster.admin();
  const first = Math.min(9999, n);
  await admin.createTopics([{ name: 'bench', partitions: first }]);
  for (let total = first + 10000; total - 10000 < n; total += 10000) await admin.createPartitions('bench', Math.min(total, n));
  const createMs = performance.now() - t0;
  const producer = cluster.producer({ lingerMs: 5 });
  for (let at = 0; at < n; at += 2000) {
    await Promise.all(Array.from({ length: Math.min(2000, n - at) }, (_, i) => producer.send('bench', [{ partition: at + i, value: `v${at + i}` }])));
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  // With --expose-gc: the heap the ready phase left (what every later GC must mark).
  globalThis.gc?.();
  const heap = globalThis.gc === undefined ? '' : `, heap after GC ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`;
  console.log(`${from === 'src' ? 'source, tsx' : 'dist, plain node'}: ${n} partitions: create ${createMs.toFixed(0)} ms, ready ${(ms / 1000).toFixed(2)} s, CPU user ${s(cpu.user)} s system ${s(cpu.system)} s; file floor ${f.s.toFixed(2)} s (user ${s(f.user)} s system ${s(f.system)} s)${heap}; load ${loadavg()[0].toFixed(1)}`);
  await producer.close();
  await cluster.close();
  if (process.argv[4] === 'restart') {
    // Issue 13's other target: a clean restart of the node (`Cluster.start`), then every
    // partition takes one more record (each log opens at its first request).
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    const again = await Cluster.start({ dataDir: dir });
    const startMs = performance.now() - t1;
    const p2 = again.producer({ lingerMs: 5 });
    for (let at = 0; at < n; at += 2000) {
      await Promise.all(Array.from({ length: Math.min(2000, n - at) }, (_, i) => p2.send('bench', [{ partition: at + i, value: `w${at + i}` }])));
    }
    const restartMs = performance.now() - t1;
    const cpu1 = process.cpuUsage(c1);
    console.log(`clean restart: Cluster.start ${(startMs / 1000).toFixed(2)} s, every partition accepted a record at ${(restartMs / 1000).toFixed(2)} s, CPU user ${s(cpu1.user)} s system ${s(cpu1.system)} s; load ${loadavg()[0].toFixed(1)}`);
    await p2.close();
    await again.close();
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
