/**
 * The cases of the workers section, each run in a fresh process by bench/workers.ts
 * (`tsx bench/workers-cases.ts <case>`), each printing one JSON line:
 *
 * - `main` / `worker`: a Producer sending 100-byte records in calls of 1,000 (four calls
 *   in flight) to a 1-node cluster in this thread, from this thread or from a worker
 *   through `cluster.createHandle()`; 2,000 calls of warm-up, then 1,000 measured. records/s.
 * - `rf3:inline` / `rf3:per-node` (`@16`: 16 calls in flight): the same Producer in this thread against a 3-node
 *   cluster, a topic of 3 partitions with replication factor 3, acks=all, the nodes in
 *   this thread or one worker each; 3,000 calls of warm-up, then 1,000 measured. records/s and CPU µs per record (the whole process: `process.cpuUsage()`
 *   counts every thread).
 * - `start:inline` / `start:per-node` / `start:per-node@dist`: start and close a 3-node
 *   cluster, five times; the median and the first (`@dist`: from the built package).
 * - `group:main` / `group:worker`: one consumer group member reading 1,000,000 records
 *   already in a 4-partition topic, in this thread or in a worker. records/s, and CPU µs
 *   per record of the whole process while it reads.
 * - `e2e`: a producer in one worker and a consumer in another, 10,000 records/s in calls
 *   of 10 every millisecond, for 5 s after a 6 s warm-up (counted from the producer's
 *   start: its warm-up records are marked and not measured), against a 1-node cluster in
 *   this thread: latency from the send call to the consumer's hands, p50 and p99.
 *   `e2e:main`: the same producer and consumer in the cluster's thread, the peer.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Cluster, connectHandle, type ClusterHandle, type Producer } from '../src/index.js';
import { percentile, report } from './lib.js';
import { mark as traceMark, profileWindow, startTrace, traceEvents, type TraceEvent } from './workers-trace.js';

const TRACE = process.env.E2E_TRACE !== undefined;
if (TRACE) startTrace();
// The e2e case's three threads, each profiled over the same 3 s of the measured span (7-10 s after its start).
const PROFILE = process.env.E2E_PROFILE;
if (PROFILE === 'alloc' || PROFILE === 'cpu') profileWindow(PROFILE, isMainThread ? 'main' : (workerData as { role: string }).role, 7000, 10000);

/**
 * 1,000 calls measured after 2,000 unmeasured (both sides alike). Before session 5: 300 after
 * one, 0.2 s of work in which a fresh isolate's JIT (V8's platform threads compiling) was
 * most of the CPU counted: 1.2-1.5 µs a record against 0.3-0.5 once warm, and the worker
 * side, two isolates, compiles twice. `CALLS=300 WARMUP_CALLS=1` gives that figure.
 * Sessions 5-7 warmed up 100 calls (`WARMUP_CALLS=100`): still compiling, the worker side
 * more (V8's platform threads 100 µs a call against 45 for the main thread, mostly
 * TurboFan: `perf` in bench/results/2026-12-07h-workerp.md), CPU 0.65-0.76 µs a record
 * against 0.47-0.53; after 2,000 calls 0.38-0.45 against 0.31-0.37. Compiling follows the
 * work done, not the time, so the warm-up is counted in calls, as the RF 3 row's.
 */
const CALLS = Number(process.env.CALLS ?? 1000);
const WARMUP_CALLS = Number(process.env.WARMUP_CALLS ?? 2000);
const PER_CALL = 1000;
/**
 * Calls in flight while measuring: 4, or `IN_FLIGHT`; an RF 3 case named `rf3:<threads>@<n>`
 * measures with n (the workers section's second RF 3 row, 16 in flight, both sides alike).
 */
let IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 4);
/** 1,000,000: at 1-2 M rec/s, 200,000 were read in 100-200 ms, too short a span on a loaded machine. */
const GROUP_RECORDS = Number(process.env.GROUP_RECORDS ?? 1_000_000);
const E2E_RATE = 10_000;
const E2E_MS = 5000;
/**
 * 6 s, both sides alike (1 s before session 5, `E2E_WARMUP_MS=1000` for the old figure):
 * the three isolates' JIT runs on V8's platform threads for several seconds, and with 1 s
 * it was 29% of the process's CPU in the measured window (560 ms of 1,690 over 4 s; 68 ms
 * after 6 s), taking the two cores from the threads whose latency is measured.
 */
const E2E_WARMUP_MS = Number(process.env.E2E_WARMUP_MS ?? 6000);
/** The trace sorts every sample slower than this (ms) by the leg that held it and what that leg's thread did meanwhile. */
const SLOW_MS = 0.5;

/** Wall-clock milliseconds with sub-millisecond precision, comparable across the threads of a process. */
const now = (): number => performance.timeOrigin + performance.now();
if (process.env.E2E_DEBUG) {
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 2 }); h.enable();
  const tag = isMainThread ? 'main' : (workerData as { role: string }).role;
  let last = now(); const stalls: string[] = [];
  setInterval(() => { const t = now(); if (t - last > 15) stalls.push(`${performance.now().toFixed(0)}:${(t - last).toFixed(0)}`); last = t; }, 5).unref();
  process.on('exit', () => console.error(tag, 'eld p50', (h.percentile(50) / 1e6).toFixed(2), 'p99', (h.percentile(99) / 1e6).toFixed(2), 'max', (h.max / 1e6).toFixed(1), stalls.join(' ')));
  if (!isMainThread) setTimeout(() => console.error(tag, 'eld p50', (h.percentile(50) / 1e6).toFixed(2), 'p99', (h.percentile(99) / 1e6).toFixed(2), 'max', (h.max / 1e6).toFixed(1), stalls.join(' ')), 7500).unref();
}

/** The last `drive`'s CPU µs per record, the whole process (every thread; `process.cpuUsage()` is per process in a worker too). */
let driveCpuUsPerRecord = NaN;

async function drive(producer: Producer, calls = CALLS, warmupCalls = WARMUP_CALLS): Promise<number> {
  const value = new Uint8Array(100).fill(7);
  const records = Array.from({ length: PER_CALL }, (_, i) => ({ key: `k${i % 64}`, value }));
  for (let i = 0; i < warmupCalls; i++) await producer.send('bench', records); // warm-up
  const started = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < calls) await producer.send('bench', records);
    }),
  );
  const used = process.cpuUsage(cpu);
  driveCpuUsPerRecord = (used.user + used.system) / (calls * PER_CALL);
  return (calls * PER_CALL) / ((performance.now() - started) / 1000);
}

interface WorkerJob {
  role: 'produce' | 'group' | 'e2e-produce' | 'e2e-consume';
  handle: ClusterHandle;
}

function startWorker(job: WorkerJob): Worker {
  // A worker does not inherit `--import tsx` on Node 20: register tsx in it, then load this file.
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  return new Worker(boot, { eval: true, workerData: job, transferList: [job.handle.port] });
}

function firstMessage<T>(w: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

/** Reads GROUP_RECORDS records as one group member: records/s, and CPU µs per record of the whole process (every thread) over the same span. */
async function readGroup(group: { run(h: { eachBatch: (b: { records: readonly unknown[] }) => void }): Promise<void>; close(): Promise<void> }): Promise<{ rate: number; cpuUsPerRecord: number }> {
  let n = 0;
  let started = 0;
  let cpu = process.cpuUsage();
  await new Promise<void>((resolve, reject) => {
    group
      .run({
        eachBatch: (b) => {
          if (started === 0) {
            started = performance.now();
            cpu = process.cpuUsage();
          }
          n += b.records.length;
          if (n >= GROUP_RECORDS) resolve();
        },
      })
      .catch(reject);
  });
  const rate = n / ((performance.now() - started) / 1000);
  const used = process.cpuUsage(cpu);
  await group.close();
  return { rate, cpuUsPerRecord: (used.user + used.system) / n };
}

type Clients = Pick<Cluster, 'producer' | 'consumer'>;

/** The e2e producer: 10,000 records/s in calls of about 10 every millisecond, each record's value its send time. */
async function e2eProduce(remote: Clients): Promise<{ sent: number; cpuUsPerRecord: number }> {
  const producer = remote.producer({ lingerMs: 0, acks: 1 });
  const started = performance.now();
  let sent = 0;
  const pending: Promise<unknown>[] = [];
  // The whole process's CPU (every thread: process.cpuUsage() is per process, in a worker too) over the measured span.
  let cpu: NodeJS.CpuUsage | undefined;
  let sentBefore = 0;
  while (performance.now() - started < E2E_WARMUP_MS + E2E_MS) {
    const due = Math.floor(((performance.now() - started) / 1000) * E2E_RATE);
    if (due > sent) {
      // Records sent in the warm-up carry a `w`: the consumer measures from the producer's warm-up end, whenever each thread started.
      const mark = performance.now() - started < E2E_WARMUP_MS ? 'w' : '';
      if (mark === '' && cpu === undefined) {
        cpu = process.cpuUsage();
        sentBefore = sent;
      }
      const records = Array.from({ length: due - sent }, () => ({ value: mark + String(now()) }));
      sent = due;
      if (TRACE) traceMark(`send x${records.length}`);
      pending.push(producer.send('bench', records));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const used = process.cpuUsage(cpu);
  const cpuUsPerRecord = (used.user + used.system) / (sent - sentBefore);
  pending.push(producer.send('bench', [{ value: 'end' }]));
  await Promise.all(pending);
  await producer.close();
  return { sent, cpuUsPerRecord };
}

/** The e2e consumer: the latency of every record after the warm-up, from its send time to this thread's hands. */
async function e2eConsume(remote: Clients, ready: () => void): Promise<{ n: number; p50: number; p99: number; max: number; slow: [number, number][] }> {
  const consumer = remote.consumer({ maxWaitMs: 100 });
  consumer.assign([{ topic: 'bench', partition: 0 }]);
  await consumer.seek({ topic: 'bench', partition: 0 }, 'latest');
  ready();
  const latencies: number[] = [];
  /** [sent, received] of every measured record, for the trace's slowest samples (the slowest 1%, and every one over `SLOW_MS`). */
  const samples: [number, number][] = [];
  for await (const r of consumer) {
    const at = now();
    const value = Buffer.from(r.value as Uint8Array).toString();
    if (value === 'end') break;
    if (value[0] !== 'w') {
      latencies.push(at - Number(value));
      if (TRACE) samples.push([Number(value), at]);
    }
  }
  await consumer.close();
  latencies.sort((a, b) => a - b);
  samples.sort((a, b) => b[1] - b[0] - (a[1] - a[0]));
  return { n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] ?? NaN, slow: samples.filter((x, i) => i < Math.ceil(samples.length / 100) || x[1] - x[0] > SLOW_MS) };
}

async function inWorker(job: WorkerJob): Promise<void> {
  const remote = await connectHandle(job.handle);
  const port = parentPort!;
  if (job.role === 'produce') {
    const rate = await drive(remote.producer({ lingerMs: 0 }));
    port.postMessage({ rate, cpuUsPerRecord: driveCpuUsPerRecord });
  }
  else if (job.role === 'group') port.postMessage(await readGroup(remote.consumerGroup({ groupId: 'bench', topics: ['bench'], autoOffsetReset: 'earliest' }) as never));
  else if (job.role === 'e2e-produce') port.postMessage({ ...(await e2eProduce(remote)), trace: traceEvents() });
  else port.postMessage({ ...(await e2eConsume(remote, () => port.postMessage('ready'))), trace: traceEvents() });
  await remote.close();
}

async function fill(cluster: Cluster, n: number): Promise<void> {
  const producer = cluster.producer({ lingerMs: 5 });
  const value = new Uint8Array(100).fill(1);
  const records = Array.from({ length: PER_CALL }, (_, k) => ({ key: `k${k % 64}`, value }));
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while ((next += PER_CALL) <= n) await producer.send('bench', records);
  }));
  await producer.close();
}

async function main(which: string): Promise<void> {
  if (which === 'main' || which === 'worker') {
    const cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'bench', partitions: 4 }]);
    let rate: number;
    let cpuUsPerRecord: number;
    if (which === 'worker') {
      const w = startWorker({ role: 'produce', handle: cluster.createHandle() });
      ({ rate, cpuUsPerRecord } = await firstMessage<{ rate: number; cpuUsPerRecord: number }>(w));
      await w.terminate();
    } else {
      rate = await drive(cluster.producer({ lingerMs: 0 }));
      cpuUsPerRecord = driveCpuUsPerRecord;
    }
    await cluster.close();
    report({ name: which, recordsPerSec: Math.round(rate), cpuUsPerRecord: Number(cpuUsPerRecord.toFixed(2)) });
  } else if (which.startsWith('rf3:')) {
    const [threads, inFlight] = which.slice(4).split('@') as ['inline' | 'per-node', string | undefined];
    if (inFlight !== undefined) IN_FLIGHT = Number(inFlight);
    const cluster = await Cluster.start({ nodes: 3, threads });
    await cluster.admin().createTopics([{ name: 'bench', partitions: 3, replicationFactor: 3 }]);
    const producer = cluster.producer({ lingerMs: 0, acks: 'all' });
    // Warm-up: leaders and followers open, and the code gets optimized. With 'per-node'
    // each node's isolate compiles the same code again, and V8's helper threads compile for
    // a long while: after 5 calls of warm-up the measured calls were mostly that compiling
    // (6.2 µs of CPU a record per-node, 2.1-3.1 inline), and after 300 still a third of it
    // (2.3 µs per-node; the helper threads 1.3-1.6 µs a record in the next 300 calls, under
    // 0.25 from about 2,000 calls on: bench/results/2026-12-07g-pernode.md). Compiling
    // follows the work done, not the time (a loaded machine gives the process less of both),
    // so both sides warm up for `RF3_WARMUP_CALLS` (3,000) calls, then measure `RF3_CALLS`
    // (1,000). `RF3_WARMUP_CALLS=300 RF3_CALLS=600` gives the figure before session 7.
    await drive(producer, Number(process.env.RF3_WARMUP_CALLS ?? 3000), 1);
    const calls = Number(process.env.RF3_CALLS ?? 1000);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const rate = await drive(producer, calls, 1);
    const wallS = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const records = (calls + 1) * PER_CALL;
    await cluster.close();
    report({ name: which, recordsPerSec: Math.round(rate), cpuUsPerRecord: Number(((used.user + used.system) / records).toFixed(2)), cores: Number(((used.user + used.system) / 1e6 / wallS).toFixed(2)) });
  } else if (which.startsWith('start:')) {
    // `start:per-node@dist`: the built package (what users run: no TypeScript to load in each worker).
    const [threads, from] = which.slice(6).split('@') as ['inline' | 'per-node', string | undefined];
    const distUrl: string = new URL('../dist/index.js', import.meta.url).href;
    const Start = from === 'dist' ? ((await import(distUrl)) as { Cluster: typeof Cluster }).Cluster : Cluster;
    const times: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      // The whole process's CPU (every thread, the nodes' workers included): what a start costs whatever the machine's load.
      const cpu = process.cpuUsage();
      const cluster = await Start.start({ nodes: 3, threads });
      await cluster.close();
      const used = process.cpuUsage(cpu);
      times.push(performance.now() - t);
      cpus.push((used.user + used.system) / 1000);
    }
    const first = times[0]!;
    const inOrder = times.map((t) => Math.round(t)).join(' ');
    times.sort((a, b) => a - b);
    cpus.sort((a, b) => a - b);
    report({ name: which, firstMs: Math.round(first), medianMs: Math.round(times[2]!), cpuMs: Math.round(cpus[2]!), allMs: inOrder });
  } else if (which.startsWith('group:')) {
    const cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'bench', partitions: 4 }]);
    await fill(cluster, GROUP_RECORDS);
    let read: { rate: number; cpuUsPerRecord: number };
    if (which === 'group:worker') {
      const w = startWorker({ role: 'group', handle: cluster.createHandle() });
      read = await firstMessage<{ rate: number; cpuUsPerRecord: number }>(w);
      await w.terminate();
    } else read = await readGroup(cluster.consumerGroup({ groupId: 'bench', topics: ['bench'], autoOffsetReset: 'earliest' }) as never);
    await cluster.close();
    report({ name: which, recordsPerSec: Math.round(read.rate), cpuUsPerRecord: Number(read.cpuUsPerRecord.toFixed(2)) });
  } else if (which === 'e2e:main') {
    // The same producer and consumer, both in the cluster's thread: the peer of the worker row.
    const cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'bench', partitions: 1 }]);
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const result = e2eConsume(cluster, ready);
    await isReady;
    const { sent, cpuUsPerRecord } = await e2eProduce(cluster);
    const r = await result;
    await cluster.close();
    report({ name: which, sent, measured: r.n, p50Ms: Number(r.p50.toFixed(3)), p99Ms: Number(r.p99.toFixed(3)), maxMs: Number(r.max.toFixed(3)), cpuUsPerRecord: Number(cpuUsPerRecord.toFixed(2)) });
  } else if (which === 'e2e') {
    const cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'bench', partitions: 1 }]);
    const consumer = startWorker({ role: 'e2e-consume', handle: cluster.createHandle() });
    await firstMessage<string>(consumer);
    const result = firstMessage<{ n: number; p50: number; p99: number; max: number; slow: [number, number][]; trace: TraceEvent[] }>(consumer);
    const producer = startWorker({ role: 'e2e-produce', handle: cluster.createHandle() });
    if (TRACE) threadCpu(producer);
    const { sent, cpuUsPerRecord, trace } = await firstMessage<{ sent: number; cpuUsPerRecord: number; trace: TraceEvent[] }>(producer);
    const r = await result;
    if (TRACE) printTrace(r.slow, r.n, { main: traceEvents(), prod: trace, cons: r.trace });
    await Promise.all([producer.terminate(), consumer.terminate()]);
    await cluster.close();
    report({ name: which, sent, measured: r.n, p50Ms: Number(r.p50.toFixed(3)), p99Ms: Number(r.p99.toFixed(3)), maxMs: Number(r.max.toFixed(3)), cpuUsPerRecord: Number(cpuUsPerRecord.toFixed(2)) });
  } else throw new Error(`no case ${which}`);
}

/**
 * CPU ms of each thread of this process (Linux `/proc/self/task/<tid>/schedstat`) over 4 s
 * of the measured phase (from 0.5 s after the warm-up), and the ms each was runnable but
 * waited for a core (on a loaded machine, where the e2e tail goes), to stderr.
 */
function threadCpu(producer: Worker): void {
  /** Per OS thread: CPU ms and ms runnable but waiting for a core (schedstat), and the times it went to sleep (voluntary context switches: each one a wake-up later). */
  const read = (): Map<string, [number, number, number]> => {
    const out = new Map<string, [number, number, number]>();
    for (const t of readdirSync('/proc/self/task')) {
      try {
        const [cpu, wait] = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ').map((x) => Number(x) / 1e6);
        const sleeps = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/self/task/${t}/status`, 'utf8'))?.[1] ?? 0);
        out.set(t, [cpu!, wait!, sleeps]);
      } catch {
        // gone
      }
    }
    return out;
  };
  let before: Map<string, [number, number, number]>;
  producer.once('online', () => {
    setTimeout(() => (before = read()), E2E_WARMUP_MS + 500);
    setTimeout(() => {
      const after = read();
      const rows = [...after].map(([t, [ms, wait, sleeps]]) => {
        const b = before.get(t) ?? [ms, wait, sleeps];
        return [t === String(process.pid) ? 'main' : t, ms - b[0], wait - b[1], sleeps - b[2]] as const;
      }).filter(([, ms]) => ms > 1);
      console.error(`CPU ms by thread over 4 s (10,000 rec/s), with ms waiting for a core and wake-ups a millisecond: ${rows.map(([t, ms, wait, sleeps]) => `${t} ${ms.toFixed(0)} (waited ${wait.toFixed(0)}, ${(sleeps / 4000).toFixed(2)}/ms)`).join(', ')}; total ${rows.reduce((s, [, ms]) => s + ms, 0).toFixed(0)}, waited ${rows.reduce((s, [, , w]) => s + w, 0).toFixed(0)}`);
    }, E2E_WARMUP_MS + 4500);
  });
}

/**
 * The events of every thread around the slowest samples (to stderr): distinct slow
 * episodes (samples whose send times are 5 ms apart), each with the events from 0.5 ms
 * before its send to 0.2 ms after its receipt, times relative to the send.
 */
function printTrace(slowAll: readonly [number, number][], measured: number, traces: Record<string, readonly TraceEvent[]>): void {
  const slow = slowAll.slice(0, Math.ceil(measured / 100));
  const all = Object.entries(traces).flatMap(([who, es]) => es.map((e) => ({ ...e, who }))).sort((a, b) => a.t - b.t);
  const gcs = all.filter((e) => e.what.startsWith('gc'));
  for (const who of Object.keys(traces)) {
    const g = gcs.filter((e) => e.who === who);
    console.error(`${who}: gc pauses ${g.length}, total ${g.reduce((s, e) => s + (e.ms ?? 0), 0).toFixed(1)} ms, over 1 ms: ${g.filter((e) => (e.ms ?? 0) > 1).map((e) => `${e.what} ${(e.ms ?? 0).toFixed(1)}`).join(', ')}`);
  }
  // Messages each thread posted, and the requests or answers they carried, by API, over the run.
  for (const who of Object.keys(traces)) {
    const posts = all.filter((e) => e.who === who && e.what.startsWith('post '));
    const apis = new Map<string, number>();
    for (const e of posts) for (const m of e.what.matchAll(/([a-z?0-9]+)#\d+/g)) apis.set(m[1]!, (apis.get(m[1]!) ?? 0) + 1);
    console.error(`${who}: ${posts.length} messages posted, carrying ${[...apis].map(([api, n]) => `${n} ${api}`).join(', ')}`);
  }
  // Where each slow sample's time went: in the producer's thread before its request was
  // posted, the hop to the cluster's thread (posted to received), in the cluster's thread
  // (its request received to the consumer's fetch answer posted), the hop to the consumer,
  // and in the consumer's thread. Matched by correlation id on each port.
  const of = (who: string) => all.filter((e) => e.who === who);
  const prod = of('prod').filter((e) => e.what.startsWith('post ') && e.what.includes('produce#'));
  const mainRecv = new Map(of('main').filter((e) => e.what.startsWith('recv ') && e.what.includes('produce#')).flatMap((e) => [...e.what.matchAll(/produce#(\d+)/g)].map((m) => [m[1], e.t] as const)));
  const mainFetch = of('main').filter((e) => e.what.startsWith('post ') && e.what.includes('fetch#'));
  const consRecv = new Map(of('cons').filter((e) => e.what.startsWith('recv ') && e.what.includes('fetch#')).flatMap((e) => [...e.what.matchAll(/fetch#(\d+)/g)].map((m) => [m[1], e.t] as const)));
  const fetchIn = new Map(of('main').filter((e) => e.what.startsWith('recv ') && e.what.includes('fetch#')).flatMap((e) => [...e.what.matchAll(/fetch#(\d+)/g)].map((m) => [m[1], e.t] as const)));
  const consAsked = new Map(of('cons').filter((e) => e.what.startsWith('post ') && e.what.includes('fetch#')).flatMap((e) => [...e.what.matchAll(/fetch#(\d+)/g)].map((m) => [m[1], e.t] as const)));
  // Every produce request that carried measured records, not only the slow ones: the cluster
  // thread's leg (its request received to the next fetch answer posted), and whether that
  // fetch answer left before the produce answer (the consumer's thread woken first).
  {
    const legs: number[] = [];
    let fetchFirst = 0;
    const mainPosts = of('main').filter((e) => e.what.startsWith('post '));
    for (const [id, t] of mainRecv) {
      const fetch = mainPosts.find((e) => e.t >= t && e.what.includes('fetch#'));
      const own = new RegExp(`produce#${id}(?!\\d)`);
      const res = mainPosts.find((e) => e.t >= t && own.test(e.what));
      if (fetch === undefined || res === undefined || fetch.t - t > 50) continue;
      legs.push(fetch.t - t);
      if (fetch.t <= res.t && mainPosts.indexOf(fetch) < mainPosts.indexOf(res)) fetchFirst++;
    }
    legs.sort((a, b) => a - b);
    console.error(`cluster thread, a produce request received to the next fetch answer posted (${legs.length}): p50 ${percentile(legs, 50).toFixed(3)} ms, p90 ${percentile(legs, 90).toFixed(3)}, p99 ${percentile(legs, 99).toFixed(3)}; fetch answer posted before the produce answer: ${((100 * fetchFirst) / Math.max(1, legs.length)).toFixed(0)}%`);
  }
  // Was a Fetch parked at the broker when each produce request arrived (the consumer's last
  // Fetch received and not yet answered)? One that was not waits for the consumer's next.
  {
    const fetchPosted = new Map(mainFetch.flatMap((e) => [...e.what.matchAll(/fetch#(\d+)/g)].map((m) => [m[1], e.t] as const)));
    const parked = [...fetchIn].map(([id, t]) => [t, fetchPosted.get(id) ?? Infinity] as const).sort((a, b) => a[0] - b[0]);
    let without = 0;
    let k = 0;
    const arrivals = [...mainRecv.values()].sort((a, b) => a - b);
    for (const t of arrivals) {
      while (k < parked.length - 1 && parked[k + 1]![0] <= t) k++;
      const p = parked[k];
      if (p === undefined || !(p[0] <= t && p[1] > t)) without++;
    }
    const timers = all.filter((e) => e.what.startsWith('timer'));
    const byLabel = new Map<string, [number, number]>();
    for (const e of timers) {
      const key = `${e.who} ${e.what.slice(6, 70)}`;
      const v = byLabel.get(key) ?? [0, 0];
      byLabel.set(key, [v[0] + 1, v[1] + (e.ms ?? 0)]);
    }
    // The consumer's turn-around: a Fetch answer received to its next Fetch posted.
    const consEvents = of('cons').filter((e) => e.what.includes('fetch#'));
    const turnaround: number[] = [];
    for (let i = 0; i < consEvents.length - 1; i++) {
      if (!consEvents[i]!.what.startsWith('recv ')) continue;
      const nextPost = consEvents.slice(i + 1, i + 4).find((e) => e.what.startsWith('post '));
      if (nextPost !== undefined) turnaround.push(nextPost.t - consEvents[i]!.t);
    }
    turnaround.sort((a, b) => a - b);
    console.error(`the consumer's thread, a Fetch answer received to its next Fetch posted (${turnaround.length}): p50 ${percentile(turnaround, 50).toFixed(3)} ms, p90 ${percentile(turnaround, 90).toFixed(3)}, p99 ${percentile(turnaround, 99).toFixed(3)}`);
    console.error(`produce requests that found no Fetch parked at the broker: ${without} of ${arrivals.length} (${((100 * without) / Math.max(1, arrivals.length)).toFixed(1)}%); timer callbacks over 0.05 ms: ${timers.length}${[...byLabel].sort((a, b) => b[1][1] - a[1][1]).slice(0, 6).map(([l, [n, ms]]) => `; ${l}: ${n}, ${ms.toFixed(1)} ms`).join('')}`);
  }
  const LEGS = ['producer thread', 'hop to the cluster', 'the consumer not yet asking again', 'its fetch on the way', 'cluster thread', 'hop to the consumer', 'consumer thread'];
  /** The thread whose turn each leg waits for: the one that must run for the leg to end. */
  const LEG_THREAD = ['prod', 'main', 'cons', 'main', 'main', 'cons', 'cons'];
  /** A sample's leg boundaries (send, request posted, received, the consumer's fetch asked, at the cluster, answer posted, received, in hand), or undefined when the trace does not match it. */
  const legsOf = (sent: number, got: number): number[] | undefined => {
    const post = prod.find((e) => e.t >= sent);
    const id = post?.what.match(/produce#(\d+)/)?.[1];
    const inMain = id !== undefined ? mainRecv.get(id) : undefined;
    const answer = inMain !== undefined ? mainFetch.find((e) => e.t >= inMain) : undefined;
    const fid = answer?.what.match(/fetch#(\d+)/)?.[1];
    const inCons = fid !== undefined ? consRecv.get(fid) : undefined;
    if (post === undefined || inMain === undefined || answer === undefined || inCons === undefined || inCons > got) return undefined;
    // The fetch answered may have reached the cluster's thread after the produce (the consumer's next fetch still on its way).
    const ready = Math.max(inMain, fetchIn.get(fid!) ?? inMain);
    const asked = Math.min(ready, Math.max(inMain, consAsked.get(fid!) ?? inMain));
    return [sent, post.t, inMain, asked, ready, answer.t, inCons, got];
  };
  const sums = [0, 0, 0, 0, 0, 0, 0];
  let matched = 0;
  for (const [sent, got] of slow) {
    const b = legsOf(sent, got);
    if (b === undefined) continue;
    matched++;
    for (let i = 0; i < 7; i++) sums[i]! += b[i + 1]! - b[i]!;
  }
  const total = sums.reduce((a, b) => a + b, 0);
  console.error(`the slowest ${slow.length} samples (${matched} matched), share of their latency: ${LEGS.map((n, i) => `${n} ${((100 * sums[i]!) / total).toFixed(0)}%`).join(', ')}; mean ${(total / Math.max(1, matched)).toFixed(2)} ms`);
  // Every sample over SLOW_MS, sorted by the leg that held it longest and by what that
  // leg's thread did meanwhile: a GC pause of its own, a timer callback of its own over
  // 0.05 ms (E2E_TRACE records those), a GC pause in another thread of the path, or
  // nothing the trace sees (the thread waited for a core, or ran untraced work).
  {
    const over = slowAll.filter(([a, b]) => b - a > SLOW_MS);
    const busy = all.filter((e) => e.what.startsWith('gc') || e.what.startsWith('timer'));
    const table = new Map<string, number>();
    let unmatched = 0;
    for (const [sent, got] of over) {
      const b = legsOf(sent, got);
      if (b === undefined) {
        unmatched++;
        continue;
      }
      let leg = 0;
      for (let i = 1; i < 7; i++) if (b[i + 1]! - b[i]! > b[leg + 1]! - b[leg]!) leg = i;
      const [from, to] = [b[leg]!, b[leg + 1]!];
      const who = LEG_THREAD[leg]!;
      const hit = (e: (typeof busy)[number]) => e.t < to && e.t + (e.ms ?? 0) > from;
      const own = busy.find((e) => e.who === who && hit(e));
      const other = own === undefined ? busy.find((e) => e.what.startsWith('gc') && e.t < got && e.t + (e.ms ?? 0) > sent) : undefined;
      const cause = own !== undefined ? (own.what.startsWith('gc') ? `gc in ${who}` : `${own.what.slice(0, 60)} in ${who}`) : other !== undefined ? `gc in ${other.who} (not the leg's thread)` : 'nothing traced';
      const key = `${LEGS[leg]} | ${cause}`;
      table.set(key, (table.get(key) ?? 0) + 1);
    }
    console.error(`samples over ${SLOW_MS} ms: ${over.length} of ${measured} (${((100 * over.length) / Math.max(1, measured)).toFixed(2)}%), ${unmatched} not matched; by the leg that held each longest | what its thread did:`);
    for (const [k, n] of [...table].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.error(`  ${String(n).padStart(5)}  ${k}`);
  }
  const episodes: [number, number][] = [];
  for (const s of slow) if (episodes.length < 8 && episodes.every((e) => Math.abs(e[0] - s[0]) > 5)) episodes.push(s);
  for (const [sent, got] of episodes) {
    console.error(`--- sample sent ${sent.toFixed(3)}, latency ${(got - sent).toFixed(3)} ms`);
    for (const e of all) {
      if (e.t + (e.ms ?? 0) < sent - 0.5 || e.t > got + 0.2) continue;
      console.error(`  ${(e.t - sent).toFixed(3).padStart(8)} ${e.who.padEnd(4)} ${e.what}${e.ms !== undefined ? ` ${e.ms.toFixed(2)} ms` : ''}`);
    }
  }
}

if (!isMainThread) await inWorker(workerData as WorkerJob);
else await main(process.argv[2] ?? 'main');
