import type { Message, NodeId } from '../raft/core/kraft.js';
import type { RaftEndpoint, RaftNetwork } from '../raft/inline-network.js';
import type { RaftTransport } from '../raft/raft-node.js';
import type { Transport } from '../transport/transport.js';
import { NodeApiKey, sendNodeRequest } from './node-requests.js';

/**
 * One node's Raft network over the nodes' transport: each message the node sends is a
 * request (`NodeApiKey.Raft`) to the node it is for, answered with an empty response;
 * a message for an unreachable node is lost, as on a network (Raft retries). Messages
 * sent to this node arrive through its `NodeEndpoint`, which calls `deliver`.
 *
 * `isCut(a, b)` drops every message between two nodes (partition tests): the sender
 * checks it, so a cut holds whichever thread the receiver lives in.
 * @internal
 */
export class TransportRaftNetwork implements RaftNetwork {
  private endpoint: RaftEndpoint | undefined;
  /**
   * Messages that came before this node's Raft replica first registered, delivered when it
   * does (then never again: after an unregister, messages are lost as on a network). The
   * nodes open in parallel and the lowest voter of a new quorum campaigns as soon as it
   * has opened, while its peers may still be loading (a worker each, with `threads:
   * 'per-node'`): dropped, those vote requests cost every start a whole election timeout
   * (300 to 600 ms). Bounded: a replica that never opens holds at most this many.
   */
  private early: Message[] | undefined = [];

  constructor(
    private readonly nodes: Transport,
    private readonly isCut: (a: NodeId, b: NodeId) => boolean = () => false,
  ) {}

  transportFor(id: NodeId): RaftTransport {
    return {
      send: (message: Message) => {
        if (this.isCut(id, message.to)) return;
        sendNodeRequest(this.nodes, message.to, { apiKey: NodeApiKey.Raft, message }).catch(() => {});
      },
    };
  }

  register(_id: NodeId, endpoint: RaftEndpoint): void {
    this.endpoint = endpoint;
    const early = this.early;
    this.early = undefined;
    for (const m of early ?? []) endpoint.receive(m);
  }

  unregister(_id: NodeId, endpoint?: RaftEndpoint): void {
    if (endpoint === undefined || this.endpoint === endpoint) this.endpoint = undefined;
  }

  /** A message for this node arrived. */
  deliver(message: Message): void {
    if (this.endpoint !== undefined) this.endpoint.receive(message);
    else if (this.early !== undefined && this.early.length < earlyMessagesMax) this.early.push(message);
  }
}

/** The most messages held for a Raft replica that has not registered yet. */
const earlyMessagesMax = 256;

/** The cut links of a cluster's Raft network (partition tests). @internal */
export class RaftLinks {
  private readonly cut = new Set<string>();

  setLink(a: NodeId, b: NodeId, up: boolean): void {
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    if (up) this.cut.delete(key);
    else this.cut.add(key);
  }

  readonly isCut = (a: NodeId, b: NodeId): boolean => this.cut.size > 0 && this.cut.has(a < b ? `${a}:${b}` : `${b}:${a}`);
}
