import { describe, expect, it } from 'vitest';
import { batchLogOverheadBytes, encodeBatchUncompressed, positions, readInt64 } from '../record/batch.js';
import { checksummedHere } from '../record/checksummed-here.js';
import { Rng } from '../util/rng.js';
import { AppendTail, appendTailBytesMax, TailBudget } from './append-tail.js';
import { validateBatches, type ValidatedBatches } from './log-validator.js';
import { PartitionLog } from './partition-log.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-tail-');

const leaderRules = { assignOffsets: true, nextOffset: -1, maxMessageBytes: 8 * 1024 * 1024, keysRequired: false } as const;

/** `batches` runs of `records` records of `bytes` bytes each, concatenated, checked as a leader checks them. */
function run(batches: number, records: number, bytes: number, fill = 0): ValidatedBatches {
  const parts = Array.from({ length: batches }, (_, b) => encodeBatchUncompressed(Array.from({ length: records }, (_, i) => ({ value: Buffer.alloc(bytes, fill + b + i) })), { now: 1000 }));
  const checked = validateBatches(Buffer.concat(parts), leaderRules);
  if (!checked.ok) throw new Error(checked.message);
  return checked.value;
}

/** Base offset and end of each whole batch in `bytes`. */
function batchesOf(bytes: Uint8Array): { base: number; last: number; end: number }[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: { base: number; last: number; end: number }[] = [];
  for (let p = 0; p < b.length; ) {
    const size = b.readInt32BE(p + positions.batchLength) + batchLogOverheadBytes;
    const base = readInt64(b, p + positions.baseOffset);
    out.push({ base, last: base + b.readInt32BE(p + positions.lastOffsetDelta), end: p + size });
    p += size;
  }
  expect(out.at(-1)?.end ?? 0).toBe(b.length);
  return out;
}

/** The log's bytes from `offset` on, at least `length` of them (reads across segments). */
function logBytes(log: PartitionLog, offset: number, length: number): Buffer {
  const parts: Buffer[] = [];
  let got = 0;
  let at = offset;
  while (got < length && at < log.logEndOffset) {
    const r = Buffer.from(log.read(at, { maxBytes: 4 * 1024 * 1024 }).records);
    parts.push(r);
    got += r.length;
    at = batchesOf(r).at(-1)!.last + 1;
  }
  return Buffer.concat(parts);
}

describe('AppendTail: a leader’s last appends in memory', () => {
  it('answers a fetch with exactly the bytes the log file holds at those offsets, whole batches within maxBytes and below maxOffset (300 random appends over rolling segments)', async () => {
    const log = await PartitionLog.open({ dataDir: tempDir(), topic: 't', partition: 0, config: { segmentBytes: 256 * 1024 } });
    const tail = new AppendTail(new TailBudget(64 * 1024 * 1024));
    const rng = new Rng(7);
    let epoch = 0;
    for (let n = 0; n < 300; n++) {
      if (rng.int(40) === 0) epoch++;
      const v = run(1 + rng.int(3), 1 + rng.int(20), rng.int(2000), n);
      const info = log.appendValidated(v, { assignOffsets: true, leaderEpoch: epoch });
      tail.append(v, info.firstOffset, epoch);
    }
    // Every batch start still in the tail, read with a few budgets.
    const all = batchesOf(logBytes(log, 0, Number.POSITIVE_INFINITY));
    let served = 0;
    for (const { base } of all) {
      for (const maxBytes of [1, 3_000, 40_000, 1024 * 1024]) {
        for (const maxOffset of [log.logEndOffset, base + 1 + rng.int(200)]) {
          const got = tail.read(base, maxBytes, maxOffset);
          if (got === undefined) continue;
          served++;
          expect(checksummedHere(got)).toBe(true);
          const batches = batchesOf(got);
          expect(batches[0]!.base).toBe(base);
          expect(batches.every((b) => b.last < maxOffset)).toBe(true);
          if (batches.length > 1) expect(got.length).toBeLessThanOrEqual(maxBytes);
          expect(Buffer.from(got).equals(logBytes(log, base, got.length).subarray(0, got.length))).toBe(true);
        }
      }
    }
    // The tail holds the newest appends (up to its bound), and serves each of its batch starts.
    expect(tail.bytes).toBeLessThanOrEqual(appendTailBytesMax);
    expect(served).toBeGreaterThan(all.length);
    const newest = all.at(-1)!.base;
    expect(tail.read(newest, 1, log.logEndOffset)).toBeDefined();
    // Not a batch start, or past the end: the caller reads the log.
    if (all.at(-1)!.last > newest) expect(tail.read(newest + 1, 1024, log.logEndOffset)).toBeUndefined();
    expect(tail.read(log.logEndOffset, 1024, log.logEndOffset + 10)).toBeUndefined();
    await log.close();
  });

  it('a read runs across appends in one chunk, and stops at the end of a chunk (appends too large to carry)', () => {
    const tail = new AppendTail();
    const v = run(1, 10, 100);
    for (let i = 0; i < 5; i++) tail.append(v, i * 10, 0);
    const all = tail.read(0, 1024 * 1024, 50)!;
    expect(batchesOf(all).map((b) => b.base)).toEqual([0, 10, 20, 30, 40]);
    expect(batchesOf(tail.read(20, 1024 * 1024, 40)!).map((b) => b.base)).toEqual([20, 30]);
    // Appends of ~300 KiB: a 1 MiB chunk holds three, the fourth opens the next chunk.
    const big = new AppendTail();
    const b = run(1, 300, 1024);
    for (let i = 0; i < 5; i++) big.append(b, i * 300, 0);
    expect(batchesOf(big.read(0, 8 * 1024 * 1024, 1500)!).map((x) => x.base)).toEqual([0, 300, 600]);
    expect(batchesOf(big.read(300, 8 * 1024 * 1024, 1500)!).map((x) => x.base)).toEqual([300, 600]);
    expect(batchesOf(big.read(900, 8 * 1024 * 1024, 1500)!).map((x) => x.base)).toEqual([900, 1200]);
  });

  it('carries the appends still kept into the next chunk, so one read answers a group that straddled the end of a chunk; views handed out stay as they were', () => {
    const budget = new TailBudget();
    const tail = new AppendTail(budget);
    const v = run(1, 16, 1000); // ~16.3 KB an append: a 128 KiB chunk holds eight
    for (let i = 0; i < 6; i++) tail.append(v, i * 16, 3);
    tail.dropBelow(64); // every follower has the first four
    const held = tail.read(64, 1024 * 1024, 96)!;
    const heldCopy = Buffer.from(held);
    expect(batchesOf(held).map((b) => b.base)).toEqual([64, 80]);
    const oneChunk = tail.bytes;
    // Two more fill the chunk; the ninth opens the next one, and the four kept go with it.
    for (let i = 6; i < 9; i++) tail.append(v, i * 16, 3);
    const all = tail.read(64, 1024 * 1024, 144)!;
    expect(batchesOf(all).map((b) => b.base)).toEqual([64, 80, 96, 112, 128]);
    // The bytes are the appends as stamped: each batch equals the one read before, moved.
    expect(Buffer.from(all.subarray(0, held.length)).equals(heldCopy)).toBe(true);
    expect(checksummedHere(all)).toBe(true);
    // A view handed out before is never written (the chunk left is not reused).
    expect(Buffer.from(held).equals(heldCopy)).toBe(true);
    // The chunk left is given back: only the new one is held, and the budget agrees.
    expect(tail.appends).toBe(5);
    expect(tail.bytes).toBeGreaterThanOrEqual(oneChunk);
    expect(budget.held).toBe(tail.bytes);
    for (const from of [80, 96, 112, 128]) expect(batchesOf(tail.read(from, 1024 * 1024, 144)!)[0]!.base).toBe(from);
    tail.dropBelow(144);
    tail.releaseIdle();
    expect(budget.held).toBe(0);
  });

  it('a chunk opened for a small append is at most twice its usual size (64 KiB), whether it carries the kept appends or not (followers that do not fetch)', () => {
    const budget = new TailBudget();
    const tail = new AppendTail(budget);
    const small = run(1, 1, 1000); // ~1.1 KB: its usual chunk is 64 KiB
    const big = run(1, 300, 1000); // ~310 KB: opens a 1 MiB chunk
    let offset = 0;
    let grew = 0;
    const append = (v: ValidatedBatches): void => {
      const before = tail.bytes;
      tail.append(v, offset, 0);
      offset = tail.nextOffset;
      grew = Math.max(grew, tail.bytes - before);
    };
    // Small appends nobody fetches: chunk after chunk, each with more kept in it.
    for (let i = 0; i < 600; i++) append(small);
    expect(grew).toBeLessThanOrEqual(2 * 64 * 1024);
    // A 1 MiB chunk filled with small appends nobody fetches: too much to carry, and the next chunk is a small append's.
    tail.clear();
    offset += 1;
    grew = 0;
    append(big);
    const oneBig = tail.bytes;
    while (tail.bytes === oneBig) append(small);
    expect(tail.bytes - oneBig).toBe(64 * 1024);
    expect(budget.held).toBe(tail.bytes);
  });

  it('an append that does not follow the last one kept starts the tail over', () => {
    const tail = new AppendTail();
    const v = run(1, 10, 100);
    tail.append(v, 0, 0);
    tail.append(v, 10, 0);
    tail.append(v, 30, 0); // 20-29 were written past the tail
    expect(tail.read(0, 1024, 100)).toBeUndefined();
    expect(tail.read(10, 1024, 100)).toBeUndefined();
    expect(batchesOf(tail.read(30, 1024, 100)!)[0]!.base).toBe(30);
    expect(tail.appends).toBe(1);
  });

  it('keeps within its own bound and its broker’s budget, and gives every byte back', () => {
    const budget = new TailBudget(3 * 1024 * 1024);
    const [a, b] = [new AppendTail(budget), new AppendTail(budget)];
    const v = run(1, 200, 1000); // ~200 KB an append: 512 KiB chunks
    let next = 0;
    for (let i = 0; i < 40; i++) {
      a.append(v, next, 0);
      b.append(v, next, 0);
      next += 200;
      expect(budget.held).toBeLessThanOrEqual(budget.bytesMax);
      expect(budget.held).toBe(a.bytes + b.bytes);
    }
    // Past the budget one of them had to start over; what either holds it serves.
    expect(a.bytes + b.bytes).toBeGreaterThan(0);
    for (const t of [a, b]) if (t.appends > 0) expect(t.read(t.nextOffset - 200, 1024 * 1024, next)).toBeDefined();
    // What every follower has goes; an idle tail lets go of its last chunk at its tick.
    a.dropBelow(next);
    b.dropBelow(next - 200);
    expect(a.appends).toBe(0);
    a.releaseIdle();
    expect(a.bytes).toBe(0);
    b.releaseIdle(); // still holds an append: kept
    expect(b.appends).toBeLessThanOrEqual(1);
    b.clear();
    expect(budget.held).toBe(0);

    // One tail alone: never more than appendTailBytesMax, the newest appends kept.
    const alone = new AppendTail(new TailBudget(1024 * 1024 * 1024));
    const mb = run(1, 1000, 1000); // ~1 MB an append
    for (let i = 0; i < 20; i++) {
      alone.append(mb, i * 1000, 0);
      expect(alone.bytes).toBeLessThanOrEqual(appendTailBytesMax);
    }
    expect(alone.read(0, 1024 * 1024, 20_000)).toBeUndefined();
    expect(alone.read(19_000, 1024 * 1024, 20_000)).toBeDefined();
  });
});
