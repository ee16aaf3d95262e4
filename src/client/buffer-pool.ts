/**
 * `buffer.memory` (Kafka's `BufferPool`): the bytes of the producer's batches that are
 * open or waiting for an answer, bounded, and a free list of batch buffers to reuse.
 */
import { assert } from '../util/assert.js';
import { TributaryError } from '../util/errors.js';

interface MemoryWaiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * `buffer.memory`: the bytes of batches that are open or waiting for their answer, at most
 * `limit`. A batch reserves its capacity when it is opened and gives it back when its
 * answer (or its failure) comes. Waiters are served first come, first served, so a large
 * record is not starved by a stream of small ones.
 */
export class BufferPool {
  private usedBytes = 0;
  private readonly waiters: MemoryWaiter[] = [];
  /** Buffers of `batchSize` bytes whose batches are finished, for the next batches. */
  private free: Buffer[] = [];

  constructor(
    readonly limit: number,
    /** The size of the buffers the free list keeps. */
    readonly batchSize: number,
  ) {}

  get used(): number {
    return this.usedBytes;
  }
  get waiting(): number {
    return this.waiters.length;
  }

  /** Reserves `bytes` now if they are free and nobody waits ahead; returns whether it did. */
  tryReserve(bytes: number): boolean {
    assert(bytes <= this.limit, 'a reservation fits the pool');
    if (this.waiters.length > 0 || this.usedBytes + bytes > this.limit) return false;
    this.usedBytes += bytes;
    return true;
  }

  /**
   * Reserves `bytes`, waiting for other batches to give memory back for at most
   * `timeoutMs`; then rejects with a retriable `REQUEST_TIMED_OUT` naming `bufferMemory`.
   */
  reserve(bytes: number, timeoutMs: number): Promise<void> {
    if (this.tryReserve(bytes)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: MemoryWaiter = { bytes, resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new TributaryError('REQUEST_TIMED_OUT', `failed to allocate ${bytes} bytes of bufferMemory (${this.limit}) within maxBlockMs (${timeoutMs} ms): records are produced faster than the cluster acknowledges them`, { option: 'bufferMemory' }));
        this.serve();
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    this.usedBytes -= bytes;
    assert(this.usedBytes >= 0, 'released no more than was reserved');
    this.serve();
  }

  /**
   * A batch buffer: one of `batchSize` bytes from the free list when there is one, else a
   * new one. Why reuse: every new 16 KiB buffer is memory the garbage collector is told
   * about, and at a few hundred MB a second of new batches V8 ran a full collection every
   * few milliseconds. Worked example, 3,000,000 records of 100 bytes to a broker that
   * answers at once: 25% of the CPU profile was the collector with a new buffer per batch
   * (about 1 µs of CPU a record in all); with the free list, see docs/design/clients.md.
   *
   * This relies on a transport contract: once a request is answered, neither the
   * transport nor the broker holds on to its bytes (the log copies what it appends; a
   * socket has sent them before an answer can come). A buffer that was transferred away
   * (detached, length 0) is not reused, nor is the buffer of a batch with an attempt that
   * timed out or lost its connection: that request may still be read late (the caller
   * does not give those back).
   */
  allocate(capacity: number): Buffer {
    if (capacity === this.batchSize) {
      const free = this.free.pop();
      if (free !== undefined) return free;
    }
    return Buffer.allocUnsafeSlow(capacity);
  }

  /** Gives a finished batch's buffer back to the free list (only whole `batchSize` buffers of their own, while the list holds less than `limit`). */
  deallocate(buf: Buffer): void {
    if (buf.length === this.batchSize && buf.buffer.byteLength === buf.length && this.free.length * buf.length < this.limit) this.free.push(buf);
  }

  /** Drops the free list (the producer closed). */
  clearFree(): void {
    this.free = [];
  }

  /** Rejects every waiter (the producer closed). */
  failWaiters(err: unknown): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private serve(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      if (this.usedBytes + w.bytes > this.limit) return;
      this.waiters.shift();
      clearTimeout(w.timer);
      this.usedBytes += w.bytes;
      w.resolve();
    }
  }
}

