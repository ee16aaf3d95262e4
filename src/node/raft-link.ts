import type { Message, NodeId } from '../raft/core/kraft.js';
import type { RaftEndpoint, RaftNetwork } from '../raft/inline-network.js';
import type { RaftTransport } from '../raft/raft-node.js';
import type { Transport } from '../transport/transport.js';
import { TributaryError } from '../util/errors.js';
import { sendNodeRequest } from './node-requests.js';
import {
  answeredKind,
  answers,
  beginEpochResponseBody,
  isRaftRequest,
  raftApiKey,
  raftRequestBody,
  raftRequestFromBody,
  raftResponseBody,
  raftResponseFromBody,
  type RaftApiKey,
  type RaftRequest,
  type RaftResponse,
} from './raft-messages.js';

/** A request from a peer waiting for this node's core to answer it. */
interface Waiting {
  readonly request: RaftRequest;
  readonly apiKey: RaftApiKey;
  readonly version: number;
  readonly correlationId: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (err: TributaryError) => void;
}

/**
 * One node's Raft network over the nodes' transport, in KRaft's own requests
 * (`raft-messages.ts`): each request of the core (vote, beginEpoch, fetch, fetchSnapshot)
 * is a Vote, BeginQuorumEpoch, Fetch or FetchSnapshot request to the node it is for, and
 * the core's answer travels back as that request's response, as in KRaft. A request that
 * fails (an unreachable node, a garbled answer) is lost, as on a network: Raft retries.
 *
 * The answering side: a peer's request is decoded, handed to the core, and held until the
 * core answers it (`answers`: the answer names the same fetch offset and epoch, or the
 * same kind of vote). One request of each kind per peer waits; a newer one replaces it
 * (the older fails with `REQUEST_TIMED_OUT`, and its sender drops it, as the core already
 * resent). An answer nobody waits for is dropped. BeginQuorumEpoch is acknowledged at
 * once (the core sends no answer to it).
 *
 * `isCut(a, b)` drops every message between two nodes (partition tests): the sender checks
 * it for requests and the answering side for answers, so a cut holds whichever thread the
 * peer lives in.
 * @internal
 */
export class TransportRaftNetwork implements RaftNetwork {
  private endpoint: RaftEndpoint | undefined;
  private selfId: NodeId = -1;
  /**
   * Messages that came before this node's Raft replica first registered, delivered when it
   * does (then never again: after an unregister, messages are lost as on a network). The
   * nodes open in parallel and the lowest voter of a new quorum campaigns as soon as it
   * has opened, while its peers may still be loading (a worker each, with `threads:
   * 'per-node'`): dropped, those vote requests cost every start a whole election timeout
   * (300 to 600 ms). Bounded: a replica that never opens holds at most this many.
   */
  private early: Message[] | undefined = [];
  /** Peers' requests the core has not answered yet, by `peer:kind` (at most 3 per peer). */
  private readonly waiting = new Map<string, Waiting>();
  private correlationId = 0;

  constructor(
    private readonly nodes: Transport,
    private readonly isCut: (a: NodeId, b: NodeId) => boolean = () => false,
    private readonly clusterId: string | null = null,
  ) {}

  transportFor(id: NodeId): RaftTransport {
    this.selfId = id;
    return { send: (message: Message) => this.send(id, message) };
  }

  private send(id: NodeId, m: Message): void {
    if (isRaftRequest(m)) {
      if (this.isCut(id, m.to)) return;
      const { apiKey, version, body } = raftRequestBody(m, this.clusterId);
      const request = { apiKey, apiVersion: version, correlationId: this.correlationId++, clientId: `raft-client-${id}`, body };
      sendNodeRequest<Record<string, unknown>>(this.nodes, m.to, request).then(
        (answer) => {
          if (this.isCut(id, m.to)) return;
          const response = raftResponseFromBody(m, answer);
          if (response !== null) this.deliver(response);
        },
        () => {}, // lost: Raft resends
      );
      return;
    }
    const r = m as RaftResponse;
    const key = `${r.to}:${answeredKind(r)}`;
    const w = this.waiting.get(key);
    if (w === undefined || !answers(r, w.request)) return; // nobody waits for it: lost, as on a network
    this.waiting.delete(key);
    if (this.isCut(id, r.to)) return w.reject(new TributaryError('NETWORK_EXCEPTION', `the Raft link ${id}-${r.to} is cut`));
    w.resolve(raftResponseBody(r));
  }

  /**
   * A peer's Raft request (its typed body): hands it to the core and resolves with the
   * response's body once the core answers. `INVALID_REQUEST` for a body the core
   * cannot take.
   */
  handleRequest(apiKey: RaftApiKey, version: number, correlationId: number, body: Record<string, unknown>): Promise<unknown> {
    const m = raftRequestFromBody(apiKey, body, this.selfId);
    if (m.type === 'beginEpoch') {
      this.deliver(m);
      return Promise.resolve(beginEpochResponseBody(m));
    }
    return new Promise<unknown>((resolve, reject) => {
      const key = `${m.from}:${m.type}`;
      this.waiting.get(key)?.reject(new TributaryError('REQUEST_TIMED_OUT', `a newer ${m.type} from node ${m.from} replaced this one`));
      this.waiting.set(key, { request: m, apiKey, version, correlationId, resolve, reject });
      this.deliver(m); // the core may answer at once: the waiter is in place first
    });
  }

  register(id: NodeId, endpoint: RaftEndpoint): void {
    this.selfId = id;
    this.endpoint = endpoint;
    const early = this.early;
    this.early = undefined;
    for (const m of early ?? []) endpoint.receive(m);
  }

  unregister(_id: NodeId, endpoint?: RaftEndpoint): void {
    if (endpoint !== undefined && this.endpoint !== endpoint) return;
    this.endpoint = undefined;
    for (const w of this.waiting.values()) w.reject(new TributaryError('NETWORK_EXCEPTION', `node ${this.selfId}'s Raft replica closed`));
    this.waiting.clear();
  }

  /** A message for this node's core arrived. */
  private deliver(message: Message): void {
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
