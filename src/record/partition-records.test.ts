import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { isTributaryError } from '../util/errors.js';
import { batchHeaderBytes, decodeRecordsSection, encodeBatchUncompressed, readBatchHeader, type BatchHeader, type RecordInput } from './batch.js';
import { decodePartitionRecordsSection, decodePartitionSection, openPartitionSection, type PartitionRecord } from './partition-records.js';

// The consumer's decoder is a loop of its own (see partition-records.ts); the general one
// (`decodeRecordsSection`) is the reference. Same bytes in, the same records out, or the
// same CORRUPT_MESSAGE.

type Outcome = { records: unknown[] } | { error: string };

function both(body: Buffer, header: BatchHeader, fromOffset: number): [Outcome, Outcome] {
  const ours = (): Outcome => {
    const out: PartitionRecord[] = [];
    try {
      decodePartitionRecordsSection(body, header, fromOffset, 'orders', 3, out);
    } catch (err) {
      if (!isTributaryError(err)) throw err; // a RangeError or a TypeError fails the test
      return { error: `${err.code} ${err.message}` };
    }
    return { records: out.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers, topic: r.topic, partition: r.partition, leaderEpoch: r.leaderEpoch })) };
  };
  const reference = (): Outcome => {
    let records;
    try {
      records = decodeRecordsSection(body, header);
    } catch (err) {
      if (!isTributaryError(err)) throw err;
      return { error: `${err.code} ${err.message}` };
    }
    return { records: records.filter((r) => r.offset >= fromOffset).map((r) => ({ ...r, topic: 'orders', partition: 3, leaderEpoch: header.partitionLeaderEpoch })) };
  };
  return [ours(), reference()];
}

function randomRecords(rng: Rng): RecordInput[] {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => rng.int(256)));
  return Array.from({ length: 1 + rng.int(20) }, () => ({
    key: rng.int(3) === 0 ? null : bytes(rng.int(40)),
    value: rng.int(8) === 0 ? null : bytes(rng.int(300)),
    headers: rng.int(3) === 0 ? Array.from({ length: 1 + rng.int(3) }, (_, h) => ({ key: `h${h}-${rng.int(100)}`, value: rng.int(4) === 0 ? null : bytes(rng.int(10)) })) : [],
    timestamp: 1_700_000_000_000 + rng.int(1_000_000),
  }));
}

describe('decodePartitionRecordsSection', () => {
  it('makes the records the general decoder makes, each with its topic, partition and leader epoch, from any start offset', () => {
    const rng = new Rng(1313);
    for (let round = 0; round < 200; round++) {
      const records = randomRecords(rng);
      const batch = encodeBatchUncompressed(records, { baseOffset: 1000 + rng.int(1000), partitionLeaderEpoch: rng.int(9) });
      const header = readBatchHeader(batch, 0);
      const body = batch.subarray(batchHeaderBytes);
      const from = header.baseOffset + rng.int(records.length + 1) - 1;
      const [ours, reference] = both(body, header, from);
      expect('records' in ours).toBe(true);
      expect(ours).toStrictEqual(reference);
      // Keys and values are views into the fetched bytes (no copy), and Buffers as before.
      for (const r of (ours as { records: PartitionRecord[] }).records) if (r.value !== null) expect(Buffer.isBuffer(r.value) && r.value.buffer === batch.buffer).toBe(true);
    }
  });

  it('refuses damaged sections as the general decoder does: the same CORRUPT_MESSAGE, never another error or a read outside the section', () => {
    const rng = new Rng(4242);
    let refused = 0;
    for (let round = 0; round < 1500; round++) {
      const batch = encodeBatchUncompressed(randomRecords(rng), { baseOffset: rng.int(100) });
      const header = readBatchHeader(batch, 0);
      // The section alone, in a buffer of its own: a read past it would be a read past the buffer.
      const body = Buffer.from(batch.subarray(batchHeaderBytes));
      const damage = rng.int(4);
      let mutated: Buffer = body;
      if (damage === 0) for (let k = 0; k < 1 + rng.int(4); k++) mutated[rng.int(mutated.length)] = rng.int(256);
      else if (damage === 1) mutated = Buffer.from(body.subarray(0, rng.int(body.length)));
      else if (damage === 2) mutated = Buffer.concat([body, Buffer.from([rng.int(256)])]);
      else mutated[rng.int(mutated.length)] = 0xff; // a varint's continuation bit, a huge length
      const h: BatchHeader = rng.int(10) === 0 ? { ...header, recordCount: header.recordCount + 1 - rng.int(3) } : header;
      const [ours, reference] = both(mutated, h, 0);
      expect(ours).toStrictEqual(reference);
      if ('error' in ours) {
        expect(ours.error.startsWith('CORRUPT_MESSAGE corrupt record batch')).toBe(true);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(500);
  });
});

describe('decodePartitionSection (a section in parts, as a consumer hands a large batch out)', () => {
  /** Decodes `body` in parts of at most `part` records at a time: every part's records, then the error if one is thrown. */
  function inParts(body: Buffer, header: BatchHeader, fromOffset: number, part: number): { parts: number[][]; error?: string } {
    const parts: number[][] = [];
    try {
      const section = openPartitionSection(body, header, fromOffset, 'orders', 3);
      for (let done = false; !done; ) {
        const out: PartitionRecord[] = [];
        done = decodePartitionSection(section, out, part);
        expect(out.length).toBeLessThanOrEqual(part);
        if (!done) expect(out.length).toBe(part); // a part ends early only at the section's end
        parts.push(out.map((r) => r.offset));
      }
      expect(section.done).toBe(true);
    } catch (err) {
      if (!isTributaryError(err)) throw err;
      return { parts, error: `${err.code} ${err.message}` };
    }
    return { parts };
  }

  it('the parts, in order, are the records of the whole section; a damaged section fails with the same error, after the parts before the damage', () => {
    const rng = new Rng(2727);
    for (let round = 0; round < 600; round++) {
      const batch = encodeBatchUncompressed(randomRecords(rng), { baseOffset: 500 + rng.int(100) });
      const header = readBatchHeader(batch, 0);
      const body = Buffer.from(batch.subarray(batchHeaderBytes));
      if (round % 2 === 1) for (let k = 0; k < 1 + rng.int(3); k++) body[rng.int(body.length)] = rng.int(256);
      const from = header.baseOffset + rng.int(header.recordCount + 1) - 1;
      const whole: PartitionRecord[] = [];
      let wholeError: string | undefined;
      try {
        decodePartitionRecordsSection(body, header, from, 'orders', 3, whole);
      } catch (err) {
        if (!isTributaryError(err)) throw err;
        wholeError = `${err.code} ${err.message}`;
      }
      const split = inParts(body, header, from, 1 + rng.int(6));
      expect(split.error).toBe(wholeError);
      const offsets = split.parts.flat();
      if (wholeError === undefined) expect(offsets).toEqual(whole.map((r) => r.offset));
      else expect(whole.map((r) => r.offset).slice(0, offsets.length)).toEqual(offsets); // what was handed out before the damage, in order
    }
  });
});
