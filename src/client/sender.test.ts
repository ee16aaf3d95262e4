import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FakeCluster } from '../../test/helpers/fake-broker.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import type { Transport } from '../transport/transport.js';
import { SimulatedTimerClock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { Producer } from './producer.js';

const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString());
/** Lets the in-memory round trips that are due run: the fake broker answers in microtasks. */
const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * A network in front of a `FakeCluster` that loses chosen Produce requests (never
 * delivered) or their answers (delivered and handled, the answer gone), each failing with
 * NETWORK_EXCEPTION only when the test says (`release`): so the producer sends what it will
 * in the meantime, as over a real network where a broken connection is noticed late.
 * Requests are numbered from 1 in the order the producer sends them.
 */
class LossyNetwork implements Transport {
  produces = 0;
  private readonly held: (() => void)[] = [];
  constructor(
    private readonly cluster: FakeCluster,
    private readonly lose: ReadonlyMap<number, 'request' | 'answer'>,
  ) {}
  bootstrapNodes(): readonly number[] {
    return this.cluster.bootstrapNodes();
  }
  close(): void {}
  send<R extends Request>(nodeId: number, request: R): Promise<ResponseFor<R>> {
    if (request.apiKey !== ApiKey.Produce) return this.cluster.send(nodeId, request);
    const n = ++this.produces;
    const lost = this.lose.get(n);
    if (lost === undefined) return this.cluster.send(nodeId, request);
    const handled = lost === 'answer' ? this.cluster.send(nodeId, request) : Promise.resolve();
    return new Promise<ResponseFor<R>>((_, reject) => {
      this.held.push(() => void handled.finally(() => reject(new TributaryError('NETWORK_EXCEPTION', `produce request ${n}: the connection broke`))));
    });
  }
  /** Fails every lost request so far, as the connection breaking would. */
  release(): void {
    for (const fail of this.held.splice(0)) fail();
  }
}

describe('Sender (idempotent producer) under lost requests and answers', () => {
  it('sends a partition’s first batch alone, so a later batch cannot be written before a lost first one (no OUT_OF_ORDER_SEQUENCE_NUMBER)', async () => {
    // The first Produce (record a) is lost on the way. The leader does not know this
    // producer yet, and such a leader takes any sequence (Kafka's rule since KIP-360): had
    // b gone out meanwhile, it would be written first, and a's retry refused as out of order.
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const net = new LossyNetwork(cluster, new Map([[1, 'request']]));
    const producer = new Producer(net, { retryBackoffMs: 1, retryBackoffMaxMs: 1 });
    const a = producer.send('t', { value: 'a' });
    while (net.produces === 0) await turns(1);
    const b = producer.send('t', { value: 'b' });
    const c = producer.send('t', { value: 'c' });
    await turns();
    net.release();
    const sent = await Promise.all([a, b, c]);
    expect(sent.map((m) => m.offset)).toEqual([0, 1, 2]);
    expect((await cluster.records('t', 0)).map((r) => text(r.value))).toEqual(['a', 'b', 'c']);
    await producer.close();
  });

  it('writes once a batch whose answer was lost while later batches were answered: at most maxInFlight batches from the oldest unanswered', async () => {
    // After w, the answers to a and b are lost (both written) and noticed late, while c..h
    // are sent and answered. The broker remembers a producer's last 5 batches: had c..h all
    // gone out, a's retry would no longer be seen as a duplicate (refused as out of order),
    // and b, numbered again under a new epoch, would be written twice.
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const net = new LossyNetwork(
      cluster,
      new Map([
        [2, 'answer'],
        [3, 'answer'],
      ]),
    );
    const producer = new Producer(net, { retryBackoffMs: 1, retryBackoffMaxMs: 1 });
    await producer.send('t', { value: 'w' });
    const values = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const sends = [];
    for (const value of values) {
      sends.push(producer.send('t', { value }));
      await turns();
    }
    net.release();
    const sent = await Promise.all(sends);
    expect(sent.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await cluster.records('t', 0)).map((r) => text(r.value))).toEqual(['w', ...values]);
    await producer.close();
  });
});

describe('Sender on its clock', () => {
  it('lingers, backs off and times requests out in the time of the producer’s clock, with no real timer', async () => {
    // Linger a minute and back off a minute: on real timers this test would wait minutes.
    const clock = new SimulatedTimerClock(1_700_000_000_000);
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    const producer = new Producer(cluster, { lingerMs: 60_000, retryBackoffMs: 60_000, retryBackoffMaxMs: 60_000, requestTimeoutMs: 30_000, deliveryTimeoutMs: 600_000 }, clock);
    let written: number | undefined;
    void producer.send('t', { value: 'a' }).then((m) => (written = m.offset));
    await turns();
    clock.advance(59_999);
    await turns();
    expect(cluster.stats.requests.Produce).toBe(0);
    // The linger ends; the first attempt's answer is lost, so the batch waits its backoff.
    cluster.inject({ api: 'Produce', kind: 'network-error', after: true });
    clock.advance(1);
    await turns();
    expect(cluster.stats.requests.Produce).toBe(1);
    clock.advance(30_000);
    await turns();
    expect(cluster.stats.requests.Produce).toBe(1);
    expect(written).toBeUndefined();
    // In steps of a second with the answers let in between (one jump of a minute would also
    // fire the retry's 30 s request timeout before its answer's microtasks ran).
    for (let i = 0; i < 600 && written === undefined; i++) {
      clock.advance(1_000);
      await turns();
    }
    // The retry was a duplicate to the broker: the record is written once, at offset 0.
    expect(written).toBe(0);
    expect(cluster.stats.requests.Produce).toBe(2);
    expect((await cluster.records('t', 0)).map((r) => text(r.value))).toEqual(['a']);
    const closing = producer.close();
    await turns();
    await closing;
  });
});

describe('lingering batches parked until due', () => {
  it('a batch that fills goes at once while other partitions linger; the lingering ones go when their linger ends, or at a flush', async () => {
    const clock = new SimulatedTimerClock(1_700_000_000_000);
    const cluster = new FakeCluster({ topics: { t: 3 }, clock });
    const producer = new Producer(cluster, { lingerMs: 60_000, batchSize: 256, deliveryTimeoutMs: 600_000 }, clock);
    const offsets = new Map<string, number>();
    const send = (partition: number, value: string) => void producer.send('t', { partition, value }).then((m) => offsets.set(value, m.offset));
    // Partitions 1 and 0 each open a batch that lingers (their queues are parked by the drain).
    send(1, 'one-0');
    send(0, 'zero-0');
    await turns();
    clock.advance(10_000);
    await turns();
    expect(cluster.stats.requests.Produce).toBe(0);
    // Partition 0's batch fills (256 bytes hold a few 40-byte values): the full batches go
    // now, 50 s before the first one's linger ends, and the last one lingers.
    const values = Array.from({ length: 8 }, (_, i) => `zero-${i + 1}-${'x'.repeat(32)}`);
    for (const v of values) send(0, v);
    await turns();
    expect(cluster.stats.requests.Produce).toBeGreaterThan(0);
    expect(offsets.get('zero-0')).toBe(0);
    expect(offsets.has('one-0')).toBe(false);
    const firstBatch = offsets.size;
    expect(firstBatch).toBeGreaterThan(1);
    expect(firstBatch).toBeLessThan(1 + values.length);
    // Partition 1's linger ends (60 s after it opened): it goes, with partition 0's second batch still lingering.
    clock.advance(50_000);
    await turns();
    expect(offsets.get('one-0')).toBe(0);
    expect(offsets.size).toBe(firstBatch + 1);
    // A flush sends the parked rest at once.
    await producer.flush();
    expect(offsets.size).toBe(2 + values.length);
    expect((await cluster.records('t', 0)).map((r) => text(r.value))).toEqual(['zero-0', ...values]);
    expect((await cluster.records('t', 1)).map((r) => text(r.value))).toEqual(['one-0']);
    values.forEach((v, i) => expect(offsets.get(v)).toBe(i + 1));
    const closing = producer.close();
    await turns();
    await closing;
  });
});

describe('the sender shell does what the core decides, in the clock’s time', () => {
  it('retries InitProducerId after a broken connection only when its backoff has passed on the clock', async () => {
    const clock = new SimulatedTimerClock(1_700_000_000_000);
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    cluster.inject({ api: 'InitProducerId', kind: 'network-error', times: 2 });
    const producer = new Producer(cluster, { retryBackoffMs: 1000, retryBackoffMaxMs: 1000 }, clock);
    let written: number | undefined;
    void producer.send('t', { value: 'a' }).then((m) => (written = m.offset));
    await turns();
    expect(cluster.stats.requests.InitProducerId).toBe(1);
    // The backoff is 1,000 ms ±20%: nothing is asked again before 800 ms, however many turns pass.
    clock.advance(799);
    await turns(20);
    expect(cluster.stats.requests.InitProducerId).toBe(1);
    clock.advance(401);
    await turns();
    expect(cluster.stats.requests.InitProducerId).toBe(2);
    clock.advance(1200);
    await turns();
    expect(cluster.stats.requests.InitProducerId).toBe(3);
    expect(written).toBe(0);
    expect(cluster.stats.requests.Produce).toBe(1);
    const closing = producer.close();
    await turns();
    await closing;
  });

  it('asks for metadata once for many partitions whose leader moved, when their retries are due', async () => {
    const clock = new SimulatedTimerClock(1_700_000_000_000);
    const cluster = new FakeCluster({ nodes: [1, 2], topics: { t: 8 }, clock });
    const producer = new Producer(cluster, { retryBackoffMs: 500, retryBackoffMaxMs: 500 }, clock);
    const first = producer.send('t', Array.from({ length: 8 }, (_, partition) => ({ value: `a${partition}`, partition })));
    await turns();
    await first;
    for (let p = 0; p < 8; p++) cluster.moveLeader('t', p, cluster.leaderOf('t', p).leader === 1 ? 2 : 1);
    const before = cluster.stats.requests.Metadata;
    const second = producer.send('t', Array.from({ length: 8 }, (_, partition) => ({ value: `b${partition}`, partition })));
    await turns();
    // Every batch was refused with NOT_LEADER_OR_FOLLOWER and waits its backoff (500 ms ±20%).
    expect(cluster.stats.requests.Metadata - before).toBe(0);
    clock.advance(600);
    await turns();
    await second;
    expect(cluster.stats.requests.Metadata - before).toBe(1);
    for (let p = 0; p < 8; p++) expect((await cluster.records('t', p)).map((r) => text(r.value))).toEqual([`a${p}`, `b${p}`]);
    const closing = producer.close();
    await turns();
    await closing;
  });
});

describe('the sender core', () => {
  it('has no timers, no transport, no promises and reads no clock: time and answers come in, requests go out', () => {
    const banned = /\bsetTimeout\(|\bsetImmediate\(|\bqueueMicrotask\(|\bPromise\b|\basync\b|\bawait\b|\bDate\.now\(|\bperformance\.now\(|\.monotonic\(|\btransport\b|\bTransport\b/;
    const violations: string[] = [];
    for (const file of ['core/sender.ts', 'core/transaction-manager.ts', 'core/metadata.ts', 'core/backoff.ts', 'core/sender-batch.ts']) {
      readFileSync(new URL(`./${file}`, import.meta.url), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (!/^\s*(\*|\/\/|\/\*)/.test(line) && banned.test(line.replace(/\/\/.*$/, ''))) violations.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(violations).toEqual([]);
  });
});
