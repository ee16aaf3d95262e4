/**
 * How many times the bytes of one produced batch are checksummed on their way from a
 * `Producer` through a 3-node cluster (RF 3, acks=all, idempotent) to a `Consumer`
 * (issue 13 item 4). The CRC-32C function is wrapped and every pass over at least the
 * batch's record bytes is counted, so a new check on the write path shows up here.
 *
 * Where the passes are today, for one batch:
 * - the producer: 1, when the batch is first sent, after the producer id and sequence
 *   are stamped in (`ProducerBatch.writeCrc`);
 * - the leader: none for a producer in the same thread (the bytes cross no trust
 *   boundary: `Partition.appendAsLeader` still validates their structure once and hands
 *   the result to the log, but skips the CRC of a batch this thread checksummed,
 *   record/checksummed-here.ts); 1 for bytes that came over TCP or from a worker
 *   (crc-trust-boundary.test.ts);
 * - each follower: none in the leader's thread, which answers its fetch from the copy of
 *   its last appends it keeps in memory (storage/append-tail.ts), bytes whose CRC it checked
 *   in this thread; 1 where the bytes came from another thread, process or the leader's
 *   file (`appendAsFollower`; write-path.test.ts, follower-crc-boundary.test.ts);
 * - the consumer: 1 where the bytes crossed a process boundary (over TCP), none from a
 *   cluster in the same process (`checkCrcs` left to its default).
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../src/util/crc32c.js', async (original) => (await import('../helpers/crc-count.js')).countingCrc32c(await original()));

const { crcPasses: passes } = await import('../helpers/crc-count.js');

const { Cluster } = await import('../../src/cluster.js');
const { connect } = await import('../../src/connect.js');

describe('CRC passes per batch on the write path', () => {
  it('RF 3, acks=all, idempotent: 1 in the producer, none on the leader in the same thread, none on each follower in that thread, none in a consumer in the process, 1 over TCP', async () => {
    await using cluster = await Cluster.start({ nodes: 3, listen: { port: 0 } });
    await cluster.admin().createTopics([{ name: 'crc', partitions: 1, replicationFactor: 3 }]);
    const producer = cluster.producer({ acks: 'all', idempotent: true, lingerMs: 0 });
    // Warm up: producer id, metadata, the replicas open and the followers fetching.
    await producer.send('crc', { value: Buffer.from('warm') });
    const records = Array.from({ length: 10 }, (_, i) => ({ value: Buffer.alloc(1000, i) }));
    // Only passes over at least the records' bytes (10 KB, one batch under the 16 KiB batch.size) count: the metadata quorum, group
    // and warm-up traffic in the same process are far smaller.
    passes.minBytes = 10_000;
    passes.count = 0;
    await producer.send('crc', records);
    // acks=all: both followers appended the batch before the high watermark passed it.
    const afterProduce = passes.count;
    const consumer = cluster.consumer({ maxWaitMs: 50 });
    consumer.assign([{ topic: 'crc', partition: 0 }]);
    await consumer.seek({ topic: 'crc', partition: 0 }, 'earliest');
    let seen = 0;
    for await (const r of consumer) {
      if (r.value?.length === 1000) seen++;
      if (seen === 10) break;
    }
    const afterConsume = passes.count - afterProduce;
    await consumer.close();
    // The same batch read over TCP: the bytes crossed a process boundary, so they are checked.
    await using remote = connect({ bootstrapServers: cluster.bootstrapServers });
    const overTcp = remote.consumer({ maxWaitMs: 50 });
    overTcp.assign([{ topic: 'crc', partition: 0 }]);
    await overTcp.seek({ topic: 'crc', partition: 0 }, 1);
    const before = passes.count;
    seen = 0;
    for await (const r of overTcp) {
      if (r.value?.length === 1000) seen++;
      if (seen === 10) break;
    }
    const afterTcpConsume = passes.count - before;
    passes.minBytes = Number.POSITIVE_INFINITY;
    await overTcp.close();
    await producer.close();
    expect({ afterProduce, afterConsume, afterTcpConsume }).toEqual({ afterProduce: 1 + 0 + 0, afterConsume: 0, afterTcpConsume: 1 });
  });
});
