import type { Request, ResponseFor } from '../protocol/requests.js';
import { TributaryError } from '../util/errors.js';
import type { NodeHandler, Transport } from './transport.js';
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

  /** @param clusterRunId the run of the cluster whose nodes this transport reaches (see {@link Transport.clusterRunId}). */
  constructor(readonly clusterRunId?: string) {}

  /** Makes a node reachable (or, with `undefined`, unreachable: a stopped or killed node). */
  setNode(nodeId: number, handler: NodeHandler | undefined): void {
    if (handler === undefined) this.nodes.delete(nodeId);
    else this.nodes.set(nodeId, handler);
  }

  bootstrapNodes(): readonly number[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  async send<R extends Request>(nodeId: number, request: R): Promise<ResponseFor<R>> {
    await (this.budget.take() ?? Promise.resolve());
    const handler = this.nodes.get(nodeId);
    if (handler === undefined) throw new TributaryError('NETWORK_EXCEPTION', `node ${nodeId} is not reachable`);
    return handler.handle(request);
  }
}
