/**
 * Kafka's produce refusals through Tributary's own Producer (the public API): a record
 * stamped two hours ahead of the broker's clock is INVALID_TIMESTAMP
 * (`message.timestamp.after.max.ms`, 1 hour by default), a record a year back is taken
 * (`before.max.ms` unbounded), a topic's own bound applies, a LogAppendTime topic takes
 * any timestamp, and a batch over `segment.bytes` is RECORD_LIST_TOO_LARGE; each refusal
 * is a typed error for that send only, and the producer goes on.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { untilNodeImage } from '../helpers/node-image.js';

const hour = 3_600_000;

describe('produce refusals through the Producer', () => {
  it('timestamps outside the bounds and a batch over segment.bytes are typed errors of that send; the producer goes on', async () => {
    await using cluster = await Cluster.start({ nodes: 1 });
    const admin = cluster.admin();
    await admin.createTopics([
      { name: 'ts', partitions: 1 },
      { name: 'ts-day', partitions: 1, configs: { 'message.timestamp.before.max.ms': String(24 * hour) } },
      { name: 'ts-append', partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } },
      { name: 'small-segments', partitions: 1, configs: { 'segment.bytes': '1000' } },
    ]);
    await using producer = cluster.producer();
    const t0 = Date.now();
    const typed = (code: string) => expect.objectContaining({ name: 'TributaryError', code });
    await expect(producer.send('ts', { value: 'ahead', timestamp: t0 + 2 * hour })).rejects.toEqual(typed('INVALID_TIMESTAMP'));
    await expect(producer.send('ts', { value: 'year back', timestamp: t0 - 365 * 24 * hour })).resolves.toMatchObject({ offset: 0 });
    await expect(producer.send('ts-day', { value: 'two days back', timestamp: t0 - 48 * hour })).rejects.toEqual(typed('INVALID_TIMESTAMP'));
    await expect(producer.send('ts-day', { value: 'an hour back', timestamp: t0 - hour })).resolves.toMatchObject({ offset: 0 });
    await expect(producer.send('ts-append', { value: 'ahead', timestamp: t0 + 2 * hour })).resolves.toMatchObject({ offset: 0 });
    await expect(producer.send('small-segments', { value: 'v'.repeat(2000) })).rejects.toEqual(typed('RECORD_LIST_TOO_LARGE'));
    await expect(producer.send('small-segments', { value: 'v'.repeat(500) })).resolves.toMatchObject({ offset: 0 });
    // A topic's bound changed at run time applies to the next produce.
    await admin.alterConfigs('ts', { 'message.timestamp.after.max.ms': String(3 * hour) });
    // Waits on metadata images (events), trying the send after each: refused until the change lands.
    await untilNodeImage(cluster, 'the new after.max.ms applied', () => producer.send('ts', { value: 'ahead, allowed now', timestamp: t0 + 2 * hour }).then(() => true, () => false));
  });
});
