/**
 * The requests one node of a cluster sends another that are not Kafka client requests:
 * a broker's request to the active controller, a Raft message, and a leader's word that
 * a follower should open its replica. They travel through the same `Transport`, in the
 * same request/response envelope (`{ apiKey, ... }`), as every client request, so the
 * same node runs in this thread, in a worker, or (later) behind a socket.
 *
 * Their api keys are negative: Tributary-internal, never a Kafka api key, and never
 * accepted from a client (a node's client-facing handler is the broker, which refuses
 * them; only the node-to-node endpoint, `NodeEndpoint`, answers them). Kafka carries
 * these as BrokerRegistration / BrokerHeartbeat / AlterPartition / Envelope (forwarded
 * admin requests), and Vote / BeginQuorumEpoch / EndQuorumEpoch / Fetch / FetchSnapshot
 * for Raft; mapping each onto its Kafka schema is left for the wire-protocol work
 * (docs/design/workers.md).
 * @internal
 */
import type { ControllerRequest } from '../metadata/requests.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import type { Message } from '../raft/core/kraft.js';
import type { Transport } from '../transport/transport.js';

export const NodeApiKey = {
  /** A request for the active controller (what Kafka's brokers send as BrokerRegistration, BrokerHeartbeat, AlterPartition, Envelope). */
  Controller: -101,
  /** A Raft message (Kafka's Vote, BeginQuorumEpoch, Fetch, FetchSnapshot and their responses). */
  Raft: -102,
  /** A partition's leader opened its replica: the follower opens its own (Kafka's LeaderAndIsr of ZooKeeper days). */
  OpenReplica: -103,
} as const;

export type NodeRequest =
  | { readonly apiKey: typeof NodeApiKey.Controller; readonly request: ControllerRequest }
  | { readonly apiKey: typeof NodeApiKey.Raft; readonly message: Message }
  | { readonly apiKey: typeof NodeApiKey.OpenReplica; readonly topic: string; readonly partition: number };

/** Whether a request's api key is one of the node-internal ones. */
export function isNodeApiKey(apiKey: number): boolean {
  return apiKey === NodeApiKey.Controller || apiKey === NodeApiKey.Raft || apiKey === NodeApiKey.OpenReplica;
}

/** Sends a node request through a transport (whose signature names only Kafka's requests). */
export function sendNodeRequest(transport: Transport, nodeId: number, request: NodeRequest): Promise<unknown> {
  return transport.send(nodeId, request as unknown as Request) as Promise<ResponseFor<Request>>;
}
