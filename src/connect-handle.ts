import { MessagePort, threadId } from 'node:worker_threads';
import type { Admin, AdminOptions } from './client/admin.js';
import type { Consumer } from './client/consumer.js';
import type { ConsumerGroup, ConsumerGroupOptions } from './client/consumer-group.js';
import type { ConsumerOptions, ProducerOptions } from './client/options.js';
import type { Producer } from './client/producer.js';
import type { Topic, TopicSerdes } from './client/topic.js';
import { ClientFactories } from './client-factories.js';
import { systemClock } from './util/clock.js';
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
  private readonly factories: ClientFactories;
  private closed = false;

  /** @internal Use {@link connectHandle}. */
  constructor(
    readonly clusterId: string,
    /** How the clients made here reach the cluster: a `MessagePort` to its thread. */
    readonly transport: Transport,
  ) {
    this.factories = new ClientFactories({ transport, clock: systemClock, isClosed: () => this.closed, name: 'the connection' });
  }

  /** A producer, closed (flushed first) when this connection closes. */
  producer(options: ProducerOptions = {}): Producer {
    return this.factories.producer(options);
  }

  /** A consumer (no group), closed when this connection closes. */
  consumer(options: ConsumerOptions = {}): Consumer {
    return this.factories.consumer(options);
  }

  /** A member of a consumer group, closed (committing and leaving) when this connection closes. */
  consumerGroup<K = Uint8Array | null, V = Uint8Array | null>(options: ConsumerGroupOptions<K, V>): ConsumerGroup<K, V> {
    return this.factories.consumerGroup(options);
  }

  /** An admin client; its calls reject with `CLIENT_CLOSED` once this connection closes. */
  admin(options: AdminOptions = {}): Admin {
    return this.factories.admin(options);
  }

  /** A typed handle on a topic (one shared producer per connection). */
  topic<K, V>(name: string, serdes: TopicSerdes<K, V>): Topic<K, V> {
    return this.factories.topic(name, serdes);
  }

  /** Closes every client made here, then the port. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.factories.closeAll();
    this.closed = true;
    await this.transport.close();
  }

  /** `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** True once `close()` has been called: the clients made from it are closed, and new ones are refused with `CLIENT_CLOSED`. */
  get isClosed(): boolean {
    return this.closed;
  }
}
