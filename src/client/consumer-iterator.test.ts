import { describe, expect, it } from 'vitest';
import { FakeCluster } from '../../test/helpers/fake-broker.js';
import { Consumer } from './consumer.js';
import { Producer } from './producer.js';

const tp = { topic: 't', partition: 0 };

async function filled(records: number, batchSize = 4_096): Promise<FakeCluster> {
  const cluster = new FakeCluster({ topics: { t: 1 } });
  const producer = new Producer(cluster, { lingerMs: 0, batchSize });
  for (let i = 0; i < records; i += 500) await producer.sendBatch('t', Array.from({ length: Math.min(500, records - i) }, (_, j) => ({ value: `v${i + j}` })));
  await producer.close();
  return cluster;
}

describe('Consumer: for await over records', () => {
  it('hands out every record once, in order, across many fetched chunks', async () => {
    const cluster = await filled(5_000);
    // Small fetches: many chunks, each of many batches.
    const c = new Consumer(cluster, { maxWaitMs: 20, maxPartitionBytes: 8_192 });
    c.assign([tp]);
    await c.seek(tp, 'earliest');
    const offsets: number[] = [];
    const values: string[] = [];
    for await (const r of c) {
      offsets.push(r.offset);
      values.push(Buffer.from(r.value!).toString());
      if (offsets.length === 5_000) break;
    }
    expect(offsets).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    expect(values[4_999]).toBe('v4999');
    expect(cluster.stats.requests.Fetch).toBeGreaterThan(10);
    await c.close();
  });

  it('ends on break, and a later loop goes on from the position', async () => {
    const cluster = await filled(100, 200);
    const c = new Consumer(cluster, { maxWaitMs: 20, maxPartitionBytes: 256 });
    c.assign([tp]);
    await c.seek(tp, 'earliest');
    const first: number[] = [];
    for await (const r of c) {
      first.push(r.offset);
      if (first.length === 3) break;
    }
    expect(first).toEqual([0, 1, 2]);
    // A loop left inside a chunk: the rest of that chunk is not handed out again (the
    // position is past it), as `batches()` does.
    const position = c.position(tp)!;
    expect(position).toBeGreaterThanOrEqual(3);
    expect(position).toBeLessThan(100);
    const next: number[] = [];
    for await (const r of c) {
      next.push(r.offset);
      break;
    }
    expect(next).toEqual([position]);
    await c.close();
  });

  it('ends with done once the consumer is closed, and passes a thrown error on', async () => {
    const cluster = await filled(10);
    const c = new Consumer(cluster, { maxWaitMs: 20 });
    c.assign([tp]);
    await c.seek(tp, 'earliest');
    const it = c[Symbol.asyncIterator]();
    expect((await it.next()).value?.offset).toBe(0);
    await c.close();
    // The chunk already fetched is handed out, then the iteration ends.
    let n = 1;
    for (;;) {
      const r = await it.next();
      if (r.done === true) break;
      n++;
    }
    expect(n).toBeLessThanOrEqual(10);
    expect((await it.next()).done).toBe(true);

    const failing = new Consumer(cluster, { maxWaitMs: 20, autoOffsetReset: 'none' });
    failing.assign([tp]);
    await expect((async () => {
      for await (const _ of failing) void _;
    })()).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    await failing.close();
  });
});
