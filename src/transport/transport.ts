import type { Request, RequestHandler, ResponseFor } from '../protocol/requests.js';

/**
 * How a client's requests reach the cluster's nodes. One interface, several
 * implementations: `InlineTransport` (a call in the same thread), later a worker's
 * `MessagePort` and the Kafka wire protocol over TCP. Clients speak only this and
 * `src/protocol/`, so the same `Producer` works over any of them.
 *
 * A request goes to one node, as in Kafka: produce and fetch to a partition's leader,
 * admin requests to any node (which forwards to the controller), group requests to the
 * group's coordinator. A node that cannot be reached makes `send` reject with a retriable
 * `TributaryError` (`NETWORK_EXCEPTION`); every other outcome, errors included, is a
 * response.
 *
 * @example
 * ```ts
 * import { Admin, Cluster, Consumer, Producer, type Transport } from 'tributary-log';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * const transport: Transport = cluster.transport;
 * console.log(transport.bootstrapNodes().length > 0); // true
 * const admin = new Admin(transport);
 * await admin.createTopics([{ name: 'orders' }]);
 * const producer = new Producer(transport, { acks: 'all' });
 * await producer.send('orders', { key: 'user-42', value: 'hello' });
 * const consumer = new Consumer(transport);
 * consumer.assign([{ topic: 'orders', partition: 0 }]);
 * await consumer.seek({ topic: 'orders', partition: 0 }, 'earliest');
 * for await (const record of consumer) {
 *   console.log(record.offset); // 0
 *   break;
 * }
 * await Promise.all([producer.close(), consumer.close()]);
 * admin.close();
 * ```
 */
export interface Transport {
  /** Nodes to ask first, for metadata (the `bootstrap.servers` of a Kafka client). */
  bootstrapNodes(): readonly number[];
  /** Sends a request to a node and resolves with its response. */
  send<R extends Request>(nodeId: number, request: R): Promise<ResponseFor<R>>;
  /**
   * Set only by a transport to a cluster in this same process: that cluster's run id (a
   * random id each `Cluster.start` draws). A consumer group member made through it tells
   * the coordinator it lives in that run, so a cluster restarted after a crash drops such
   * members at once: they died with the process and can never heartbeat again. A
   * transport that crosses a process boundary leaves it undefined, and its members are
   * never dropped for it.
   */
  readonly clusterRunId?: string;
}

/** What a node offers a transport: the handler of the requests sent to it. */
export type NodeHandler = RequestHandler;
