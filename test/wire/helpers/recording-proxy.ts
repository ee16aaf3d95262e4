/**
 * A loopback recording proxy for the Kafka protocol: one local listener per upstream
 * broker, each forwarding bytes both ways unchanged, except that a broker address in a
 * response (Metadata, FindCoordinator, DescribeCluster) is pointed at the matching proxy
 * listener, so that a client that bootstraps through the proxy stays behind it for every
 * broker it learns of. It records every complete frame it forwards, as the upstream or
 * the client wrote it (before any address rewrite), with the API key and version of the
 * request it belongs to.
 *
 * Why rewriting stays byte-exact: the proxy listens on the same host string as the
 * upstream it stands for, and a port is an int32 in every response that carries one, so
 * only four bytes change and no length prefix moves. The search is for the host string's
 * bytes followed by the upstream port as an int32, which no record payload of these tests
 * contains by accident.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/** One frame as it crossed the proxy: the message without its 4-byte size prefix. */
export interface CapturedFrame {
  readonly direction: 'request' | 'response';
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** Which proxy listener (upstream index) and connection it crossed. */
  readonly upstream: number;
  readonly connection: number;
  readonly message: Buffer;
}

/** A growable byte queue that yields complete size-prefixed frames. */
class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (size < 0 || this.buf.length < 4 + size) break;
      out.push(Buffer.from(this.buf.subarray(4, 4 + size)));
      this.buf = this.buf.subarray(4 + size);
    }
    return out;
  }
}

function sized(message: Buffer): Buffer {
  const frame = Buffer.alloc(4 + message.length);
  frame.writeInt32BE(message.length, 0);
  message.copy(frame, 4);
  return frame;
}

export class RecordingProxy {
  readonly frames: CapturedFrame[] = [];
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly ports: number[] = [];
  private connections = 0;

  private constructor(private readonly upstreams: readonly Upstream[]) {}

  static async start(upstreams: readonly Upstream[]): Promise<RecordingProxy> {
    const proxy = new RecordingProxy(upstreams);
    for (let i = 0; i < upstreams.length; i++) {
      const server = createServer((client) => proxy.accept(client, i));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, upstreams[i]!.host, () => resolve());
      });
      proxy.servers.push(server);
      proxy.ports.push((server.address() as { port: number }).port);
    }
    return proxy;
  }

  /** `host:port` of the proxy listeners, in upstream order: what a client bootstraps from. */
  get bootstrapServers(): string {
    return this.upstreams.map((u, i) => `${u.host}:${this.ports[i]}`).join(',');
  }

  private accept(client: Socket, index: number): void {
    const connection = this.connections++;
    const { host, port } = this.upstreams[index]!;
    const server = connect(port, host);
    this.sockets.add(client);
    this.sockets.add(server);
    const inFlight = new Map<number, { apiKey: number; apiVersion: number }>();
    const fromClient = new FrameSplitter();
    const fromServer = new FrameSplitter();
    client.on('data', (chunk: Buffer) => {
      for (const message of fromClient.push(chunk)) {
        if (message.length >= 8) {
          const apiKey = message.readInt16BE(0);
          const apiVersion = message.readInt16BE(2);
          const correlationId = message.readInt32BE(4);
          inFlight.set(correlationId, { apiKey, apiVersion });
          this.frames.push({ direction: 'request', apiKey, apiVersion, correlationId, upstream: index, connection, message });
        }
        server.write(sized(message));
      }
    });
    server.on('data', (chunk: Buffer) => {
      for (const message of fromServer.push(chunk)) {
        const correlationId = message.length >= 4 ? message.readInt32BE(0) : -1;
        const request = inFlight.get(correlationId);
        inFlight.delete(correlationId);
        if (request) this.frames.push({ direction: 'response', ...request, correlationId, upstream: index, connection, message: Buffer.from(message) });
        client.write(sized(this.rewrite(message)));
      }
    });
    const close = (): void => {
      client.destroy();
      server.destroy();
      this.sockets.delete(client);
      this.sockets.delete(server);
    };
    client.on('close', close);
    server.on('close', close);
    client.on('error', close);
    server.on('error', close);
  }

  /** Points every upstream address in a response at its proxy listener (same length, see above). */
  private rewrite(message: Buffer): Buffer {
    let out = message;
    for (let i = 0; i < this.upstreams.length; i++) {
      const { host, port } = this.upstreams[i]!;
      const needle = Buffer.alloc(host.length + 4);
      needle.write(host, 0, 'latin1');
      needle.writeInt32BE(port, host.length);
      let at = out.indexOf(needle);
      while (at >= 0) {
        if (out === message) out = Buffer.from(message);
        out.writeInt32BE(this.ports[i]!, at + host.length);
        at = out.indexOf(needle, at + needle.length);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** `host:port,host:port` as a list of upstreams. */
export function parseServers(servers: string): Upstream[] {
  return servers.split(',').map((hp) => {
    const i = hp.lastIndexOf(':');
    return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
  });
}
