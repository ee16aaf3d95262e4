/**
 * A bare Kafka-protocol socket for the wire tests and the fuzzer: hand-written request
 * bytes (not Tributary's codec, so a codec bug cannot hide itself), frames out and frames
 * in, and an honest account of how the connection ended.
 */
import { connect, type Socket } from 'node:net';

/** Request header v1 (int16 key, int16 version, int32 correlation id, int16-length client id), then `body`. */
export function requestMessage(apiKey: number, apiVersion: number, correlationId: number, body: Uint8Array = new Uint8Array(0), clientId = 'raw'): Buffer {
  const id = Buffer.from(clientId);
  const head = Buffer.alloc(10 + id.length);
  head.writeInt16BE(apiKey, 0);
  head.writeInt16BE(apiVersion, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(id.length, 8);
  id.copy(head, 10);
  return Buffer.concat([head, body]);
}

export function sized(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(4 + message.length);
  frame.writeInt32BE(message.length, 0);
  frame.set(message, 4);
  return frame;
}

/** ApiVersions v0: a header and nothing else. Answered by every Kafka broker, before SASL too. */
export const apiVersionsV0 = (correlationId: number): Buffer => sized(requestMessage(18, 0, correlationId));

/** Metadata v1 for every topic (a null topic array). */
export const metadataV1 = (correlationId: number): Buffer => {
  const body = Buffer.alloc(4);
  body.writeInt32BE(-1, 0);
  return sized(requestMessage(3, 1, correlationId, body));
};

export class RawConnection {
  private buf: Buffer = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  error: Error | undefined;
  /** False: complete frames are counted in `received` and dropped, not kept for `next()` (the fuzzer's pool). */
  keep = true;
  received = 0;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (size < 0) {
          // Not Kafka framing: a broker never sends this. Stop reading.
          this.socket.destroy();
          break;
        }
        if (this.buf.length < 4 + size) break;
        this.received++;
        if (this.keep) this.frames.push(Buffer.from(this.buf.subarray(4, 4 + size)));
        this.buf = this.buf.subarray(4 + size);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
  }

  static async open(address: string, timeoutMs = 30_000): Promise<RawConnection> {
    const i = address.lastIndexOf(':');
    const socket = connect(Number(address.slice(i + 1)), address.slice(0, i));
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`connect to ${address} timed out`)), timeoutMs);
      socket.once('connect', () => (clearTimeout(t), resolve()));
      socket.once('error', (e) => (clearTimeout(t), reject(e)));
    });
    return new RawConnection(socket);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The next response frame (without its size), or `'closed'` when the peer closed first, or `'timeout'`. */
  async next(timeoutMs = 30_000): Promise<Buffer | 'closed' | 'timeout'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  /** Resolves true once the peer has closed the connection, false after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Asks a listener ApiVersions v0 on a fresh connection and checks the answer: correlation
 * id echoed, error 0, and ApiVersions itself among the keys. The fuzzer's proof that a
 * listener still serves.
 */
export async function answersApiVersions(address: string, timeoutMs = 30_000): Promise<boolean> {
  const c = await RawConnection.open(address, timeoutMs);
  try {
    c.write(apiVersionsV0(4242));
    const f = await c.next(timeoutMs);
    if (typeof f === 'string') return false;
    if (f.readInt32BE(0) !== 4242 || f.readInt16BE(4) !== 0) return false;
    const n = f.readInt32BE(6);
    for (let i = 0; i < n; i++) if (f.readInt16BE(10 + i * 6) === 18) return true;
    return false;
  } finally {
    c.close();
  }
}
