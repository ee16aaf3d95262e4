/**
 * A consumer's Fetch answer crosses a port without a copy: the log reads a large fetch
 * into a buffer of its own and hands it over (`util/hand-over.ts`), and the port server
 * transfers that buffer. These tests check that what crosses is right and that nothing the
 * cluster keeps is ever emptied by the transfer.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../cluster.js';
import { connectHandle } from '../../connect-handle.js';
import { encodeBatchUncompressed } from '../../record/batch.js';
import { PartitionLog } from '../../storage/partition-log.js';
import { handOverBuffer } from '../../util/hand-over.js';
import { forTransfer } from './messages.js';
import { useTempDirs } from '../../../test/helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-fetch-transfer-');

function received(port: MessagePort): Promise<unknown> {
  return new Promise((resolve) => port.once('message', resolve));
}

describe('a handed-over byte array crosses a port uncopied', () => {
  it('keeps its offset and length over the transferred buffer, lists a shared buffer once, and copies what was not handed over', async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      const buffer = new ArrayBuffer(64);
      new Uint8Array(buffer).forEach((_, i, a) => (a[i] = i));
      const a = handOverBuffer(new Uint8Array(buffer, 8, 16));
      const b = handOverBuffer(new Uint8Array(buffer, 40, 8));
      const kept = new Uint8Array(32).fill(7).subarray(4, 12);
      const transfer: ArrayBuffer[] = [];
      const message = forTransfer({ parts: [a, b], kept }, transfer);
      expect(transfer.filter((t) => t === buffer)).toHaveLength(1);
      expect(transfer).toHaveLength(2); // the buffer, and the copy of `kept`
      const got = received(port2);
      port1.postMessage(message, transfer);
      const m = (await got) as { parts: Uint8Array[]; kept: Uint8Array };
      expect([...m.parts[0]!]).toEqual(Array.from({ length: 16 }, (_, i) => 8 + i));
      expect([...m.parts[1]!]).toEqual(Array.from({ length: 8 }, (_, i) => 40 + i));
      expect([...m.kept]).toEqual(Array(8).fill(7));
      expect(a.byteLength).toBe(0); // the sender's view is gone with its buffer
      expect(kept.byteLength).toBe(8); // not handed over: copied, the caller's bytes stay
      // The mark is taken: the same array again is copied, not transferred a second time.
      const again: ArrayBuffer[] = [];
      forTransfer(handOverBuffer(new Uint8Array(8)), again);
      expect(again).toHaveLength(1);
    } finally {
      port1.close();
      port2.close();
    }
  });
});

describe('the log hands over the buffer of a large read, never of a small one or of the caller’s', () => {
  it('a read of 16 KiB or more crosses by transfer; a small read and a read into a caller’s buffer are copied; the log reads the same bytes after', async () => {
    const log = await PartitionLog.open({ dataDir: tempDir(), topic: 't', partition: 0 });
    try {
      for (let i = 0; i < 40; i++) await log.append(encodeBatchUncompressed([{ value: new Uint8Array(1000).fill(i), timestamp: 1_000 }]));
      const large = log.read(0, { maxBytes: 1 << 20 }).records;
      const copy = Uint8Array.from(large);
      expect(large.byteLength).toBeGreaterThan(16 * 1024);
      const t1: ArrayBuffer[] = [];
      const out = forTransfer({ records: large }, t1) as { records: Uint8Array };
      expect(out.records).toBe(large); // not copied
      expect(t1).toEqual([large.buffer]);
      const small = log.read(0, { maxBytes: 100 }).records; // one batch of about 1 KiB
      const t2: ArrayBuffer[] = [];
      expect((forTransfer({ records: small }, t2) as { records: Uint8Array }).records).not.toBe(small);
      expect(t2[0]).not.toBe(small.buffer);
      const into = Buffer.alloc(1 << 20);
      const mine = log.read(0, { maxBytes: 64 * 1024, into }).records;
      const t3: ArrayBuffer[] = [];
      forTransfer({ records: mine }, t3);
      expect(t3[0]).not.toBe(into.buffer);
      // Transfer the large read away: the log keeps nothing of it.
      const { port1, port2 } = new MessageChannel();
      port1.postMessage(out, t1);
      port1.close();
      port2.close();
      expect(large.byteLength).toBe(0);
      expect(Uint8Array.from(log.read(0, { maxBytes: 1 << 20 }).records)).toEqual(copy);
    } finally {
      await log.close();
    }
  });
});

describe('a consumer over a handle reads large fetches that the log handed over', () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('reads every record, twice over two handles, and the log still serves the same bytes in the cluster’s thread', async () => {
    cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'big', partitions: 2 }]);
    const producer = cluster.producer({ lingerMs: 5 });
    const n = 4000; // 2,000 records of about 300 bytes a partition: fetches far above the 16 KiB of an owned read
    const value = (i: number): Uint8Array => new Uint8Array(300).fill(i % 251);
    for (let i = 0; i < n; i += 500) {
      await producer.send('big', Array.from({ length: 500 }, (_, k) => ({ key: `k${(i + k) % 2}`, partition: (i + k) % 2, value: value(i + k) })));
    }
    await producer.close();

    const readAll = async (consumer: { assign(tp: { topic: string; partition: number }[]): void; seek(tp: { topic: string; partition: number }, to: 'earliest'): Promise<void>; [Symbol.asyncIterator](): AsyncIterator<{ partition: number; offset: number; value: Uint8Array | null }>; close(): Promise<void> }): Promise<Map<string, number[]>> => {
      const tps = [0, 1].map((partition) => ({ topic: 'big', partition }));
      consumer.assign(tps);
      for (const tp of tps) await consumer.seek(tp, 'earliest');
      const seen = new Map<string, number[]>();
      let count = 0;
      for await (const r of consumer) {
        const v = r.value!;
        expect(v.length).toBe(300);
        // Each record's value is the one produced at its place: (offset * 2 + partition) mod 251, every byte.
        const expected = (r.offset * 2 + r.partition) % 251;
        expect(v[0]).toBe(expected);
        expect(v[299]).toBe(expected);
        const list = seen.get(String(r.partition)) ?? [];
        list.push(r.offset);
        seen.set(String(r.partition), list);
        if (++count === n) break;
      }
      await consumer.close();
      return seen;
    };
    const expectAll = (seen: Map<string, number[]>): void => {
      for (const p of ['0', '1']) expect(seen.get(p)).toEqual(Array.from({ length: n / 2 }, (_, i) => i));
    };

    for (let round = 0; round < 2; round++) {
      const remote = await connectHandle(cluster.createHandle());
      try {
        expectAll(await readAll(remote.consumer({ maxWaitMs: 50 }) as never));
      } finally {
        await remote.close();
      }
    }
    expectAll(await readAll(cluster.consumer({ maxWaitMs: 50 }) as never));
  });
});
