/**
 * Who sent a request, as Kafka's `RequestContext` tells its handlers: the listener it came
 * in on, the client's `client.id` and the client's address. A request from a client in the
 * same process (or a worker) has no context; a request decoded from a socket has one.
 * @internal
 */

/** Kafka's listener names for the four security protocols, and Tributary's own in-process one. */
export type ListenerName = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' | 'inline';

export interface RequestContext {
  /** The listener the request came in on; `'inline'` for a client in this process. */
  readonly listenerName: ListenerName;
  /** The `client.id` of the request header ('' when the client sent none). */
  readonly clientId: string;
  /** The client's address as Kafka prints it (`/127.0.0.1`), or `'inline'`. */
  readonly clientHost: string;
  /** The authenticated SASL user, or null (`User:ANONYMOUS` in Kafka). */
  readonly principal: string | null;
  /**
   * Aborted when the connection the request came on closes: nothing will read its answer,
   * so a handler that waits (a group request waiting for its coordinator to load) stops
   * waiting and releases what it holds. Absent for a client in this process.
   */
  readonly signal?: AbortSignal;
  /**
   * The version of the request as it came over the wire, for the rules Kafka ties to a
   * version (a zstd batch in a Produce below v7, a Fetch below v10 of a zstd topic).
   * Absent for a client in this process, which speaks the newest.
   */
  readonly apiVersion?: number;
}

/** The context of a request from a client in this process: what a handler assumes when it gets none. */
export const inlineContext: RequestContext = { listenerName: 'inline', clientId: 'consumer', clientHost: 'inline', principal: null };

/** Whether a request came from a client in this process (which may be answered in ways only Tributary's own clients expect). */
export function isInline(context: RequestContext | undefined): boolean {
  return context === undefined || context.listenerName === 'inline';
}
