/**
 * The consumer's records, record for record, through the public API: what a producer sent
 * (keys, null keys and values, headers, timestamps, every codec) is what a bare `Consumer`
 * (`batches()`, `for await` a record at a time, a seek into the middle of a batch) and a
 * group of 1 (`run({ eachRecord })`, `run({ eachBatch })`) hand out, in order, at the
 * offsets the producer was told, across several segments of the log. The consumer decodes
 * with a loop of its own (src/record/partition-records.ts); control batches and the
 * records below a position inside a batch are covered in src/client/consumer.test.ts.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import type { ConsumerRecord } from '../../src/client/consumer.js';
import { compressionTypes } from '../../src/record/batch.js';

interface Expected {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: { key: string; value: string | null }[];
  readonly timestamp: number;
}

const topic = 'records';
const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('utf8'));
const seen = (r: ConsumerRecord) => ({ offset: r.offset, key: text(r.key), value: text(r.value), headers: r.headers.map((h) => ({ key: h.key, value: text(h.value) })), timestamp: r.timestamp });

let dataDir: string;
let cluster: Cluster;
const expected: Expected[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tributary-consumer-records-'));
  cluster = await Cluster.start({ nodes: 1, dataDir });
  // Segments of 8 KiB: the 60 calls below (about 100 KiB) roll the log a dozen times.
  await cluster.admin().createTopics([{ name: topic, partitions: 1, configs: { 'segment.bytes': '8192' } }]);
  const t0 = 1_700_000_000_000;
  let n = 0;
  for (let call = 0; call < 60; call++) {
    const compression = compressionTypes[call % compressionTypes.length]!;
    const producer = cluster.producer({ compression, lingerMs: 0 });
    const records = Array.from({ length: 1 + ((call * 7) % 23) }, () => {
      const i = n++;
      return {
        key: i % 5 === 0 ? null : `key-${i}`,
        value: i % 11 === 0 ? null : `value ${i} `.repeat(1 + (i % 9)),
        headers: i % 3 === 0 ? [{ key: 'h', value: `${i}` }, { key: 'h', value: null }, { key: 'ünï', value: 'x' }] : [],
        timestamp: t0 + i * 1000,
        partition: 0,
      };
    });
    const metadata = await producer.send(topic, records);
    await producer.close();
    records.forEach((r, k) => expected.push({ offset: metadata[k]!.offset, key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }));
  }
}, 60_000);

afterAll(async () => {
  await cluster.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('consumer records through the public API', () => {
  it('the log rolled into several segments, and the producer was told consecutive offsets', () => {
    const node = readdirSync(dataDir).find((d) => d.startsWith('node-'))!;
    const logs = readdirSync(join(dataDir, node, `${topic}-0`)).filter((f) => f.endsWith('.log'));
    expect(logs.length).toBeGreaterThan(3);
    expect(expected.map((e) => e.offset)).toEqual(expected.map((_, i) => i));
  });

  it('batches() hands out every record as sent, in order', async () => {
    const consumer = cluster.consumer({ maxWaitMs: 20, maxPartitionBytes: 4096 });
    consumer.assign([{ topic, partition: 0 }]);
    await consumer.seek({ topic, partition: 0 }, 'earliest');
    const got: ReturnType<typeof seen>[] = [];
    for await (const batch of consumer.batches()) {
      expect(batch.topic).toBe(topic);
      for (const r of batch.records) {
        expect([r.topic, r.partition, r.leaderEpoch >= 0]).toEqual([topic, 0, true]);
        got.push(seen(r));
      }
      if (got.length >= expected.length) break;
    }
    await consumer.close();
    expect(got).toEqual(expected);
  });

  it('for await a record at a time, from a seek into the middle of a batch', async () => {
    const from = 101; // inside a batch of several records, whatever its codec
    const consumer = cluster.consumer({ maxWaitMs: 20 });
    consumer.assign([{ topic, partition: 0 }]);
    await consumer.seek({ topic, partition: 0 }, from);
    const got: ReturnType<typeof seen>[] = [];
    for await (const r of consumer) {
      got.push(seen(r));
      if (got.length >= expected.length - from) break;
    }
    await consumer.close();
    expect(got).toEqual(expected.slice(from));
  });

  for (const handler of ['eachRecord', 'eachBatch'] as const) {
    it(`a group of 1, run({ ${handler} }), hands out every record as sent`, async () => {
      const group = cluster.consumerGroup({ groupId: `records-${handler}`, topics: [topic], from: 'earliest', maxWaitMs: 20 });
      const got: ReturnType<typeof seen>[] = [];
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      const take = (r: ConsumerRecord): void => {
        got.push(seen(r));
        if (got.length === expected.length) done();
      };
      const running = group.run(handler === 'eachRecord' ? { eachRecord: take } : { eachBatch: (b) => b.records.forEach(take) });
      await all;
      await group.close();
      await running;
      expect(got).toEqual(expected);
    });
  }
});

/**
 * Record batches larger than a chunk: a chunk holds at most 500 records (Kafka's
 * `max.poll.records`), so a batch of 1,200 is handed out in parts, across chunks, with
 * every codec; the position and a group's commit may then fall inside a batch.
 */
describe('record batches split across chunks', () => {
  const big = 'records-big';
  const wanted: Expected[] = [];
  beforeAll(async () => {
    await cluster.admin().createTopics([{ name: big, partitions: 1 }]);
    const t0 = 1_700_100_000_000;
    let n = 0;
    for (const compression of compressionTypes) {
      const producer = cluster.producer({ compression, lingerMs: 0, batchSize: 1 << 20 });
      const records = Array.from({ length: 1200 }, () => {
        const i = n++;
        return {
          key: i % 7 === 0 ? null : `k${i}`,
          value: i % 13 === 0 ? null : `v${i}`,
          headers: i % 4 === 0 ? [{ key: 'n', value: `${i}` }] : [],
          timestamp: t0 + i,
          partition: 0,
        };
      });
      const metadata = await producer.send(big, records);
      await producer.close();
      records.forEach((r, k) => wanted.push({ offset: metadata[k]!.offset, key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }));
    }
  }, 60_000);

  it('batches() hands out chunks of at most 500 records, every record as sent, the position after each chunk', async () => {
    const consumer = cluster.consumer({ maxWaitMs: 20 });
    const tp = { topic: big, partition: 0 };
    consumer.assign([tp]);
    await consumer.seek(tp, 'earliest');
    const got: ReturnType<typeof seen>[] = [];
    const sizes: number[] = [];
    for await (const batch of consumer.batches()) {
      sizes.push(batch.records.length);
      for (const r of batch.records) got.push(seen(r));
      // The position is after the chunk's last record, inside a batch or not.
      expect(consumer.position(tp)).toBe(batch.records[batch.records.length - 1]!.offset + 1);
      if (got.length >= wanted.length) break;
    }
    await consumer.close();
    expect(got).toEqual(wanted);
    expect(Math.max(...sizes)).toBe(500);
    // Most chunks are full: batches of 1,200 split 500, 500, 200 (+ the next batch's first 300).
    expect(sizes.filter((s) => s === 500).length).toBeGreaterThanOrEqual(Math.floor(wanted.length / 500) - compressionTypes.length);
  });

  it('a seek into a batch a chunk left open, and a record at a time from there', async () => {
    const consumer = cluster.consumer({ maxWaitMs: 20 });
    const tp = { topic: big, partition: 0 };
    consumer.assign([tp]);
    await consumer.seek(tp, 'earliest');
    const it = consumer.batches();
    expect((await it.next()).value!.records.length).toBe(500); // the first batch is open at 500
    await consumer.seek(tp, 1300); // inside the second batch
    const got: ReturnType<typeof seen>[] = [];
    for await (const r of consumer) {
      got.push(seen(r));
      if (got.length >= wanted.length - 1300) break;
    }
    await consumer.close();
    expect(got).toEqual(wanted.slice(1300));
  });

  it('a group member that stops inside a batch commits there; the next member goes on from it, nothing lost or repeated', async () => {
    const groupId = 'records-big-split';
    const first = cluster.consumerGroup({ groupId, topics: [big], from: 'earliest', maxWaitMs: 20 });
    const got: ReturnType<typeof seen>[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const running = first.run({
      eachBatch: (b) => {
        if (got.length >= 700) return;
        for (const r of b.records) got.push(seen(r));
        if (got.length >= 700) stop();
      },
    });
    await stopped;
    await first.close();
    await running;
    expect(got.length).toBe(1000); // two chunks of 500: it stopped at 1,000, inside the first batch (offsets 0 to 1,199)
    const second = cluster.consumerGroup({ groupId, topics: [big], from: 'earliest', maxWaitMs: 20 });
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const rest = second.run({
      eachRecord: (r) => {
        got.push(seen(r));
        if (got.length === wanted.length) done();
      },
    });
    await all;
    await second.close();
    await rest;
    expect(got).toEqual(wanted);
  });
});
