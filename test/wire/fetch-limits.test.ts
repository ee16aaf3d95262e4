/**
 * A Fetch's byte limits against Kafka's (`KafkaApis.handleFetchRequest`,
 * `ReplicaManager.readFromLocalLog`, `LogSegment.read`), on a real socket (Fetch v11 from
 * KafkaJS's own encoder, answers read byte by byte) and in-process (the same request
 * through the cluster's transport):
 *
 * - the response limit is min(max_bytes, fetch.max.bytes); the first partition with data
 *   gets its first batch whole past any limit (KIP-74), and no partition after it gets
 *   anything past the limit. So max_bytes 0 or 1 gives the first partition with data
 *   exactly one batch and the next none (Tributary read 0 as 50 MiB and gave every
 *   partition data);
 * - a partition's `partition_max_bytes` of 0: the same rule, the first partition with
 *   data one batch, the others none;
 * - max_bytes -1: Kafka's segment read refuses a negative size, so every partition with
 *   data to read is answered UNKNOWN_SERVER_ERROR and one at its high watermark NONE
 *   (Tributary refused the whole request INVALID_REQUEST);
 * - a normal max_bytes: every batch of both partitions, as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { FetchRequest } from '../../src/protocol/index.js';
import { errorCodes, type ErrorCode } from '../../src/util/error-codes.js';

const errorCodeOf = (name: ErrorCode): number => errorCodes[name].code;
import { nodeAddress, startWireCluster, type WireCluster } from './helpers/cluster.js';
import { rawFetchV11 } from './helpers/raw-fetch.js';

const topic = 'limits';
const normal = 1 << 20;
let cluster: WireCluster;
/** The size of each batch produced, by partition (one record a batch). */
const batchSizes: number[][] = [[], []];

beforeAll(async () => {
  cluster = await startWireCluster({ nodes: 1 });
  await cluster.admin().createTopics([{ name: topic, partitions: 2 }]);
  const producer = cluster.producer({ acks: 1, lingerMs: 0 });
  for (const partition of [0, 1]) {
    for (let i = 0; i < 2; i++) await producer.send(topic, [{ value: `p${partition}-r${i}-${'x'.repeat(40 * (i + 1))}`, partition }]);
  }
  await producer.close();
  // The batch sizes, from a fetch of everything (each batch's length field + 12).
  const all = await inProcess({ maxBytes: normal, parts: [{ fetchOffset: 0 }, { fetchOffset: 0 }] });
  for (const partition of [0, 1]) {
    const bytes = all[partition]!.records;
    for (let pos = 0; pos < bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) batchSizes[partition]!.push(12 + bytes.readInt32BE(pos + 8));
    expect(batchSizes[partition]).toHaveLength(2);
  }
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 120_000);

interface Part {
  readonly fetchOffset: number;
  readonly partitionMaxBytes?: number;
}
interface Case {
  readonly maxBytes: number;
  readonly parts: readonly [Part, Part];
}
interface Answer {
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly records: Buffer;
}

/** A Fetch v11 of partitions 0 and 1 on a real socket, read by hand. */
async function onSocket(c: Case): Promise<Answer[]> {
  const parts = c.parts.map((p, partition) => ({ partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes ?? normal }));
  return (await rawFetchV11(nodeAddress(cluster, 1), topic, parts, { maxBytes: c.maxBytes })).map(({ errorCode, highWatermark, records }) => ({ errorCode, highWatermark, records }));
}

/** The same request in-process, through the cluster's transport. */
async function inProcess(c: Case): Promise<Answer[]> {
  const req: FetchRequest = {
    apiKey: ApiKey.Fetch,
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: c.maxBytes,
    isolationLevel: 0,
    topics: [{ topic, partitions: c.parts.map((p, partition) => ({ partition, fetchOffset: p.fetchOffset, currentLeaderEpoch: -1, partitionMaxBytes: p.partitionMaxBytes ?? normal })) }],
  };
  const res = await cluster.transport.send(1, req);
  expect(res.errorCode).toBe('NONE');
  return res.responses[0]!.partitions.map((p) => ({ errorCode: errorCodeOf(p.errorCode), highWatermark: BigInt(p.highWatermark), records: Buffer.from(p.records ?? new Uint8Array(0)) }));
}

/** Both ways, which must agree: [error code, record bytes] per partition. */
async function fetchBoth(c: Case): Promise<[number, number][]> {
  const wire = await onSocket(c);
  const local = await inProcess(c);
  const shape = (a: Answer[]): [number, number][] => a.map((p) => [p.errorCode, p.records.length]);
  expect(shape(wire)).toEqual(shape(local));
  for (let k = 0; k < 2; k++) expect(wire[k]!.records.equals(local[k]!.records)).toBe(true);
  return shape(wire);
}

const fromStart: readonly [Part, Part] = [{ fetchOffset: 0 }, { fetchOffset: 0 }];

describe('a Fetch’s byte limits, as Kafka’s', { timeout: 300_000 }, () => {
  it('max_bytes 0 and 1: the first partition with data exactly one batch, the next none', async () => {
    for (const maxBytes of [0, 1]) {
      expect(await fetchBoth({ maxBytes, parts: fromStart })).toEqual([
        [0, batchSizes[0]![0]!],
        [0, 0],
      ]);
      // The first partition at its end gives nothing: the second is the first with data.
      expect(await fetchBoth({ maxBytes, parts: [{ fetchOffset: 2 }, { fetchOffset: 0 }] })).toEqual([
        [0, 0],
        [0, batchSizes[1]![0]!],
      ]);
    }
  });

  it('partition_max_bytes 0: the first partition with data one batch, the other none', async () => {
    const zero: readonly [Part, Part] = [
      { fetchOffset: 0, partitionMaxBytes: 0 },
      { fetchOffset: 0, partitionMaxBytes: 0 },
    ];
    expect(await fetchBoth({ maxBytes: normal, parts: zero })).toEqual([
      [0, batchSizes[0]![0]!],
      [0, 0],
    ]);
    // Only the second partition's limit 0: after the first gave data, it gets none.
    expect(await fetchBoth({ maxBytes: normal, parts: [{ fetchOffset: 0 }, { fetchOffset: 0, partitionMaxBytes: 0 }] })).toEqual([
      [0, batchSizes[0]![0]! + batchSizes[0]![1]!],
      [0, 0],
    ]);
  });

  it('a limit that ends inside a batch: the batches before it, never part of one', async () => {
    // Room for the first partition's first batch and a few bytes: not its second batch, nothing of the other.
    expect(await fetchBoth({ maxBytes: batchSizes[0]![0]! + 10, parts: fromStart })).toEqual([
      [0, batchSizes[0]![0]!],
      [0, 0],
    ]);
    // Room for all of the first partition and the second's first batch.
    const room = batchSizes[0]![0]! + batchSizes[0]![1]! + batchSizes[1]![0]!;
    expect(await fetchBoth({ maxBytes: room, parts: fromStart })).toEqual([
      [0, batchSizes[0]![0]! + batchSizes[0]![1]!],
      [0, batchSizes[1]![0]!],
    ]);
  });

  it('max_bytes -1: UNKNOWN_SERVER_ERROR for each partition with data to read, NONE at the high watermark', async () => {
    const unknownServerError = errorCodeOf('UNKNOWN_SERVER_ERROR');
    expect(await fetchBoth({ maxBytes: -1, parts: fromStart })).toEqual([
      [unknownServerError, 0],
      [unknownServerError, 0],
    ]);
    expect(await fetchBoth({ maxBytes: -1, parts: [{ fetchOffset: 2 }, { fetchOffset: 1 }] })).toEqual([
      [0, 0],
      [unknownServerError, 0],
    ]);
  });

  it('a normal max_bytes: every batch of both partitions', async () => {
    expect(await fetchBoth({ maxBytes: normal, parts: fromStart })).toEqual([
      [0, batchSizes[0]![0]! + batchSizes[0]![1]!],
      [0, batchSizes[1]![0]! + batchSizes[1]![1]!],
    ]);
  });
});
