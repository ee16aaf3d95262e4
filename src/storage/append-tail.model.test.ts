import { describe, it } from 'vitest';
import { encodeBatchUncompressed, positions, writeInt64 } from '../record/batch.js';
import { Rng } from '../util/rng.js';
import { AppendTail, appendTailBytesMax, TailBudget } from './append-tail.js';
import { validateBatches, type ValidatedBatches } from './log-validator.js';

/**
 * The tail against a plain model: the log as an array of batches (base, last, the bytes
 * as the leader stamped them). Random appends (small and large, one to three batches,
 * now and then one that skips offsets), reads from every kind of offset with random
 * `maxBytes` and `maxOffset`, drops (the high watermark, DeleteRecords), clears (a leader
 * change, after which the log is truncated and other bytes are written at the same
 * offsets), idle releases, two tails on one small budget. Every answer must be the
 * model's batches from that offset on, whole, in order, none twice, within the limits;
 * every view handed out must stay what it was; the budget must equal what the tails hold.
 */

const leaderRules = { assignOffsets: true, nextOffset: -1, maxMessageBytes: 8 * 1024 * 1024, keysRequired: false } as const;

/** Appends of many sizes, made once: `batches` batches of `records` records of `bytes` bytes, filled with `fill`. */
const pool: ValidatedBatches[] = (() => {
  const shapes: [number, number, number][] = [
    [1, 1, 20],
    [1, 1, 150],
    [2, 3, 100],
    [1, 10, 1000],
    [3, 5, 700],
    [1, 16, 1000],
    [2, 20, 1000],
    [1, 60, 1000],
    [1, 130, 1000],
    [2, 150, 1000],
    [1, 300, 1000],
    [1, 600, 1000],
  ];
  return shapes.map(([batches, records, bytes], s) => {
    const parts = Array.from({ length: batches }, (_, b) => encodeBatchUncompressed(Array.from({ length: records }, (_, i) => ({ value: Buffer.alloc(bytes, s * 7 + b + i) })), { now: 1000 }));
    const checked = validateBatches(Buffer.concat(parts), leaderRules);
    if (!checked.ok) throw new Error(checked.message);
    return checked.value;
  });
})();

interface ModelBatch {
  base: number;
  last: number;
  bytes: Buffer;
}

/** One partition: its log (the model) and its tail. */
class Side {
  batches: ModelBatch[] = [];
  logEnd = 0;
  /** The highest `dropBelow` so far since the last clear. */
  hw = 0;
  constructor(readonly tail: AppendTail) {}

  append(rng: Rng, epoch: number): void {
    const small = rng.int(4) !== 0;
    const v = pool[small ? rng.int(6) : 6 + rng.int(pool.length - 6)]!;
    // Now and then an append the tail did not see went before (a gap).
    if (rng.int(60) === 0) this.logEnd += 1 + rng.int(5);
    let base = this.logEnd;
    for (const b of v.batches) {
      const bytes = Buffer.from(v.bytes.subarray(b.position, b.position + b.size));
      writeInt64(bytes, positions.baseOffset, base);
      bytes.writeInt32BE(epoch, positions.partitionLeaderEpoch);
      const last = base + b.header.lastOffsetDelta;
      this.batches.push({ base, last, bytes });
      base = last + 1;
    }
    this.tail.append(v, this.logEnd, epoch);
    this.logEnd = base;
  }

  /** A leader change: the tail is cleared, the log truncated to a batch start, other bytes come next. */
  truncate(rng: Rng): void {
    this.tail.clear();
    const keep = this.batches.length === 0 ? 0 : rng.int(this.batches.length + 1);
    this.batches.length = keep;
    this.logEnd = keep === 0 ? this.logEnd : this.batches[keep - 1]!.last + 1;
    this.hw = Math.min(this.hw, this.logEnd);
  }

  drop(rng: Rng): void {
    if (this.logEnd <= this.hw) return;
    this.hw += 1 + rng.int(this.logEnd - this.hw);
    this.tail.dropBelow(this.hw);
  }

  check(rng: Rng, held: { view: Uint8Array; copy: Buffer }[]): void {
    if (this.batches.length === 0) return;
    const pick = rng.int(8);
    let offset: number;
    if (pick === 0) offset = this.logEnd;
    else if (pick === 1) offset = this.batches[rng.int(this.batches.length)]!.base + 1;
    else offset = this.batches[Math.max(0, this.batches.length - 1 - rng.int(Math.min(this.batches.length, 40)))]!.base;
    const maxBytes = rng.int(3) === 0 ? 1 + rng.int(2000) : rng.int(8) === 0 ? 1 + rng.int(2 * 1024 * 1024) : 1 + rng.int(256 * 1024);
    const maxOffset = rng.int(3) === 0 ? offset + rng.int(200) : Number.MAX_SAFE_INTEGER;
    const got = this.tail.read(offset, maxBytes, maxOffset);
    if (got === undefined) return; // the caller reads the log
    const where = `read(${offset}, ${maxBytes}, ${maxOffset})`;
    let i = this.batches.findIndex((b) => b.base === offset);
    if (i < 0) fail(`${where} answered from an offset that is no batch start`);
    const gotBuf = Buffer.from(got.buffer, got.byteOffset, got.length);
    let p = 0;
    let n = 0;
    while (p < got.length) {
      const b = this.batches[i];
      if (b === undefined) fail(`${where}: more bytes than the log holds from there`);
      if (!gotBuf.subarray(p, p + b.bytes.length).equals(b.bytes)) fail(`${where}: batch ${n} (base ${b.base}) differs from the log's`);
      if (b.last >= maxOffset) fail(`${where}: batch ${b.base} reaches maxOffset`);
      p += b.bytes.length;
      i++;
      n++;
    }
    if (p !== got.length) fail(`${where}: a partial batch at the end`);
    if (n > 1 && got.length > maxBytes) fail(`${where}: past maxBytes`);
    held.push({ view: got, copy: Buffer.from(got) });
  }
}

function runSeed(seed: number): void {
  const rng = new Rng(seed);
  const budget = new TailBudget(rng.int(2) === 0 ? 2 * 1024 * 1024 : 32 * 1024 * 1024);
  const sides = [new Side(new AppendTail(budget)), new Side(new AppendTail(budget))];
  const held: { view: Uint8Array; copy: Buffer }[] = [];
  let epoch = 0;
  // How eagerly followers fetch (drops), per seed: from every few appends to almost never.
  const dropEvery = [2, 4, 12, 80][rng.int(4)]!;
  for (let step = 0; step < 300; step++) {
    const side = sides[rng.int(sides.length)]!;
    const op = rng.int(100);
    if (op < 45) side.append(rng, epoch);
    else if (op < 45 + Math.ceil(45 / dropEvery)) side.drop(rng);
    else if (op < 92) side.check(rng, held);
    else if (op < 94) {
      epoch++;
      side.truncate(rng);
    } else side.tail.releaseIdle();
    if (budget.held !== sides[0]!.tail.bytes + sides[1]!.tail.bytes) fail(`step ${step}: the budget holds ${budget.held}, the tails ${sides[0]!.tail.bytes} + ${sides[1]!.tail.bytes}`);
    if (budget.held > budget.bytesMax) fail(`step ${step}: past the budget`);
    for (const s of sides) if (s.tail.bytes > appendTailBytesMax) fail(`step ${step}: past one tail's bound`);
    // Each view is compared with its copy once, a dozen reads after it was handed out (and at the end).
    while (held.length > 12) checkView(held.shift()!, step);
  }
  for (const h of held) checkView(h, 300);
}

function checkView(h: { view: Uint8Array; copy: Buffer }, step: number): void {
  if (!Buffer.from(h.view.buffer, h.view.byteOffset, h.view.length).equals(h.copy)) fail(`step ${step}: a view handed out changed`);
}

function fail(message: string): never {
  throw new Error(message);
}

describe('AppendTail against a model (seeded)', () => {
  it('every answer is the log’s batches from that offset, whole, in order, once, within the limits; views never change; the budget adds up (50 seeds)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      try {
        runSeed(seed);
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}`, { cause: err });
      }
    }
  });
});
