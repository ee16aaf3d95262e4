import type { RequestContext } from '../broker/request-context.js';
import type { Request, ResponseFor } from '../protocol/requests.js';

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
 * The contract every implementation keeps (checked by `transport-contract.ts`, run against
 * each of them):
 * - **Order per node.** Requests to one node reach its handler in the order `send` was
 *   called.
 * - **Errors.** A node's answer, error codes included, resolves. `send` rejects only with a
 *   `TributaryError`: `NETWORK_EXCEPTION` (retriable) when the node cannot be reached or the
 *   link broke with the request in flight; `CLIENT_CLOSED` once the transport is closed;
 *   `REQUEST_ABORTED` when the request's `signal` aborted first; or the handler's own typed
 *   error, with its code, `retriable` flag and message, whatever thread it was thrown in.
 *   The Kafka wire protocol cannot carry an exception: over TCP a handler's thrown error
 *   comes back as the API's error answer with its code in every error field (Kafka's
 *   `getErrorResponse`, `protocol/error-response.ts`), which resolves.
 * - **Close.** `close()` rejects every request in flight with retriable `NETWORK_EXCEPTION`
 *   (the producer retries it elsewhere or reports it) and refuses new ones with
 *   `CLIENT_CLOSED`. Closing twice is a no-op.
 * - **Abort.** An aborted request rejects at once with `REQUEST_ABORTED` and leaves nothing
 *   behind (no listener on the signal, no pending entry); the node may still have acted on
 *   it, as after a timeout in Kafka.
 * - **Byte ownership.** The request, and every byte array in it, stays the caller's: a
 *   transport never changes or detaches them (a producer resends the same encoded batch on a
 *   retry). A transport that moves bytes to another thread copies them into buffers it
 *   allocated itself and transfers those. The response, and its byte arrays, belong to the
 *   caller once `send` resolves; the node must not change them afterwards.
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
  /** Sends a request to a node and resolves with its response (the rules above). */
  send<R extends Request>(nodeId: number, request: R, options?: SendOptions): Promise<ResponseFor<R>>;
  /**
   * Closes the transport: requests in flight reject with retriable `NETWORK_EXCEPTION`, new
   * ones with `CLIENT_CLOSED`. It closes only the transport, never the nodes behind it.
   */
  close(): Promise<void> | void;
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

/** Per-request options of {@link Transport.send}. */
export interface SendOptions {
  /** Aborts the request: `send` rejects with `REQUEST_ABORTED` (see the contract above). */
  readonly signal?: AbortSignal;
}

/**
 * What a node offers a transport: the handler of the requests sent to it. The transport
 * passes who sent the request (`context`: listener, client id, client host) when it knows.
 */
export interface NodeHandler {
  handle<R extends Request>(request: R, context?: RequestContext): Promise<ResponseFor<R>>;
}

/** Whether `request` can be a request at all (an object with a numeric `apiKey`); what it means is the node's to check. @internal */
export function isRequestShaped(request: unknown): boolean {
  return request !== null && typeof request === 'object' && typeof (request as { apiKey?: unknown }).apiKey === 'number';
}
