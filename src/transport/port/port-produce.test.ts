/**
 * Produce requests through the port transport in its fixed layout (produce-layout.ts), over
 * a real `MessageChannel` between a `PortTransport` and a `PortServer`: the Produce requests
 * of one turn cross in one buffer and are handed to the node in order, among the port's
 * other requests; each keeps its own answer or error when others of the same message fail;
 * the answers ready in one turn come back in one message with the request buffer given back;
 * the producer's marks are believed only on a port the cluster trusts; a turn that holds
 * more than one buffer may (requests, partitions) is cut, never refused; garbage posted to
 * either end is a typed error or a warning, never a throw, and the port keeps serving.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/api-keys.js';
import type { ProduceRequest, ProduceResponse } from '../../protocol/produce.js';
import type { Request, Response } from '../../protocol/requests.js';
import { encodeBatchUncompressed } from '../../record/batch.js';
import { checksummedHere, markChecksummedHere } from '../../record/checksummed-here.js';
import { TributaryError } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { NodeHandler } from '../transport.js';
import { PortServer } from './port-server.js';
import { PortTransport } from './port-transport.js';
import { ANSWERS_MAGIC, canLayOut, LAID_PARTITIONS_MAX, readAnswers, writeRequests } from './produce-layout.js';

function produce(partition: number, marked = true, topic = 't'): ProduceRequest {
  const records = encodeBatchUncompressed([{ value: Buffer.alloc(100, partition) }], { now: 1 });
  if (marked) markChecksummedHere(records);
  return { apiKey: ApiKey.Produce, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

const ok = (r: ProduceRequest, baseOffset: number): ProduceResponse => ({
  apiKey: ApiKey.Produce,
  responses: r.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: 'NONE', baseOffset, logAppendTimeMs: -1, logStartOffset: 0 })) })),
  throttleTimeMs: 0,
});

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

type ProduceHandler = (request: ProduceRequest) => Promise<ProduceResponse>;

/** What crossed a port: messages posted, and the laid buffers among them. */
interface Posts {
  messages: number;
  laid: number;
}

function watch(port: MessagePort): Posts {
  const posts: Posts = { messages: 0, laid: 0 };
  const post = port.postMessage.bind(port);
  port.postMessage = (m: unknown, t?: readonly ArrayBuffer[]) => {
    posts.messages++;
    // A laid run posted alone crosses bare: its buffer, or an array of answer buffers and buffers given back.
    if (m instanceof ArrayBuffer) posts.laid++;
    else if (Array.isArray(m)) posts.laid += m.filter((b) => b instanceof ArrayBuffer && new DataView(b).getInt32(0) === ANSWERS_MAGIC).length;
    else {
      const list = (m as { t?: string; list?: unknown[] }).t === 'reqs' || (m as { t?: string }).t === 'answers' ? ((m as { list: unknown[] }).list ?? []) : [m];
      for (const e of list) {
        const x = e as { t?: string; buffers?: unknown[] };
        if (x?.t === 'laid') posts.laid += Array.isArray(x.buffers) ? x.buffers.length : 1;
      }
    }
    post(m, t as never);
  };
  return posts;
}

async function pair(produceHandler: ProduceHandler, options: { trusted?: boolean; log?: Logger; other?: NodeHandler['handle'] } = {}): Promise<{ t: PortTransport; sent: Posts; answered: Posts; close(): Promise<void> }> {
  const { port1, port2 } = new MessageChannel();
  const answered = watch(port2);
  const handler: NodeHandler = {
    handle: ((request: Request, context: unknown) => (request.apiKey === ApiKey.Produce ? produceHandler(request) : (options.other?.(request, context as never) ?? Promise.reject(new TributaryError('INVALID_REQUEST', 'not here'))))) as NodeHandler['handle'],
  };
  const server = new PortServer(port2, (id) => (id === 1 ? handler : undefined), options.log ?? silentLogger, () => {}, options.trusted === true);
  const sent = watch(port1);
  const t = new PortTransport(port1, [1], 'run', { clientId: 'test', clientHost: 'inline' });
  await t.ready;
  sent.messages = 0;
  answered.messages = 0;
  return {
    t,
    sent,
    answered,
    close: async () => {
      await t.close();
      server.close();
    },
  };
}

const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    (r) => {
      const res = r as ProduceResponse;
      return `${res.responses[0]!.partitionResponses[0]!.errorCode}@${res.responses[0]!.partitionResponses[0]!.baseOffset}`;
    },
    (e: unknown) => (e instanceof TributaryError ? e.code : `untyped: ${String(e)}`),
  );

describe('Produce through the port transport, in its fixed layout', () => {
  it('sends the requests of one turn in one buffer, in order, and answers each with its own response or error', async () => {
    const seen: { partition: number; marked: boolean }[] = [];
    let slowAnswer: (() => void) | undefined;
    const handler: ProduceHandler = (request) => {
      const p = request.topicData[0]!.partitionData[0]!;
      seen.push({ partition: p.index, marked: checksummedHere(p.records!) });
      if (request.topicData[0]!.name === 'missing') return Promise.resolve({ apiKey: ApiKey.Produce, responses: [{ name: 'missing', partitionResponses: [{ index: p.index, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 }] }] });
      if (p.index === 3) return Promise.reject(new TributaryError('REQUEST_TIMED_OUT', 'acks timed out', { topic: 't', partition: 3 }));
      if (p.index === 4) return Promise.reject(new Error('a bug'));
      if (p.index === 5) return new Promise((resolve) => (slowAnswer = () => resolve(ok(request, 500))));
      return Promise.resolve(ok(request, p.index * 10));
    };
    const { t, sent, answered, close } = await pair(handler, { trusted: true });
    try {
      const out = [produce(0), produce(1, false), produce(7, true, 'missing'), produce(3), produce(4), produce(5), produce(2)].map((r) => outcome(t.send(1, r)));
      const fast = Promise.all([out[0], out[1], out[2], out[3], out[4], out[6]]);
      expect(await fast).toEqual(['NONE@0', 'NONE@10', 'UNKNOWN_TOPIC_OR_PARTITION@-1', 'REQUEST_TIMED_OUT', 'UNKNOWN_SERVER_ERROR', 'NONE@20']);
      expect([sent.messages, sent.laid]).toEqual([1, 1]);
      // Handed to the node in the order sent, each batch marked only where the producer's was (a trusted port).
      expect(seen.map((s) => s.partition)).toEqual([0, 1, 7, 3, 4, 5, 2]);
      expect(seen.map((s) => s.marked)).toEqual([true, false, true, true, true, true, true]);
      // The six ready in one turn came back in one message; the slow one comes alone, later.
      expect([answered.messages, answered.laid]).toEqual([1, 1]);
      slowAnswer!();
      expect(await out[5]).toBe('NONE@500');
      expect([answered.messages, answered.laid]).toEqual([2, 2]);
    } finally {
      await close();
    }
  });

  it('believes the producer’s mark only on a port the cluster trusts', async () => {
    const marks: boolean[] = [];
    const { t, close } = await pair((request) => {
      marks.push(checksummedHere(request.topicData[0]!.partitionData[0]!.records!));
      return Promise.resolve(ok(request, 1));
    });
    try {
      await Promise.all([t.send(1, produce(0)), t.send(1, produce(1))]);
      expect(marks).toEqual([false, false]);
    } finally {
      await close();
    }
  });

  it('keeps a Produce request in its place among the port’s other requests, and lays out only what fits', async () => {
    const order: string[] = [];
    const other: NodeHandler['handle'] = ((request: Request) => {
      order.push(`api${request.apiKey}`);
      return Promise.resolve({ apiKey: ApiKey.Metadata, brokers: [], clusterId: 'x', controllerId: -1, topics: [], throttleTimeMs: 0 } as Response);
    }) as NodeHandler['handle'];
    const { t, sent, close } = await pair((request) => {
      order.push(`p${request.topicData[0]!.partitionData[0]!.index}`);
      return Promise.resolve(ok(request, 1));
    }, { other });
    try {
      const meta = (): Request => ({ apiKey: ApiKey.Metadata, topics: [], allowAutoTopicCreation: false });
      const garbled = { ...produce(9), acks: 'all' } as unknown as Request; // not laid out: the typed way, refused by the node's own checks
      await Promise.all([t.send(1, produce(0)), t.send(1, produce(1)), t.send(1, meta()), t.send(1, produce(2)), t.send(1, garbled), t.send(1, produce(3))]);
      expect(order).toEqual(['p0', 'p1', 'api3', 'p2', 'p9', 'p3']);
      expect([sent.messages, sent.laid]).toEqual([1, 3]);
    } finally {
      await close();
    }
  });

  it('gives the request buffer back once every request in it is answered, and reuses it', async () => {
    const { t, sent, close } = await pair((request) => Promise.resolve(ok(request, 1)));
    const spare = (t as unknown as { spare: { size: number } }).spare;
    try {
      await Promise.all([t.send(1, produce(0)), t.send(1, produce(1))]);
      expect(spare.size).toBe(1);
      await t.send(1, produce(2));
      expect(spare.size).toBe(1); // taken for the second message and given back again
      expect(sent.laid).toBe(2);
    } finally {
      await close();
    }
  });

  it('keeps the request buffer when a request in it failed (its handler may hold a view)', async () => {
    const { t, close } = await pair((request) => (request.topicData[0]!.partitionData[0]!.index === 1 ? Promise.reject(new TributaryError('REQUEST_TIMED_OUT')) : Promise.resolve(ok(request, 1))));
    const spare = (t as unknown as { spare: { size: number } }).spare;
    try {
      expect(await Promise.all([outcome(t.send(1, produce(0))), outcome(t.send(1, produce(1)))])).toEqual(['NONE@1', 'REQUEST_TIMED_OUT']);
      expect(spare.size).toBe(0);
    } finally {
      await close();
    }
  });

  it('answers a garbled Produce message with typed errors for the ids it names, drops one that names none, and keeps serving', async () => {
    const warned: string[] = [];
    const log = { ...silentLogger, warn: (_f: object, msg: string) => void warned.push(msg) } as unknown as Logger;
    const { port1, port2 } = new MessageChannel();
    new PortServer(port2, () => ({ handle: ((request: ProduceRequest) => Promise.resolve(ok(request, 3))) as unknown as NodeHandler['handle'] }), log, () => {});
    const answers: unknown[] = [];
    port1.on('message', (m: unknown) => answers.push(m));
    try {
      port1.postMessage({ t: 'hello', clientId: 'raw', clientHost: 'raw' });
      const { buffer } = writeRequests([{ id: 41, node: 1, request: produce(0), context: undefined, checked: true }], (n) => new ArrayBuffer(n));
      const garbled = buffer.slice(0);
      new DataView(garbled).setInt32(8, 9); // more partitions than the requests name
      port1.postMessage(garbled, [garbled]); // a run posted alone crosses bare
      for (const junk of [{ t: 'laid' }, new ArrayBuffer(3), { t: 'laid', buffer: 'x' }, { t: 'reqs', list: [{ t: 'laid', buffer: [1, 2] }] }, new ArrayBuffer(0)]) port1.postMessage(junk);
      port1.postMessage({ t: 'laid', buffer }, [buffer]);
      const read = (): (string | number | undefined)[][] =>
        answers
          .flatMap((m) => (m instanceof ArrayBuffer ? [m] : Array.isArray(m) ? m.filter((b) => new DataView(b).getInt32(0) === ANSWERS_MAGIC) : []))
          .flatMap((b) => readAnswers(b, 'node 1', () => produce(0)))
          .map((a) => [a.id, a.error?.code ?? a.response?.responses[0]!.partitionResponses[0]!.baseOffset]);
      for (let i = 0; i < 100 && read().length < 2; i++) await turns(1);
      // The garbled message's id refused typed; the same id, sent again well formed, answered.
      expect(read()).toEqual([
        [41, 'INVALID_REQUEST'],
        [41, 3],
      ]);
      expect(warned.length).toBe(5);
    } finally {
      port1.close();
    }
  });

  it('answers every request when a turn holds more than one buffer can: more requests or partitions than LAID_*_MAX', async () => {
    // 1,500 requests in one turn cross in two buffers; the node answers them all in one turn,
    // and those answers must cross in buffers the client reads (at most LAID_REQUESTS_MAX
    // answers each), or every request in flight failed CORRUPT_MESSAGE though the node had
    // appended it.
    const held: (() => void)[] = [];
    const total = 1500;
    const handler: ProduceHandler = (request) =>
      new Promise<ProduceResponse>((resolve) => {
        held.push(() => resolve(ok(request, 7)));
        if (held.length === total) for (const release of held) release();
      });
    const { t, sent, answered, close } = await pair(handler, { trusted: true });
    try {
      const got = await Promise.all(Array.from({ length: total }, (_, i) => outcome(t.send(1, produce(i % 50)))));
      expect(got.filter((g) => g !== 'NONE@7')).toEqual([]);
      expect([sent.messages, sent.laid]).toEqual([1, 2]);
      expect(answered.laid).toBe(2);
    } finally {
      await close();
    }
  });

  it('keeps a buffer under LAID_PARTITIONS_MAX partitions: two requests over 40,000 partitions each are both answered, and a wider one goes typed', async () => {
    const wide = (n: number): ProduceRequest => ({ apiKey: ApiKey.Produce, acks: -1, timeoutMs: 30_000, topicData: [{ name: 'w', partitionData: Array.from({ length: n }, (_, index) => ({ index, records: null })) }] });
    const { t, sent, close } = await pair((request) => Promise.resolve(ok(request, 1)), { trusted: true });
    try {
      const [a, b] = (await Promise.all([t.send(1, wide(40_000)), t.send(1, wide(40_000))])) as ProduceResponse[];
      expect([a!.responses[0]!.partitionResponses.length, b!.responses[0]!.partitionResponses.length]).toEqual([40_000, 40_000]);
      expect(sent.laid).toBe(2);
      const tooWide = wide(LAID_PARTITIONS_MAX + 1);
      expect([canLayOut(wide(40_000)), canLayOut(tooWide)]).toEqual([true, false]);
      const c = (await t.send(1, tooWide)) as ProduceResponse;
      expect(c.responses[0]!.partitionResponses.length).toBe(LAID_PARTITIONS_MAX + 1);
      expect(sent.laid).toBe(2);
    } finally {
      await close();
    }
  });

  it('wraps its correlation ids round within an int32 (the layout’s id field), past an id still in flight', async () => {
    let release: (() => void) | undefined;
    const { t, close } = await pair((request) => (request.topicData[0]!.partitionData[0]!.index === 9 ? new Promise((resolve) => (release = () => resolve(ok(request, 9)))) : Promise.resolve(ok(request, 1))));
    try {
      const ids = t as unknown as { nextId: number };
      ids.nextId = 1;
      const held = outcome(t.send(1, produce(9))); // id 1, held
      ids.nextId = 0x7fff_fffe;
      const got = await Promise.all([0, 1, 2].map((p) => outcome(t.send(1, produce(p))))); // ids 2^31 - 2, 2^31 - 1, then 2 (1 is in flight)
      expect(got).toEqual(['NONE@1', 'NONE@1', 'NONE@1']);
      expect(ids.nextId).toBe(3);
      release!();
      expect(await held).toBe('NONE@9');
    } finally {
      await close();
    }
  });

  it('fails the Produce requests in flight typed when an answer is garbled, or the port goes', async () => {
    const { port1, port2 } = new MessageChannel();
    port2.on('message', (m: { t?: string }) => {
      if (m.t === 'hello') port2.postMessage({ t: 'welcome' });
      else if (m instanceof ArrayBuffer) port2.postMessage(new ArrayBuffer(10)); // not an answer buffer
      else if (m.t === 'req') port2.postMessage({ t: 'res', id: (m as { id: number }).id, res: { apiKey: 0, responses: [] } });
    });
    const t = new PortTransport(port1, [2], undefined, { clientId: 'x', clientHost: 'y' });
    await t.ready;
    expect(await outcome(t.send(2, produce(0)))).toBe('CORRUPT_MESSAGE');
    // An object where the layout was due is not believed either.
    port2.removeAllListeners('message');
    port2.on('message', (m: { t?: string }) => port2.postMessage({ t: 'answers', list: [{ t: 'res', id: 2, res: ok(produce(1), 1) }] }));
    expect(await outcome(t.send(2, produce(1)))).toBe('CORRUPT_MESSAGE');
    port2.removeAllListeners('message');
    port2.on('message', () => port2.close());
    expect(await outcome(t.send(2, produce(1)))).toBe('NETWORK_EXCEPTION');
    expect(await outcome(t.send(2, produce(2)))).toBe('NETWORK_EXCEPTION');
  });
});
