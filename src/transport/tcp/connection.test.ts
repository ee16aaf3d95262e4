/**
 * A listener over a handler the test controls: answers leave in request order whatever
 * order the handler finishes in, a connection stops being read once its queue of
 * unanswered requests is full (and resumes when answers go out), `max.connections`
 * refuses connections above it, acks=0 Produce gets no answer, and the handler learns
 * the request context.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../broker/request-context.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { Request, Response } from '../../protocol/requests.js';
import { encodeRequest } from '../../protocol/wire/codec.js';
import { KafkaListener } from './listener.js';

interface Call {
  readonly request: Request;
  readonly context: RequestContext | undefined;
  readonly resolve: (r: Response) => void;
}

function metadataResponse(correlation: number): Response {
  // The cluster id carries which request this answers.
  return { apiKey: ApiKey.Metadata, brokers: [], clusterId: `answer-${correlation}`, controllerId: -1, topics: [], throttleTimeMs: 0 };
}

const metadataRequest = (correlationId: number, clientId = 'pipeline-test'): Uint8Array => encodeRequest({ apiKey: ApiKey.Metadata, topics: [], allowAutoTopicCreation: true }, { apiVersion: 1, correlationId, clientId });

class Client {
  readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  readonly answers: Buffer[] = [];
  closed = false;
  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (d) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        this.answers.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
    });
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => {});
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let listener: KafkaListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

function start(limits: Partial<KafkaListener['limits']> = {}): { listener: KafkaListener; calls: Call[] } {
  const calls: Call[] = [];
  listener = new KafkaListener({
    limits,
    handler: () => ({
      handle: <R extends Request>(request: R, context?: RequestContext) => new Promise((resolve) => calls.push({ request, context, resolve: resolve as (r: Response) => void })) as never,
    }),
  });
  return { listener, calls };
}

describe('Connection', () => {
  it('answers in request order when the handler finishes in reverse, and tells the handler who asked', async () => {
    const { listener: l, calls } = start();
    await l.listen();
    const c = new Client(l.port);
    for (let i = 1; i <= 5; i++) c.socket.write(metadataRequest(i));
    await until(() => calls.length === 5, 'five requests handed over');
    expect(calls[0]!.context).toEqual({ listenerName: 'PLAINTEXT', clientId: 'pipeline-test', clientHost: '/127.0.0.1', principal: null, signal: expect.any(AbortSignal), apiVersion: 1 });
    expect(calls[0]!.context!.signal!.aborted).toBe(false);
    for (let i = 4; i >= 0; i--) {
      calls[i]!.resolve(metadataResponse(i + 1));
      await new Promise((r) => setImmediate(r));
      // Nothing leaves before the first request is answered.
      if (i > 0) expect(c.answers).toHaveLength(0);
    }
    await until(() => c.answers.length === 5, 'five answers');
    expect(c.answers.map((a) => a.readInt32BE(0))).toEqual([1, 2, 3, 4, 5]);
    c.socket.destroy();
  });

  it('stops reading a connection whose queue of unanswered requests is full, and resumes as answers go out', async () => {
    const { listener: l, calls } = start({ queuedMaxRequestsPerConnection: 4 });
    await l.listen();
    const c = new Client(l.port);
    for (let i = 1; i <= 50; i++) c.socket.write(metadataRequest(i));
    await until(() => calls.length === 4, 'the first four requests');
    // The socket is paused: however long we wait, no fifth request is read.
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toHaveLength(4);
    let answered = 0;
    while (answered < 50) {
      const pending = calls.slice(answered);
      for (const call of pending) call.resolve(metadataResponse(answered + 1 + pending.indexOf(call)));
      answered += pending.length;
      await until(() => calls.length > answered || answered === 50, `more requests after ${answered} answers`);
      expect(calls.length - answered).toBeLessThanOrEqual(4);
    }
    await until(() => c.answers.length === 50, 'fifty answers');
    expect(c.answers.map((a) => a.readInt32BE(0))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    c.socket.destroy();
  });

  it('gives a Produce with acks=0 no answer, and still answers the next request', async () => {
    const { listener: l, calls } = start();
    await l.listen();
    const c = new Client(l.port);
    const produce = encodeRequest({ apiKey: ApiKey.Produce, transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [] }, { apiVersion: 7, correlationId: 1, clientId: 'p' });
    c.socket.write(Buffer.concat([produce, metadataRequest(2)]));
    await until(() => calls.length === 2, 'both requests');
    calls[0]!.resolve({ apiKey: ApiKey.Produce, responses: [], throttleTimeMs: 0 });
    calls[1]!.resolve(metadataResponse(2));
    await until(() => c.answers.length === 1, 'the metadata answer');
    await new Promise((r) => setTimeout(r, 100));
    expect(c.answers.map((a) => a.readInt32BE(0))).toEqual([2]);
    // An acks=0 Produce that failed closes the connection, as in Kafka: the producer learns of it no other way.
    c.socket.write(produce);
    await until(() => calls.length === 3, 'the third request');
    calls[2]!.resolve({ apiKey: ApiKey.Produce, responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage: null }] }], throttleTimeMs: 0 });
    await until(() => c.closed, 'the close');
    expect(c.answers).toHaveLength(1);
  });

  it('closes an idle connection (connections.max.idle.ms) and one stopped mid-frame, but not one waiting for an answer', async () => {
    const { listener: l, calls } = start({ connectionsMaxIdleMs: 300 });
    await l.listen();
    const idle = new Client(l.port);
    const mid = new Client(l.port);
    mid.socket.write(metadataRequest(1).subarray(0, 9));
    const waiting = new Client(l.port);
    waiting.socket.write(metadataRequest(2));
    await until(() => idle.closed && mid.closed, 'the idle connections closed');
    expect(mid.answers).toHaveLength(0);
    // The connection with a request in flight stays open however long the answer takes.
    expect(calls).toHaveLength(1);
    expect(waiting.closed).toBe(false);
    calls[0]!.resolve(metadataResponse(2));
    await until(() => waiting.answers.length === 1, 'the late answer');
    await until(() => waiting.closed, 'the idle close after the answer');
  });

  it('closes connections above max.connections as they are accepted', async () => {
    const { listener: l } = start({ maxConnections: 2 });
    await l.listen();
    const a = new Client(l.port);
    const b = new Client(l.port);
    await until(() => l.connectionCount === 2, 'two connections');
    const third = new Client(l.port);
    await until(() => third.closed, 'the third connection closed');
    expect(a.closed || b.closed).toBe(false);
    a.socket.destroy();
    b.socket.destroy();
  });

  it('refuses a transactional producer clearly: FindCoordinator for a transaction and InitProducerId with a transactional id', async () => {
    const { listener: l, calls } = start();
    await l.listen();
    const c = new Client(l.port);
    c.socket.write(encodeRequest({ apiKey: ApiKey.FindCoordinator, keyType: 1, coordinatorKeys: ['tx-1'] }, { apiVersion: 2, correlationId: 1, clientId: 'tx' }));
    c.socket.write(encodeRequest({ apiKey: ApiKey.InitProducerId, transactionalId: 'tx-1', transactionTimeoutMs: 60_000 }, { apiVersion: 1, correlationId: 2, clientId: 'tx' }));
    await until(() => c.answers.length === 2, 'two answers');
    expect(calls).toHaveLength(0);
    // FindCoordinator v2: correlation id, throttle time, error code 53 (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, fatal in librdkafka), then a message.
    expect(c.answers[0]!.readInt16BE(8)).toBe(53);
    expect(c.answers[0]!.toString('latin1')).toContain('transactions');
    // InitProducerId v1: correlation id, throttle time, error code 53.
    expect(c.answers[1]!.readInt16BE(8)).toBe(53);
    c.socket.destroy();
  });
});
