/**
 * The port transport's fixed layout of Produce requests and answers (produce-layout.ts): requests and answers read back as
 * they were written, and every field a hostile sender could set, put out of range one at a
 * time, is a typed error (`INVALID_REQUEST` for a request, `CORRUPT_MESSAGE` for an
 * answer): the request it belongs to alone where the message still holds, the message as a
 * whole where it does not; never another exception. Random bytes and truncations likewise.
 */
import { describe, expect, it } from 'vitest';
import type { ProduceRequest, ProduceResponse } from '../../protocol/produce.js';
import { TributaryError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import {
  ANSWER_BYTES,
  HEADER_BYTES,
  PARTITION_BYTES,
  REQUEST_BYTES,
  RESULT_BYTES,
  STRING_BYTES,
  canLayOut,
  readAnswers,
  readRequestIds,
  readRequests,
  writeAnswers,
  writeRequests,
  type LaidRequest,
} from './produce-layout.js';

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

const a: ProduceRequest = {
  apiKey: 0,
  acks: -1,
  timeoutMs: 30_000,
  topicData: [
    { name: 'orders', partitionData: [{ index: 0, records: bytes(70, 1) }, { index: 2, records: null }] },
    { name: 'ünïcode.t', partitionData: [{ index: 1, records: bytes(33, 2) }] },
  ],
};
const b: ProduceRequest = { apiKey: 0, transactionalId: 'tx', acks: 1, timeoutMs: 5, topicData: [{ name: 'orders', partitionData: [{ index: 1, records: bytes(10, 3) }] }] };
const c: ProduceRequest = { apiKey: 0, transactionalId: null, acks: 0, timeoutMs: 0, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: bytes(5, 4) }] }] };
const items: LaidRequest[] = [
  { id: 7, node: 1, request: a, context: undefined, checked: true },
  { id: 8, node: 2, request: b, context: { listenerName: 'inline', clientId: 'p-1', clientHost: 'worker-3', principal: null }, checked: false },
  { id: 9, node: -5, request: c, context: { listenerName: 'inline', clientId: '', clientHost: 'inline', principal: 'alice' }, checked: false },
];
const fresh = (n: number): ArrayBuffer => new ArrayBuffer(n);
const laid = (): ArrayBuffer => writeRequests(items, fresh).buffer;

function answersFor(): ArrayBuffer {
  const ok = (r: ProduceRequest, base: number): ProduceResponse => ({
    apiKey: 0,
    responses: r.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: 'NONE', baseOffset: base + p.index, logAppendTimeMs: -1, logStartOffset: 0 })) })),
    throttleTimeMs: 0,
  });
  const withErrors: ProduceResponse = {
    apiKey: 0,
    responses: [{ name: 'orders', partitionResponses: [{ index: 1, errorCode: 'INVALID_RECORD', baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: 'bad' }, { batchIndex: 3, batchIndexErrorMessage: null }], errorMessage: 'one bad batch' }] }],
  };
  return writeAnswers([
    { id: 7, response: ok(a, 2 ** 40) },
    { id: 8, response: withErrors },
    { id: 9, error: new TributaryError('NOT_LEADER_OR_FOLLOWER', 'moved', { topic: 'orders', partition: 0 }) },
  ]);
}
const asked = (id: number): ProduceRequest | undefined => ({ 7: a, 8: b, 9: c })[id];

/** Reads `buffer` as a request message: each id with its error code or 'ok', or the whole message's code. */
function requestOutcome(buffer: ArrayBuffer): string {
  try {
    return readRequests(buffer)
      .map((r) => `${r.id}:${'error' in r ? r.error.code : 'ok'}`)
      .join(' ');
  } catch (err) {
    if (!(err instanceof TributaryError)) throw err;
    return `whole:${err.code}`;
  }
}

function answerOutcome(buffer: ArrayBuffer): string {
  try {
    return readAnswers(buffer, 'node 2', asked)
      .map((r) => `${r.id}:${r.error !== undefined ? r.error.code : 'ok'}`)
      .join(' ');
  } catch (err) {
    if (!(err instanceof TributaryError)) throw err;
    return `whole:${err.code}`;
  }
}

function poke(buffer: ArrayBuffer, at: number, v: number, width: 2 | 4 = 4): ArrayBuffer {
  const copy = buffer.slice(0);
  const view = new DataView(copy);
  if (width === 2) view.setInt16(at, v);
  else view.setInt32(at, v);
  return copy;
}

describe('the port transport’s Produce layout', () => {
  it('reads requests back as written: topics, null records, transactional ids, contexts, marks', () => {
    const { buffer, used } = writeRequests(items, (n) => new ArrayBuffer(n + 100)); // a reused, larger buffer
    expect(used).toBeLessThan(buffer.byteLength);
    const read = readRequests(buffer);
    expect(read).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const r = read[i]!;
      if ('error' in r) throw r.error;
      expect(r.id).toBe(items[i]!.id);
      expect(r.checked).toBe(items[i]!.checked);
      expect(r.node).toBe(items[i]!.node);
      expect(r.context).toEqual(items[i]!.context);
      expect({ ...r.request, topicData: r.request.topicData.map((t) => ({ ...t, partitionData: t.partitionData.map((p) => ({ index: p.index, records: p.records && [...p.records] })) })) }).toEqual({
        ...items[i]!.request,
        topicData: items[i]!.request.topicData.map((t) => ({ ...t, partitionData: t.partitionData.map((p) => ({ index: p.index, records: p.records && [...p.records] })) })),
      });
    }
    // The batches are views of the message, not copies.
    const first = read[0] as LaidRequest;
    expect(first.request.topicData[0]!.partitionData[0]!.records!.buffer).toBe(buffer);
    expect('transactionalId' in (read[0] as LaidRequest).request).toBe(false);
    expect(readRequestIds(buffer)).toEqual([7, 8, 9]);
  });

  it('reads answers back as written, named by the requests they answer, and skips ids nobody waits for', () => {
    const read = readAnswers(answersFor(), 'node 2', asked);
    expect(read.map((r) => r.id)).toEqual([7, 8, 9]);
    expect(read[0]!.response).toEqual({
      apiKey: 0,
      throttleTimeMs: 0,
      responses: [
        { name: 'orders', partitionResponses: [{ index: 0, errorCode: 'NONE', baseOffset: 2 ** 40, logAppendTimeMs: -1, logStartOffset: 0 }, { index: 2, errorCode: 'NONE', baseOffset: 2 ** 40 + 2, logAppendTimeMs: -1, logStartOffset: 0 }] },
        { name: 'ünïcode.t', partitionResponses: [{ index: 1, errorCode: 'NONE', baseOffset: 2 ** 40 + 1, logAppendTimeMs: -1, logStartOffset: 0 }] },
      ],
    });
    expect(read[1]!.response).toEqual({
      apiKey: 0,
      responses: [{ name: 'orders', partitionResponses: [{ index: 1, errorCode: 'INVALID_RECORD', baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: 'bad' }, { batchIndex: 3, batchIndexErrorMessage: null }], errorMessage: 'one bad batch' }] }],
    });
    const err = read[2]!.error!;
    expect(err).toBeInstanceOf(TributaryError);
    expect([err.code, err.message, err.topic, err.partition, err.retriable]).toEqual(['NOT_LEADER_OR_FOLLOWER', 'moved', 'orders', 0, true]);
    expect(readAnswers(answersFor(), 'node 2', (id) => (id === 8 ? b : undefined)).map((r) => r.id)).toEqual([8]);
  });

  it('lays out only what fits the layout; anything else goes the typed way', () => {
    expect(canLayOut(a)).toBe(true);
    const bad: unknown[] = [
      { ...a, acks: 'all' },
      { ...a, acks: 40_000 },
      { ...a, timeoutMs: 2 ** 31 },
      { ...a, timeoutMs: 1.5 },
      { ...a, transactionalId: 5 },
      { ...a, topicData: [] },
      { ...a, topicData: 5 },
      { ...a, topicData: [null] },
      { ...a, topicData: [{ name: 5, partitionData: [] }] },
      { ...a, topicData: [{ name: 't', partitionData: [] }] },
      { ...a, topicData: [{ name: 't', partitionData: [{ index: 'zero', records: null }] }] },
      { ...a, topicData: [{ name: 't', partitionData: [{ index: 0, records: 'bytes' }] }] },
    ];
    for (const r of bad) expect(canLayOut(r as ProduceRequest)).toBe(false);
  });

  it('refuses each request field out of range, for that request alone', () => {
    const buffer = laid();
    const row = (i: number): number => HEADER_BYTES + i * REQUEST_BYTES;
    const parts = HEADER_BYTES + 3 * REQUEST_BYTES;
    const part = (k: number): number => parts + k * PARTITION_BYTES;
    const only8 = '7:ok 8:INVALID_REQUEST 9:ok';
    expect(requestOutcome(buffer)).toBe('7:ok 8:ok 9:ok');
    const cases: [string, ArrayBuffer, string][] = [
      ['request flags', poke(buffer, row(1) + 6, 6, 2), only8],
      ['transactional id index', poke(buffer, row(1) + 12, 999), only8],
      ['transactional id index -3', poke(buffer, row(1) + 12, -3), only8],
      ['client id index', poke(buffer, row(1) + 16, 999), only8],
      ['client host index without a client id', poke(buffer, row(1) + 16, -1), only8],
      ['principal index', poke(buffer, row(1) + 24, -5), only8],
      ['topic index', poke(buffer, part(3) + 0, 999), only8],
      ['partition flags', poke(buffer, part(3) + 8, 9), only8],
      ['first partition not first of its topic', poke(buffer, part(3) + 8, 0), only8],
      ['batch offset before the tables end', poke(buffer, part(3) + 12, 0), only8],
      ['batch offset past the end', poke(buffer, part(3) + 12, 2 ** 30), only8],
      ['batch length negative', poke(buffer, part(3) + 16, -2), only8],
      ['batch length past the end', poke(buffer, part(3) + 16, 2 ** 30), only8],
      ['null records with bytes', poke(buffer, part(3) + 8, 3), only8],
      ['a partition of another topic in a group', poke(poke(buffer, part(1) + 8, 0), part(1), 1), '7:INVALID_REQUEST 8:ok 9:ok'],
    ];
    for (const [what, garbled, expected] of cases) expect(`${what}: ${requestOutcome(garbled)}`).toBe(`${what}: ${expected}`);
    // The broker's own fields go to the broker as they are (it validates them as any client's).
    const acks = readRequests(poke(buffer, row(0) + 4, 7, 2))[0] as LaidRequest;
    expect(acks.request.acks).toBe(7);
  });

  it('refuses a message whose header or tables do not hold as a whole, naming the ids it can', () => {
    const buffer = laid();
    const view = new DataView(buffer);
    const strings = view.getInt32(12);
    const stringTable = HEADER_BYTES + 3 * REQUEST_BYTES + view.getInt32(8) * PARTITION_BYTES;
    const cases: [string, ArrayBuffer][] = [
      ['magic', poke(buffer, 0, 1)],
      ['count 0', poke(buffer, 4, 0)],
      ['count past the maximum', poke(buffer, 4, 5000)],
      ['count past the tables', poke(buffer, 4, 1000)],
      ['partitions negative', poke(buffer, 8, -1)],
      ['partitions more than named', poke(buffer, 8, view.getInt32(8) + 1)],
      ['partitions fewer than named', poke(buffer, 8, view.getInt32(8) - 1)],
      ['strings negative', poke(buffer, 12, -1)],
      ['strings past the tables', poke(buffer, 12, 100_000)],
      ['used past the buffer', poke(buffer, 16, buffer.byteLength + 1)],
      ['used under the tables', poke(buffer, 16, 30)],
      ['reserved', poke(buffer, 20, 1)],
      ['id 0', poke(buffer, HEADER_BYTES, 0)],
      ['id twice', poke(buffer, HEADER_BYTES, 8)],
      ['a request of 0 partitions', poke(buffer, HEADER_BYTES + 28, 0)],
      ['a request of more partitions than left', poke(buffer, HEADER_BYTES + 28, 99)],
      ['a truncated buffer', buffer.slice(0, 20)],
    ];
    for (const [what, garbled] of cases) expect(`${what}: ${requestOutcome(garbled)}`).toBe(`${what}: whole:INVALID_REQUEST`);
    expect(readRequestIds(poke(buffer, 0, 1))).toEqual([]);
    expect(readRequestIds(poke(buffer, 20, 1))).toEqual([]);
    expect(readRequestIds(poke(buffer, HEADER_BYTES + 28, 0))).toEqual([7, 8, 9]);
    // A string out of the message, or not UTF-8, fails the requests that use it.
    const topicString = stringTable + 0 * STRING_BYTES; // 'orders' is the first string: every request uses it
    expect(requestOutcome(poke(buffer, topicString, 2 ** 30))).toBe('7:INVALID_REQUEST 8:INVALID_REQUEST 9:INVALID_REQUEST');
    expect(requestOutcome(poke(buffer, topicString + 4, -1))).toBe('7:INVALID_REQUEST 8:INVALID_REQUEST 9:INVALID_REQUEST');
    const notUtf8 = buffer.slice(0);
    new Uint8Array(notUtf8)[new DataView(notUtf8).getInt32(topicString)] = 0xff;
    expect(requestOutcome(notUtf8)).toBe('7:INVALID_REQUEST 8:INVALID_REQUEST 9:INVALID_REQUEST');
    expect(strings).toBeGreaterThan(3);
    for (const junk of [undefined, null, 5, 'x', {}, [], new Uint8Array(64), new SharedArrayBuffer(64)]) expect(requestOutcome(junk as ArrayBuffer)).toBe('whole:INVALID_REQUEST');
  });

  it('refuses each answer field out of range as CORRUPT_MESSAGE, for the request it answers where the message holds', () => {
    const buffer = answersFor();
    const view = new DataView(buffer);
    const row = (i: number): number => HEADER_BYTES + i * ANSWER_BYTES;
    const results = HEADER_BYTES + 3 * ANSWER_BYTES;
    const res = (k: number): number => results + k * RESULT_BYTES;
    expect(answerOutcome(buffer)).toBe('7:ok 8:ok 9:NOT_LEADER_OR_FOLLOWER');
    const only7 = '7:CORRUPT_MESSAGE 8:ok 9:NOT_LEADER_OR_FOLLOWER';
    const only8 = '7:ok 8:CORRUPT_MESSAGE 9:NOT_LEADER_OR_FOLLOWER';
    const only9 = '7:ok 8:ok 9:CORRUPT_MESSAGE';
    const hi = (at: number, v: number): ArrayBuffer => poke(buffer, at, v);
    const cases: [string, ArrayBuffer, string][] = [
      ['response flags', hi(row(0) + 16, 4), only7],
      ['a partition of another index', hi(res(0) + 4, 5), only7],
      ['a partition of another topic', hi(res(2), view.getInt32(res(0)) + 50), only7],
      ['an unknown error code', hi(res(0) + 8, 31_337), only7],
      ['an offset past 2^53', hi(res(0) + 16, 0x0020_0000), only7],
      ['a time past 2^53', hi(res(1) + 24, -0x0030_0000), only7],
      ['a log start past 2^53', hi(res(2) + 32, 0x7fff_ffff), only7],
      ['an error message index', hi(res(0) + 40, 999), only7],
      ['record errors without a count', hi(res(0) + 44, 1), only7],
      ['record errors past the table', hi(res(3) + 44, 5), only8],
      ['a record errors count negative', hi(res(3) + 12, -4), only8],
      ['fewer partitions than asked', hi(row(1) + 8, 0), 'whole:CORRUPT_MESSAGE'],
      ['an unknown error code of an error answer', hi(row(2) + 8, 31_337), only9],
      ['an error message index of an error answer', hi(row(2) + 12, -1), only9],
      ['error flags', hi(row(2) + 28, 2), only9],
      ['an answer of another kind', hi(row(2) + 4, 3), 'whole:CORRUPT_MESSAGE'],
      ['magic', hi(0, 5), 'whole:CORRUPT_MESSAGE'],
      ['count past the tables', hi(4, 1000), 'whole:CORRUPT_MESSAGE'],
      ['record errors count in the header', hi(20, -1), 'whole:CORRUPT_MESSAGE'],
      ['strings', hi(12, 1 << 20), 'whole:CORRUPT_MESSAGE'],
      ['more partitions than laid out', hi(row(0) + 8, 50), 'whole:CORRUPT_MESSAGE'],
    ];
    for (const [what, garbled, expected] of cases) expect(`${what}: ${answerOutcome(garbled)}`).toBe(`${what}: ${expected}`);
  });

  it('never throws anything but a TributaryError, whatever bytes arrive (random flips and truncations, seeded)', () => {
    const rng = new Rng(11);
    const req = laid();
    const ans = answersFor();
    let typed = 0;
    for (let i = 0; i < 3000; i++) {
      for (const [base, read] of [
        [req, requestOutcome],
        [ans, answerOutcome],
      ] as const) {
        let garbled = base.slice(0);
        const u = new Uint8Array(garbled);
        const flips = 1 + rng.int(4);
        for (let f = 0; f < flips; f++) u[rng.int(u.length)] = rng.int(256);
        if (rng.int(8) === 0) garbled = garbled.slice(0, rng.int(garbled.byteLength));
        const out = read(garbled);
        if (out.includes('INVALID_REQUEST') || out.includes('CORRUPT_MESSAGE')) typed++;
      }
    }
    expect(typed).toBeGreaterThan(1000);
  });
});
