/**
 * The consumer against its ceiling, one reader per process (issue 13, item 6: like with
 * like). `consumer-cases.ts <reader> <partitions> <records> [passes]`:
 * - fills a topic of `partitions` partitions on a 1-node cluster with its own data folder
 *   (one partition: unkeyed calls of 1,000 through `sendBatch`, as `cluster-cases.ts
 *   consume`; more: keyed calls of 1,000, as `groups-cases.ts throughput`, or with
 *   `UNKEYED=1` unkeyed calls of 1,000 to one partition each in turn), 100-byte values;
 * - `reader` then reads every record, one uncounted warm-up pass and `passes` counted ones
 *   (default 3), each from the earliest offset with a fresh reader:
 *   `direct` (the cluster closed, the same partitions read straight from their logs into
 *   the consumer's record shape: `read-ceiling.ts`), `bare` (`consumer.batches()`),
 *   `bare-record` (`for await (const r of consumer)`), `group-batch` (a group of 1,
 *   `run({ eachBatch })`), `group-record` (`run({ eachRecord })`), `group-iter`
 *   (`for await (const r of group)`); a new group id a pass.
 * - prints CPU a record of the whole process (every thread) over the counted passes,
 *   from each pass's first record on (a group's join, and a seek's ListOffsets, are not
 *   reading), and the median pass's rate.
 *
 * Why one reader a process: `groups-cases.ts throughput` runs the bare consumer, the group
 * and the direct read one after another in one process, so each meets a different heap and
 * JIT state (and, until this change, the group's `AsyncLocalStorage` turned on promise
 * hooks for everything after it). `PROFILE=<file>` writes a CPU profile of the counted
 * passes only (paired: one a side, `<file>.reader.json` and `<file>.direct.json`);
 * `ALLOCPROFILE=<file>` an allocation profile of them (sampled, collected objects
 * included; with `ALLOCMINOR=0` only what young collections did not collect: what was
 * promoted or is still alive).
 *
 * `paired` (a fifth argument): the reader and the direct read in the same process, pass for
 * pass, in alternating order (direct first, then the reader first), on the same data: the
 * partition folders are copied once the topic is filled and read straight from the copy
 * while the cluster runs. On this shared machine the CPU a record of one and the same
 * reader swings 2x between processes (another process's load, caches, the collector's
 * timing); within one process, pass against pass, far less. Reports both readers' CPU a
 * record and the median of the pairs' ratios (direct / reader), and the collections
 * (young, full) a pass on each side. Paired readers `direct-async` and `direct-async-batch`
 * are the direct read handed out as a consumer hands records out (read-ceiling.ts);
 * `direct-async-record` is it handed out a record a resolved promise, as
 * `for await (const r of consumer)` does: the floor of the record-at-a-time iterators.
 */
import { cpSync, writeFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../src/cluster.js';
import type { ProducerRecord } from '../src/client/producer.js';
import { peakRssMiB, percentile, report } from './lib.js';
import { openDirect, readLogsDirectly } from './read-ceiling.js';

const [reader = 'bare', partitionsArg = '1', recordsArg = '1000000', passesArg = '3', pairing = ''] = process.argv.slice(2);
const partitions = Number(partitionsArg);
const records = Number(recordsArg);
const passes = Number(passesArg);
const topic = 'events';
const recordBytes = 100;

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-consumer-'));
const cluster = await Cluster.start({ nodes: 1, dataDir });

async function fill(): Promise<void> {
  await cluster.admin().createTopics([{ name: topic, partitions, replicationFactor: 1 }]);
  const producer = cluster.producer({ acks: 1, lingerMs: 1, batchSize: partitions === 1 ? 512 * 1024 : 256 * 1024, bufferMemory: 64 * 1024 * 1024 });
  const value = Buffer.alloc(recordBytes, 0x62);
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < records; i += 1000) {
    const n = Math.min(1000, records - i);
    const call: ProducerRecord[] = partitions === 1 ? Array.from({ length: n }, () => ({ value })) : process.env.UNKEYED !== undefined ? Array.from({ length: n }, () => ({ value, partition: (i / 1000) % partitions })) : Array.from({ length: n }, (_, j) => ({ key: `k${(i + j) % 997}`, value }));
    sends.push(producer.sendBatch(topic, call));
    if (sends.length >= 32) await sends.shift();
  }
  await Promise.all(sends);
  await producer.close();
}

/**
 * `direct-async` and `direct-async-batch` (paired only): the direct read handed out as an
 * async generator of chunks, a loop turn apart (read-ceiling.ts): what the shape of an
 * async consumer costs without any of the consumer's own code.
 */
let asyncDirect: Awaited<ReturnType<typeof openDirect>> | undefined;

/** The consumer's `maxPartitionBytes` and the direct read's read size (`PARTITION_BYTES`, default 1 MiB as Kafka's). */
const partitionBytes = Number(process.env.PARTITION_BYTES ?? 1 << 20);

/** The paired direct read's shape (`DIRECT_SHAPE`): `sync` (default), `sync-each` (a call a record, like with like for `group-record`) or `async-record` (a resolved promise a record, like with like for `bare-record` and `group-iter`). */
const directShape = (process.env.DIRECT_SHAPE ?? 'sync') as 'sync' | 'sync-each' | 'async-record';

/** Uncounted passes a side before a paired run's counted ones. */
const warmUps = Number(process.env.WARMUP ?? 8);

/** Fetch requests the bare readers sent, over every pass (warm-up included). */
let fetchesSeen = 0;

interface Pass {
  readonly seconds: number;
  readonly cpuUs: number;
  readonly counted: number;
}

/** `SHARED_HANDLER=1` with `group-record`: the state of the one handler every pass uses. */
const shared = { read: 0, bytes: 0, first: 0, records: 0, cpu0: process.cpuUsage(), done: (): void => undefined };
function sharedEachRecord(r: { readonly value: Uint8Array | null }): void {
  if (shared.first === 0) [shared.first, shared.cpu0] = [performance.now(), process.cpuUsage()];
  shared.bytes += r.value!.byteLength;
  if (++shared.read >= shared.records) shared.done();
}

/** Reads every record once with a fresh reader; time and CPU from the first record on. */
async function pass(n: number): Promise<Pass> {
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
  let read = 0;
  let bytes = 0;
  let first = 0;
  let firstCount = 0;
  let cpu0 = process.cpuUsage();
  const mark = (count: number) => {
    if (first === 0) [first, firstCount, cpu0] = [performance.now(), count, process.cpuUsage()];
  };
  if (reader === 'direct-async' || reader === 'direct-async-batch' || reader === 'direct-sync-batch' || reader === 'direct-async-record') {
    const r = await asyncDirect!.pass(reader.slice('direct-'.length) as 'async' | 'async-batch' | 'sync-batch' | 'async-record');
    mark(0);
    return { seconds: r.seconds, cpuUs: r.cpuUs, counted: r.records };
  }
  if (reader === 'bare' || reader === 'bare-record') {
    const consumer = cluster.consumer({ maxWaitMs: 500, maxPartitionBytes: partitionBytes, ...(process.env.MAX_BYTES !== undefined ? { maxBytes: Number(process.env.MAX_BYTES) } : {}) });
    consumer.assign(tps);
    for (const tp of tps) await consumer.seek(tp, 'earliest');
    if (reader === 'bare') {
      for await (const batch of consumer.batches()) {
        mark(batch.records.length);
        for (const r of batch.records) bytes += r.value!.byteLength;
        if ((read += batch.records.length) >= records) break;
      }
    } else {
      for await (const r of consumer) {
        mark(1);
        bytes += r.value!.byteLength;
        if (++read >= records) break;
      }
    }
    fetchesSeen += consumer.fetchCount;
    await consumer.close();
  } else {
    const group = cluster.consumerGroup({ groupId: `bench-${n}`, topics: [topic], from: 'earliest', autoCommitIntervalMs: 1000 });
    if (reader === 'group-iter') {
      for await (const r of group) {
        mark(1);
        bytes += r.value!.byteLength;
        if (++read >= records) break;
      }
    } else {
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      if (reader === 'group-record' && process.env.SHARED_HANDLER !== undefined) {
        // One handler function for every pass (as an application has one), its state in a
        // module-level object: with a new closure a pass, V8 met many closures of one
        // literal at the group's call site and did not inline the handler
        // (`--trace-turbo-inlining`: "FeedbackCell[many closures] ... no feedback vector").
        shared.read = 0;
        shared.bytes = 0;
        shared.first = 0;
        shared.records = records;
        shared.done = done;
        void group.run({ eachRecord: sharedEachRecord });
        await finished;
        const end = performance.now();
        const cpu = process.cpuUsage(shared.cpu0);
        await group.close();
        if (shared.read !== records || shared.bytes !== records * recordBytes) throw new Error(`${reader} read ${shared.read} records (${shared.bytes} bytes), wrote ${records}`);
        return { seconds: (end - shared.first) / 1000, cpuUs: cpu.user + cpu.system, counted: records - 1 };
      }
      void group.run(
        reader === 'group-record'
          ? {
              eachRecord: (r) => {
                mark(1);
                bytes += r.value!.byteLength;
                if (++read >= records) done();
              },
            }
          : {
              eachBatch: (batch) => {
                mark(batch.records.length);
                for (const r of batch.records) bytes += r.value!.byteLength;
                if ((read += batch.records.length) >= records) done();
              },
            },
      );
      await finished;
    }
    const end = performance.now();
    const cpu = process.cpuUsage(cpu0);
    await group.close();
    if (read !== records || bytes !== records * recordBytes) throw new Error(`${reader} read ${read} records (${bytes} bytes), wrote ${records}`);
    return { seconds: (end - first) / 1000, cpuUs: cpu.user + cpu.system, counted: records - firstCount };
  }
  const end = performance.now();
  const cpu = process.cpuUsage(cpu0);
  if (read !== records || bytes !== records * recordBytes) throw new Error(`${reader} read ${read} records (${bytes} bytes), wrote ${records}`);
  return { seconds: (end - first) / 1000, cpuUs: cpu.user + cpu.system, counted: records - firstCount };
}

let session: Session | undefined;
async function profileStart(): Promise<void> {
  if (process.env.ALLOCPROFILE !== undefined) {
    session = new Session();
    session.connect();
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.ALLOCMINOR !== '0' });
    return;
  }
  if (process.env.PROFILE === undefined) return;
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}
async function profileStop(): Promise<void> {
  if (session === undefined) return;
  if (process.env.ALLOCPROFILE !== undefined) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(process.env.ALLOCPROFILE, JSON.stringify(profile));
    session.disconnect();
    return;
  }
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(process.env.PROFILE!, JSON.stringify(profile));
  session.disconnect();
}

/**
 * Collections over given windows of `performance.now()` time: a `PerformanceObserver` sees
 * every GC with its start and duration (main thread's pause), and each is given to the
 * window it started in. Young-generation collections (kind 1) and full ones (kind 2, 4).
 */
const gcEntries: PerformanceEntry[] = [];
const gcObserver = new PerformanceObserver((list) => gcEntries.push(...list.getEntries()));
// Only with GC=1: Node makes an entry a collection and hands it to the observer on a later
// turn of the loop, and the direct read never turns the loop, so its collections' entries
// were made during the reader's passes and counted in its CPU (perf: 1 to 2 ns a record).
if (process.env.GC !== undefined) gcObserver.observe({ entryTypes: ['gc'] });
function gcIn(windows: readonly (readonly [number, number])[]): { minor: number; major: number; ms: number } {
  gcEntries.push(...gcObserver.takeRecords());
  let minor = 0;
  let major = 0;
  let ms = 0;
  for (const e of gcEntries) {
    if (!windows.some(([a, b]) => e.startTime >= a && e.startTime < b)) continue;
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
    if (kind === 1) minor++;
    else if (kind === 2 || kind === 4) major++;
    ms += e.duration;
  }
  return { minor, major, ms };
}

/**
 * CPU by thread (Linux: `/proc/self/task/<tid>/schedstat`, nanoseconds run), summed by the
 * thread's name: the main thread (`main`) and the rest (`others`: V8's helpers for
 * parallel scavenges, concurrent marking and compilation, libuv's pool). With `THREADS=1` a paired run
 * reports each side's CPU a record by thread name: where a process-wide difference is.
 */
function threadCpuNs(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        // Node leaves its threads' names as its own: the main thread is the one whose id is the process's.
        const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
        const name = Number(tid) === process.pid ? 'main' : process.env.THREADS === 'tid' ? `${comm}-${tid}` : comm === 'node' ? 'others' : comm;
        const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        out.set(name, (out.get(name) ?? 0) + ns);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return out;
}
const threadTotals: Record<'reader' | 'direct', Map<string, number>> = { reader: new Map(), direct: new Map() };
async function threaded<T>(side: 'reader' | 'direct', f: () => Promise<T>): Promise<T> {
  if (process.env.THREADS === undefined) return f();
  const before = threadCpuNs();
  try {
    return await f();
  } finally {
    for (const [name, ns] of threadCpuNs()) threadTotals[side].set(name, (threadTotals[side].get(name) ?? 0) + ns - (before.get(name) ?? 0));
  }
}

/** With `PROFILE` in a paired run, one CPU profile a side: `<PROFILE>.reader.json` and `<PROFILE>.direct.json`, each the sum of that side's passes. */
const sideProfiles: Record<'reader' | 'direct', unknown[]> = { reader: [], direct: [] };
async function sided<T>(side: 'reader' | 'direct', f: () => Promise<T>): Promise<T> {
  if (session === undefined) return f();
  await session.post('Profiler.start');
  try {
    return await f();
  } finally {
    sideProfiles[side].push((await session.post('Profiler.stop')).profile);
  }
}

try {
  await fill();
  const load = (await import('node:os')).loadavg()[0]!;
  if (reader === 'direct') {
    await cluster.close();
    await readLogsDirectly(dataDir, topic, partitions, 1); // warm-up
    await profileStart();
    const d = await readLogsDirectly(dataDir, topic, partitions, passes);
    await profileStop();
    if (d.records !== records) throw new Error(`read ${d.records} records directly, wrote ${records}`);
    report({ name: 'consumer', reader, partitions, records, load, recordsPerSec: records / d.seconds, cpuPerRecordNs: d.cpuPerRecordNs, peakRssMiB: peakRssMiB() });
  } else if (pairing === 'paired') {
    // A copy of the partition folders (not the lock): read straight from their logs while
    // the cluster, which holds the originals, keeps running for the reader.
    const copy = mkdtempSync(join(tmpdir(), 'tributary-bench-consumer-direct-'));
    try {
      const node = readdirSync(dataDir).find((d) => d.startsWith('node-'))!;
      for (let p = 0; p < partitions; p++) cpSync(join(dataDir, node, `${topic}-${p}`), join(copy, node, `${topic}-${p}`), { recursive: true });
      const direct = await openDirect(copy, topic, partitions, partitionBytes);
      if (reader.startsWith('direct-')) asyncDirect = direct;
      // Warm-up (and the CRC check of each batch at its first read after open): `WARMUP`
      // passes a side, default 8. One was too few: the functions a consumer runs once a
      // fetch (some 110 a pass) reached the optimizing compiler only in the third to fifth
      // counted pass, and the compiler's threads then ran 3x the direct side's samples
      // (perf, 2026-12-07g-consumer.md); a consumer that reads for long pays that once.
      for (let w = 0; w < warmUps; w++) {
        await direct.pass();
        await pass(-1 - w); // a group id of its own each pass (a group that committed would start at the end)
      }
      if (process.env.PROFILE !== undefined) {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
      }
      const mine: Pass[] = [];
      const theirs: { records: number; cpuUs: number; seconds: number }[] = [];
      const mineWindows: [number, number][] = [];
      const theirWindows: [number, number][] = [];
      const timed = async <T>(windows: [number, number][], f: () => Promise<T>): Promise<T> => {
        // MARK=1: a line before each pass, to tell the sides apart in --trace-gc output.
        if (process.env.MARK !== undefined) console.log(`--- ${windows === mineWindows ? reader : 'direct'} pass ${process.hrtime.bigint()} arrayBuffers ${(process.memoryUsage().arrayBuffers / 1048576).toFixed(1)} MiB`);
        const t0 = performance.now();
        try {
          return await f();
        } finally {
          windows.push([t0, performance.now()]);
        }
      };
      for (let i = 1; i <= passes; i++) {
        if (i % 2 === 1) {
          theirs.push(await sided('direct', () => threaded('direct', () => timed(theirWindows, () => direct.pass(directShape)))));
          mine.push(await sided('reader', () => threaded('reader', () => timed(mineWindows, () => pass(i)))));
        } else {
          mine.push(await sided('reader', () => threaded('reader', () => timed(mineWindows, () => pass(i)))));
          theirs.push(await sided('direct', () => threaded('direct', () => timed(theirWindows, () => direct.pass(directShape)))));
        }
      }
      if (process.env.MARK !== undefined) console.log(`--- end pass ${process.hrtime.bigint()}`);
      if (session !== undefined) {
        for (const side of ['reader', 'direct'] as const) writeFileSync(`${process.env.PROFILE}.${side}.json`, JSON.stringify(sideProfiles[side]));
        session.disconnect();
        session = undefined;
      }
      const gcMine = gcIn(mineWindows);
      const gcTheirs = gcIn(theirWindows);
      await direct.close();
      for (const t of theirs) if (t.records !== records) throw new Error(`read ${t.records} records directly, wrote ${records}`);
      const ratios = mine.map((m, i) => theirs[i]!.cpuUs / records / (m.cpuUs / m.counted)).sort((a, b) => a - b);
      const cpuNs = (mine.reduce((s, p) => s + p.cpuUs, 0) * 1000) / mine.reduce((s, p) => s + p.counted, 0);
      const directNs = (theirs.reduce((s, p) => s + p.cpuUs, 0) * 1000) / (records * passes);
      const rates = mine.map((p) => p.counted / p.seconds).sort((a, b) => a - b);
      const directRates = theirs.map((p) => records / p.seconds).sort((a, b) => a - b);
      report({
        name: 'consumer-paired',
        reader,
        partitions,
        records,
        passes,
        load,
        recordsPerSec: percentile(rates, 50),
        cpuPerRecordNs: cpuNs,
        directRecordsPerSec: percentile(directRates, 50),
        directCpuPerRecordNs: directNs,
        ratioByCpu: directNs / cpuNs,
        medianPairRatioByCpu: percentile(ratios, 50),
        // With GC=1: collections a pass (a reader pass includes its consumer's or group's start), and their main-thread pause a record.
        ...(process.env.GC === undefined
          ? {}
          : {
              gcMinorPerPass: gcMine.minor / passes,
              gcMajorPerPass: gcMine.major / passes,
              gcNsPerRecord: (gcMine.ms * 1e6) / (records * passes),
              directGcMinorPerPass: gcTheirs.minor / passes,
              directGcMajorPerPass: gcTheirs.major / passes,
              directGcNsPerRecord: (gcTheirs.ms * 1e6) / (records * passes),
            }),
        peakRssMiB: peakRssMiB(),
        ...(fetchesSeen > 0 ? { fetchesPerPass: fetchesSeen / (passes + warmUps) } : {}),
        ...(process.env.THREADS === undefined
          ? {}
          : Object.fromEntries(
              (['reader', 'direct'] as const).map((side) => [
                `${side}ThreadNsPerRecord`,
                Object.fromEntries([...threadTotals[side]].filter(([, ns]) => ns > 0).map(([name, ns]) => [name, Math.round((ns / (records * passes)) * 10) / 10])),
              ]),
            )),
      });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  } else {
    await pass(0); // warm-up
    await profileStart();
    const all: Pass[] = [];
    for (let i = 1; i <= passes; i++) all.push(await pass(i));
    await profileStop();
    const rates = all.map((p) => p.counted / p.seconds).sort((a, b) => a - b);
    const cpuNs = (all.reduce((s, p) => s + p.cpuUs, 0) * 1000) / all.reduce((s, p) => s + p.counted, 0);
    report({ name: 'consumer', reader, partitions, records, load, recordsPerSec: percentile(rates, 50), cpuPerRecordNs: cpuNs, peakRssMiB: peakRssMiB() });
  }
} finally {
  gcObserver.disconnect();
  await cluster.close();
  rmSync(dataDir, { recursive: true, force: true });
}
