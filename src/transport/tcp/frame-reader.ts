/**
 * Kafka's framing on a byte stream: every message is a 4-byte big-endian size, then that
 * many bytes. `FrameReader` cuts a socket's chunks into messages.
 *
 * It never allocates for a size it has not checked: a size above `frameBytesMax`
 * (`socket.request.max.bytes`) or below zero throws before anything is buffered for it,
 * and the caller closes the connection, as Kafka's `NetworkReceive` does. A message that
 * lies inside one chunk is handed out as a view of that chunk (no copy); one that spans
 * chunks is copied once into a buffer of exactly its size, allocated only when its last
 * byte has arrived, so a client that announces 100 MiB and stops costs only the bytes it
 * really sent.
 * @internal
 */
import { TributaryError } from '../../util/errors.js';

export class FrameReader {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  /** The size of the message being read, or -1 while its size prefix is incomplete. */
  private size = -1;

  constructor(private readonly frameBytesMax: number) {}

  /** Bytes held for an incomplete message. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Takes a chunk of the stream and calls `onFrame` for every message it completes, in order. */
  push(chunk: Uint8Array, onFrame: (message: Uint8Array) => void): void {
    if (chunk.length === 0) return;
    // Fast path: nothing buffered and no size read ahead, so whole messages inside this
    // chunk are views of it.
    let at = 0;
    if (this.buffered === 0 && this.size < 0) {
      while (chunk.length - at >= 4) {
        const size = readSize(chunk, at);
        this.check(size);
        if (chunk.length - at - 4 < size) break;
        onFrame(chunk.subarray(at + 4, at + 4 + size));
        at += 4 + size;
      }
      if (at === chunk.length) return;
      chunk = chunk.subarray(at);
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.size < 0) {
        if (this.buffered < 4) return;
        const head = this.take(4);
        this.size = readSize(head, 0);
        this.check(this.size);
      }
      if (this.buffered < this.size) return;
      const message = this.take(this.size);
      this.size = -1;
      onFrame(message);
    }
  }

  private check(size: number): void {
    if (size < 0 || size > this.frameBytesMax) {
      throw new TributaryError('INVALID_REQUEST', `a message of ${size} bytes is outside [0, ${this.frameBytesMax}] (socket.request.max.bytes)`);
    }
  }

  /** Removes the first `n` buffered bytes: a view when they lie in the first chunk, else one copy. */
  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - filled);
        out.set(c.subarray(0, k), filled);
        filled += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}

function readSize(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) | 0;
}
