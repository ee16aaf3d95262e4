import { errorCodes, type ErrorCode } from '../../util/error-codes.js';
import { TributaryError } from '../../util/errors.js';
import { assert } from '../../util/assert.js';
import { isHandedOver, takeHandedOver } from '../../util/hand-over.js';

/**
 * The messages on a port between a client thread and the cluster's thread. Requests and
 * answers ready in one turn share a message; record batches ride inside as byte arrays
 * whose buffers are transferred, never one message per record. A run of Produce requests
 * (and their answers) crosses in the fixed layout of `produce-layout.ts` (`laid`), one
 * buffer for the run. Posted alone, a run crosses bare, with no object around it: requests
 * as their `ArrayBuffer`, answers as their buffer or an array of buffers (answer buffers,
 * told by their magic number, and buffers given back). Why: the structured clone of the
 * smallest object still costs both threads a serializer and deserializer walk, and a
 * lone run is the common message of a producer flat out (see `port-transport.ts`).
 * @internal
 */
export type ToServer =
  | { readonly t: 'hello'; readonly clientId: string; readonly clientHost: string }
  /** `ctx`: who sent the request, relayed by a port the server trusts to say so (a cluster's own relay); ignored otherwise. */
  | { readonly t: 'req'; readonly id: number; readonly node: number; readonly req: unknown; readonly ctx?: unknown }
  /** Produce requests made one after another, in the fixed layout (`produce-layout.ts`). */
  | LaidRequests
  /** Several requests ready in one turn, in one message, in the order made (each typed one as `req` without its `t`). */
  | { readonly t: 'reqs'; readonly list: readonly ({ readonly id: number; readonly node: number; readonly req: unknown; readonly ctx?: unknown } | LaidRequests)[] }
  | { readonly t: 'abort'; readonly id: number }
  | { readonly t: 'bye' };

/** @internal */
export type ToClient =
  | { readonly t: 'welcome' }
  | Answer
  /** Several answers ready in one turn, in one message. */
  | { readonly t: 'answers'; readonly list: readonly Answer[] }
  | { readonly t: 'refused'; readonly code: string; readonly message: string; readonly place?: ErrorPlace }
  | { readonly t: 'closed' };

/**
 * `back`: the buffers that carried a Produce request's batches, given back to the client
 * once the request is answered (see `SpareBuffers`).
 * @internal
 */
export type Answer =
  | { readonly t: 'res'; readonly id: number; readonly res: unknown; readonly back?: readonly ArrayBuffer[] }
  | { readonly t: 'err'; readonly id: number; readonly code: string; readonly message: string; readonly place?: ErrorPlace }
  /** The answers of laid Produce requests, in the fixed layout: one buffer each chunk within the reader's maxima (`answerChunks`). */
  | { readonly t: 'laid'; readonly buffers: readonly ArrayBuffer[]; readonly back?: readonly ArrayBuffer[] };

/** @internal */
export interface LaidRequests {
  readonly t: 'laid';
  readonly buffer: ArrayBuffer;
}

/**
 * Messages to post on a port, gathered for one turn of the event loop and posted as one
 * `postMessage` (a structured clone and a wake-up of the other thread each) when there are
 * several: a producer's requests to a node's broker, or a node's answers, ready in the same
 * turn. `wrap` makes the one message of several. Where a message cannot be cloned, the
 * batch is posted one by one, so only that message fails (`onFail`).
 *
 * Why the end of the turn (`setImmediate`) and not the first microtask checkpoint: a turn
 * makes requests in several waves of microtasks. A producer in a worker (calls of 1,000
 * records, four in flight) gets its acknowledgements in one message; the sender sends the
 * batches they freed at once, and the application's next `send` call, a few promise
 * hops later, makes another request. Flushed at the first checkpoint that was 2.9
 * messages a call, each waking the cluster's thread if it slept; flushed at the end of the
 * turn it is 0.5 (two calls' requests a message), and the cluster's thread slept 0.7
 * times a call instead of 1.4-1.7. What it costs is no wake-up and no timer: the immediate runs
 * in the same iteration of the loop, after the I/O callbacks that are already due.
 *
 * `seal`, when given, makes each gathered message final as the outbox posts it: a run of
 * Produce requests (or answers) that took more as the turn went on is laid out in its buffer
 * then (`produce-layout.ts`), with that buffer added to its transfer list. `undefined` drops
 * the message (its owner failed what it carried).
 * @internal
 */
export class Outbox<M> {
  private list: { m: M; transfer: ArrayBuffer[] }[] = [];
  private scheduled = false;
  private readonly flushFn = (): void => this.flush();

  constructor(
    private readonly port: { postMessage(m: unknown, transfer?: ArrayBuffer[]): void },
    private readonly wrap: (list: M[]) => unknown,
    private readonly onFail: (m: M, err: unknown) => void,
    private readonly seal?: (m: M, transfer: ArrayBuffer[]) => M | undefined,
    /** What a message posted alone crosses as, when not as itself (a laid run: its bare buffers, see `ToServer`). */
    private readonly alone?: (m: M) => unknown,
  ) {}

  /** The message added last and not yet posted: a run that may take one more request. */
  last(): M | undefined {
    const list = this.list;
    return list.length === 0 ? undefined : list[list.length - 1]!.m;
  }

  add(m: M, transfer: ArrayBuffer[]): void {
    this.list.push({ m, transfer });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushFn);
  }

  /**
   * Posts `m` at once when nothing waits in the outbox, else adds it there (it then leaves
   * with the others, in one message). For a message on the latency path whose turn has
   * nothing else to carry: a consumer's Fetch answer (see `PortServer`).
   */
  postNow(m: M, transfer: ArrayBuffer[]): void {
    if (this.list.length > 0) return this.add(m, transfer);
    try {
      this.port.postMessage(this.alone !== undefined ? this.alone(m) : m, transfer);
    } catch (err) {
      this.onFail(m, err);
    }
  }

  /** Posts what is gathered now (before a message that must come after it). */
  flush(): void {
    this.scheduled = false;
    let list = this.list;
    if (list.length === 0) return;
    this.list = [];
    const seal = this.seal;
    if (seal !== undefined) {
      let sealed: { m: M; transfer: ArrayBuffer[] }[] | undefined;
      for (let i = 0; i < list.length; i++) {
        const e = list[i]!;
        const m = seal(e.m, e.transfer);
        if (m === e.m && sealed === undefined) continue;
        sealed ??= list.slice(0, i);
        if (m !== undefined) sealed.push({ m, transfer: e.transfer });
      }
      if (sealed !== undefined) list = sealed;
      if (list.length === 0) return;
    }
    if (list.length > 1) {
      try {
        this.port.postMessage(this.wrap(list.map((e) => e.m)), list.flatMap((e) => e.transfer));
        return;
      } catch {
        // one of them cannot cross: post each, so only that one fails
      }
    }
    for (const e of list) {
      try {
        this.port.postMessage(this.alone !== undefined ? this.alone(e.m) : e.m, e.transfer);
      } catch (err) {
        this.onFail(e.m, err);
      }
    }
  }

  clear(): void {
    this.list = [];
  }
}

export { handOver } from '../../util/hand-over.js';

/**
 * The most bytes one buffer of copies holds (`forTransfer`). Copies share buffers up to
 * this size; a larger array gets a buffer of its own. It bounds what a receiver keeps
 * alive by keeping one small view (a consumer's record value is a view of the answer).
 */
export const PACK_BYTES_MAX = 1 << 20;

/**
 * Copies every byte array in `value` into buffers of the transport's own and lists those
 * buffers for transfer; an array whose buffer was handed over (`util/hand-over.ts`) has
 * that buffer listed instead, uncopied. The caller's arrays are never detached (the
 * ownership rule of `Transport`: a producer resends the same batch on a retry), and a
 * pooled `Buffer` never lands in a transfer list. Objects and arrays are rebuilt only
 * where they hold bytes.
 *
 * Why the copies share buffers: each allocation, zero-fill and transferred `ArrayBuffer`
 * costs both threads a few microseconds, more than copying the bytes. A Produce request
 * of a producer in a worker (1,000 records of 100 bytes, four partitions) holds about
 * eight batches of 14 KiB: eight zero-filled buffers and eight transfers before, one
 * unzeroed 112 KiB buffer (`Buffer.allocUnsafeSlow`, never the pool) and one transfer
 * now. Every byte of a fresh buffer is covered by a copy, so nothing stale crosses; a
 * Produce request's copies may go in a buffer that came back (`spare`), whose bytes past
 * them are the same client's earlier copies.
 * @internal
 */
export function forTransfer(value: unknown, transfer: ArrayBuffer[], spare?: SpareBuffers): unknown {
  const plan: CopyPlan = { sizes: [], open: 0, riding: [], arrays: 0 };
  planCopies(value, plan);
  if (plan.arrays === 0) return value; // no bytes (a Fetch request, a Produce answer): nothing to rebuild
  if (plan.open > 0) plan.sizes.push(plan.open);
  return copyOut(value, transfer, plan.sizes.length === 0 ? undefined : new Packer(plan.sizes, transfer, spare));
}

/** The most buffers a `SpareBuffers` keeps, and their most bytes together. */
export const SPARE_BUFFERS_MAX = 16;
export const SPARE_BYTES_MAX = 8 * PACK_BYTES_MAX;
/** The smallest buffer a `SpareBuffers` makes: a Produce request of a busy producer holds a few batches of 16 KiB. */
const SPARE_BYTES_MIN = 64 * 1024;

/**
 * Buffers for the copies of a client's Produce requests that the cluster's thread gave
 * back once it had answered them (`Answer.back`), to be filled again: a buffer goes to
 * the cluster's thread with a request and comes home with its answer.
 *
 * Why: a buffer made for each request and dropped by the thread that received it cost
 * both threads: a fresh allocation (and page faults: the pages are new) in the client's
 * thread, and in the cluster's thread an `ArrayBuffer` whose memory V8 counts as
 * external, freed only by a garbage collection (and by V8's platform threads after it).
 * A producer in a worker sending calls of 1,000 records made four or five such buffers of
 * about 25 KiB a call, and in two runs of three the cluster's isolate ran a full
 * collection every 200 calls or so (none since).
 *
 * Why it is safe: the broker copies a Produce request's batches into its log before it
 * answers and keeps no view of them (the in-process path relies on the same rule: the
 * producer's `BufferPool` reuses a batch's buffer once it is answered). Only
 * Produce requests use these buffers and only their buffers come back, so a buffer never
 * ends up held by a receiver that keeps its bytes (a group member's metadata, say). The
 * bytes of a spare buffer past a request's copies are that client's own earlier copies,
 * which the cluster's thread has had already.
 * @internal
 */
export class SpareBuffers {
  private readonly list: ArrayBuffer[] = [];
  private bytes = 0;

  /** A buffer of at least `n` bytes: a spare one if there is one, else a new one of a size worth keeping. */
  take(n: number): ArrayBuffer {
    const list = this.list;
    for (let i = list.length - 1; i >= 0; i--) {
      const b = list[i]!;
      if (b.byteLength >= n) {
        list[i] = list[list.length - 1]!;
        list.pop();
        this.bytes -= b.byteLength;
        return b;
      }
    }
    let size = SPARE_BYTES_MIN;
    while (size < n) size *= 2;
    return Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer;
  }

  /** Keeps `b` for a later request, unless the list is full (then the garbage collector has it). */
  put(b: unknown): void {
    if (!(b instanceof ArrayBuffer) || b.byteLength < SPARE_BYTES_MIN || b.byteLength > PACK_BYTES_MAX) return;
    if (this.list.length >= SPARE_BUFFERS_MAX || this.bytes + b.byteLength > SPARE_BYTES_MAX) return;
    this.list.push(b);
    this.bytes += b.byteLength;
  }

  get size(): number {
    return this.list.length;
  }
}

/** The buffers of copies a message needs (`planCopies`), and the handed-over buffers met on the way. */
interface CopyPlan {
  readonly sizes: number[];
  open: number;
  readonly riding: ArrayBuffer[];
  /** Byte arrays met, of any kind. */
  arrays: number;
}

/**
 * Whether `bytes` cross as they are, over a transferred buffer: handed over, or a view of a
 * buffer handed over earlier in the same message (the same array twice, say). `planCopies`
 * and `copyOut` decide with this one rule in the same order, so the plan and the copies agree.
 */
function rides(bytes: Uint8Array, take: boolean, riding: ArrayBuffer[]): boolean {
  const buffer = bytes.buffer as ArrayBuffer;
  if (take ? takeHandedOver(bytes) : isHandedOver(bytes)) {
    if (!riding.includes(buffer)) riding.push(buffer);
    return true;
  }
  return riding.length > 0 && riding.includes(buffer);
}

/** Where the copies of one message go: buffers of the sizes `planCopies` worked out, filled in the same order. */
class Packer {
  private chunk: Uint8Array | undefined;
  private used = 0;
  private next = 0;

  constructor(
    private readonly sizes: readonly number[],
    private readonly transfer: ArrayBuffer[],
    private readonly spare: SpareBuffers | undefined,
  ) {}

  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.byteLength;
    if (this.chunk === undefined || this.used + n > this.chunk.byteLength) {
      assert(this.chunk === undefined || this.used === this.chunk.byteLength, 'a buffer of copies is full before the next is opened');
      const size = this.sizes[this.next++];
      assert(size !== undefined && size >= n, 'the copies of a message follow their plan');
      const buffer = this.spare !== undefined ? this.spare.take(size) : unpooled(size).buffer as ArrayBuffer;
      this.chunk = new Uint8Array(buffer, 0, size);
      this.used = 0;
      this.transfer.push(buffer);
    }
    const view = this.chunk.subarray(this.used, this.used + n);
    view.set(bytes);
    this.used += n;
    return view;
  }
}

/** `n` bytes of a buffer of their own, not zeroed (each is overwritten by a copy) and never `Buffer`'s pool. */
function unpooled(n: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
}

/**
 * Sizes the buffers the copies of `value` need, in the order `copyOut` makes them: an
 * array larger than `PACK_BYTES_MAX` alone, the rest packed greedily into buffers of at
 * most that size.
 */
function planCopies(value: unknown, plan: CopyPlan): void {
  if (value === null || typeof value !== 'object') return;
  if (value instanceof Uint8Array) {
    plan.arrays++;
    const n = value.byteLength;
    if (rides(value, false, plan.riding) || n === 0 || n > PACK_BYTES_MAX) return;
    if (plan.open + n > PACK_BYTES_MAX) {
      plan.sizes.push(plan.open);
      plan.open = 0;
    }
    plan.open += n;
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) planCopies(v, plan);
    return;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return;
  for (const key of Object.keys(value)) planCopies((value as Record<string, unknown>)[key], plan);
}

function copyOut(value: unknown, transfer: ArrayBuffer[], packer: Packer | undefined): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) {
    if (rides(value, true, transfer)) return value; // the view crosses as it is (offset and length kept) over its transferred buffer
    const n = value.byteLength;
    if (n === 0) return new Uint8Array(0);
    if (n > PACK_BYTES_MAX) {
      const own = unpooled(n);
      own.set(value);
      transfer.push(own.buffer as ArrayBuffer);
      return own;
    }
    assert(packer !== undefined, 'a message with copies has a plan for them');
    return packer.copy(value);
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const w = copyOut(v, transfer, packer);
      if (w !== v) (out ??= value.slice())[i] = w;
    }
    return out ?? value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    const w = copyOut(v, transfer, packer);
    if (w !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = w;
  }
  return out ?? value;
}

/** Where an error happened, as it crosses a thread (the `TributaryError`'s topic, partition and option). @internal */
export interface ErrorPlace {
  readonly topic?: string;
  readonly partition?: number;
  readonly option?: string;
}

/** An error as it crosses: its code, message and place (a `TributaryError` keeps its code; anything else becomes `UNKNOWN_SERVER_ERROR`). @internal */
export function errorFields(err: unknown): { code: string; message: string; place?: ErrorPlace } {
  if (err instanceof TributaryError) {
    if (err.topic === undefined && err.partition === undefined && err.option === undefined) return { code: err.code, message: err.message };
    const place: { topic?: string; partition?: number; option?: string } = {};
    if (err.topic !== undefined) place.topic = err.topic;
    if (err.partition !== undefined) place.partition = err.partition;
    if (err.option !== undefined) place.option = err.option;
    return { code: err.code, message: err.message, place };
  }
  return { code: 'UNKNOWN_SERVER_ERROR', message: err instanceof Error ? err.message : String(err) };
}

/**
 * The `TributaryError` rebuilt on the receiving side, with the same code, retriable flag,
 * message, topic, partition and option. What arrives is not trusted: a field of the wrong
 * type is left out.
 * @internal
 */
export function rebuildError(code: unknown, message: unknown, place?: unknown): TributaryError {
  const c = typeof code === 'string' && Object.hasOwn(errorCodes, code) ? (code as ErrorCode) : 'UNKNOWN_SERVER_ERROR';
  const context: { topic?: string; partition?: number; option?: string } = {};
  if (typeof place === 'object' && place !== null) {
    const p = place as Record<string, unknown>;
    if (typeof p.topic === 'string') context.topic = p.topic;
    if (typeof p.partition === 'number' && Number.isInteger(p.partition)) context.partition = p.partition;
    if (typeof p.option === 'string') context.option = p.option;
  }
  return new TributaryError(c, typeof message === 'string' ? message : undefined, context);
}
