/**
 * The TCP client against a hostile broker: a fake server on 127.0.0.1 that answers
 * ApiVersions correctly, then misbehaves: wrong correlation ids, truncated frames,
 * oversized lengths, an error on every request, or nothing at all. The client must report
 * a typed error, retry where Kafka's clients retry, never crash, and leave no socket open.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { MetadataResponse } from '../../src/protocol/cluster.js';
import type { Request, Response } from '../../src/protocol/requests.js';
import { decodeRequest, encodeResponse, wireApiVersions } from '../../src/protocol/wire/codec.js';
import { FrameReader } from '../../src/transport/tcp/frame-reader.js';
import { TcpClientTransport } from '../../src/transport/tcp/client.js';
import { connect, isTributaryError, type TributaryError } from '../../src/index.js';

type Mode = 'wrong-correlation' | 'truncated' | 'oversized' | 'error' | 'silent' | 'garbage';

interface Hostile {
  readonly port: number;
  readonly requests: Map<number, number>;
  openSockets(): number;
  close(): Promise<void>;
}

function metadata(port: number, topics: readonly string[]): MetadataResponse {
  return {
    apiKey: ApiKey.Metadata,
    brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
    clusterId: 'hostile',
    controllerId: 1,
    topics: topics.map((name) => ({ errorCode: 'NONE', name, topicId: '', isInternal: false, partitions: [{ errorCode: 'NONE', partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] })),
  } as unknown as MetadataResponse;
}

async function hostile(mode: Mode): Promise<Hostile> {
  const sockets = new Set<Socket>();
  const requests = new Map<number, number>();
  let port = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const reader = new FrameReader(1 << 20);
    socket.on('data', (chunk) => {
      reader.push(chunk, (message) => {
        const { header, request } = decodeRequest(message);
        requests.set(header.apiKey, (requests.get(header.apiKey) ?? 0) + 1);
        const answer = (response: Response, correlationId = header.correlationId): void => {
          socket.write(encodeResponse(response, { apiVersion: header.apiVersion, correlationId, request }));
        };
        if (request.apiKey === ApiKey.ApiVersions) return answer({ apiKey: ApiKey.ApiVersions, errorCode: 'NONE', apiKeys: wireApiVersions, throttleTimeMs: 0 });
        switch (mode) {
          case 'wrong-correlation':
            return answer(metadata(port, []), header.correlationId + 1000);
          case 'truncated': {
            const frame = encodeResponse(metadata(port, ['t']), { apiVersion: header.apiVersion, correlationId: header.correlationId });
            socket.end(frame.subarray(0, Math.floor(frame.length / 2)));
            return;
          }
          case 'oversized': {
            const size = Buffer.alloc(8);
            size.writeInt32BE(0x7fffffff, 0);
            size.writeInt32BE(header.correlationId, 4);
            socket.write(size);
            return;
          }
          case 'garbage': {
            const body = Buffer.alloc(12, 0xff);
            body.writeInt32BE(header.correlationId, 0);
            const size = Buffer.alloc(4);
            size.writeInt32BE(body.length);
            socket.write(Buffer.concat([size, body]));
            return;
          }
          case 'silent':
            return;
          case 'error':
            return answer(errorAnswer(request, port));
        }
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  return {
    port,
    requests,
    openSockets: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Every request answered with a retriable error Kafka's clients retry on. */
function errorAnswer(request: Request, port: number): Response {
  if (request.apiKey === ApiKey.Metadata) return metadata(port, request.topics?.map((t) => t.name ?? '') ?? []);
  if (request.apiKey === ApiKey.Produce) {
    return { apiKey: ApiKey.Produce, responses: request.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 })) })) } as Response;
  }
  if (request.apiKey === ApiKey.InitProducerId) return { apiKey: ApiKey.InitProducerId, errorCode: 'COORDINATOR_NOT_AVAILABLE', producerId: -1, producerEpoch: -1, throttleTimeMs: 0 } as Response;
  throw new Error(`unexpected ${request.apiKey}`);
}

let servers: Hostile[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

async function start(mode: Mode): Promise<Hostile> {
  const h = await hostile(mode);
  servers.push(h);
  return h;
}

async function failure(p: Promise<unknown>): Promise<TributaryError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(isTributaryError(err), String(err)).toBe(true);
  return err as TributaryError;
}

const metadataRequest = { apiKey: ApiKey.Metadata, topics: [{ name: 't' }], allowAutoTopicCreation: false } as const;

describe('TCP client against a hostile broker', () => {
  for (const mode of ['wrong-correlation', 'truncated', 'oversized'] as const) {
    it(`${mode}: the request rejects with a retriable NETWORK_EXCEPTION and the socket is closed`, async () => {
      const h = await start(mode);
      const t = new TcpClientTransport({ bootstrapServers: `127.0.0.1:${h.port}`, reconnectBackoffMs: 1, reconnectBackoffMaxMs: 5 });
      for (let i = 0; i < 3; i++) {
        const err = await failure(t.send(-1, metadataRequest));
        expect(err.code).toBe('NETWORK_EXCEPTION');
        expect(err.retriable).toBe(true);
      }
      // Each failure closed its connection; the client reconnected for the next request.
      expect(t.connectionsOpened).toBe(3);
      expect(await t.openConnections()).toBe(0);
      t.close();
      await expect.poll(() => h.openSockets(), { timeout: 10_000 }).toBe(0);
    });
  }

  it('garbage: an answer that does not decode is CORRUPT_MESSAGE, and the connection closes', async () => {
    const h = await start('garbage');
    const t = new TcpClientTransport({ bootstrapServers: `127.0.0.1:${h.port}` });
    const err = await failure(t.send(-1, metadataRequest));
    expect(err.code).toBe('CORRUPT_MESSAGE');
    expect(await t.openConnections()).toBe(0);
    t.close();
    await expect.poll(() => h.openSockets(), { timeout: 10_000 }).toBe(0);
  });

  it('silent: the request times out with REQUEST_TIMED_OUT, pipelined ones with NETWORK_EXCEPTION', async () => {
    const h = await start('silent');
    const t = new TcpClientTransport({ bootstrapServers: `127.0.0.1:${h.port}`, requestTimeoutMs: 300 });
    const results = await Promise.all([0, 1, 2].map(() => failure(t.send(-1, metadataRequest))));
    expect(results.map((e) => e.code).sort()).toEqual(['NETWORK_EXCEPTION', 'NETWORK_EXCEPTION', 'REQUEST_TIMED_OUT']);
    for (const e of results) expect(e.retriable).toBe(true);
    t.close();
    await expect.poll(() => h.openSockets(), { timeout: 10_000 }).toBe(0);
  });

  it('error on every request: the producer retries, then fails with the typed error at its delivery timeout', async () => {
    const h = await start('error');
    await using cluster = connect({ bootstrapServers: `127.0.0.1:${h.port}` });
    const producer = cluster.producer({ acks: 'all', idempotent: false, deliveryTimeoutMs: 1500, requestTimeoutMs: 1000, lingerMs: 0 });
    const err = await failure(producer.send('t', [{ value: 'x' }]));
    expect(['NOT_LEADER_OR_FOLLOWER', 'REQUEST_TIMED_OUT']).toContain(err.code);
    // Retried, as Kafka's producer does on NOT_LEADER_OR_FOLLOWER, refreshing metadata between.
    expect(h.requests.get(ApiKey.Produce) ?? 0).toBeGreaterThan(1);
    expect(h.requests.get(ApiKey.Metadata) ?? 0).toBeGreaterThan(1);
    await producer.close();
    await cluster.close();
    await expect.poll(() => h.openSockets(), { timeout: 10_000 }).toBe(0);
  });

  it('a refused connection is a retriable NETWORK_EXCEPTION, and a closed transport is CLIENT_CLOSED', async () => {
    const h = await start('silent');
    const port = h.port;
    await h.close();
    servers = [];
    const t = new TcpClientTransport({ bootstrapServers: `127.0.0.1:${port}` });
    const err = await failure(t.send(-1, metadataRequest));
    expect(err.code).toBe('NETWORK_EXCEPTION');
    t.close();
    expect((await failure(t.send(-1, metadataRequest))).code).toBe('CLIENT_CLOSED');
  });

  it('mute from the start (no ApiVersions answer): close() gives up the connection being set up at once', async () => {
    const sockets = new Set<Socket>();
    const mute = createServer((socket) => {
      sockets.add(socket);
      socket.resume(); // reads (and drops) what comes, so it sees the client's end
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    try {
      // Setup would wait 10 minutes; close() must not.
      const t = new TcpClientTransport({ bootstrapServers: `127.0.0.1:${(mute.address() as { port: number }).port}`, connectionSetupTimeoutMs: 600_000, requestTimeoutMs: 600_000 });
      const pending = failure(t.send(-1, metadataRequest));
      await expect.poll(() => sockets.size, { timeout: 10_000 }).toBe(1);
      await t.close();
      const err = await pending;
      expect([err.code, err.retriable]).toEqual(['NETWORK_EXCEPTION', true]);
      await expect.poll(() => sockets.size, { timeout: 10_000 }).toBe(0);
    } finally {
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });
});
