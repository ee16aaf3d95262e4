import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, runCase, table } from './lib.js';

const cases = './cluster-cases.ts';
const met = (ok: boolean): string => (ok ? 'met' : 'MISSED');

/**
 * The cluster end to end (issue 4's targets), 100-byte records, side by side in one run:
 * the storage layer's append rate as the ceiling; a `Producer` into a 1-node cluster with
 * acks=1 (calls of 1,000 records, and single-record calls) and into a 3-node cluster with
 * RF 3 and acks=all; producer-to-consumer latency at 10,000 records a second; a consumer
 * reading a filled topic; and the time to start and close an ephemeral cluster.
 */
export async function clusterBench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-cluster-'));
  let log;
  let fsync;
  try {
    log = await runCase('./storage-cases.ts', ['append-read', dir]);
    // Starting and closing a cluster fsyncs a few dozen times (metadata log, checkpoints,
    // atomic files), one after another: this disk's fsync latency in the same run.
    fsync = await runCase('./storage-cases.ts', ['fdatasync', dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ceiling = log.appendRecordsPerSec as number;
  // The producer's ceiling measured as the producer is: the same windows, so the same
  // volume into the page cache (append-ceiling in cluster-cases.ts); interleaved with the
  // two forms of calls of 1,000.
  const ceilingPre = await runCase(cases, ['append-ceiling', 'pre', '5']);
  const acks1 = await runCase(cases, ['produce', '1', '1', 'batched', '5']);
  const acks1List = await runCase(cases, ['produce', '1', '1', 'list', '5']);
  const ceilingEncode = await runCase(cases, ['append-ceiling', 'encode', '5']);
  const acks1Single = await runCase(cases, ['produce', '1', '1', 'single', '5']);
  const acksAll = await runCase(cases, ['produce', '3', 'all', 'batched', '5']);
  const latency = await runCase(cases, ['latency', '10000', '5']);
  const consume = await runCase(cases, ['consume', '2000000']);
  const stalls = [await runCase(cases, ['stall', 'window', '3']), await runCase(cases, ['stall', 'linger0', '3'])];
  const one = await runCase(cases, ['lifecycle', '1', '20']);
  const three = await runCase(cases, ['lifecycle', '3', '20']);
  // What a cluster nobody uses costs: bench/idle.ts, one mode a process (docs/design/idle.md).
  const [idle1, idle3, idle10k] = [await runCase('./idle.ts', ['1', '6']), await runCase('./idle.ts', ['3', '6']), await runCase('./idle.ts', ['1-10k', '6'])];

  const a1 = acks1.recordsPerSec as number;
  const a1l = acks1List.recordsPerSec as number;
  const pre = ceilingPre.recordsPerSec as number;
  const split = (r: typeof acks1): string => `${fmt(r.cpuPerRecordNs as number)} ns CPU/rec (user ${fmt(r.userCpuPerRecordNs as number)}, system ${fmt(r.systemCpuPerRecordNs as number)}); windows ${fmt(r.worstRecordsPerSec as number)} to ${fmt(r.bestRecordsPerSec as number)}`;
  const a1s = acks1Single.recordsPerSec as number;
  const aAll = acksAll.recordsPerSec as number;
  const cpu = (r: typeof acks1): string => `${fmt(r.cpuPerRecordNs as number)} ns CPU/rec; windows ${fmt(r.worstRecordsPerSec as number)} to ${fmt(r.bestRecordsPerSec as number)}`;
  const rows: (string | number)[][] = [
    ['ceiling: PartitionLog append, pre-encoded batches of 1,000 (flush os)', `${fmt(ceiling)} rec/s`, '1.00', '', log.peakRssMiB as number],
    [
      'ceiling, like with like: PartitionLog append of pre-encoded batches of 1,000 over the same 1-s windows (so the same volume into the page cache) as the producer rows',
      `${fmt(pre)} rec/s, ${split(ceilingPre)}`,
      '1.00 (producer)',
      '',
      ceilingPre.peakRssMiB as number,
    ],
    [
      'same, each batch encoded first from the same 1,000 record objects (records in, bytes in the log: a producer call without the client)',
      `${fmt(ceilingEncode.recordsPerSec as number)} rec/s, ${split(ceilingEncode)}`,
      `${fmt((ceilingEncode.recordsPerSec as number) / pre, 2)} of the producer ceiling`,
      '',
      ceilingEncode.peakRssMiB as number,
    ],
    ['Producer → 1 node, acks=1, calls of 1,000 records (send: a RecordMetadata a record)', `${fmt(a1)} rec/s, ${split(acks1)}`, `${fmt(a1 / ceiling, 2)} of ceiling; ${fmt(a1 / pre, 2)} of the producer ceiling`, `>= 2,000,000 rec/s: ${met(a1 >= 2_000_000)}; >= 0.8 of the producer ceiling: ${met(a1 / pre >= 0.8)}`, acks1.peakRssMiB as number],
    ['Producer → 1 node, acks=1, calls of 1,000 records (sendBatch: a compact RecordMetadataList)', `${fmt(a1l)} rec/s, ${split(acks1List)}`, `${fmt(a1l / ceiling, 2)} of ceiling; ${fmt(a1l / pre, 2)} of the producer ceiling`, `>= 2,000,000 rec/s: ${met(a1l >= 2_000_000)}; >= 0.8 of the producer ceiling: ${met(a1l / pre >= 0.8)}`, acks1List.peakRssMiB as number],
    ['Producer → 1 node, acks=1, single-record calls', `${fmt(a1s)} rec/s, ${split(acks1Single)}`, `${fmt(a1s / ceiling, 2)} of ceiling, ${fmt(a1s / a1, 2)} of calls of 1,000`, `>= 1,000,000 rec/s: ${met(a1s >= 1_000_000)}`, acks1Single.peakRssMiB as number],
    ['Producer → 3 nodes, RF 3, acks=all (idempotent), calls of 1,000 records', `${fmt(aAll)} rec/s, ${cpu(acksAll)}`, `${fmt(aAll / a1, 2)} of acks=1`, `>= 0.40 of acks=1: ${met(aAll / a1 >= 0.4)}`, acksAll.peakRssMiB as number],
    [
      `end-to-end latency, producer → consumer, 1 node, acks=1, ${fmt(latency.rate as number)} rec/s (${fmt(latency.samples as number)} samples)`,
      `p50 ${fmt(latency.p50Ms as number, 2)} ms, p99 ${fmt(latency.p99Ms as number, 2)} ms, p99.9 ${fmt(latency.p999Ms as number, 2)} ms, max ${fmt(latency.maxMs as number, 1)} ms`,
      `event loop delay of a 1 ms timer meanwhile: p50 ${fmt(latency.loopDelayP50Ms as number, 2)} ms, p99 ${fmt(latency.loopDelayP99Ms as number, 2)} ms`,
      `p99 < 1 ms: ${met((latency.p99Ms as number) < 1)}`,
      latency.peakRssMiB as number,
    ],
    [
      `Consumer reads a filled topic from earliest (2,000,000 records), median of 3 passes of batches() after ${fmt(consume.warmUpPasses as number)} warm-up passes`,
      `${fmt(consume.recordsPerSec as number)} rec/s, ${fmt(consume.cpuPerRecordNs as number)} ns CPU/rec; passes ${fmt(consume.worstRecordsPerSec as number)} to ${fmt(consume.bestRecordsPerSec as number)}; first pass (cold: V8 compiling) ${fmt(consume.firstPassCpuPerRecordNs as number)} ns CPU/rec; the idle cluster ${fmt(consume.idleClusterCpuMsPerSec as number, 1)} ms CPU a second`,
      `${fmt((consume.recordsPerSec as number) / (consume.directRecordsPerSec as number), 2)} of reading the same log directly into the same records (${fmt(consume.directRecordsPerSec as number)} rec/s), ${fmt((consume.directCpuPerRecordNs as number) / (consume.cpuPerRecordNs as number), 2)} by CPU (${fmt(consume.directCpuPerRecordNs as number)} ns/rec); ${fmt((consume.recordsPerSec as number) / (log.readDecodeRecordsPerSec as number), 2)} of the storage section's read + decodeBatch (${fmt(log.readDecodeRecordsPerSec as number)} rec/s, its own 200 MB log)`,
      `>= 0.9 of direct: ${met((consume.recordsPerSec as number) / (consume.directRecordsPerSec as number) >= 0.9)}; by CPU: ${met((consume.directCpuPerRecordNs as number) / (consume.cpuPerRecordNs as number) >= 0.9)}`,
      consume.peakRssMiB as number,
    ],
    [
      'same consumer, one more pass a record at a time (for await (const r of consumer))',
      `${fmt(consume.oneAtATimeRecordsPerSec as number)} rec/s, ${fmt(consume.oneAtATimeCpuPerRecordNs as number)} ns CPU/rec`,
      `${fmt((consume.oneAtATimeRecordsPerSec as number) / (consume.directRecordsPerSec as number), 2)} of reading the log directly`,
      '',
      consume.peakRssMiB as number,
    ],
  ];
  for (const st of stalls) {
    rows.push([
      `event loop under a producer flat out, 1 node, acks=1, linger 0, ${st.name === 'stall-window' ? '32 single-record calls in flight' : 'one single-record call at a time'} (3 s)`,
      `loop delay p99 ${fmt(st.loopDelayP99Ms as number, 1)} ms, max ${fmt(st.loopDelayMaxMs as number, 1)} ms; ${fmt(st.loopTurns as number)} loop turns, longest gap ${fmt(st.longestTurnGapMs as number, 1)} ms; ${fmt(st.recordsPerSec as number)} rec/s, ${fmt(st.cpuPerRecordNs as number)} ns CPU/rec`,
      '',
      `p99 and max < 20 ms: ${met((st.loopDelayP99Ms as number) < 20 && (st.loopDelayMaxMs as number) < 20 && (st.loopTurns as number) > 1)}`,
      st.peakRssMiB as number,
    ]);
  }
  const idleMs = (r: typeof idle1): number => r.cpuMsPerSec as number;
  rows.push([
    'an idle cluster: CPU of the whole process (every thread, user + system) over 6 s with nothing produced or consumed',
    `1 node ${fmt(idleMs(idle1), 1)} ms a second, 3 nodes ${fmt(idleMs(idle3), 1)}, 1 node with 10,000 open partitions ${fmt(idleMs(idle10k), 1)}`,
    `10,000 partitions: ${fmt(idleMs(idle10k) / idleMs(idle1), 2)} of 1`,
    `1 node < 1 ms a second: ${met(idleMs(idle1) < 1)}; not growing with partitions (< 1.5 of 1): ${met(idleMs(idle10k) / idleMs(idle1) < 1.5)}`,
    idle10k.peakRssMiB as number,
  ]);
  rows.push(['fdatasync of 4 KiB on this disk (context for start + close)', `${fmt(fsync.perSec as number)} /s, p50 ${fmt(fsync.p50Ms as number, 2)} ms, p99 ${fmt(fsync.p99Ms as number, 2)} ms`, '', '', fsync.peakRssMiB as number]);
  for (const [nodes, r, limit] of [
    [1, one, 50],
    [3, three, 250],
  ] as const) {
    rows.push([
      `start + close an ephemeral ${nodes}-node cluster (${r.runs} runs)`,
      `p50 ${fmt(r.totalP50Ms as number)} ms (start ${fmt(r.startP50Ms as number)}, close ${fmt(r.closeP50Ms as number)}; CPU ${fmt(r.cpuP50Ms as number)}), max ${fmt(r.totalMaxMs as number)} ms`,
      '',
      `p50 < ${limit} ms: ${met((r.totalP50Ms as number) < limit)}; max: ${met((r.totalMaxMs as number) < limit)}`,
      r.peakRssMiB as number,
    ]);
  }
  const intro =
    'Each case in its own process, on the in-process transport, topics of 1 partition, data in a temporary folder (flush os). Throughput cases warm up for 1 s, then measure five 1-s windows with 32 calls of 1,000 records in flight (batched: one call of 1,000; single: 1,000 calls of one), producer lingerMs 1, batchSize 512 KiB; the figure is the median window (targets are judged on it), CPU per record is the whole process (client and brokers, every thread) over all windows. Latency: single-record sends paced by a timer (bursts of about 10 a millisecond), linger 0, consumer maxWaitMs 500; 1 s of warm-up is not counted. The producer rows are also compared with a ceiling measured the same way (a PartitionLog appending batches of 1,000 for the same windows, so as many bytes go into the page cache: on this machine the cost a byte in the kernel grows several times past the first few hundred MB), and the consumer with the same log read directly into the same records after the cluster closed (bench/read-ceiling.ts), each after one uncounted pass. CPU a record is split into user and system time where the case reports it.';
  return `## Cluster (100-byte records)\n\n${intro}\n\n${table(['case', 'figure', 'ratio', 'target', 'peak RSS MiB'], rows)}\n`;
}
