/**
 * The leader's produce path for compressed batches (session s13): a leader `Partition` over
 * a `PartitionLog` in a temporary folder, appending produced batches as a client's Produce
 * reaches it (`nowMs` set, so the timestamp rules run under Kafka 4.0's default topic
 * configs: CreateTime, `before.max.ms` unbounded, `after.max.ms` one hour). 100 records of
 * 100 bytes with 6-byte keys a batch, in the codec given. Prints CPU per record of the
 * measured loop (every thread of the process), after a warm-up.
 *
 * `npx tsx bench/compressed-produce-cases.ts <none|gzip|snappy|lz4|zstd> <records> [repo root]`:
 * the root lets two checkouts be compared, alternated in fresh processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const codec = process.argv[2] ?? 'lz4';
const totalRecords = Number(process.argv[3] ?? 1_000_000);
const root = process.argv[4] ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const { encodeBatch } = await import(`${root}/src/record/codecs/index.ts`);
const { PartitionLog } = await import(`${root}/src/storage/partition-log.ts`);
const { Partition } = await import(`${root}/src/broker/partition.ts`);
const recordsPerBatch = 100;
const dir = mkdtempSync(join(tmpdir(), 'cpbench-'));
try {
  const log = await PartitionLog.open({ dataDir: dir, topic: 't', partition: 0, config: { segmentBytes: 256 * 1024 * 1024, retentionBytes: 512 * 1024 * 1024 } });
  const leader = new Partition({ log, brokerId: 1, config: { minInsyncReplicas: 1 } });
  leader.makeLeader({ leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1], isr: [1] }, 0);
  const nowMs = Date.now();
  const value = Buffer.alloc(100, 7);
  // 16 distinct batches (a client's batches differ), the same on both sides of an A/B.
  const batches: Buffer[] = [];
  for (let k = 0; k < 16; k++) {
    const records = Array.from({ length: recordsPerBatch }, (_, i) => ({ key: Buffer.from(`key-${(k * recordsPerBatch + i) % 1000}`.padEnd(6, '-').slice(0, 6)), value, timestamp: nowMs - 1_000 + i }));
    batches.push(await encodeBatch(records, { now: nowMs, ...(codec === 'none' ? {} : { compression: codec }) }));
  }
  const run = (records: number) => {
    for (let done = 0, i = 0; done < records; done += recordsPerBatch, i++) {
      // A copy: a leader that corrects a header writes a copy, and a socket gives fresh bytes each time.
      const out = leader.appendAsLeader(Buffer.from(batches[i % 16]!), { acks: 1, nowMs }, 1);
      if (out.errorCode !== 'NONE') throw new Error(`${out.errorCode}: ${out.message}`);
    }
  };
  run(Math.min(totalRecords / 5, 200_000));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  run(totalRecords);
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ root, codec, totalRecords, batchBytes: batches[0]!.length, cpuNsPerRecord: Math.round(((cpu.user + cpu.system) * 1000) / totalRecords), recordsPerSec: Math.round(totalRecords / (ms / 1000)) }));
  await log.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
