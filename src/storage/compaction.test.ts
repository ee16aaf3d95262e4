import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributeBits, encodeBatchUncompressed, iterateBatches, type RecordInput } from '../record/batch.js';
import { decodeBatch, decodeBatches, encodeBatch } from '../record/codecs/index.js';
import type { CompactionStep } from './compaction.js';
import type { LogConfig } from './log.js';
import { MemoryLog } from './memory-log.js';
import { PartitionLog } from './partition-log.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-compact-');

const config: Partial<LogConfig> = { cleanupPolicy: 'compact', segmentBytes: 1024, minCleanableDirtyRatio: 0 };
type Written = Map<number, { key: string; value: string | null }>;

function keyed(key: string, value: string | null, timestamp = 1_000): Buffer {
  return encodeBatchUncompressed([{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp }]);
}

/** Every batch header and record from the log start to its end, across segments. */
async function readAll(log: PartitionLog): Promise<{ headers: ReturnType<typeof headersOf>; records: Awaited<ReturnType<typeof decodeBatches>> }> {
  const headers: ReturnType<typeof headersOf> = [];
  const records: Awaited<ReturnType<typeof decodeBatches>> = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const bytes = log.read(offset, { maxBytes: 1 << 20 }).records;
    for (const h of headersOf(bytes)) {
      headers.push(h);
      offset = h.baseOffset + h.lastOffsetDelta + 1;
    }
    records.push(...(await decodeBatches(bytes)));
  }
  return { headers, records };
}

function headersOf(bytes: Uint8Array) {
  return [...iterateBatches(bytes)].map((b) => b.header);
}

async function put(log: PartitionLog, written: Written, count: number, keyOf: (i: number) => string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const key = keyOf(i);
    const value = `value-${written.size}`;
    const info = await log.append(keyed(key, value));
    written.set(info.firstOffset, { key, value });
  }
}

/** Reads the whole log and checks it against what was written: nothing invented, moved or duplicated, every key's latest record present. */
async function checkWhole(log: PartitionLog, written: Written): Promise<number> {
  const latest = new Map<string, number>();
  for (const [offset, w] of written) latest.set(w.key, offset);
  const seen = new Map<number, string>();
  let offset = log.logStartOffset;
  let prev = -1;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, { maxBytes: 8192 });
    expect(records.length).toBeGreaterThan(0);
    for (const r of await decodeBatches(records)) {
      if (r.offset < offset) continue;
      expect(r.offset).toBeGreaterThan(prev);
      prev = r.offset;
      const w = written.get(r.offset)!;
      expect({ key: Buffer.from(r.key!).toString(), value: r.value === null ? null : Buffer.from(r.value).toString() }).toEqual(w);
      seen.set(r.offset, w.key);
    }
    for (const b of iterateBatches(records)) offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
  }
  for (const [key, off] of latest) expect(seen.get(off)).toBe(key);
  expect(log.logEndOffset).toBe(Math.max(...written.keys()) + 1);
  return seen.size;
}

describe('compaction', () => {
  it('merges small cleaned segments into fewer, and keeps the log whole', async () => {
    const dataDir = tempDir();
    const log = await PartitionLog.open({ dataDir, topic: 'merge', partition: 0, config });
    const written: Written = new Map();
    await put(log, written, 300, (i) => `key-${(i * 7) % 23}`);
    const before = log.segmentCount;
    expect(await log.compact(1e12)).toBe(true);
    // After one clean each segment holds a few records; the next clean merges them.
    await put(log, written, 40, (i) => `key-${i % 23}`);
    expect(await log.compact(1e12)).toBe(true);
    expect(log.segmentCount).toBeLessThan(before / 2);
    await checkWhole(log, written);
    await log.close();
    const again = await PartitionLog.open({ dataDir, topic: 'merge', partition: 0, config });
    expect(again.recovery.clean).toBe(true);
    await checkWhole(again, written);
    await again.close();
  });

  it('stamps a delete horizon on a batch with a kept tombstone, Kafka’s way (attribute bit 6, horizon in baseTimestamp)', async () => {
    const log = new MemoryLog({ topic: 'horizon', partition: 0, config: { ...config, segmentBytes: 200, deleteRetentionMs: 5_000 } });
    await log.append(keyed('gone', 'v', 1_000));
    await log.append(keyed('gone', null, 1_500));
    for (let i = 0; i < 6; i++) await log.append(keyed(`other-${i}`, 'x', 2_000));
    await log.compact(10_000);
    const tombstoneBatch = [...iterateBatches(log.read(1).records)][0]!;
    expect(tombstoneBatch.header.attributes & attributeBits.deleteHorizon).toBe(attributeBits.deleteHorizon);
    expect(tombstoneBatch.header.baseTimestamp).toBe(15_000);
    const [record] = await decodeBatch(log.read(1).records);
    expect(record).toMatchObject({ offset: 1, value: null, timestamp: 1_500 });
    await log.close();
  });

  it('keeps an idempotent producer’s emptied batch, and folds other emptied runs into one empty batch', async () => {
    const log = new MemoryLog({ topic: 'empties', partition: 0, config: { ...config, segmentBytes: 250 } }); // three batches a segment
    const idempotent = encodeBatchUncompressed([{ key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 1 }], { producerId: 77, producerEpoch: 3, baseSequence: 41 });
    await log.append(idempotent); // offset 0
    await log.append(keyed('b', '1')); // 1
    await log.append(keyed('c', '1')); // 2
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) await log.append(keyed(k, '2')); // 3..8
    await log.compact(1e12);
    const batches = (await readAll(log)).headers;
    const first = batches[0]!;
    expect(first).toMatchObject({ baseOffset: 0, recordCount: 0, producerId: 77, producerEpoch: 3, baseSequence: 41, lastOffsetDelta: 0 });
    const gap = batches[1]!;
    expect(gap).toMatchObject({ baseOffset: 1, recordCount: 0, producerId: -1, lastOffsetDelta: 1 });
    // Spans still tile the log.
    let next = 0;
    for (const h of batches) {
      expect(h.baseOffset).toBe(next);
      next = h.baseOffset + h.lastOffsetDelta + 1;
    }
    await log.close();
  });

  it('re-encodes a partly kept compressed batch with its own codec', async () => {
    const log = new MemoryLog({ topic: 'codec', partition: 0, config: { ...config, segmentBytes: 600 } });
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const records: RecordInput[] = [
        { key: Buffer.from(`${compression}-old`), value: Buffer.from('a'), timestamp: 5 },
        { key: Buffer.from(`${compression}-kept`), value: Buffer.from('b'), timestamp: 6 },
      ];
      await log.append(await encodeBatch(records, { compression }));
      await log.append(keyed(`${compression}-old`, 'newer'));
    }
    for (let i = 0; i < 8; i++) await log.append(keyed(`filler-${i}`, 'x'.repeat(50)));
    await log.compact(1e12);
    const all = (await readAll(log)).records;
    for (const [i, compression] of ['gzip', 'snappy', 'lz4', 'zstd'].entries()) {
      const batch = [...iterateBatches(log.read(i * 3).records)][0]!;
      expect(batch.header.attributes & attributeBits.compressionMask).toBe(i + 1);
      expect(batch.header.recordCount).toBe(1);
      expect(all.some((r) => Buffer.from(r.key!).toString() === `${compression}-old` && Buffer.from(r.value!).toString() === 'a')).toBe(false);
      expect(all.find((r) => r.offset === i * 3 + 1)).toMatchObject({ timestamp: 6 });
    }
    await log.close();
  });

  it('refuses records without a key on a compacted log, compressed or not', async () => {
    const log = new MemoryLog({ topic: 'keys', partition: 0, config });
    const keyless: RecordInput[] = [{ key: Buffer.from('k'), value: Buffer.from('1') }, { value: Buffer.from('no key') }];
    for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const batch = await encodeBatch(keyless, { compression });
      const end = log.logEndOffset;
      expect(() => log.write(batch)).toThrowError(expect.objectContaining({ code: 'INVALID_RECORD' }));
      expect(log.logEndOffset).toBe(end);
      await log.append(await encodeBatch([{ key: Buffer.from('k'), value: Buffer.from('ok') }], { compression }));
    }
    expect(log.logEndOffset).toBe(5);
    // Garbage inside a compressed batch with a valid CRC is refused too.
    const bogus = await encodeBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }], { compression: 'gzip' });
    bogus[bogus.length - 3]! ^= 0xff;
    const { crc32c } = await import('../util/crc32c.js');
    bogus.writeUInt32BE(crc32c(bogus, 21), 17);
    expect(() => log.write(bogus)).toThrowError(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    await log.close();
  });

  it('leaves records younger than min.compaction.lag.ms alone, and a compact-only log is never trimmed by retention', async () => {
    const log = new MemoryLog({ topic: 'lag', partition: 0, config: { ...config, segmentBytes: 200, minCompactionLagMs: 10_000, retentionMs: 1, retentionBytes: 1 } });
    for (let i = 0; i < 12; i++) await log.append(keyed('same', `v${i}`, 1_000 + i * 1_000));
    // At 15_000, records older than 5_000 may be cleaned: those of the first segments.
    await log.compact(15_000);
    const offsets = (await readAll(log)).records.map((r) => r.offset);
    expect(offsets).toContain(11);
    expect(offsets.filter((o) => o >= 5).length).toBeGreaterThan(0);
    expect(offsets).not.toContain(0);
    expect(await log.enforceRetention(1e12)).toBe(0);
    expect(log.logStartOffset).toBe(0);
    await log.close();
  });

  it('counts what is appended after a truncation below the cleaned section as dirty', async () => {
    const log = new MemoryLog({ topic: 'retruncate', partition: 0, config: { ...config, segmentBytes: 200, minCleanableDirtyRatio: 0.5 } });
    for (let i = 0; i < 12; i++) await log.append(keyed(`k${i % 3}`, `${i}`));
    expect(await log.compact(1e12)).toBe(true);
    log.truncateTo(2);
    for (let i = 0; i < 12; i++) await log.append(keyed(`k${i % 3}`, `again-${i}`));
    expect(await log.compact(1e12)).toBe(true);
    const { records } = await readAll(log);
    expect(records.filter((r) => Buffer.from(r.value!).toString().startsWith('again')).length).toBeLessThan(12);
    await log.close();
  });

  it('does nothing on a delete-policy log, and nothing when too little is dirty', async () => {
    const plain = new MemoryLog({ topic: 'plain', partition: 0, config: { segmentBytes: 200 } });
    for (let i = 0; i < 10; i++) await plain.append(keyed('k', `${i}`));
    expect(await plain.compact(1e12)).toBe(false);
    const lazy = new MemoryLog({ topic: 'lazy', partition: 0, config: { ...config, segmentBytes: 200, minCleanableDirtyRatio: 0.9 } });
    for (let i = 0; i < 10; i++) await lazy.append(keyed('k', `${i}`));
    expect(await lazy.compact(1e12)).toBe(true);
    await lazy.append(keyed('k', 'one more'));
    expect(await lazy.compact(1e12)).toBe(false);
  });
});

describe('a crash at every step of a compaction (in process)', () => {
  class Crash extends Error {}
  const steps: CompactionStep[] = ['cleaned-written', 'indexes-removed', 'swap-renamed', 'originals-deleted', 'swapped', 'indexes-written'];
  const committed = new Set<CompactionStep>(['swap-renamed', 'originals-deleted', 'swapped', 'indexes-written']);

  it.each(steps.flatMap((step) => [0, 2].map((nth) => [step, nth] as const)))('after %s of group #%i, reopening finds every record once', async (step, nth) => {
    const dataDir = tempDir();
    const written: Written = new Map();
    const plain = await PartitionLog.open({ dataDir, topic: 'crash', partition: 0, config });
    await put(plain, written, 250, (i) => `key-${(i * 7) % 23}`);
    await plain.compact(1e12); // small cleaned segments: the next clean merges them in groups
    await put(plain, written, 120, (i) => `key-${(i * 5) % 31}`);
    await plain.close();
    const segmentsBefore = readdirSync(join(dataDir, 'crash-0')).filter((f) => f.endsWith('.log')).length;

    let seen = 0;
    let crashedAt = -1;
    const log = await PartitionLog.open({
      dataDir,
      topic: 'crash',
      partition: 0,
      config,
      faults: {
        afterStep(s, base) {
          if (s === step && seen++ === nth) {
            crashedAt = base;
            throw new Crash(`${s} of ${base}`);
          }
        },
      },
    });
    const remainingBefore = await checkWhole(log, written);
    await expect(log.compact(1e12)).rejects.toBeInstanceOf(Crash);
    // The log's files and its memory disagree now: it refuses service until reopened.
    expect(() => log.read(log.logStartOffset)).toThrowError(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }));
    log.abandon();

    const reopened = await PartitionLog.open({ dataDir, topic: 'crash', partition: 0, config });
    const dir = join(dataDir, 'crash-0');
    expect(readdirSync(dir).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))).toEqual([]);
    if (step === 'cleaned-written' || step === 'indexes-removed') {
      expect(reopened.recovery.leftovers.some((l) => l.includes('.cleaned'))).toBe(true);
      expect(existsSync(join(dir, `${String(crashedAt).padStart(20, '0')}.log`))).toBe(true);
    }
    if (step === 'swap-renamed' || step === 'originals-deleted') expect(reopened.recovery.leftovers.some((l) => l.startsWith('completed'))).toBe(true);
    const remaining = await checkWhole(reopened, written);
    if (committed.has(step) && nth === 0) expect(remaining).toBeLessThanOrEqual(remainingBefore);
    // A clean run afterwards finishes the job, and the log is still whole.
    await reopened.compact(1e12);
    await checkWhole(reopened, written);
    await reopened.close();
    const final = await PartitionLog.open({ dataDir, topic: 'crash', partition: 0, config });
    await checkWhole(final, written);
    expect(final.segmentCount).toBeLessThan(segmentsBefore);
    await final.close();
  });
});
