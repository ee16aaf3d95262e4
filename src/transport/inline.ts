import type { RequestContext } from '../broker/request-context.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import { TributaryError } from '../util/errors.js';
import { isRequestShaped, type NodeHandler, type SendOptions, type Transport } from './transport.js';
import { TurnBudget, inlineTurnBudget } from './turn-budget.js';

/**
 * Requests carried within the thread: `send` calls the node's handler directly (on a
 * later microtask, never inside the caller's turn), or, once this turn of the event loop
 * has carried its budget of requests, on the next turn, so timers and I/O keep running
 * under a producer flat out. The request object itself is handed
 * over, not copied: the broker must treat it as read-only, and so must the client once
 * it is sent.
 */
export class InlineTransport implements Transport {
  private readonly nodes = new Map<number, NodeHandler>();
  private readonly budget = new TurnBudget(inlineTurnBudget.requestsMax, inlineTurnBudget.budgetUs);
  private readonly inFlight = new Set<(err: TributaryError) => void>();
  private closed = false;

  /**
   * @param clusterRunId the run of the cluster whose nodes this transport reaches (see {@link Transport.clusterRunId}).
   * @param context who the requests come from, as the node's handler is told (none: a client in this thread).
   */
  constructor(
    readonly clusterRunId?: string,
    private readonly context?: RequestContext,
  ) {}

  /** Makes a node reachable (or, with `undefined`, unreachable: a stopped or killed node). */
  setNode(nodeId: number, handler: NodeHandler | undefined): void {
    if (handler === undefined) this.nodes.delete(nodeId);
    else this.nodes.set(nodeId, handler);
  }

  /** The handler of a reachable node. @internal */
  handler(nodeId: number): NodeHandler | undefined {
    return this.nodes.get(nodeId);
  }

  bootstrapNodes(): readonly number[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  async send<R extends Request>(nodeId: number, request: R, options?: SendOptions): Promise<ResponseFor<R>> {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the transport is closed');
    const signal = options?.signal;
    if (signal?.aborted) throw abortError(signal);
    if (!isRequestShaped(request)) throw new TributaryError('INVALID_REQUEST', 'not a request: an object with a numeric apiKey');
    await (this.budget.take() ?? Promise.resolve());
    if (this.closed) throw new TributaryError('NETWORK_EXCEPTION', 'the transport closed before the request was sent');
    // Aborted while it waited its turn: the handler never sees it.
    if (signal?.aborted) throw abortError(signal);
    const handler = this.nodes.get(nodeId);
    if (handler === undefined) throw new TributaryError('NETWORK_EXCEPTION', `node ${nodeId} is not reachable`);
    const answer = handler.handle(request, this.context);
    return new Promise<ResponseFor<R>>((resolve, reject) => {
      const onAbort = (): void => settle(abortError(signal!));
      const fail = (err: TributaryError): void => settle(err);
      const settle = (err: unknown, value?: ResponseFor<R>): void => {
        if (!this.inFlight.delete(fail)) return;
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve(value!);
        else reject(err);
      };
      this.inFlight.add(fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      answer.then(
        (v) => settle(undefined, v),
        (e: unknown) => settle(e ?? new TributaryError('UNKNOWN_SERVER_ERROR')),
      );
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new TributaryError('NETWORK_EXCEPTION', 'the transport closed with the request in flight');
    for (const fail of [...this.inFlight]) fail(err);
    this.inFlight.clear();
  }
}

/** The typed error of an aborted request. @internal */
export function abortError(signal: AbortSignal): TributaryError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
  return new TributaryError('REQUEST_ABORTED', `the request was aborted: ${why}`, { cause: reason });
}
