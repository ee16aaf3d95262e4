import type { MessagePort } from 'node:worker_threads';
import type { RequestContext } from '../../broker/request-context.js';
import type { Request } from '../../protocol/requests.js';
import { isTributaryError, TributaryError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import type { NodeHandler } from '../transport.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { ProduceResponse } from '../../protocol/produce.js';
import { markChecksummedHere } from '../../record/checksummed-here.js';
import { errorFields, forTransfer, Outbox, type Answer, type ToClient } from './messages.js';
import { answerChunks, readRequestIds, readRequests, writeAnswers, type LaidAnswer } from './produce-layout.js';

/**
 * The answers of laid Produce requests ready in one turn, gathered in the outbox (its last
 * message while it takes more) and laid out when the outbox posts them, with the buffers of
 * requests that are all answered (`back`).
 */
interface AnswerRun {
  readonly t: 'run';
  readonly answers: LaidAnswer[];
  readonly back: ArrayBuffer[];
}

/**
 * The most requests that wait on one port for their turn (`PortServer.queue`): far above
 * what a client of ours keeps in flight to a node (a producer's five batches a partition
 * go in a handful of requests), so only a port posting garbage reaches it.
 * @internal
 */
export const QUEUED_REQUESTS_MAX = 10_000;

/**
 * The cluster's side of a port from a client thread: answers each request by calling the
 * node's handler, in the order the requests arrive. Garbage on the port is answered with a
 * typed error where it names a request, and dropped with a warning where it does not;
 * nothing posted on the port can throw in the cluster's thread. The port is unref'd: a
 * client's port never keeps the cluster's thread alive.
 *
 * Produce requests that arrive in the fixed layout (`produce-layout.ts`, a `laid` message or
 * entry) are read where they arrive (a request that does not hold is refused alone,
 * `INVALID_REQUEST`; a message whose header or request table does not hold, for every id it
 * names that can be read), take their place in the queue with the typed ones, and are
 * answered in the layout: the answers ready in one turn in one buffer, cut into as many as
 * the reader's maxima ask (`answerChunks`). The batches are views of the message's buffer,
 * which goes back to the client once every request in it is answered and none failed.
 * @internal
 */
export class PortServer {
  private context: RequestContext | undefined;
  private readonly aborted = new Set<number>();
  private readonly inFlight = new Set<number>();
  /**
   * Requests relayed from a Kafka listener (a trusted context of a wire client), by id: the
   * handler's `RequestContext.signal`, aborted when the client's connection closed (the
   * relaying side sends `abort`) or this port goes, so a handler that waits stops.
   */
  private readonly relayed = new Map<number, AbortController>();
  private open = true;
  /** Answers ready in one turn go in one message. */
  private readonly outbox: Outbox<Answer | AnswerRun>;
  /**
   * Requests that arrived and are not yet handed to their node, in arrival order. Our
   * clients' own limits keep it short (a producer's requests in flight to a node, a
   * consumer's one Fetch); a port that posts more than `QUEUED_REQUESTS_MAX` gets the
   * excess refused.
   */
  private queue: Queued[] = [];
  private queueHead = 0;
  private stepScheduled = false;
  /**
   * The buffers under the batches of the Produce requests taken in and not yet answered,
   * with how many of those requests hold each: a buffer goes back to the client
   * (`Answer.back`) once no request still waiting or being handled holds it, unless one of
   * them failed (its handler may have kept a view of it; the garbage collector has it then).
   */
  private readonly lent = new Map<ArrayBuffer, { n: number; failed: boolean }>();
  private readonly stepFn = (): void => {
    this.stepScheduled = false;
    if (!this.open) return;
    try {
      this.outbox.flush(); // the answers of the steps before: the client works on them while this thread goes on
      this.step();
    } catch (err) {
      // As for a message (the `message` listener): nothing posted on the port may throw in this thread.
      this.log.warn({ err }, 'dropped a request from a client thread');
      if (!this.stepScheduled && this.queueHead < this.queue.length) {
        this.stepScheduled = true;
        setImmediate(this.stepFn);
      }
    }
  };

  constructor(
    private readonly port: MessagePort,
    private readonly nodeHandler: (nodeId: number) => NodeHandler | undefined,
    private readonly log: Logger,
    /** Called once, when the port is done with: `exited` when it closed without a goodbye (the client's thread ended or was terminated). */
    private readonly onGone: (server: PortServer, how: 'exited' | 'bye' | 'closed') => void,
    /** Whether a request's own context (`ctx`) is believed: only on a port that the cluster itself holds the other end of. */
    private readonly trustContext = false,
  ) {
    this.outbox = new Outbox<Answer | AnswerRun>(
      port,
      (list) => ({ t: 'answers', list: list as Answer[] }) satisfies ToClient,
      (m, err) => {
        if (m.t === 'res') this.post({ t: 'err', id: m.id, code: 'UNKNOWN_SERVER_ERROR', message: `the response cannot cross the thread boundary: ${(err as Error).message}` });
        else this.log.warn({ err }, 'could not answer a client thread');
      },
      (m, transfer) => (m.t === 'run' ? layOutAnswers(m, transfer) : m),
      // Laid answers posted alone cross bare (see `ToServer`): the buffer, or the buffers and those given back.
      (m) => (m.t !== 'laid' ? m : m.buffers.length === 1 && (m.back === undefined || m.back.length === 0) ? m.buffers[0] : [...m.buffers, ...(m.back ?? [])]),
    );
    port.on('message', (m: unknown) => {
      try {
        this.onMessage(m);
      } catch (err) {
        this.log.warn({ err }, 'dropped a message from a client thread');
      }
    });
    port.on('close', () => this.gone('exited'));
    port.unref();
  }

  /** Tells the client the cluster closed, and closes the port. */
  close(): void {
    if (!this.open) return;
    this.post({ t: 'closed' });
    this.gone('closed');
  }

  private gone(how: 'exited' | 'bye' | 'closed'): void {
    if (!this.open) return;
    this.open = false;
    this.outbox.clear();
    this.queue = [];
    this.queueHead = 0;
    this.lent.clear();
    for (const gone of this.relayed.values()) gone.abort();
    this.relayed.clear();
    this.port.close();
    this.onGone(this, how);
  }

  private onMessage(m: unknown): void {
    if (!this.open) return;
    if (m instanceof ArrayBuffer) {
      // Laid Produce requests posted alone, bare (see `ToServer`).
      this.enqueueLaid(m);
      this.pump();
      return;
    }
    if (m === null || typeof m !== 'object' || typeof (m as { t?: unknown }).t !== 'string') {
      this.log.warn({ type: typeof m }, 'dropped a message that is not a request from a client thread');
      return;
    }
    const msg = m as Record<string, unknown>;
    switch (msg.t) {
      case 'hello': {
        if (this.context !== undefined) {
          this.post({ t: 'refused', code: 'INVALID_REQUEST', message: 'this cluster handle is already connected: make one handle per connect' });
          this.gone('closed');
          return;
        }
        const clientId = typeof msg.clientId === 'string' ? msg.clientId : '';
        const clientHost = typeof msg.clientHost === 'string' ? msg.clientHost : 'worker';
        this.context = { listenerName: 'inline', clientId, clientHost, principal: null };
        this.post({ t: 'welcome' });
        return;
      }
      case 'abort':
        if (typeof msg.id === 'number' && this.inFlight.has(msg.id)) this.aborted.add(msg.id);
        if (typeof msg.id === 'number') this.relayed.get(msg.id)?.abort();
        return;
      case 'bye':
        this.gone('bye');
        return;
      case 'req':
        this.enqueue(msg);
        this.pump();
        return;
      case 'laid':
        this.enqueueLaid(msg.buffer);
        this.pump();
        return;
      case 'reqs':
        if (!Array.isArray(msg.list)) {
          this.log.warn({}, 'dropped a batch of requests that is not a list from a client thread');
          return;
        }
        for (const r of msg.list as unknown[]) {
          if (r === null || typeof r !== 'object') this.log.warn({ type: typeof r }, 'dropped a message that is not a request from a client thread');
          else if ((r as { t?: unknown }).t === 'laid') this.enqueueLaid((r as { buffer?: unknown }).buffer);
          else this.enqueue(r as Record<string, unknown>);
        }
        this.pump();
        return;
      default:
        this.log.warn({ t: String(msg.t).slice(0, 40) }, 'dropped a message of unknown type from a client thread');
    }
  }

  /**
   * Takes a request in: one without a usable correlation id is dropped, one before the
   * handshake answered with a typed error at once; the rest wait their turn in `queue`.
   */
  private enqueue(msg: Record<string, unknown>): void {
    const id = msg.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || this.inFlight.has(id)) {
      this.log.warn({ id: typeof id }, 'dropped a request without a usable correlation id from a client thread');
      return;
    }
    this.inFlight.add(id);
    if (this.context === undefined) {
      if (this.done(id)) this.answer({ t: 'err', id, ...errorFields(new TributaryError('INVALID_REQUEST', 'a request came before the handshake')) }, []);
      return;
    }
    if (this.queue.length - this.queueHead >= QUEUED_REQUESTS_MAX) {
      if (this.done(id)) this.answer({ t: 'err', id, ...errorFields(new TributaryError('INVALID_REQUEST', `more than ${QUEUED_REQUESTS_MAX} requests wait on this port`)) }, []);
      return;
    }
    const req = msg.req;
    // Counted when the message arrives, for all its requests at once: only requests of one message can share a buffer.
    const lent = req !== null && typeof req === 'object' && (req as { apiKey?: unknown }).apiKey === ApiKey.Produce ? this.lend(req) : undefined;
    this.queue.push({ msg, lent, laid: false });
  }

  /**
   * Takes in a message of Produce requests in the fixed layout: each request that holds
   * waits its turn in `queue` as a typed one does (its batches views of `buffer`, lent to
   * it); one that does not is refused alone; a message that does not hold as a whole is
   * refused for every id it names that is not in flight, or dropped with a warning.
   */
  private enqueueLaid(buffer: unknown): void {
    let list: ReturnType<typeof readRequests>;
    try {
      list = readRequests(buffer);
    } catch (err) {
      const ids = readRequestIds(buffer).filter((id) => !this.inFlight.has(id));
      if (ids.length === 0) {
        this.log.warn({ err }, 'dropped a Produce message from a client thread that names no request');
        return;
      }
      const e = isTributaryError(err) ? err : new TributaryError('INVALID_REQUEST', 'an unreadable Produce message');
      for (const id of ids) this.answerLaid({ id, error: e }, undefined);
      return;
    }
    const b = buffer as ArrayBuffer;
    const lent = [b];
    let holders = 0;
    for (const item of list) {
      const id = item.id;
      if (this.inFlight.has(id)) {
        // The id of a request still being handled: its answer would be taken for the other's.
        this.log.warn({ id }, 'dropped a Produce request whose id is in flight');
        continue;
      }
      if ('error' in item) {
        this.answerLaid({ id, error: item.error }, undefined);
        continue;
      }
      this.inFlight.add(id);
      if (this.context === undefined || this.queue.length - this.queueHead >= QUEUED_REQUESTS_MAX) {
        const why = this.context === undefined ? 'a request came before the handshake' : `more than ${QUEUED_REQUESTS_MAX} requests wait on this port`;
        if (this.done(id)) this.answerLaid({ id, error: new TributaryError('INVALID_REQUEST', why) }, undefined);
        continue;
      }
      // The calling thread's mark (its producer wrote these batches' CRC) is believed only on
      // a port whose other end the cluster itself holds, as a relayed context is.
      if (item.checked && this.trustContext) {
        for (const t of item.request.topicData) for (const p of t.partitionData) if (p.records !== null && p.records.length > 0) markChecksummedHere(p.records);
      }
      holders++;
      this.queue.push({ msg: { id, node: item.node, req: item.request, ctx: item.context }, lent, laid: true });
    }
    if (holders > 0) this.lent.set(b, { n: holders, failed: false });
  }

  /**
   * Hands the queued requests to their nodes, one a step, posting the answers ready so far
   * before each next step: a message of several requests is answered as it is worked
   * through, not all at once at its end.
   *
   * Why: a producer in a worker (calls of 1,000 records, four in flight, idempotent, so at
   * most five batches of a partition unsettled) posts about nine requests in one message,
   * two calls' worth, and waits for their answers before it can send more. Handled in one
   * turn, they were answered in one message at its end: the producer's thread slept while
   * the cluster's thread worked through all nine, then the cluster's thread slept while the
   * producer took the answers in and encoded the next two calls (every answer in one
   * message, the requests in flight going to zero each round). Answered request by
   * request, the producer takes in the first answers and encodes and sends more while the
   * cluster's thread handles the rest: the two threads work at the same time. A step is a
   * `setImmediate`, which also lets messages that arrived meanwhile join the queue. A lone
   * request is handed over at once, as before.
   */
  private pump(): void {
    if (this.stepScheduled || this.queueHead >= this.queue.length) return;
    this.step();
  }

  private step(): void {
    const q = this.queue[this.queueHead++];
    if (q !== undefined) this.request(q.msg, q.lent, q.laid);
    // On the supervisor's own port to a node in a worker (`trustContext`), the Produce
    // requests queued behind a Produce go in the same step: their appends then wake the
    // node's followers' parked fetches once, so one fetch answer (one message to each
    // follower) carries them all, and their acks=all answers come ready in one turn and
    // share one message. Stepped one by one, the wake-up scheduled by the first append ran
    // before the next step, and each request took a replica fetch round of its own
    // (bench/results/2026-12-07i-pernode.md). The producer that gains from the steps (a
    // client in a worker, working while the cluster's thread handles the rest) is on an
    // untrusted port, unchanged.
    if (this.trustContext && q !== undefined && q.lent !== undefined) {
      while (this.queueHead < this.queue.length && this.queue[this.queueHead]!.lent !== undefined) {
        const next = this.queue[this.queueHead++]!;
        this.request(next.msg, next.lent, next.laid);
      }
    }
    if (this.queueHead < this.queue.length) {
      this.stepScheduled = true;
      setImmediate(this.stepFn);
    } else {
      this.queue = [];
      this.queueHead = 0;
    }
  }

  /** Request `id` failed with `err` (not sent back: the buffers it held are the garbage collector's). */
  private failed(id: number, lent: ArrayBuffer[] | undefined, laid: boolean, err: unknown): void {
    if (lent !== undefined) this.giveBack(lent, true);
    if (!this.done(id)) return;
    if (laid) this.answerLaid({ id, error: isTributaryError(err) ? err : new TributaryError('UNKNOWN_SERVER_ERROR', err instanceof Error ? err.message : String(err)) }, undefined);
    else this.answer({ t: 'err', id, ...errorFields(err) }, []);
  }

  private request(msg: Record<string, unknown>, lent: ArrayBuffer[] | undefined, laid: boolean): void {
    const id = msg.id as number;
    if (this.aborted.size > 0 && this.aborted.has(id)) {
      if (lent !== undefined) this.giveBack(lent, false);
      this.done(id); // aborted before its turn: its client no longer waits for it
      return;
    }
    const req = msg.req;
    if (req === null || typeof req !== 'object' || typeof (req as { apiKey?: unknown }).apiKey !== 'number') {
      return this.failed(id, lent, laid, new TributaryError('INVALID_REQUEST', 'the message carries no request (an object with an apiKey)'));
    }
    const node = msg.node;
    const handler = typeof node === 'number' ? this.nodeHandler(node) : undefined;
    if (handler === undefined) return this.failed(id, lent, laid, new TributaryError('NETWORK_EXCEPTION', `node ${String(node)} is not reachable`));
    let answer: Promise<unknown>;
    try {
      let context = this.trustContext && isContext(msg.ctx) ? msg.ctx : this.context;
      if (context !== undefined && context !== this.context && context.listenerName !== 'inline') {
        const gone = new AbortController();
        this.relayed.set(id, gone);
        context = { listenerName: context.listenerName, clientId: context.clientId, clientHost: context.clientHost, principal: context.principal, signal: gone.signal, ...(typeof context.apiVersion === 'number' ? { apiVersion: context.apiVersion } : {}) };
      }
      answer = handler.handle(req as Request, context);
    } catch (err) {
      answer = Promise.reject(err);
    }
    const apiKey = (req as { apiKey: number }).apiKey;
    answer.then(
      (res) => {
        const back = lent === undefined ? undefined : this.giveBack(lent, false);
        if (!this.done(id)) return;
        if (laid) return this.answerLaid({ id, response: res as ProduceResponse }, back);
        // A Fetch answer leaves at once, not at the end of the turn. Why: a consumer's Fetch
        // waits in the broker until an append wakes it (`Wakeups`, on the check phase of the
        // loop iteration that appended); through the outbox its answer waited for another
        // iteration, and behind the Produce answer of the same append, so the producer's thread
        // was woken first and took the free core. At once, the consumer's thread is woken first
        // and one loop iteration earlier. A consumer keeps one Fetch in flight per node, so
        // there is nothing to gather: the message count is the same.
        if (apiKey === ApiKey.Fetch) {
          const transfer: ArrayBuffer[] = [];
          if (this.open) this.outbox.postNow({ t: 'res', id, res: forTransfer(res, transfer) }, transfer);
          return;
        }
        // A Produce answer holds no byte arrays (offsets and error codes): nothing to copy, so no walk of it.
        const transfer: ArrayBuffer[] = [];
        const out = apiKey === ApiKey.Produce ? res : forTransfer(res, transfer);
        if (back !== undefined && back.length > 0) {
          transfer.push(...back);
          this.answer({ t: 'res', id, res: out, back }, transfer);
        } else {
          this.answer({ t: 'res', id, res: out }, transfer);
        }
      },
      (err: unknown) => this.failed(id, lent, laid, err),
    );
  }

  /**
   * The distinct buffers under a Produce request's batches (whatever shape arrived: only
   * byte arrays over a plain, non-empty `ArrayBuffer` count), each counted as lent to one
   * more request in `lent`.
   */
  private lend(req: object): ArrayBuffer[] | undefined {
    let out: ArrayBuffer[] | undefined;
    const topics = (req as { topicData?: unknown }).topicData;
    if (!Array.isArray(topics)) return undefined;
    for (const t of topics as unknown[]) {
      const parts = (t as { partitionData?: unknown } | null)?.partitionData;
      if (!Array.isArray(parts)) continue;
      for (const p of parts as unknown[]) {
        const records = (p as { records?: unknown } | null)?.records;
        if (!(records instanceof Uint8Array)) continue;
        const b = records.buffer;
        if (!(b instanceof ArrayBuffer) || b.byteLength === 0 || (out !== undefined && out.includes(b))) continue;
        (out ??= []).push(b);
        const held = this.lent.get(b);
        if (held !== undefined) held.n++;
        else this.lent.set(b, { n: 1, failed: false });
      }
    }
    return out;
  }

  /**
   * The request that held `buffers` is answered (`failed`: with an error, or not at all):
   * those no other request holds and none failed, to send back.
   */
  private giveBack(buffers: readonly ArrayBuffer[], failed: boolean): ArrayBuffer[] {
    const back: ArrayBuffer[] = [];
    for (const b of buffers) {
      const held = this.lent.get(b);
      if (held === undefined) continue;
      if (failed) held.failed = true;
      if (--held.n > 0) continue;
      this.lent.delete(b);
      if (!held.failed && b.byteLength > 0) back.push(b); // (0: detached already, nothing to send)
    }
    return back;
  }

  /** Whether the answer to `id` is still wanted. */
  private done(id: number): boolean {
    this.inFlight.delete(id);
    if (this.relayed.size > 0) this.relayed.delete(id);
    return !(this.aborted.size > 0 && this.aborted.delete(id)) && this.open;
  }

  private answer(a: Answer, transfer: ArrayBuffer[]): void {
    if (this.open) this.outbox.add(a, transfer);
  }

  /** Adds a laid request's answer (and the buffers to give back) to the run at the end of the outbox, or opens one there. */
  private answerLaid(a: LaidAnswer, back: readonly ArrayBuffer[] | undefined): void {
    if (!this.open) return;
    const last = this.outbox.last();
    let run = last !== undefined && last.t === 'run' ? last : undefined;
    if (run === undefined) {
      run = { t: 'run', answers: [], back: [] };
      this.outbox.add(run, []);
    }
    run.answers.push(a);
    if (back !== undefined) for (const b of back) run.back.push(b);
  }

  private post(m: ToClient): void {
    if (!this.open) return;
    this.outbox.flush(); // after the answers before it
    try {
      this.port.postMessage(m);
    } catch (err) {
      this.log.warn({ err }, 'could not answer a client thread');
    }
  }
}

interface Queued {
  readonly msg: Record<string, unknown>;
  /** The buffers this request holds (a Produce request's batches), see `PortServer.lent`. */
  readonly lent: ArrayBuffer[] | undefined;
  /** It came in the fixed layout, and is answered in it. */
  readonly laid: boolean;
}

/**
 * A run of laid answers as the outbox posts it: one buffer a chunk within the reader's
 * maxima, added to `transfer` with the buffers given back. The node's own broker wrote the
 * responses; one the layout cannot hold (a bug in a handler: not a Produce response's shape)
 * becomes that request's `UNKNOWN_SERVER_ERROR` rather than a throw in this thread.
 */
function layOutAnswers(run: AnswerRun, transfer: ArrayBuffer[]): Answer {
  const buffers: ArrayBuffer[] = [];
  for (const chunk of answerChunks(run.answers.map(layable))) {
    let buffer: ArrayBuffer;
    try {
      buffer = writeAnswers(chunk);
    } catch (err) {
      // A field deeper down that the layout cannot hold (a record error that is not an object): those answers fail typed.
      const why = `the node's Produce response cannot be laid out: ${(err as Error).message}`;
      buffer = writeAnswers(chunk.map((a) => ('error' in a ? a : { id: a.id, error: new TributaryError('UNKNOWN_SERVER_ERROR', why) })));
    }
    buffers.push(buffer);
    transfer.push(buffer);
  }
  if (run.back.length === 0) return { t: 'laid', buffers };
  for (const b of run.back) transfer.push(b);
  return { t: 'laid', buffers, back: run.back };
}

/** `a`, or an error in its place when its response is not one the layout can hold. */
function layable(a: LaidAnswer): LaidAnswer {
  if ('error' in a) return a;
  const res = a.response as unknown;
  const ok =
    res !== null &&
    typeof res === 'object' &&
    Array.isArray((res as ProduceResponse).responses) &&
    (res as ProduceResponse).responses.every((t) => t !== null && typeof t === 'object' && typeof t.name === 'string' && Array.isArray(t.partitionResponses) && t.partitionResponses.every((p) => p !== null && typeof p === 'object'));
  return ok ? a : { id: a.id, error: new TributaryError('UNKNOWN_SERVER_ERROR', 'the node answered a Produce request with something that is not a Produce response') };
}

function isContext(v: unknown): v is RequestContext {
  if (v === null || typeof v !== 'object') return false;
  const c = v as Record<string, unknown>;
  return typeof c.listenerName === 'string' && typeof c.clientId === 'string' && typeof c.clientHost === 'string' && (c.principal === null || typeof c.principal === 'string');
}
