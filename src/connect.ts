/**
 * `connect()`: Tributary's clients on a cluster reached over the Kafka wire protocol: Apache
 * Kafka, any Kafka-compatible broker, or a Tributary cluster in another process
 * (`tributary serve`, or a service started with `listen`).
 */
import { connectHandle, type ClusterHandle, type ConnectedCluster, type ConnectHandleOptions } from './connect-handle.js';
import type { Admin, AdminOptions } from './client/admin.js';
import type { Consumer } from './client/consumer.js';
import type { ConsumerGroup, ConsumerGroupOptions } from './client/consumer-group.js';
import type { ConsumerOptions, ProducerOptions } from './client/options.js';
import type { Producer } from './client/producer.js';
import type { Topic, TopicSerdes } from './client/topic.js';
import { ClientFactories } from './client-factories.js';
import { TcpClientTransport, type TcpClientOptions } from './transport/tcp/client.js';
import type { Transport } from './transport/transport.js';
import { systemClock, type Clock } from './util/clock.js';
import { checkOptions, clockRule, custom, durationMs, int, isPlainObject, object, required, str, type OptionRules } from './util/options.js';

/**
 * Options of {@link connect}, by the names of Kafka's client configs.
 *
 * @example
 * ```ts
 * import { type ConnectOptions } from 'tributary-log';
 *
 * const options: ConnectOptions = {
 *   bootstrapServers: 'kafka-1:9092,kafka-2:9092',
 *   clientId: 'billing',
 *   sasl: { mechanism: 'SCRAM-SHA-512', username: 'billing', password: 'secret' },
 *   tls: true,
 *   requestTimeoutMs: 30_000,
 * };
 * console.log(options.clientId); // billing
 * ```
 */
export interface ConnectOptions extends TcpClientOptions {
  /** The clock the clients use for their timers. Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * The options of `connect({ bootstrapServers })`, checked as every entry point's are
 * (`util/options.ts`): an unknown key is refused with the nearest name, and the timers are
 * at most 2^31 - 1 ms (a Node timer longer than that fires at once, so `requestTimeoutMs:
 * 1e12` timed every request out as it was sent). The TCP client checks the values again
 * (it is also built without this table, for a cluster's own clients).
 */
const connectRules: OptionRules = {
  bootstrapServers: required(custom('host:port entries, as a list or comma-separated', (v) => typeof v === 'string' || Array.isArray(v))),
  clientId: str(0, 32767),
  sasl: object(),
  tls: custom('true, false or node:tls options', (v) => typeof v === 'boolean' || isPlainObject(v)),
  maxInFlightRequestsPerConnection: int(1, 2 ** 31 - 1),
  requestTimeoutMs: durationMs(1),
  reconnectBackoffMs: durationMs(0),
  reconnectBackoffMaxMs: durationMs(0),
  connectionSetupTimeoutMs: durationMs(1),
  apiVersionsMax: object(),
  clock: clockRule,
};

/** Names KafkaJS and Kafka's configs use for them. */
const connectAliases: Record<string, string> = {
  brokers: 'bootstrapServers',
  'bootstrap.servers': 'bootstrapServers',
  ssl: 'tls',
  requestTimeout: 'requestTimeoutMs',
  connectionTimeout: 'connectionSetupTimeoutMs',
  'client.id': 'clientId',
};

/**
 * A cluster reached over TCP: the same client factories as a `Cluster` (`topic()`,
 * `producer()`, `consumer()`, `consumerGroup()`, `admin()`), and `close()`, which closes
 * every client made from it (flushing producers, committing and leaving groups), then every
 * connection. Each producer, consumer and group member has connections of its own, as
 * each Kafka client does; the admin clients share one set.
 */
export class RemoteCluster {
  /** How the clients reach the brokers: Kafka's wire protocol over TCP. */
  readonly transport: Transport;
  private readonly tcp: TcpClientTransport;
  private readonly factories: ClientFactories;
  private closed = false;
  private readonly clientTransports = new Set<TcpClientTransport>();

  /** @internal Use {@link connect}. */
  constructor(options: ConnectOptions) {
    checkOptions(options, connectRules, 'a connection', { aliases: connectAliases });
    this.tcp = new TcpClientTransport(options);
    this.transport = this.tcp;
    this.factories = new ClientFactories({
      transport: this.tcp,
      clock: options.clock ?? systemClock,
      isClosed: () => this.closed,
      name: 'the connection',
      clientTransport: () => {
        const transport = new TcpClientTransport(options);
        this.clientTransports.add(transport);
        return {
          transport,
          release: () => {
            this.clientTransports.delete(transport);
            void transport.close();
          },
        };
      },
    });
  }

  /** A producer, closed (flushed first) when the connection closes. */
  producer(options: ProducerOptions = {}): Producer {
    return this.factories.producer(options);
  }

  /** A consumer (no group), closed when the connection closes. */
  consumer(options: ConsumerOptions = {}): Consumer {
    return this.factories.consumer(options);
  }

  /** A member of a consumer group (Kafka's classic protocol), closed (committing and leaving) when the connection closes. */
  consumerGroup<K = Uint8Array | null, V = Uint8Array | null>(options: ConsumerGroupOptions<K, V>): ConsumerGroup<K, V> {
    return this.factories.consumerGroup<K, V>(options);
  }

  /** An admin client. Once the connection closes, its calls reject with `CLIENT_CLOSED`. */
  admin(options: AdminOptions = {}): Admin {
    return this.factories.admin(options);
  }

  /** A typed handle on a topic (see `Cluster.topic`). */
  topic<K, V>(name: string, serdes: TopicSerdes<K, V>): Topic<K, V> {
    return this.factories.topic(name, serdes);
  }

  /** Closes every client made from this connection, then every socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.factories.closeAll();
    const closing = [...this.clientTransports].map((t) => t.close());
    this.clientTransports.clear();
    await Promise.all([...closing, this.tcp.close()]);
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

/**
 * Connects Tributary's clients to a Kafka cluster (or a Tributary cluster in another
 * process) over the Kafka wire protocol. Code written against `Cluster.start(...)` runs
 * unchanged against the result: replace the one line.
 *
 * Nothing is dialled until a client sends its first request; a bad address shows up there,
 * as a retriable `NETWORK_EXCEPTION` the clients retry until their timeouts.
 *
 * @example
 * ```ts
 * import { Cluster, connect } from 'tributary-log';
 *
 * // A cluster in another process would be started with `tributary serve`; here, in this one.
 * await using served = await Cluster.start({ nodes: 3, listen: { port: 0 } });
 *
 * await using cluster = connect({ bootstrapServers: served.bootstrapServers, clientId: 'billing' });
 * await cluster.admin().createTopics([{ name: 'orders', partitions: 3 }]);
 * const producer = cluster.producer({ acks: 'all' });
 * const [meta] = await producer.send('orders', [{ key: 'user-42', value: 'hello' }]);
 * console.log(meta!.offset); // 0
 * ```
 */
export function connect(options: ConnectOptions): RemoteCluster;
/**
 * Connects a {@link ClusterHandle} (from `cluster.createHandle()`, posted to this thread)
 * and resolves with the same client factories as the cluster: the same as
 * {@link connectHandle}, which stays as its alias.
 *
 * @example
 * ```ts
 * import { Cluster, connect } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * // In a worker, the handle arrives in workerData; here it is connected in the same thread.
 * await using remote = await connect(cluster.createHandle());
 * const [meta] = await remote.producer().send('events', [{ value: 'hello' }]);
 * console.log(meta!.offset); // 0
 * ```
 */
export function connect(handle: ClusterHandle, options?: ConnectHandleOptions): Promise<ConnectedCluster>;
export function connect(target: ConnectOptions | ClusterHandle, options?: ConnectHandleOptions): RemoteCluster | Promise<ConnectedCluster> {
  if (target !== null && typeof target === 'object' && (target as { kind?: unknown }).kind === 'tributary-cluster-handle') return connectHandle(target as ClusterHandle, options);
  return new RemoteCluster(target as ConnectOptions);
}
