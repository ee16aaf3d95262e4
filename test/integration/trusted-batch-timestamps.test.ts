/**
 * A batch a Producer in this thread built and checksummed is trusted for its header's max
 * timestamp (record/checksummed-here.ts): the leader decides the timestamp bounds from the
 * header and does not decompress a compressed batch to read each record. These are the
 * outcomes that trust must not change, through the public API, for every codec (zstd
 * writes with the native package, installed here): a record past `message.timestamp.after.max.ms` refuses its send;
 * out-of-order timestamps in one compressed batch keep the largest as the partition's
 * max timestamp (ListOffsets -3), as Kafka stores it; a topic with `before.max.ms`
 * bounded still reads each record (the smallest timestamp is not in the header).
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';

const hour = 3_600_000;
const typed = (code: string) => expect.objectContaining({ name: 'TributaryError', code });

describe.each(['none', 'gzip', 'lz4', 'snappy', 'zstd'] as const)('trusted in-process batches, compression %s', (compression) => {
  it('bounds hold and the stored max timestamp is the records\' largest', async () => {
    await using cluster = await Cluster.start();
    const admin = cluster.admin();
    await admin.createTopics([
      { name: 'ahead', partitions: 1, configs: { 'message.timestamp.after.max.ms': String(hour) } },
      { name: 'back', partitions: 1, configs: { 'message.timestamp.before.max.ms': String(hour) } },
      { name: 'open', partitions: 1, configs: { 'message.timestamp.after.max.ms': String(Number.MAX_SAFE_INTEGER) } },
    ]);
    await using producer = cluster.producer({ compression, lingerMs: 0 });
    const t0 = Date.now();
    // One batch each (one call, one partition): the late record sits in the middle.
    await expect(producer.send('ahead', [{ value: 'a', timestamp: t0 }, { value: 'b', timestamp: t0 + 2 * hour }, { value: 'c', timestamp: t0 }])).rejects.toEqual(typed('INVALID_TIMESTAMP'));
    // The smallest timestamp is in the middle, the header's base is the first record's.
    await expect(producer.send('back', [{ value: 'a', timestamp: t0 }, { value: 'b', timestamp: t0 - 2 * hour }, { value: 'c', timestamp: t0 }])).rejects.toEqual(typed('INVALID_TIMESTAMP'));
    const sent = await producer.send('open', [{ value: 'a', timestamp: t0 + 5 }, { value: 'b', timestamp: t0 + 9 * hour }, { value: 'c', timestamp: t0 - 7 }]);
    expect(sent.map((m) => m.offset)).toEqual([0, 1, 2]);
    expect(await admin.listOffsets('open', 'max-timestamp')).toEqual([{ partition: 0, offset: 1, timestamp: t0 + 9 * hour }]);
    // Nothing of the refused sends was stored.
    expect(await admin.listOffsets('ahead', 'latest')).toEqual([expect.objectContaining({ partition: 0, offset: 0 })]);
    expect(await admin.listOffsets('back', 'latest')).toEqual([expect.objectContaining({ partition: 0, offset: 0 })]);
  });
});
