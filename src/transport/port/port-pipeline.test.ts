/**
 * How a producer over a handle keeps both threads working: the cluster's side answers a
 * message of several requests as it works through them (not all at once at its end), and
 * the buffers that carried a Produce request's batches come back with its answer to carry
 * the next ones. Everything is counted (messages posted, buffers allocated), never timed.
 */
import { MessageChannel, MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../cluster.js';
import { connectHandle } from '../../connect-handle.js';
import { useHandleCluster } from '../../../test/helpers/handle-cluster.js';
import { isTributaryError } from '../../util/errors.js';
import { QUEUED_REQUESTS_MAX } from './port-server.js';
import { PortTransport } from './port-transport.js';
import { ANSWER_BYTES, ANSWERS_MAGIC, HEADER_BYTES, readRequestIds, REQUESTS_MAGIC } from './produce-layout.js';

type Posted = { t?: string; id?: number; list?: Posted[]; back?: unknown[]; buffer?: ArrayBuffer; buffers?: ArrayBuffer[] };

/** Every message posted on any port while on, with its transfer list's length. */
function spyPosts(): { posted: { m: Posted; transferred: number; ids: number[]; requests: boolean; answers: boolean; back: number }[]; restore(): void } {
  const proto = MessagePort.prototype as unknown as { postMessage(m: unknown, transfer?: readonly ArrayBuffer[]): void };
  const original = proto.postMessage;
  const posted: { m: Posted; transferred: number; ids: number[]; requests: boolean; answers: boolean; back: number }[] = [];
  proto.postMessage = function (this: MessagePort, m: unknown, transfer?: readonly ArrayBuffer[]) {
    // (the ids read before the post detaches a laid message's buffers)
    if (m !== null && typeof m === 'object') {
      const p = m as Posted;
      posted.push({ m: p, transferred: transfer?.length ?? 0, ids: ids(p), requests: isRequests(p), answers: isAnswers(p), back: backOf(p) });
    }
    original.call(this, m, transfer as ArrayBuffer[]);
  };
  return { posted, restore: () => (proto.postMessage = original) };
}

/**
 * The request ids a message carries: typed ones, or those of a laid Produce message
 * (`produce-layout.ts`, read as the spy sees it, before the post detaches its buffer).
 */
function ids(m: Posted): number[] {
  if (m instanceof ArrayBuffer) return magic(m) === REQUESTS_MAGIC ? readRequestIds(m) : answerIds(m);
  if (Array.isArray(m)) return (m as ArrayBuffer[]).filter((b) => magic(b) === ANSWERS_MAGIC).flatMap(answerIds);
  if (m.t === 'answers' || m.t === 'reqs') return (m.list ?? []).flatMap(ids);
  if (m.t === 'laid' && m.buffer !== undefined) return readRequestIds(m.buffer);
  if (m.t === 'laid') return (m.buffers ?? []).flatMap(answerIds);
  return [m.id!];
}

/** The ids an answer buffer answers (each answer row starts with its request's id). */
function answerIds(buffer: ArrayBuffer): number[] {
  const view = new DataView(buffer);
  return Array.from({ length: view.getInt32(4) }, (_, i) => view.getInt32(HEADER_BYTES + i * ANSWER_BYTES));
}

const magic = (b: ArrayBuffer): number => (b.byteLength >= 4 ? new DataView(b).getInt32(0) : 0);

/** The request buffers an answer message gives back (a bare array: the buffers that are not answers). */
const backOf = (m: Posted): number =>
  Array.isArray(m) ? (m as ArrayBuffer[]).filter((b) => magic(b) !== ANSWERS_MAGIC).length : m.t === 'answers' ? (m.list ?? []).reduce((n, a) => n + backOf(a), 0) : (m.back?.length ?? 0);
// A laid run posted alone crosses bare: requests as their buffer, answers as theirs or an array of buffers.
const isRequests = (m: Posted): boolean => (m instanceof ArrayBuffer ? magic(m) === REQUESTS_MAGIC : m.t === 'req' || m.t === 'reqs' || (m.t === 'laid' && m.buffer !== undefined));
const isAnswers = (m: Posted): boolean => (m instanceof ArrayBuffer ? magic(m) === ANSWERS_MAGIC : Array.isArray(m) || m.t === 'res' || m.t === 'answers' || (m.t === 'laid' && m.buffers !== undefined));

/** Record `i`'s value: 100 bytes, `i` in the first four, the rest made from `i`, so a stale byte would show. */
function valueOf(i: number): Uint8Array {
  const v = Uint8Array.from({ length: 100 }, (_, k) => (i * 7 + k * 13) % 251);
  new DataView(v.buffer).setUint32(0, i);
  return v;
}

describe('a producer over a handle, pipelined', () => {
  const fixture = useHandleCluster();

  it('answers a message of several requests request by request, and every record arrives intact', async () => {
    const producer = fixture.remote().producer({ lingerMs: 0, batchSize: 2048 });
    // Warm-up: metadata, producer id, and a first acknowledged batch per partition (until then one batch at a time).
    await producer.send('t', [0, 1, 2, 3].map((partition) => ({ partition, value: 'warm-up' })));
    const spy = spyPosts();
    let n = 0;
    try {
      // 12 KiB a partition in batches of 2 KiB: five batches a partition go at once, in five requests of one message.
      for (let call = 0; call < 3; call++) await producer.send('t', Array.from({ length: 480 }, () => ({ partition: n % 4, value: valueOf(n++) })));
    } finally {
      spy.restore();
    }
    const requests = spy.posted.filter((p) => p.requests);
    const answers = spy.posted.filter((p) => p.answers);
    const several = requests.filter((p) => p.ids.length >= 3);
    expect(several.length).toBeGreaterThan(0);
    for (const r of several) {
      // The answers to one message of k requests: in k messages (before this change, one).
      const mine = new Set(r.ids);
      const carrying = answers.filter((a) => a.ids.some((id) => mine.has(id)));
      expect(carrying.length).toBe(mine.size);
    }
    // Every request answered once.
    const answered = answers.flatMap((a) => a.ids);
    expect(new Set(answered).size).toBe(answered.length);
    expect(answered.length).toBe(requests.reduce((s, r) => s + r.ids.length, 0));

    const consumer = fixture.cluster().consumer({ maxWaitMs: 10 });
    consumer.assign([0, 1, 2, 3].map((partition) => ({ topic: 't', partition })));
    for (const partition of [0, 1, 2, 3]) await consumer.seek({ topic: 't', partition }, 1);
    let read = 0;
    for await (const r of consumer) {
      const i = 4 * (r.offset - 1) + r.partition;
      expect(Uint8Array.from(r.value as Uint8Array)).toEqual(valueOf(i));
      if (++read === n) break;
    }
    await consumer.close();
  });

  it('sends the next Produce requests in the buffers the answers brought back: no buffer made a request once warm', async () => {
    const producer = fixture.remote().producer({ lingerMs: 0 });
    const call = (from: number) => Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 64}`, value: valueOf(from + i) }));
    let n = 0;
    for (let i = 0; i < 5; i++) await Promise.all([0, 1, 2, 3].map(() => producer.send('t', call((n += 1000) - 1000))));
    const made: number[] = [];
    const alloc = Buffer.allocUnsafeSlow;
    Buffer.allocUnsafeSlow = (size: number) => {
      made.push(size);
      return alloc(size);
    };
    const spy = spyPosts();
    try {
      for (let i = 0; i < 10; i++) await Promise.all([0, 1, 2, 3].map(() => producer.send('t', call((n += 1000) - 1000))));
    } finally {
      Buffer.allocUnsafeSlow = alloc;
      spy.restore();
    }
    const sent = spy.posted.filter((p) => p.requests).reduce((s, p) => s + p.transferred, 0);
    const back = spy.posted.filter((p) => p.answers).reduce((s, p) => s + p.back, 0);
    // 40 calls of 1,000 records, about 100 KiB each: a buffer a message of requests crossed (laid out), and each came back.
    expect(sent).toBeGreaterThanOrEqual(20);
    expect(back).toBe(sent);
    // A buffer per request before (exact sizes, made and dropped); now the spare ones carry them all.
    expect(made.length).toBeLessThanOrEqual(2);

    // Every record of every call, byte for byte: no stale byte of a reused buffer got in.
    const consumer = fixture.cluster().consumer({ maxWaitMs: 10 });
    consumer.assign([0, 1, 2, 3].map((partition) => ({ topic: 't', partition })));
    for (const partition of [0, 1, 2, 3]) await consumer.seek({ topic: 't', partition }, 'earliest');
    const seen = new Uint8Array(n);
    let read = 0;
    for await (const r of consumer) {
      const v = r.value as Uint8Array;
      const i = new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0);
      // (one comparison, not an expect a record: 60,000 of them)
      if (i < n && Buffer.compare(v, valueOf(i)) === 0) seen[i]!++;
      if (++read === n) break;
    }
    await consumer.close();
    expect(seen.every((c) => c === 1)).toBe(true);
  });
});

describe('buffers given back, across the boundary', () => {
  it('a Produce message whose requests share one buffer, or carry no bytes, gets typed answers; the cluster carries on', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 't' }]);
    const handle = cluster.createHandle();
    const answers: Posted[] = [];
    const settled = (): Posted[] => answers.flatMap((a) => (a.t === 'answers' ? (a.list as Posted[]) : a.t === 'res' || a.t === 'err' ? [a] : []));
    const allAnswered = new Promise<void>((resolve) =>
      handle.port.on('message', (m: Posted) => {
        answers.push(m);
        if (settled().length >= 5) resolve();
      }),
    );
    handle.port.postMessage({ t: 'hello', clientId: 'garbage', clientHost: 'here' });
    const shared = new Uint8Array(64).fill(9); // not a batch
    const produce = (records: unknown) => ({ apiKey: 0, transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] });
    handle.port.postMessage({
      t: 'reqs',
      list: [
        { id: 1, node: 1, req: produce(shared) },
        { id: 2, node: 1, req: produce(shared) },
        { id: 3, node: 1, req: { apiKey: 0, topicData: 5 } },
        { id: 4, node: 1, req: produce('not bytes') },
        { id: 5, node: 1, req: { apiKey: 0, topicData: [null, { partitionData: [7, null, { records: shared }] }] } },
      ],
    });
    await allAnswered;
    expect(settled().map((a) => a.id).sort()).toEqual([1, 2, 3, 4, 5]);
    // The shared buffer came back once at most, with the last request that held it, never under one still being handled.
    const backs = settled().flatMap((a) => (Array.isArray(a.back) ? a.back : []));
    expect(backs.length).toBeLessThanOrEqual(1);
    expect(backs.every((b) => b instanceof ArrayBuffer)).toBe(true);
    handle.port.close();

    // The cluster's thread is fine: a producer over a new handle writes.
    await using remote = await connectHandle(cluster.createHandle());
    const [meta] = await remote.producer().send('t', [{ value: 'still fine' }]);
    expect(meta!.offset).toBe(0);
  });

  it('a port that posts more requests than may wait gets the excess refused, typed, and the rest answered', async () => {
    await using cluster = await Cluster.start();
    const handle = cluster.createHandle();
    const total = QUEUED_REQUESTS_MAX + 5;
    const answers: Posted[] = [];
    const settled = (): Posted[] => answers.flatMap((a) => (a.t === 'answers' ? (a.list as Posted[]) : a.t === 'res' || a.t === 'err' ? [a] : []));
    let n = 0;
    const allAnswered = new Promise<void>((resolve) =>
      handle.port.on('message', (m: Posted) => {
        answers.push(m);
        n += m.t === 'answers' ? (m.list ?? []).length : m.t === 'res' || m.t === 'err' ? 1 : 0;
        if (n >= total) resolve();
      }),
    );
    handle.port.postMessage({ t: 'hello', clientId: 'flood', clientHost: 'here' });
    handle.port.postMessage({ t: 'reqs', list: Array.from({ length: total }, (_, i) => ({ id: i + 1, node: 1, req: { apiKey: 18 } })) });
    await allAnswered;
    const refused = settled().filter((a) => a.t === 'err');
    expect(refused.map((a) => a.id)).toEqual([1, 2, 3, 4, 5].map((k) => QUEUED_REQUESTS_MAX + k));
    expect(refused.every((a) => (a as { code?: string }).code === 'INVALID_REQUEST')).toBe(true);
    expect(settled().length).toBe(total);
    handle.port.close();
  });

  it('a client drops what comes back that is not a buffer worth keeping', async () => {
    const { port1, port2 } = new MessageChannel();
    const transport = new PortTransport(port2, [1], undefined, { clientId: 'c', clientHost: 'h' });
    port1.on('message', (m: { t: string; id?: number; list?: { id: number }[] }) => {
      if (m.t === 'hello') port1.postMessage({ t: 'welcome' });
      for (const r of m.t === 'req' ? [m as { id: number }] : m.t === 'reqs' ? m.list! : []) {
        port1.postMessage({ t: 'res', id: r.id, res: { apiKey: 18, errorCode: 'NONE' }, back: [null, 'x', 7, new ArrayBuffer(8), { byteLength: 1 << 20 }] });
      }
    });
    await transport.ready;
    const res = await transport.send(1, { apiKey: 18 } as never);
    expect(res).toEqual({ apiKey: 18, errorCode: 'NONE' });
    await transport.close();
    port1.close();
    await expect(transport.send(1, { apiKey: 18 } as never)).rejects.toSatisfy((e) => isTributaryError(e, 'CLIENT_CLOSED'));
  });
});
