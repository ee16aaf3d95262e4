import type { Worker } from 'node:worker_threads';
import { rebuildError } from '../transport/port/messages.js';
import { PortTransport } from '../transport/port/port-transport.js';
import type { NodeHandler } from '../transport/transport.js';
import { TributaryError } from '../util/errors.js';
import type { Logger, LogLevel } from '../util/logger.js';
import type { ClusterOp, FromClusterWorker, NodeInfo, ToClusterWorker } from './cluster-worker-protocol.js';
import { NODE_WORKER_LIMITS, startWorkerEntry } from './worker-nodes.js';
import type { MetadataImage } from '../metadata/image.js';
import type { ClusterMetrics } from '../observe/cluster-metrics.js';
import { imageFromCopy, type ImageCopy } from './node-reads.js';
import { SyncReader } from './sync-read.js';

/**
 * The calling thread's side of a cluster that runs whole in one worker (`threads:
 * 'worker'`): starts the worker, keeps the nodes' status it reports (for `describe()`),
 * carries the supervisor's operations to it and the calling thread's client requests
 * (over the port of a cluster handle the worker made: `handler(id)`).
 * @internal
 */
export class ClusterWorker {
  nodes: readonly NodeInfo[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (e: unknown) => void }>();
  private exited = false;
  private onStatus: (() => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly clusterId: string,
    readonly nodeIds: readonly number[],
    readonly runId: string,
    readonly bootstrapServers: string | undefined,
    private readonly transport: PortTransport,
    /** `cluster.metrics()` and `cluster.metadata`, read in the worker synchronously (`sync-read.ts`). */
    private readonly sync: SyncReader,
  ) {}

  /** Starts the worker and its cluster (`options`: plain data; the folder is the worker's to lock). */
  static async start(options: object, logLevel: LogLevel, log: Logger): Promise<ClusterWorker> {
    const sync = new SyncReader("the cluster's worker");
    const worker = startWorkerEntry('../cluster-worker.ts', 'cluster-worker', { options, logLevel, syncRead: sync.end }, [sync.end.port], NODE_WORKER_LIMITS);
    let self: ClusterWorker | undefined;
    let pendingStatus: readonly NodeInfo[] = [];
    return new Promise<ClusterWorker>((resolve, reject) => {
      worker.on('message', (m: FromClusterWorker) => {
        switch (m.t) {
          case 'log':
            log[m.level]((m.fields ?? {}) as object, m.msg);
            return;
          case 'status':
            if (self) {
              self.nodes = m.nodes;
              self.onStatus?.();
            } else pendingStatus = m.nodes;
            return;
          case 'started': {
            log.debug({ youngGenerationMb: m.youngGenerationMb }, `the cluster's worker started (young generation ${String(m.youngGenerationMb)} MiB)`);
            const transport = new PortTransport(m.port, m.nodeIds, m.runId, { clientId: 'consumer', clientHost: 'inline' });
            self = new ClusterWorker(worker, m.clusterId, m.nodeIds, m.runId, m.bootstrapServers, transport, sync);
            self.nodes = pendingStatus;
            transport.ready.then(() => resolve(self!), reject);
            return;
          }
          case 'failed':
            reject(rebuildError(m.code, m.message, m.place));
            void worker.terminate();
            return;
          case 'done': {
            const w = self?.waiting.get(m.id);
            if (!w) return;
            self!.waiting.delete(m.id);
            if (m.code === undefined) w.resolve(m.value);
            else w.reject(rebuildError(m.code, m.message, m.place));
            return;
          }
        }
      });
      worker.on('error', (err) => log.error({ err }, "the cluster's worker failed"));
      worker.once('exit', () => {
        const err = new TributaryError('NETWORK_EXCEPTION', "the cluster's worker exited");
        reject(err);
        if (!self) return;
        self.exited = true;
        sync.close();
        for (const w of self.waiting.values()) w.reject(err);
        self.waiting.clear();
        void self.transport.close();
      });
    });
  }

  /** Calls `fn` after each status report. */
  watch(fn: () => void): void {
    this.onStatus = fn;
  }

  /** A handler that sends to node `id` in the worker. */
  handler(id: number): NodeHandler {
    return { handle: (request) => this.transport.send(id, request) };
  }

  /** The cluster's metrics, read in the worker now. */
  async readMetrics(): Promise<ClusterMetrics> {
    return (await this.op('metrics')) as ClusterMetrics;
  }

  /** The committed metadata image, read in the worker now (it crosses as snapshot chunks). */
  async readImage(): Promise<MetadataImage> {
    return imageFromCopy((await this.op('metadata')) as ImageCopy);
  }

  /** The cluster's metrics, read in the worker now, synchronously. */
  metricsNow(): ClusterMetrics {
    if (this.exited) throw new TributaryError('CLIENT_CLOSED', "the cluster's worker exited");
    return this.sync.read('metrics') as ClusterMetrics;
  }

  /** The committed metadata image, read in the worker now, synchronously; `known` is reused while the image keeps its offset. */
  imageNow(known: MetadataImage | undefined): MetadataImage {
    if (this.exited) throw new TributaryError('CLIENT_CLOSED', "the cluster's worker exited");
    const c = this.sync.read('image', known?.offset ?? -2) as ImageCopy | 'same';
    return c === 'same' && known !== undefined ? known : imageFromCopy(c as ImageCopy);
  }

  /** Runs a supervisor operation in the worker (resolves with what a read answers). */
  op(op: ClusterOp, ...args: (number | boolean)[]): Promise<unknown> {
    if (this.exited) return Promise.reject(new TributaryError('CLIENT_CLOSED', "the cluster's worker exited"));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ t: 'op', id, op, args } satisfies ToClusterWorker);
    });
  }

  /** Closes the cluster in the worker, then ends the worker. */
  async close(): Promise<void> {
    await this.op('close').catch(() => {});
    await this.transport.close();
    await this.worker.terminate();
  }
}
