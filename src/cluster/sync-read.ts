/**
 * A synchronous read of another thread's state: what lets `cluster.metrics()` and
 * `cluster.metadata` (synchronous getters) answer "as of now" when the nodes live in
 * worker threads, exactly as they do inline.
 *
 * How: the calling thread posts a read on a `MessagePort` of its own and blocks in
 * `Atomics.wait` on a shared flag; the worker answers from its event loop (posts the
 * answer, then flips the flag and `Atomics.notify`s); the calling thread takes the answer
 * off its port with `receiveMessageOnPort`. Nothing in a worker ever waits synchronously
 * on the calling thread, so the wait cannot deadlock: it lasts one turn of the worker's
 * event loop (tens of microseconds idle; as long as the worker's current task, busy).
 * It is bounded (`syncReadTimeoutMs`): a worker that does not answer in time (stuck in a
 * long synchronous task, or gone) fails the read with retriable `REQUEST_TIMED_OUT`, and
 * its late answer is dropped by the next read (answers carry the read's id).
 *
 * Worked example of the cost: `metrics()` on a 3-node `'per-node'` cluster blocks the
 * calling thread for three such turns (one per node's counts) plus one for the metadata
 * image, when it changed since the last read (an unchanged image answers `same`, and the
 * copy rebuilt last time is reused): about 0.1-0.5 ms on an idle machine.
 * @internal
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { rebuildError } from '../transport/port/messages.js';
import { TributaryError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

/** How long a synchronous read waits for a worker before failing. */
export const syncReadTimeoutMs = 5000;

/** What crosses to the worker: the port it answers on and the flag it flips. */
export interface SyncReadEnd {
  readonly port: MessagePort;
  readonly flag: SharedArrayBuffer;
}

interface SyncAnswer {
  readonly id: number;
  readonly value?: unknown;
  readonly code?: string;
  readonly message?: string;
}

/** The calling thread's side: `read(what)` blocks until the worker answers. */
export class SyncReader {
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private nextId = 1;
  /** The end to hand to the worker (transfer `end.port`). */
  readonly end: SyncReadEnd;

  constructor(private readonly who: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    // No 'message' listener: answers are taken off the port synchronously, and a port
    // without a listener keeps no event loop alive.
    const flag = new SharedArrayBuffer(4);
    this.flag = new Int32Array(flag);
    this.end = { port: port2, flag };
  }

  /** Reads `what` now; throws `REQUEST_TIMED_OUT` (retriable) if the worker does not answer within the bound. */
  read(what: string, arg?: unknown): unknown {
    const id = this.nextId++;
    this.port.postMessage({ id, what, arg });
    const deadline = performance.now() + syncReadTimeoutMs;
    for (;;) {
      // Cleared before looking, so an answer posted after the look has set it again and
      // the wait returns at once (the worker posts, then sets the flag).
      Atomics.store(this.flag, 0, 0);
      // Answers of earlier reads that timed out may come first: drop them.
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
        const a = m.message as SyncAnswer;
        if (a?.id !== id) continue;
        if (a.code !== undefined) throw rebuildError(a.code, `${this.who}: ${a.message ?? a.code}`);
        return a.value;
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new TributaryError('REQUEST_TIMED_OUT', `${this.who} did not answer a synchronous read of ${what} within ${syncReadTimeoutMs} ms`);
      Atomics.wait(this.flag, 0, 0, left);
    }
  }

  close(): void {
    this.port.close();
  }
}

/**
 * The worker's side: answers each read with `answer(what, arg)` (a value and the buffers
 * to transfer with it), posts it, then wakes the reader. An answer that throws crosses as
 * its message, never as a crash of the worker.
 */
export function serveSyncReads(end: SyncReadEnd, answer: (what: string, arg: unknown) => { value: unknown; transfer?: TransferListItem[] }, log: Logger): () => void {
  const flag = new Int32Array(end.flag);
  const onMessage = (m: { id?: unknown; what?: unknown; arg?: unknown }): void => {
    if (typeof m?.id !== 'number' || typeof m.what !== 'string') return;
    try {
      const { value, transfer } = answer(m.what, m.arg);
      end.port.postMessage({ id: m.id, value } satisfies SyncAnswer, transfer ?? []);
    } catch (err) {
      log.warn({ err }, 'a synchronous read failed');
      const code = err instanceof TributaryError ? err.code : 'UNKNOWN_SERVER_ERROR';
      end.port.postMessage({ id: m.id, code, message: err instanceof Error ? err.message : String(err) } satisfies SyncAnswer);
    }
    // After the post: the reader wakes to an answer already on its port.
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  };
  end.port.on('message', onMessage);
  end.port.unref();
  return () => end.port.close();
}
