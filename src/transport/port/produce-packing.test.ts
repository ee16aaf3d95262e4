import { describe, expect, it } from 'vitest';
import { Cluster } from '../../cluster.js';
import { connectHandle } from '../../connect-handle.js';
import type { ProduceRequest, ProduceResponse } from '../../protocol/produce.js';
import { packProduceAnswer, packProduceRequest, unpackProduceAnswer, unpackProduceRequest } from './produce-packing.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

const requests: ProduceRequest[] = [
  { apiKey: 0, acks: 1, timeoutMs: 30_000, topicData: [{ name: 't', partitionData: [{ index: 0, records: bytes(70, 1) }, { index: 3, records: null }] }] },
  { apiKey: 0, transactionalId: null, acks: -1, timeoutMs: 5, topicData: [] },
  { apiKey: 0, transactionalId: 'tx-1', acks: 0, timeoutMs: 0, topicData: [{ name: 'a', partitionData: [] }, { name: 'b.c_d-e', partitionData: [{ index: 7, records: bytes(0, 0) }] }] },
];

const answers: ProduceResponse[] = [
  { apiKey: 0, responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 'NONE', baseOffset: 42, logAppendTimeMs: -1, logStartOffset: 0 }] }], throttleTimeMs: 0 },
  { apiKey: 0, responses: [] },
  {
    apiKey: 0,
    responses: [
      { name: 'a', partitionResponses: [{ index: 1, errorCode: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage: null }] },
      { name: '__consumer_offsets', partitionResponses: [{ index: 0, errorCode: 'INVALID_TOPIC_EXCEPTION', baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage: 'internal' }] },
    ],
    throttleTimeMs: 12,
  },
];

/** Every prefix of `a`, and `a` with each slot replaced by values of other types. */
function damaged(a: readonly unknown[]): unknown[][] {
  const out: unknown[][] = [];
  for (let n = 0; n < a.length; n++) out.push(a.slice(0, n));
  for (let i = 0; i < a.length; i++) for (const v of [undefined, null, -1, 1.5, 1e300, 'x', {}, [], true, new Uint8Array(2)]) out.push(a.map((x, k) => (k === i ? v : x)));
  out.push([...a, 0]);
  return out;
}

describe('Produce requests and answers packed as flat arrays', () => {
  it('rebuilds each request and answer as the same object, bytes included', () => {
    for (const req of requests) {
      const packed = packProduceRequest(req)!;
      expect(packed).toBeDefined();
      expect(unpackProduceRequest(structuredClone(packed))).toEqual(req);
      // The records are the caller's arrays until forTransfer copies them: packing copies nothing.
      const first = req.topicData[0]?.partitionData[0]?.records;
      if (first) expect(packed).toContain(first);
    }
    for (const res of answers) {
      const packed = packProduceAnswer(res)!;
      expect(packed).toBeDefined();
      expect(unpackProduceAnswer(structuredClone(packed))).toStrictEqual(res);
    }
  });

  it('leaves a shape it does not know as the object it is', () => {
    const res = answers[0]!;
    const p = res.responses[0]!.partitionResponses[0]!;
    expect(packProduceAnswer({ ...res, extra: 1 })).toBeUndefined();
    expect(packProduceAnswer({ ...res, responses: [{ name: 't', partitionResponses: [{ ...p, recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: null }] }] }] })).toBeUndefined();
    expect(packProduceAnswer({ ...res, responses: [{ name: 't', partitionResponses: [{ ...p, baseOffset: 10n }] }] })).toBeUndefined();
    expect(packProduceAnswer({ apiKey: 1, responses: [] })).toBeUndefined();
    expect(packProduceAnswer(null)).toBeUndefined();
    const req = requests[0]!;
    expect(packProduceRequest({ ...req, apiVersion: 9 } as ProduceRequest)).toBeUndefined();
    expect(packProduceRequest({ ...req, topicData: [{ name: 't', partitionData: [{ index: 0, records: 'x' as never }] }] })).toBeUndefined();
    expect(packProduceRequest({ ...req, topicData: [{ name: 't', topicId: 'u', partitionData: [] } as never] })).toBeUndefined();
  });

  it('refuses anything that is not a packed request or answer, and never throws', () => {
    for (const bad of [undefined, null, 5, 'x', {}, [], new Uint8Array(4), [false, 1, 1, 1e300], [false, 1, 1, -1], [false, 1, 1, 1.5]]) {
      expect(unpackProduceRequest(bad)).toBeUndefined();
      expect(unpackProduceAnswer(bad)).toBeUndefined();
    }
    let refused = 0;
    let total = 0;
    for (const req of requests) {
      const cases = damaged(packProduceRequest(req)!);
      total += cases.length;
      for (const c of cases) {
        const out = unpackProduceRequest(c);
        // Either refused, or a well-formed request (a damaged index or timeout is still a number the broker judges).
        if (out === undefined) refused++;
        else expect(out.topicData.every((t) => typeof t.name === 'string' && t.partitionData.every((p) => typeof p.index === 'number' && (p.records === null || p.records instanceof Uint8Array)))).toBe(true);
      }
    }
    for (const res of answers) {
      const cases = damaged(packProduceAnswer(res)!);
      total += cases.length;
      for (const c of cases) if (unpackProduceAnswer(c) === undefined) refused++;
    }
    expect(refused).toBeGreaterThan(total / 2);
  });

  it('a packed request that does not unpack, posted on a handle, gets INVALID_REQUEST; the cluster carries on', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 't' }]);
    const handle = cluster.createHandle();
    const got: { t?: string; id?: number; code?: string; list?: { id?: number; code?: string }[] }[] = [];
    const done = new Promise<void>((resolve) =>
      handle.port.on('message', (m: (typeof got)[number]) => {
        got.push(...(m.t === 'answers' ? m.list! : [m]));
        if (got.filter((a) => a.id !== undefined).length >= 3) resolve();
      }),
    );
    handle.port.postMessage({ t: 'hello', clientId: 'garbage', clientHost: 'here' });
    handle.port.postMessage({
      t: 'reqs',
      list: [
        { id: 1, node: 1, pq: [false, 1, 1000, 1, 't', 1, 0, 'not bytes'] },
        { id: 2, node: 1, pq: 'garbage' },
        { id: 3, node: 1, pq: [false, 1, 1000, 5] },
      ],
    });
    await done;
    const errs = got.filter((a) => a.id !== undefined);
    expect(errs.map((a) => [a.id, a.code])).toEqual([
      [1, 'INVALID_REQUEST'],
      [2, 'INVALID_REQUEST'],
      [3, 'INVALID_REQUEST'],
    ]);
    handle.port.close();
    await using remote = await connectHandle(cluster.createHandle());
    const [meta] = await remote.producer().send('t', [{ value: 'still fine' }]);
    expect(meta!.offset).toBe(0);
  });
});
