/**
 * The write path at the partition level, without clients, transport or timers (issue 13
 * item 4): a leader `Partition` and two followers in one process, over `PartitionLog`s in
 * temporary folders (flush os) or `MemoryLog`s; 100-byte records in batches appended as
 * leader, fetched and appended by both followers every 8 batches. Prints CPU per record
 * over the measured loop (after a warm-up).
 *
 * `npx tsx bench/write-path-cases.ts <records a batch> <records> <file|memory> [repo root]`:
 * the root lets two checkouts be compared side by side, run after run, on a shared machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const recordsPerBatch = Number(process.argv[2]);
const totalRecords = Number(process.argv[3]);
const store = process.argv[4] ?? 'file';
const root = process.argv[5] ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const { encodeBatchUncompressed } = await import(`${root}/src/record/batch.ts`);
const { PartitionLog, MemoryLog } = await import(`${root}/src/storage/partition-log.ts`);
const { Partition } = await import(`${root}/src/broker/partition.ts`);
const dir = mkdtempSync(join(tmpdir(), 'wpbench-'));
try {
  const state = { leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3] };
  const parts = [];
  for (const id of [1, 2, 3]) {
    const log = store === 'memory' ? new MemoryLog({ topic: 't', partition: 0, config: { segmentBytes: 64 * 1024 * 1024, retentionBytes: 256 * 1024 * 1024 } }) : await PartitionLog.open({ dataDir: join(dir, `n${id}`), topic: 't', partition: 0 });
    parts.push(new Partition({ log, brokerId: id, config: { minInsyncReplicas: 2 } }));
  }
  const [a, b, c] = parts;
  a.makeLeader(state, 0);
  b.makeFollower(state, 0);
  c.makeFollower(state, 0);
  const value = Buffer.alloc(100, 1);
  const batches = Array.from({ length: 64 }, (_, k) => encodeBatchUncompressed(Array.from({ length: recordsPerBatch }, () => ({ value })), { now: 1000 + k }));
  const run = (records: number) => {
    let now = 1;
    for (let done = 0, i = 0; done < records; done += recordsPerBatch, i++) {
      const out = a.appendAsLeader(batches[i % 64], { acks: 1 }, now);
      if (out.errorCode !== 'NONE') throw new Error(out.errorCode);
      if (i % 8 === 7 || done + recordsPerBatch >= records) {
        for (const f of [b, c]) {
          const req = f.followerFetchRequest(8 * 1024 * 1024)!;
          f.appendAsFollower(req, a.fetchAsLeader(req, now).response);
        }
        now++;
      }
    }
  };
  run(Math.min(totalRecords / 5, 200_000));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  run(totalRecords);
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ root, store, recordsPerBatch, totalRecords, cpuNsPerRecord: Math.round(((cpu.user + cpu.system) * 1000) / totalRecords), recordsPerSec: Math.round(totalRecords / (ms / 1000)) }));
  for (const p of parts) await p.log.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
