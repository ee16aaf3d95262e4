import { describe, expect, it } from 'vitest';
import { FakeCluster } from '../../test/helpers/fake-broker.js';
import { encodeBatch } from '../record/codecs/index.js';
import { encodeControlBatch } from '../record/control-record.js';
import { compressionTypes } from '../record/batch.js';
import { Consumer, type ConsumerRecord } from './consumer.js';
import { Producer } from './producer.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { FetchResponse } from '../protocol/fetch.js';
import type { Request } from '../protocol/requests.js';
import type { Transport } from '../transport/transport.js';
import { useSimulatedClock } from '../../test/helpers/sim-clock.js';

// The tests that wait run on simulated time: long polls, backoffs and the waits in the
// clock's time. (The long-poll test stays on wall time: its detector is the test's timeout.)
const sim = useSimulatedClock();
const { clock } = sim;

const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString());
const tp = (partition: number, topic = 't') => ({ topic, partition });

async function take(consumer: Consumer, n: number): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = [];
  if (n === 0) return out;
  for await (const r of consumer) {
    out.push(r);
    if (out.length >= n) break;
  }
  return out;
}

async function fill(cluster: FakeCluster, topic: string, partition: number, values: string[], timestamp?: (i: number) => number): Promise<void> {
  const producer = new Producer(cluster, { lingerMs: 0 });
  await producer.send(topic, values.map((value, i) => ({ value, partition, timestamp: timestamp?.(i) })));
  await producer.close();
}

describe('Consumer', () => {
  it('a seek right after assign asks for metadata once, without waiting a backoff', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    await fill(cluster, 't', 0, ['a']);
    let metadataRequests = 0;
    const counted = new Proxy(cluster, {
      get(target, prop) {
        if (prop === 'send') {
          return (node: number, request: Request) => {
            if (request.apiKey === ApiKey.Metadata) metadataRequests++;
            return target.send(node, request as never);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as Transport;
    const consumer = new Consumer(counted, { maxWaitMs: 0, retryBackoffMs: 100 }, clock);
    const started = clock.monotonic();
    consumer.assign([tp(0)]);
    await consumer.seek(tp(0), 'earliest');
    // Before: assign's reset and the seek both marked the cache stale during the one
    // refresh, so the seek asked again once retryBackoffMs had passed.
    expect(metadataRequests).toBe(1);
    expect(clock.monotonic() - started).toBeLessThan(100);
    expect((await take(consumer, 1)).map((r) => text(r.value))).toEqual(['a']);
    await consumer.close();
  });

  it('hands out records that are plain objects: a spread, structuredClone and toStrictEqual keep them whole', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const producer = new Producer(cluster, { lingerMs: 0 });
    await producer.send('t', [
      { value: 'a', key: 'k', partition: 0, timestamp: 5 },
      { value: 'b', partition: 0, timestamp: 6, headers: { h: 'v' } },
    ]);
    await producer.close();
    const consumer = new Consumer(cluster, { maxWaitMs: 0 }, clock);
    consumer.assign([tp(0)]);
    await consumer.seek(tp(0), 'earliest');
    const [a, b] = await take(consumer, 2);
    await consumer.close();
    for (const r of [a!, b!]) {
      expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
      expect(r.constructor).toBe(Object);
      expect(Object.keys(r)).toEqual(['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers', 'leaderEpoch', 'timestampType']);
      expect(structuredClone(r)).toStrictEqual(structuredClone({ ...r }));
      expect({ ...r }).toStrictEqual(r);
    }
    expect(a).toStrictEqual({ topic: 't', partition: 0, offset: 0, timestamp: 5, key: Buffer.from('k'), value: Buffer.from('a'), headers: [], leaderEpoch: a!.leaderEpoch, timestampType: 'CreateTime' });
    expect(b!.headers).toStrictEqual([{ key: 'h', value: Buffer.from('v') }]);
    expect(Object.getPrototypeOf(b!.headers[0])).toBe(Object.prototype);
  });

  it('reads from earliest, latest, an offset or a timestamp (ListOffsets)', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    await fill(cluster, 't', 0, ['a', 'b', 'c', 'd'], (i) => 1000 * (i + 1));
    const c = new Consumer(cluster, { maxWaitMs: 20 });
    c.assign([tp(0)]);
    await c.seek(tp(0), 'earliest');
    expect(c.position(tp(0))).toBe(0);
    expect((await take(c, 4)).map((r) => text(r.value))).toEqual(['a', 'b', 'c', 'd']);
    expect(c.position(tp(0))).toBe(4);
    await c.seek(tp(0), 2);
    expect((await take(c, 1))[0]).toMatchObject({ offset: 2, timestamp: 3000, topic: 't', partition: 0, leaderEpoch: 0 });
    await c.seek(tp(0), { timestamp: 2500 });
    expect(c.position(tp(0))).toBe(2);
    await c.seek(tp(0), { timestamp: 99_999 });
    expect(c.position(tp(0))).toBe(4);
    await c.seek(tp(0), 'latest');
    expect(c.position(tp(0))).toBe(4);
    await fill(cluster, 't', 0, ['e']);
    expect((await take(c, 1)).map((r) => text(r.value))).toEqual(['e']);
    await expect(c.seek(tp(0), -1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(c.seek(tp(1), 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await c.close();
  });

  it('long-polls: a record produced while the fetch waits arrives without waiting out maxWaitMs', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    // maxWaitMs is twice the test's 60 s timeout: a fetch that waited it out fails the test,
    // with no wall-clock bound that a loaded machine could break (it was 2 s).
    const c = new Consumer(cluster, { maxWaitMs: 120_000 });
    c.assign([tp(0)]);
    await c.seek(tp(0), 'earliest');
    setTimeout(() => void fill(cluster, 't', 0, ['late']), 30);
    expect((await take(c, 1)).map((r) => text(r.value))).toEqual(['late']);
    await c.close();
  });

  it('reads several partitions on several leaders, at most one fetch per partition and one with records to come per leader, and follows a leader that moves', async () => {
    const cluster = new FakeCluster({ nodes: [1, 2], topics: { t: 4 } });
    for (let p = 0; p < 4; p++) await fill(cluster, 't', p, Array.from({ length: 5 }, (_, i) => `${p}-${i}`));
    const c = new Consumer(cluster, { maxWaitMs: 20, retryBackoffMs: 2 });
    c.assign([0, 1, 2, 3].map((p) => tp(p)));
    await Promise.all([0, 1, 2, 3].map((p) => c.seek(tp(p), 'earliest')));
    const first = await take(c, 20);
    expect(first.length).toBe(20);
    for (let p = 0; p < 4; p++) expect(first.filter((r) => r.partition === p).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
    // One fetch per leader with records to come (2), and long polls on partitions at their
    // end never hold those back: in all, never more fetches than partitions.
    expect(cluster.stats.fetchesOutstandingMax).toBeLessThanOrEqual(4);
    cluster.moveLeader('t', 0, 2);
    await fill(cluster, 't', 0, ['moved']);
    const after = await take(c, 1);
    expect(after[0]).toMatchObject({ partition: 0, offset: 5, leaderEpoch: 1 });
    await c.close();
  });

  it('pause stops a partition’s records until resume', async () => {
    const cluster = new FakeCluster({ topics: { t: 2 }, clock });
    await fill(cluster, 't', 0, ['a0', 'a1']);
    await fill(cluster, 't', 1, ['b0', 'b1']);
    const c = new Consumer(cluster, { maxWaitMs: 20 }, clock);
    c.assign([tp(0), tp(1)]);
    await c.seek(tp(0), 'earliest');
    await c.seek(tp(1), 'earliest');
    c.pause([tp(0)]);
    expect(c.paused()).toEqual([tp(0)]);
    expect((await take(c, 2)).map((r) => text(r.value))).toEqual(['b0', 'b1']);
    const fetchesBefore = cluster.stats.requests.Fetch;
    await sim.sleep(50);
    expect(c.position(tp(0))).toBe(0);
    c.resume([tp(0)]);
    expect((await take(c, 2)).map((r) => text(r.value))).toEqual(['a0', 'a1']);
    expect(cluster.stats.requests.Fetch).toBeGreaterThan(fetchesBefore);
    await c.close();
  });

  it('fetches ahead a bounded amount: a slow loop slows fetching instead of buffering', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    // 200 batches of 10 records, 100 bytes each.
    for (let b = 0; b < 200; b++) cluster.append('t', 0, await encodeBatch(Array.from({ length: 10 }, () => ({ value: Buffer.alloc(100, b) }))));
    const c = new Consumer(cluster, { maxWaitMs: 20, maxPartitionBytes: 2000 }, clock);
    c.assign([tp(0)]);
    await c.seek(tp(0), 'earliest');
    let seen = 0;
    for await (const r of c) {
      seen++;
      if (seen % 10 === 0) await sim.sleep(1);
      // Each fetch returns about 2000 bytes (one or two batches); fetched data waits only
      // while the loop reads the previous chunk: at most one fetch ahead.
      expect(c.fetchCount * 10).toBeLessThanOrEqual(seen + 30);
      if (r.offset === 999) break;
    }
    expect(seen).toBe(1000);
    expect(cluster.stats.fetchesOutstandingMax).toBe(1);
    // Once the loop stops, fetching stops: the data ahead of it is one response at most.
    const count = c.fetchCount;
    await sim.sleep(50);
    expect(c.fetchCount - count).toBeLessThanOrEqual(1);
    await c.close();
  });

  it('resets an out-of-range position as autoOffsetReset says, or fails with OFFSET_OUT_OF_RANGE', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    await fill(cluster, 't', 0, ['a', 'b', 'c']);
    const earliest = new Consumer(cluster, { maxWaitMs: 20, autoOffsetReset: 'earliest' }, clock);
    earliest.assign([tp(0)]);
    await earliest.seek(tp(0), 50);
    expect((await take(earliest, 1))[0]!.offset).toBe(0);
    const latest = new Consumer(cluster, { maxWaitMs: 20, autoOffsetReset: 'latest' }, clock);
    latest.assign([tp(0)]);
    await latest.seek(tp(0), 50);
    void sim.sleep(50).then(() => fill(cluster, 't', 0, ['d']));
    expect((await take(latest, 1))[0]).toMatchObject({ offset: 3 });
    const none = new Consumer(cluster, { maxWaitMs: 20, autoOffsetReset: 'none' }, clock);
    none.assign([tp(0)]);
    await none.seek(tp(0), 50);
    await expect(take(none, 1)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', topic: 't', partition: 0 });
    const unset = new Consumer(cluster, { maxWaitMs: 20, autoOffsetReset: 'none' }, clock);
    unset.assign([tp(0)]);
    await expect(take(unset, 1)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    const defaulted = new Consumer(cluster, { maxWaitMs: 20, autoOffsetReset: 'earliest' }, clock);
    defaulted.assign([tp(0)]);
    expect((await take(defaulted, 1))[0]!.offset).toBe(0);
    for (const c of [earliest, latest, none, unset, defaulted]) await c.close();
  });

  it('skips records before the position inside a batch, and control batches', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    cluster.append('t', 0, await encodeBatch(Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`v${i}`) }))));
    cluster.append('t', 0, encodeControlBatch({ type: 'COMMIT', coordinatorEpoch: 0 }, { producerId: 5, producerEpoch: 0 }));
    cluster.append('t', 0, await encodeBatch([{ value: Buffer.from('after') }]));
    const c = new Consumer(cluster, { maxWaitMs: 20 });
    c.assign([tp(0)]);
    await c.seek(tp(0), 7);
    expect((await take(c, 4)).map((r) => [r.offset, text(r.value)])).toEqual([[7, 'v7'], [8, 'v8'], [9, 'v9'], [11, 'after']]);
    expect(c.position(tp(0))).toBe(12);
    await c.close();
  });

  it('decodes every codec', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    for (const compression of compressionTypes) cluster.append('t', 0, await encodeBatch([{ key: Buffer.from(compression), value: Buffer.from(`${compression} `.repeat(20)) }], { compression }));
    const c = new Consumer(cluster, { maxWaitMs: 20 });
    c.assign([tp(0)]);
    await c.seek(tp(0), 'earliest');
    expect((await take(c, compressionTypes.length)).map((r) => text(r.key))).toEqual([...compressionTypes]);
    await c.close();
  });

  it('retries through NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH and network errors', async () => {
    const cluster = new FakeCluster({ nodes: [1, 2], topics: { t: 1 } });
    await fill(cluster, 't', 0, ['a', 'b']);
    cluster.inject({ api: 'Fetch', kind: 'error', code: 'NOT_LEADER_OR_FOLLOWER' });
    cluster.inject({ api: 'Fetch', kind: 'network-error' });
    cluster.inject({ api: 'Fetch', kind: 'error', code: 'FENCED_LEADER_EPOCH' });
    const c = new Consumer(cluster, { maxWaitMs: 20, retryBackoffMs: 1, retryBackoffMaxMs: 5 });
    c.assign([tp(0)]);
    await c.seek(tp(0), 'earliest');
    expect((await take(c, 2)).map((r) => text(r.value))).toEqual(['a', 'b']);
    expect(cluster.stats.requests.Fetch).toBeGreaterThanOrEqual(4);
    await c.close();
  });

  it('close ends the iteration cleanly and refuses further calls', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    const c = new Consumer(cluster, { maxWaitMs: 50 }, clock);
    c.assign([tp(0)]);
    await c.seek(tp(0), 'earliest');
    const loop = (async () => {
      let n = 0;
      for await (const _ of c) n++;
      return n;
    })();
    await sim.sleep(20);
    await c.close();
    expect(await loop).toBe(0);
    expect(() => c.assign([tp(0)])).toThrowError(expect.objectContaining({ code: 'CLIENT_CLOSED' }));
  });

  it('hands out a large fetch at most 500 records at a time, a batch split across chunks, fetching ahead from its end; a seek drops the rest', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    // Five batches of 300 records: one fetch holds them all.
    for (let b = 0; b < 5; b++) cluster.append('t', 0, await encodeBatch(Array.from({ length: 300 }, (_, i) => ({ value: Buffer.from(`v${b * 300 + i}`) }))));
    const c = new Consumer(cluster, { maxWaitMs: 20, maxPartitionBytes: 1 << 20 }, clock);
    c.assign([tp(0)]);
    await c.seek(tp(0), 'earliest');
    const it = c.batches();
    const first = (await it.next()).value!;
    // At most 500 records (Kafka's max.poll.records): the second batch is split.
    expect(first.records.map((r) => r.offset)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(c.position(tp(0))).toBe(500);
    // The next fetch went out when the data's first chunk was handed out, from its end.
    expect(c.fetchCount).toBe(2);
    const second = (await it.next()).value!;
    expect(second.records.map((r) => r.offset)).toEqual(Array.from({ length: 500 }, (_, i) => 500 + i));
    expect(c.position(tp(0))).toBe(1000);
    const third = (await it.next()).value!;
    expect(third.records.map((r) => text(r.value))).toEqual(Array.from({ length: 500 }, (_, i) => `v${1000 + i}`));
    expect(c.position(tp(0))).toBe(1500);
    expect(c.metrics().recordsConsumed).toBe(1500);

    // A seek in the middle of a fetch's data drops the rest of it.
    await c.seek(tp(0), 150);
    const again = (await it.next()).value!;
    expect(again.records.map((r) => r.offset)).toEqual(Array.from({ length: 500 }, (_, i) => 150 + i));
    expect(c.position(tp(0))).toBe(650);
    // A seek while a batch is open (the third, read up to 650) drops it too.
    await c.seek(tp(0), 1400);
    const last = (await it.next()).value!;
    expect(last.records.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => 1400 + i));
    await it.return(undefined);
    await c.close();
  });

  it('a fetch that ends in a partial batch (KIP-74, as a Kafka broker may answer): the whole batches are handed out once, and the next fetch starts after them', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    for (let b = 0; b < 6; b++) cluster.append('t', 0, await encodeBatch(Array.from({ length: 200 }, (_, i) => ({ value: Buffer.from(`v${b * 200 + i}`) }))));
    // Every answer gets 70 bytes of a batch after its whole batches: a header cut short.
    const truncating = new Proxy(cluster, {
      get(target, prop) {
        if (prop === 'send') {
          return async (node: number, request: Request) => {
            const response = (await target.send(node, request as never)) as unknown;
            if (request.apiKey !== ApiKey.Fetch) return response;
            const r = response as FetchResponse;
            return { ...r, responses: r.responses.map((t) => ({ ...t, partitions: t.partitions.map((p) => (p.records === null || p.records.length === 0 ? p : { ...p, records: Buffer.concat([p.records, p.records.subarray(0, 70)]) })) })) };
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as Transport;
    const c = new Consumer(truncating, { maxWaitMs: 20, maxPartitionBytes: 4_000 }, clock);
    c.assign([tp(0)]);
    await c.seek(tp(0), 'earliest');
    const offsets: number[] = [];
    for await (const b of c.batches()) {
      for (const r of b.records) offsets.push(r.offset);
      if (offsets.length >= 1200) break;
    }
    expect(offsets).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    await c.close();
  });

  it('a partition paused in the middle of its fetched data hands out nothing more until resumed', async () => {
    const cluster = new FakeCluster({ topics: { t: 2 }, clock });
    for (let b = 0; b < 4; b++) cluster.append('t', 0, await encodeBatch(Array.from({ length: 500 }, (_, i) => ({ value: Buffer.from(`a${b * 500 + i}`) }))));
    cluster.append('t', 1, await encodeBatch([{ value: Buffer.from("b0") }]));
    const c = new Consumer(cluster, { maxWaitMs: 20 }, clock);
    c.assign([tp(0), tp(1)]);
    await c.seek(tp(0), 'earliest');
    await c.seek(tp(1), 'earliest');
    const it = c.batches();
    const seen: string[] = [];
    for (;;) {
      const b = (await it.next()).value!;
      seen.push(`${b.partition}:${b.records[0]!.offset}`);
      if (b.partition === 0) {
        c.pause([tp(0)]);
        break;
      }
    }
    const other = (await it.next()).value!;
    expect(other.partition).toBe(1);
    expect(c.position(tp(0))).toBe(500);
    c.resume([tp(0)]);
    const next = (await it.next()).value!;
    expect(next.partition).toBe(0);
    expect(next.records[0]!.offset).toBe(500);
    await it.return(undefined);
    await c.close();
  });

  it('lets at most 4 partitions\' worth of fetched data wait over many partitions with a backlog, and reads every partition in turn', async () => {
    // 12 partitions of 600 KB, fetched 64 KiB at a time: unbounded, each partition had a
    // response waiting behind the other 11 partitions' data (1.5 MB in all).
    const cluster = new FakeCluster({ topics: { t: 12 } });
    const value = 'v'.repeat(1000);
    for (let p = 0; p < 12; p++) await fill(cluster, 't', p, Array.from({ length: 600 }, () => value));
    let delivered = 0;
    const counting = new Proxy(cluster, {
      get(target, prop) {
        if (prop === 'send') {
          return async (node: number, request: Request) => {
            const response = await target.send(node, request as never);
            if (request.apiKey === ApiKey.Fetch) for (const t of (response as FetchResponse).responses) for (const x of t.partitions) delivered += x.records?.length ?? 0;
            return response;
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as Transport;
    const partitionBytes = 64 * 1024;
    const c = new Consumer(counting, { maxWaitMs: 20, maxPartitionBytes: partitionBytes });
    c.assign(Array.from({ length: 12 }, (_, p) => tp(p)));
    for (let p = 0; p < 12; p++) await c.seek(tp(p), 'earliest');
    // Measured once every partition has handed out records: the first round (one response
    // a partition, backlogs not known yet) is not bounded.
    let waitingMax = 0;
    const read = new Array<number>(12).fill(0);
    let total = 0;
    for await (const b of c.batches()) {
      read[b.partition]! += b.records.length;
      if (read.every((n) => n > 0)) waitingMax = Math.max(waitingMax, delivered - c.metrics().bytesConsumed);
      if ((total += b.records.length) >= 12 * 600) break;
    }
    expect(read).toEqual(new Array<number>(12).fill(600));
    expect(waitingMax).toBeGreaterThan(0);
    // 4 partitions' worth, and one more of slack for the data of the first round still waiting.
    expect(waitingMax).toBeLessThanOrEqual(5 * partitionBytes);
    await c.close();
  }, 30_000);

  it('a paused partition\'s fetched data does not hold back the other partitions', async () => {
    // 4 partitions paused with their data fetched (more than the 4 partitions' worth the
    // consumer lets wait): the other 4 are still read to the end.
    const cluster = new FakeCluster({ topics: { t: 8 } });
    const value = 'v'.repeat(100);
    for (let p = 0; p < 8; p++) await fill(cluster, 't', p, Array.from({ length: 5_000 }, () => value));
    const c = new Consumer(cluster, { maxWaitMs: 20, maxPartitionBytes: 256 * 1024 });
    c.assign(Array.from({ length: 8 }, (_, p) => tp(p)));
    for (let p = 0; p < 8; p++) await c.seek(tp(p), 'earliest');
    const read = new Array<number>(8).fill(0);
    for await (const b of c.batches()) {
      read[b.partition]! += b.records.length;
      if (b.partition < 4) c.pause([tp(b.partition)]);
      if (read.slice(4).every((n) => n === 5_000)) break;
    }
    expect(read.slice(4)).toEqual([5_000, 5_000, 5_000, 5_000]);
    await c.close();
  }, 30_000);

  it('hands out whole fetched chunks with batches()', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    await fill(cluster, 't', 0, ['a', 'b', 'c']);
    const c = new Consumer(cluster, { maxWaitMs: 20, requestTimeoutMs: 100, retryBackoffMs: 5 });
    c.assign([tp(0)]);
    await c.seek(tp(0), 'earliest');
    for await (const batch of c.batches()) {
      expect(batch).toMatchObject({ topic: 't', partition: 0, highWatermark: 3 });
      expect(batch.records.map((r) => text(r.value))).toEqual(['a', 'b', 'c']);
      break;
    }
    expect(await c.partitionsFor('t')).toEqual([0]);
    await expect(c.partitionsFor('missing')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await c.close();
  });

  it('a seek issued before the next fetch is honoured at once: 12 partitions sought one after another are not auto-reset and long-polled first', async () => {
    // maxWaitMs is far beyond the test's timeout: a partition that waits for a long poll
    // at the wrong position (the auto-reset 'latest') never delivers within it.
    const cluster = new FakeCluster({ topics: { t: 12 } });
    for (let p = 0; p < 12; p++) await fill(cluster, 't', p, [`p${p}`]);
    for (const iterateFirst of [false, true]) {
      const c = new Consumer(cluster, { maxWaitMs: 120_000 });
      c.assign(Array.from({ length: 12 }, (_, p) => tp(p)));
      const got = iterateFirst ? take(c, 12) : undefined;
      for (let p = 0; p < 12; p++) await c.seek(tp(p), 'earliest');
      const records = await (got ?? take(c, 12));
      expect(records.map((r) => text(r.value)).sort()).toEqual(Array.from({ length: 12 }, (_, p) => `p${p}`).sort());
      await c.close();
    }
  }, 30_000);

  it('checks CRCs of bytes that came from another process, not of a cluster in this one unless asked (checkCrcs)', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    await fill(cluster, 't', 0, ['hello', 'world']);
    // A transport whose Fetch answers arrive with the last value byte flipped (damage on
    // the way); `clusterRunId` says whether it reaches a cluster in this process.
    const damaging = (clusterRunId: string | undefined): Transport => ({
      clusterRunId,
      bootstrapNodes: () => cluster.bootstrapNodes(),
      close: () => undefined,
      send: (async (node: number, request: Request) => {
        const response = await cluster.send(node, request);
        if (request.apiKey === ApiKey.Fetch) {
          for (const t of (response as FetchResponse).responses) {
            for (const p of t.partitions) {
              if (p.records === null || p.records.length === 0) continue;
              const copy = Buffer.from(p.records);
              copy[copy.length - 2]! ^= 0x20; // 'd' -> 'D'
              (p as { records: Uint8Array }).records = copy;
            }
          }
        }
        return response;
      }) as Transport['send'],
    });
    const read = async (transport: Transport, options: { checkCrcs?: boolean }): Promise<string[] | string> => {
      const c = new Consumer(transport, { maxWaitMs: 20, ...options });
      c.assign([tp(0)]);
      await c.seek(tp(0), 'earliest');
      try {
        return (await take(c, 2)).map((r) => text(r.value)!);
      } catch (err) {
        return (err as { code: string }).code;
      } finally {
        await c.close();
      }
    };
    // Over a transport to another process (no clusterRunId): checked by default.
    expect(await read(damaging(undefined), {})).toBe('CORRUPT_MESSAGE');
    expect(await read(damaging(undefined), { checkCrcs: false })).toEqual(['hello', 'worlD']);
    // To a cluster in this process: not checked again by default; checked when asked.
    expect(await read(damaging('this-run'), {})).toEqual(['hello', 'worlD']);
    expect(await read(damaging('this-run'), { checkCrcs: true })).toBe('CORRUPT_MESSAGE');
  });
});
