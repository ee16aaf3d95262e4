/**
 * The entry of a worker that runs one node of a `Cluster.start({ threads: 'per-node' })`
 * cluster: it opens the node from `workerData`, answers the other nodes and the
 * supervisor's clients on the ports it is handed, and reports its status, its log lines
 * and its lifecycle to the supervisor (`worker-protocol.ts`). Killing the node is
 * terminating this worker: nothing here runs on the way out.
 *
 * A worker whose node closed cleanly may run another node later (`run`, from the
 * supervisor's pool of idle workers, `worker-pool.ts`): everything of a node's run lives
 * in one `NodeRun`, and nothing of it outlives its close.
 * @internal
 */
import { parentPort, resourceLimits, workerData, type MessagePort } from 'node:worker_threads';
import { ClusterNode } from '../cluster-node.js';
import type { NodeEndpoint } from '../node/node-endpoint.js';
import { RaftLinks } from '../node/raft-link.js';
import { PortServer } from '../transport/port/port-server.js';
import type { NodeHandler } from '../transport/transport.js';
import { systemClock } from '../util/clock.js';
import { errorFields } from '../transport/port/messages.js';
import { TributaryError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { writeCodeCacheIfAsked } from './code-cache.js';
import { forwardingLogger } from './worker-log.js';
import { PeerTransport } from './peer-transport.js';
import { imageCopy, statsCopy } from './node-reads.js';
import { serveSyncReads } from './sync-read.js';
import type { FromNodeWorker, NodeStatus, NodeWorkerData, ToNodeWorker } from './worker-protocol.js';

/** Wall-clock ms (comparable across threads). */
const wall = (): number => performance.timeOrigin + performance.now();
const control = parentPort!;
// Leader tails stay on: this node's followers are in other workers, and a Fetch answer
// read from the tail crosses to them marked `checked` (node/node-requests.ts,
// `fetchAnswerFrame`), so it spares them both the leader's read of its file and their
// CRC pass.

function post(m: FromNodeWorker, transfer: ArrayBuffer[] = []): void {
  control.postMessage(m, transfer);
}

/** How often a node worker looks at its status besides on the events that change it. */
const statusSafetyNetMs = 1000;

/** One node's run in this worker, from its data to its close. */
class NodeRun {
  private node: ClusterNode | undefined;
  private endpoint: NodeEndpoint | undefined;
  private serving = false;
  private readonly links = new RaftLinks();
  private readonly peers: PeerTransport;
  private readonly log: Logger;
  /** The ports this run answers on (closed with it, as a thread's exit closes them). */
  private readonly served: MessagePort[] = [];
  private readonly stopSyncReads: () => void;
  private readonly statusTimer: ReturnType<typeof setInterval>;
  private last: NodeStatus | undefined;
  // A peer's request that comes before this node's endpoint exists waits for it rather than
  // failing: the nodes open in parallel, and the lowest voter of a new quorum campaigns as
  // soon as it opens. Refused, its vote requests to the peers still loading were lost and
  // the first election waited out a whole election timeout (300 to 600 ms of every start).
  private endpointOpened: (ep: NodeEndpoint) => void = () => {};
  private readonly endpointReady = new Promise<NodeEndpoint>((resolve) => (this.endpointOpened = resolve));
  private readonly peerHandler: NodeHandler = {
    handle: (request, context) => (this.endpoint !== undefined ? this.endpoint.handle(request, context) : this.endpointReady.then((ep) => ep.handle(request, context))),
  };
  private readonly clientHandler: NodeHandler = {
    handle: (request, context) => {
      if (!this.serving || this.node === undefined) return Promise.reject(new TributaryError('NETWORK_EXCEPTION', `node ${this.data.id} is not serving`));
      return this.node.broker.handle(request, context);
    },
  };

  constructor(
    private readonly data: NodeWorkerData,
    /** When this run's code was ready (the entry's imports loaded, or the run handed to an idle worker). */
    private readonly loadedAt: number,
  ) {
    this.log = forwardingLogger(post, data.logLevel);
    this.peers = new PeerTransport(data.id, () => this.endpoint);
    // The supervisor's synchronous reads (`cluster.metrics()`, `cluster.metadata`): answered
    // from this event loop, like the `read` messages below, at once.
    this.stopSyncReads =
      data.syncRead !== undefined
        ? serveSyncReads(
            data.syncRead,
            (what, known) => {
              const node = this.node;
              if (node === undefined) return { value: undefined };
              if (what === 'stats') return { value: statsCopy(node.broker.stats) };
              const image = node.metadata.image;
              if (image.offset === known) return { value: 'same' };
              const { copy, transfer } = imageCopy(image);
              return { value: copy, transfer };
            },
            this.log,
          )
        : () => {};
    // Status is what describe() and the supervisor's waits read, posted only on a change:
    // looked at on the events that change it (a commit or a leader change of the quorum,
    // an image applied, which may fence or unfence the broker: see `open`), and every
    // second as a safety net; not sampled every 10 ms (an idle worker's main cost).
    this.statusTimer = setInterval(() => this.reportStatus(), statusSafetyNetMs);
  }

  onMessage(m: ToNodeWorker): void {
    switch (m.t) {
      case 'peer':
        this.peers.link(m.id, m.port);
        return;
      case 'serve': {
        // The supervisor's own port ('clients') relays requests from its Kafka listeners with their context.
        const id = this.data.id;
        this.served.push(m.port);
        new PortServer(m.port, (to) => (to !== id ? undefined : m.kind === 'peer' ? this.peerHandler : this.serving ? this.clientHandler : undefined), this.log, () => {}, m.kind === 'clients');
        return;
      }
      case 'open':
        // After the ports to the peers (the supervisor posts them first): opening runs
        // through to the first campaign without yielding to this port's messages, and the
        // lowest voter of a new quorum campaigns at once. Opened before them, its vote
        // requests found no peer and the first election waited out a whole election timeout.
        void this.open();
        return;
      case 'raftLink':
        this.links.setLink(m.a, m.b, m.up);
        return;
      case 'closeBroker':
        this.serving = false;
        void (this.node?.closeBroker() ?? Promise.resolve()).finally(() => post({ t: 'brokerClosed' }));
        return;
      case 'read': {
        const node = this.node;
        if (node === undefined) post({ t: 'read', id: m.id });
        else if (m.what === 'stats') post({ t: 'read', id: m.id, stats: statsCopy(node.broker.stats) });
        else {
          const { copy, transfer } = imageCopy(node.metadata.image);
          post({ t: 'read', id: m.id, image: copy }, transfer);
        }
        return;
      }
      case 'close':
        this.serving = false;
        void this.close();
        return;
    }
  }

  private async close(): Promise<void> {
    let clean = true;
    try {
      await this.node?.close();
    } catch {
      clean = false;
    }
    clearInterval(this.statusTimer);
    this.stopSyncReads();
    await this.peers.close();
    // Closed, not told 'closed': the other ends see what a worker's exit shows them (a
    // closed port, so retriable NETWORK_EXCEPTION for anything sent there).
    for (const p of this.served) p.close();
    const node = this.node;
    if (run === this) run = undefined;
    // `reusable`: nothing of this run is left, so the worker may run another node.
    post({ t: 'closed', ...(node !== undefined ? { stats: statsCopy(node.broker.stats) } : {}), reusable: clean });
  }

  private reportStatus(): void {
    const node = this.node;
    if (node === undefined) return;
    const s: NodeStatus = { active: node.metadata.isActive, fenced: node.broker.isFenced, leaderId: node.metadata.leaderId };
    const last = this.last;
    if (last !== undefined && last.active === s.active && last.fenced === s.fenced && last.leaderId === s.leaderId) return;
    this.last = s;
    post({ t: 'status', status: s });
  }

  private async open(): Promise<void> {
    const data = this.data;
    try {
      const node = await ClusterNode.open({
        id: data.id,
        voters: data.voters,
        clusterId: data.clusterId,
        dataDir: data.dataDir,
        nodes: this.peers,
        register: (ep) => {
          this.endpoint = ep;
          this.endpointOpened(ep);
        },
        isRaftLinkCut: this.links.isCut,
        clock: systemClock,
        clusterRunId: data.clusterRunId,
        controller: data.controller,
        broker: data.broker,
        logger: this.log,
        onControllerActivated: () => post({ t: 'activated' }),
        ...(data.electionTimeoutMs !== undefined ? { electionTimeoutMs: data.electionTimeoutMs } : {}),
        ...(data.newQuorum === true ? { newQuorum: true } : {}),
      });
      this.node = node;
      node.metadata.onQuorumChange(() => this.reportStatus());
      node.metadata.onImage(() => this.reportStatus()); // after the broker's own listener (registered first) applied it
      post({ t: 'opened', marks: { loadedAt: this.loadedAt, openedAt: wall(), youngGenerationMb: resourceLimits.maxYoungGenerationSizeMb } });
      this.reportStatus();
      void node.broker.whenRegistered().then(() => {
        this.serving = true;
        node.setServing(true);
        this.reportStatus();
        post({ t: 'registered', at: wall() });
        writeCodeCacheIfAsked();
      });
    } catch (err) {
      clearInterval(this.statusTimer);
      post({ t: 'failed', ...errorFields(err) });
    }
  }
}

// A worker started ahead of its node (`prestartNodeWorkers`, `{ idle: true }`) waits for a `run`.
let run: NodeRun | undefined = (workerData as { idle?: true }).idle === true ? undefined : new NodeRun(workerData as NodeWorkerData, wall());

control.on('message', (m: ToNodeWorker) => {
  if (m.t === 'run') {
    // An idle worker handed a new node's run (its last run closed cleanly).
    run = new NodeRun(m.data, wall());
    return;
  }
  run?.onMessage(m);
});
