import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crcStartPosition, decodeUncompressedBatch, encodeBatchUncompressed, iterateBatches, positions, readBatchHeader } from '../record/batch.js';
import { crc32c } from '../util/crc32c.js';
import { MemoryLog } from '../storage/memory-log.js';
import { PartitionLog } from '../storage/partition-log.js';
import type { Log } from '../storage/log.js';
import { AssertionError } from '../util/assert.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import {
  Partition,
  type LeaderAndIsr,
  type PartitionConfig,
  type ProduceOutcome,
} from './partition.js';
import { readHighWatermarkCheckpoint, writeHighWatermarkCheckpoint } from './offset-checkpoint-file.js';

const tempDir = useTempDirs('tributary-partition-');

const batch = (values: string[], p: { producerId?: number; producerEpoch?: number; baseSequence?: number } = {}): Buffer =>
  encodeBatchUncompressed(
    values.map((v) => ({ value: Buffer.from(v) })),
    { now: 1000, ...p },
  );

/** Every record value in a log, in offset order. */
function valuesOf(log: Log): string[] {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset);
    for (const { position, header } of iterateBatches(records)) {
      for (const r of decodeUncompressedBatch(records, position)) out.push(Buffer.from(r.value!).toString());
      offset = header.baseOffset + header.lastOffsetDelta + 1;
    }
  }
  return out;
}

const state = (leader: number, leaderEpoch: number, isr = [1, 2, 3], partitionEpoch = leaderEpoch, replicas = [1, 2, 3]): LeaderAndIsr => ({ leader, leaderEpoch, partitionEpoch, replicas, isr });

function cluster(config: Partial<PartitionConfig> = { minInsyncReplicas: 2, replicaLagTimeMaxMs: 1000 }): Partition[] {
  return [1, 2, 3].map((id) => new Partition({ log: new MemoryLog({ topic: 't', partition: 0 }), brokerId: id, config }));
}

/** One fetch round trip from follower to leader; returns whether anything changed. */
function pump(leader: Partition, follower: Partition, now: number): void {
  const req = follower.followerFetchRequest();
  if (req === undefined) return;
  const { response } = leader.fetchAsLeader(req, now);
  follower.appendAsFollower(req, response);
}

function ok(outcome: ProduceOutcome): { firstOffset: number; lastOffset: number; duplicate: boolean; pending: boolean } {
  expect(outcome.errorCode).toBe('NONE');
  return outcome as never;
}

describe('leader and followers', () => {
  it('replicates, advances the high watermark over the ISR and completes acks=all', () => {
    const [a, b, c] = cluster();
    a!.makeLeader(state(1, 0), 0);
    b!.makeFollower(state(1, 0), 0);
    c!.makeFollower(state(1, 0), 0);
    const r = ok(a!.appendAsLeader(batch(['x', 'y']), { acks: -1, token: 7 }, 0));
    expect([r.firstOffset, r.lastOffset, r.pending]).toEqual([0, 1, true]);
    expect(a!.drainAcks()).toEqual([]);
    pump(a!, b!, 1);
    expect(a!.highWatermark).toBe(0); // c has not fetched
    pump(a!, c!, 1);
    expect(a!.highWatermark).toBe(0); // both fetched from 0: the records are not yet theirs
    pump(a!, b!, 2);
    expect(a!.highWatermark).toBe(0);
    pump(a!, c!, 2);
    expect(a!.highWatermark).toBe(2);
    expect(a!.drainAcks()).toEqual([{ token: 7, errorCode: 'NONE', firstOffset: 0, lastOffset: 1 }]);
    // Followers learn the high watermark on their next fetch.
    pump(a!, b!, 3);
    expect(b!.highWatermark).toBe(2);
    expect(valuesOf(b!.log)).toEqual(['x', 'y']);
    // The leader stamped its epoch into the batches, and the followers kept it.
    expect(b!.epochs).toEqual([{ epoch: 0, startOffset: 0 }]);
    expect(b!.log.epochs()).toEqual([{ epoch: 0, startOffset: 0 }]);
  });

  it('acks=1 and acks=0 answer at once; an invalid acks is refused', () => {
    const [a] = cluster();
    a!.makeLeader(state(1, 0), 0);
    expect(ok(a!.appendAsLeader(batch(['x']), { acks: 1 }, 0)).pending).toBe(false);
    expect(ok(a!.appendAsLeader(batch(['y']), { acks: 0 }, 0)).pending).toBe(false);
    expect(a!.appendAsLeader(batch(['z']), { acks: 2 }, 0).errorCode).toBe('INVALID_REQUIRED_ACKS');
  });

  it('refuses acks=all with NOT_ENOUGH_REPLICAS before appending when the ISR is below min.insync.replicas', () => {
    const [a] = cluster();
    a!.makeLeader(state(1, 0, [1]), 0);
    expect(a!.appendAsLeader(batch(['x']), { acks: -1 }, 0).errorCode).toBe('NOT_ENOUGH_REPLICAS');
    expect(a!.logEndOffset).toBe(0);
    // acks=1 is still accepted, as in Kafka.
    ok(a!.appendAsLeader(batch(['x']), { acks: 1 }, 0));
    expect(a!.logEndOffset).toBe(1);
  });

  it('answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below the minimum before the high watermark passed', () => {
    const [a, b] = cluster();
    a!.makeLeader(state(1, 0, [1, 2]), 0);
    b!.makeFollower(state(1, 0, [1, 2]), 0);
    ok(a!.appendAsLeader(batch(['x']), { acks: -1, token: 1 }, 0));
    // The controller commits an ISR of {1} (b fell behind) before b fetched the record.
    a!.makeLeader(state(1, 0, [1], 1), 10);
    expect(a!.highWatermark).toBe(1);
    expect(a!.drainAcks()).toEqual([{ token: 1, errorCode: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', firstOffset: 0, lastOffset: 0 }]);
  });

  it('fails waiting acks when leadership moves, and times them out', () => {
    const [a] = cluster();
    a!.makeLeader(state(1, 0), 0);
    ok(a!.appendAsLeader(batch(['x']), { acks: -1, token: 1, timeoutMs: 100 }, 0));
    ok(a!.appendAsLeader(batch(['y']), { acks: -1, token: 2, timeoutMs: 1000 }, 50));
    a!.tick(100);
    expect(a!.drainAcks().map((x) => [x.token, x.errorCode])).toEqual([[1, 'REQUEST_TIMED_OUT']]);
    a!.makeFollower(state(2, 1), 200);
    expect(a!.drainAcks().map((x) => [x.token, x.errorCode])).toEqual([[2, 'NOT_LEADER_OR_FOLLOWER']]);
    expect(a!.appendAsLeader(batch(['z']), { acks: 1 }, 300).errorCode).toBe('NOT_LEADER_OR_FOLLOWER');
  });

  it('ignores stale metadata', () => {
    const [a] = cluster();
    expect(a!.makeLeader(state(1, 3), 0)).toBe(true);
    expect(a!.makeFollower(state(2, 2), 0)).toBe(false);
    expect(a!.makeLeader(state(1, 3), 0)).toBe(false);
    expect(a!.role).toBe('leader');
    expect(a!.makeLeader(state(1, 3, [1, 2], 4), 0)).toBe(true);
    expect(a!.isr).toEqual([1, 2]);
    expect(a!.makeLeader(state(1, 3, [1, 2, 3], 4), 0)).toBe(false);
    expect(a!.isr).toEqual([1, 2]);
  });
});

describe('idempotent producers', () => {
  it('returns the original offsets for a retried batch and appends nothing', () => {
    const [a] = cluster({ minInsyncReplicas: 1 });
    a!.makeLeader(state(1, 0, [1]), 0);
    const p = { producerId: 42, producerEpoch: 0 };
    const first = ok(a!.appendAsLeader(batch(['a', 'b'], { ...p, baseSequence: 0 }), { acks: -1, token: 1 }, 0));
    ok(a!.appendAsLeader(batch(['c'], { ...p, baseSequence: 2 }), { acks: -1, token: 2 }, 0));
    const again = ok(a!.appendAsLeader(batch(['a', 'b'], { ...p, baseSequence: 0 }), { acks: -1, token: 3 }, 0));
    expect(again).toMatchObject({ firstOffset: first.firstOffset, lastOffset: first.lastOffset, duplicate: true });
    expect(a!.logEndOffset).toBe(3);
    expect(a!.drainAcks().map((x) => [x.token, x.errorCode, x.firstOffset])).toEqual([
      [1, 'NONE', 0],
      [2, 'NONE', 2],
      [3, 'NONE', 0],
    ]);
  });

  it('refuses a gap in sequences and an older producer epoch', () => {
    const [a] = cluster({ minInsyncReplicas: 1 });
    a!.makeLeader(state(1, 0, [1]), 0);
    ok(a!.appendAsLeader(batch(['a'], { producerId: 9, producerEpoch: 1, baseSequence: 0 }), { acks: 1 }, 0));
    expect(a!.appendAsLeader(batch(['b'], { producerId: 9, producerEpoch: 1, baseSequence: 5 }), { acks: 1 }, 0).errorCode).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(a!.appendAsLeader(batch(['b'], { producerId: 9, producerEpoch: 0, baseSequence: 1 }), { acks: 1 }, 0).errorCode).toBe('INVALID_PRODUCER_EPOCH');
    expect(a!.logEndOffset).toBe(1);
  });

  it('a new leader knows the producers its log holds (duplicates caught after failover)', () => {
    const [a, b, c] = cluster();
    a!.makeLeader(state(1, 0), 0);
    b!.makeFollower(state(1, 0), 0);
    c!.makeFollower(state(1, 0), 0);
    const p = { producerId: 5, producerEpoch: 0, baseSequence: 0 };
    ok(a!.appendAsLeader(batch(['a'], p), { acks: -1 }, 0));
    pump(a!, b!, 1);
    pump(a!, b!, 2);
    // a dies before answering; b leads; the producer retries there.
    b!.makeLeader(state(2, 1, [2, 3]), 3);
    const retry = ok(b!.appendAsLeader(batch(['a'], p), { acks: -1 }, 3));
    expect(retry).toMatchObject({ firstOffset: 0, lastOffset: 0, duplicate: true });
    expect(b!.logEndOffset).toBe(1);
  });

  it('keeps the stored (corrected) max timestamp as the producer’s last timestamp, the same on leader and follower', () => {
    // A hand-made idempotent batch whose header understates its records' largest timestamp:
    // the leader stores the records' largest (Kafka's setMaxTimestamp), and its producer
    // state must take that stored value, as the follower's (built from the stored batch) does.
    const config = { minInsyncReplicas: 1, replicaLagTimeMaxMs: 1000 };
    const logs = [1, 2].map(() => new MemoryLog({ topic: 't', partition: 0, config: { messageTimestampAfterMaxMs: 3_600_000 } }));
    const [a, b] = logs.map((log, i) => new Partition({ log, brokerId: i + 1, config }));
    a!.makeLeader(state(1, 0, [1, 2], 0, [1, 2]), 0);
    b!.makeFollower(state(1, 0, [1, 2], 0, [1, 2]), 0);
    const stamped = encodeBatchUncompressed([{ value: Buffer.from('x'), timestamp: 5000 }], { now: 5000, producerId: 7, producerEpoch: 0, baseSequence: 0 });
    stamped.writeBigInt64BE(1000n, positions.maxTimestamp);
    stamped.writeUInt32BE(crc32c(stamped, crcStartPosition, stamped.length), positions.crc);
    ok(a!.appendAsLeader(stamped, { acks: 1, nowMs: 5000 }, 0));
    pump(a!, b!, 1);
    const stored = logs[0]!.read(0).records;
    expect(readBatchHeader(Buffer.from(stored)).maxTimestamp).toBe(5000);
    const [leaderState, followerState] = logs.map((log) => Buffer.from(log.producerSnapshots.source!()));
    expect(leaderState!.readDoubleBE(4 + 10)).toBe(5000); // producer 7's last timestamp
    expect(leaderState).toEqual(followerState);
  });

  it('refuses several batches for one partition, idempotent or not, as Kafka does (INVALID_RECORD), and appends nothing', () => {
    const [a] = cluster({ minInsyncReplicas: 1 });
    a!.makeLeader(state(1, 0, [1]), 0);
    const two = Buffer.concat([batch(['a'], { producerId: 1, producerEpoch: 0, baseSequence: 0 }), batch(['b'])]);
    expect(a!.appendAsLeader(two, { acks: 1 }, 0).errorCode).toBe('INVALID_RECORD');
    expect(a!.appendAsLeader(Buffer.concat([batch(['a']), batch(['b'])]), { acks: 1 }, 0).errorCode).toBe('INVALID_RECORD');
    expect(a!.logEndOffset).toBe(0);
    ok(a!.appendAsLeader(batch(['a', 'b']), { acks: 1 }, 0));
    expect(a!.logEndOffset).toBe(2);
  });
});

describe('fetches served by the leader', () => {
  it('serves consumers only below the high watermark, and checks offsets and epochs', () => {
    const [a, b] = cluster();
    a!.makeLeader(state(1, 4, [1, 2]), 0);
    b!.makeFollower(state(1, 4, [1, 2]), 0);
    ok(a!.appendAsLeader(batch(['x']), { acks: 1 }, 0));
    const consumer = (fetchOffset: number, currentLeaderEpoch = -1) => a!.fetchAsLeader({ replicaId: -1, fetchOffset, lastFetchedEpoch: -1, currentLeaderEpoch }, 0).response;
    expect(consumer(0).records.length).toBe(0); // high watermark 0
    pump(a!, b!, 1);
    pump(a!, b!, 2);
    expect(a!.highWatermark).toBe(1);
    expect(consumer(0).records.length).toBeGreaterThan(0);
    expect(consumer(1).records.length).toBe(0);
    expect(consumer(2).errorCode).toBe('OFFSET_OUT_OF_RANGE');
    expect(consumer(-1).errorCode).toBe('OFFSET_OUT_OF_RANGE');
    expect(consumer(0, 3).errorCode).toBe('FENCED_LEADER_EPOCH');
    expect(consumer(0, 5).errorCode).toBe('UNKNOWN_LEADER_EPOCH');
    expect(consumer(0, 4).errorCode).toBe('NONE');
    expect(b!.fetchAsLeader({ replicaId: -1, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: -1 }, 0).response.errorCode).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(a!.fetchAsLeader({ replicaId: 9, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: 4 }, 0).response.errorCode).toBe('NOT_LEADER_OR_FOLLOWER');
  });

  it('drops responses to older requests', () => {
    const [a, b] = cluster();
    a!.makeLeader(state(1, 0, [1, 2]), 0);
    b!.makeFollower(state(1, 0, [1, 2]), 0);
    ok(a!.appendAsLeader(batch(['x']), { acks: 1 }, 0));
    const req = b!.followerFetchRequest()!;
    const { response } = a!.fetchAsLeader(req, 1);
    expect(b!.appendAsFollower(req, response).ignored).toBe(false);
    // The same response delivered twice (a duplicate on the network) does nothing.
    expect(b!.appendAsFollower(req, response).ignored).toBe(true);
    expect(b!.logEndOffset).toBe(1);
  });
});

describe('ISR changes', () => {
  it('proposes to drop a lagging follower and to add it back once caught up; the high watermark waits for a pending addition', () => {
    const [a, b, c] = cluster();
    a!.makeLeader(state(1, 0), 0);
    b!.makeFollower(state(1, 0), 0);
    c!.makeFollower(state(1, 0), 0);
    ok(a!.appendAsLeader(batch(['x']), { acks: -1, token: 1 }, 0));
    for (let t = 100; t <= 1500; t += 100) pump(a!, b!, t);
    expect(a!.tick(1500).proposal).toEqual({ leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 2] });
    // While the change is pending the high watermark is still computed over {1,2,3}.
    expect(a!.highWatermark).toBe(0);
    expect(a!.tick(1600).proposal).toBeUndefined();
    // Unanswered: proposed again after alterPartitionRetryMs.
    expect(a!.tick(2600).proposal).toEqual({ leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 2] });
    a!.alterPartitionResponse({ errorCode: 'NONE', leaderEpoch: 0, partitionEpoch: 1, isr: [1, 2] });
    expect(a!.isr).toEqual([1, 2]);
    expect(a!.highWatermark).toBe(1);
    expect(a!.drainAcks().map((x) => x.errorCode)).toEqual(['NONE']);

    ok(a!.appendAsLeader(batch(['y']), { acks: -1, token: 2 }, 2700));
    c!.makeFollower(state(1, 0, [1, 2], 1), 2700);
    // c catches up to the high watermark: a proposes it back, and counts it at once.
    const req = c!.followerFetchRequest(1)!; // one batch at a time
    const out = a!.fetchAsLeader(req, 2800);
    expect(out.proposal).toBeUndefined(); // c is at 0, below the high watermark 1
    c!.appendAsFollower(req, out.response);
    const req2 = c!.followerFetchRequest(1)!;
    const out2 = a!.fetchAsLeader(req2, 2900);
    expect(out2.proposal).toEqual({ leaderEpoch: 0, partitionEpoch: 1, newIsr: [1, 2, 3] });
    expect(a!.maximalIsr).toEqual([1, 2, 3]);
    expect(a!.isr).toEqual([1, 2]);
    pump(a!, b!, 2950);
    pump(a!, b!, 2960);
    // b has 'y', c not yet: the high watermark waits for c, already counted.
    expect(a!.highWatermark).toBe(1);
    c!.appendAsFollower(req2, out2.response);
    pump(a!, c!, 3000);
    expect(a!.highWatermark).toBe(2);
  });

  it('starts follower state over when the replica set changes within a term (reassignment)', () => {
    const [a] = cluster({ minInsyncReplicas: 1 });
    const b4 = new Partition({ log: new MemoryLog({ topic: 't', partition: 0 }), brokerId: 4, config: { minInsyncReplicas: 1 } });
    a!.makeLeader(state(1, 0, [1]), 0);
    ok(a!.appendAsLeader(batch(['x']), { acks: 1 }, 0));
    expect(a!.highWatermark).toBe(1);
    // Broker 4 is added as a replica (same leader epoch, new partition epoch).
    a!.makeLeader(state(1, 0, [1], 1, [1, 2, 3, 4]), 1);
    b4.makeFollower(state(1, 0, [1], 1, [1, 2, 3, 4]), 1);
    pump(a!, b4, 2);
    const req = b4.followerFetchRequest()!;
    expect(a!.fetchAsLeader(req, 3).proposal).toEqual({ leaderEpoch: 0, partitionEpoch: 1, newIsr: [1, 4] });
    expect(a!.highWatermark).toBe(1);
  });

  it('goes back to the committed ISR when the controller says the change was not made', () => {
    const [a, b] = cluster();
    a!.makeLeader(state(1, 0, [1, 3]), 0);
    b!.makeFollower(state(1, 0, [1, 3]), 0);
    pump(a!, b!, 1);
    expect(a!.maximalIsr).toEqual([1, 2, 3]);
    a!.alterPartitionResponse({ errorCode: 'INVALID_UPDATE_VERSION', leaderEpoch: 0, partitionEpoch: 0, isr: [1, 3] });
    expect(a!.maximalIsr).toEqual([1, 2, 3]); // may have been made: wait for metadata
    a!.alterPartitionResponse({ errorCode: 'INELIGIBLE_REPLICA', leaderEpoch: 0, partitionEpoch: 0, isr: [1, 3] });
    expect(a!.maximalIsr).toEqual([1, 3]);
    expect(a!.pendingIsrChange).toBeUndefined();
  });
});

describe('flush before acknowledging (hwRequiresFlush)', () => {
  it('counts only flushed offsets toward the high watermark and makes followers flush before fetching', () => {
    const [a, b] = cluster({ minInsyncReplicas: 2, hwRequiresFlush: true });
    a!.makeLeader(state(1, 0, [1, 2]), 0);
    b!.makeFollower(state(1, 0, [1, 2]), 0);
    ok(a!.appendAsLeader(batch(['x']), { acks: -1, token: 1 }, 0));
    pump(a!, b!, 1);
    expect(b!.logEndOffset).toBe(1);
    expect(b!.followerFetchRequest()).toBeUndefined();
    b!.markFlushed({ offset: 1, truncations: 0 });
    pump(a!, b!, 2);
    expect(a!.highWatermark).toBe(0);
    a!.markFlushed({ offset: 1, truncations: 0 });
    expect(a!.highWatermark).toBe(1);
    expect(a!.drainAcks().map((x) => x.errorCode)).toEqual(['NONE']);
    // The follower's high watermark waits for its own flush too.
    ok(a!.appendAsLeader(batch(['y']), { acks: 1 }, 3));
    a!.markFlushed({ offset: 2, truncations: 0 });
    pump(a!, b!, 3); // b gets y and the high watermark 1
    pump(a!, b!, 4); // nothing: b must flush first
    expect(b!.highWatermark).toBe(1);
    b!.markFlushed({ offset: 2, truncations: 0 });
    pump(a!, b!, 5);
    expect(a!.highWatermark).toBe(2);
    pump(a!, b!, 6);
    expect(b!.logEndOffset).toBe(2);
    expect(b!.highWatermark).toBe(2);
  });

  it('ignores a flush that began before a truncation', () => {
    const [a, b] = cluster({ minInsyncReplicas: 1, hwRequiresFlush: true });
    a!.makeLeader(state(1, 0, [1, 2]), 0);
    b!.makeFollower(state(1, 0, [1, 2]), 0);
    ok(a!.appendAsLeader(batch(['x']), { acks: 1 }, 0));
    a!.markFlushed(a!.flushPoint());
    pump(a!, b!, 1);
    b!.markFlushed(b!.flushPoint());
    // b's own tail in a later epoch that a never had (b led epoch 1 briefly).
    b!.makeLeader(state(2, 1, [1, 2], 1), 2);
    ok(b!.appendAsLeader(batch(['b1']), { acks: 1 }, 2));
    ok(b!.appendAsLeader(batch(['b2']), { acks: 1 }, 2));
    const stale = b!.flushPoint(); // a slow sync of offsets 0-2 begins...
    b!.markFlushed(b!.flushPoint()); // (another, quicker one completes: b may fetch)
    a!.makeLeader(state(1, 2, [1], 2), 3);
    ok(a!.appendAsLeader(batch(['y']), { acks: 1 }, 3));
    a!.markFlushed(a!.flushPoint());
    b!.makeFollower(state(1, 2, [1], 2), 3);
    pump(a!, b!, 4); // ...b truncates to 1
    expect(b!.truncations).toBe(1);
    expect(b!.logEndOffset).toBe(1);
    pump(a!, b!, 5); // and appends a's y at 1
    expect(valuesOf(b!.log)).toEqual(['x', 'y']);
    b!.markFlushed(stale); // the old sync completes: it does not cover the new y
    expect(b!.flushedOffset).toBe(1);
    expect(b!.followerFetchRequest()).toBeUndefined();
    b!.markFlushed(b!.flushPoint());
    expect(b!.flushedOffset).toBe(2);
  });
});

describe('on disk', () => {
  const open = (dataDir: string): Promise<PartitionLog> => PartitionLog.open({ dataDir, topic: 'orders', partition: 0 });

  it('reopens with the log end offset, the epoch history and the checkpointed high watermark', async () => {
    const dataDir = tempDir();
    const log = await open(dataDir);
    const a = new Partition({ log, brokerId: 1, config: { minInsyncReplicas: 1 } });
    a.makeLeader(state(1, 3, [1]), 0);
    ok(a.appendAsLeader(batch(['a', 'b']), { acks: -1 }, 0));
    a.makeLeader(state(1, 5, [1]), 1);
    ok(a.appendAsLeader(batch(['c'], { producerId: 8, producerEpoch: 0, baseSequence: 0 }), { acks: -1 }, 1));
    expect(a.highWatermark).toBe(3);
    writeHighWatermarkCheckpoint(dataDir, [{ topic: 'orders', partition: 0, offset: a.highWatermark }]);
    expect(readFileSync(join(dataDir, 'replication-offset-checkpoint'), 'utf8')).toBe('0\n1\norders 0 3\n');
    expect(readFileSync(join(dataDir, 'orders-0', 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n3 0\n5 2\n');
    log.abandon(); // a crash

    const reopened = await open(dataDir);
    const hw = readHighWatermarkCheckpoint(dataDir).get('orders-0');
    const again = new Partition({ log: reopened, brokerId: 1, highWatermark: hw, config: { minInsyncReplicas: 1 } });
    expect([again.logEndOffset, again.highWatermark]).toEqual([3, 3]);
    expect(again.epochs).toEqual([
      { epoch: 3, startOffset: 0 },
      { epoch: 5, startOffset: 2 },
    ]);
    // Producer state was rebuilt from the log: the retry is a duplicate.
    again.makeLeader(state(1, 6, [1]), 2);
    expect(ok(again.appendAsLeader(batch(['c'], { producerId: 8, producerEpoch: 0, baseSequence: 0 }), { acks: 1 }, 2))).toMatchObject({ duplicate: true, firstOffset: 2 });
    await reopened.close();
  });

  it('rebuilds the epoch history from the batches when the checkpoint is damaged', async () => {
    const dataDir = tempDir();
    const log = await open(dataDir);
    const a = new Partition({ log, brokerId: 1 });
    a.makeLeader(state(1, 2, [1]), 0);
    ok(a.appendAsLeader(batch(['a']), { acks: 1 }, 0));
    a.makeLeader(state(1, 4, [1]), 0);
    ok(a.appendAsLeader(batch(['b']), { acks: 1 }, 0));
    await log.close();
    writeFileSync(join(dataDir, 'orders-0', 'leader-epoch-checkpoint'), 'garbage');
    const reopened = await open(dataDir);
    expect(new Partition({ log: reopened, brokerId: 1 }).epochs).toEqual([
      { epoch: 2, startOffset: 0 },
      { epoch: 4, startOffset: 1 },
    ]);
    await reopened.close();
  });

  it('a missing or malformed high watermark checkpoint reads as empty', () => {
    const dataDir = tempDir();
    expect(readHighWatermarkCheckpoint(dataDir).size).toBe(0);
    writeFileSync(join(dataDir, 'replication-offset-checkpoint'), '0\n2\norders 0 3\n');
    expect(readHighWatermarkCheckpoint(dataDir).size).toBe(0);
  });

  it('KIP-101: a former leader with an unreplicated tail returns and truncates exactly that tail', async () => {
    const dirA = tempDir();
    const dirB = tempDir();
    const cfg = { minInsyncReplicas: 1, replicaLagTimeMaxMs: 1000 };
    const twoReplicas = (leader: number, leaderEpoch: number, isr: number[], partitionEpoch = leaderEpoch): LeaderAndIsr => ({ leader, leaderEpoch, partitionEpoch, replicas: [1, 2], isr });
    let logA = await open(dirA);
    const logB = await open(dirB);
    let a = new Partition({ log: logA, brokerId: 1, config: cfg });
    const b = new Partition({ log: logB, brokerId: 2, config: cfg });
    a.makeLeader(twoReplicas(1, 1, [1, 2]), 0);
    b.makeFollower(twoReplicas(1, 1, [1, 2]), 0);
    for (let i = 0; i < 8; i++) ok(a.appendAsLeader(batch([`a${i}`]), { acks: 1 }, 0));
    pump(a, b, 1); // b has 0-7
    pump(a, b, 2); // and the high watermark 8
    expect([b.logEndOffset, b.highWatermark]).toEqual([8, 8]);
    ok(a.appendAsLeader(batch(['a8']), { acks: 1 }, 3));
    ok(a.appendAsLeader(batch(['a9']), { acks: 1 }, 3));
    expect(a.logEndOffset).toBe(10);
    writeHighWatermarkCheckpoint(dirA, [{ topic: 'orders', partition: 0, offset: a.highWatermark }]);
    logA.abandon(); // a crashes with 8-9 unreplicated

    b.makeLeader(twoReplicas(2, 2, [2], 2), 10);
    for (let i = 0; i < 4; i++) ok(b.appendAsLeader(batch([`b${i}`]), { acks: 1 }, 10));
    expect(b.epochs).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 8 },
    ]);

    logA = await open(dirA);
    a = new Partition({ log: logA, brokerId: 1, highWatermark: readHighWatermarkCheckpoint(dirA).get('orders-0'), config: cfg });
    expect([a.logEndOffset, a.highWatermark]).toEqual([10, 8]);
    a.makeFollower(twoReplicas(2, 2, [2], 2), 20);
    const req = a.followerFetchRequest()!;
    expect(req).toMatchObject({ fetchOffset: 10, lastFetchedEpoch: 1, currentLeaderEpoch: 2 });
    const { response } = b.fetchAsLeader(req, 20);
    expect(response.divergingEpoch).toEqual({ epoch: 1, endOffset: 8 });
    expect(a.appendAsFollower(req, response).truncatedTo).toBe(8);
    expect(valuesOf(logA)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    expect(logA.epochs()).toEqual([{ epoch: 1, startOffset: 0 }]);
    pump(b, a, 21);
    pump(b, a, 22);
    expect(valuesOf(logA)).toEqual(valuesOf(logB));
    expect(valuesOf(logA).slice(8)).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect(a.epochs).toEqual(b.epochs);
    expect(b.maximalIsr).toEqual([1, 2]);
    await logA.close();
    // The truncation reached the disk: the reopened log has b's records, not a's tail.
    const reread = await open(dirA);
    expect(valuesOf(reread)).toEqual(valuesOf(logB));
    expect(readFileSync(join(dirA, 'orders-0', 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n1 0\n2 8\n');
    await reread.close();
    await logB.close();
  });

  it('refuses (as a bug) to truncate below its high watermark', () => {
    const leaderLog = new MemoryLog({ topic: 't', partition: 0 });
    const followerLog = new MemoryLog({ topic: 't', partition: 0 });
    const l = new Partition({ log: leaderLog, brokerId: 1 });
    l.makeLeader(state(1, 1, [1]), 0);
    for (let i = 0; i < 3; i++) ok(l.appendAsLeader(batch([`x${i}`]), { acks: 1 }, 0));
    // A follower that claims (wrongly) a high watermark of 3 over a log of another epoch.
    followerLog.write(batch(['y0', 'y1', 'y2']), { leaderEpoch: 0 });
    const f = new Partition({ log: followerLog, brokerId: 2, highWatermark: 3 });
    f.makeFollower(state(1, 1, [1]), 0);
    const req = f.followerFetchRequest()!;
    const { response } = l.fetchAsLeader(req, 0);
    expect(response.divergingEpoch).toEqual({ epoch: 0, endOffset: 0 });
    expect(() => f.appendAsFollower(req, response)).toThrow(AssertionError);
  });
});
