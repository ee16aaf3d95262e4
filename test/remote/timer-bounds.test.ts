/**
 * `connect()` takes timers up to 2^31 - 1 ms, the longest a Node timer waits (a longer one
 * fires after 1 ms, with a TimeoutOverflowWarning). The TCP client adds to them: a Fetch
 * waits `requestTimeoutMs` plus its `maxWaitMs`, a JoinGroup the rebalance timeout plus
 * 5 s. Those sums must stay within the bound too, or the longest timeout the options
 * checker accepts times every Fetch out at once.
 */
import { describe, expect, it } from 'vitest';
import { Cluster, connect } from '../../src/index.js';

describe('connect() with the longest timers it accepts', () => {
  it('requestTimeoutMs 2^31 - 1: a long-polled Fetch is not timed out at once (no timer overflows)', async () => {
    const overflows: string[] = [];
    const onWarning = (w: Error): void => {
      if (w.name === 'TimeoutOverflowWarning') overflows.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      await using served = await Cluster.start({ listen: { port: 0 } });
      await served.admin().createTopics([{ name: 'long-timers', partitions: 1 }]);
      await using cluster = connect({ bootstrapServers: served.bootstrapServers, requestTimeoutMs: 2 ** 31 - 1 });
      await cluster.producer({ acks: 'all' }).send('long-timers', Array.from({ length: 5 }, (_, i) => ({ value: `v${i}` })));
      const consumer = cluster.consumer({ maxWaitMs: 100 });
      consumer.assign([{ topic: 'long-timers', partition: 0 }]);
      await consumer.seek({ topic: 'long-timers', partition: 0 }, 'earliest');
      const seen: string[] = [];
      for await (const r of consumer) {
        seen.push(Buffer.from(r.value!).toString());
        if (seen.length === 5) break;
      }
      expect(seen).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
      expect(overflows).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  }, 60_000);
});
