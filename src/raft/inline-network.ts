import type { Message, NodeId } from './core/kraft.js';
import type { RaftTransport } from './raft-node.js';
import { nextTurn, systemClock, type Clock } from '../util/clock.js';

/** Where an inline network delivers a node's messages. */
export interface RaftEndpoint {
  receive(message: Message): void;
}

/**
 * How a Raft node's messages reach its peers: the node sends with `transportFor(id)` and
 * is handed the messages sent to it through the endpoint it registered. Delivery is
 * best-effort (a lost message is a lost message: Raft retries), never inside the
 * sender's call. `InlineRaftNetwork` is one (a `MetadataQuorum`'s voters in one thread);
 * a cluster's nodes use one that carries each message as a request through the nodes'
 * transport (`src/node/raft-link.ts`).
 */
export interface RaftNetwork {
  transportFor(id: NodeId): RaftTransport;
  register(id: NodeId, endpoint: RaftEndpoint): void;
  unregister(id: NodeId, endpoint?: RaftEndpoint): void;
}

/**
 * Raft messages between nodes in one thread: each message is delivered on a later turn
 * of the event loop (never inside the sender's call), to the node registered under its
 * `to` id, if any. Links can be cut both ways, for partition tests.
 */
export class InlineRaftNetwork implements RaftNetwork {
  private readonly endpoints = new Map<NodeId, RaftEndpoint>();
  private readonly cut = new Set<string>();

  /** `clock`: whose turns deliver the messages (a `SimulatedTimerClock` fires each delivery as a 0 ms timer). */
  constructor(private readonly clock: Clock = systemClock) {}

  /** The transport a node sends with. */
  transportFor(id: NodeId): RaftTransport {
    return { send: (m) => this.deliver(id, m) };
  }

  register(id: NodeId, endpoint: RaftEndpoint): void {
    this.endpoints.set(id, endpoint);
  }

  unregister(id: NodeId, endpoint?: RaftEndpoint): void {
    if (endpoint === undefined || this.endpoints.get(id) === endpoint) this.endpoints.delete(id);
  }

  /** Cuts (or, with `false`, restores) the link between two nodes, both ways. */
  setLink(a: NodeId, b: NodeId, up: boolean): void {
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    if (up) this.cut.delete(key);
    else this.cut.add(key);
  }

  private deliver(from: NodeId, m: Message): void {
    nextTurn(this.clock, () => {
      const key = from < m.to ? `${from}:${m.to}` : `${m.to}:${from}`;
      if (this.cut.has(key)) return;
      this.endpoints.get(m.to)?.receive(m);
    });
  }
}
