/**
 * The replica Fetch's fixed binary layout between node workers (peer-fetch-layout.ts):
 * every field of the request and the answer survives the round trip, and a garbled buffer
 * (each field out of range in turn, every truncation, flipped bytes, random bytes) is a
 * typed error, `INVALID_REQUEST` at the leader and `CORRUPT_MESSAGE` at the follower, never
 * another exception; a leader's endpoint behind a real port refuses each garbled request
 * and answers the next good one.
 */
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Broker } from '../broker/broker.js';
import { PeerTransport } from '../cluster/peer-transport.js';
import type * as P from '../protocol/index.js';
import { checksummedHere, markChecksummedHere } from '../record/checksummed-here.js';
import { InlineTransport } from '../transport/inline.js';
import { PortServer } from '../transport/port/port-server.js';
import { TributaryError } from '../util/errors.js';
import { silentLogger } from '../util/logger.js';
import { NodeEndpoint } from './node-endpoint.js';
import { sendNodeRequest, type NodeRequest } from './node-requests.js';
import { peerFetchAnswer, peerFetchMessage, readPeerFetch, takePeerFetchAnswer } from './peer-fetch.js';
import { answerHeaderBytes, isRoundBuffer, roundBufferBytesMax, roundBufferBytesMin, readPeerFetchAnswer, readPeerFetch as readRequestLayout, requestHeaderBytes, writePeerFetch, writePeerFetchAnswer } from './peer-fetch-layout.js';
import { TransportRaftNetwork } from './raft-link.js';

const request: NodeRequest<P.FetchRequest> = {
  apiKey: 1,
  apiVersion: 12,
  correlationId: 77,
  clientId: 'broker-2 é',
  body: {
    apiKey: 1,
    replicaId: 2,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 10 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      { topic: 'a', partitions: [{ partition: 0, currentLeaderEpoch: 3, fetchOffset: 2 ** 40 + 5, lastFetchedEpoch: 2, logStartOffset: 7, partitionMaxBytes: 1 << 20 }] },
      {
        topic: 'b.x-y_z',
        partitions: [
          { partition: 4, currentLeaderEpoch: 1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 0 },
          { partition: 5, currentLeaderEpoch: -1, fetchOffset: 9, lastFetchedEpoch: 0, logStartOffset: 0, partitionMaxBytes: 100 },
        ],
      },
    ],
    forgottenTopicsData: [{ topic: 'c', partitions: [1, 2] }],
    rackId: 'rack-1',
    clusterId: 'cluster-a',
  },
};

function batch(n: number, fill: number): Uint8Array {
  return Buffer.alloc(n, fill);
}

function answer(): P.FetchResponse {
  return {
    apiKey: 1,
    errorCode: 'NONE',
    sessionId: 12,
    throttleTimeMs: 3,
    responses: [
      {
        topic: 'a',
        partitions: [
          { partitionIndex: 0, errorCode: 'NONE', highWatermark: 2 ** 40, lastStableOffset: 2 ** 40, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records: batch(300, 1) },
          { partitionIndex: 1, errorCode: 'FENCED_LEADER_EPOCH', highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: null },
          { partitionIndex: 2, errorCode: 'NONE', highWatermark: 10, lastStableOffset: 10, logStartOffset: 0, divergingEpoch: { epoch: 4, endOffset: 8 }, abortedTransactions: null, preferredReadReplica: 3, records: new Uint8Array(0) },
        ],
      },
      {
        topic: 'b',
        partitions: [
          {
            partitionIndex: 7,
            errorCode: 'NOT_LEADER_OR_FOLLOWER',
            highWatermark: 5,
            lastStableOffset: 4,
            logStartOffset: 1,
            currentLeader: { leaderId: 3, leaderEpoch: 9 },
            snapshotId: { endOffset: 100, epoch: 2 },
            abortedTransactions: [{ producerId: 2 ** 50, firstOffset: 3 }],
            preferredReadReplica: -1,
            records: batch(50, 2),
          },
        ],
      },
    ],
  };
}

/** Runs `f`: it returns or throws a `TributaryError` of `code`, nothing else. */
function typedOnly(code: string, f: () => unknown): 'read' | 'refused' {
  try {
    f();
    return 'read';
  } catch (err) {
    if (!(err instanceof TributaryError)) throw new Error(`untyped: ${String(err)}`);
    expect(err.code).toBe(code);
    return 'refused';
  }
}

const refusedAs = (code: string, f: () => unknown): void => expect(typedOnly(code, f)).toBe('refused');

/** A copy of `bytes` with `edit` applied to a DataView of it. */
function edited(bytes: Uint8Array, edit: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = Uint8Array.from(bytes);
  edit(new DataView(b.buffer), b);
  return b;
}

const requestBytes = writePeerFetch(request, request.body);
const answerBytes = writePeerFetchAnswer(answer(), true);
/** Where answer 'a''s first partition starts: header, then the topic name (2 + 1) and its partition count (4). */
const firstPartitionAt = answerHeaderBytes + 3 + 4;
/** Where the request's first partition starts: header, client id, rack, cluster id, topic 'a' (2 + 1), count (4). */
const firstRequestPartitionAt = requestHeaderBytes + 2 + Buffer.byteLength('broker-2 é') + 2 + 6 + 2 + 9 + 3 + 4;
const readAnswer = (b: Uint8Array): unknown => readPeerFetchAnswer(b, 'node 1');
const readRequest = (b: Uint8Array): unknown => readPeerFetch({ apiKey: 1, peerFetch: b });

describe('the replica Fetch layout', () => {
  it('carries every field of the request, defaults for the optional ones', () => {
    const { header, body } = readRequestLayout(requestBytes);
    expect(header).toEqual({ apiVersion: 12, correlationId: 77, clientId: 'broker-2 é' });
    expect(body).toEqual(request.body);
    const bare: P.FetchRequest = { apiKey: 1, replicaId: 2, maxWaitMs: 0, minBytes: 0, maxBytes: 0, isolationLevel: 1, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 3, partitionMaxBytes: 5 }] }] };
    expect(readRequestLayout(writePeerFetch({ apiVersion: 12, correlationId: 1, clientId: null }, bare)).body).toEqual({
      ...bare,
      sessionId: 0,
      sessionEpoch: -1,
      forgottenTopicsData: [],
      rackId: '',
      clusterId: null,
      topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 3, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 5 }] }],
    });
  });

  it('carries every field of the answer, the batches after the header in one buffer, the checked flag', () => {
    const sent = answer();
    const { body, checked, batches } = readPeerFetchAnswer(answerBytes, 'node 1');
    expect(checked).toBe(true);
    expect(body).toEqual({ ...sent, responses: sent.responses.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, records: p.records === null ? null : Buffer.from(p.records) })) })) });
    expect(batches.map((b) => b.length)).toEqual([300, 50]);
    expect(answerBytes.byteOffset).toBe(0); // from the start of a buffer of its own, to transfer
    expect(answerBytes.buffer.byteLength).toBe(roundBufferBytesMin); // room for the next round
    expect(batches[0]!.buffer).toBe(answerBytes.buffer); // views, not copies
    expect(readPeerFetchAnswer(writePeerFetchAnswer(answer(), false), 'node 1').checked).toBe(false);
  });

  it('the leader flags checked only an answer of marked batches; the follower marks them', () => {
    const marked = answer();
    for (const t of marked.responses) for (const p of t.partitions) if (p.records && p.records.length > 0) markChecksummedHere(p.records);
    const taken = takePeerFetchAnswer(peerFetchAnswer(marked), 1).body;
    expect(checksummedHere(taken.responses[0]!.partitions[0]!.records!)).toBe(true);
    expect(checksummedHere(taken.responses[1]!.partitions[0]!.records!)).toBe(true);
    const unmarked = takePeerFetchAnswer(peerFetchAnswer(answer()), 1).body;
    expect(checksummedHere(unmarked.responses[0]!.partitions[0]!.records!)).toBe(false);
  });

  it("one buffer carries a round: the request written into the last answer's buffer, the answer into the request's; too small, too large or shared, a fresh one", () => {
    const round = new ArrayBuffer(roundBufferBytesMin);
    const q = writePeerFetch(request, request.body, round);
    expect(q.buffer).toBe(round);
    expect(readRequestLayout(q).body).toEqual(request.body);
    const a = writePeerFetchAnswer(answer(), true, round);
    expect(a.buffer).toBe(round);
    expect(readPeerFetchAnswer(a, 'node 1').batches.map((b) => b.length)).toEqual([300, 50]);
    expect(writePeerFetchAnswer(answer(), true, new ArrayBuffer(100)).buffer.byteLength).toBe(roundBufferBytesMin); // too small: fresh
    const big = { ...answer(), responses: [{ topic: 'a', partitions: [{ ...answer().responses[0]!.partitions[0]!, records: batch(roundBufferBytesMax + 1, 3) }] }] };
    const large = writePeerFetchAnswer(big, false);
    expect(large.buffer.byteLength).toBe(large.length); // past the ceiling: exactly its size,
    expect(isRoundBuffer(large.buffer)).toBe(false); // and not kept for the next round
    expect(isRoundBuffer(new SharedArrayBuffer(roundBufferBytesMin))).toBe(false);
    expect(isRoundBuffer(round)).toBe(true);
  });

  it("over a real port the follower's next request carries the last answer's buffer back: the last answer's batches are empty after it", async () => {
    const { port1, port2 } = new MessageChannel();
    const endpoint = new NodeEndpoint(1, new TransportRaftNetwork(new InlineTransport()), 'cluster-a');
    endpoint.broker = { handle: () => Promise.resolve(answer()) } as unknown as Broker;
    endpoint.serving = true;
    new PortServer(port2, (to) => (to === 1 ? endpoint : undefined), silentLogger, () => {});
    const peers = new PeerTransport(2, () => undefined);
    peers.link(1, port1);
    try {
      const first = await sendNodeRequest<P.FetchResponse>(peers, 1, request);
      const records = first.responses[0]!.partitions[0]!.records!;
      expect(Buffer.from(records)).toEqual(Buffer.from(batch(300, 1)));
      const second = await sendNodeRequest<P.FetchResponse>(peers, 1, request);
      expect(records.length).toBe(0); // transferred back with the second request (the ownership rule of takePeerFetchAnswer)
      expect(Buffer.from(second.responses[0]!.partitions[0]!.records!)).toEqual(Buffer.from(batch(300, 1)));
    } finally {
      await peers.close();
      port2.close();
    }
  });

  it('each answer field out of range is CORRUPT_MESSAGE', () => {
    const p = firstPartitionAt;
    const garbles: [string, (v: DataView, b: Uint8Array) => void][] = [
      ['magic', (v) => v.setUint32(0, 0x12345678, true)],
      ['records bytes negative', (v) => v.setInt32(4, -1, true)],
      ['records bytes past the buffer', (v, b) => v.setInt32(4, b.length, true)],
      ['records bytes one more (the header ends early)', (v) => v.setInt32(4, 351, true)],
      ['records bytes one less (a record byte left over)', (v) => v.setInt32(4, 349, true)],
      ['unknown error code', (v) => v.setInt16(8, 9999, true)],
      ['unknown flags', (v) => v.setInt16(10, 2, true)],
      ['topic count negative', (v) => v.setInt32(20, -1, true)],
      ['topic count huge', (v) => v.setInt32(20, 0x7fffffff, true)],
      ['topic count one more', (v) => v.setInt32(20, 3, true)],
      ['topic count one less', (v) => v.setInt32(20, 1, true)],
      ['topic name length negative', (v) => v.setInt16(answerHeaderBytes, -2, true)],
      ['topic name length past the header', (v) => v.setInt16(answerHeaderBytes, 0x7fff, true)],
      ['topic name null', (v) => v.setInt16(answerHeaderBytes, -1, true)],
      ['partition count huge', (v) => v.setInt32(answerHeaderBytes + 3, 1 << 28, true)],
      ['partition count negative', (v) => v.setInt32(answerHeaderBytes + 3, -3, true)],
      ['partition error code unknown', (v) => v.setInt16(p + 4, -999, true)],
      ['partition flags unknown', (v) => v.setInt16(p + 6, 64, true)],
      ['partition flags: records dropped', (v) => v.setInt16(p + 6, 0, true)],
      ['high watermark NaN', (v) => v.setFloat64(p + 8, NaN, true)],
      ['high watermark a fraction', (v) => v.setFloat64(p + 8, 0.5, true)],
      ['high watermark past 2^53', (v) => v.setFloat64(p + 8, 2 ** 60, true)],
      ['last stable offset infinite', (v) => v.setFloat64(p + 16, Infinity, true)],
      ['log start offset NaN', (v) => v.setFloat64(p + 24, NaN, true)],
      ['records length negative', (v) => v.setInt32(p + 36, -1, true)],
      ['records length past the buffer', (v) => v.setInt32(p + 36, 1 << 30, true)],
      ['records length one more', (v) => v.setInt32(p + 36, 301, true)],
      ['records length one less', (v) => v.setInt32(p + 36, 299, true)],
      ['a byte appended', () => {}],
    ];
    expect(typedOnly('CORRUPT_MESSAGE', () => readAnswer(answerBytes))).toBe('read');
    for (const [what, edit] of garbles) {
      const b = what === 'a byte appended' ? Uint8Array.from([...answerBytes, 0]) : edited(answerBytes, edit);
      try {
        refusedAs('CORRUPT_MESSAGE', () => readAnswer(b));
      } catch (err) {
        throw new Error(`${what}: ${String(err)}`);
      }
    }
  });

  it('each request field out of range is INVALID_REQUEST', () => {
    const p = firstRequestPartitionAt;
    const garbles: [string, (v: DataView, b: Uint8Array) => void][] = [
      ['magic', (v) => v.setUint32(0, 0, true)],
      ['a KRaft version', (v) => v.setInt16(4, 17, true)],
      ['isolation level', (v) => v.setInt16(6, 7, true)],
      ['replica id below -1', (v) => v.setInt32(12, -5, true)],
      // (max bytes and partition max bytes may be negative: Kafka takes any int32 there and answers the partitions, replica-manager.ts)
      ['min bytes negative', (v) => v.setInt32(20, -1, true)],
      ['topic count negative', (v) => v.setInt32(36, -1, true)],
      ['topic count huge', (v) => v.setInt32(36, 0x7fffffff, true)],
      ['topic count one more', (v) => v.setInt32(36, 3, true)],
      ['client id length past the end', (v) => v.setInt16(40, 0x7fff, true)],
      ['client id length negative', (v) => v.setInt16(40, -7, true)],
      ['partition negative', (v) => v.setInt32(p, -1, true)],
      ['current leader epoch below -1', (v) => v.setInt32(p + 4, -2, true)],
      ['fetch offset NaN', (v) => v.setFloat64(p + 8, NaN, true)],
      ['fetch offset a fraction', (v) => v.setFloat64(p + 8, 1.5, true)],
      ['log start offset past 2^53', (v) => v.setFloat64(p + 24, 2 ** 54, true)],
    ];
    expect(typedOnly('INVALID_REQUEST', () => readRequest(requestBytes))).toBe('read');
    for (const [what, edit] of garbles) {
      try {
        refusedAs('INVALID_REQUEST', () => readRequest(edited(requestBytes, edit)));
      } catch (err) {
        throw new Error(`${what}: ${String(err)}`);
      }
    }
    refusedAs('INVALID_REQUEST', () => readRequest(Uint8Array.from([...requestBytes, 0])));
  });

  it('every truncation is a typed error', () => {
    for (let cut = 0; cut < requestBytes.length; cut++) refusedAs('INVALID_REQUEST', () => readRequest(requestBytes.slice(0, cut)));
    for (let cut = 0; cut < answerBytes.length; cut++) refusedAs('CORRUPT_MESSAGE', () => readAnswer(answerBytes.slice(0, cut)));
  });

  it('flipped bytes and random bytes are read or refused typed, nothing else (property)', () => {
    const headerOnly = answerBytes.length - 350;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x01, 0xf0)), { minLength: 1, maxLength: 4 }), (flips) => {
        const q = Uint8Array.from(requestBytes);
        const a = Uint8Array.from(answerBytes);
        for (const [at, v] of flips) {
          q[at % q.length] = v;
          a[at % headerOnly] = v; // the header: a flip in a batch's bytes is the follower's CRC check's to find
        }
        typedOnly('INVALID_REQUEST', () => readRequest(q));
        typedOnly('CORRUPT_MESSAGE', () => readAnswer(a));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        refusedAs('INVALID_REQUEST', () => readRequest(bytes));
        refusedAs('CORRUPT_MESSAGE', () => readAnswer(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("a leader's endpoint behind a real port refuses each garbled request typed and keeps serving", async () => {
    const { port1, port2 } = new MessageChannel();
    const endpoint = new NodeEndpoint(1, new TransportRaftNetwork(new InlineTransport()), 'cluster-a');
    let served = 0;
    endpoint.broker = {
      handle: () => {
        served++;
        return Promise.resolve(answer());
      },
    } as unknown as Broker;
    endpoint.serving = true;
    new PortServer(port2, (to) => (to === 1 ? endpoint : undefined), silentLogger, () => {});
    const peers = new PeerTransport(2, () => undefined);
    peers.link(1, port1);
    const raw = (m: unknown): Promise<string> =>
      peers['links']
        .get(1)!
        .send(1, m as never)
        .then(
          () => 'answered',
          (e: unknown) => (e instanceof TributaryError ? e.code : `untyped ${String(e)}`),
        );
    try {
      const bytes = peerFetchMessage(request).peerFetch;
      const garbled = [
        bytes.slice(0, 10),
        edited(bytes, (v) => v.setInt32(36, -1, true)),
        edited(bytes, (v) => v.setFloat64(firstRequestPartitionAt + 8, NaN, true)),
        edited(bytes, (v) => v.setInt32(firstRequestPartitionAt, -1, true)),
        new Uint8Array(0),
      ];
      for (const g of garbled) expect(await raw({ apiKey: 1, peerFetch: g })).toBe('INVALID_REQUEST');
      expect(served).toBe(0);
      const res = await sendNodeRequest<P.FetchResponse>(peers, 1, request);
      expect(served).toBe(1);
      expect(res.responses[1]!.partitions[0]!.currentLeader).toEqual({ leaderId: 3, leaderEpoch: 9 });
      expect(Buffer.from(res.responses[0]!.partitions[0]!.records!)).toEqual(Buffer.from(batch(300, 1)));
    } finally {
      await peers.close();
      port2.close();
    }
  });
});
