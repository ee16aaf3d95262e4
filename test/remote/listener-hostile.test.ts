/**
 * The Kafka listener under clients that misbehave on purpose, over a handler the test
 * controls (so what the listener does is seen apart from what a broker answers):
 * - a client that pipelines a thousand requests and never reads its answers: the listener
 *   stops taking requests once the socket's write buffer is full, so the answers it holds
 *   stay bounded (before, every request already read from the socket was handed to the
 *   broker and its answer buffered: 1,000 pipelined Fetches of 1 MiB held 800 MiB);
 * - a TLS listener given plain bytes, or nothing at all: the first is refused at once, the
 *   second closed after `connections.max.idle.ms` like any idle connection.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/broker/request-context.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { Request, Response } from '../../src/protocol/requests.js';
import { encodeRequest } from '../../src/protocol/wire/codec.js';
import { KafkaListener, type ListenerLimits } from '../../src/transport/tcp/listener.js';
import { zeroUuid } from '../../src/util/uuid.js';

let listener: KafkaListener | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await listener?.close();
  listener = undefined;
});

const metadataRequest = (correlationId: number): Uint8Array => encodeRequest({ apiKey: ApiKey.Metadata, topics: [], allowAutoTopicCreation: true }, { apiVersion: 1, correlationId, clientId: 'hostile' });

/** A listener whose handler answers every Metadata request at once with `answer(n)`, counting the requests it was handed. */
async function answering(limits: Partial<ListenerLimits>, answer: (n: number) => Response): Promise<{ listener: KafkaListener; handled: () => number }> {
  let n = 0;
  listener = new KafkaListener({
    limits,
    handler: () => ({ handle: <R extends Request>(_request: R, _context?: RequestContext) => Promise.resolve(answer(++n)) as never }),
  });
  await listener.listen();
  return { listener, handled: () => n };
}

function open(port: number): Socket {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  sockets.push(s);
  return s;
}

/** Reads size-prefixed frames from a socket, returning each frame's correlation id. */
function readCorrelationIds(s: Socket): number[] {
  const ids: number[] = [];
  let buffered: Buffer = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    buffered = buffered.length === 0 ? d : Buffer.concat([buffered, d]);
    while (buffered.length >= 8 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      ids.push(buffered.readInt32BE(4));
      buffered = buffered.subarray(4 + buffered.readInt32BE(0));
    }
  });
  return ids;
}

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets every callback queued now (and those they queue, a few rounds deep) run. */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

describe('the listener under a client that does not read', () => {
  it('a thousand pipelined requests with large answers: requests are taken only while the answers can be written', async () => {
    // Each answer is about 256 KiB (a thousand topics with long names); a thousand of them
    // would be 256 MiB held for a client that reads nothing.
    const topics = Array.from({ length: 1000 }, (_, i) => ({ errorCode: 'NONE' as const, name: `${i}-${'t'.repeat(240)}`, topicId: zeroUuid, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 }));
    const { listener: l, handled } = await answering({ queuedMaxRequestsPerConnection: 4 }, (n) => ({ apiKey: ApiKey.Metadata, brokers: [], clusterId: `answer-${n}`, controllerId: -1, topics, throttleTimeMs: 0 }));
    const s = open(l.port);
    await new Promise((r) => s.once('connect', r));
    s.pause();
    s.write(Buffer.concat(Array.from({ length: 1000 }, (_, i) => metadataRequest(i + 1))));
    await until(() => handled() >= 4, 'the first requests handed over');
    await settle();
    // What the kernel's socket buffers hold (a few MiB on loopback) plus the queue: far
    // below the thousand requests sent.
    const whileNotReading = handled();
    expect(whileNotReading).toBeLessThan(200);
    // Once the client reads, every request is answered, in order.
    const ids = readCorrelationIds(s);
    s.resume();
    await until(() => ids.length === 1000, 'a thousand answers');
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(handled()).toBe(1000);
  });
});

describe('a TLS listener under clients that do not speak TLS', () => {
  const testdata = fileURLToPath(new URL('../../src/transport/tcp/testdata/', import.meta.url));
  const tls = { key: readFileSync(`${testdata}key.pem`), cert: readFileSync(`${testdata}cert.pem`) };

  it('plain Kafka bytes are refused at once; a connection that never starts its handshake is closed after connections.max.idle.ms, not after node:tls’s 120 s', async () => {
    listener = new KafkaListener({ tls, limits: { connectionsMaxIdleMs: 300 }, handler: () => undefined });
    await listener.listen();
    const plain = open(listener.port);
    let plainClosed = false;
    plain.on('close', () => (plainClosed = true));
    plain.write(encodeRequest({ apiKey: ApiKey.ApiVersions, clientSoftwareName: 'x', clientSoftwareVersion: '1' }, { apiVersion: 0, correlationId: 1, clientId: 'plain' }));
    const silent = open(listener.port);
    let silentClosed = false;
    silent.on('close', () => (silentClosed = true));
    await until(() => plainClosed, 'the plain connection closed');
    // Kafka's idle check covers connections still in their TLS handshake; 30 s is far
    // below the 120 s node:tls would otherwise wait, and far above 300 ms at any load.
    await until(() => silentClosed, 'the silent connection closed', 30_000);
  });
});
