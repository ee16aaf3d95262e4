import type { MessagePort } from 'node:worker_threads';
import type { RequestContext } from '../../broker/request-context.js';
import type { Request, ResponseFor } from '../../protocol/requests.js';
import { TributaryError } from '../../util/errors.js';
import { abortError } from '../inline.js';
import { isRequestShaped, type SendOptions, type Transport } from '../transport.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { ProduceRequest, ProduceResponse } from '../../protocol/produce.js';
import { checksummedHere } from '../../record/checksummed-here.js';
import { forTransfer, Outbox, PACK_BYTES_MAX, rebuildError, SpareBuffers, type Answer, type LaidRequests, type ToClient, type ToServer } from './messages.js';
import { ANSWERS_MAGIC, laysOut, LAID_PARTITIONS_MAX, LAID_REQUESTS_MAX, readAnswers, readRequestIds, writeRequests, type LaidRequest } from './produce-layout.js';

/** Whether `b` is an answer buffer of the layout (by its magic number), not a buffer given back. */
function isAnswerBuffer(b: unknown): b is ArrayBuffer {
  return b instanceof ArrayBuffer && b.byteLength >= 4 && new DataView(b).getInt32(0) === ANSWERS_MAGIC;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: TributaryError): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** A Produce request sent in the fixed layout: its answer comes laid out and is read against it. */
  laid: ProduceRequest | undefined;
}

/**
 * Produce requests made one after another in a turn, gathered in the outbox (its last
 * message while it takes more) and laid out in one buffer when the outbox posts them.
 */
interface Run {
  readonly t: 'run';
  readonly items: LaidRequest[];
  bytes: number;
  partitions: number;
}

type Outgoing = Extract<ToServer, { t: 'req' }> | Run | LaidRequests;

/**
 * The client side of a `MessagePort` to a cluster in another thread (the server side is
 * `PortServer`). Requests carry a correlation id; byte arrays are copied once into buffers
 * of the transport's own and transferred (see the ownership rule of `Transport`); errors
 * come back as codes and are rebuilt as `TributaryError`s. The port is unref'd while no
 * request is in flight, so an idle client never keeps its thread alive.
 *
 * **Produce in the fixed layout.** A Produce request of a client of ours that fits the
 * layout (`laysOut`) is not cloned as an object graph: the Produce requests made one after
 * another in a turn (a `Run`, the outbox's last message while it grows) are laid out at the
 * end of the turn in one buffer (`produce-layout.ts`: the tables, then the batches copied
 * once, into a buffer given back by an earlier answer where there is one), and their answers
 * come back laid out too, each read against the request it answers. They keep their place
 * among the port's other requests (a run closes when another request follows it), so the
 * order per node of the `Transport` contract holds for them as for any request; each keeps
 * its own id, promise, abort and error. A run stays within the reader's maxima
 * (`LAID_REQUESTS_MAX` requests, `LAID_PARTITIONS_MAX` partitions) and under
 * `PACK_BYTES_MAX` bytes where it can (one larger request goes alone).
 * @internal
 */
export class PortTransport implements Transport {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private state: 'open' | 'closed' | 'broken' = 'open';
  private refused: TributaryError | undefined;
  private welcomed: (() => void) | undefined;
  private failWelcome: ((err: TributaryError) => void) | undefined;
  /** Resolves once the cluster's thread accepted the port; rejects with its typed refusal. */
  readonly ready: Promise<void>;
  /** Requests made in one turn go in one message. */
  private readonly outbox: Outbox<Outgoing>;
  /** Buffers the cluster's thread gave back with Produce answers, for the copies of the next Produce requests. */
  private readonly spare = new SpareBuffers();
  /** Who answers, for the errors of an answer that does not hold (`node 2`, `the cluster`). */
  private readonly peerName: string;

  constructor(
    private readonly port: MessagePort,
    private readonly nodeIds: readonly number[],
    readonly clusterRunId: string | undefined,
    hello: { clientId: string; clientHost: string },
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.welcomed = resolve;
      this.failWelcome = reject;
    });
    this.ready.catch(() => {});
    this.peerName = nodeIds.length === 1 ? `node ${nodeIds[0]}` : 'the cluster';
    this.outbox = new Outbox<Outgoing>(
      port,
      (list) => ({ t: 'reqs', list: list.map((m) => (m.t === 'req' ? { id: m.id, node: m.node, req: m.req, ...(m.ctx !== undefined ? { ctx: m.ctx } : {}) } : (m as LaidRequests))) }) satisfies ToServer,
      (m, err) => {
        // A laid message names its ids in its buffer (not detached: the post failed before the transfer).
        const ids = m.t === 'req' ? [m.id] : m.t === 'laid' ? readRequestIds(m.buffer) : m.items.map((it) => it.id);
        for (const id of ids) {
          const p = this.pending.get(id);
          if (p && this.settle(id)) p.reject(new TributaryError('INVALID_REQUEST', `the request cannot cross the thread boundary: ${(err as Error).message}`));
        }
      },
      (m, transfer) => (m.t === 'run' ? this.layOut(m, transfer) : m),
      (m) => (m.t === 'laid' ? m.buffer : m),
    );
    port.on('message', (m: ToClient) => this.onMessage(m));
    port.on('close', () => this.broke(new TributaryError('NETWORK_EXCEPTION', 'the port to the cluster closed with the request in flight')));
    this.post({ t: 'hello', ...hello });
    port.ref(); // until welcomed
  }

  bootstrapNodes(): readonly number[] {
    return this.nodeIds;
  }

  send<R extends Request>(nodeId: number, request: R, options?: SendOptions): Promise<ResponseFor<R>> {
    return this.sendAs(nodeId, request, undefined, options);
  }

  /**
   * `send`, telling the server who sent the request (a cluster relaying a request that came
   * in on a Kafka listener to a node in a worker). Only a server made to trust its port's
   * contexts uses it.
   * @internal
   */
  sendAs<R extends Request>(nodeId: number, request: R, context: RequestContext | undefined, options?: SendOptions): Promise<ResponseFor<R>> {
    return this.relay(nodeId, request, context, options).answer;
  }

  /**
   * `sendAs`, also saying whether the request crossed in the Produce layout (`laysOut`,
   * decided once, here): its answer is then read against it by this transport, and a
   * relay checks only the answers of typed Produce requests (`cluster/relayed-produce.ts`).
   * @internal
   */
  relay<R extends Request>(nodeId: number, request: R, context: RequestContext | undefined, options?: SendOptions): { readonly answer: Promise<ResponseFor<R>>; readonly laid: boolean } {
    const refused = (err: Error): { answer: Promise<ResponseFor<R>>; laid: boolean } => ({ answer: Promise.reject(err), laid: false });
    if (this.state === 'closed') return refused(new TributaryError('CLIENT_CLOSED', 'the transport is closed'));
    if (this.state === 'broken') return refused(this.refused ?? new TributaryError('NETWORK_EXCEPTION', 'the port to the cluster is closed'));
    // A relayed request's context carries its connection's signal, which no port can carry:
    // it becomes the request's own (the node drops a request its client left before its turn).
    const signal = options?.signal ?? context?.signal;
    if (context?.signal !== undefined) context = { listenerName: context.listenerName, clientId: context.clientId, clientHost: context.clientHost, principal: context.principal, ...(context.apiVersion !== undefined ? { apiVersion: context.apiVersion } : {}) };
    if (signal?.aborted) return refused(abortError(signal));
    if (!isRequestShaped(request)) return refused(new TributaryError('INVALID_REQUEST', 'not a request: an object with a numeric apiKey'));
    const laid = laysOut(request, context) ? (request as ProduceRequest) : undefined;
    const id = this.takeId();
    const answer = new Promise<ResponseFor<R>>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, signal, onAbort: undefined, laid };
      if (signal !== undefined) {
        p.onAbort = () => {
          if (!this.settle(id)) return;
          this.post({ t: 'abort', id });
          reject(abortError(signal));
        };
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.set(id, p);
      if (this.pending.size === 1) this.port.ref();
      if (laid !== undefined) return this.addToRun(id, nodeId, laid, context);
      const transfer: ArrayBuffer[] = [];
      // A Fetch request holds no byte arrays (offsets and sizes): nothing to copy, so no walk
      // of it. (A replica Fetch between node workers in its layout, node/peer-fetch.ts, is
      // bytes and no `topics`: walked, its handed-over buffer transferred.)
      const fetch = request.apiKey === ApiKey.Fetch;
      const req = fetch && Array.isArray((request as { topics?: unknown }).topics) ? request : forTransfer(request, transfer, request.apiKey === ApiKey.Produce ? this.spare : undefined);
      const m = { t: 'req', id, node: nodeId, req, ...(context !== undefined ? { ctx: context } : {}) } as const;
      // And a Fetch leaves at once, not at the end of the turn. Why: a consumer sends its next
      // Fetch as it takes the records of the last answer, before they are decoded and handed
      // to the application, so that the Fetch is parked at the broker while the application
      // works on them. Through the outbox it waited for the end of the turn, after the decoding
      // and every record's handling, and records appended meanwhile found no Fetch parked and
      // waited for it. In the e2e bench (bench/results/2026-12-07i-e2e.md) the consumer's
      // answer-to-next-Fetch time fell from 0.045 to 0.013 ms (p50) and the p99 from a median
      // of 1.95 to 1.38 ms (ten interleaved pairs, load 0.8-3). A consumer keeps one Fetch in
      // flight per node, so there is little to gather; it joins the outbox only behind
      // requests already there.
      if (fetch) this.outbox.postNow(m, transfer);
      else this.outbox.add(m, transfer);
    });
    return { answer, laid: laid !== undefined };
  }

  /**
   * The next correlation id: an int32 from 1 (the layout's id field), wrapping round after
   * 2^31 - 1 (hours of a producer flat out) past any id still in flight.
   */
  private takeId(): number {
    let id = this.nextId;
    while (this.pending.has(id)) id = id >= 0x7fff_ffff ? 1 : id + 1;
    this.nextId = id >= 0x7fff_ffff ? 1 : id + 1;
    return id;
  }

  /** Adds a laid Produce request to the run at the end of the outbox, or opens one there. */
  private addToRun(id: number, node: number, request: ProduceRequest, context: RequestContext | undefined): void {
    let checked = true;
    let bytes = 0;
    let batches = 0;
    let partitions = 0;
    for (const t of request.topicData) {
      partitions += t.partitionData.length;
      for (const p of t.partitionData) {
        const records = p.records;
        if (records === null || records.length === 0) continue;
        batches++;
        bytes += records.byteLength;
        if (checked && !checksummedHere(records)) checked = false;
      }
    }
    const last = this.outbox.last();
    let run = last !== undefined && last.t === 'run' ? last : undefined;
    if (run !== undefined && (run.items.length >= LAID_REQUESTS_MAX || run.partitions + partitions > LAID_PARTITIONS_MAX || run.bytes + bytes > PACK_BYTES_MAX)) run = undefined;
    if (run === undefined) {
      run = { t: 'run', items: [], bytes: 0, partitions: 0 };
      this.outbox.add(run, []);
    }
    // `checked`: every batch carried this thread's checksummed mark (only a port server that
    // trusts its port believes it, see `PortServer`).
    run.items.push({ id, node, request, context, checked: checked && batches > 0 });
    run.bytes += bytes;
    run.partitions += partitions;
  }

  /**
   * A run as the outbox posts it: its requests still waited for (one aborted meanwhile is
   * left out), laid out in one buffer, added to `transfer`.
   */
  private layOut(run: Run, transfer: ArrayBuffer[]): LaidRequests | undefined {
    const items = run.items.filter((it) => this.pending.has(it.id));
    if (items.length === 0) return undefined;
    let buffer: ArrayBuffer;
    try {
      buffer = writeRequests(items, (n) => this.spare.take(n)).buffer;
    } catch (err) {
      // Not expected (each request passed canLayOut): these fail alone, typed.
      for (const it of items) {
        const p = this.pending.get(it.id);
        if (p && this.settle(it.id)) p.reject(new TributaryError('INVALID_REQUEST', `the Produce request cannot be laid out: ${(err as Error).message}`));
      }
      return undefined;
    }
    transfer.push(buffer);
    return { t: 'laid', buffer };
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.outbox.clear();
    this.failAll(new TributaryError('NETWORK_EXCEPTION', 'the transport closed with the request in flight'));
    this.failWelcome?.(new TributaryError('CLIENT_CLOSED', 'the transport is closed'));
    if (wasOpen) this.post({ t: 'bye' });
    this.port.close();
  }

  private onMessage(m: ToClient | ArrayBuffer | unknown[]): void {
    if (m === null || typeof m !== 'object') return;
    // Laid answers posted alone, bare (see `ToServer`): the answer buffer, or answer buffers and buffers given back.
    if (m instanceof ArrayBuffer) return this.takeLaid({ t: 'laid', buffers: [m] });
    if (Array.isArray(m)) {
      const buffers: ArrayBuffer[] = [];
      for (const b of m) {
        if (isAnswerBuffer(b)) buffers.push(b);
        else this.spare.put(b);
      }
      return this.takeLaid({ t: 'laid', buffers });
    }
    switch (m.t) {
      case 'welcome':
        this.welcomed?.();
        if (this.pending.size === 0) this.port.unref();
        return;
      case 'res':
      case 'err':
      case 'laid':
        this.answer(m);
        return;
      case 'answers':
        if (Array.isArray(m.list)) for (const a of m.list) if (a !== null && typeof a === 'object') this.answer(a);
        return;
      case 'refused':
        this.refused = rebuildError(m.code, m.message, m.place);
        this.broke(this.refused);
        this.port.close();
        return;
      case 'closed':
        this.refused = new TributaryError('CLIENT_CLOSED', 'the cluster is closed');
        this.broke(new TributaryError('NETWORK_EXCEPTION', 'the cluster closed with the request in flight'));
        this.port.close();
        return;
    }
  }

  private answer(m: Answer): void {
    if (m.t === 'laid') return this.takeLaid(m);
    if (m.t !== 'res' && m.t !== 'err') return;
    const p = this.pending.get(m.id);
    if (m.t === 'res' && Array.isArray(m.back)) for (const b of m.back) this.spare.put(b);
    if (!p || !this.settle(m.id)) return;
    if (m.t === 'err') p.reject(rebuildError(m.code, m.message, m.place));
    // A laid request's answer is laid out and read against it; an object in its place is not believed.
    else if (p.laid !== undefined) p.reject(new TributaryError('CORRUPT_MESSAGE', `${this.peerName} answered a Produce request with an object, not its layout`));
    else p.resolve(m.res);
  }

  /**
   * Laid answers: each buffer read (`readAnswers`) against the requests it answers. A buffer
   * that does not hold as a whole fails every laid request in flight (`CORRUPT_MESSAGE`):
   * which ones it answered is unknown, so none can be trusted to be answered.
   */
  private takeLaid(m: Extract<Answer, { t: 'laid' }>): void {
    if (Array.isArray(m.back)) for (const b of m.back) this.spare.put(b);
    const buffers: unknown = m.buffers;
    for (const buffer of Array.isArray(buffers) ? (buffers as unknown[]) : [buffers]) {
      let list: ReturnType<typeof readAnswers>;
      try {
        list = readAnswers(buffer, this.peerName, (id) => this.pending.get(id)?.laid);
      } catch (err) {
        const e = err instanceof TributaryError ? err : new TributaryError('CORRUPT_MESSAGE', `${this.peerName} answered a Produce request with something unreadable`);
        for (const [id, p] of [...this.pending]) if (p.laid !== undefined && this.settle(id)) p.reject(e);
        continue;
      }
      for (const a of list) {
        const p = this.pending.get(a.id);
        if (!p || !this.settle(a.id)) continue;
        if (a.error !== undefined) p.reject(a.error);
        else if (a.response !== undefined) p.resolve(a.response satisfies ProduceResponse);
        else p.reject(new TributaryError('CORRUPT_MESSAGE', `${this.peerName} answered a Produce request with nothing`));
      }
    }
  }

  /** Removes a pending request; false when it was settled already. */
  private settle(id: number): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    if (this.pending.size === 0 && this.state === 'open') this.port.unref();
    return true;
  }

  private broke(err: TributaryError): void {
    if (this.state === 'open') this.state = 'broken';
    this.failWelcome?.(this.refused ?? err);
    this.failAll(err);
  }

  private failAll(err: TributaryError): void {
    for (const [id, p] of [...this.pending]) if (this.settle(id)) p.reject(err);
  }

  private post(m: ToServer): void {
    this.outbox.flush(); // after the requests made before it (an abort after its request)
    try {
      this.port.postMessage(m);
    } catch {
      // a closed port: nothing to tell
    }
  }
}
