/**
 * One pass down the write path (issue 13 item 4): a produced batch is checked once where
 * it enters its leader's partition, and once where its copy enters each follower's; the
 * log below trusts the check. The CRC-32C function and `checkBatch` are wrapped and every
 * pass over the batch is counted, so a second check anywhere on the path fails here.
 * A follower in the leader's thread that gets the batch from the leader's in-memory tail
 * (storage/append-tail.ts) checks its structure but not its CRC, which the leader checked
 * in this thread; bytes that crossed a thread are checksummed again.
 * (Before: the leader's `Partition` and its `PartitionLog` each ran `checkBatch` over the
 * batch, two structural passes on the leader.)
 */
import { describe, expect, it, vi } from 'vitest';

const counts = { crc: 0, checks: 0, minBytes: Number.POSITIVE_INFINITY };

vi.mock('../util/crc32c.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../util/crc32c.js')>();
  const note = (start: number, end: number): void => {
    if (end - start >= counts.minBytes) counts.crc++;
  };
  return {
    ...real,
    crc32c: (buf: Uint8Array, start = 0, end = buf.length) => (note(start, end), real.crc32c(buf, start, end)),
    crc32cUpdate: (crc: number, buf: Uint8Array, start = 0, end = buf.length) => (note(start, end), real.crc32cUpdate(crc, buf, start, end)),
  };
});

vi.mock('../record/batch.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../record/batch.js')>();
  return {
    ...real,
    checkBatch: (bytes: Uint8Array, pos: number, end: number, verifyCrc?: boolean) => {
      if (end - pos >= counts.minBytes) counts.checks++;
      return real.checkBatch(bytes, pos, end, verifyCrc);
    },
    // The validator's numeric form of the same check (record/batch.ts).
    checkedBatchSize: (buf: Buffer, pos: number, end: number, verifyCrc: boolean) => {
      if (end - pos >= counts.minBytes) counts.checks++;
      return real.checkedBatchSize(buf, pos, end, verifyCrc);
    },
  };
});

const { encodeBatchUncompressed } = await import('../record/batch.js');
const { MemoryLog } = await import('../storage/memory-log.js');
const { Partition } = await import('./partition.js');

const state = { leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3] };

describe('the write path checks a batch once per replica', () => {
  it.each([
    ['delete', 'CreateTime', 'in this thread'],
    ['compact', 'CreateTime', 'in this thread'],
    ['delete', 'LogAppendTime', 'in this thread'],
    ['delete', 'CreateTime', 'across a thread'],
  ] as const)('cleanup.policy=%s, message.timestamp.type=%s, follower %s: one CRC and one check on the leader; one check on every follower, and its CRC unless the bytes came from the leader’s tail in this thread', (cleanupPolicy, messageTimestampType, where) => {
    const [a, b, c] = [1, 2, 3].map(
      (id) => new Partition({ log: new MemoryLog({ topic: 't', partition: 0, config: { cleanupPolicy, messageTimestampType } }), brokerId: id, config: { minInsyncReplicas: 2 } }),
    );
    a!.makeLeader(state, 0);
    b!.makeFollower(state, 0);
    c!.makeFollower(state, 0);
    const batch = encodeBatchUncompressed(
      Array.from({ length: 10 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(1000, i) })),
      { now: 1000, producerId: 7, producerEpoch: 0, baseSequence: 0 },
    );
    counts.minBytes = 10_000;
    counts.crc = 0;
    counts.checks = 0;
    const out = a!.appendAsLeader(batch, { acks: -1, token: 1 }, 0);
    expect(out.errorCode).toBe('NONE');
    // LogAppendTime changes bytes inside the CRC, so the log computes the new CRC: a
    // write, not a check.
    const stamp = messageTimestampType === 'LogAppendTime' ? 1 : 0;
    expect({ crc: counts.crc, checks: counts.checks }).toEqual({ crc: 1 + stamp, checks: 1 });
    // The leader's tail answers in this thread with bytes whose CRC it checked (not a
    // LogAppendTime topic's, which it does not keep); a structured clone (what a
    // MessagePort or a worker boundary does) drops that mark.
    const followerCrc = where === 'in this thread' && stamp === 0 ? 0 : 1;
    for (const [i, f] of [b!, c!].entries()) {
      const req = f.followerFetchRequest()!;
      const { response } = a!.fetchAsLeader(req, 1);
      const answer = where === 'in this thread' ? response : { ...response, records: structuredClone(response.records) };
      expect(f.appendAsFollower(req, answer).appended?.recordCount).toBe(10);
      expect({ crc: counts.crc, checks: counts.checks }).toEqual({ crc: 1 + stamp + followerCrc * (i + 1), checks: 1 + (i + 1) });
    }
    counts.minBytes = Number.POSITIVE_INFINITY;
  });
});
