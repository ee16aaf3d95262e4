/**
 * The entry of a worker that runs one node of a `Cluster.start({ threads: 'per-node' })`
 * cluster: it opens the node from `workerData`, answers the other nodes and the
 * supervisor's clients on the ports it is handed, and reports its status, its log lines
 * and its lifecycle to the supervisor (`worker-protocol.ts`). Killing the node is
 * terminating this worker: nothing here runs on the way out.
 * @internal
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ClusterNode } from '../cluster-node.js';
import type { NodeEndpoint } from '../node/node-endpoint.js';
import { RaftLinks } from '../node/raft-link.js';
import { PortServer } from '../transport/port/port-server.js';
import type { NodeHandler } from '../transport/transport.js';
import { systemClock } from '../util/clock.js';
import { errorFields } from '../transport/port/messages.js';
import { TributaryError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { forwardingLogger } from './worker-log.js';
import { PeerTransport } from './peer-transport.js';
import { imageCopy, statsCopy } from './node-reads.js';
import { serveSyncReads } from './sync-read.js';
import type { FromNodeWorker, NodeStatus, NodeWorkerData, ToNodeWorker } from './worker-protocol.js';

/** Wall-clock ms (comparable across threads); `loadedAt`: once this entry's imports have loaded. */
const wall = (): number => performance.timeOrigin + performance.now();
const loadedAt = wall();
const control = parentPort!;
const data = workerData as NodeWorkerData;
let node: ClusterNode | undefined;
let endpoint: NodeEndpoint | undefined;
let serving = false;
const links = new RaftLinks();
const peers = new PeerTransport(data.id, () => endpoint);

function post(m: FromNodeWorker, transfer: ArrayBuffer[] = []): void {
  control.postMessage(m, transfer);
}

const log: Logger = forwardingLogger(post, data.logLevel);

// The supervisor's synchronous reads (`cluster.metrics()`, `cluster.metadata`): answered
// from this event loop, like the `read` messages below, at once.
if (data.syncRead !== undefined) {
  serveSyncReads(
    data.syncRead,
    (what, known) => {
      if (node === undefined) return { value: undefined };
      if (what === 'stats') return { value: statsCopy(node.broker.stats) };
      const image = node.metadata.image;
      if (image.offset === known) return { value: 'same' };
      const { copy, transfer } = imageCopy(image);
      return { value: copy, transfer };
    },
    log,
  );
}

// A peer's request that comes before this node's endpoint exists waits for it rather than
// failing: the nodes open in parallel, and the lowest voter of a new quorum campaigns as
// soon as it opens. Refused, its vote requests to the peers still loading were lost and
// the first election waited out a whole election timeout (300 to 600 ms of every start).
let endpointOpened: (ep: NodeEndpoint) => void = () => {};
const endpointReady = new Promise<NodeEndpoint>((resolve) => (endpointOpened = resolve));
const peerHandler: NodeHandler = {
  handle: (request, context) => (endpoint !== undefined ? endpoint.handle(request, context) : endpointReady.then((ep) => ep.handle(request, context))),
};

const clientHandler: NodeHandler = {
  handle: (request, context) => {
    if (!serving || node === undefined) return Promise.reject(new TributaryError('NETWORK_EXCEPTION', `node ${data.id} is not serving`));
    return node.broker.handle(request, context);
  },
};

control.on('message', (m: ToNodeWorker) => {
  switch (m.t) {
    case 'peer':
      peers.link(m.id, m.port);
      return;
    case 'serve':
      // The supervisor's own port ('clients') relays requests from its Kafka listeners with their context.
      new PortServer(m.port, (id) => (id !== data.id ? undefined : m.kind === 'peer' ? peerHandler : serving ? clientHandler : undefined), log, () => {}, m.kind === 'clients');
      return;
    case 'open':
      // After the ports to the peers (the supervisor posts them first): opening runs
      // through to the first campaign without yielding to this port's messages, and the
      // lowest voter of a new quorum campaigns at once. Opened before them, its vote
      // requests found no peer and the first election waited out a whole election timeout.
      void main();
      return;
    case 'raftLink':
      links.setLink(m.a, m.b, m.up);
      return;
    case 'closeBroker':
      serving = false;
      void (node?.closeBroker() ?? Promise.resolve()).finally(() => post({ t: 'brokerClosed' }));
      return;
    case 'read':
      if (node === undefined) post({ t: 'read', id: m.id });
      else if (m.what === 'stats') post({ t: 'read', id: m.id, stats: statsCopy(node.broker.stats) });
      else {
        const { copy, transfer } = imageCopy(node.metadata.image);
        post({ t: 'read', id: m.id, image: copy }, transfer);
      }
      return;
    case 'close':
      serving = false;
      void (node?.close() ?? Promise.resolve())
        .catch(() => {})
        .finally(async () => {
          clearInterval(statusTimer);
          await peers.close();
          post({ t: 'closed', ...(node !== undefined ? { stats: statsCopy(node.broker.stats) } : {}) });
        });
      return;
  }
});

let last: NodeStatus | undefined;
function reportStatus(): void {
  if (node === undefined) return;
  const s: NodeStatus = { active: node.metadata.isActive, fenced: node.broker.isFenced, leaderId: node.metadata.leaderId };
  if (last !== undefined && last.active === s.active && last.fenced === s.fenced && last.leaderId === s.leaderId) return;
  last = s;
  post({ t: 'status', status: s });
}
// Status is what describe() and the supervisor's waits read: sampled often, posted only on a change.
const statusTimer = setInterval(reportStatus, 10);

async function main(): Promise<void> {
  try {
    node = await ClusterNode.open({
      id: data.id,
      voters: data.voters,
      clusterId: data.clusterId,
      dataDir: data.dataDir,
      nodes: peers,
      register: (ep) => {
        endpoint = ep;
        endpointOpened(ep);
      },
      isRaftLinkCut: links.isCut,
      clock: systemClock,
      clusterRunId: data.clusterRunId,
      controller: data.controller,
      broker: data.broker,
      logger: log,
      onControllerActivated: () => post({ t: 'activated' }),
      ...(data.electionTimeoutMs !== undefined ? { electionTimeoutMs: data.electionTimeoutMs } : {}),
    });
    const openedAt = wall();
    post({ t: 'opened', marks: { loadedAt, openedAt } });
    reportStatus();
    const opened = node;
    void opened.broker.whenRegistered().then(() => {
      serving = true;
      opened.setServing(true);
      reportStatus();
      post({ t: 'registered', at: wall() });
    });
  } catch (err) {
    clearInterval(statusTimer);
    post({ t: 'failed', ...errorFields(err) });
  }
}

