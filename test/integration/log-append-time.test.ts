/**
 * A topic with `message.timestamp.type=LogAppendTime`: the broker stamps each batch with
 * its wall clock when it appends it, and the producer learns the stamp, as in Kafka. The
 * stamp was once the broker's monotonic time (milliseconds since the process started,
 * with a fraction), which no client can read as a date and the wire codec refused to send.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';

describe('LogAppendTime', () => {
  it('stamps the records with the wall clock at append, whatever timestamp the producer set', async () => {
    await using cluster = await Cluster.start({ nodes: 1 });
    await cluster.admin().createTopics([{ name: 'stamped', partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } }]);
    const before = Date.now();
    const [meta] = await cluster.producer().send('stamped', [{ value: 'x', timestamp: 5 }]);
    const after = Date.now();
    expect(Number.isInteger(meta!.timestamp)).toBe(true);
    expect(meta!.timestamp).toBeGreaterThanOrEqual(before);
    expect(meta!.timestamp).toBeLessThanOrEqual(after);
    const consumer = cluster.consumer();
    consumer.assign([{ topic: 'stamped', partition: 0 }]);
    await consumer.seek({ topic: 'stamped', partition: 0 }, 'earliest');
    for await (const r of consumer) {
      expect([Buffer.from(r.value!).toString(), r.timestamp]).toEqual(['x', meta!.timestamp]);
      break;
    }
    await consumer.close();
  });
});
