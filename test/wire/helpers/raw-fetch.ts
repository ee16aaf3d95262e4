/**
 * A consumer's Fetch v11 of one topic on a real socket: the request from KafkaJS's own
 * encoder, the answer read byte by byte (one topic, the partitions asked, in order), for
 * the tests that check a Fetch's answers field by field.
 */
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { RawConnection, requestMessage, sized } from './raw-client.js';

const require = createRequire(import.meta.url);
type KafkaJsRequest = { encode(): Promise<{ buffer: Buffer }> };
const fetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/request') as (o: Record<string, unknown>) => KafkaJsRequest;

let correlationId = 1;

export interface RawFetchPart {
  readonly partition: number;
  readonly fetchOffset: number;
  readonly currentLeaderEpoch?: number;
  /** `partition_max_bytes`; default 1 MiB. */
  readonly maxBytes?: number;
}

export interface RawFetchAnswer {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  /** The partition's record bytes (empty when it has none). */
  readonly records: Buffer;
  /** The records field's length as sent: -1 for null (Kafka's own early error answers), 0 for empty. */
  readonly recordsLength: number;
}

/** Sends the Fetch to `address` and reads its answer: one per partition asked, in order; expects no top-level error. */
export async function rawFetchV11(address: string, topic: string, parts: readonly RawFetchPart[], request: { maxBytes?: number; isolationLevel?: number } = {}): Promise<RawFetchAnswer[]> {
  const answer = await rawFetchV11Whole(address, topic, parts, request);
  expect(answer.errorCode).toBe(0); // top-level error
  return answer.partitions;
}

/** {@link rawFetchV11} with the answer's top-level error code and session id (a request refused whole carries its error there too). */
export async function rawFetchV11Whole(address: string, topic: string, parts: readonly RawFetchPart[], request: { maxBytes?: number; isolationLevel?: number } = {}): Promise<{ errorCode: number; sessionId: number; partitions: RawFetchAnswer[] }> {
  const req = fetchV11({
    replicaId: -1,
    maxWaitTime: 0,
    minBytes: 0,
    maxBytes: request.maxBytes ?? 1 << 20,
    isolationLevel: request.isolationLevel ?? 0,
    topics: [{ topic, partitions: parts.map((p) => ({ partition: p.partition, fetchOffset: String(p.fetchOffset), currentLeaderEpoch: p.currentLeaderEpoch ?? -1, maxBytes: p.maxBytes ?? 1 << 20 })) }],
    rackId: '',
  });
  const conn = await RawConnection.open(address);
  try {
    const id = correlationId++;
    conn.write(sized(requestMessage(1, 11, id, (await req.encode()).buffer)));
    const frame = await conn.next(60_000);
    if (typeof frame === 'string') throw new Error(`no answer: ${frame}`);
    expect(frame.readInt32BE(0)).toBe(id);
    let pos = 4 + 4; // correlation id, throttle
    const errorCode = frame.readInt16BE(pos);
    const sessionId = frame.readInt32BE(pos + 2);
    pos += 2 + 4; // error, session id
    expect(frame.readInt32BE(pos)).toBe(1);
    pos += 4;
    pos += 2 + frame.readInt16BE(pos);
    expect(frame.readInt32BE(pos)).toBe(parts.length);
    pos += 4;
    const out: RawFetchAnswer[] = [];
    for (const p of parts) {
      expect(frame.readInt32BE(pos)).toBe(p.partition);
      const answer = { partition: p.partition, errorCode: frame.readInt16BE(pos + 4), highWatermark: frame.readBigInt64BE(pos + 6), lastStableOffset: frame.readBigInt64BE(pos + 14), logStartOffset: frame.readBigInt64BE(pos + 22) };
      pos += 4 + 2 + 8 + 8 + 8;
      const aborted = frame.readInt32BE(pos);
      pos += 4 + Math.max(0, aborted) * 16 + 4; // aborted transactions, preferred read replica
      const recordsLength = frame.readInt32BE(pos);
      const length = Math.max(0, recordsLength);
      out.push({ ...answer, records: Buffer.from(frame.subarray(pos + 4, pos + 4 + length)), recordsLength });
      pos += 4 + length;
    }
    expect(pos).toBe(frame.length);
    return { errorCode, sessionId, partitions: out };
  } finally {
    conn.close();
  }
}
