/**
 * The Kafka listener under clients that misbehave on purpose, over a handler the test
 * controls (so what the listener does is seen apart from what a broker answers):
 * - a client that pipelines a thousand requests and never reads its answers: the listener
 *   stops taking requests once the socket's write buffer is full, so the answers it holds
 *   stay bounded (before, every request already read from the socket was handed to the
 *   broker and its answer buffered: 1,000 pipelined Fetches of 1 MiB held 800 MiB);
 * - a TLS listener given plain bytes, or nothing at all: the first is refused at once, the
 *   second closed after `connections.max.idle.ms` like any idle connection;
 * - a node's listener given crafted frames (sizes 0, -1, 2^31 - 1, past the maximum;
 *   lengths, tagged fields and varints that lie; unknown keys and versions; a correlation
 *   id reused), a SASL handshake followed by garbage, and 500 connections stopped
 *   mid-frame: each as Kafka's SocketServer does (docs/design/listener.md), and it serves on.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/broker/request-context.js';
import { Cluster } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { Request, Response } from '../../src/protocol/requests.js';
import { encodeRequest } from '../../src/protocol/wire/codec.js';
import { KafkaListener, type ListenerLimits } from '../../src/transport/tcp/listener.js';
import { zeroUuid } from '../../src/util/uuid.js';
import { answersApiVersions, apiVersionsV0, RawConnection, requestMessage, sized } from '../wire/helpers/raw-client.js';

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

describe('a node’s listener under crafted frames (each on its own connection)', () => {
  let cluster: Cluster;
  let saslCluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start({ listen: { port: 0 } });
    saslCluster = await Cluster.start({ listen: { port: 0 }, sasl: { users: { alice: 'secret' } } });
  });
  afterAll(async () => {
    await cluster?.close();
    await saslCluster?.close();
  });

  const int32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n | 0);
    return b;
  };
  /** Writes `bytes` on a fresh connection and returns what came back: each answer's correlation id and error code, then how it ended. */
  async function exchange(address: string, bytes: Uint8Array): Promise<string[]> {
    const c = await RawConnection.open(address);
    c.write(bytes);
    const out: string[] = [];
    for (;;) {
      const f = await c.next(60_000);
      if (typeof f === 'string') {
        out.push(f);
        break;
      }
      out.push(`${f.readInt32BE(0)}:${f.length >= 6 ? f.readInt16BE(4) : '?'}`);
    }
    c.close();
    return out;
  }
  const handshake = (version: number, mechanism: string): Buffer => {
    const m = Buffer.from(mechanism);
    return sized(requestMessage(17, version, 1, Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m])));
  };

  it('sizes 0, -1, 2^31 - 1 and one past socket.request.max.bytes close the connection; lengths, tagged fields and varints that lie close it too', async () => {
    const address = cluster.bootstrapServers;
    const cases: [string, Uint8Array][] = [
      ['size 0', int32(0)],
      ['size -1', int32(-1)],
      ['size 2^31 - 1', int32(2 ** 31 - 1)],
      ['size 104857601', int32(104_857_601)],
      // ApiVersions v3 (flexible): a header tagged field of tag 2^32 - 1 and size 2^32 - 1.
      ['huge tagged field', sized(Buffer.concat([requestMessage(18, 3, 9), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0x0f])]))],
      // Metadata v12: a compact array of 2^32 - 2 topics in a frame of a few bytes.
      ['compact array past the frame', sized(Buffer.concat([requestMessage(3, 12, 9), Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0x0f])]))],
      ['a varint that does not end', sized(Buffer.concat([requestMessage(3, 12, 9), Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]))],
      ['a compact string past the frame', sized(Buffer.concat([requestMessage(18, 3, 9), Buffer.from([0x00, 0xff, 0xff, 0xff, 0x0f])]))],
      ['unknown API key', sized(requestMessage(999, 0, 7))],
      ['Metadata v99', sized(requestMessage(3, 99, 7))],
    ];
    for (const [what, bytes] of cases) expect(await exchange(address, bytes), what).toEqual(['closed']);
    // ApiVersions above what is served: answered in v0 with UNSUPPORTED_VERSION (35), KIP-511.
    expect(await exchange(address, Buffer.concat([sized(requestMessage(18, 99, 7)), int32(-1)]))).toEqual(['7:35', 'closed']);
    // A correlation id used three times is answered three times, in order.
    expect(await exchange(address, Buffer.concat([apiVersionsV0(5), apiVersionsV0(5), apiVersionsV0(5), int32(-1)]))).toEqual(['5:0', '5:0', '5:0', 'closed']);
    expect(await answersApiVersions(address)).toBe(true);
  });

  it('a SASL handshake, then garbage: the handshake is answered, the garbage closes the connection; the listener serves on', async () => {
    const address = saslCluster.bootstrapServers;
    // v1: the next request must be SaslAuthenticate; garbage bytes, or a frame of garbage, close.
    expect(await exchange(address, Buffer.concat([handshake(1, 'PLAIN'), Buffer.from('garbage garbage garbage')]))).toEqual(['1:0', 'closed']);
    expect(await exchange(address, Buffer.concat([handshake(1, 'PLAIN'), sized(Buffer.from('garbage garbage garbage'))]))).toEqual(['1:0', 'closed']);
    // v0: the next frame is a raw PLAIN token; one that is not is a failed authentication.
    expect(await exchange(address, Buffer.concat([handshake(0, 'PLAIN'), sized(Buffer.from('garbage'))]))).toEqual(['1:0', 'closed']);
    expect(await exchange(address, Buffer.concat([handshake(0, 'PLAIN'), sized(Buffer.alloc(0))]))).toEqual(['1:0', 'closed']);
    // SaslAuthenticate v0 with a token that is not a SCRAM message: SASL_AUTHENTICATION_FAILED (58), then a close.
    const token = Buffer.from('x,y,z');
    expect(await exchange(address, Buffer.concat([handshake(1, 'SCRAM-SHA-512'), sized(requestMessage(36, 0, 2, Buffer.concat([int32(token.length), token])))]))).toEqual(['1:0', '2:58', 'closed']);
    expect(await answersApiVersions(address)).toBe(true);
  });

  it('five hundred connections at once, each stopped mid-frame: a fresh connection is still answered, before and after they go', async () => {
    const address = cluster.bootstrapServers;
    const conns = await Promise.all(Array.from({ length: 500 }, () => RawConnection.open(address)));
    for (const c of conns) c.write(apiVersionsV0(1).subarray(0, 7));
    expect(await answersApiVersions(address)).toBe(true);
    for (const c of conns) c.close();
    expect(await answersApiVersions(address)).toBe(true);
    expect(conns.every((c) => c.error === undefined || /ECONNRESET|EPIPE/.test(String(c.error)))).toBe(true);
  });
});
