/**
 * A produced batch whose header claims far more records than its bytes hold, and
 * LogAppendTime (which Kafka refuses from a producer on a LogAppendTime topic, and on a
 * CreateTime topic without a timestamp): refused CORRUPT_MESSAGE, as Kafka's reader of its
 * records refuses it, never an INVALID_TIMESTAMP with one record error per claimed record
 * (a header of 61 bytes could claim 2^31 records, and the broker's thread made them all).
 * Through the public `cluster.transport`.
 */
import { expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { attributeBits, crcStartPosition, encodeBatchUncompressed, positions } from '../../src/record/batch.js';
import { crc32c } from '../../src/util/crc32c.js';

function claimingBatch(records: number, maxTimestamp: number): Uint8Array {
  const b = Buffer.from(encodeBatchUncompressed([{ value: Buffer.from('x') }], { now: 1_000 }));
  b.writeInt16BE(b.readInt16BE(positions.attributes) | attributeBits.timestampType, positions.attributes);
  b.writeInt32BE(records - 1, positions.lastOffsetDelta);
  b.writeInt32BE(records, positions.recordCount);
  b.writeBigInt64BE(BigInt(maxTimestamp), positions.maxTimestamp);
  b.writeUInt32BE(crc32c(b, crcStartPosition, b.length), positions.crc);
  return new Uint8Array(b);
}

it('a LogAppendTime claim over more records than the batch holds is CORRUPT_MESSAGE, with no record error per claimed record', async () => {
  await using cluster = await Cluster.start({ nodes: 1 });
  await cluster.admin().createTopics([
    { name: 'stamped', partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } },
    { name: 'created', partitions: 1 },
  ]);
  for (const [topic, maxTimestamp] of [['stamped', 1_000], ['created', -1]] as const) {
    const r = await cluster.transport.send(1, { apiKey: ApiKey.Produce, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: claimingBatch(1_000_000, maxTimestamp) }] }] });
    const p = r.responses[0]!.partitionResponses[0]!;
    expect([topic, p.errorCode, p.recordErrors?.length ?? 0]).toEqual([topic, 'CORRUPT_MESSAGE', 0]);
    // A true claim of one record is still named, as Kafka names it.
    const one = await cluster.transport.send(1, { apiKey: ApiKey.Produce, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: claimingBatch(1, maxTimestamp) }] }] });
    const q = one.responses[0]!.partitionResponses[0]!;
    expect([topic, q.errorCode, q.recordErrors?.map((e) => e.batchIndex)]).toEqual([topic, 'INVALID_TIMESTAMP', [0]]);
  }
}, 120_000);
