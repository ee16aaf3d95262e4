/**
 * The latency path across handles: a consumer's Fetch waiting in the broker is answered
 * as soon as an append wakes it, and its answer leaves the cluster's thread before the
 * Produce answer of the same append (so the consumer's thread is woken first). Order of
 * the posts is counted, never timed. And the consumer's next Fetch leaves its thread
 * before the application gets the records of the last answer, so it is parked at the
 * broker while the application works on them.
 */
import { MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../cluster.js';
import { connectHandle, type ConnectedCluster } from '../../connect-handle.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { ANSWERS_MAGIC } from './produce-layout.js';

type Posted = { t?: string; id?: number; req?: { apiKey?: number }; res?: { apiKey?: number }; list?: Posted[]; buffers?: ArrayBuffer[] };

/** The API of every answer posted on any port while on (an `answers` message gives one entry per answer), in posting order. */
function spyAnswers(): { answers: number[]; fetchRequests: () => number; restore(): void } {
  const proto = MessagePort.prototype as unknown as { postMessage(m: unknown, transfer?: readonly ArrayBuffer[]): void };
  const original = proto.postMessage;
  const answers: number[] = [];
  let fetches = 0;
  proto.postMessage = function (this: MessagePort, m: unknown, transfer?: readonly ArrayBuffer[]) {
    // Laid Produce answers posted alone cross bare: the answer buffer, or an array of buffers (answers told by their magic).
    const bare = m instanceof ArrayBuffer ? [m] : Array.isArray(m) ? (m as ArrayBuffer[]) : [];
    for (const b of bare) if (b.byteLength >= 8 && new DataView(b).getInt32(0) === ANSWERS_MAGIC) for (let i = new DataView(b).getInt32(4); i > 0; i--) answers.push(ApiKey.Produce);
    const p = (bare.length > 0 || m instanceof ArrayBuffer ? null : m) as Posted | null;
    for (const a of p?.t === 'answers' || p?.t === 'reqs' ? (p.list ?? []) : p !== null ? [p] : []) {
      if (a.res?.apiKey !== undefined) answers.push(a.res.apiKey);
      // Produce answers in the port transport's fixed layout (produce-layout.ts): one entry for each answer a buffer holds.
      if (a.t === 'laid' && Array.isArray(a.buffers)) for (const buffer of a.buffers) for (let i = new DataView(buffer).getInt32(4); i > 0; i--) answers.push(ApiKey.Produce);
      if (a.req?.apiKey === ApiKey.Fetch) fetches++;
    }
    original.call(this, m, transfer as ArrayBuffer[]);
  };
  return { answers, fetchRequests: () => fetches, restore: () => (proto.postMessage = original) };
}

/**
 * A few turns of this thread's event loop: a message posted between two ports of this
 * thread arrives on the next turn's poll phase (the port's async handle is signalled at
 * the post), and the broker parks a Fetch that finds nothing within that turn.
 */
async function turns(): Promise<void> {
  for (let i = 0; i < 8; i++) await new Promise((r) => setImmediate(r));
}

/**
 * A consumer of partition 0 of 't' at the log's end, waiting up to 60 s (only an append
 * can answer its parked Fetch within a test), and the spy counting from its seek (a seek
 * asks for data at once: its Fetch leaves in this turn).
 */
async function consumeFromEnd(side: ConnectedCluster) {
  const consumer = side.consumer({ maxWaitMs: 60_000 });
  consumer.assign([{ topic: 't', partition: 0 }]);
  const spy = spyAnswers();
  await consumer.seek({ topic: 't', partition: 0 }, 'latest');
  return { consumer, spy, records: consumer[Symbol.asyncIterator]() };
}

describe('a consumer waiting over a handle', () => {
  it('gets the records an append wakes it for before the producer gets its acknowledgement, every time', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 't', partitions: 1 }]);
    await using producerSide = await connectHandle(cluster.createHandle());
    await using consumerSide = await connectHandle(cluster.createHandle());
    const producer = producerSide.producer({ lingerMs: 0, acks: 1 });
    await producer.send('t', [{ value: 'warm-up' }]);
    const { consumer, spy, records } = await consumeFromEnd(consumerSide);
    try {
      for (let round = 0; round < 5; round++) {
        // The consumer's Fetch is on its way (and parked once it arrives): then the append.
        // Round r waits on the consumer's (r + 1)th Fetch (each answer's next is sent as its records are taken).
        const next = records.next();
        while (spy.fetchRequests() < round + 1) await new Promise((r) => setImmediate(r));
        await turns();
        const before = spy.answers.length;
        const [meta] = await producer.send('t', [{ value: `r${round}` }]);
        const got = await next;
        expect(got.done).toBe(false);
        expect(got.value!.offset).toBe(meta!.offset);
        expect(Buffer.from(got.value!.value as Uint8Array).toString()).toBe(`r${round}`);
        // The answers posted since the append began: the Fetch's, then the Produce's.
        const since = spy.answers.slice(before);
        expect(since.filter((api) => api === ApiKey.Fetch || api === ApiKey.Produce).slice(0, 2)).toEqual([ApiKey.Fetch, ApiKey.Produce]);
      }
    } finally {
      spy.restore();
    }
    await consumer.close();
  });

  it('has its next Fetch posted before the application gets the records of the last answer, every time', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 't', partitions: 1 }]);
    await using producerSide = await connectHandle(cluster.createHandle());
    await using consumerSide = await connectHandle(cluster.createHandle());
    const producer = producerSide.producer({ lingerMs: 0, acks: 1 });
    const { consumer, spy, records } = await consumeFromEnd(consumerSide);
    try {
      for (let round = 0; round < 5; round++) {
        const next = records.next();
        // Round r: the consumer's (r + 1)th Fetch is parked; the append answers it.
        while (spy.fetchRequests() < round + 1) await new Promise((r) => setImmediate(r));
        await turns();
        expect(spy.fetchRequests()).toBe(round + 1);
        await producer.send('t', [{ value: `r${round}` }]);
        const got = await next;
        // Counted in the turn the record reaches the application: the next Fetch has left already
        // (through the outbox it left at the end of that turn, after the application's handling).
        const postedBeforeHandling = spy.fetchRequests() - (round + 1);
        expect(got.done).toBe(false);
        expect(Buffer.from(got.value!.value as Uint8Array).toString()).toBe(`r${round}`);
        expect(postedBeforeHandling).toBe(1);
      }
    } finally {
      spy.restore();
    }
    await consumer.close();
  });
});
