/**
 * KIP-368 SASL re-authentication (`connections.max.reauth.ms`): the listener gives a
 * session its lifetime in SaslAuthenticate, closes a connection whose client did not
 * authenticate again in time, and lets it do so on the same connection (same principal
 * only); Tributary's TCP client and KafkaJS re-authenticate without a new connection.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../cluster.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { Request } from '../../protocol/requests.js';
import { decodeResponse, encodeRequest } from '../../protocol/wire/codec.js';
import { TcpClientTransport } from './client.js';

const users = { alice: 'alice-secret', bob: 'bob-secret' };

/** A bare Kafka connection: one request at a time, or the news that the broker closed it. */
class RawClient {
  private buffered = Buffer.alloc(0);
  private waiting: ((message: Buffer | undefined) => void) | undefined;
  private closed = false;
  private correlationId = 0;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.deliver();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.(undefined);
    });
  }
  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }
  private deliver(): void {
    if (this.buffered.length < 4) return;
    const size = this.buffered.readInt32BE(0);
    if (this.buffered.length < 4 + size) return;
    const message = this.buffered.subarray(4, 4 + size);
    this.buffered = this.buffered.subarray(4 + size);
    this.waiting?.(message);
  }
  /** The answer, or undefined when the broker closed the connection instead. */
  async send<R extends Request>(request: R, apiVersion: number): Promise<unknown> {
    if (this.closed) return undefined;
    const answered = new Promise<Buffer | undefined>((resolve) => (this.waiting = resolve));
    this.socket.write(encodeRequest(request, { apiVersion, correlationId: this.correlationId++, clientId: 'raw' }));
    const message = await answered;
    return message === undefined ? undefined : decodeResponse(request.apiKey, apiVersion, message).response;
  }
  async plain(user: string, password: string): Promise<{ errorCode: string; sessionLifetimeMs?: number }> {
    await this.send({ apiKey: ApiKey.SaslHandshake, mechanism: 'PLAIN' }, 1);
    return (await this.send({ apiKey: ApiKey.SaslAuthenticate, authBytes: Buffer.from(`\0${user}\0${password}`) }, 2)) as { errorCode: string; sessionLifetimeMs?: number };
  }
  close(): void {
    this.socket.destroy();
  }
}

const metadata = { apiKey: ApiKey.Metadata, topics: [], allowAutoTopicCreation: false } as const;

describe('SASL re-authentication (KIP-368)', () => {
  it('the listener tells the session lifetime, closes an expired session, and re-authenticates on the same connection', async () => {
    const lines: string[] = [];
    await using cluster = await Cluster.start({ nodes: 1, listen: { port: 0, connectionsMaxReauthMs: 400, log: (l) => lines.push(l) }, sasl: { users } });
    const port = Number(cluster.bootstrapServers.split(':')[1]);

    // Never re-authenticated: the first request after the lifetime closes the connection.
    const idle = await RawClient.open(port);
    expect(await idle.plain('alice', 'alice-secret')).toMatchObject({ errorCode: 'NONE', sessionLifetimeMs: 400 });
    expect(await idle.send(metadata, 12)).toMatchObject({ apiKey: ApiKey.Metadata });
    await new Promise((r) => setTimeout(r, 600)); // at least the lifetime, however late the timer
    expect(await idle.send(metadata, 12)).toBeUndefined();
    expect(lines.some((l) => l.includes('Metadata after the SASL session expired (connections.max.reauth.ms 400)'))).toBe(true);

    // Re-authenticated (the same user): the connection lives on past the first lifetime.
    const renewing = await RawClient.open(port);
    expect((await renewing.plain('alice', 'alice-secret')).errorCode).toBe('NONE');
    await new Promise((r) => setTimeout(r, 600));
    expect(await renewing.plain('alice', 'alice-secret')).toMatchObject({ errorCode: 'NONE', sessionLifetimeMs: 400 });
    expect(await renewing.send(metadata, 12)).toMatchObject({ apiKey: ApiKey.Metadata });
    renewing.close();

    // Another user may not take over a connection.
    const thief = await RawClient.open(port);
    expect((await thief.plain('alice', 'alice-secret')).errorCode).toBe('NONE');
    expect(await thief.plain('bob', 'bob-secret')).toMatchObject({ errorCode: 'SASL_AUTHENTICATION_FAILED' });
    expect(await thief.send(metadata, 12)).toBeUndefined();
  }, 60_000);

  it('a listener without connections.max.reauth.ms gives sessions no end', async () => {
    await using cluster = await Cluster.start({ nodes: 1, listen: { port: 0 }, sasl: { users } });
    const raw = await RawClient.open(Number(cluster.bootstrapServers.split(':')[1]));
    expect(await raw.plain('alice', 'alice-secret')).toMatchObject({ errorCode: 'NONE', sessionLifetimeMs: 0 });
    raw.close();
  }, 60_000);

  it('Tributary’s TCP client re-authenticates before its session ends, on the same connection', async () => {
    // A lifetime of 8 s: the client re-authenticates at 85-95% of it (as Kafka's client
    // does), so a request sent just before that point has 0.4 to 1.2 s to reach the broker
    // before the session ends; a loaded machine (load average 10) can delay one by a few
    // hundred ms, which a 3 s lifetime (150 to 450 ms) did not cover.
    const lines: string[] = [];
    await using cluster = await Cluster.start({ nodes: 1, listen: { port: 0, connectionsMaxReauthMs: 8000, log: (l) => lines.push(l) }, sasl: { users } });
    const t = new TcpClientTransport({ bootstrapServers: cluster.bootstrapServers, sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' } });
    try {
      let answered = 0;
      while (t.reauthentications < 2) {
        await t.send(-1, metadata);
        answered++;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(answered).toBeGreaterThan(2);
      expect(t.connectionsOpened).toBe(1);
      expect(lines.filter((l) => l.includes('SASL session expired'))).toEqual([]);
    } finally {
      await t.close();
    }
  }, 120_000);

  it('KafkaJS re-authenticates against the listener and keeps producing', async () => {
    // KafkaJS re-authenticates once its session has less than 10 s left (reauthenticationThreshold).
    const lines: string[] = [];
    await using cluster = await Cluster.start({ nodes: 1, listen: { port: 0, connectionsMaxReauthMs: 11_000, log: (l) => lines.push(l) }, sasl: { users } });
    await cluster.admin().createTopics([{ name: 'reauth' }]);
    const kafka = new Kafka({ clientId: 'reauth', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: 'bob', password: 'bob-secret' } });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const started = Date.now();
      let sent = 0;
      // Past the first session's end (11 s): each send would fail on a closed connection were it not renewed.
      while (Date.now() - started < 12_500) {
        await producer.send({ topic: 'reauth', messages: [{ value: `m${sent}` }] });
        sent++;
        await new Promise((r) => setTimeout(r, 100));
      }
      const [end] = await cluster.admin().listOffsets('reauth', 'latest');
      expect(end!.offset).toBe(sent);
      // Renewed, not reconnected: the listener closed no connection for an expired session.
      expect(lines.filter((l) => l.includes('SASL session expired'))).toEqual([]);
    } finally {
      await producer.disconnect();
    }
  }, 120_000);
});
