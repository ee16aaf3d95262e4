import { MessagePort, threadId } from 'node:worker_threads';
import { Admin, type AdminOptions } from './client/admin.js';
import { Consumer } from './client/consumer.js';
import { ConsumerGroup, type ConsumerGroupOptions } from './client/consumer-group.js';
import type { ConsumerOptions, ProducerOptions } from './client/options.js';
import { Producer } from './client/producer.js';
import { Topic, type TopicSerdes } from './client/topic.js';
import { PortTransport } from './transport/port/port-transport.js';
import type { Transport } from './transport/transport.js';
import { TributaryError } from './util/errors.js';

/**
 * A way into a cluster from another thread, made by `cluster.createHandle()`: a plain
 * object holding a `MessagePort`. Post it to a worker (in `workerData` or `postMessage`,
 * with `handle.port` in the transfer list) and connect it there with {@link connectHandle}.
 * One handle, one connection: make a handle per worker.
 */
export interface ClusterHandle {
  readonly kind: 'tributary-cluster-handle';
  readonly port: MessagePort;
  readonly clusterId: string;
  /** The cluster's run id (see `Transport.clusterRunId`). */
  readonly runId: string;
  readonly nodeIds: readonly number[];
}

/** Options of {@link connectHandle}. */
export interface ConnectHandleOptions {
  /** The `client.id` the cluster's handlers see (default `'tributary-worker'`). */
  readonly clientId?: string;
}

const connectedPorts = new WeakSet<MessagePort>();

/**
 * Connects a {@link ClusterHandle} in this thread: the result has the same client
 * factories as `Cluster` (`topic()`, `producer()`, `consumer()`, `consumerGroup()`,
 * `admin()`), and `close()` (or `await using`) closes every client made from it, then the
 * port. A handle connected twice, or after its cluster closed, is refused with a typed
 * error (`INVALID_REQUEST`, `CLIENT_CLOSED`).
 *
 * @example
 * ```ts
 * import { Worker, isMainThread, workerData } from 'node:worker_threads';
 * import { Cluster, connectHandle, type ClusterHandle } from 'tributary-log';
 *
 * if (isMainThread) {
 *   await using cluster = await Cluster.start({ nodes: 3 });
 *   await cluster.admin().createTopics([{ name: 'events' }]);
 *   const handle = cluster.createHandle();
 *   const worker = new Worker(new URL(import.meta.url), { workerData: handle, transferList: [handle.port] });
 *   await new Promise((resolve) => worker.once('exit', resolve));
 * } else {
 *   await using remote = await connectHandle(workerData as ClusterHandle);
 *   const [meta] = await remote.producer({ acks: 'all' }).send('events', [{ key: 'k', value: 'from a worker' }]);
 *   console.log(meta!.offset); // 0
 * }
 * ```
 */
export async function connectHandle(handle: ClusterHandle, options: ConnectHandleOptions = {}): Promise<ConnectedCluster> {
  if (handle === null || typeof handle !== 'object' || handle.kind !== 'tributary-cluster-handle' || !(handle.port instanceof MessagePort)) {
    throw new TributaryError('INVALID_ARGUMENT', 'not a cluster handle: pass what cluster.createHandle() returned, with its port in the transfer list', { option: 'handle' });
  }
  if (connectedPorts.has(handle.port)) throw new TributaryError('INVALID_REQUEST', 'this cluster handle is already connected: make one handle per connect');
  connectedPorts.add(handle.port);
  const transport = new PortTransport(handle.port, [...handle.nodeIds], handle.runId, {
    clientId: options.clientId ?? 'tributary-worker',
    clientHost: `worker-${threadId}`,
  });
  try {
    await transport.ready;
  } catch (err) {
    await transport.close();
    throw err;
  }
  return new ConnectedCluster(handle.clusterId, transport);
}

/**
 * A cluster reached from another thread through a {@link ClusterHandle}: the same client
 * factories as `Cluster`. Made by {@link connectHandle}.
 */
export class ConnectedCluster {
  private readonly closeHooks = new Set<() => Promise<void> | void>();
  private sharedProducer: Producer | undefined;
  private closed = false;

  /** @internal */
  constructor(
    readonly clusterId: string,
    /** How the clients made here reach the cluster. */
    readonly transport: Transport,
  ) {}

  /** A producer, closed (flushed first) when this connection closes. */
  producer(options: ProducerOptions = {}): Producer {
    return this.track(new Producer(this.transport, options));
  }

  /** A consumer (no group), closed when this connection closes. */
  consumer(options: ConsumerOptions = {}): Consumer {
    return this.track(new Consumer(this.transport, options));
  }

  /** A member of a consumer group, closed (committing and leaving) when this connection closes. */
  consumerGroup<K = Uint8Array | null, V = Uint8Array | null>(options: ConsumerGroupOptions<K, V>): ConsumerGroup<K, V> {
    return this.track(new ConsumerGroup<K, V>(this.transport, options));
  }

  /** An admin client; its calls reject with `CLIENT_CLOSED` once this connection closes. */
  admin(options: AdminOptions = {}): Admin {
    this.checkOpen();
    return new Admin(this.transport, options);
  }

  /** A typed handle on a topic (one shared producer per connection). */
  topic<K, V>(name: string, serdes: TopicSerdes<K, V>): Topic<K, V> {
    this.checkOpen();
    return new Topic(name, serdes, {
      producer: () => (this.sharedProducer ??= this.producer({ lingerMs: 0 })),
      consumer: (options) => this.consumer(options),
    });
  }

  /** Closes every client made here, then the port. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const hook of [...this.closeHooks]) await Promise.resolve(hook()).catch(() => {});
    this.closeHooks.clear();
    await this.transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private track<C extends { close(): Promise<void> }>(client: C): C {
    this.checkOpen();
    const off = (): boolean => this.closeHooks.delete(hook);
    const close = client.close.bind(client);
    const hook = (): Promise<void> => close();
    this.closeHooks.add(hook);
    client.close = () => {
      off();
      return close();
    };
    return client;
  }

  private checkOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the connection to the cluster is closed');
  }
}
