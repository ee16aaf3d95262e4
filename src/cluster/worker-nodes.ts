import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort, type TransferListItem, type WorkerOptions } from 'node:worker_threads';
import { rebuildError } from '../transport/port/messages.js';
import { PortTransport } from '../transport/port/port-transport.js';
import type { NodeHandler } from '../transport/transport.js';
import { TributaryError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { MetadataImage } from '../metadata/image.js';
import { bootDataKey, codeCacheBoot } from './code-cache.js';
import { relayToNode } from './relayed-produce.js';
import { imageFromCopy, statsFromCopy, type ImageCopy, type NodeStats, type NodeStatsCopy } from './node-reads.js';
import { SyncReader } from './sync-read.js';
import { idleWorkerCount, idleWorkersMax, putIdleWorker, takeIdleWorker } from './worker-pool.js';
import type { FromNodeWorker, NodeStatus, NodeWorkerData, StartMarks, ToNodeWorker } from './worker-protocol.js';

/**
 * Starts a worker on one of Tributary's worker entries, wherever this module runs from:
 * the built entry (`distName`.js, or .cjs) beside this file's chunk in `dist/`, or, when
 * this module is TypeScript run through tsx or vitest, the TypeScript entry
 * (`srcPath`, relative to this file) loaded through tsx registered inside the new thread
 * (a worker does not inherit the loader of the thread that starts it).
 * @internal
 */
export function startWorkerEntry(srcPath: string, distName: string, workerData: unknown, transferList: TransferListItem[] = [], limits: Pick<WorkerOptions, 'resourceLimits'> = {}): Worker {
  const here = import.meta.url;
  // A node's worker loads its CommonJS bundle with a V8 code cache (code-cache.ts), from either format.
  if (!here.endsWith('.ts') && distName === 'node-worker') {
    const { script, boot } = codeCacheBoot(fileURLToPath(new URL(`./${distName}.cjs`, here)));
    return new Worker(script, { eval: true, workerData: boot !== undefined ? { ...(workerData as object), [bootDataKey]: boot } : workerData, transferList, ...limits });
  }
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${distName}${here.endsWith('.cjs') ? '.cjs' : '.js'}`, here), { workerData, transferList, ...limits });
  const entry = new URL(srcPath, here).href;
  // tsx's ESM entry (`require.resolve` would give its CommonJS one, which cannot register the hooks from here).
  const tsxPackage = createRequire(here).resolve('tsx/package.json');
  const tsx = pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { workerData, transferList, eval: true, ...limits });
}

/**
 * The young generation of a node's worker, MiB (`resourceLimits.maxYoungGenerationSizeMb`;
 * V8 splits it into two semi-spaces and a space for large new objects, so 16 is a new space
 * of about 5 MiB). Why not V8's default (48 on this machine's heap size, a 16 MiB new space):
 * a node's old generation is small (12-13 MiB live in the RF 3 bench), and once the new
 * space had grown to its maximum (5 s into the bench) V8 found less headroom under the old
 * generation's limit than one scavenge could promote, so it started incremental marking again
 * as soon as a mark-compact ended (`--trace-incremental-marking`: "Start (task)" at 12 of
 * 36 MiB). Each node's isolate then mark-compacted every 100-150 ms for good, reclaiming 4 MiB
 * each time, and V8's helper threads spent the rest of the run marking, sweeping and
 * recompiling (55% of their samples in TurboFan, 10% concurrent marking): 28-38
 * mark-compacts in 10 s of the bench instead of 5, and 1.9-3.1 µs of CPU a replicated record
 * instead of 1.1-1.4 (`bench/results/2026-12-07g-pernode.md`). With a new space of 5 MiB a
 * scavenge can promote less than the headroom, and the marking starts only when the old
 * generation really fills. 24 measured the same as 8 and 16; 32 thrashed like the default.
 * @internal
 */
export const NODE_WORKER_YOUNG_GENERATION_MB = 16;

/**
 * The resource limits of a worker that runs nodes: one node (`'per-node'`) or the whole
 * cluster (`'worker'`, `cluster-in-worker.ts`, whose isolate mark-compacted the same way:
 * 101 times in 20 s of the RF 3 case, every 110-200 ms from 5 s on).
 * @internal
 */
export const NODE_WORKER_LIMITS = { resourceLimits: { maxYoungGenerationSizeMb: NODE_WORKER_YOUNG_GENERATION_MB } } as const;

function startWorker(data: NodeWorkerData, sync: SyncReader): Worker {
  return startWorkerEntry('./node-worker.ts', 'node-worker', { ...data, syncRead: sync.end }, [sync.end.port], NODE_WORKER_LIMITS);
}

/**
 * Starts node workers ahead of their nodes, into the pool of idle workers, so that `count`
 * wait there (at most `idleWorkersMax`): `Cluster.start` calls it first, and the workers
 * boot Node and load the node bundle while the calling thread makes the data folder, takes
 * its lock and writes the cluster id (fsyncs), instead of after. Each then runs its node
 * from a `run` message, as an idle worker does. Why: a new worker costs 30-35 ms of CPU
 * before it can open a node (Node's own bootstrap 20, the bundle 10-13), and the calling
 * thread's setup before the first `new Worker` took 13-29 ms of a first start on the loaded
 * machine (measured); started first, the two overlap. A worker started so whose cluster
 * never comes (the start failed) waits, unref'd, for the next.
 * @internal
 */
export function prestartNodeWorkers(count: number): void {
  for (let n = Math.min(count, idleWorkersMax) - idleWorkerCount(); n > 0; n--) {
    putIdleWorker(startWorkerEntry('./node-worker.ts', 'node-worker', { idle: true }, [], NODE_WORKER_LIMITS));
  }
}

/** One node's worker, as the supervisor sees it. */
class WorkerNode {
  status: NodeStatus = { active: false, fenced: true, leaderId: -1 };
  /** The supervisor's own link to the node's broker (its clients' requests go here). */
  readonly clients: PortTransport;
  readonly opened: Promise<void>;
  readonly registered: Promise<void>;
  readonly exited: Promise<void>;
  /** The broker's counts as last read (or as it closed): what a killed node leaves to the cluster's totals. */
  lastStats: NodeStatsCopy | undefined;
  /** When the worker was made, and the start's phases it reported (wall-clock ms). */
  private readonly createdAt = performance.timeOrigin + performance.now();
  private marks: StartMarks | undefined;
  private gone = false;
  /** The node closed cleanly and its worker said nothing of the run is left: the worker may run another node. */
  reusable = false;
  private ended: () => void = () => {};
  private readonly listeners: { message: (m: FromNodeWorker) => void; error: (err: Error) => void; exit: () => void };
  /** Whether the node has opened (before, a synchronous read would wait out the worker's boot). */
  private isOpen = false;
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: unknown) => void }[]>();
  private readonly reads = new Map<number, { resolve: (m: Extract<FromNodeWorker, { t: 'read' }>) => void; reject: (e: unknown) => void }>();
  private nextRead = 1;

  constructor(
    readonly id: number,
    readonly worker: Worker,
    /** The synchronous reads of the node's counts and image (`cluster.metrics()`, `cluster.metadata`). */
    private readonly sync: SyncReader,
    runId: string,
    log: Logger,
    onActivated: () => void,
  ) {
    this.opened = this.next('opened');
    this.registered = this.next('registered');
    this.opened.catch(() => {});
    this.registered.catch(() => {});
    // The run's end: the worker's exit, or its release to the pool of idle workers.
    this.exited = new Promise((resolve) => (this.ended = resolve));
    const message = (m: FromNodeWorker): void => {
      switch (m.t) {
        case 'status':
          this.status = m.status;
          return;
        case 'activated':
          onActivated();
          return;
        case 'log':
          log[m.level]((m.fields ?? {}) as object, m.msg);
          return;
        case 'failed':
          this.failAll(rebuildError(m.code, m.message, m.place));
          return;
        case 'read': {
          const r = this.reads.get(m.id);
          this.reads.delete(m.id);
          if (m.stats !== undefined) this.lastStats = m.stats;
          r?.resolve(m);
          return;
        }
        case 'closed':
          if (m.stats !== undefined) this.lastStats = m.stats;
          this.reusable = m.reusable === true;
          this.settle(m.t);
          return;
        case 'opened':
          this.isOpen = true;
          this.marks = m.marks;
          this.settle(m.t);
          return;
        case 'registered': {
          const k = this.marks;
          if (k !== undefined) {
            const ms = (t: number): number => Math.round(t - this.createdAt);
            log.debug({ nodeId: id, loadedMs: ms(k.loadedAt), openedMs: ms(k.openedAt), registeredMs: ms(m.at), youngGenerationMb: k.youngGenerationMb }, `node ${id}'s worker: entry loaded ${ms(k.loadedAt)} ms, node open ${ms(k.openedAt)} ms, registered ${ms(m.at)} ms after the start (a new worker or an idle one)`);
          }
          this.settle(m.t);
          return;
        }
        default:
          this.settle(m.t);
      }
    };
    const error = (err: Error): void => log.error({ nodeId: id, err }, `node ${id}'s worker failed`);
    const exit = (): void => {
      this.ended();
      this.gone = true;
      this.sync.close();
      this.status = { active: false, fenced: true, leaderId: -1 };
      this.failAll(new TributaryError('NETWORK_EXCEPTION', `node ${id}'s worker exited`));
      void this.clients.close();
    };
    this.listeners = { message, error, exit };
    worker.on('message', message);
    worker.on('error', error);
    worker.once('exit', exit);
    const { port1, port2 } = new MessageChannel();
    this.post({ t: 'serve', kind: 'clients', port: port2 }, [port2]);
    // What the broker sees of the calling thread's clients: the context of an in-thread client.
    this.clients = new PortTransport(port1, [id], runId, { clientId: 'consumer', clientHost: 'inline' });
  }

  post(m: ToNodeWorker, transfer: TransferListItem[] = []): void {
    if (this.gone) {
      for (const t of transfer) (t as MessagePort).close?.();
      return;
    }
    this.worker.postMessage(m, transfer);
  }

  /**
   * Ends this run without ending the thread: the node closed cleanly (`reusable`), so the
   * worker goes to the pool of idle workers for a later node. Its ports to this run close
   * as at an exit.
   */
  release(): void {
    const { message, error, exit } = this.listeners;
    this.worker.off('message', message);
    this.worker.off('error', error);
    this.worker.off('exit', exit);
    exit();
    putIdleWorker(this.worker);
  }

  /** Resolves when the worker next posts a message of type `t`; rejects if it fails or exits first. */
  next(t: string): Promise<void> {
    if (this.gone) return Promise.reject(new TributaryError('NETWORK_EXCEPTION', `node ${this.id}'s worker exited`));
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(t) ?? [];
      list.push({ resolve, reject });
      this.waiting.set(t, list);
    });
  }

  /** Reads the node's broker counts or metadata image (undefined before the node opened). */
  read(what: 'stats' | 'image'): Promise<Extract<FromNodeWorker, { t: 'read' }>> {
    if (this.gone) return Promise.reject(new TributaryError('NETWORK_EXCEPTION', `node ${this.id}'s worker exited`));
    const id = this.nextRead++;
    return new Promise((resolve, reject) => {
      this.reads.set(id, { resolve, reject });
      this.post({ t: 'read', id, what });
    });
  }

  /**
   * Reads the node's broker counts, or its metadata image unless its offset is `knownOffset`
   * (then `'same'`), synchronously (`sync-read.ts`); undefined before the node opened or
   * once its worker is gone.
   */
  readNow(what: 'stats'): NodeStatsCopy | undefined;
  readNow(what: 'image', knownOffset: number): ImageCopy | 'same' | undefined;
  readNow(what: 'stats' | 'image', knownOffset?: number): NodeStatsCopy | ImageCopy | 'same' | undefined {
    if (this.gone || !this.isOpen) return undefined;
    const value = this.sync.read(what, knownOffset) as NodeStatsCopy | ImageCopy | 'same' | undefined;
    if (what === 'stats' && value !== undefined) this.lastStats = value as NodeStatsCopy;
    return value;
  }

  private settle(t: string): void {
    const list = this.waiting.get(t);
    this.waiting.delete(t);
    for (const w of list ?? []) w.resolve();
  }

  private failAll(err: unknown): void {
    const all: { reject: (e: unknown) => void }[] = [...this.waiting.values()].flat();
    this.waiting.clear();
    all.push(...this.reads.values());
    this.reads.clear();
    for (const w of all) w.reject(err);
  }

  /** A handler that forwards to the broker in the worker. */
  readonly handler: NodeHandler = { handle: (request, context) => relayToNode(this.clients, this.id, request, context) };
}

/**
 * The nodes of a `threads: 'per-node'` cluster, one worker each: starts a node's worker
 * and wires it to every running peer (a `MessageChannel` each way, so a node's requests
 * to a peer never pass through this thread), stops it cleanly, kills it
 * (`worker.terminate()`, mid-write), and keeps the status each worker reports for
 * `describe()`. Requests from this thread's clients go to a node's broker over a port of
 * their own (`handler(id)`).
 * @internal
 */
export class WorkerNodes {
  private readonly nodes = new Map<number, WorkerNode>();
  private readonly exits = new Map<number, Promise<void>>();
  private readonly cuts = new Set<string>();
  /** Called with a node's last known counts when its run ends (stopped, killed or lost), so the cluster's counters stay monotonic. */
  onRetire: (stats: NodeStats) => void = () => {};

  constructor(
    private readonly settings: (id: number) => NodeWorkerData,
    private readonly runId: string,
    private readonly log: Logger,
    private readonly onActivated: () => void,
    /** A node's worker ended without being asked to (an uncaught error in it): the node is down. */
    private readonly onLost: (id: number) => void = () => {},
  ) {}

  get ids(): number[] {
    return [...this.nodes.keys()];
  }

  has(id: number): boolean {
    return this.nodes.has(id);
  }

  status(id: number): NodeStatus | undefined {
    return this.nodes.get(id)?.status;
  }

  handler(id: number): NodeHandler | undefined {
    return this.nodes.get(id)?.handler;
  }

  /** Starts node `id` in a new worker (once the worker of its last run has exited), and resolves once its node has opened. */
  async open(id: number): Promise<void> {
    await this.exits.get(id);
    const sync = new SyncReader(`node ${id}'s worker`);
    const idle = takeIdleWorker();
    if (idle !== undefined) idle.postMessage({ t: 'run', data: { ...this.settings(id), syncRead: sync.end } } satisfies ToNodeWorker, [sync.end.port]);
    const w = new WorkerNode(id, idle ?? startWorker(this.settings(id), sync), sync, this.runId, this.log, this.onActivated);
    this.exits.set(id, w.exited);
    void w.exited.then(() => {
      if (this.nodes.get(id) !== w) return; // stopped or killed: already let go
      this.nodes.delete(id);
      this.retire(w);
      this.log.error({ nodeId: id }, `node ${id}'s worker exited on its own: the node is down until restartNode(${id})`);
      this.onLost(id);
    });
    for (const [pid, p] of this.nodes) {
      const out = new MessageChannel();
      w.post({ t: 'peer', id: pid, port: out.port1 }, [out.port1]);
      p.post({ t: 'serve', kind: 'peer', port: out.port2 }, [out.port2]);
      const back = new MessageChannel();
      p.post({ t: 'peer', id, port: back.port1 }, [back.port1]);
      w.post({ t: 'serve', kind: 'peer', port: back.port2 }, [back.port2]);
    }
    for (const key of this.cuts) {
      const [a, b] = key.split(':').map(Number) as [number, number];
      w.post({ t: 'raftLink', a, b, up: false });
    }
    this.nodes.set(id, w);
    // Told to open once the nodes started in the same turn (Cluster.start opens all at once)
    // are linked to it as well: the first voter campaigns as it opens, and its vote
    // requests must find its peers.
    setImmediate(() => w.post({ t: 'open' }));
    try {
      await w.opened;
    } catch (err) {
      if (this.nodes.get(id) === w) this.nodes.delete(id);
      await w.worker.terminate();
      throw err;
    }
  }

  /** Resolves once node `id` has registered with the controller (and serves). */
  registered(id: number): Promise<void> {
    return this.nodes.get(id)?.registered ?? Promise.resolve();
  }

  /** Stops node `id`'s broker cleanly (controlled shutdown); its metadata replica runs on. */
  async closeBroker(id: number): Promise<void> {
    const w = this.nodes.get(id);
    if (!w) return;
    const done = w.next('brokerClosed');
    w.post({ t: 'closeBroker' });
    await done.catch(() => {});
  }

  /** Closes node `id` cleanly and ends its worker. */
  async close(id: number): Promise<void> {
    const w = this.nodes.get(id);
    if (!w) return;
    const done = w.next('closed');
    w.post({ t: 'close' });
    await done.catch(() => {});
    this.nodes.delete(id);
    this.retire(w);
    if (w.reusable) w.release();
    else await w.worker.terminate();
  }

  /** Node `id`'s broker counts, read from its worker now (undefined if it is not running). */
  async readStats(id: number): Promise<NodeStats | undefined> {
    const w = this.nodes.get(id);
    const m = await w?.read('stats').catch(() => undefined);
    return m?.stats !== undefined ? statsFromCopy(m.stats) : undefined;
  }

  /** Node `id`'s metadata image, read from its worker now (undefined if it is not running). */
  async readImage(id: number): Promise<MetadataImage | undefined> {
    const w = this.nodes.get(id);
    const m = await w?.read('image').catch(() => undefined);
    return m?.image !== undefined ? imageFromCopy(m.image) : undefined;
  }

  /** Node `id`'s broker counts, read synchronously now (undefined if it is not running or not open yet). */
  statsNow(id: number): NodeStats | undefined {
    const c = this.nodes.get(id)?.readNow('stats');
    return c !== undefined ? statsFromCopy(c) : undefined;
  }

  /**
   * The metadata image of the first of `ids` that is open, read synchronously now; `known`
   * (the image read last time) is reused when the node's image has the same offset (the
   * same committed records: every node's committed prefix is the same).
   */
  imageNow(ids: readonly number[], known: MetadataImage | undefined): MetadataImage | undefined {
    for (const id of ids) {
      const c = this.nodes.get(id)?.readNow('image', known?.offset ?? -2);
      if (c === 'same') return known;
      if (c !== undefined) return imageFromCopy(c);
    }
    return undefined;
  }

  private retire(w: WorkerNode): void {
    const s = w.lastStats;
    w.lastStats = undefined;
    if (s !== undefined) this.onRetire(statsFromCopy(s));
  }

  /** Kills node `id`: its worker is terminated wherever it is (mid-write included). */
  kill(id: number): void {
    const w = this.nodes.get(id);
    if (!w) return;
    this.nodes.delete(id);
    this.retire(w);
    void w.clients.close();
    void w.worker.terminate();
  }

  setRaftLink(a: number, b: number, up: boolean): void {
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    if (up) this.cuts.delete(key);
    else this.cuts.add(key);
    for (const w of this.nodes.values()) w.post({ t: 'raftLink', a, b, up });
  }
}
