/**
 * `npx tsx bench/keyed-only.ts [partitions] [rounds]`: the keyed phase of bench/partitions.ts
 * alone, for profiling (`node --cpu-prof --import tsx ...`) and `strace -c -f`: a 1-node
 * cluster with a data folder, one topic of N partitions (default 10,000), one record into
 * each (so every partition's files exist), then `rounds` (default 1) runs of the keyed
 * produce of bench/partitions.ts (200,000 records with distinct keys in calls of 1,000, 8
 * calls in flight, acks=1, lingerMs 1). Prints per round: rec/s, CPU (user + system) of the
 * process, CPU per record and the load average.
 */
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../src/index.js';

const partitions = Number(process.argv[2] ?? 10_000);

/** The event loop thread's own CPU so far, in microseconds (Linux: utime + stime of its task, 10 ms ticks); the process's figure also counts the write-behind and libuv threads. */
function mainThreadCpuUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
const rounds = Number(process.argv[3] ?? 1);
const keyedRecords = 200_000;

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-keyed-'));
try {
  const cluster = await Cluster.start({ nodes: 1, dataDir });
  const admin = cluster.admin();
  // At most 10,000 metadata records a request (a topic record and 9,999 partitions), as bench/partitions.ts.
  await admin.createTopics([{ name: 'bench', partitions: Math.min(partitions, 9_999) }]);
  if (partitions > 9_999) await admin.createPartitions('bench', partitions);
  const warm = cluster.producer({ lingerMs: 5 });
  for (let from = 0; from < partitions; from += 2000) {
    await Promise.all(Array.from({ length: Math.min(2000, partitions - from) }, (_, i) => warm.send('bench', [{ partition: from + i, value: 'v' }])));
  }
  await warm.close();
  const profTo = process.env.TRIBUTARY_PROF;
  const heapTo = process.env.TRIBUTARY_HEAP;
  const session = profTo === undefined && heapTo === undefined ? undefined : new Session();
  if (session !== undefined) session.connect();
  if (profTo !== undefined) {
    await session!.post('Profiler.enable');
    await session!.post('Profiler.setSamplingInterval', { interval: 200 });
    await session!.post('Profiler.start');
  }
  // Every sample kept (not only those alive at the end): what the keyed phase allocates.
  if (heapTo !== undefined) await session!.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  let batches = 0;
  if (process.env.TRIBUTARY_COUNT !== undefined) subscribe('tributary:produce', () => void batches++);
  for (let r = 0; r < rounds; r++) {
    batches = 0;
    const producer = cluster.producer({ acks: 1, lingerMs: 1 });
    const value = 'x'.repeat(100);
    const c0 = process.cpuUsage();
    const m0 = mainThreadCpuUs();
    const t0 = performance.now();
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < keyedRecords; i += 1000) {
      calls.push(producer.send('bench', Array.from({ length: 1000 }, (_, j) => ({ key: `key-${r}-${i + j}`, value }))));
      if (calls.length >= 8) await calls.shift();
    }
    await Promise.all(calls);
    const ms = performance.now() - t0;
    const u = process.cpuUsage(c0);
    const mainUs = mainThreadCpuUs() - m0;
    await producer.close();
    const cpuMs = (u.user + u.system) / 1000;
    console.log(`round ${r}: ${Math.round(keyedRecords / (ms / 1000)).toLocaleString('en-US')} rec/s, CPU ${(cpuMs / 1000).toFixed(2)} s (user ${(u.user / 1e6).toFixed(2)}, sys ${(u.system / 1e6).toFixed(2)}), ${((cpuMs * 1000) / keyedRecords).toFixed(2)} us/record, load ${loadavg()[0]!.toFixed(1)}${batches > 0 ? `, ${batches} batches (${(keyedRecords / batches).toFixed(2)} records a batch, ${((cpuMs * 1000) / batches).toFixed(2)} us a batch, ${(mainUs / batches).toFixed(2)} us on the event loop thread)` : ''}`);
  }
  if (profTo !== undefined) writeFileSync(profTo, JSON.stringify((await session!.post('Profiler.stop')).profile));
  if (heapTo !== undefined) writeFileSync(heapTo, JSON.stringify((await session!.post('HeapProfiler.stopSampling')).profile));
  session?.disconnect();
  await cluster.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
