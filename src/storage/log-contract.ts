import { describe, expect, it } from 'vitest';
import { encodeBatchUncompressed, iterateBatches, readBatchHeader, type RecordInput } from '../record/batch.js';
import { decodeBatch, decodeBatches, encodeBatch } from '../record/codecs/index.js';
import { isTributaryError } from '../util/errors.js';
import type { Log, LogConfig } from './log.js';

/**
 * The contract every `Log` implementation passes: one suite, run against `MemoryLog` and
 * the file-backed `PartitionLog` (hono's shared router suite is the model).
 * `makeLog(config)` returns a fresh, empty log.
 * @internal
 */
export function logContract(name: string, makeLog: (config?: Partial<LogConfig>) => Promise<Log>): void {
  const value = (n: number): Buffer => Buffer.from(`value-${n}`);
  const batch = (from: number, count: number, opts: { key?: (i: number) => string | null; timestamp?: (i: number) => number } = {}): Buffer =>
    encodeBatchUncompressed(
      Array.from({ length: count }, (_, i): RecordInput => {
        const k = opts.key?.(from + i);
        return { key: k == null ? null : Buffer.from(k), value: value(from + i), timestamp: opts.timestamp?.(from + i) ?? 1_000 + from + i };
      }),
    );
  async function readAll(log: Log, from = log.logStartOffset): Promise<{ offset: number; value: string | null; key: string | null }[]> {
    const out: { offset: number; value: string | null; key: string | null }[] = [];
    let offset = from;
    while (offset < log.logEndOffset) {
      const { records } = log.read(offset, { maxBytes: 4096 });
      if (records.length === 0) break;
      for (const r of await decodeBatches(records)) {
        if (r.offset >= offset) out.push({ offset: r.offset, value: r.value && Buffer.from(r.value).toString(), key: r.key && Buffer.from(r.key).toString() });
      }
      let last = offset;
      for (const b of iterateBatches(records)) last = b.header.baseOffset + b.header.lastOffsetDelta + 1;
      offset = last;
    }
    return out;
  }

  describe(`Log contract: ${name}`, () => {
    it('starts empty at offset 0', async () => {
      const log = await makeLog();
      expect(log.logStartOffset).toBe(0);
      expect(log.logEndOffset).toBe(0);
      expect(log.read(0).records.length).toBe(0);
      await log.close();
    });

    it('assigns consecutive offsets and reads back whole batches in order', async () => {
      const log = await makeLog();
      const a = await log.append(batch(0, 3));
      const b = await log.append(batch(3, 2));
      expect(a).toMatchObject({ firstOffset: 0, lastOffset: 2, recordCount: 3, batchCount: 1 });
      expect(b).toMatchObject({ firstOffset: 3, lastOffset: 4 });
      expect(log.logEndOffset).toBe(5);
      const all = await readAll(log);
      expect(all.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
      expect(all.map((r) => r.value)).toEqual([0, 1, 2, 3, 4].map((n) => `value-${n}`));
      // Reading from the middle of a batch returns the whole batch that holds it.
      const mid = log.read(1).records;
      expect(readBatchHeader(mid).baseOffset).toBe(0);
      await log.close();
    });

    it('appends several batches in one call, atomically', async () => {
      const log = await makeLog();
      const info = await log.append(Buffer.concat([batch(0, 2), batch(2, 3)]));
      expect(info).toMatchObject({ firstOffset: 0, lastOffset: 4, batchCount: 2, recordCount: 5 });
      const corrupt = Buffer.concat([batch(5, 1), batch(6, 1)]);
      corrupt[corrupt.length - 1]! ^= 0xff;
      expect(() => log.write(corrupt)).toThrowError(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
      expect(log.logEndOffset).toBe(5);
      await log.close();
    });

    it('does not change the caller’s buffer', async () => {
      const log = await makeLog();
      await log.append(batch(0, 1));
      const b = batch(0, 1);
      const copy = Buffer.from(b);
      await log.append(b);
      expect(b.equals(copy)).toBe(true);
      await log.close();
    });

    it('honours maxBytes, but always returns at least one batch', async () => {
      const log = await makeLog();
      for (let i = 0; i < 10; i++) await log.append(batch(10 + i * 5, 5)); // equal-sized values
      const one = log.read(0, { maxBytes: 1 }).records;
      expect([...iterateBatches(one)].length).toBe(1);
      const size = one.length;
      const three = log.read(0, { maxBytes: size * 3 + 1 }).records;
      expect([...iterateBatches(three)].length).toBe(3);
      await log.close();
    });

    it('reads into a caller’s buffer, and sequential reads see every batch once', async () => {
      const log = await makeLog({ segmentBytes: 500, indexIntervalBytes: 64 });
      for (let i = 0; i < 40; i++) await log.append(batch(100 + i * 3, 3));
      const into = Buffer.alloc(256);
      const seen: number[] = [];
      let offset = 0;
      while (offset < log.logEndOffset) {
        const { records } = log.read(offset, { into });
        expect(records.buffer === into.buffer || records.length > into.length).toBe(true);
        for (const r of await decodeBatches(records)) seen.push(r.offset);
        for (const b of iterateBatches(records)) offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
      }
      expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => i));
      // A read at an arbitrary offset after sequential ones still lands right.
      expect((await decodeBatches(log.read(61).records))[0]!.offset).toBe(60);
      await log.close();
    });

    it('stops below maxOffset (the high watermark)', async () => {
      const log = await makeLog();
      for (let i = 0; i < 4; i++) await log.append(batch(i * 2, 2));
      const r = log.read(0, { maxOffset: 4, maxBytes: 1 << 20 }).records;
      const last = [...iterateBatches(r)].pop()!;
      expect(last.header.baseOffset + last.header.lastOffsetDelta).toBe(3);
      expect(log.read(4, { maxOffset: 4 }).records.length).toBe(0);
      await log.close();
    });

    it('refuses offsets outside the log with OFFSET_OUT_OF_RANGE', async () => {
      const log = await makeLog();
      await log.append(batch(0, 3));
      for (const bad of [-1, 4, 1.5, Number.NaN]) {
        expect(() => log.read(bad)).toThrowError(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
      }
      expect(log.read(3).records.length).toBe(0);
      await log.close();
    });

    it('refuses batches over max.message.bytes and garbage, writing nothing', async () => {
      const log = await makeLog({ maxMessageBytes: 200 });
      const big = encodeBatchUncompressed([{ value: Buffer.alloc(300) }]);
      expect(() => log.write(big)).toThrowError(expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }));
      expect(() => log.write(Buffer.from('not a batch at all, just some bytes that are long enough to look like one'))).toThrowError(
        expect.objectContaining({ code: 'CORRUPT_MESSAGE' }),
      );
      expect(() => log.write(Buffer.alloc(0))).toThrowError(expect.objectContaining({ code: 'INVALID_REQUEST' }));
      expect(log.logEndOffset).toBe(0);
      expect(log.sizeInBytes).toBe(0);
      await log.close();
    });

    it('keeps offsets on follower appends and refuses ones that go backwards', async () => {
      const log = await makeLog();
      const b = encodeBatchUncompressed([{ value: value(0) }, { value: value(1) }], { baseOffset: 0, partitionLeaderEpoch: 3 });
      await log.append(b, { assignOffsets: false });
      const c = encodeBatchUncompressed([{ value: value(2) }], { baseOffset: 2, partitionLeaderEpoch: 4 });
      await log.append(c, { assignOffsets: false });
      expect(log.logEndOffset).toBe(3);
      expect(log.epochs()).toEqual([
        { epoch: 3, startOffset: 0 },
        { epoch: 4, startOffset: 2 },
      ]);
      const stale = encodeBatchUncompressed([{ value: value(9) }], { baseOffset: 1 });
      expect(() => log.write(stale, { assignOffsets: false })).toThrowError(expect.objectContaining({ code: 'INVALID_REQUEST' }));
      await log.close();
    });

    it('stamps leader epochs and answers OffsetsForLeaderEpoch (KIP-101)', async () => {
      const log = await makeLog();
      await log.append(batch(0, 2), { leaderEpoch: 1 });
      await log.append(batch(2, 2), { leaderEpoch: 1 });
      await log.append(batch(4, 3), { leaderEpoch: 5 });
      expect(readBatchHeader(log.read(4).records).partitionLeaderEpoch).toBe(5);
      expect(log.epochs()).toEqual([
        { epoch: 1, startOffset: 0 },
        { epoch: 5, startOffset: 4 },
      ]);
      expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 4 });
      expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 1, endOffset: 4 });
      expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 7 });
      // Kafka's answers (LeaderEpochFileCache.endOffsetFor): past the latest epoch, unknown;
      // below the earliest, the epoch asked and where the earliest begins; -1, unknown.
      expect(log.endOffsetForEpoch(9)).toBeUndefined();
      expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 0 });
      expect(log.endOffsetForEpoch(-1)).toBeUndefined();
      await log.close();
    });

    it('truncates a divergent tail at batch boundaries, with the epoch cache', async () => {
      const log = await makeLog({ segmentBytes: 300 });
      for (let i = 0; i < 10; i++) await log.append(batch(i * 2, 2), { leaderEpoch: i < 5 ? 1 : 2 });
      expect(log.epochs().length).toBe(2);
      log.truncateTo(9); // 9 is inside the batch [8, 9]: the whole batch goes
      expect(log.logEndOffset).toBe(8);
      expect(log.epochs()).toEqual([{ epoch: 1, startOffset: 0 }]);
      expect((await readAll(log)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      await log.append(batch(8, 1), { leaderEpoch: 3 });
      expect(log.logEndOffset).toBe(9);
      expect((await readAll(log)).pop()!.offset).toBe(8);
      log.truncateFullyAndStartAt(100);
      expect([log.logStartOffset, log.logEndOffset]).toEqual([100, 100]);
      expect(log.epochs()).toEqual([]);
      const info = await log.append(batch(0, 1));
      expect(info.firstOffset).toBe(100);
      await log.close();
    });

    it('raises the log start with deleteRecords and drops whole segments below it', async () => {
      const log = await makeLog({ segmentBytes: 200 });
      for (let i = 0; i < 20; i++) await log.append(batch(i, 1));
      const before = log.sizeInBytes;
      expect(await log.deleteRecords(12)).toBe(12);
      expect(log.logStartOffset).toBe(12);
      expect(log.sizeInBytes).toBeLessThan(before);
      expect(() => log.read(11)).toThrowError(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
      expect((await readAll(log)).map((r) => r.offset)).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
      expect(await log.deleteRecords(5)).toBe(12);
      await expect(log.deleteRecords(21)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
      await log.close();
    });

    it('deletes whole segments by retention.ms and retention.bytes, never the active one', async () => {
      const log = await makeLog({ segmentBytes: 200, retentionMs: 1_000 });
      for (let i = 0; i < 20; i++) await log.append(batch(i, 1, { timestamp: () => 10_000 + i * 100 }));
      const segments = (log as unknown as { segmentCount: number }).segmentCount;
      expect(segments).toBeGreaterThan(3);
      // At now = 11_600 records older than 10_600 (offsets < 6) are past retention.
      const deleted = await log.enforceRetention(11_600);
      expect(deleted).toBeGreaterThan(0);
      expect(log.logStartOffset).toBeGreaterThan(0);
      expect(log.logStartOffset).toBeLessThanOrEqual(6);
      // Far in the future everything but the active segment goes.
      await log.enforceRetention(1e12);
      expect(log.logEndOffset).toBe(20);
      expect(log.read(log.logStartOffset).records.length).toBeGreaterThan(0);
      await log.close();

      const bySize = await makeLog({ segmentBytes: 200, retentionBytes: 400 });
      for (let i = 0; i < 20; i++) await bySize.append(batch(i, 1));
      await bySize.enforceRetention(0);
      expect(bySize.sizeInBytes).toBeLessThanOrEqual(400 + 200);
      await bySize.close();
    });

    it('finds offsets by timestamp', async () => {
      const log = await makeLog({ segmentBytes: 300, indexIntervalBytes: 64 });
      for (let i = 0; i < 30; i++) await log.append(batch(i, 1, { timestamp: () => 5_000 + i * 10 }));
      expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 5_000 });
      expect(await log.offsetForTimestamp(5_095)).toEqual({ offset: 10, timestamp: 5_100 });
      expect(await log.offsetForTimestamp(5_100)).toEqual({ offset: 10, timestamp: 5_100 });
      expect(await log.offsetForTimestamp(6_000)).toBeUndefined();
      await log.close();
    });

    it("finds the first record holding the largest timestamp ('max', Kafka's MAX_TIMESTAMP), across segments and out of order", async () => {
      const log = await makeLog({ segmentBytes: 300, indexIntervalBytes: 64 });
      expect(await log.offsetForTimestamp('max')).toBeUndefined();
      // Offsets 0..29, one record a batch; the largest timestamp (9_000) is held by offsets 7 and 12.
      const times = (i: number): number => (i === 7 || i === 12 ? 9_000 : 5_000 + ((i * 37) % 30) * 10);
      for (let i = 0; i < 30; i++) await log.append(batch(i, 1, { timestamp: times }));
      expect(await log.offsetForTimestamp('max')).toEqual({ offset: 7, timestamp: 9_000 });
      // One batch whose records are out of order: the first record at the batch's max is found.
      await log.append(batch(30, 4, { timestamp: (i) => [9_500, 9_900, 9_100, 9_900][i - 30]! }));
      expect(await log.offsetForTimestamp('max')).toEqual({ offset: 31, timestamp: 9_900 });
      // Below the log start it is not found; the largest of what is left is.
      await log.deleteRecords(32);
      expect(await log.offsetForTimestamp('max')).toEqual({ offset: 33, timestamp: 9_900 });
      await log.close();
    });

    it('stamps LogAppendTime when the log is configured for it', async () => {
      const log = await makeLog({ messageTimestampType: 'LogAppendTime' });
      const info = await log.append(batch(0, 2, { timestamp: () => 7 }), { now: 123_456 });
      expect(info.logAppendTime).toBe(123_456);
      const recs = await decodeBatch(log.read(0).records);
      expect(recs.map((r) => r.timestamp)).toEqual([123_456, 123_456]);
      await log.close();
    });

    it('compacts: the latest record per key stays, offsets do not move, the active segment is untouched', async () => {
      const log = await makeLog({ cleanupPolicy: 'compact', segmentBytes: 256, minCleanableDirtyRatio: 0 });
      const keys = ['a', 'b', 'c', 'a', 'b', 'a', 'd', 'c', 'a', 'e'];
      for (let i = 0; i < keys.length; i++) await log.append(batch(i, 1, { key: () => keys[i]! }));
      expect(await log.compact(1e12)).toBe(true);
      const after = await readAll(log);
      const byKey = new Map<string, number>();
      for (const r of after) byKey.set(r.key!, r.offset);
      // Every key's latest offset is still there with its value.
      for (const k of new Set(keys)) expect(byKey.get(k)).toBe(keys.lastIndexOf(k));
      // Older versions are gone from cleaned segments; offsets are strictly increasing.
      const offsets = after.map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
      expect(after.length).toBeLessThan(keys.length);
      expect(log.logEndOffset).toBe(keys.length);
      // Compacted topics refuse records without a key.
      expect(() => log.write(batch(0, 1))).toThrowError(expect.objectContaining({ code: 'INVALID_RECORD' }));
      await log.close();
    });

    it('keeps tombstones for delete.retention.ms after the clean that first sees them, then drops them', async () => {
      const log = await makeLog({ cleanupPolicy: 'compact', segmentBytes: 200, minCleanableDirtyRatio: 0, deleteRetentionMs: 1_000 });
      await log.append(batch(0, 1, { key: () => 'x' }));
      await log.append(encodeBatchUncompressed([{ key: Buffer.from('x'), value: null, timestamp: 1_001 }]));
      for (let i = 2; i < 8; i++) await log.append(batch(i, 1, { key: (j) => `other-${j}` }));
      await log.compact(50_000);
      let x = (await readAll(log)).filter((r) => r.key === 'x');
      expect(x).toEqual([{ offset: 1, key: 'x', value: null }]);
      // Before the horizon (50_000 + 1_000) it stays; after, it goes.
      await log.append(batch(8, 1, { key: () => 'dirty' }));
      await log.compact(50_500);
      x = (await readAll(log)).filter((r) => r.key === 'x');
      expect(x.length).toBe(1);
      await log.append(batch(9, 1, { key: () => 'dirty2' }));
      await log.compact(52_000);
      x = (await readAll(log)).filter((r) => r.key === 'x');
      expect(x).toEqual([]);
      await log.close();
    });

    it('reads compressed batches in every codec as stored', async () => {
      const log = await makeLog();
      for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
        await log.append(await encodeBatch([{ key: Buffer.from(compression), value: Buffer.alloc(500, 7) }], { compression }));
      }
      const all = await readAll(log);
      expect(all.map((r) => r.key)).toEqual(['gzip', 'snappy', 'lz4', 'zstd']);
      await log.close();
    });

    it('makes appends durable under every flush policy and counts shared syncs', async () => {
      for (const flushPolicy of ['always', 'interval', 'os'] as const) {
        const log = await makeLog({ flushPolicy, flushIntervalMs: 5 });
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(batch(i, 1))));
        expect(results.map((r) => r.firstOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
        await log.sync();
        expect(log.flushedOffset).toBe(20);
        await log.close();
      }
    });

    it('refuses everything after close with CLIENT_CLOSED', async () => {
      const log = await makeLog();
      await log.append(batch(0, 2));
      await log.close();
      const closed = expect.objectContaining({ code: 'CLIENT_CLOSED' });
      expect(() => log.write(batch(0, 1))).toThrowError(closed);
      expect(() => log.read(0)).toThrowError(closed);
      expect(() => log.truncateTo(0)).toThrowError(closed);
      expect(() => log.truncateFullyAndStartAt(0)).toThrowError(closed);
      expect(() => log.epochs()).toThrowError(closed);
      expect(() => log.endOffsetForEpoch(0)).toThrowError(closed);
      for (const call of [
        () => log.append(batch(0, 1)),
        () => log.sync(),
        () => log.deleteRecords(1),
        () => log.enforceRetention(),
        () => log.compact(),
        () => log.offsetForTimestamp(0),
      ]) {
        await expect(call()).rejects.toSatisfy((e: unknown) => isTributaryError(e, 'CLIENT_CLOSED'));
      }
      await log.close(); // idempotent
      log.abandon(); // and so is abandoning a closed log
    });

    it('refuses a leader append whose batch spans more offsets than it holds records, but takes one from a follower', async () => {
      const log = await makeLog();
      const sparse = encodeBatchUncompressed([{ key: Buffer.from('k'), value: value(0) }], { lastOffsetDelta: 4 });
      expect(() => log.write(sparse)).toThrowError(expect.objectContaining({ code: 'INVALID_RECORD' }));
      expect(log.logEndOffset).toBe(0);
      // A compacted batch replicated to a follower keeps its span.
      await log.append(sparse, { assignOffsets: false });
      expect(log.logEndOffset).toBe(5);
      expect((await readAll(log)).map((r) => r.offset)).toEqual([0]);
      await log.close();
    });

    it('refuses a leader epoch that is not a non-negative int32', async () => {
      const log = await makeLog();
      for (const leaderEpoch of [-1, 1.5, 2 ** 31]) {
        expect(() => log.write(batch(0, 1), { leaderEpoch })).toThrowError(expect.objectContaining({ code: 'INVALID_REQUEST' }));
      }
      expect(log.logEndOffset).toBe(0);
      await log.close();
    });

    it('refuses a read size that is not positive', async () => {
      const log = await makeLog();
      await log.append(batch(0, 1));
      for (const maxBytes of [0, -1, Number.NaN]) {
        expect(() => log.read(0, { maxBytes })).toThrowError(expect.objectContaining({ code: 'INVALID_FETCH_SIZE' }));
      }
      await log.close();
    });

    it('moves the earliest epoch up to a raised log start, and hands out snapshots of the cache', async () => {
      const log = await makeLog({ segmentBytes: 200 });
      for (let i = 0; i < 12; i++) await log.append(batch(i, 1), { leaderEpoch: i < 6 ? 2 : 4 });
      const before = log.epochs();
      await log.deleteRecords(3);
      expect(log.epochs()).toEqual([
        { epoch: 2, startOffset: 3 },
        { epoch: 4, startOffset: 6 },
      ]);
      expect(before).toEqual([
        { epoch: 2, startOffset: 0 },
        { epoch: 4, startOffset: 6 },
      ]);
      await log.deleteRecords(8);
      expect(log.epochs()).toEqual([{ epoch: 4, startOffset: 8 }]);
      // Epoch 2's records are gone: a consumer that committed in it learns where the log now begins.
      expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 8 });
      await log.close();
    });

    it('truncating to the log start or below empties the log there', async () => {
      const log = await makeLog({ segmentBytes: 200 });
      for (let i = 0; i < 10; i++) await log.append(batch(i, 1));
      await log.deleteRecords(4);
      log.truncateTo(2);
      expect([log.logStartOffset, log.logEndOffset]).toEqual([4, 4]);
      expect(log.read(4).records.length).toBe(0);
      expect((await log.append(batch(0, 1))).firstOffset).toBe(4);
      await log.close();
    });

    it('keeps retention and compaction below the high watermark', async () => {
      const log = await makeLog({ segmentBytes: 200, retentionMs: 1, cleanupPolicy: 'compact,delete', minCleanableDirtyRatio: 0 });
      for (let i = 0; i < 20; i++) await log.append(batch(i, 1, { key: () => 'same', timestamp: () => 1_000 }));
      expect(await log.enforceRetention(1e12, 0)).toBe(0);
      expect(await log.compact(1e12, 0)).toBe(false);
      expect((await readAll(log)).length).toBe(20);
      // With the high watermark at 8, only segments wholly below it are cleaned.
      expect(await log.compact(1e12, 8)).toBe(true);
      const after = (await readAll(log)).map((r) => r.offset);
      expect(after.filter((o) => o >= 8)).toEqual(Array.from({ length: 12 }, (_, i) => 8 + i));
      expect(after.filter((o) => o < 8).length).toBeLessThan(8);
      await log.close();
    });

    it('names the option in a bad config', async () => {
      await expect(makeLog({ segmentBytes: -5 })).rejects.toMatchObject({ code: 'INVALID_CONFIG', option: 'segmentBytes' });
      await expect(makeLog({ flushPolicy: 'sometimes' as never })).rejects.toMatchObject({ code: 'INVALID_CONFIG', option: 'flushPolicy' });
    });
  });
}
