/**
 * The Produce lane between the calling thread and a node's worker (produce-lane.ts and
 * node/produce-lane-server.ts), over a real `MessageChannel`: the requests of one turn
 * cross in one message and are handed to the broker in order; each keeps its own answer
 * or error when others of the same message fail; the answers ready in one turn come back
 * in one message with the message's buffer given back; the producer's marks are believed;
 * garbage posted to either end is a typed error or a warning, never a throw, and the lane
 * keeps serving.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { ProduceRequest, ProduceResponse } from '../protocol/produce.js';
import { encodeBatchUncompressed } from '../record/batch.js';
import { checksummedHere, markChecksummedHere } from '../record/checksummed-here.js';
import { ProduceLaneServer, type LaneHandler } from '../node/produce-lane-server.js';
import { writeRequests } from '../node/produce-layout.js';
import { TributaryError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { ProduceLane } from './produce-lane.js';

function produce(partition: number, marked = true, topic = 't'): ProduceRequest {
  const records = encodeBatchUncompressed([{ value: Buffer.alloc(100, partition) }], { now: 1 });
  if (marked) markChecksummedHere(records);
  return { apiKey: 0, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

const ok = (r: ProduceRequest, baseOffset: number): ProduceResponse => ({
  apiKey: 0,
  responses: r.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: 'NONE', baseOffset, logAppendTimeMs: -1, logStartOffset: 0 })) })),
  throttleTimeMs: 0,
});

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

function lane(handler: LaneHandler, log: Logger = silentLogger): { lane: ProduceLane; close(): void; serverPosts: () => number; node: MessageChannel['port2'] } {
  const { port1, port2 } = new MessageChannel();
  let posts = 0;
  const post = port2.postMessage.bind(port2);
  port2.postMessage = (m: unknown, t?: readonly ArrayBuffer[]) => {
    posts++;
    post(m, t as never);
  };
  new ProduceLaneServer(port2, handler, log);
  const l = new ProduceLane(port1, 1);
  return { lane: l, close: () => l.close(), serverPosts: () => posts, node: port2 };
}

const outcome = (p: Promise<ProduceResponse>): Promise<string> =>
  p.then(
    (r) => `${r.responses[0]!.partitionResponses[0]!.errorCode}@${r.responses[0]!.partitionResponses[0]!.baseOffset}`,
    (e: unknown) => (e instanceof TributaryError ? e.code : `untyped: ${String(e)}`),
  );

describe('the Produce lane to a node worker', () => {
  it('sends the requests of one turn in one message, in order, and answers each with its own response or error', async () => {
    const seen: { partition: number; marked: boolean }[] = [];
    let slowAnswer: (() => void) | undefined;
    const handler: LaneHandler = (request) => {
      const p = request.topicData[0]!.partitionData[0]!;
      seen.push({ partition: p.index, marked: checksummedHere(p.records!) });
      if (request.topicData[0]!.name === 'missing') return Promise.resolve({ apiKey: 0, responses: [{ name: 'missing', partitionResponses: [{ index: p.index, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 }] }] });
      if (p.index === 3) return Promise.reject(new TributaryError('REQUEST_TIMED_OUT', 'acks timed out', { topic: 't', partition: 3 }));
      if (p.index === 4) return Promise.reject(new Error('a bug'));
      if (p.index === 5) return new Promise((resolve) => (slowAnswer = () => resolve(ok(request, 500))));
      return Promise.resolve(ok(request, p.index * 10));
    };
    const { lane: l, close, serverPosts } = lane(handler);
    try {
      const sent = [
        l.send(produce(0), undefined),
        l.send(produce(1, false), undefined),
        l.send(produce(7, true, 'missing'), undefined),
        l.send(produce(3), undefined),
        l.send(produce(4), undefined),
        l.send(produce(5), undefined),
        l.send(produce(2), undefined),
      ].map(outcome);
      const fast = Promise.all([sent[0], sent[1], sent[2], sent[3], sent[4], sent[6]]);
      expect(await fast).toEqual(['NONE@0', 'NONE@10', 'UNKNOWN_TOPIC_OR_PARTITION@-1', 'REQUEST_TIMED_OUT', 'UNKNOWN_SERVER_ERROR', 'NONE@20']);
      expect(l.counts.messages).toBe(1);
      expect(l.counts.requests).toBe(7);
      // Handed to the broker in the order sent, each batch marked only where the producer's was.
      expect(seen.map((s) => s.partition)).toEqual([0, 1, 7, 3, 4, 5, 2]);
      expect(seen.map((s) => s.marked)).toEqual([true, false, true, true, true, true, true]);
      // The six ready in one turn came back in one message; the slow one comes alone, later.
      expect(serverPosts()).toBe(1);
      expect(l.counts.answers).toBe(6);
      slowAnswer!();
      expect(await sent[5]).toBe('NONE@500');
      expect(serverPosts()).toBe(2);
    } finally {
      close();
    }
  });

  it('gives the message buffer back once every request in it is answered, and reuses it', async () => {
    const handler: LaneHandler = (request) => Promise.resolve(ok(request, 1));
    const { lane: l, close, node } = lane(handler);
    const buffersIn: ArrayBuffer[] = [];
    node.on('message', (m: unknown) => {
      if (m instanceof ArrayBuffer) buffersIn.push(m);
    });
    try {
      await Promise.all([l.send(produce(0), undefined), l.send(produce(1), undefined)]);
      await turns(2);
      expect((l as unknown as { spare: { size: number } }).spare.size).toBe(1);
      await l.send(produce(2), undefined);
      expect((l as unknown as { spare: { size: number } }).spare.size).toBe(1); // taken for the second message and given back again
      expect(l.counts.messages).toBe(2);
    } finally {
      close();
    }
  });

  it('answers a garbled message with typed errors for the ids it names, drops one that names none, and keeps serving', async () => {
    const warned: string[] = [];
    const log = { ...silentLogger, warn: (_f: object, msg: string) => void warned.push(msg) } as unknown as Logger;
    const { port1, port2 } = new MessageChannel();
    new ProduceLaneServer(port2, (request) => Promise.resolve(ok(request, 3)), log);
    const answers: unknown[] = [];
    port1.on('message', (m: unknown) => answers.push(m));
    try {
      const { buffer } = writeRequests([{ id: 41, request: produce(0), context: undefined, checked: true }], (n) => new ArrayBuffer(n));
      const garbled = buffer.slice(0);
      new DataView(garbled).setInt32(8, 9); // more partitions than the requests name
      port1.postMessage(garbled, [garbled]);
      for (const junk of [null, 5, 'x', { t: 'req' }, new ArrayBuffer(3), [1, 2]]) port1.postMessage(junk);
      port1.postMessage(buffer, [buffer]);
      const { readAnswers } = await import('../node/produce-layout.js');
      const read = (): (string | number | undefined)[][] => answers.flatMap((m) => readAnswers(Array.isArray(m) ? m[0] : m, 1, () => produce(0))).map((a) => [a.id, a.error?.code ?? a.response?.responses[0]!.partitionResponses[0]!.baseOffset]);
      for (let i = 0; i < 100 && read().length < 2; i++) await turns(1);
      // The garbled message's id refused typed; the same id, sent again well formed, answered.
      expect(read()).toEqual([
        [41, 'INVALID_REQUEST'],
        [41, 3],
      ]);
      expect(warned.length).toBe(6);
    } finally {
      port1.close();
    }
  });

  it('answers every request when a turn holds more than one message can: more requests or partitions than LANE_*_MAX', async () => {
    // 1,500 requests in one turn cross in two messages; the node answers them all in one turn,
    // and those answers must cross in messages the calling thread reads (at most
    // LANE_REQUESTS_MAX answers each), or every request in flight failed CORRUPT_MESSAGE
    // though the broker had appended it.
    const held: (() => void)[] = [];
    const total = 1500;
    const handler: LaneHandler = (request) =>
      new Promise<ProduceResponse>((resolve) => {
        held.push(() => resolve(ok(request, 7)));
        if (held.length === total) for (const release of held) release();
      });
    const { lane: l, close } = lane(handler);
    try {
      const sent = Array.from({ length: total }, (_, i) => outcome(l.send(produce(i % 50), undefined)));
      const got = await Promise.all(sent);
      expect(got.filter((g) => g !== 'NONE@7')).toEqual([]);
      expect(l.counts.messages).toBe(2);
    } finally {
      close();
    }
  });

  it('keeps a message under LANE_PARTITIONS_MAX partitions: two requests over 40,000 partitions each are both answered', async () => {
    const wide = (): ProduceRequest => ({ apiKey: 0, acks: -1, timeoutMs: 30_000, topicData: [{ name: 'w', partitionData: Array.from({ length: 40_000 }, (_, index) => ({ index, records: null })) }] });
    const { lane: l, close } = lane((request) => Promise.resolve(ok(request, 1)));
    try {
      const [a, b] = await Promise.all([l.send(wide(), undefined), l.send(wide(), undefined)]);
      expect([a.responses[0]!.partitionResponses.length, b.responses[0]!.partitionResponses.length]).toEqual([40_000, 40_000]);
      expect(l.counts.messages).toBe(2);
      // One request wider than a message can hold does not take the lane (canLayOut), but the typed way.
      const { canLayOut, LANE_PARTITIONS_MAX } = await import('../node/produce-layout.js');
      const tooWide: ProduceRequest = { apiKey: 0, acks: -1, timeoutMs: 30_000, topicData: [{ name: 'w', partitionData: Array.from({ length: LANE_PARTITIONS_MAX + 1 }, (_, index) => ({ index, records: null })) }] };
      expect([canLayOut(wide()), canLayOut(tooWide)]).toEqual([true, false]);
    } finally {
      close();
    }
  });

  it('fails the requests in flight typed when an answer is garbled, or the node goes', async () => {
    const { port1, port2 } = new MessageChannel();
    const l = new ProduceLane(port1, 2);
    port2.on('message', () => {
      port2.postMessage(new ArrayBuffer(10)); // not an answer message
    });
    expect(await outcome(l.send(produce(0), undefined))).toBe('CORRUPT_MESSAGE');
    const pending = outcome(l.send(produce(1), undefined));
    port2.removeAllListeners('message');
    port2.on('message', () => port2.close());
    expect(await pending).toBe('NETWORK_EXCEPTION');
    expect(await outcome(l.send(produce(2), undefined))).toBe('NETWORK_EXCEPTION');
  });
});
