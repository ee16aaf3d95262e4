import type { MessagePort } from 'node:worker_threads';
import type { RequestContext } from '../../broker/request-context.js';
import type { Request, ResponseFor } from '../../protocol/requests.js';
import { TributaryError } from '../../util/errors.js';
import { abortError } from '../inline.js';
import { isRequestShaped, type SendOptions, type Transport } from '../transport.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { forTransfer, Outbox, rebuildError, SpareBuffers, type Answer, type ToClient, type ToServer } from './messages.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: TributaryError): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * The client side of a `MessagePort` to a cluster in another thread (the server side is
 * `PortServer`). Requests carry a correlation id; byte arrays are copied once into buffers
 * of the transport's own and transferred (see the ownership rule of `Transport`); errors
 * come back as codes and are rebuilt as `TributaryError`s. The port is unref'd while no
 * request is in flight, so an idle client never keeps its thread alive.
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
  private readonly outbox: Outbox<Extract<ToServer, { t: 'req' }>>;
  /** Buffers the cluster's thread gave back with Produce answers, for the copies of the next Produce requests. */
  private readonly spare = new SpareBuffers();

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
    this.outbox = new Outbox(
      port,
      (list) => ({ t: 'reqs', list: list.map(({ t: _t, ...r }) => r) }) satisfies ToServer,
      (m, err) => {
        const p = this.pending.get(m.id);
        if (p && this.settle(m.id)) p.reject(new TributaryError('INVALID_REQUEST', `the request cannot cross the thread boundary: ${(err as Error).message}`));
      },
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
    if (this.state === 'closed') return Promise.reject(new TributaryError('CLIENT_CLOSED', 'the transport is closed'));
    if (this.state === 'broken') return Promise.reject(this.refused ?? new TributaryError('NETWORK_EXCEPTION', 'the port to the cluster is closed'));
    // A relayed request's context carries its connection's signal, which no port can carry:
    // it becomes the request's own (the node drops a request its client left before its turn).
    const signal = options?.signal ?? context?.signal;
    if (context?.signal !== undefined) context = { listenerName: context.listenerName, clientId: context.clientId, clientHost: context.clientHost, principal: context.principal, ...(context.apiVersion !== undefined ? { apiVersion: context.apiVersion } : {}) };
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (!isRequestShaped(request)) return Promise.reject(new TributaryError('INVALID_REQUEST', 'not a request: an object with a numeric apiKey'));
    const id = this.nextId++;
    return new Promise<ResponseFor<R>>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, signal, onAbort: undefined };
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

  private onMessage(m: ToClient): void {
    if (m === null || typeof m !== 'object') return;
    switch (m.t) {
      case 'welcome':
        this.welcomed?.();
        if (this.pending.size === 0) this.port.unref();
        return;
      case 'res':
      case 'err':
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
    const p = this.pending.get(m.id);
    if (m.t === 'res' && Array.isArray(m.back)) for (const b of m.back) this.spare.put(b);
    if (!p || !this.settle(m.id)) return;
    if (m.t === 'res') p.resolve(m.res);
    else p.reject(rebuildError(m.code, m.message, m.place));
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
