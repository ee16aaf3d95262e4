/**
 * The entry of the worker that runs a whole cluster for `Cluster.start({ threads:
 * 'worker' })`: an inline cluster in this thread (CRC, compression, Raft ticks and group
 * timers all off the calling thread's event loop), answering the calling thread's clients
 * over a cluster handle's port, its supervisor's operations (stop, kill, restart, close)
 * over the worker's own port, and reporting the nodes' status and its log lines back.
 * @internal
 */
import { parentPort, resourceLimits, workerData } from 'node:worker_threads';
import { Cluster, type ClusterOptions } from './cluster.js';
import type { FromClusterWorker, ToClusterWorker } from './cluster/cluster-worker-protocol.js';
import { forwardingLogger } from './cluster/worker-log.js';
import { imageCopy } from './cluster/node-reads.js';
import { serveSyncReads, type SyncReadEnd } from './cluster/sync-read.js';
import { errorFields } from './transport/port/messages.js';
import type { LogLevel } from './util/logger.js';

const control = parentPort!;
const data = workerData as { options: ClusterOptions; logLevel: LogLevel; syncRead?: SyncReadEnd };
const post = (m: FromClusterWorker, transfer: import('node:worker_threads').TransferListItem[] = []): void => control.postMessage(m, transfer);

async function main(): Promise<void> {
  let cluster: Cluster;
  try {
    cluster = await Cluster.start({ ...data.options, threads: 'inline', logger: forwardingLogger(post, data.logLevel), logLevel: data.logLevel });
  } catch (err) {
    post({ t: 'failed', ...errorFields(err) });
    return;
  }
  // The calling thread's synchronous reads (`cluster.metrics()`, `cluster.metadata`).
  if (data.syncRead !== undefined) {
    serveSyncReads(
      data.syncRead,
      (what, known) => {
        if (what === 'metrics') return { value: cluster.metrics() };
        const image = cluster.metadata;
        if (image.offset === known) return { value: 'same' };
        const { copy, transfer } = imageCopy(image);
        return { value: copy, transfer };
      },
      forwardingLogger(post, data.logLevel),
    );
  }
  let last = '';
  const report = (): void => {
    if (cluster.isClosed) return;
    const nodes = cluster.describe();
    const text = JSON.stringify(nodes);
    if (text === last) return;
    last = text;
    post({ t: 'status', nodes });
  };
  // On the events that change the status (each node's quorum commits and leader changes,
  // images applied: fencing), then after every operation, and every second as a safety
  // net; not sampled every 10 ms (an idle worker's main cost).
  const followed = new WeakSet<object>();
  let reportQueued = false;
  const reportSoon = (): void => {
    if (reportQueued) return;
    reportQueued = true;
    queueMicrotask(() => {
      reportQueued = false;
      report();
    });
  };
  const follow = (): void => {
    for (const id of cluster.nodeIdList) {
      const node = cluster.node(id);
      if (node === undefined || followed.has(node)) continue;
      followed.add(node);
      node.metadata.onQuorumChange(reportSoon);
      node.metadata.onImage(reportSoon);
    }
  };
  follow();
  report();
  const statusTimer = setInterval(report, 1000);
  const handle = cluster.createHandle();
  let bootstrapServers: string | undefined;
  try {
    bootstrapServers = cluster.bootstrapServers;
  } catch {
    bootstrapServers = undefined;
  }
  post({ t: 'started', clusterId: cluster.clusterId, nodeIds: cluster.nodeIdList, runId: handle.runId, bootstrapServers, port: handle.port, youngGenerationMb: resourceLimits.maxYoungGenerationSizeMb }, [handle.port]);
  control.on('message', (m: ToClusterWorker) => {
    if (m?.t !== 'op') return;
    const [a, b, c] = m.args;
    let transfer: ArrayBuffer[] = [];
    const run = async (): Promise<unknown> => {
      switch (m.op) {
        case 'metrics':
          return cluster.metrics();
        case 'metadata': {
          const c = imageCopy(cluster.metadata);
          transfer = c.transfer;
          return c.copy;
        }
        case 'stopNode':
          return cluster.stopNode(a as number);
        case 'restartNode':
          return cluster.restartNode(a as number);
        case 'killNode':
          return cluster.killNode(a as number);
        case 'setRaftLink':
          return cluster.setRaftLink(a as number, b as number, c as boolean);
        case 'close':
          clearInterval(statusTimer);
          return cluster.close();
      }
    };
    run().then(
      (value) => {
        follow();
        report();
        post({ t: 'done', id: m.id, ...(value !== undefined ? { value } : {}) }, transfer);
      },
      (err: unknown) => post({ t: 'done', id: m.id, ...errorFields(err) }),
    );
  });
}

void main();
