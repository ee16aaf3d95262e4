/**
 * Write-behind: the small appends of one produce request over many partitions, written by
 * a second thread while the event loop goes on.
 *
 * Why: keyed records over 10,000 partitions make batches of one record, and each costs
 * one write system call into a file whose inode and page are cold: about 3 us of kernel
 * time a batch against 1.2 us into one file (bench/keyed-floor.ts), a quarter of the
 * event loop's whole work on such a batch. Through libuv's pool (one `fs.writev` a batch)
 * the event loop kept 2.2-2.6 us a write of its 3.4 (a request object, a queue
 * submission and a callback a write) and the process's CPU doubled; one message a
 * request to one worker, which makes the calls, leaves the event loop 0.35 us a write
 * (the copy of the bytes and their place), bench/keyed-pool.ts.
 *
 * The contract, which keeps everything above the file unchanged:
 * - A deferred append changes the file's size at once, as a written one does; the bytes
 *   reach the page cache when the worker gets to them, in the order they were deferred
 *   (one worker, one queue: two writes to one file never land out of order).
 * - Every other use of the file (read, any other write, truncate, fdatasync, closing its
 *   descriptor) first waits until the file's deferred writes have landed
 *   ({@link WriteBehind.waitFor}, a blocking `Atomics.wait` that is rare: a reader of the
 *   very tail, a roll, a sync). So a read never sees bytes that are not in the page cache,
 *   and a sync covers them: what a crash keeps is what it kept before.
 * - The caller answers nothing about these appends before {@link WriteBehind.end}'s
 *   promise resolves: acks=1's promise (in the page cache before it is acknowledged) holds.
 *   A write the worker could not make fails its session's entry (the caller takes that
 *   replica offline) and every later write to the same descriptor, so a file never gets a
 *   hole that recovery would cut acknowledged batches behind.
 *
 * Only a session opened by {@link WriteBehind.begin} defers, only appends of at most
 * `smallBatchBytesMax` bytes, and only while it is open: the caller opens it around a
 * synchronous pass over a request's partitions.
 * @internal
 */
import { Worker } from 'node:worker_threads';
import { assert } from '../util/assert.js';

/** The worker: writes each message's entries in order, then counts the message done. */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const done = new Int32Array(workerData.done);
// done[1]: a gate tests close to hold the worker before its next message.
// Descriptors whose write failed: later writes to them fail too (no hole), until forgotten.
const failedFds = new Set();
parentPort.on('message', (m) => {
  if (m.forget !== undefined) { failedFds.delete(m.forget); return; }
  while (Atomics.load(done, 1) === 1) Atomics.wait(done, 1, 1);
  const meta = new Float64Array(m.meta, 0, m.count * 4);
  const data = new Uint8Array(m.data);
  let failed = null;
  for (let i = 0; i < m.count; i++) {
    const fd = meta[i * 4], position = meta[i * 4 + 1], offset = meta[i * 4 + 2], length = meta[i * 4 + 3];
    try {
      if (failedFds.has(fd)) throw new Error('EIO: an earlier write to this file failed');
      let n = 0;
      while (n < length) n += writeSync(fd, data, offset + n, length - n, position + n);
    } catch (err) {
      failedFds.add(fd);
      (failed ??= []).push(i, String(err && err.message));
    }
  }
  Atomics.store(done, 0, m.seq);
  Atomics.notify(done, 0);
  parentPort.postMessage({ seq: m.seq, failed });
});`;

/** A file that can defer its appends: it records the session sequence its last deferred write belongs to. */
export interface DeferringFile {
  deferredSeq: number;
}

/** What became of a session's writes: the owners (as given to `note`) whose write failed, with the error. */
export interface WriteBehindResult {
  readonly failed: readonly { readonly owner: number; readonly message: string }[];
}

/** The most bytes one session gathers; past it, appends are written at once. */
const sessionBytesMax = 8 * 1024 * 1024;
/** The largest append deferred (a leader's small batch, log-validator.ts `smallBatchBytesMax`): a larger one costs its copy more than its system call. */
export const deferBytesMax = 512;
/** How long a blocking wait for the worker may take before the file's operation fails as a storage error (a worker that died). */
const waitMsMax = 60_000;

class Session {
  meta = new Float64Array(1024);
  /** A Buffer (its writers stamp integers into it) over its own ArrayBuffer, which `end` transfers. */
  data = Buffer.from(new ArrayBuffer(64 * 1024));
  count = 0;
  bytes = 0;
  owners: number[] = [];
  constructor(readonly seq: number) {}
}

/**
 * One per thread ({@link writeBehind}): a lazily started worker and the sessions in flight.
 * Sequences are small integers compared modulo 2^32 (the shared counter is an Int32).
 */
export class WriteBehind {
  private worker: Worker | undefined;
  private done: Int32Array | undefined;
  private nextSeq = 1;
  /** Sequences the worker has answered on this thread (its message handled). */
  private landed = 0;
  private open: Session | undefined;
  /** Sessions sent to the worker and appends deferred, so far (tests count them). */
  readonly stats = { sessions: 0, writes: 0 };
  /** The owner the next `defer` is for (the caller's index of the replica appending). */
  owner = -1;
  private readonly waiting = new Map<number, { resolve: (r: WriteBehindResult) => void; owners: number[] }>();

  /** Opens a session: until `end`, small appends of files that can defer are deferred. */
  begin(): void {
    assert(this.open === undefined, 'one write-behind session at a time');
    this.open = new Session(this.nextSeq);
  }

  /** Whether an append of `length` bytes is deferred now. */
  defers(length: number): boolean {
    const s = this.open;
    return s !== undefined && length <= deferBytesMax && s.bytes + length <= sessionBytesMax;
  }

  /**
   * Whether an append of any size to a file whose last deferred write is `seq` is deferred
   * now: only while that write may still be in flight and a session is open. Why: written
   * here, the append would first wait (`waitFor`, blocking the event loop) for the worker
   * to finish the earlier session that holds the file's last append; a keyed producer's
   * batch of a few records (past `deferBytesMax`) to a partition whose one-record batch of
   * the request before was deferred did, 3.8% of the event loop's samples at 10,000
   * partitions. Deferred, it is copied and lands after it in the worker's order.
   */
  defersBehind(seq: number, length: number): boolean {
    const s = this.open;
    return s !== undefined && seq !== 0 && s.bytes + length <= sessionBytesMax && this.pending(seq);
  }

  /** Defers the write of `buf[offset, offset + length)` at `position` of `fd` (copied now). */
  defer(file: DeferringFile, fd: number, position: number, buf: Uint8Array, offset: number, length: number): void {
    const at = this.reserve(file, fd, position, length);
    const data = this.reserved;
    if (length <= deferBytesMax) for (let k = 0; k < length; k++) data[at + k] = buf[offset + k]!; // small: a loop beats a copy call
    else data.set(buf.subarray(offset, offset + length), at);
  }

  /**
   * Defers a write of `length` bytes at `position` of `fd` whose bytes the caller puts
   * into {@link reserved} from the returned index, at once (before any other call here).
   * Why: a leader's one-record batch is stamped straight into the session's buffer, not
   * stamped in a scratch buffer and then copied here (log-validator.ts `stampSmall`).
   */
  reserve(file: DeferringFile, fd: number, position: number, length: number): number {
    const s = this.open!;
    if ((s.count + 1) * 4 > s.meta.length) {
      const meta = new Float64Array(s.meta.length * 2);
      meta.set(s.meta);
      s.meta = meta;
    }
    if (s.bytes + length > s.data.length) {
      const data = Buffer.from(new ArrayBuffer(Math.max(s.data.length * 2, s.bytes + length)));
      data.set(s.data.subarray(0, s.bytes));
      s.data = data;
    }
    const m = s.count * 4;
    s.meta[m] = fd;
    s.meta[m + 1] = position;
    s.meta[m + 2] = s.bytes;
    s.meta[m + 3] = length;
    const at = s.bytes;
    s.bytes += length;
    s.owners.push(this.owner);
    s.count++;
    this.stats.writes++;
    file.deferredSeq = s.seq;
    return at;
  }

  /** The open session's buffer, which {@link reserve} hands out room in. */
  get reserved(): Buffer {
    return this.open!.data;
  }

  /** Closes the session and sends its writes; resolves once they all landed (or failed). Resolves at once when nothing was deferred. */
  end(): Promise<WriteBehindResult> {
    const s = this.open;
    assert(s !== undefined, 'a write-behind session is open');
    this.open = undefined;
    this.owner = -1;
    if (s.count === 0) return Promise.resolve(noFailures);
    this.nextSeq = (this.nextSeq + 1) | 0 || 1; // 0 means "never deferred"
    this.stats.sessions++;
    const w = this.start();
    return new Promise((resolve) => {
      // Referenced while a session is in flight (its answer is awaited), not otherwise.
      if (this.waiting.size === 0) w.ref();
      this.waiting.set(s.seq, { resolve, owners: s.owners });
      w.postMessage({ seq: s.seq, count: s.count, meta: s.meta.buffer, data: s.data.buffer }, [s.meta.buffer, s.data.buffer]);
    });
  }

  /** Whether the writes of session `seq` may still be in flight (as this thread knows; conservative). */
  pending(seq: number): boolean {
    return seq !== 0 && (this.open?.seq === seq || ((this.landed - seq) | 0) < 0);
  }

  /**
   * Blocks until session `seq`'s writes landed. A session still open is sent first. Used
   * by a file before any other operation on it (see the top of this file).
   */
  waitFor(seq: number): void {
    if (!this.pending(seq)) return;
    if (this.open?.seq === seq) {
      // The file is used again in the pass that deferred its write (a roll, a read):
      // what was gathered so far goes now, and the pass goes on in a new session whose
      // answer the caller's `endAll` still waits for.
      const owner = this.owner;
      this.carried.push(this.end());
      this.begin();
      this.owner = owner;
    }
    const done = this.done!;
    const deadline = Date.now() + waitMsMax;
    for (;;) {
      const now = Atomics.load(done, 0);
      if (((now - seq) | 0) >= 0) {
        if (((now - this.landed) | 0) > 0) this.landed = now;
        return;
      }
      if (Date.now() > deadline) throw new Error(`EIO: the write-behind worker did not write session ${seq} within ${waitMsMax} ms`);
      Atomics.wait(done, 0, now, 1000);
    }
  }

  /** Sessions `waitFor` sent early within an open session: that session's `end` answers for them too. */
  private carried: Promise<WriteBehindResult>[] = [];

  /** `end`, and the sessions sent early during it: all their failures. */
  async endAll(): Promise<WriteBehindResult> {
    const last = this.end();
    const all = [...this.carried.splice(0), last];
    const results = await Promise.all(all);
    if (results.every((r) => r.failed.length === 0)) return noFailures;
    return { failed: results.flatMap((r) => r.failed) };
  }

  /** @internal Tests: holds the worker before its next session (`true`) or lets it go on. */
  hold(held: boolean): void {
    const gate = this.gate();
    Atomics.store(gate, 1, held ? 1 : 0);
    Atomics.notify(gate, 1);
  }

  /** @internal Tests: the shared counters (index 1 is the gate `hold` sets), for another thread to open the gate while this one waits. */
  gate(): Int32Array {
    if (this.done === undefined) this.start();
    return this.done!;
  }

  /** Tells the worker that `fd` is closed (a later file may get its number): its failure no longer counts. */
  forget(fd: number): void {
    this.worker?.postMessage({ forget: fd });
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const done = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(workerSource, { eval: true, workerData: { done: done.buffer } });
    worker.on('message', (m: { seq: number; failed: (number | string)[] | null }) => {
      if (((m.seq - this.landed) | 0) > 0) this.landed = m.seq;
      const w = this.waiting.get(m.seq);
      if (w === undefined) return;
      this.waiting.delete(m.seq);
      if (this.waiting.size === 0) worker.unref();
      if (m.failed === null) return w.resolve(noFailures);
      const failed: { owner: number; message: string }[] = [];
      for (let i = 0; i < m.failed.length; i += 2) failed.push({ owner: w.owners[m.failed[i] as number]!, message: m.failed[i + 1] as string });
      w.resolve({ failed });
    });
    // A worker that dies (a bug, out of memory) fails whatever waits on it, never hangs it.
    worker.on('exit', () => {
      this.worker = undefined;
      for (const [seq, w] of this.waiting) {
        this.waiting.delete(seq);
        w.resolve({ failed: w.owners.map((owner) => ({ owner, message: 'EIO: the write-behind worker exited' })) });
      }
    });
    // Idle, the worker never keeps the process alive. After the listeners: adding a
    // 'message' listener references the worker's port again (Node 20; a process that had
    // used it did not exit).
    worker.unref();
    this.worker = worker;
    this.done = done;
    return worker;
  }
}

const noFailures: WriteBehindResult = Object.freeze({ failed: Object.freeze([]) as readonly never[] }) as WriteBehindResult;

/** This thread's write-behind. @internal */
export const writeBehind = new WriteBehind();
