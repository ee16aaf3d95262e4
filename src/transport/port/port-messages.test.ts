/**
 * What a producer in another thread costs in messages: the messages posted on the port are
 * counted (a spy on `MessagePort.prototype.postMessage`), never timed. Each post is a
 * structured clone and a wake-up of the other thread, and each transferred buffer an
 * allocation and a detach at both ends: these tests fail if a request's batches cross in a
 * buffer each, or if requests made in one turn of the event loop cross in several messages.
 */
import { MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { useHandleCluster } from '../../../test/helpers/handle-cluster.js';
import { errorFields, forTransfer, PACK_BYTES_MAX, rebuildError } from './messages.js';
import { readRequests, REQUESTS_MAGIC } from './produce-layout.js';
import { TributaryError } from '../../util/errors.js';

interface Posted {
  /** The Produce requests in the message: laid out (`produce-layout.ts`) or typed. */
  readonly laid: number;
  readonly typed: number;
  /** The buffers of laid Produce requests, and for each the buffer under each of its batches (read before the post detached them). */
  readonly laidBuffers: ArrayBuffer[];
  readonly batchBuffers: ArrayBufferLike[][];
  readonly transfer: readonly ArrayBuffer[];
}

/** Records every request message posted on any port while `on`. */
function spyRequests(): { posted: Posted[]; restore(): void } {
  const proto = MessagePort.prototype as unknown as { postMessage(m: unknown, transfer?: readonly ArrayBuffer[]): void };
  const original = proto.postMessage;
  const posted: Posted[] = [];
  proto.postMessage = function (this: MessagePort, m: unknown, transfer?: readonly ArrayBuffer[]) {
    // A laid run posted alone crosses bare, as its buffer.
    const bare = m instanceof ArrayBuffer && m.byteLength >= 4 && new DataView(m).getInt32(0) === REQUESTS_MAGIC;
    const message = (bare ? { t: 'laid', buffer: m } : m) as { t?: string; req?: { apiKey?: number }; list?: { t?: string; req?: { apiKey?: number }; buffer?: ArrayBuffer }[]; buffer?: ArrayBuffer };
    if (message !== null && typeof message === 'object' && (message.t === 'req' || message.t === 'reqs' || (message.t === 'laid' && message.buffer !== undefined))) {
      const entries = message.t === 'reqs' ? (message.list ?? []) : [message];
      const out: Posted = { laid: 0, typed: 0, laidBuffers: [], batchBuffers: [], transfer: [...(transfer ?? [])] };
      for (const e of entries) {
        if (e.t === 'laid' && e.buffer !== undefined) {
          const requests = readRequests(e.buffer);
          (out as { laid: number }).laid += requests.length;
          out.laidBuffers.push(e.buffer);
          for (const r of requests) if (!('error' in r)) out.batchBuffers.push(r.request.topicData.flatMap((t) => t.partitionData.map((p) => p.records!.buffer)));
        } else if (e.req?.apiKey === 0) (out as { typed: number }).typed++;
      }
      posted.push(out);
    }
    original.call(this, m, transfer as ArrayBuffer[]);
  };
  return { posted, restore: () => (proto.postMessage = original) };
}

describe('a producer over a handle', () => {
  const fixture = useHandleCluster();

  it("sends a Produce request's batches in the one transferred buffer of its layout, and every record arrives", async () => {
    const producer = fixture.remote().producer({ lingerMs: 0, batchSize: 2048 });
    await producer.send('t', [{ value: 'warm-up', partition: 0 }]); // metadata and producer id
    const spy = spyRequests();
    try {
      const records = Array.from({ length: 400 }, (_, i) => ({ partition: i % 4, value: new Uint8Array(100).fill(i % 251) }));
      await producer.send('t', records);
    } finally {
      spy.restore();
    }
    const requests = spy.posted.flatMap((p) => p.batchBuffers);
    // 10 KiB a partition in batches of 2 KiB: requests of several batches (one per partition),
    // every one laid out, each in one buffer, and one transferred buffer for all the requests of a message.
    expect(spy.posted.reduce((n, p) => n + p.typed, 0)).toBe(0);
    expect(Math.max(...requests.map((b) => b.length))).toBeGreaterThan(1);
    for (const buffers of requests) expect(new Set(buffers).size).toBe(1);
    for (const p of spy.posted) expect(p.transfer).toEqual(p.laidBuffers);

    const consumer = fixture.cluster().consumer({ maxWaitMs: 10 });
    consumer.assign([0, 1, 2, 3].map((partition) => ({ topic: 't', partition })));
    for (const partition of [0, 1, 2, 3]) await consumer.seek({ topic: 't', partition }, 'earliest');
    let n = 0;
    for await (const r of consumer) {
      if (r.partition === 0 && r.offset === 0) continue; // the warm-up record
      const i = 4 * (r.offset - (r.partition === 0 ? 1 : 0)) + r.partition;
      expect(Uint8Array.from(r.value as Uint8Array)).toEqual(new Uint8Array(100).fill(i % 251));
      if (++n === 400) break;
    }
    await consumer.close();
  });

  it('sends the requests made in one turn of the event loop in one message, even when microtasks apart', async () => {
    const a = fixture.remote().producer({ lingerMs: 0 });
    const b = fixture.remote().producer({ lingerMs: 0 });
    await Promise.all([a.send('t', [{ value: 'warm-up a' }]), b.send('t', [{ value: 'warm-up b' }])]);
    const spy = spyRequests();
    try {
      const sent = [a.send('t', [{ value: 'one', partition: 1 }])];
      for (let i = 0; i < 20; i++) await null; // well past the microtasks in which the first request is made
      sent.push(b.send('t', [{ value: 'two', partition: 2 }]));
      await Promise.all(sent);
    } finally {
      spy.restore();
    }
    expect(spy.posted.map((p) => [p.laid, p.laidBuffers.length])).toEqual([[2, 1]]);
  });
});

describe('forTransfer', () => {
  it('packs copies into buffers of at most PACK_BYTES_MAX, a larger array alone, every byte in place', () => {
    const half = PACK_BYTES_MAX / 2;
    const arrays = [new Uint8Array(half).fill(1), new Uint8Array(half).fill(2), new Uint8Array(10).fill(3), new Uint8Array(PACK_BYTES_MAX + 1).fill(4), new Uint8Array(0), new Uint8Array(5).fill(5)];
    const transfer: ArrayBuffer[] = [];
    const out = forTransfer({ arrays }, transfer) as { arrays: Uint8Array[] };
    // [half + half], [10 + 5], [the large one]: three buffers, each filled exactly.
    expect(transfer.map((b) => b.byteLength).sort((x, y) => x - y)).toEqual([15, PACK_BYTES_MAX, PACK_BYTES_MAX + 1]);
    out.arrays.forEach((copy, i) => {
      // Identity and bytes checked without vitest's deep equality (not.toBe and toEqual walk a MiB
      // element by element: 12 s for this test, a fifth of its timeout, on a loaded machine).
      expect(copy === arrays[i]).toBe(false);
      expect(copy.byteLength).toBe(arrays[i]!.byteLength);
      expect(Buffer.compare(copy, arrays[i]!)).toBe(0);
    });
    expect(out.arrays[0]!.buffer).toBe(out.arrays[1]!.buffer);
    expect(out.arrays[2]!.buffer).toBe(out.arrays[5]!.buffer);
  });
});

describe('an error as it crosses a thread', () => {
  it('keeps its code, retriable flag, message, topic, partition and option through a structured clone', () => {
    const sent = new TributaryError('NOT_LEADER_OR_FOLLOWER', 'node 2 does not lead orders-3', { topic: 'orders', partition: 3 });
    const back = structuredClone(errorFields(sent));
    const err = rebuildError(back.code, back.message, back.place);
    expect(err).toBeInstanceOf(TributaryError);
    expect(err).toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER', retriable: true, message: 'node 2 does not lead orders-3', topic: 'orders', partition: 3, option: undefined });
    const bad = rebuildError('INVALID_CONFIG', 'retention.ms must be -1 or more', { option: 'retention.ms' });
    expect(bad).toMatchObject({ code: 'INVALID_CONFIG', option: 'retention.ms', topic: undefined });
  });

  it('rebuilds from hostile fields without throwing: unknown code, wrong types, a place that is not an object', () => {
    expect(rebuildError('NO_SUCH_CODE', 42, { topic: 7, partition: 1.5, option: {} })).toMatchObject({ code: 'UNKNOWN_SERVER_ERROR', topic: undefined, partition: undefined, option: undefined });
    expect(rebuildError(undefined, undefined, 'place')).toBeInstanceOf(TributaryError);
    expect(errorFields(new Error('boom'))).toEqual({ code: 'UNKNOWN_SERVER_ERROR', message: 'boom' });
  });
});
