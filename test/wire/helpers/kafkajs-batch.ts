/**
 * Record batches written by KafkaJS's own encoder (an independent implementation of the
 * format), for wire tests that send hand-made Produce requests: one batch of records with
 * their keys, values and timestamps, and a batch's attributes changed with the CRC-32C
 * computed again by KafkaJS.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: Record<string, unknown>) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: Record<string, unknown>) => unknown;
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;

/** One record of {@link kafkaJsBatch}. */
export interface BatchRecord {
  readonly value: string;
  readonly timestamp: number;
  readonly key?: string | null;
}

/**
 * One KafkaJS batch of `records` (timestamp deltas from the first; max timestamp the
 * largest). `options`: the encoder's other fields (firstOffset, maxTimestamp,
 * transactional, producerId, ...), which win.
 */
export async function kafkaJsBatch(records: readonly BatchRecord[], options: Record<string, unknown> = {}): Promise<Buffer> {
  const first = records[0]!.timestamp;
  const encoded = records.map((r, i) => Record({ offsetDelta: i, timestampDelta: r.timestamp - first, key: r.key === undefined || r.key === null ? null : Buffer.from(r.key), value: Buffer.from(r.value), headers: {} }));
  const batch = await RecordBatch({ records: encoded, firstTimestamp: first, maxTimestamp: Math.max(...records.map((r) => r.timestamp)), lastOffsetDelta: records.length - 1, ...options });
  return Buffer.from(batch.buffer);
}

/** `batch` with its attributes changed by `change`, the CRC computed again with KafkaJS's CRC-32C. */
export function withAttributes(batch: Buffer, change: (attributes: number) => number): Buffer {
  const b = Buffer.from(batch);
  b.writeInt16BE(change(b.readInt16BE(21)), 21);
  b.writeUInt32BE(crc32C(b.subarray(21)), 17);
  return b;
}
