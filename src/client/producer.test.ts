import { describe, expect, it } from 'vitest';
import { FakeCluster } from '../../test/helpers/fake-broker.js';
import { checkBatch, compressionTypes, readBatchHeader, iterateBatches } from '../record/batch.js';
import { Rng } from '../util/rng.js';
import { Producer } from './producer.js';
import type { RecordMetadata } from './accumulator.js';
import { useSimulatedClock } from '../../test/helpers/sim-clock.js';

// The tests that wait run on simulated time: linger, backoffs, delivery timeouts, maxBlockMs
// and the fake broker's delayed answers all in the clock's time, so a loaded machine cannot
// stretch a wait past a timeout.
const sim = useSimulatedClock();
const { clock } = sim;

const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString());

describe('Producer', () => {
  it('sends one record or an array and says where each went', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const producer = new Producer(cluster, { randomSeed: 1 });
    const one = await producer.send('t', { key: 'k', value: 'v0', headers: { h: 'x' } });
    expect(one).toMatchObject({ topic: 't', partition: 0, offset: 0 });
    const many = await producer.send('t', [{ value: 'v1' }, { value: Buffer.from('v2'), timestamp: 1234 }, { value: null }]);
    expect(many.map((m) => m.offset)).toEqual([1, 2, 3]);
    expect(many[1]!.timestamp).toBe(1234);
    const records = await cluster.records('t', 0);
    expect(records.map((r) => text(r.value))).toEqual(['v0', 'v1', 'v2', null]);
    expect(text(records[0]!.key)).toBe('k');
    expect(records[0]!.headers.map((h) => [h.key, text(h.value)])).toEqual([['h', 'x']]);
    expect(records[2]!.timestamp).toBe(1234);
    expect(await producer.send('t', [])).toEqual([]);
    await producer.close();
  });

  it('is idempotent by default: batches carry a producer id, epoch and consecutive sequences', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const producer = new Producer(cluster, { batchSize: 200 });
    await producer.send('t', Array.from({ length: 20 }, (_, i) => ({ value: `value-${i}` })));
    const { records } = cluster.log('t', 0).read(0, { maxBytes: 1 << 20 });
    const headers = [...iterateBatches(records)].map((b) => b.header);
    expect(headers.length).toBeGreaterThan(1);
    let expected = 0;
    for (const h of headers) {
      expect(h.producerId).toBeGreaterThanOrEqual(1000);
      expect(h.producerEpoch).toBe(0);
      expect(h.baseSequence).toBe(expected);
      expected += h.recordCount;
    }
    expect(cluster.stats.requests.InitProducerId).toBe(1);
  });

  it('puts keyed records where the Java client does (murmur2) and honours explicit partitions and custom partitioners', async () => {
    const cluster = new FakeCluster({ topics: { t: 100, u: 3 } });
    const producer = new Producer(cluster);
    // toPositive(murmur2(utf8(key))) % 100, from the Java client's murmur2 of these keys.
    const sent = await producer.send('t', [{ key: '1', value: 'a' }, { key: '12', value: 'b' }, { key: Buffer.from('0'), value: 'c' }]);
    expect(sent.map((s) => s.partition)).toEqual([(-1993445489 & 0x7fffffff) % 100, 126087238 % 100, 971027396 % 100]);
    expect((await producer.send('t', { key: '1', value: 'x', partition: 7 })).partition).toBe(7);
    const custom = new Producer(cluster, { partitioner: ({ partitionCount }) => partitionCount - 1 });
    expect((await custom.send('u', { key: 'any', value: 'x' })).partition).toBe(2);
    const broken = new Producer(cluster, { partitioner: () => 9 });
    await expect(broken.send('u', { value: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', option: 'partitioner' });
    await expect(producer.send('u', { value: 'x', partition: 3 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('sticks records without a key to one partition until its batch fills (KIP-480)', async () => {
    const cluster = new FakeCluster({ topics: { t: 4 } });
    const producer = new Producer(cluster, { batchSize: 1024, lingerMs: 1000, randomSeed: 7 });
    const value = Buffer.alloc(100, 1);
    const sent = await Promise.all([producer.send('t', Array.from({ length: 60 }, () => ({ value }))), producer.flush()]).then(([s]) => s);
    const partitions = sent.map((s) => s.partition);
    // Runs of one partition, each a full batch (8 records of 108 bytes after the 61-byte
    // header in 1 KiB), then a different partition.
    let runs = 1;
    for (let i = 1; i < partitions.length; i++) if (partitions[i] !== partitions[i - 1]) runs++;
    expect(runs).toBe(Math.ceil(60 / 8));
    expect(new Set(partitions).size).toBeGreaterThan(1);
    for (let i = 1; i < partitions.length; i++) if (i % 8 !== 0) expect(partitions[i]).toBe(partitions[i - 1]);
  });

  it('batches what accumulates while requests are in flight (lingerMs 0)', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    cluster.inject({ api: 'Produce', kind: 'delay', ms: 30, times: 100 });
    const producer = new Producer(cluster, { acks: 1, maxInFlight: 1 }, clock);
    const sends: Promise<RecordMetadata>[] = [];
    for (let i = 0; i < 50; i++) {
      sends.push(producer.send('t', { value: `v${i}` }));
      await sim.sleep(1);
    }
    await Promise.all(sends);
    // One request in flight at a time: the records sent meanwhile went together.
    expect(cluster.stats.requests.Produce).toBeLessThan(20);
    expect((await cluster.records('t', 0)).map((r) => text(r.value))).toEqual(sends.map((_, i) => `v${i}`));
  });

  it('keeps each partition in send order and writes every record once through leader moves, lost answers, duplicates and errors', async () => {
    for (const seed of [1, 2, 3]) {
      const rng = new Rng(seed);
      const cluster = new FakeCluster({ nodes: [1, 2], topics: { t: 3 }, clock });
      const producer = new Producer(cluster, { batchSize: 512, retryBackoffMs: 1, retryBackoffMaxMs: 5, randomSeed: seed, requestTimeoutMs: 1000 }, clock);
      const resolved: RecordMetadata[] = [];
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 300; i++) {
        if (rng.chance(0.05)) cluster.moveLeader('t', rng.int(3), 1 + rng.int(2));
        if (rng.chance(0.05)) cluster.inject({ api: 'Produce', kind: 'network-error', after: rng.chance(0.5) });
        if (rng.chance(0.05)) cluster.inject({ api: 'Produce', kind: 'duplicate' });
        if (rng.chance(0.05)) cluster.inject({ api: 'Produce', kind: 'error', code: 'NOT_LEADER_OR_FOLLOWER' });
        if (rng.chance(0.03)) cluster.inject({ api: 'Produce', kind: 'delay', ms: 5 });
        const value = `r${i}`;
        sends.push(producer.send('t', { key: `k${i % 7}`, value }).then((m) => void resolved.push(m)));
        if (rng.chance(0.2)) await sim.sleep(rng.int(3));
      }
      await Promise.all(sends);
      for (let p = 0; p < 3; p++) {
        const log = await cluster.records('t', p);
        const inResolveOrder = resolved.filter((m) => m.partition === p);
        // Nothing twice, nothing lost, and offsets in the order the promises resolved.
        expect(log.length, `seed ${seed}: replay with seed ${seed}`).toBe(inResolveOrder.length);
        expect(inResolveOrder.map((m) => m.offset)).toEqual(log.map((r) => r.offset));
        const values = log.map((r) => Number(text(r.value)!.slice(1)));
        // Within a key (one partition), the order of sending.
        for (let k = 0; k < 7; k++) {
          const ofKey = values.filter((v) => v % 7 === k);
          expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
        }
      }
      expect(resolved.length).toBe(300);
    }
  });

  it('makes a batch whose answer was lost land once (idempotence)', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const producer = new Producer(cluster, { retryBackoffMs: 1 });
    await producer.send('t', { value: 'warm' });
    cluster.inject({ api: 'Produce', kind: 'network-error', after: true, times: 3 });
    const m = await producer.send('t', [{ value: 'a' }, { value: 'b' }]);
    expect(m.map((x) => x.offset)).toEqual([1, 2]);
    expect((await cluster.records('t', 0)).map((r) => text(r.value))).toEqual(['warm', 'a', 'b']);
    expect(cluster.stats.requests.Produce).toBe(5);
  });

  it('without idempotence (acks 1) resolves; with acks 0 resolves without offsets', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const p0 = new Producer(cluster, { acks: 0 });
    const r = await p0.send('t', [{ value: 'a' }, { value: 'b' }]);
    expect(r.map((x) => x.offset)).toEqual([-1, -1]);
    expect(cluster.stats.requests.InitProducerId).toBe(0);
    const p1 = new Producer(cluster, { acks: 1 });
    expect((await p1.send('t', { value: 'c' })).offset).toBe(2);
  });

  it('refuses an oversized record with MESSAGE_TOO_LARGE before sending anything', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const producer = new Producer(cluster, { maxRequestSize: 2048, batchSize: 1024 });
    await expect(producer.send('t', { value: Buffer.alloc(4000) })).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE', topic: 't' });
    await expect(producer.send('t', [{ value: 'ok' }, { value: 'x'.repeat(3000) }])).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    await producer.flush();
    expect(cluster.stats.requests.Produce).toBe(0);
    // A record larger than batchSize but within maxRequestSize gets a batch of its own.
    expect((await producer.send('t', { value: Buffer.alloc(1500) })).offset).toBe(0);
  });

  it('rejects bad records with INVALID_RECORD', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const producer = new Producer(cluster);
    await expect(producer.send('t', { value: 42 as unknown as string })).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    await expect(producer.send('t', [{ value: 'a' }, { key: {} as unknown as string, value: 'b' }])).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    await expect(producer.send('t', { value: 'a', timestamp: -5 })).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    await expect(producer.send('bad/topic', { value: 'a' })).rejects.toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' });
  });

  it('round-trips every compression codec', async () => {
    for (const compression of compressionTypes) {
      const cluster = new FakeCluster({ topics: { t: 1 } });
      const producer = new Producer(cluster, { compression });
      const values = Array.from({ length: 50 }, (_, i) => `${compression} record ${i} `.repeat(5));
      await producer.send('t', values.map((value, i) => ({ key: `k${i}`, value })));
      const { records } = cluster.log('t', 0).read(0);
      expect(iterateBatches(records).next().value!.header.attributes & 7).toBe(compressionTypes.indexOf(compression));
      expect((await cluster.records('t', 0)).map((r) => text(r.value))).toEqual(values);
    }
  });

  it('waits (backpressure) when bufferMemory is full, and resumes as answers free it', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    cluster.inject({ api: 'Produce', kind: 'delay', ms: 40, times: 1000 });
    const producer = new Producer(cluster, { acks: 1, bufferMemory: 4096, batchSize: 1024, maxRequestSize: 2048, maxInFlight: 1 }, clock);
    const value = Buffer.alloc(300, 2);
    const first = producer.send('t', Array.from({ length: 12 }, () => ({ value }))); // 4 batches: all of the memory
    await sim.sleep(5);
    expect(producer.bufferedBytes).toBe(4096);
    let second = false;
    const next = producer.send('t', { value }).then((m) => {
      second = true;
      return m;
    });
    await sim.sleep(20);
    expect(second).toBe(false);
    expect(producer.bufferedBytes).toBeLessThanOrEqual(4096);
    const [a, b] = await Promise.all([first, next]);
    expect(b.offset).toBe(a.length);
    expect(producer.bufferedBytes).toBe(0);
  });

  it('rejects a send that waited maxBlockMs for memory with REQUEST_TIMED_OUT naming bufferMemory', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    cluster.inject({ api: 'Produce', kind: 'delay', ms: 300 });
    const producer = new Producer(cluster, { acks: 1, bufferMemory: 2048, batchSize: 1024, maxRequestSize: 1024, maxBlockMs: 30 }, clock);
    const first = producer.send('t', Array.from({ length: 6 }, () => ({ value: Buffer.alloc(300) })));
    await expect(producer.send('t', { value: Buffer.alloc(300) })).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', option: 'bufferMemory' });
    expect((await first).map((m) => m.offset)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reuses finished batch buffers without disturbing what was written', async () => {
    const cluster = new FakeCluster({ topics: { t: 2 } });
    const producer = new Producer(cluster, { acks: 1, bufferMemory: 4096, batchSize: 1024, maxRequestSize: 1024 });
    const expected: string[][] = [[], []];
    for (let round = 0; round < 20; round++) {
      const records = Array.from({ length: 30 }, (_, i) => ({ value: `round ${round} record ${i} `.repeat(3), partition: i % 2 }));
      for (const r of records) expected[r.partition]!.push(r.value);
      await producer.send('t', records);
    }
    for (let p = 0; p < 2; p++) expect((await cluster.records('t', p)).map((r) => text(r.value))).toEqual(expected[p]);
  });

  it('flush sends lingering batches at once; close flushes, then refuses sends', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    const producer = new Producer(cluster, { lingerMs: 60_000 }, clock);
    let done = false;
    const sent = producer.send('t', { value: 'a' }).then(() => (done = true));
    await sim.sleep(10);
    expect(done).toBe(false);
    await producer.flush();
    expect(done).toBe(true);
    void producer.send('t', { value: 'b' });
    await producer.close();
    expect((await cluster.records('t', 0)).length).toBe(2);
    await expect(producer.send('t', { value: 'c' })).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await sent;
  });

  it('gives up after deliveryTimeoutMs with REQUEST_TIMED_OUT while a partition has no leader', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    const producer = new Producer(cluster, { deliveryTimeoutMs: 150, requestTimeoutMs: 100, retryBackoffMs: 5 }, clock);
    await producer.send('t', { value: 'a' });
    cluster.moveLeader('t', 0, -1);
    await expect(producer.send('t', { value: 'b' })).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', topic: 't', partition: 0 });
  });

  it('waits for a topic that does not exist yet, up to maxBlockMs', async () => {
    const cluster = new FakeCluster({ topics: {}, clock });
    const producer = new Producer(cluster, { maxBlockMs: 60, retryBackoffMs: 5 }, clock);
    await expect(producer.send('nope', { value: 'a' })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', topic: 'nope' });
    void sim.sleep(20).then(() => cluster.createTopic('late', 1));
    const p2 = new Producer(cluster, { maxBlockMs: 2000, retryBackoffMs: 5 }, clock);
    expect((await p2.send('late', { value: 'b' })).offset).toBe(0);
  });

  it('follows a leader that moved, refreshing metadata a bounded number of times', async () => {
    const cluster = new FakeCluster({ nodes: [1, 2], topics: { t: 1 } });
    const producer = new Producer(cluster, { retryBackoffMs: 2 });
    await producer.send('t', { value: 'a' });
    cluster.moveLeader('t', 0, 2);
    const before = cluster.stats.requests.Metadata;
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => producer.send('t', { value: `b${i}` })));
    expect(sent.map((s) => s.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(cluster.stats.requests.Metadata - before).toBeLessThanOrEqual(3);
  });

  it('after a sequence the broker will never see (a batch that failed), continues under a new epoch', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const producer = new Producer(cluster, { retryBackoffMs: 1 });
    await producer.send('t', { value: 'a' });
    cluster.inject({ api: 'Produce', kind: 'error', code: 'INVALID_RECORD' });
    await expect(producer.send('t', { value: 'b' })).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    expect((await producer.send('t', { value: 'c' })).offset).toBe(1);
    const { records } = cluster.log('t', 0).read(0);
    const last = [...iterateBatches(records)].pop()!;
    expect(readBatchHeader(records, last.position)).toMatchObject({ producerEpoch: 1, baseSequence: 0 });
  });

  it('does not number a batch that may have been written again under a new epoch: it retries it as it was first', async () => {
    // t-0 on node 1, t-1 on node 2. The batch to t-0 is written but its answer is lost;
    // the batch to t-1 fails for good, so the producer must bump its epoch. Numbered again
    // under the new epoch, the first would be written twice (the broker cannot tell).
    const cluster = new FakeCluster({ nodes: [1, 2], topics: { t: 2 } });
    const producer = new Producer(cluster, { retryBackoffMs: 20, retryBackoffMaxMs: 20 });
    await producer.send('t', [{ value: 'w0', partition: 0 }, { value: 'w1', partition: 1 }]);
    cluster.inject({ api: 'Produce', node: 1, kind: 'network-error', after: true });
    cluster.inject({ api: 'Produce', node: 2, kind: 'error', code: 'INVALID_RECORD' });
    const lost = producer.send('t', { value: 'a', partition: 0 });
    const refused = producer.send('t', { value: 'b', partition: 1 });
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    expect(await lost).toMatchObject({ partition: 0, offset: 1 });
    expect((await producer.send('t', { value: 'c', partition: 0 })).offset).toBe(2);
    expect((await cluster.records('t', 0)).map((r) => text(r.value))).toEqual(['w0', 'a', 'c']);
    const { records } = cluster.log('t', 0).read(0);
    const headers = [...iterateBatches(records)].map((b) => readBatchHeader(records, b.position));
    expect(headers.map((h) => [h.producerEpoch, h.baseSequence])).toEqual([[0, 0], [0, 1], [1, 0]]);
    expect(cluster.stats.requests.InitProducerId).toBe(2);
    await producer.close();
  });

  it('fails a batch whose outcome stays unknown past its delivery timeout with REQUEST_TIMED_OUT, and writes it at most once', async () => {
    const cluster = new FakeCluster({ nodes: [1, 2], topics: { t: 2 }, clock });
    const producer = new Producer(cluster, { retryBackoffMs: 10, retryBackoffMaxMs: 20, requestTimeoutMs: 200, deliveryTimeoutMs: 400 }, clock);
    await producer.send('t', [{ value: 'w0', partition: 0 }, { value: 'w1', partition: 1 }]);
    // Written, and every answer from node 1 lost until the batch expires: its outcome stays
    // unknown, so it must not be numbered again (that attempt would be written).
    cluster.inject({ api: 'Produce', node: 1, kind: 'network-error', after: true, times: 1_000_000 });
    cluster.inject({ api: 'Produce', node: 2, kind: 'error', code: 'INVALID_RECORD' });
    const lost = producer.send('t', { value: 'a', partition: 0 });
    await expect(producer.send('t', { value: 'b', partition: 1 })).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    await expect(lost).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', topic: 't', partition: 0 });
    cluster.clearFaults();
    expect((await producer.send('t', { value: 'c', partition: 0 })).offset).toBe(2);
    expect((await producer.send('t', { value: 'd', partition: 1 })).offset).toBe(1);
    expect((await cluster.records('t', 0)).map((r) => text(r.value))).toEqual(['w0', 'a', 'c']);
    await producer.close();
  });

  it('lets the epoch bump go on once an unresolved batch expires while it waits for its retry', async () => {
    // The batch to t-0 is written and its answer lost; its retry is due long after its
    // delivery timeout. The batch to t-1 fails for good, so a bump is due, held by the first
    // (unresolved). A send to t-1 after the first's delivery timeout must expire the first
    // and let the bump go on, not wait behind it.
    const cluster = new FakeCluster({ nodes: [1, 2], topics: { t: 2 }, clock });
    const producer = new Producer(cluster, { retryBackoffMs: 30_000, retryBackoffMaxMs: 30_000, requestTimeoutMs: 500, deliveryTimeoutMs: 1000 }, clock);
    await producer.send('t', [{ value: 'w0', partition: 0 }, { value: 'w1', partition: 1 }]);
    cluster.inject({ api: 'Produce', node: 1, kind: 'network-error', after: true });
    cluster.inject({ api: 'Produce', node: 2, kind: 'error', code: 'INVALID_RECORD' });
    const lost = producer.send('t', { value: 'a', partition: 0 });
    lost.catch(() => {});
    await expect(producer.send('t', { value: 'b', partition: 1 })).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    await sim.sleep(1200);
    expect(await producer.send('t', { value: 'c', partition: 1 })).toMatchObject({ partition: 1, offset: 1 });
    await expect(lost).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT' });
    expect((await cluster.records('t', 0)).map((r) => text(r.value))).toEqual(['w0', 'a']);
    await producer.close();
  });

  it('writes an array call to one partition in one pass with the same bytes, growing small batches, with a correct CRC', async () => {
    // The same records as one array call (the one-pass run) and as single sends in one
    // turn (the general path, one record at a time): byte for byte the same records section.
    const ts = 1_700_000_000_000;
    const records = Array.from({ length: 700 }, (_, i) => ({
      key: i % 3 === 0 ? null : i % 3 === 1 ? `key-${i}` : Buffer.from(`k${i}`),
      value: i % 5 === 0 ? null : i % 5 === 1 ? 'é'.repeat(i % 40) : Buffer.alloc(i % 200, i),
      timestamp: ts + (i % 7) * 1000 - 3000,
      partition: 1,
    }));
    const bodies: Buffer[] = [];
    for (const mode of ['array', 'singles'] as const) {
      const cluster = new FakeCluster({ topics: { t: 2 } });
      const producer = new Producer(cluster, { acks: 1, batchSize: 256 * 1024, lingerMs: 5 });
      const sent = mode === 'array' ? await producer.send('t', records) : await Promise.all(records.map((r) => producer.send('t', r)));
      expect(sent.map((m) => [m.partition, m.offset, m.timestamp])).toEqual(records.map((r, i) => [1, i, r.timestamp]));
      const { records: bytes } = cluster.log('t', 1).read(0, { maxBytes: 1 << 22 });
      const batches = [...iterateBatches(bytes)];
      expect(batches.length).toBe(1);
      // The CRC the broker checked is the one on the wire: checkBatch recomputes it.
      expect(checkBatch(bytes, 0, bytes.length)).toMatchObject({ ok: true });
      bodies.push(Buffer.from(bytes.subarray(61)));
      const back = await cluster.records('t', 1);
      expect(back.map((r) => r.key === null ? null : text(r.key))).toEqual(records.map((r) => (r.key === null ? null : typeof r.key === 'string' ? r.key : r.key.toString())));
      expect(back.map((r) => r.value === null ? null : Buffer.from(r.value).toString('hex'))).toEqual(records.map((r) => (r.value === null ? null : Buffer.from(r.value).toString('hex'))));
    }
    expect(bodies[0]!.equals(bodies[1]!)).toBe(true);
  });

  it('does not reserve a whole batchSize for a batch of one record', async () => {
    const cluster = new FakeCluster({ topics: { t: 200 }, clock });
    // 200 partitions × a 16 KiB batch each would be 3.2 MB, over bufferMemory.
    const producer = new Producer(cluster, { acks: 1, batchSize: 16384, bufferMemory: 1 << 20, lingerMs: 60_000, maxBlockMs: 100 }, clock);
    const sends = Array.from({ length: 200 }, (_, p) => producer.send('t', { value: `one record for ${p}`, partition: p }));
    await sim.sleep(5);
    expect(producer.bufferedBytes).toBeLessThanOrEqual(200 * 1024);
    expect(producer.bufferedBytes).toBeGreaterThan(0);
    await producer.flush();
    expect((await Promise.all(sends)).map((m) => m.offset)).toEqual(Array.from({ length: 200 }, () => 0));
    expect(producer.bufferedBytes).toBe(0);
    // The same as one array call whose records go to 200 partitions, keyed or explicit.
    for (const records of [
      Array.from({ length: 200 }, (_, p) => ({ value: `again for ${p}`, partition: p })),
      Array.from({ length: 400 }, (_, i) => ({ key: `key-${i}`, value: `keyed ${i}` })),
    ]) {
      const call = producer.send('t', records);
      await sim.sleep(5);
      expect(producer.bufferedBytes).toBeLessThanOrEqual(200 * 1024);
      await producer.flush();
      expect((await call).length).toBe(records.length);
    }
    expect(producer.bufferedBytes).toBe(0);
  });
});
