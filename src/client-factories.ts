/**
 * The client factories that `Cluster` (a cluster in this process) and `connect()` (a
 * cluster over TCP) share: `producer()`, `consumer()`, `consumerGroup()`, `admin()` and
 * `topic()`, each made on the owner's transport and closed when the owner closes.
 * @internal
 */
import { Admin, type AdminOptions } from './client/admin.js';
import { Consumer } from './client/consumer.js';
import { ConsumerGroup, type ConsumerGroupOptions } from './client/consumer-group.js';
import type { ConsumerOptions, ProducerOptions } from './client/options.js';
import { Producer } from './client/producer.js';
import { Topic, type TopicSerdes } from './client/topic.js';
import type { Transport } from './transport/transport.js';
import type { Clock } from './util/clock.js';
import { TributaryError } from './util/errors.js';
import { isPlainObject } from './util/options.js';

/** What the factories need from their owner. */
export interface ClientOwner {
  readonly transport: Transport;
  readonly clock: Clock;
  /** Whether the owner is closed (its factories then throw, and its admins' calls reject, with `CLIENT_CLOSED`). */
  isClosed(): boolean;
  /** What the owner calls itself in errors: `the cluster`, `the connection`. */
  readonly name: string;
  /**
   * A transport of its own for each producer, consumer and group member, released when the
   * client closes; omitted: every client uses `transport`. Over TCP each client needs its
   * own connections, as each Kafka client has its own `NetworkClient`: a broker answers a
   * connection's requests in order, so one member's JoinGroup (held until the rebalance
   * completes) would hold back another member's heartbeats on a shared connection.
   */
  readonly clientTransport?: () => { readonly transport: Transport; release(): void };
}

export class ClientFactories {
  private readonly closeHooks = new Set<() => Promise<void> | void>();
  private sharedProducer: Producer | undefined;
  private readonly adminTransport: Transport;

  constructor(private readonly owner: ClientOwner) {
    this.adminTransport = {
      bootstrapNodes: () => owner.transport.bootstrapNodes(),
      send: (nodeId, request, options) => (owner.isClosed() ? Promise.reject(this.closedError()) : owner.transport.send(nodeId, request, options)),
      close: async () => {},
    };
  }

  /**
   * Runs `fn` when the owner closes (`closeAll`), before its transport or nodes go. Returns
   * the function that removes it.
   */
  onClose(fn: () => Promise<void> | void): () => void {
    if (typeof fn !== 'function') throw new TributaryError('INVALID_ARGUMENT', `onClose takes a function, got ${typeof fn}`, { option: 'fn' });
    this.closeHooks.add(fn);
    return () => this.closeHooks.delete(fn);
  }

  /** Closes every client made here (and runs every other close hook), in the order they were made. */
  async closeAll(): Promise<void> {
    // A hook that throws at once, like one that rejects, does not keep the rest from running.
    for (const hook of [...this.closeHooks]) await Promise.resolve().then(hook).catch(() => {});
    this.closeHooks.clear();
  }

  producer(options: ProducerOptions = {}): Producer {
    this.checkOpen();
    return this.tracked((t) => new Producer(t, options, this.owner.clock));
  }

  consumer(options: ConsumerOptions = {}): Consumer {
    this.checkOpen();
    return this.tracked((t) => new Consumer(t, options, this.owner.clock));
  }

  consumerGroup<K = Uint8Array | null, V = Uint8Array | null>(options: ConsumerGroupOptions<K, V>): ConsumerGroup<K, V> {
    this.checkOpen();
    return this.tracked((t) => new ConsumerGroup<K, V>(t, options, this.owner.clock));
  }

  admin(options: AdminOptions = {}): Admin {
    this.checkOpen();
    // No close hook per admin (20,000 calls once left 20,000 hooks behind): the admin's
    // transport refuses requests once the owner is closed. A non-object is passed
    // through as it is, for Admin to refuse (spreading it would hide it).
    return new Admin(this.adminTransport, isPlainObject(options) ? { clock: this.owner.clock, ...options } : options);
  }

  topic<K, V>(name: string, serdes: TopicSerdes<K, V>): Topic<K, V> {
    this.checkOpen();
    return new Topic(name, serdes, {
      producer: () => (this.sharedProducer ??= this.producer({ lingerMs: 0 })),
      consumer: (options) => this.consumer(options),
    });
  }

  checkOpen(): void {
    if (this.owner.isClosed()) throw this.closedError();
  }

  private closedError(): TributaryError {
    return new TributaryError('CLIENT_CLOSED', `${this.owner.name} is closed`);
  }

  /** Makes a client on its transport and closes it with its owner; a client closed first removes its hook. */
  private tracked<C extends { close(): Promise<void> }>(make: (transport: Transport) => C): C {
    const own = this.owner.clientTransport?.();
    let client: C;
    try {
      client = make(own?.transport ?? this.owner.transport);
    } catch (err) {
      own?.release();
      throw err;
    }
    const off = this.onClose(() => {
      // Its calls from now on say why it is closed (a send after `cluster.close()`).
      if (client instanceof Producer || client instanceof Consumer) client.closedWith = this.owner.name;
      return client.close();
    });
    const close = client.close.bind(client);
    client.close = () => {
      off();
      return close().finally(() => own?.release());
    };
    return client;
  }
}
