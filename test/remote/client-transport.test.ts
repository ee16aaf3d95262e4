/**
 * The TCP client transport against a scripted fake broker: KIP-511 fallback (replaying what
 * librdkafka's mock cluster really sent), pipelining bounded by
 * `maxInFlightRequestsPerConnection`, answers matched in order, acks=0 without an answer,
 * node ids learned from Metadata, and reconnecting after the broker drops the connection.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { MetadataResponse } from '../../src/protocol/cluster.js';
import type { Request, Response } from '../../src/protocol/requests.js';
import { decodeRequest, encodeResponse, wireApiVersions, type DecodedRequest } from '../../src/protocol/wire/codec.js';
import { FrameReader } from '../../src/transport/tcp/frame-reader.js';
import { TcpClientTransport } from '../../src/transport/tcp/client.js';
import { root } from './mock-harness.js';

type Reply = (response: Response) => void;

interface Fake {
  readonly port: number;
  readonly seen: DecodedRequest[];
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

async function fake(handle: (d: DecodedRequest, reply: Reply, socket: Socket) => void): Promise<Fake> {
  const seen: DecodedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const reader = new FrameReader(1 << 20);
    socket.on('data', (chunk) =>
      reader.push(chunk, (message) => {
        const d = decodeRequest(message);
        seen.push(d);
        handle(d, (response) => socket.write(encodeResponse(response, { apiVersion: d.header.apiVersion, correlationId: d.header.correlationId, request: d.request })), socket);
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    seen,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function start(handle: (d: DecodedRequest, reply: Reply, socket: Socket) => void): Promise<Fake> {
  const f = await fake(handle);
  closers.push(() => f.close());
  return f;
}

const apiVersionsOk = (reply: Reply): void => reply({ apiKey: ApiKey.ApiVersions, errorCode: 'NONE', apiKeys: wireApiVersions, throttleTimeMs: 0 });

function metadata(port: number): MetadataResponse {
  return { apiKey: ApiKey.Metadata, brokers: [{ nodeId: 7, host: '127.0.0.1', port, rack: null }], clusterId: 'fake', controllerId: 7, topics: [] } as unknown as MetadataResponse;
}

const metadataRequest: Request = { apiKey: ApiKey.Metadata, topics: [], allowAutoTopicCreation: false };

describe('TCP client transport', () => {
  it('falls back to ApiVersions v0 when the answer to v3 is what librdkafka 2.0.2\'s mock sent (fixture)', async () => {
    const recorded = Buffer.from(readFileSync(join(root, 'test', 'remote', 'fixtures', 'rdkafka-mock-apiversions-v3.hex'), 'utf8').trim(), 'hex');
    const f = await start((d, reply, socket) => {
      if (d.request.apiKey === ApiKey.ApiVersions && d.header.apiVersion === 3) {
        const frame = Buffer.from(recorded);
        frame.writeInt32BE(d.header.correlationId, 4);
        socket.write(frame);
      } else if (d.request.apiKey === ApiKey.ApiVersions) apiVersionsOk(reply);
      else reply(metadata(f.port));
    });
    const t = new TcpClientTransport({ bootstrapServers: `127.0.0.1:${f.port}` });
    const md = await t.send(-1, metadataRequest);
    expect(md.brokers[0]!.nodeId).toBe(7);
    expect(f.seen.filter((d) => d.header.apiKey === ApiKey.ApiVersions).map((d) => d.header.apiVersion)).toEqual([3, 0]);
    t.close();
  });

  it('learns node ids from Metadata: bootstrapNodes() lists them before the bootstrap ids, and they are reachable', async () => {
    const f = await start((d, reply) => (d.request.apiKey === ApiKey.ApiVersions ? apiVersionsOk(reply) : reply(metadata(f.port))));
    const t = new TcpClientTransport({ bootstrapServers: ` 127.0.0.1:${f.port} ` });
    expect(t.bootstrapNodes()).toEqual([-1]);
    await t.send(-1, metadataRequest);
    expect(t.bootstrapNodes()).toEqual([7, -1]);
    await t.send(7, metadataRequest);
    expect(t.connectionsOpened).toBe(2);
    t.close();
    await expect.poll(() => f.sockets.size, { timeout: 10_000 }).toBe(0);
  });

  it('pipelines at most maxInFlightRequestsPerConnection requests and matches answers in order', async () => {
    let outstanding = 0;
    let most = 0;
    const held: (() => void)[] = [];
    const f = await start((d, reply) => {
      if (d.request.apiKey === ApiKey.ApiVersions) return apiVersionsOk(reply);
      outstanding++;
      most = Math.max(most, outstanding);
      held.push(() => {
        outstanding--;
        reply(metadata(f.port));
      });
    });
    const t = new TcpClientTransport({ bootstrapServers: `127.0.0.1:${f.port}`, maxInFlightRequestsPerConnection: 3 });
    const all = Promise.all(Array.from({ length: 10 }, () => t.send(-1, metadataRequest)));
    // Answer in batches as requests arrive: never more than 3 are unanswered on the wire.
    let answered = 0;
    while (answered < 10) {
      await expect.poll(() => held.length, { timeout: 10_000 }).toBeGreaterThan(0);
      held.splice(0).forEach((answer) => {
        answer();
        answered++;
      });
    }
    const results = await all;
    expect(results).toHaveLength(10);
    expect(most).toBe(3);
    expect(new Set(f.seen.filter((d) => d.header.apiKey === ApiKey.Metadata).map((d) => d.header.correlationId)).size).toBe(10);
    t.close();
  });

  it('acks=0: the Produce resolves once written, with offsets -1, and no answer is awaited', async () => {
    const f = await start((d, reply) => {
      if (d.request.apiKey === ApiKey.ApiVersions) apiVersionsOk(reply);
      else if (d.request.apiKey === ApiKey.Metadata) reply(metadata(f.port));
      // Produce: never answered.
    });
    const t = new TcpClientTransport({ bootstrapServers: `127.0.0.1:${f.port}`, requestTimeoutMs: 60_000 });
    const res = await t.send(-1, { apiKey: ApiKey.Produce, transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: null }] }] });
    expect(res.responses[0]!.partitionResponses[0]).toMatchObject({ index: 0, errorCode: 'NONE', baseOffset: -1 });
    // The next request on the same connection still gets its own answer.
    const md = await t.send(-1, metadataRequest);
    expect(md.brokers[0]!.nodeId).toBe(7);
    expect(t.connectionsOpened).toBe(1);
    t.close();
  });

  it('reconnects after the broker closes the connection', async () => {
    let drop = true;
    const f = await start((d, reply, socket) => {
      if (d.request.apiKey === ApiKey.ApiVersions) return apiVersionsOk(reply);
      if (drop) {
        drop = false;
        socket.destroy();
        return;
      }
      reply(metadata(f.port));
    });
    const t = new TcpClientTransport({ bootstrapServers: `127.0.0.1:${f.port}`, reconnectBackoffMs: 10 });
    const first = await t.send(-1, metadataRequest).then(() => undefined, (e: unknown) => e);
    expect(first).toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: true });
    const md = await t.send(-1, metadataRequest);
    expect(md.brokers).toHaveLength(1);
    expect(t.connectionsOpened).toBe(2);
    t.close();
  });

  it('refuses bad options with INVALID_CONFIG', () => {
    for (const bootstrapServers of ['', 'localhost', 'host:99999', ',']) {
      expect(() => new TcpClientTransport({ bootstrapServers })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
    expect(() => new TcpClientTransport({ bootstrapServers: 'a:1', maxInFlightRequestsPerConnection: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new TcpClientTransport({ bootstrapServers: 'a:1', sasl: { mechanism: 'GSSAPI' as 'PLAIN', username: 'u', password: 'p' } })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
