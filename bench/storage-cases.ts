/**
 * Storage benchmark cases, one per process: `tsx bench/storage-cases.ts <case> <dir>`.
 * Each prints one JSON line with its figures and its peak RSS.
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import { PartitionLog } from '../src/storage/partition-log.js';
import { encodeBatchUncompressed, iterateBatches, type RecordInput } from '../src/record/batch.js';
import { decodeBatch } from '../src/record/codecs/index.js';
import { peakRssMiB, percentile, report } from './lib.js';

const [caseName, dir] = process.argv.slice(2) as [string, string];
const recordBytes = 100;
const value = Buffer.alloc(recordBytes, 0x61);

function batchOf(n: number, now: number): Buffer {
  const records: RecordInput[] = Array.from({ length: n }, () => ({ value }));
  return encodeBatchUncompressed(records, { now });
}

/** The batches both the ceiling and PartitionLog write: 2,000 batches of 1,000 records, 16 distinct. */
const batches = 2_000;
const perBatch = 1_000;
function encodedBatches(now: number): Buffer[] {
  // Distinct pre-encoded batches (encoding is the producer's cost, measured separately).
  return Array.from({ length: 16 }, () => batchOf(perBatch, now));
}

/** CPU time (user + system) in nanoseconds a record since `since`. */
function cpuPerRecordNs(since: NodeJS.CpuUsage, records: number): number {
  const cpu = process.cpuUsage(since);
  return ((cpu.user + cpu.system) * 1000) / records;
}

async function ceiling(): Promise<void> {
  // The fastest way this machine does PartitionLog's job: the very same batch bytes,
  // one fs.writeSync a batch, appended to one file. No offsets, no index, no checks.
  // Then the same file read back with fs.readSync into a reused 1 MiB buffer, for the
  // read side.
  const encoded = encodedBatches(Date.now());
  const path = join(dir, 'ceiling.log');
  const fd = openSync(path, 'w');
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) bytes += writeSync(fd, encoded[i & 15]!);
  const writeS = (performance.now() - t0) / 1000;
  const writeCpuNs = cpuPerRecordNs(cpu0, batches * perBatch);
  closeSync(fd);
  const rfd = openSync(path, 'r');
  const into = Buffer.allocUnsafe(1 << 20);
  let readBytes = 0;
  const cpu1 = process.cpuUsage();
  const t1 = performance.now();
  for (;;) {
    const n = readSync(rfd, into, 0, into.length, null);
    if (n === 0) break;
    readBytes += n;
  }
  const readS = (performance.now() - t1) / 1000;
  const readCpuNs = cpuPerRecordNs(cpu1, batches * perBatch);
  closeSync(rfd);
  if (readBytes !== bytes) throw new Error(`read ${readBytes} bytes, wrote ${bytes}`);
  const total = batches * perBatch;
  report({
    name: 'ceiling',
    recordsPerSec: total / writeS,
    mbPerSec: bytes / writeS / 1e6,
    cpuPerRecordNs: writeCpuNs,
    readRecordsPerSec: total / readS,
    readCpuPerRecordNs: readCpuNs,
    peakRssMiB: peakRssMiB(),
  });
}

async function appendAndRead(): Promise<void> {
  const now = Date.now();
  const encoded = encodedBatches(now);
  const log = await PartitionLog.open({ dataDir: dir, topic: 'bench', partition: 0 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) log.write(encoded[i & 15]!);
  const appendS = (performance.now() - t0) / 1000;
  const appendCpuNs = cpuPerRecordNs(cpu0, batches * perBatch);
  // Encoding cost alone (the producer's side), for reference: 1,000 fresh record objects
  // per batch, after a warm-up so the figure is not the JIT's.
  for (let i = 0; i < 300; i++) batchOf(perBatch, now);
  const t1 = performance.now();
  for (let i = 0; i < 2_000; i++) batchOf(perBatch, now);
  const encodeRecordsPerSec = (2_000 * perBatch) / ((performance.now() - t1) / 1000);
  // Read back from the start, batch by batch, counting records from the headers: once
  // into a reused 1 MiB buffer (a consumer that handles each read before the next), once
  // into a fresh buffer per read.
  let readCpuNs = 0;
  const readAll = (into: Buffer | undefined): number => {
    const cpu = process.cpuUsage();
    const t = performance.now();
    let offset = log.logStartOffset;
    let read = 0;
    while (offset < log.logEndOffset) {
      const { records } = log.read(offset, { maxBytes: 1 << 20, ...(into ? { into } : {}) });
      for (const b of iterateBatches(records)) {
        read += b.header.recordCount;
        offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
      }
    }
    if (read !== batches * perBatch) throw new Error(`read ${read} records, wrote ${batches * perBatch}`);
    readCpuNs = cpuPerRecordNs(cpu, read);
    return (performance.now() - t) / 1000;
  };
  const readS = readAll(Buffer.allocUnsafe(1 << 20));
  const readReusedCpuNs = readCpuNs;
  const readFreshS = readAll(undefined);
  // The consumer's ceiling, like for like: read the log directly (a fresh buffer per read,
  // as records are views into it) and decode every record (no CRC check: the log checked
  // it), touching each value, as a consumer hands them out.
  const decodeCpu0 = process.cpuUsage();
  const decodeT0 = performance.now();
  let decoded = 0;
  let valueBytes = 0;
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const { records } = log.read(offset, { maxBytes: 1 << 20 });
    for (const b of iterateBatches(records)) {
      for (const r of await decodeBatch(records, b.position, { verifyCrc: false })) valueBytes += r.value!.length;
      decoded += b.header.recordCount;
      offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
  }
  const readDecodeS = (performance.now() - decodeT0) / 1000;
  const readDecodeCpuNs = cpuPerRecordNs(decodeCpu0, decoded);
  if (decoded !== batches * perBatch || valueBytes !== decoded * recordBytes) throw new Error(`decoded ${decoded} records`);
  const total = batches * perBatch;
  await log.close();
  report({
    name: 'append-read',
    appendRecordsPerSec: total / appendS,
    appendMbPerSec: (log.sizeInBytes / appendS) / 1e6,
    appendCpuPerRecordNs: appendCpuNs,
    readCpuPerRecordNs: readReusedCpuNs,
    readRecordsPerSec: total / readS,
    readFreshRecordsPerSec: total / readFreshS,
    readDecodeRecordsPerSec: total / readDecodeS,
    readDecodeCpuPerRecordNs: readDecodeCpuNs,
    encodeRecordsPerSec,
    peakRssMiB: peakRssMiB(),
  });
}

async function fdatasyncRate(): Promise<void> {
  const fd = openSync(join(dir, 'fsync.probe'), 'w');
  const block = Buffer.alloc(4096, 1);
  const lat: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    const s = performance.now();
    writeSync(fd, block);
    fdatasyncSync(fd);
    lat.push(performance.now() - s);
  }
  closeSync(fd);
  lat.sort((a, b) => a - b);
  report({ name: 'fdatasync', perSec: lat.length / ((performance.now() - t0) / 1000), p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), peakRssMiB: peakRssMiB() });
}

async function flushAlways(appenders: number): Promise<void> {
  const log = await PartitionLog.open({ dataDir: dir, topic: `always${appenders}`, partition: 0, config: { flushPolicy: 'always' } });
  const single = batchOf(1, Date.now());
  const perAppender = appenders === 1 ? 2_000 : Math.ceil(40_000 / appenders);
  const lat: number[] = [];
  const syncsBefore = log.stats.syncs;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      for (let i = 0; i < perAppender; i++) {
        const s = performance.now();
        await log.append(single);
        lat.push(performance.now() - s);
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const syncs = log.stats.syncs - syncsBefore;
  await log.close();
  lat.sort((a, b) => a - b);
  const total = appenders * perAppender;
  report({ name: `always-${appenders}`, recordsPerSec: total / s, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), syncs, recordsPerSync: total / syncs, peakRssMiB: peakRssMiB() });
}

async function fill(): Promise<void> {
  // Writes `argv[4]` MiB of 100-byte records with flush os and then waits to be killed.
  const mib = Number(process.argv[4] ?? 1024);
  // One active segment just under 1 GiB: the worst case, since recovery scans the whole
  // active segment (segments before it were fsynced when they rolled).
  const log = await PartitionLog.open({ dataDir: dir, topic: 'reopen', partition: 0 });
  const batch = batchOf(1_000, Date.now());
  while (log.sizeInBytes + 2 * batch.length < mib * 1024 * 1024) log.write(batch);
  process.stdout.write(`${JSON.stringify({ name: 'filled', bytes: log.sizeInBytes })}\n`);
  setInterval(() => {
    if (log.sizeInBytes + batch.length < mib * 1024 * 1024) log.write(batch);
  }, 1); // still appending when the kill lands
}

async function reopen(): Promise<void> {
  const t0 = performance.now();
  const log = await PartitionLog.open({ dataDir: dir, topic: 'reopen', partition: 0 });
  const ms = performance.now() - t0;
  const result = { name: 'reopen', ms, bytes: log.sizeInBytes, clean: String(log.recovery.clean), bytesTruncated: log.recovery.bytesTruncated, batchesScanned: log.recovery.batchesScanned, peakRssMiB: peakRssMiB() };
  await log.close();
  report(result);
}

mkdirSync(dir, { recursive: true });
// Every case starts with no dirty pages, so that Linux's writeback throttling (which here
// slows writers after roughly 600 MB of unflushed data) hits no case more than another.
execSync('sync');
const cases: Record<string, () => Promise<void>> = {
  ceiling,
  'append-read': appendAndRead,
  fdatasync: fdatasyncRate,
  'always-1': () => flushAlways(1),
  'always-64': () => flushAlways(64),
  fill,
  reopen,
};
const run = cases[caseName];
if (!run) throw new Error(`unknown case ${caseName}`);
await run();
