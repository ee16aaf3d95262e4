/**
 * The replication path alone, in one process, on real files: `tsx bench/replica-path.ts
 * [appends] [rounds]`. No producer, transport or broker shell: three `Partition`s (a
 * leader and two followers, RF 3) and the calls the broker makes for one acks=all append
 * of 4,700 100-byte records (one 512 KiB producer batch): the leader's append, each
 * follower's fetch of the data and its append, and each follower's next fetch, which moves
 * the high watermark past the append and completes it. Side by side, interleaved round by
 * round (the machine is shared, so runs minutes apart are not comparable):
 * - `leader-only`: the leader's append with acks=1 and no fetch (what acks=1 pays);
 * - `rf3`: the whole round, as the in-process cluster runs it (the follower takes the
 *   leader's tail without a CRC pass, storage/append-tail.ts);
 * - `rf3-crc`: the same with the mark taken off each answer, so each follower checksums
 *   it (what a follower behind a port or socket pays).
 * Each round uses fresh folders, removed after it, so that the page cache stays small: the
 * kernel's cost of a written byte grows several times once the machine's dirty pages pass
 * `dirty_background_ratio` (bench/results/2026-12-07g-rf3.md). Prints the median CPU
 * (user, system) a record of each over the rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partition, type LeaderAndIsr } from '../src/broker/partition.js';
import { encodeBatchUncompressed } from '../src/record/batch.js';
import { forgetChecksummedHere, markChecksummedHere } from '../src/record/checksummed-here.js';
import { PartitionLog } from '../src/storage/partition-log.js';
import { percentile, report } from './lib.js';

const appends = Number(process.argv[2] ?? 40);
const rounds = Number(process.argv[3] ?? 20);
const recordsPerAppend = 4_700;
const value = Buffer.alloc(100, 0x61);
const records = Array.from({ length: recordsPerAppend }, () => ({ value }));
const state: LeaderAndIsr = { leader: 1, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2, 3], isr: [1, 2, 3] };
const variants = ['leader-only', 'rf3', 'rf3-crc'] as const;
type Variant = (typeof variants)[number];
const samples = new Map<Variant, { user: number; system: number }[]>(variants.map((v) => [v, []]));

async function round(variant: Variant): Promise<{ user: number; system: number }> {
  const dirs = [1, 2, 3].map(() => mkdtempSync(join(tmpdir(), 'tributary-bench-replica-')));
  try {
    const logs = await Promise.all(dirs.map((dataDir) => PartitionLog.open({ dataDir, topic: 'bench', partition: 0 })));
    const [leader, ...followers] = logs.map((log, i) => new Partition({ log, brokerId: i + 1, config: { minInsyncReplicas: 2 } }));
    leader!.makeLeader(state, 0);
    for (const f of followers) f.makeFollower(state, 0);
    // As a Producer in this thread hands them over: checksummed here (the leader skips its pass).
    const batches = Array.from({ length: 4 }, () => {
      const b = encodeBatchUncompressed(records, { now: Date.now() });
      markChecksummedHere(b);
      return b;
    });
    const fetch = (f: Partition): void => {
      const req = f.followerFetchRequest()!;
      const { response } = leader!.fetchAsLeader(req, 0);
      if (variant === 'rf3-crc') forgetChecksummedHere(response.records);
      const out = f.appendAsFollower(req, response);
      if (out.errorCode !== 'NONE') throw new Error(`follower append: ${out.errorCode}`);
    };
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < appends; i++) {
      if (variant === 'leader-only') {
        leader!.appendAsLeader(batches[i & 3]!, { acks: 1 }, 0);
        continue;
      }
      leader!.appendAsLeader(batches[i & 3]!, { acks: -1, token: i }, 0);
      for (const f of followers) fetch(f); // the data
      for (const f of followers) fetch(f); // the follower's log end: the high watermark passes the append
      const acks = leader!.drainAcks();
      if (acks.length !== 1 || acks[0]!.errorCode !== 'NONE') throw new Error(`acks: ${JSON.stringify(acks)}`);
    }
    const cpu = process.cpuUsage(cpu0);
    for (const log of logs) await log.close();
    const n = appends * recordsPerAppend;
    return { user: (cpu.user * 1000) / n, system: (cpu.system * 1000) / n };
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

for (let r = 0; r <= rounds; r++) {
  for (const v of variants) {
    const s = await round(v);
    if (r > 0) samples.get(v)!.push(s); // round 0 warms up the JIT
  }
}
const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
for (const v of variants) {
  const s = samples.get(v)!;
  report({ name: `replica-path-${v}`, rounds, records: appends * recordsPerAppend, cpuPerRecordNs: median(s.map((x) => x.user + x.system)), userCpuPerRecordNs: median(s.map((x) => x.user)), systemCpuPerRecordNs: median(s.map((x) => x.system)) });
}
