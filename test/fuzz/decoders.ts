/**
 * Fuzz targets for the decoders of bytes that come from another node, another thread or
 * the disk, below the public API and beside the wire codec (which `wire.ts` and
 * `src/protocol/wire/plan.test.ts` cover): metadata records and snapshots (a FetchSnapshot
 * answer, a damaged metadata log), Raft entries (a quorum member's Fetch answer), the
 * consumer protocol (another member's subscription, the leader's assignment), control
 * records, and the peer Fetch layout between node workers.
 *
 * Each input is a valid encoding, from the checked-in disk-format fixture where there is
 * one, mutated: bit flips, bytes set to extremes, an int16 or int32 set to a lying length
 * or count, truncation, inserted random bytes; or plain random bytes. A record batch's CRC
 * is made right again half the time, so the mutation reaches the decoder behind the check.
 * Every call must return or throw a `TributaryError`: a RangeError, a TypeError, an
 * assertion or a hang is a finding.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeAssignment, encodeSubscription, decodeAssignment, decodeSubscription } from '../../src/client/consumer-protocol.js';
import { decodeMetadataRecords } from '../../src/metadata/records.js';
import { decodeSnapshot } from '../../src/metadata/quorum-controller.js';
import { readPeerFetch, readPeerFetchAnswer, writePeerFetch, writePeerFetchAnswer } from '../../src/node/peer-fetch-layout.js';
import type { FetchRequest, FetchResponse } from '../../src/protocol/index.js';
import { sampleRequests } from '../../src/protocol/samples.js';
import { decodeEntries } from '../../src/raft/entry-batches.js';
import { crcStartPosition, decodeUncompressedBatch, encodeBatchUncompressed, iterateBatches } from '../../src/record/batch.js';
import { decodeControlRecord, encodeControlRecordKey, encodeControlRecordValue } from '../../src/record/control-record.js';
import { crc32c } from '../../src/util/crc32c.js';
import type { Rng } from '../../src/util/rng.js';
import type { FuzzCase, FuzzTarget } from './harness.js';

const fixture = fileURLToPath(new URL('../fixtures/disk-format/v1/node-1/__cluster_metadata-0/', import.meta.url));

/** The fixture's metadata log, batch by batch, and the record values in it (metadata records). */
function metadataSeeds(): { batches: Uint8Array[]; values: Uint8Array[]; snapshot: Uint8Array } {
  const log = readFileSync(`${fixture}00000000000000000000.log`);
  const batches: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  for (const slice of iterateBatches(log)) {
    const bytes = log.subarray(slice.position, slice.position + slice.size);
    batches.push(bytes);
    for (const r of decodeUncompressedBatch(bytes)) if (r.value !== null && r.value.length > 0) values.push(r.value);
  }
  // The snapshot file: a 16-byte header (magic, CRC, length), then the payload decodeSnapshot reads.
  const snapshot = readFileSync(`${fixture}00000000000000000018-0000000001.checkpoint`).subarray(16);
  return { batches, values, snapshot };
}

let seeds: ReturnType<typeof metadataSeeds> | undefined;
const metadata = (): ReturnType<typeof metadataSeeds> => (seeds ??= metadataSeeds());

/** One mutation of `bytes` (a copy; the seed is never changed). */
export function mutate(rng: Rng, seed: Uint8Array): Uint8Array {
  let b = Uint8Array.from(seed);
  const edits = rng.between(1, 4);
  for (let e = 0; e < edits; e++) {
    if (b.length === 0) return rng.bytes(rng.between(0, 64));
    const at = rng.int(b.length);
    switch (rng.int(7)) {
      case 0:
        b[at] = b[at]! ^ (1 << rng.int(8));
        break;
      case 1:
        b[at] = rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff]);
        break;
      case 2: {
        // An int16 or int32 (a length, a count) that lies: huge, negative, one past.
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        const lie = rng.pick([-1, -2, 0, 1, 0x7fff, 0xffff, 0x7fffffff, -0x80000000, 0x10000, b.length - at, b.length]);
        if (rng.chance(0.5) && at + 2 <= b.length) v.setInt16(at, lie);
        else if (at + 4 <= b.length) v.setInt32(at, lie);
        break;
      }
      case 3:
        b = b.subarray(0, at);
        break;
      case 4: {
        const insert = rng.bytes(rng.between(1, 16));
        b = Uint8Array.from([...b.subarray(0, at), ...insert, ...b.subarray(at)]);
        break;
      }
      case 5:
        // A varint that never ends, or a long one.
        b.fill(0xff, at, Math.min(b.length, at + rng.between(1, 10)));
        break;
      default:
        b = Uint8Array.from([...b, ...rng.bytes(rng.between(1, 32))]);
    }
  }
  return b;
}

/** Makes a record batch's CRC right for its (mutated) bytes, where the batch is long enough to have one. */
function fixCrc(b: Uint8Array): Uint8Array {
  if (b.length >= crcStartPosition) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(17, crc32c(b, crcStartPosition, b.length));
  return b;
}

const hex = (b: Uint8Array): string => Buffer.from(b.subarray(0, 48)).toString('hex') + (b.length > 48 ? `... (${b.length} bytes)` : '');

/** A target that decodes one mutated seed (or random bytes, one input in eight). */
function bytesTarget(name: string, seedsOf: () => readonly Uint8Array[], decode: (bytes: Uint8Array, rng: Rng) => unknown, after?: (b: Uint8Array, rng: Rng) => Uint8Array): FuzzTarget {
  return {
    name,
    next(rng: Rng): FuzzCase {
      const all = seedsOf();
      let b = rng.chance(0.125) || all.length === 0 ? rng.bytes(rng.between(0, 256)) : mutate(rng, rng.pick(all));
      if (after) b = after(b, rng);
      return { input: hex(b), expect: 'any', call: () => decode(b, rng), boundMs: 10_000 };
    },
  };
}

const subscriptions = [
  encodeSubscription({ topics: ['orders', 'payments'], userData: null, ownedPartitions: [{ topic: 'orders', partition: 3 }], generationId: 7, rackId: 'r1' }),
  encodeSubscription({ topics: [], userData: new Uint8Array([1, 2, 3]), ownedPartitions: [], generationId: -1, rackId: null }),
];
const assignments = [encodeAssignment({ partitions: [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 5 }, { topic: 'b', partition: 1 }], userData: null }), encodeAssignment({ partitions: [], userData: new Uint8Array(4) })];

const controlRecords: { key: Uint8Array; value: Uint8Array }[] = [
  { key: encodeControlRecordKey('COMMIT'), value: encodeControlRecordValue({ type: 'COMMIT', coordinatorEpoch: 3 }) },
  { key: encodeControlRecordKey('LEADER_CHANGE'), value: encodeControlRecordValue({ type: 'LEADER_CHANGE', leaderId: 1, voters: [1, 2], grantingVoters: [2] }) },
];

const fetchHeader = { apiVersion: 12, correlationId: 5, clientId: 'broker-2' };
const peerFetchRequest = (): Uint8Array => writePeerFetch(fetchHeader, sampleRequests[1] as FetchRequest);
const peerFetchAnswer = (): Uint8Array => {
  const records = encodeBatchUncompressed([{ value: Buffer.from('a') }, { value: Buffer.from('bc') }]);
  const answer: FetchResponse = {
    apiKey: 1,
    errorCode: 'NONE',
    sessionId: 0,
    throttleTimeMs: 0,
    responses: [
      {
        topic: 'orders',
        partitions: [
          { partitionIndex: 0, errorCode: 'NONE', highWatermark: 2, lastStableOffset: 2, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records },
          { partitionIndex: 1, errorCode: 'NOT_LEADER_OR_FOLLOWER', highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, currentLeader: { leaderId: 3, leaderEpoch: 9 }, abortedTransactions: null, preferredReadReplica: -1, records: null },
        ],
      },
    ],
  };
  return writePeerFetchAnswer(answer, true);
};

export const decoderTargets: FuzzTarget[] = [
  bytesTarget('metadata records', () => metadata().values, (b) => decodeMetadataRecords(b)),
  bytesTarget('metadata snapshot', () => [metadata().snapshot], (b) => decodeSnapshot(b)),
  bytesTarget(
    'Raft entries',
    () => metadata().batches,
    (b) => decodeEntries(b, new DataView(b.buffer, b.byteOffset, b.byteLength).byteLength >= 8 ? Number(new DataView(b.buffer, b.byteOffset).getBigInt64(0)) : 0),
    (b, rng) => (rng.chance(0.5) ? fixCrc(b) : b),
  ),
  bytesTarget('consumer subscription', () => subscriptions, (b) => decodeSubscription(b)),
  bytesTarget('consumer assignment', () => assignments, (b) => decodeAssignment(b)),
  bytesTarget('control record', () => controlRecords.map((c) => c.value), (b, rng) => decodeControlRecord({ key: rng.pick(controlRecords).key, value: b })),
  bytesTarget('control record key', () => controlRecords.map((c) => c.key), (b) => decodeControlRecord({ key: b, value: controlRecords[0]!.value })),
  bytesTarget('peer Fetch request layout', () => [peerFetchRequest()], (b) => readPeerFetch(b)),
  bytesTarget('peer Fetch answer layout', () => [peerFetchAnswer()], (b) => readPeerFetchAnswer(b, 'node 2')),
];
