import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { BrokerConfig } from './broker/broker.js';
import type { Admin, AdminOptions } from './client/admin.js';
import type { Consumer } from './client/consumer.js';
import type { ConsumerGroup, ConsumerGroupOptions } from './client/consumer-group.js';
import type { ConsumerOptions, ProducerOptions } from './client/options.js';
import type { Producer } from './client/producer.js';
import type { Topic, TopicSerdes } from './client/topic.js';
import { ClientFactories } from './client-factories.js';
import { ClusterNode, checkNodeFolders } from './cluster-node.js';
import { ClusterStats, type ClusterMetrics, type NodeStats } from './observe/cluster-metrics.js';
import { validateClusterOptions } from './cluster-options.js';
import type { MetadataImage } from './metadata/image.js';
import { RaftLinks } from './node/raft-link.js';
import { WorkerNodes, prestartNodeWorkers } from './cluster/worker-nodes.js';
import { PortMembers } from './cluster/port-members.js';
import { ClusterWorker } from './cluster/cluster-in-worker.js';
import { makeEphemeralDir } from './cluster/ephemeral-dir.js';
import type { NodeWorkerData } from './cluster/worker-protocol.js';
import { writeFileAtomic } from './storage/atomic-file.js';
import { FolderLock, makeDataDir } from './storage/folder-lock.js';
import type { Store } from './storage/store.js';
import { InlineTransport } from './transport/inline.js';
import { MessageChannel } from 'node:worker_threads';
import type { ClusterHandle } from './connect-handle.js';
import { PortServer } from './transport/port/port-server.js';
import { ClusterListeners, type ListenOptions } from './cluster-listeners.js';
import type { SaslOptions } from './transport/tcp/sasl.js';
import type { TlsOptions } from './transport/tcp/listener.js';
import type { Transport } from './transport/transport.js';
import { every, systemClock, type Clock } from './util/clock.js';
import { TributaryError } from './util/errors.js';
import { makeLogger, type Logger, type LogLevel } from './util/logger.js';
import { withTimeout } from './util/timeout.js';

/**
 * Options of {@link Cluster.start}.
 *
 * @example
 * ```ts
 * import { Cluster, type ClusterOptions } from 'tributary-log';
 *
 * const options: ClusterOptions = { nodes: 3, defaultPartitions: 6, brokerSessionTimeoutMs: 1000 };
 * await using cluster = await Cluster.start(options);
 * await cluster.admin().createTopics([{ name: 'orders' }]);
 * const [orders] = await cluster.admin().describeTopics(['orders']);
 * console.log(orders!.partitions.length, orders!.partitions[0]!.replicas.length); // 6 3
 * ```
 */
export interface ClusterOptions {
  /** Nodes (brokers) in the cluster. Default 1. */
  readonly nodes?: number;
  /**
   * How many of the nodes are also controller voters (KRaft's combined mode): 1, 3 or 5,
   * at most `nodes`. Default: 3 when there are 3 nodes or more, else 1.
   */
  readonly controllers?: number;
  /** Where the cluster keeps its files. Omitted: a temporary folder, removed on close. Given: reopened if it holds a cluster. */
  readonly dataDir?: string;
  /** `default.replication.factor` for topics created without one. Default: min(nodes, 3). */
  readonly defaultReplicationFactor?: number;
  /** `num.partitions` for topics created without a count. Default 1. */
  readonly defaultPartitions?: number;
  /** `broker.session.timeout.ms`: a node silent this long is fenced and loses its leaderships. Default 2000 (Kafka: 9000). */
  readonly brokerSessionTimeoutMs?: number;
  /** Raft's election timeout for the controller quorum, 20 to 60000 ms. Default 300 ms. */
  readonly electionTimeoutMs?: number;
  /**
   * `auto.create.topics.enable`: a producer's send to a topic that does not exist creates
   * it, with `defaultPartitions` and `defaultReplicationFactor`, as Kafka does. Default true.
   */
  readonly autoCreateTopics?: boolean;
  /** Broker settings (heartbeat interval, replica lag, ...). */
  readonly broker?: Partial<BrokerConfig>;
  readonly clock?: Clock;
  /** @internal Opens each partition folder's store (disk-fault tests inject failures and count syncs). */
  readonly openStore?: (dir: string) => Store;
  /**
   * Gives every node a TCP listener speaking the Kafka protocol, for any Kafka client
   * (KafkaJS, librdkafka, the Java client): `{}` for 127.0.0.1 on free ports, or a
   * `host`, a `port` (0 = any free port) or a list of ports, one per node. The addresses
   * are in {@link Cluster.bootstrapServers} and in every node's metadata, and a restarted
   * node keeps its port. Limits use Kafka's config names (`socketRequestMaxBytes`, ...).
   */
  readonly listen?: ListenOptions;
  /** With `listen`: clients must authenticate with SASL/PLAIN or SCRAM-SHA-256/512 as one of these users. */
  readonly sasl?: SaslOptions;
  /** With `listen`: the listeners speak TLS with this PEM key and certificate (and require client certificates signed by `ca`, when given). */
  readonly tls?: TlsOptions;
  /**
   * Where the cluster and the consumer groups made from it log: `console`, a pino logger,
   * or any {@link Logger}. Default `console`, warnings and errors only.
   */
  readonly logger?: Logger;
  /**
   * Where the nodes run. `'inline'` (the default): every node in the calling thread.
   * `'per-node'`: each node in a worker thread of its own, so the brokers' CRC checks,
   * appends, Raft and group timers run in parallel and off the calling thread's event
   * loop; the nodes talk to each other over `MessagePort`s, and the calling thread keeps
   * the same `Cluster` API (clients, topics, `createHandle()`, `stopNode`, `restartNode`;
   * `killNode` terminates the node's worker mid-write). `metadata` and `metrics()` are
   * read from the nodes' threads at the call, so they are as current as inline: the
   * calling thread waits for the answer (one turn of each node's event loop, well under
   * a millisecond idle; a worker that does not answer within 5 s fails the read with
   * retriable `REQUEST_TIMED_OUT`). `readMetadata()` and `readMetrics()` read the same
   * without blocking. Options `clock` and `openStore` (functions of this thread) are
   * refused with `INVALID_CONFIG`; `listen` binds the listeners in the calling thread,
   * which relays each request, with its context, to the node's worker.
   * `'worker'`: the whole cluster in one worker thread, the same API in the calling
   * thread (its clients reach the worker over a `MessagePort`; `metadata` and `metrics()`
   * are read from the worker as with `'per-node'`); `listen` works there; `clock` and
   * `openStore` do not.
   */
  readonly threads?: 'inline' | 'per-node' | 'worker';
  /** The least severe level logged. Default `'warn'` on the default `console`; with a `logger` of your own, everything (it filters by its own level, as pino does). */
  readonly logLevel?: LogLevel;
}

/**
 * A node as {@link Cluster.describe} reports it.
 *
 * @example
 * ```ts
 * import { Cluster, type ClusterNodeInfo } from 'tributary-log';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * await cluster.stopNode(3);
 * const nodes: ClusterNodeInfo[] = cluster.describe();
 * console.log(nodes.filter((n) => n.running).map((n) => n.id)); // [ 1, 2 ]
 * console.log(nodes.find((n) => n.activeController)?.controller); // true
 * ```
 */
export interface ClusterNodeInfo {
  readonly id: number;
  readonly running: boolean;
  readonly controller: boolean;
  readonly activeController: boolean;
  readonly fenced: boolean;
}

/**
 * A Kafka-compatible cluster inside this process: N nodes, each a broker, the first 1, 3
 * or 5 also the controller quorum that keeps the metadata in a Raft log. Topics are
 * replicated across the nodes; producers, consumers and admin clients reach them through
 * {@link Cluster.transport}.
 *
 * @example
 * ```ts
 * import { Cluster } from 'tributary-log';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * console.log(cluster.describe().length); // 3
 * ```
 */
export class Cluster {
  /** The cluster's id, kept in every node's meta.properties. */
  readonly clusterId: string;
  /** The folder the nodes keep their data in: the `dataDir` option, or a temporary folder (removed on `close()`) when it was left out. */
  readonly dataDir: string;
  /** How clients reach the nodes: requests carried within this thread. */
  readonly transport: Transport;
  private readonly inline: InlineTransport;
  /**
   * How the nodes reach each other: every request between nodes (to the active
   * controller, Raft, replica fetches, OpenReplica) is a message through it, answered by
   * each node's `NodeEndpoint`. Clients never see it: theirs is `transport`.
   */
  private readonly nodeNet = new InlineTransport();
  private readonly raftLinks = new RaftLinks();
  private readonly nodes = new Map<number, ClusterNode>();
  private readonly nodeIds: readonly number[];
  private readonly voters: readonly number[];
  private readonly clock: Clock;
  private readonly ownsDir: boolean;
  private closed = false;
  /** The cluster's logger, behind its level. @internal */
  readonly log: Logger;
  private readonly stats = new ClusterStats();
  /** With nodes in workers: the image `metadata` read last (reused while the node's image keeps its offset). */
  private lastImage: MetadataImage | undefined;
  private readonly factories: ClientFactories;
  private dirLock: FolderLock | undefined;
  /** Set while `start` opens the nodes of a cluster whose folder it made (`NodeWorkerData.newQuorum`). */
  private newQuorum = false;
  private readonly listeners: ClusterListeners | undefined;
  /** The nodes' workers, with `threads: 'per-node'`. */
  private readonly workers: WorkerNodes | undefined;
  /** The whole cluster's worker, with `threads: 'worker'`. */
  private readonly remote: ClusterWorker | undefined;

  private constructor(
    private readonly options: ClusterOptions,
    dataDir: string,
    ownsDir: boolean,
    clusterId: string,
    remote?: ClusterWorker,
  ) {
    const n = options.nodes ?? 1;
    const controllers = options.controllers ?? (n >= 3 ? 3 : 1);
    this.nodeIds = Array.from({ length: n }, (_, i) => i + 1);
    this.voters = this.nodeIds.slice(0, controllers);
    this.dataDir = dataDir;
    this.ownsDir = ownsDir;
    this.clusterId = clusterId;
    this.clock = options.clock ?? systemClock;
    // A new run id each start: in-process group members of an earlier run (before a crash) are dropped at once.
    this.inline = new InlineTransport(remote?.runId ?? randomUUID());
    this.remote = remote;
    this.transport = this.inline;
    this.log = makeLogger(options.logger, options.logLevel);
    if (options.listen !== undefined && remote === undefined) this.listeners = new ClusterListeners(options, this.nodeIds);
    if (options.threads === 'per-node') {
      this.workers = new WorkerNodes(
        (id) => this.nodeSettings(id),
        this.inline.clusterRunId!,
        this.log,
        () => this.stats.controllerElections++,
        (id) => {
          this.inline.setNode(id, undefined);
          void this.listeners?.closeNode(id);
        },
      );
      this.workers.onRetire = (s) => this.stats.retire(s);
    }
    this.factories = new ClientFactories({ transport: this.transport, clock: this.clock, isClosed: () => this.closed, name: 'the cluster' });
  }

  /** Starts a cluster and resolves once every node is registered and serving. */
  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    validateClusterOptions(options);
    if (options.threads === 'worker') return Cluster.startInWorker(options);
    if (options.threads === 'per-node') prestartNodeWorkers(options.nodes ?? 1);
    const ownsDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? makeEphemeralDir();
    makeDataDir(dataDir);
    // One live cluster per data folder, whatever path reaches it and from whichever thread
    // (storage/folder-lock.ts): two would hand out the same offsets.
    const dirLock = FolderLock.acquire(dataDir);
    let cluster: Cluster;
    try {
      // A folder without a cluster id is a new cluster: no node of it can hold a vote yet.
      const newQuorum = !existsSync(join(dataDir, 'cluster.id'));
      cluster = new Cluster(options, dataDir, ownsDir, readOrCreateClusterId(dataDir));
      cluster.newQuorum = newQuorum;
    } catch (err) {
      dirLock.release();
      throw err;
    }
    cluster.dirLock = dirLock;
    const started = performance.now();
    try {
      checkNodeFolders(dataDir, cluster.nodeIds, cluster.clusterId, cluster.voters);
      await cluster.listeners?.listenAll();
      await Promise.all(cluster.nodeIds.map((id) => cluster.openNode(id)));
      cluster.newQuorum = false; // a node restarted later opens on what it wrote
      await cluster.waitForNodes(cluster.nodeIds, 30_000);
    } catch (err) {
      await cluster.close();
      throw err;
    }
    const ms = Math.round(performance.now() - started);
    cluster.log.info({ clusterId: cluster.clusterId, dataDir, nodes: cluster.nodeIds.length, ms }, `cluster started: ${cluster.nodeIds.length} node(s) in ${ms} ms`);
    return cluster;
  }

  /** `threads: 'worker'`: the whole cluster in one worker; this thread keeps the same API. */
  private static async startInWorker(options: ClusterOptions): Promise<Cluster> {
    const ownsDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? makeEphemeralDir();
    // Functions stay here (the logger gets the worker's lines); the rest is plain data.
    const { logger: _logger, clock: _clock, openStore: _openStore, threads: _threads, ...plain } = options;
    const log = makeLogger(options.logger, options.logLevel);
    let remote: ClusterWorker;
    try {
      remote = await ClusterWorker.start({ ...plain, dataDir }, options.logLevel ?? (options.logger === undefined ? 'warn' : 'debug'), log);
    } catch (err) {
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
    const cluster = new Cluster(options, dataDir, ownsDir, remote.clusterId, remote);
    const route = (): void => {
      if (cluster.closed) return;
      for (const n of remote.nodes) cluster.inline.setNode(n.id, n.running ? remote.handler(n.id) : undefined);
    };
    remote.watch(route);
    route();
    return cluster;
  }

  /**
   * The `host:port` of every node's listener, comma-separated: what a Kafka client takes as
   * `bootstrap.servers` (KafkaJS: `brokers: cluster.bootstrapServers.split(',')`). Only for
   * a cluster started with `listen`.
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start({ nodes: 3, listen: { port: 0 } });
   * console.log(cluster.bootstrapServers.split(',').length); // 3
   * ```
   */
  get bootstrapServers(): string {
    if (this.remote?.bootstrapServers !== undefined) return this.remote.bootstrapServers;
    if (this.listeners === undefined) throw new TributaryError('INVALID_CONFIG', 'the cluster has no listeners: start it with the listen option', { option: 'listen' });
    return this.listeners.bootstrapServers;
  }

  /** Node ids, 1 to N. */
  get nodeIdList(): readonly number[] {
    return this.nodeIds;
  }

  /**
   * The metadata as the active controller has committed it. With nodes in workers
   * (`threads: 'per-node'` or `'worker'`) it is read from the node's thread now, the
   * calling thread waiting for the answer (see {@link ClusterOptions.threads}).
   */
  get metadata(): MetadataImage {
    if (this.workers || this.remote) return this.metadataNow();
    const n = this.activeController() ?? this.nodes.values().next().value;
    if (!n) throw new TributaryError('CLIENT_CLOSED', 'no node is running');
    return n.metadata.image;
  }

  /**
   * The metadata as the active controller has committed it, read now, in every `threads`
   * mode: with nodes in workers the image crosses as its snapshot and is rebuilt here by
   * replay (the synchronous {@link Cluster.metadata} needs the node objects in this thread).
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start({ nodes: 3, threads: 'per-node' });
   * await cluster.admin().createTopics([{ name: 'orders', partitions: 3 }]);
   * const image = await cluster.readMetadata();
   * console.log(image.topic('orders')?.partitions.length, image.brokerList().length); // 3 3
   * ```
   */
  async readMetadata(): Promise<MetadataImage> {
    if (this.remote) return this.remote.readImage();
    const workers = this.workers;
    if (!workers) return this.metadata;
    const active = this.activeControllerId();
    for (const id of active >= 0 ? [active, ...workers.ids] : workers.ids) {
      const image = await workers.readImage(id);
      if (image !== undefined) return image;
    }
    throw new TributaryError('CLIENT_CLOSED', 'no node is running');
  }

  /**
   * {@link Cluster.metrics}, read now, in every `threads` mode: with nodes in workers, each
   * running node sends its counts (and the active controller its metadata image), and they
   * are summed here as inline. Counters stay monotonic across restarts: a stopped node's
   * final counts are kept; a killed node's are kept as of the last read of them.
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start({ nodes: 3, threads: 'per-node' });
   * await cluster.admin().createTopics([{ name: 'orders' }]);
   * await cluster.producer().send('orders', [{ value: 'a' }]);
   * const m = await cluster.readMetrics();
   * console.log(m.recordsIn, m.runningNodes, m.activeControllerId > 0); // 1 3 true
   * ```
   */
  async readMetrics(): Promise<ClusterMetrics> {
    if (this.remote) return this.remote.readMetrics();
    const workers = this.workers;
    if (!workers) return this.metrics();
    const ids = workers.ids;
    const [stats, image] = await Promise.all([Promise.all(ids.map((id) => workers.readStats(id))), this.readMetadata().catch(() => undefined)]);
    // A node killed while the reads were out has had its last read counts retired already: count it once.
    const live = stats.filter((s, i) => s !== undefined && workers.has(ids[i]!)) as NodeStats[];
    const fenced = this.nodeIds.filter((id) => image?.broker(id)?.fenced !== false).length;
    return this.stats.snapshot(live, image, { total: this.nodeIds.length, running: workers.ids.length, fenced, activeControllerId: this.activeControllerId() });
  }

  /** Every node, with whether it runs, votes, leads the quorum and is fenced. */
  describe(): ClusterNodeInfo[] {
    if (this.remote) return this.remote.nodes.map((n) => ({ ...n }));
    const workers = this.workers;
    if (workers) {
      const active = this.activeControllerId();
      return this.nodeIds.map((id) => {
        const st = workers.status(id);
        return { id, running: st !== undefined, controller: this.voters.includes(id), activeController: id === active, fenced: st?.fenced ?? true };
      });
    }
    const active = this.activeController()?.id ?? -1;
    return this.nodeIds.map((id) => {
      const n = this.nodes.get(id);
      return { id, running: n !== undefined, controller: this.voters.includes(id), activeController: id === active, fenced: n ? n.broker.isFenced : true };
    });
  }

  /**
   * The cluster's metrics as of now: records and bytes in and out (in total and per
   * topic), request latency by API, under-replicated and offline partitions, the active
   * controller and elections. For Prometheus, pass it to {@link prometheusText}.
   *
   * @example
   * ```ts
   * import { Cluster, prometheusText } from 'tributary-log';
   *
   * await using cluster = await Cluster.start();
   * await cluster.admin().createTopics([{ name: 'events' }]);
   * await cluster.producer().send('events', [{ value: 'hello' }]);
   * const m = cluster.metrics();
   * console.log(m.recordsIn, m.bytesIn > 0, m.offlinePartitions); // 1 true 0
   * console.log(prometheusText(m).includes('tributary_records_in_total 1')); // true
   * ```
   */
  metrics(): ClusterMetrics {
    if (this.remote) return this.remote.metricsNow();
    if (this.workers) return this.metricsNow(this.workers);
    const running = [...this.nodes.values()];
    const active = this.activeController();
    const image = active?.metadata.image ?? running[0]?.metadata.image;
    const fenced = this.nodeIds.filter((id) => image?.broker(id)?.fenced !== false).length;
    return this.stats.snapshot(
      running.map((n) => n.broker.stats),
      image,
      { total: this.nodeIds.length, running: running.length, fenced, activeControllerId: active?.id ?? -1 },
    );
  }

  /** Cuts (or, with `up`, restores) the Raft link between two nodes, both ways: partition tests. @internal */
  setRaftLink(a: number, b: number, up: boolean): void {
    if (this.workers) this.workers.setRaftLink(a, b, up);
    else if (this.remote) void this.remote.op('setRaftLink', a, b, up).catch(() => {});
    else this.raftLinks.setLink(a, b, up);
  }

  /** The node object (broker and metadata replica) for tests that look inside. @internal */
  node(id: number): ClusterNode | undefined {
    return this.nodes.get(id);
  }

  /**
   * A producer on this cluster, closed (flushed first) when the cluster closes.
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start();
   * await cluster.admin().createTopics([{ name: 'events' }]);
   * const producer = cluster.producer({ lingerMs: 1 });
   * const [meta] = await producer.send('events', [{ key: 'a', value: 'hello' }]);
   * console.log(meta!.offset); // 0
   * ```
   */
  producer(options: ProducerOptions = {}): Producer {
    return this.factories.producer(options);
  }

  /** A consumer (no group) on this cluster, closed when the cluster closes. */
  consumer(options: ConsumerOptions = {}): Consumer {
    return this.factories.consumer(options);
  }

  /**
   * A member of a consumer group on this cluster, closed (committing and leaving the
   * group) when the cluster closes.
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start();
   * await cluster.admin().createTopics([{ name: 'events', partitions: 2 }]);
   * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'], autoOffsetReset: 'earliest' });
   * await group.whenJoined();
   * console.log(group.assignment().length); // 2
   * await group.close();
   * ```
   */
  consumerGroup<K = Uint8Array | null, V = Uint8Array | null>(options: ConsumerGroupOptions<K, V>): ConsumerGroup<K, V> {
    return this.factories.consumerGroup<K, V>({ logger: this.log, ...options });
  }

  /**
   * An admin client on this cluster. It holds nothing to release: make one per call if you
   * like. Once the cluster closes, its calls reject with `CLIENT_CLOSED`.
   */
  admin(options: AdminOptions = {}): Admin {
    return this.factories.admin(options);
  }

  private readonly portServers = new Set<PortServer>();

  /**
   * A handle for another thread: post it to a worker (with `handle.port` in the transfer
   * list) and connect it there with `connectHandle`, which gives the same client factories
   * as this cluster. One handle per worker; the cluster answers its requests in this thread.
   *
   * @example
   * ```ts
   * import { Worker } from 'node:worker_threads';
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start();
   * const handle = cluster.createHandle();
   * const worker = new Worker('./worker.js', { workerData: handle, transferList: [handle.port] });
   * await new Promise((resolve) => worker.once('exit', resolve));
   * ```
   */
  createHandle(): ClusterHandle {
    this.checkOpen();
    const { port1, port2 } = new MessageChannel();
    // Group members that join through this port leave at once when its thread is seen to exit.
    const members = new PortMembers();
    const server = new PortServer(
      port1,
      (id) => {
        const h = this.inline.handler(id);
        return h && members.wrap(id, h);
      },
      this.log,
      (s, how) => {
        this.portServers.delete(s);
        if (how === 'exited' && !this.closed) void members.leaveAll((id) => this.inline.handler(id), this.log);
      },
    );
    this.portServers.add(server);
    port2.unref();
    return { kind: 'tributary-cluster-handle', port: port2, clusterId: this.clusterId, runId: this.inline.clusterRunId!, nodeIds: this.nodeIds };
  }

  /**
   * A typed handle on a topic: sends and reads records as `K` and `V` through the serdes.
   * It shares one producer per cluster (made on first send) and makes a consumer per read.
   *
   * @example
   * ```ts
   * import { Cluster, serdes } from 'tributary-log';
   *
   * interface Order { id: string; total: number }
   * await using cluster = await Cluster.start();
   * await cluster.admin().createTopics([{ name: 'orders', partitions: 3 }]);
   * const orders = cluster.topic('orders', { key: serdes.string, value: serdes.json<Order>() });
   * await orders.send({ key: 'user-42', value: { id: 'o-1', total: 9.5 } });
   * for await (const order of orders.consume({ from: 'earliest' })) {
   *   console.log(order.value?.total); // 9.5
   *   break;
   * }
   * ```
   */
  topic<K, V>(name: string, serdes: TopicSerdes<K, V>): Topic<K, V> {
    return this.factories.topic(name, serdes);
  }

  /** Stops a node cleanly: it hands over its leaderships first (controlled shutdown). */
  async stopNode(id: number): Promise<void> {
    this.checkNodeId(id);
    if (this.remote) {
      this.inline.setNode(id, undefined);
      await this.remote.op('stopNode', id);
      return;
    }
    if (this.workers) {
      if (!this.workers.has(id)) return;
      this.inline.setNode(id, undefined);
      await this.listeners?.closeNode(id);
      await this.workers.closeBroker(id);
      await this.workers.close(id);
      return;
    }
    const n = this.nodes.get(id);
    if (!n) return;
    this.inline.setNode(id, undefined);
    await this.listeners?.closeNode(id);
    // The node stays reachable by the other nodes (as the active controller, say) while its
    // broker shuts down: the controlled shutdown of the controller's own broker goes to
    // that controller. Removed first, the shutdown found no controller, timed out, and left
    // the broker unfenced, so the next controller placed new replicas on the stopped node
    // for a session timeout.
    await n.closeBroker();
    this.nodes.delete(id);
    this.stats.retire(n.broker.stats);
    await n.close();
    if (this.nodeNet.handler(id) === n.endpoint) this.nodeNet.setNode(id, undefined);
  }

  /** Kills a node: no clean shutdown; the controller fences it once its session expires, and moves its leaderships. */
  killNode(id: number): void {
    this.checkNodeId(id);
    if (this.remote) {
      this.inline.setNode(id, undefined);
      void this.remote.op('killNode', id).catch(() => {});
      return;
    }
    if (this.workers) {
      this.inline.setNode(id, undefined);
      void this.listeners?.closeNode(id);
      this.workers.kill(id);
      return;
    }
    const n = this.nodes.get(id);
    if (!n) return;
    this.nodes.delete(id);
    this.inline.setNode(id, undefined);
    this.nodeNet.setNode(id, undefined);
    this.stats.retire(n.broker.stats);
    void this.listeners?.closeNode(id);
    n.kill();
  }

  /**
   * Restarts a stopped or killed node from its files; resolves once it is registered again.
   * A node registers with the active controller, which needs a majority of the controller
   * voters running: when this restart leaves fewer running (every node was killed and they
   * come back one at a time), it resolves once the node runs, and the node registers as soon
   * as enough voters are back (the restart that makes the majority waits for its own
   * registration as usual).
   */
  async restartNode(id: number): Promise<void> {
    this.checkNodeId(id);
    this.checkOpen();
    if (this.remote) {
      await this.remote.op('restartNode', id);
      if (!this.closed) this.inline.setNode(id, this.remote.handler(id));
      return;
    }
    if (this.nodes.has(id) || this.workers?.has(id)) return;
    await this.listeners?.listenNode(id);
    await this.openNode(id);
    const running = this.voters.filter((v) => this.nodes.has(v) || this.workers?.has(v) === true).length;
    if (running <= this.voters.length / 2) {
      this.log.info({ nodeId: id, runningVoters: running, voters: this.voters }, `node ${id} runs; it registers once a majority of the controller voters (${this.voters.join(', ')}) runs (${running} of ${this.voters.length} now)`);
      return;
    }
    await this.waitForNodes([id], 30_000);
  }

  /**
   * Runs `fn` when the cluster closes, before the nodes stop (clients made from the
   * cluster register their own close here). Returns the function that removes it.
   * @internal
   */
  onClose(fn: () => Promise<void> | void): () => void {
    return this.factories.onClose(fn);
  }

  /** Closes every client made from the cluster, then every node, cleanly; removes a temporary data folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const server of [...this.portServers]) server.close();
    await this.factories.closeAll();
    await this.listeners?.closeAll();
    if (this.remote) {
      for (const id of this.nodeIds) this.inline.setNode(id, undefined);
      await this.remote.close();
      this.removeOwnDir();
      return;
    }
    if (this.workers) {
      const workers = this.workers;
      for (const id of this.nodeIds) this.inline.setNode(id, undefined);
      const ids = workers.ids;
      await Promise.all(ids.map((id) => workers.closeBroker(id)));
      await Promise.all(ids.map((id) => workers.close(id)));
      this.dirLock?.release();
      this.removeOwnDir();
      return;
    }
    const nodes = [...this.nodes.values()];
    for (const n of nodes) this.inline.setNode(n.id, undefined);
    // Brokers first, each with a controlled shutdown (it needs the active controller, so
    // the nodes stay listed until then): fenced, they restart without waiting out a
    // session (a request a broker left waiting is dropped once it has closed). Then the quorum.
    await Promise.all(nodes.map((n) => n.closeBroker()));
    this.nodes.clear();
    for (const n of nodes) this.stats.retire(n.broker.stats);
    await Promise.all(nodes.map((n) => n.close()));
    for (const n of nodes) this.nodeNet.setNode(n.id, undefined);
    await this.nodeNet.close();
    this.dirLock?.release();
    this.removeOwnDir();
  }

  /**
   * Removes the cluster's temporary folder (one it made itself). The folder is renamed
   * away at once (its path is gone when \`close\` resolves) and its files are deleted in the
   * background: on a loaded ext4 mounted with \`discard\`, deleting a 3-node cluster's ~30
   * small files synchronously took 60-90 ms of every close (measured: \`unlink\` was the
   * largest item of a per-node start + close profile), blocking this thread. A pending
   * deletion keeps the process alive until it is done, so nothing is left behind.
   */
  private removeOwnDir(): void {
    if (!this.ownsDir) return;
    let dir = this.dataDir;
    try {
      const away = `${dir}.closed`;
      renameSync(dir, away);
      dir = away;
    } catch {
      // deleted where it is
    }
    void rm(dir, { recursive: true, force: true }).catch(() => {});
  }

  /** `close()`, for `await using cluster = await Cluster.start()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** True once `close()` has been called: every client call then rejects with `CLIENT_CLOSED`. */
  get isClosed(): boolean {
    return this.closed;
  }

  // ------------------------------------------------------------------ internals

  private activeControllerId(): number {
    if (this.workers) {
      for (const id of this.workers.ids) if (this.workers.status(id)?.active) return id;
      return -1;
    }
    return this.activeController()?.id ?? -1;
  }

  /** What a node needs to open, as plain data (it crosses to a node's worker as is). */
  private nodeSettings(id: number): NodeWorkerData {
    const o = this.options;
    const n = this.nodeIds.length;
    return {
      id,
      voters: this.voters,
      clusterId: this.clusterId,
      dataDir: this.dataDir,
      clusterRunId: this.inline.clusterRunId!,
      controller: {
        clusterId: this.clusterId,
        brokerSessionTimeoutMs: o.brokerSessionTimeoutMs ?? 2000,
        defaultReplicationFactor: o.defaultReplicationFactor ?? Math.min(n, 3),
        defaultNumPartitions: o.defaultPartitions ?? 1,
      },
      broker: { ...o.broker, ...(o.autoCreateTopics !== undefined ? { autoCreateTopicsEnable: o.autoCreateTopics } : {}), ...this.listeners?.advertised(id) },
      ...(o.electionTimeoutMs !== undefined ? { electionTimeoutMs: o.electionTimeoutMs } : {}),
      ...(this.newQuorum ? { newQuorum: true } : {}),
      logLevel: o.logLevel ?? (o.logger === undefined ? 'warn' : 'debug'),
    };
  }

  private activeController(): ClusterNode | undefined {
    for (const n of this.nodes.values()) if (n.metadata.isActive) return n;
    return undefined;
  }

  private async openNode(id: number): Promise<void> {
    const o = this.options;
    const workers = this.workers;
    if (workers) {
      await workers.open(id);
      if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the cluster closed while a node started');
      void workers.registered(id).then(
        () => {
          if (!workers.has(id)) return;
          this.inline.setNode(id, workers.handler(id));
          this.listeners?.setServing(id, workers.handler(id)!);
        },
        () => {},
      );
      return;
    }
    const s = this.nodeSettings(id);
    const node = await ClusterNode.open({
      id,
      voters: s.voters,
      clusterId: s.clusterId,
      dataDir: s.dataDir,
      nodes: this.nodeNet,
      register: (endpoint) => this.nodeNet.setNode(id, endpoint),
      isRaftLinkCut: this.raftLinks.isCut,
      clock: this.clock,
      clusterRunId: s.clusterRunId,
      controller: s.controller,
      broker: s.broker,
      ...(o.openStore ? { openStore: o.openStore } : {}),
      logger: this.log,
      onControllerActivated: () => this.stats.controllerElections++,
      ...(o.electionTimeoutMs !== undefined ? { electionTimeoutMs: o.electionTimeoutMs } : {}),
      ...(s.newQuorum === true ? { newQuorum: true } : {}),
    });
    if (this.closed) {
      await node.close();
      this.nodeNet.setNode(id, undefined);
      throw new TributaryError('CLIENT_CLOSED', 'the cluster closed while a node started');
    }
    this.nodes.set(id, node);
    // Reachable by clients and peers only once registered and caught up with the metadata
    // (Kafka's broker serves only once RUNNING): a node just restarted would otherwise
    // answer from an old image, calling live topics unknown.
    void node.broker.whenRegistered().then(() => {
      if (this.nodes.get(id) !== node) return;
      this.inline.setNode(id, node.broker);
      node.setServing(true);
      this.listeners?.setServing(id, node.broker);
    });
  }

  private async waitForNodes(ids: readonly number[], timeoutMs: number): Promise<void> {
    // A long wait says what it waits for, every couple of seconds (no quorum yet, a
    // registration refused while an old incarnation's session lives, ...).
    const waiting = new Set(ids);
    // In the cluster's time: on a simulated clock the wait and its progress lines run in it.
    const started = this.clock.monotonic();
    const progress = every(this.clock, progressIntervalMs, () => {
      const active = this.activeControllerId();
      const s = Math.round((this.clock.monotonic() - started) / 1000);
      this.log.info({ nodes: [...waiting], activeControllerId: active, waitedMs: Math.round(this.clock.monotonic() - started) }, `still waiting for node(s) ${[...waiting].join(', ')} to register (${s} s; ${active < 0 ? 'no active controller yet' : `controller ${active}`})`);
    });
    try {
      await Promise.all(
        ids.map(async (id) => {
          const n = this.nodes.get(id);
          if (n) await withTimeout(n.broker.whenRegistered(), timeoutMs, `node ${id} registering with the controller`, this.clock);
          else if (this.workers?.has(id)) await withTimeout(this.workers.registered(id), timeoutMs, `node ${id} registering with the controller`, this.clock);
          waiting.delete(id);
        }),
      );
    } finally {
      progress.stop();
    }
  }

  private checkNodeId(id: number): void {
    if (this.nodeIds.includes(id)) return;
    // Any value may come from JavaScript: JSON.stringify throws on a bigint (and on an object whose toJSON throws).
    const given = typeof id === 'number' ? String(id) : `${typeof id === 'string' ? `${JSON.stringify(id)} ` : typeof id === 'bigint' ? `${String(id)}n ` : ''}(a ${id === null ? 'null' : typeof id}; node ids are numbers)`;
    throw new TributaryError('INVALID_ARGUMENT', `no node ${given} in this cluster (nodes are ${this.nodeIds.join(', ')})`, { option: 'id' });
  }

  /** The typed error of a member that needs the node objects, in a cluster whose nodes live in workers. */
  /** `metadata` with nodes in workers: read from the active controller's thread (or another running node's) now. */
  private metadataNow(): MetadataImage {
    const image = this.remote ? this.remote.imageNow(this.lastImage) : this.workers!.imageNow(this.readOrder(this.workers!), this.lastImage);
    if (image === undefined) throw new TributaryError('CLIENT_CLOSED', 'no node is running');
    this.lastImage = image;
    return image;
  }

  /** `metrics()` with `threads: 'per-node'`: every running node's counts and the controller's image, read now. */
  private metricsNow(workers: WorkerNodes): ClusterMetrics {
    const stats = workers.ids.map((id) => workers.statsNow(id)).filter((s) => s !== undefined);
    const image = workers.imageNow(this.readOrder(workers), this.lastImage);
    if (image !== undefined) this.lastImage = image;
    const fenced = this.nodeIds.filter((id) => image?.broker(id)?.fenced !== false).length;
    return this.stats.snapshot(stats, image, { total: this.nodeIds.length, running: workers.ids.length, fenced, activeControllerId: this.activeControllerId() });
  }

  /** The running nodes, the active controller first. */
  private readOrder(workers: WorkerNodes): number[] {
    const active = this.activeControllerId();
    return active >= 0 ? [active, ...workers.ids.filter((id) => id !== active)] : workers.ids;
  }

  private checkOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the cluster is closed');
  }
}

/** The cluster id lives in `<dataDir>/cluster.id`; a new cluster gets a random one (22 characters of base64url, like Kafka's). */
function readOrCreateClusterId(dataDir: string): string {
  try {
    const id = readFileSync(join(dataDir, 'cluster.id'), 'utf8').trim();
    if (/^[A-Za-z0-9_-]{22}$/.test(id)) return id;
    throw new TributaryError('INCONSISTENT_CLUSTER_ID', `${join(dataDir, 'cluster.id')} does not hold a cluster id`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = randomBytes(16).toString('base64url');
  writeFileAtomic(dataDir, 'cluster.id', `${id}\n`);
  return id;
}

/** How often a long wait (for nodes to register) logs what it waits for. */
const progressIntervalMs = 2000;

