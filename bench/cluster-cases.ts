/**
 * Cluster benchmark cases, one per process: `tsx bench/cluster-cases.ts <case> [args]`.
 * Each prints one JSON line with its figures and its peak RSS.
 * - `produce <nodes> <acks> <batched|single> <seconds>`: records a second from one
 *   `Producer` to a topic of 1 partition replicated on every node, through the cluster's
 *   in-process transport; `batched` sends arrays of 1,000 records, `list` the same arrays
 *   through `sendBatch` (a compact answer), `single` one record a call, many calls in
 *   flight either way.
 * - `latency <ratePerSec> <seconds>`: a producer sends single records at a fixed rate
 *   (acks=1, linger 0) to a 1-node cluster while a consumer long-polls; each record's
 *   value starts with the `performance.now()` of its send, so the latency is the time the
 *   consumer hands it out minus that.
 * - `consume <records> [warmUpPasses]`: fills a topic, then times a fresh consumer reading
 *   it from the earliest offset, after `warmUpPasses` uncounted passes (default 5).
 * - `lifecycle <nodes> <runs>`: starts and closes an ephemeral cluster `runs` times.
 * - `stall <window|linger0> <seconds>`: a producer flat out on a 1-node cluster (32 calls
 *   of one record in flight, or one call at a time with linger 0) while
 *   `monitorEventLoopDelay` watches the loop: its p99 and max stall, the records a second
 *   and the CPU a record (issue 13, item 3).
 * - `yield-ab <window|linger0> <rounds>`: the in-process transport's yield strategies
 *   side by side in one process, interleaved round by round (the machine is shared, so
 *   runs minutes apart are not comparable): none (the loop never turns), a `setImmediate`
 *   per request, and the budget (64 requests or 2 ms a turn); median records a second and
 *   CPU a record of each.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Cluster } from '../src/cluster.js';
import type { ProducerOptions } from '../src/client/options.js';
import type { Producer, ProducerRecord } from '../src/client/producer.js';
import { inlineTurnBudget } from '../src/transport/turn-budget.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import { PartitionLog } from '../src/storage/partition-log.js';
import { encodeBatchUncompressed, type RecordInput } from '../src/record/batch.js';
import { peakRssMiB, percentile, report } from './lib.js';
import { readLogsDirectly } from './read-ceiling.js';

const [caseName, ...args] = process.argv.slice(2) as [string, ...string[]];
const recordBytes = 100;
const topic = 'bench';
const batchRecords = 1_000;

/** A producer tuned for throughput: big batches, a short linger. */
function throughputProducer(cluster: Cluster, acks: 1 | 'all', extra: ProducerOptions = {}): Producer {
  return cluster.producer({ acks, lingerMs: 1, batchSize: 512 * 1024, bufferMemory: 64 * 1024 * 1024, ...extra });
}

async function startWithTopic(nodes: number): Promise<Cluster> {
  const cluster = await Cluster.start({ nodes });
  await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: nodes }]);
  return cluster;
}

/**
 * Keeps `window` calls of `fire` in flight until `seconds` have passed; returns the
 * records acknowledged per second (`perCall` records a call).
 */
async function pipeline(fire: () => Promise<unknown>, window: number, perCall: number, seconds: number): Promise<{ recordsPerSec: number; records: number }> {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      await fire();
      done += perCall;
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const s = (performance.now() - t0) / 1000;
  return { recordsPerSec: done / s, records: done };
}

async function produce(): Promise<void> {
  const [nodesText, acksText, mode, secondsText, optionsJson] = args;
  const nodes = Number(nodesText);
  const acks = acksText === 'all' ? 'all' : 1;
  const seconds = Number(secondsText ?? 3);
  const cluster = await startWithTopic(nodes);
  const producer = throughputProducer(cluster, acks, optionsJson ? (JSON.parse(optionsJson) as ProducerOptions) : {});
  const value = Buffer.alloc(recordBytes, 0x61);
  const record: ProducerRecord = { value };
  const records: ProducerRecord[] = Array.from({ length: batchRecords }, () => ({ value }));
  // Either one call of 1,000 records, or 1,000 calls of one record (the promises of one
  // partition resolve in offset order, so the last one's answer means all are answered).
  // `list`: the same calls of 1,000 through `sendBatch`, answered with a compact
  // `RecordMetadataList` instead of 1,000 `RecordMetadata` objects.
  const fire =
    mode === 'batched'
      ? () => producer.send(topic, records)
      : mode === 'list'
        ? () => producer.sendBatch(topic, records)
        : () => {
          for (let i = 0; i < batchRecords - 1; i++) void producer.send(topic, record);
          return producer.send(topic, record);
        };
  // 32 chunks of 1,000 records in flight: 3.2 MB of records.
  const window = 32;
  // Warm up (JIT, log segment, replica fetchers), then measure windows of 1 s: the machine
  // is shared, so the median window says more than one long run.
  await pipeline(fire, window, batchRecords, 1);
  const rates: number[] = [];
  let measured = 0;
  const cpu0 = process.cpuUsage();
  for (let w = 0; w < seconds; w++) {
    const r = await pipeline(fire, window, batchRecords, 1);
    rates.push(r.recordsPerSec);
    measured += r.records;
  }
  const cpu = process.cpuUsage(cpu0);
  await producer.close();
  await cluster.close();
  reportWindows(`produce-${nodes}-${acksText}-${mode}`, rates, measured, cpu);
}

/** Reports a case measured over windows: median, best and worst rate, and CPU a record (user, system). */
function reportWindows(name: string, rates: number[], measured: number, cpu: NodeJS.CpuUsage): void {
  rates.sort((a, b) => a - b);
  report({
    name,
    recordsPerSec: percentile(rates, 50),
    bestRecordsPerSec: rates[rates.length - 1]!,
    worstRecordsPerSec: rates[0]!,
    records: measured,
    cpuPerRecordNs: ((cpu.user + cpu.system) * 1000) / measured,
    userCpuPerRecordNs: (cpu.user * 1000) / measured,
    systemCpuPerRecordNs: (cpu.system * 1000) / measured,
    peakRssMiB: peakRssMiB(),
  });
}

/**
 * `append-ceiling <pre|encode> <seconds>`: the producer's ceiling measured the way the
 * producer is (issue 13 item 6: like with like). A `PartitionLog` (flush os) in a fresh
 * folder appends batches of 1,000 100-byte records for the same 1 s of warm-up and the
 * same 1-s windows, so it writes as many bytes into the page cache as the producer case
 * does (the storage section's ceiling writes 200 MB after a `sync`, and the kernel's cost
 * a byte grows several times past that on this machine); `pre`: batches encoded
 * beforehand (the brief's "PartitionLog appending the same batches directly"); `encode`:
 * each batch encoded from the same 1,000 record objects first (the whole job of a
 * producer call minus the client: records in, bytes in the log). Reports the median
 * window and the CPU a record, user and system apart.
 */
async function appendCeiling(): Promise<void> {
  const mode = args[0] ?? 'pre';
  const seconds = Number(args[1] ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-ceiling-'));
  execSync('sync');
  try {
    const log = await PartitionLog.open({ dataDir: dir, topic, partition: 0 });
    const value = Buffer.alloc(recordBytes, 0x61);
    const records: RecordInput[] = Array.from({ length: batchRecords }, () => ({ value }));
    const pre = Array.from({ length: 16 }, () => encodeBatchUncompressed(records, { now: Date.now() }));
    let n = 0;
    const step = mode === 'encode' ? () => log.write(encodeBatchUncompressed(records, { now: Date.now() })) : () => log.write(pre[n++ & 15]!);
    // Windows as in `pipeline`: appends for 1 s, yielding to the loop every 32 batches
    // (the producer case keeps the loop turning too).
    const window = async (): Promise<{ rate: number; records: number }> => {
      const t0 = performance.now();
      let done = 0;
      while (performance.now() - t0 < 1000) {
        for (let i = 0; i < 32; i++) step();
        done += 32 * batchRecords;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return { rate: done / ((performance.now() - t0) / 1000), records: done };
    };
    await window();
    const rates: number[] = [];
    let measured = 0;
    const cpu0 = process.cpuUsage();
    for (let w = 0; w < seconds; w++) {
      const r = await window();
      rates.push(r.rate);
      measured += r.records;
    }
    const cpu = process.cpuUsage(cpu0);
    await log.close();
    reportWindows(`append-ceiling-${mode}`, rates, measured, cpu);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function latency(): Promise<void> {
  const rate = Number(args[0] ?? 10_000);
  const seconds = Number(args[1] ?? 5);
  const cluster = await startWithTopic(1);
  const producer = cluster.producer({ acks: 1, lingerMs: 0 });
  const consumer = cluster.consumer({ maxWaitMs: 500 });
  consumer.assign([{ topic, partition: 0 }]);
  await consumer.seek({ topic, partition: 0 }, 'earliest');
  const warmupMs = 1000;
  const total = Math.round((rate * (seconds * 1000 + warmupMs)) / 1000);
  const latencies: number[] = [];
  let received = 0;
  const reading = (async () => {
    for await (const batch of consumer.batches()) {
      const now = performance.now();
      for (const r of batch.records) {
        const sentAt = Buffer.from(r.value!.buffer, r.value!.byteOffset, r.value!.byteLength).readDoubleLE(0);
        // The first second is warm-up (JIT, first fetches).
        if (received >= (rate * warmupMs) / 1000) latencies.push(now - sentAt);
        received++;
      }
      if (received >= total) break;
    }
  })();
  // Paced by the clock: each timer tick sends, one call a record, the records whose time
  // has come, each stamped when it is sent. Node timers fire about every millisecond, so
  // at 10,000 a second records go in bursts of about 10.
  let sent = 0;
  const t0 = performance.now();
  // Only the last send is kept (one partition: the promises resolve in offset order), so
  // that the benchmark itself does not hold 50,000 promises in the heap.
  let lastSend: Promise<unknown> = Promise.resolve();
  // How late the event loop runs a 1 ms timer meanwhile: the part of the latency that is
  // this process waiting for a CPU or blocked in one long task, not the record's path.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  setTimeout(() => loopDelay.enable(), warmupMs);
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      while (sent < due) {
        const value = Buffer.allocUnsafe(recordBytes).fill(0x61);
        value.writeDoubleLE(performance.now(), 0);
        lastSend = producer.send(topic, { value });
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 0);
    };
    tick();
  });
  await lastSend;
  await reading;
  const elapsedS = (performance.now() - t0) / 1000;
  loopDelay.disable();
  await consumer.close();
  await producer.close();
  await cluster.close();
  latencies.sort((a, b) => a - b);
  report({
    name: 'latency',
    rate,
    achievedRate: sent / elapsedS,
    samples: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    p999Ms: percentile(latencies, 99.9),
    maxMs: latencies[latencies.length - 1]!,
    // The histogram counts from the 1 ms resolution: a loop on time reads about 1 ms.
    loopDelayP50Ms: loopDelay.percentile(50) / 1e6,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    peakRssMiB: peakRssMiB(),
  });
}

async function consume(): Promise<void> {
  const records = Number(args[0] ?? 2_000_000);
  // A data folder of our own: after the consumer's passes the cluster closes and the
  // same partition is read again straight from its log (`readLogsDirectly`).
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-consume-'));
  const cluster = await Cluster.start({ nodes: 1, dataDir });
  await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 1 }]);
  const producer = throughputProducer(cluster, 1);
  const value = Buffer.alloc(recordBytes, 0x62);
  const call: ProducerRecord[] = Array.from({ length: batchRecords }, () => ({ value }));
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < records) {
        next += batchRecords;
        await producer.sendBatch(topic, call);
      }
    }),
  );
  await producer.close();
  const [end] = await cluster.admin().listOffsets(topic, 'latest');
  const written = end!.offset;
  // What the cluster costs while nobody uses it (its timers: Raft, heartbeats, checkpoints),
  // over one idle second: the consumer's passes pay it, the direct read (after the cluster
  // closed, and synchronous) does not.
  const idleCpu0 = process.cpuUsage();
  const idleT0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idleCpu = process.cpuUsage(idleCpu0);
  const idleClusterCpuMsPerSec = (idleCpu.user + idleCpu.system) / (performance.now() - idleT0);
  // Three passes, each a fresh consumer from the earliest offset; the median counts. Before
  // them, `warmUps` uncounted passes (default 5), so both sides are measured warm, like
  // with like: the direct read below is one function with one hot loop, compiled by V8's
  // optimizing compiler within its one warm-up pass, with the decoder the consumer passes
  // warmed; the consumer's per-fetch code (its fetch, the transport, the broker's Fetch,
  // the log read: some 220 calls a pass) reaches the compiler only in its 2nd to 5th pass,
  // 100 to 500 ms of compiler time that a consumer pays once
  // (bench/results/2026-12-07h-consumer.md). The first pass is reported on its own.
  const warmUps = Number(args[1] ?? 5);
  const rates: number[] = [];
  let cpu0 = process.cpuUsage();
  let firstPassCpuUs = 0;
  for (let pass = -warmUps; pass < 3; pass++) {
    if (pass === -warmUps + 1) {
      const first = process.cpuUsage(cpu0);
      firstPassCpuUs = first.user + first.system;
    }
    if (pass === 0) {
      rates.length = 0;
      cpu0 = process.cpuUsage();
    }
    const consumer = cluster.consumer({ maxWaitMs: 500 });
    consumer.assign([{ topic, partition: 0 }]);
    const t0 = performance.now();
    await consumer.seek({ topic, partition: 0 }, 'earliest');
    let read = 0;
    let bytes = 0;
    for await (const batch of consumer.batches()) {
      read += batch.records.length;
      for (const r of batch.records) bytes += r.value!.byteLength;
      if (read >= written) break;
    }
    rates.push(read / ((performance.now() - t0) / 1000));
    await consumer.close();
    if (read !== written || bytes !== written * recordBytes) throw new Error(`read ${read} records (${bytes} bytes), wrote ${written}`);
  }
  // CPU of the whole process over the three passes (on a loaded machine the wall rate
  // swings with the other work; the CPU a record much less).
  const cpu = process.cpuUsage(cpu0);
  // One more pass, a record at a time (`for await (const r of consumer)`), timed apart.
  const consumer = cluster.consumer({ maxWaitMs: 500 });
  consumer.assign([{ topic, partition: 0 }]);
  const recordsCpu0 = process.cpuUsage();
  const recordsT0 = performance.now();
  await consumer.seek({ topic, partition: 0 }, 'earliest');
  let one = 0;
  let oneBytes = 0;
  for await (const r of consumer) {
    oneBytes += r.value!.byteLength;
    if (++one >= written) break;
  }
  const recordsS = (performance.now() - recordsT0) / 1000;
  const recordsCpu = process.cpuUsage(recordsCpu0);
  await consumer.close();
  if (oneBytes !== written * recordBytes) throw new Error(`read ${one} records one at a time`);
  await cluster.close();
  const direct = await readLogsDirectly(dataDir, topic, 1, 3, true);
  rmSync(dataDir, { recursive: true, force: true });
  if (direct.records !== written) throw new Error(`read ${direct.records} records directly, wrote ${written}`);
  rates.sort((a, b) => a - b);
  report({
    name: 'consume',
    records: written,
    recordsPerSec: percentile(rates, 50),
    bestRecordsPerSec: rates[2]!,
    worstRecordsPerSec: rates[0]!,
    cpuPerRecordNs: ((cpu.user + cpu.system) * 1000) / (3 * written),
    warmUpPasses: warmUps,
    firstPassCpuPerRecordNs: (firstPassCpuUs * 1000) / written,
    idleClusterCpuMsPerSec,
    oneAtATimeRecordsPerSec: written / recordsS,
    oneAtATimeCpuPerRecordNs: ((recordsCpu.user + recordsCpu.system) * 1000) / written,
    directRecordsPerSec: written / direct.seconds,
    directCpuPerRecordNs: direct.cpuPerRecordNs,
    peakRssMiB: peakRssMiB(),
  });
}

async function lifecycle(): Promise<void> {
  const nodes = Number(args[0] ?? 1);
  const runs = Number(args[1] ?? 20);
  const start: number[] = [];
  const close: number[] = [];
  const total: number[] = [];
  const cpu: number[] = [];
  // One warm-up run, not counted: the first loads and compiles every module.
  for (let i = -1; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const cluster = await Cluster.start({ nodes });
    const t1 = performance.now();
    await cluster.close();
    const t2 = performance.now();
    const c = process.cpuUsage(c0);
    if (i < 0) continue;
    cpu.push((c.user + c.system) / 1000);
    start.push(t1 - t0);
    close.push(t2 - t1);
    total.push(t2 - t0);
  }
  for (const l of [start, close, total, cpu]) l.sort((a, b) => a - b);
  report({
    name: `lifecycle-${nodes}`,
    runs,
    startP50Ms: percentile(start, 50),
    startMaxMs: start[start.length - 1]!,
    closeP50Ms: percentile(close, 50),
    closeMaxMs: close[close.length - 1]!,
    totalP50Ms: percentile(total, 50),
    totalMaxMs: total[total.length - 1]!,
    // CPU of the whole process (every thread) per start + close: the rest is waiting (fsyncs, timers).
    cpuP50Ms: percentile(cpu, 50),
    peakRssMiB: peakRssMiB(),
  });
}

async function stall(): Promise<void> {
  const mode = args[0] ?? 'window';
  const seconds = Number(args[1] ?? 3);
  const cluster = await startWithTopic(1);
  const producer = cluster.producer({ acks: 1, lingerMs: 0 });
  const record: ProducerRecord = { value: Buffer.alloc(recordBytes, 0x61) };
  const window = mode === 'linger0' ? 1 : 32;
  await pipeline(() => producer.send(topic, record), window, 1, 1);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // A setImmediate chain counts the loop's turns and the longest gap between two (the
  // histogram takes no sample at all while the loop never turns, and then reads 0).
  let turns = 0;
  let lastTurnMs = performance.now();
  let longestGapMs = 0;
  let watching = true;
  // Gaps between turns of 20 ms or more, and the garbage collector's pauses: a long gap
  // that holds a long pause is the collector's (or the scheduler's, descheduling the
  // process in the middle of one), not a chain of our work.
  // Each long gap also keeps the CPU time the process used during it (every thread): a
  // gap in which the process ran for less than half of it was mostly spent waiting for a
  // core (the machine is shared), not running a chain of work.
  const longGaps: [number, number, number][] = [];
  let maxGapCpuMs = 0;
  let lastCpuUs = ((c0) => c0.user + c0.system)(process.cpuUsage());
  const gcPauses: [number, number][] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push([e.startTime, e.duration]);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const turn = (): void => {
    const now = performance.now();
    turns++;
    const c = process.cpuUsage();
    const cpuUs = c.user + c.system;
    if (now - lastTurnMs >= 20) longGaps.push([lastTurnMs, now, (cpuUs - lastCpuUs) / 1000]);
    // The stall in work rather than in time: CPU used between two turns (every thread, so
    // an upper bound on the main thread's chain), whatever the scheduler did meanwhile.
    maxGapCpuMs = Math.max(maxGapCpuMs, (cpuUs - lastCpuUs) / 1000);
    lastCpuUs = cpuUs;
    longestGapMs = Math.max(longestGapMs, now - lastTurnMs);
    lastTurnMs = now;
    if (watching) setImmediate(turn);
  };
  setImmediate(turn);
  const cpu0 = process.cpuUsage();
  const r = await pipeline(() => producer.send(topic, record), window, 1, seconds);
  const cpu = process.cpuUsage(cpu0);
  watching = false;
  longestGapMs = Math.max(longestGapMs, performance.now() - lastTurnMs);
  delay.disable();
  gcObserver.disconnect();
  await producer.close();
  await cluster.close();
  // Of the long gaps, those that hold a collector pause of at least half the gap.
  let gapsWithGc = 0;
  let gapsWaiting = 0;
  let longestRunningGapMs = 0;
  for (const [from, to, cpuMs] of longGaps) {
    let paused = 0;
    for (const [start, duration] of gcPauses) if (start >= from && start < to) paused += duration;
    if (paused * 2 >= to - from) gapsWithGc++;
    if (cpuMs * 2 < to - from) gapsWaiting++;
    else longestRunningGapMs = Math.max(longestRunningGapMs, to - from);
  }
  const pauses = gcPauses.map(([, d]) => d).sort((a, b) => a - b);
  report({
    name: `stall-${mode}`,
    gapsOver20Ms: longGaps.length,
    gapsOver20MsMostlyGc: gapsWithGc,
    gapsOver20MsMostlyWaiting: gapsWaiting,
    longestGapRunningMs: longestRunningGapMs,
    maxGapCpuMs,
    gcPauses: pauses.length,
    gcPauseP99Ms: percentile(pauses, 99),
    gcPauseMaxMs: pauses[pauses.length - 1] ?? 0,
    gcPauseTotalMs: pauses.reduce((a, b) => a + b, 0),
    recordsPerSec: r.recordsPerSec,
    cpuPerRecordNs: ((cpu.user + cpu.system) * 1000) / r.records,
    loopDelayP99Ms: delay.percentile(99) / 1e6,
    loopDelayMaxMs: delay.max / 1e6,
    loopTurns: turns,
    longestTurnGapMs: longestGapMs,
    peakRssMiB: peakRssMiB(),
  });
}

async function yieldAb(): Promise<void> {
  const mode = args[0] ?? 'window';
  const rounds = Number(args[1] ?? 5);
  const strategies = { none: { requestsMax: Infinity, budgetUs: Infinity }, perRequest: { requestsMax: 1, budgetUs: Infinity }, budget: { requestsMax: 64, budgetUs: 2_000 } };
  const record: ProducerRecord = { value: Buffer.alloc(recordBytes, 0x61) };
  const window = mode === 'linger0' ? 1 : 32;
  const seen: Record<string, { rates: number[]; cpus: number[] }> = {};
  for (let round = 0; round < rounds; round++) {
    // Rotated each round, so no strategy always runs right after another's cluster closed.
    const order = Object.entries(strategies);
    for (const [name, budget] of [...order.slice(round % 3), ...order.slice(0, round % 3)]) {
      Object.assign(inlineTurnBudget, budget);
      const cluster = await startWithTopic(1);
      const producer = cluster.producer({ acks: 1, lingerMs: 0 });
      await pipeline(() => producer.send(topic, record), window, 1, 0.3);
      const cpu0 = process.cpuUsage();
      const r = await pipeline(() => producer.send(topic, record), window, 1, 1);
      const cpu = process.cpuUsage(cpu0);
      await producer.close();
      await cluster.close();
      const s = (seen[name] ??= { rates: [], cpus: [] });
      s.rates.push(r.recordsPerSec);
      s.cpus.push(((cpu.user + cpu.system) * 1000) / r.records);
    }
  }
  const result: Record<string, number | string> = { name: `yield-ab-${mode}`, rounds };
  for (const [name, s] of Object.entries(seen)) {
    result[`${name}RecordsPerSec`] = percentile(s.rates.sort((a, b) => a - b), 50);
    result[`${name}CpuPerRecordNs`] = percentile(s.cpus.sort((a, b) => a - b), 50);
  }
  result.peakRssMiB = peakRssMiB();
  report(result);
}

const cases: Record<string, () => Promise<void>> = { produce, 'append-ceiling': appendCeiling, latency, consume, lifecycle, stall, 'yield-ab': yieldAb };
const run = cases[caseName];
if (!run) throw new Error(`unknown case ${caseName}`);
await run();
