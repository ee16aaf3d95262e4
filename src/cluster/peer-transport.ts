import type { MessagePort } from 'node:worker_threads';
import type { Request, ResponseFor } from '../protocol/requests.js';
import { PortTransport } from '../transport/port/port-transport.js';
import type { NodeHandler, SendOptions, Transport } from '../transport/transport.js';
import { TributaryError } from '../util/errors.js';
import { isReplicaFetch, peerFetchMessage, takePeerFetchAnswer } from '../node/peer-fetch.js';
import { decodeNodeAnswer, encodeNodeMessage, isNodeRequest, markFetchRecords, sendForFrame, type NodeResponse } from '../node/node-requests.js';

/**
 * A node's way to the other nodes when each node lives in a worker of its own: one
 * `PortTransport` per peer, over a `MessageChannel` the supervisor made between the two
 * workers (the supervisor hands over a new port when a peer restarts, and the old one
 * closes with the dead worker, failing what was in flight with `NETWORK_EXCEPTION`).
 * A request to the node itself (its own controller, say) goes straight to its endpoint.
 * This is where a typed node request (`NodeRequest`) crosses a thread, so it is encoded
 * here into one Kafka request message, and the frame of its answer decoded back; the
 * peer's endpoint decodes the frame into the same typed request. The replica Fetch, the
 * request that runs all the time, crosses in a fixed binary layout instead (`PeerFetch`,
 * node/peer-fetch.ts).
 * @internal
 */
export class PeerTransport implements Transport {
  private readonly links = new Map<number, PortTransport>();
  /** Per peer, the buffer of its last replica Fetch answer, to carry the next request to it (node/peer-fetch.ts). */
  private readonly spares = new Map<number, ArrayBuffer>();
  private closed = false;

  constructor(
    private readonly selfId: number,
    private readonly self: () => NodeHandler | undefined,
  ) {}

  /** The port to peer `id` (replaces an older one: the peer restarted). */
  link(id: number, port: MessagePort): void {
    void this.links.get(id)?.close();
    this.spares.delete(id);
    if (this.closed) {
      port.close();
      return;
    }
    const t = new PortTransport(port, [id], undefined, { clientId: `node-${this.selfId}`, clientHost: `node-${this.selfId}` });
    this.links.set(id, t);
  }

  bootstrapNodes(): readonly number[] {
    return [this.selfId, ...this.links.keys()].sort((a, b) => a - b);
  }

  async send<R extends Request>(nodeId: number, request: R, options?: SendOptions): Promise<ResponseFor<R>> {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the transport is closed');
    if (nodeId === this.selfId) {
      const h = this.self();
      if (h === undefined) throw new TributaryError('NETWORK_EXCEPTION', `node ${nodeId} is not reachable`);
      await Promise.resolve();
      return h.handle(request);
    }
    const t = this.links.get(nodeId);
    if (t === undefined) throw new TributaryError('NETWORK_EXCEPTION', `node ${nodeId} is not reachable`);
    if (!isNodeRequest(request)) return t.send(nodeId, request, options);
    if (isReplicaFetch(request)) {
      // In a fixed binary layout, not a frame (node/peer-fetch.ts: why).
      // The last answer's buffer from this node carries the request (peer-fetch.ts, `takePeerFetchAnswer`: why that is safe).
      const spare = this.spares.get(nodeId);
      this.spares.delete(nodeId);
      const answer: unknown = await t.send(nodeId, peerFetchMessage(request, spare) as unknown as Request, options);
      const { body, spare: next } = takePeerFetchAnswer(answer, nodeId);
      if (next !== undefined && this.links.get(nodeId) === t) this.spares.set(nodeId, next);
      const fetched: NodeResponse = { apiKey: 1, body };
      return fetched as unknown as ResponseFor<R>;
    }
    const answer = await sendForFrame(t, nodeId, request.apiKey, encodeNodeMessage(request), options);
    const body = decodeNodeAnswer(request, answer.frame);
    // A replica Fetch answer of the leader's tail (node-requests.ts, `fetchAnswerFrame`: why
    // a follower of this process need not checksum it again).
    markFetchRecords(request, answer.checked, body);
    const response: NodeResponse = { apiKey: request.apiKey, body };
    return response as unknown as ResponseFor<R>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.links.values()].map((t) => t.close()));
    this.links.clear();
    this.spares.clear();
  }
}
