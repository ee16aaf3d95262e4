import { connect, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../cluster.js';

/** A raw client: writes frames, reads answers back as (correlation id, body) in arrival order. */
class RawClient {
  readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  readonly answers: Buffer[] = [];
  closed = false;
  private waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (d) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        this.answers.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A request frame: size, header v1 (apiKey, apiVersion, correlationId, clientId), body. */
function frame(apiKey: number, apiVersion: number, correlationId: number, body: Uint8Array = new Uint8Array(0), clientId = 'raw'): Buffer {
  const id = Buffer.from(clientId);
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(id.length, 8);
  const message = Buffer.concat([header, id, body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(message.length);
  return Buffer.concat([size, message]);
}

/** Metadata v1 asking for all topics (a null array). */
const metadataV1All = Buffer.from([0xff, 0xff, 0xff, 0xff]);

describe('KafkaListener', () => {
  let cluster: Cluster;
  let port: number;

  beforeAll(async () => {
    cluster = await Cluster.start({ nodes: 3, listen: { port: 0, socketRequestMaxBytes: 1024 * 1024 } });
    port = Number(cluster.bootstrapServers.split(',')[0]!.split(':')[1]);
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('answers KafkaJS: each node advertises its own listener, also after a restart', async () => {
    const servers = cluster.bootstrapServers.split(',');
    expect(servers).toHaveLength(3);
    expect(new Set(servers).size).toBe(3);
    const kafka = new Kafka({ clientId: 'listener-test', brokers: servers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeCluster();
      expect(described.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...servers].sort());
      expect(described.clusterId).toBe(cluster.clusterId);
      await cluster.admin().createTopics([{ name: 'wire-meta', partitions: 3 }]);
      // Every node's metadata has the topic once the nodes have caught up with the controller.
      let partitions = 0;
      for (let i = 0; i < 400 && partitions !== 3; i++) {
        partitions = await admin.fetchTopicMetadata({ topics: ['wire-meta'] }).then((m) => m.topics[0]!.partitions.length, () => 0);
        if (partitions !== 3) await new Promise((r) => setTimeout(r, 50));
      }
      expect(partitions).toBe(3);
    } finally {
      await admin.disconnect();
    }
    const before = servers[1];
    await cluster.stopNode(2);
    await cluster.restartNode(2);
    expect(cluster.bootstrapServers.split(',')[1]).toBe(before);
    const admin2 = kafka.admin();
    await admin2.connect();
    try {
      // The node answering may not have replayed node 2's new registration yet (its
      // metadata follows the controller's): ask again until node 2 is listed.
      let address: string | undefined;
      for (let i = 0; i < 400 && address === undefined; i++) {
        const again = await admin2.describeCluster();
        const node2 = again.brokers.find((b) => b.nodeId === 2);
        if (node2) address = `${node2.host}:${node2.port}`;
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(address).toBe(before);
    } finally {
      await admin2.disconnect();
    }
  }, 60_000);

  it('a killed node stops accepting, and comes back on the same port', async () => {
    const address = cluster.bootstrapServers.split(',')[2]!;
    const p3 = Number(address.split(':')[1]);
    cluster.killNode(3);
    const refused = new RawClient(p3);
    await refused.until(() => refused.closed, 'the refused connection');
    await cluster.restartNode(3);
    expect(cluster.bootstrapServers.split(',')[2]).toBe(address);
    const back = new RawClient(p3);
    back.write(frame(18, 0, 5));
    await back.until(() => back.answers.length === 1, 'an answer from the restarted node');
    back.close();
  }, 60_000);

  it('answers pipelined requests in order, byte at a time', async () => {
    const c = new RawClient(port);
    const frames = Buffer.concat([frame(18, 0, 1), frame(3, 1, 2, metadataV1All), frame(18, 2, 3), frame(3, 1, 4, metadataV1All), frame(18, 1, 5)]);
    for (let i = 0; i < frames.length; i++) c.write(frames.subarray(i, i + 1));
    await c.until(() => c.answers.length === 5, 'five answers');
    expect(c.answers.map((a) => a.readInt32BE(0))).toEqual([1, 2, 3, 4, 5]);
    c.close();
  });

  it('answers an ApiVersions version it does not know in v0 with UNSUPPORTED_VERSION (KIP-511)', async () => {
    const c = new RawClient(port);
    c.write(frame(18, 99, 7));
    await c.until(() => c.answers.length === 1, 'the answer');
    const a = c.answers[0]!;
    expect(a.readInt32BE(0)).toBe(7);
    expect(a.readInt16BE(4)).toBe(35);
    expect(a.readInt32BE(6)).toBeGreaterThan(0); // the APIs we do speak
    c.close();
  });

  it('closes the connection on an unknown API key, after answering the requests before it, as Kafka does', async () => {
    const c = new RawClient(port);
    c.write(Buffer.concat([frame(18, 0, 1), frame(999, 0, 2)]));
    await c.until(() => c.closed, 'the close');
    expect(c.answers.map((a) => a.readInt32BE(0))).toEqual([1]);
  });

  it('closes the connection on a version the codec does not serve', async () => {
    const c = new RawClient(port);
    c.write(frame(3, 200, 1, metadataV1All));
    await c.until(() => c.closed, 'the close');
    expect(c.answers).toHaveLength(0);
  });

  it('closes a connection that announces a frame above socket.request.max.bytes, or a negative one', async () => {
    for (const size of [1024 * 1024 + 1, 0x7fffffff, -1]) {
      const c = new RawClient(port);
      const b = Buffer.alloc(4);
      b.writeInt32BE(size);
      c.write(b);
      await c.until(() => c.closed, `the close after size ${size}`);
    }
  });

  it('closes on garbage and on a truncated header, and keeps serving other connections', async () => {
    const g = new RawClient(port);
    g.write(Buffer.from([0, 0, 0, 3, 1, 2, 3]));
    await g.until(() => g.closed, 'the close after garbage');
    const ok = new RawClient(port);
    ok.write(frame(18, 0, 42));
    await ok.until(() => ok.answers.length === 1, 'an answer on a healthy connection');
    expect(ok.answers[0]!.readInt32BE(0)).toBe(42);
    ok.close();
  });

  it('a thousand connections leave nothing behind', async () => {
    const listener = (cluster as unknown as { listeners: { listener(id: number): { connectionCount: number } } }).listeners.listener(1)!;
    const clients = Array.from({ length: 1000 }, () => new RawClient(port));
    // Connected (or already closed again by the idle limit, or refused by a full backlog): either way settled.
    await Promise.all(clients.map((c) => new Promise<void>((r) => (c.socket.readyState === 'open' || c.closed ? r() : (c.socket.once('connect', () => r()), c.socket.once('close', () => r()))))));
    for (const c of clients) c.close();
    const deadline = Date.now() + 20_000;
    while (listener.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(listener.connectionCount).toBe(0);
    const ok = new RawClient(port);
    ok.write(frame(18, 0, 9));
    await ok.until(() => ok.answers.length === 1, 'an answer after the storm');
    ok.close();
  }, 60_000);
});
