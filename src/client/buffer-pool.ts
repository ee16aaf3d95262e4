/**
 * `buffer.memory` (Kafka's `BufferPool`): the bytes of the producer's batches that are
 * open or waiting for an answer, bounded, and a free list of batch buffers to reuse.
 */
import { assert } from '../util/assert.js';
import { startTimer, stopTimer, systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';

/** The smallest batch buffer (a batch starts there and grows by 4x up to `batchSize`). */
const smallestBytes = 1024;

interface MemoryWaiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  timer: ClockTimer | undefined;
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
  /** Buffers whose batches are finished, by size, for the next batches (Kafka keeps one list, of `batchSize` buffers). */
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;

  constructor(
    readonly limit: number,
    /** The size of the buffers the free list keeps. */
    readonly batchSize: number,
    /** Whose timers bound a wait for memory (`maxBlockMs`). */
    private readonly clock: Clock = systemClock,
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
      waiter.timer = startTimer(this.clock, timeoutMs, () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new TributaryError('REQUEST_TIMED_OUT', `failed to allocate ${bytes} bytes of bufferMemory (${this.limit}) within maxBlockMs (${timeoutMs} ms): records are produced faster than the cluster acknowledges them`, { option: 'bufferMemory' }));
        this.serve();
      });
      this.waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    this.usedBytes -= bytes;
    assert(this.usedBytes >= 0, 'released no more than was reserved');
    this.serve();
  }

  /**
   * A batch buffer of `capacity` bytes: from the free list of its size when there is one,
   * else a new one. Why reuse: every new 16 KiB buffer is memory the garbage collector is
   * told about, and at a few hundred MB a second of new batches V8 ran a full collection
   * every few milliseconds. Worked example, 3,000,000 records of 100 bytes to a broker
   * that answers at once: 25% of the CPU profile was the collector with a new buffer per
   * batch (about 1 µs of CPU a record in all); with the free list, see
   * docs/design/clients.md. Batches come in a few sizes (`sizeClass`: `batchSize`, a
   * quarter of it, a sixteenth, ...), each with its own list.
   *
   * This relies on a transport contract: once a request is answered, neither the
   * transport nor the broker holds on to its bytes (the log copies what it appends; a
   * socket has sent them before an answer can come). A buffer that was transferred away
   * (detached, length 0) is not reused, nor is the buffer of a batch with an attempt that
   * timed out or lost its connection: that request may still be read late (the caller
   * does not give those back).
   */
  allocate(capacity: number): Buffer {
    const free = this.free.get(capacity)?.pop();
    if (free !== undefined) {
      this.freeBytes -= free.length;
      return free;
    }
    return Buffer.allocUnsafeSlow(capacity);
  }

  /** Gives a buffer back to the free list of its size (only a size class, a buffer of its own, while the lists hold less than `limit`). */
  deallocate(buf: Buffer): void {
    const n = buf.length;
    if (n === 0 || buf.buffer.byteLength !== n || this.freeBytes + n > this.limit || this.sizeClass(n) !== n) return;
    let list = this.free.get(n);
    if (list === undefined) this.free.set(n, (list = []));
    list.push(buf);
    this.freeBytes += n;
  }

  /**
   * The buffer size a batch of at least `bytes` takes: `batchSize` divided by a power of 4,
   * at least `smallestBytes` (or `batchSize` itself when that is smaller); `bytes` itself
   * beyond `batchSize` (a record bigger than a batch).
   */
  sizeClass(bytes: number): number {
    if (bytes >= this.batchSize) return bytes;
    let c = this.batchSize;
    while (c % 4 === 0 && c / 4 >= bytes && c / 4 >= smallestBytes) c /= 4;
    return c;
  }

  /** Drops the free lists (the producer closed). */
  clearFree(): void {
    this.free.clear();
    this.freeBytes = 0;
  }

  /** Rejects every waiter (the producer closed). */
  failWaiters(err: unknown): void {
    for (const w of this.waiters.splice(0)) {
      stopTimer(this.clock, w.timer);
      w.reject(err);
    }
  }

  private serve(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      if (this.usedBytes + w.bytes > this.limit) return;
      this.waiters.shift();
      stopTimer(this.clock, w.timer);
      this.usedBytes += w.bytes;
      w.resolve();
    }
  }
}

