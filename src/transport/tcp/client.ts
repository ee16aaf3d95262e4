/**
 * The `Transport` to a Kafka cluster over TCP (any Kafka-protocol broker: Apache Kafka
 * 3.x/4.x, a Tributary listener, librdkafka's mock cluster). Kafka's `NetworkClient`, in
 * the shape of the other transports: `send(nodeId, request)` resolves with the response.
 *
 * Node ids: before any Metadata answer, the only nodes known are the `bootstrap.servers`,
 * addressed by negative ids (-1 for the first, -2 for the second, ...), as Kafka's clients
 * do. Every Metadata and FindCoordinator answer that passes through teaches the transport
 * the brokers' real ids and addresses, so the clients' `MetadataCache` then reaches
 * partition leaders and coordinators by their ids. `bootstrapNodes()` lists the brokers
 * learned so far, then the bootstrap ids (kept as a way back in should every learned
 * broker go away).
 *
 * One connection per node, opened on first use (`client-connection.ts`: ApiVersions, SASL,
 * pipelining, correlation ids, timeouts). A node whose connection failed is not dialled
 * again before `reconnect.backoff.ms`, doubling with each failure to
 * `reconnect.backoff.max.ms`, with ±20% jitter; a `send` to it meanwhile waits that out
 * first, then rejects with a retriable `NETWORK_EXCEPTION` if the connection fails again,
 * and the clients refresh their metadata and retry, as they do for NOT_LEADER_OR_FOLLOWER.
 *
 * It keeps the `Transport` contract (checked by `transport-contract.ts`): a request aborted
 * by its signal rejects at once with `REQUEST_ABORTED` (one still queued is dropped; one on
 * the wire stays in the connection's list so its answer is matched and thrown away);
 * `close()` rejects every request in flight, those waiting for a connection or a reconnect
 * backoff included, with retriable `NETWORK_EXCEPTION`, and later ones with
 * `CLIENT_CLOSED`. `close()` clears every timer and resolves once every socket has
 * closed: nothing keeps the event loop alive after it.
 * @internal
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ApiKey } from '../../protocol/api-keys.js';
import type { FindCoordinatorResponse } from '../../protocol/group.js';
import type { MetadataResponse } from '../../protocol/cluster.js';
import type { Request, ResponseFor } from '../../protocol/requests.js';
import { frameBytesMax } from '../../protocol/wire/codec.js';
import { isTributaryError, TributaryError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { abortError } from '../inline.js';
import { isRequestShaped, type SendOptions, type Transport } from '../transport.js';
import { BrokerConnection, type Cancel } from './client-connection.js';
import type { SaslClientOptions } from './client-sasl.js';
import { saslMechanisms } from './sasl.js';

/** Settings of the TCP client, by Kafka's client config names. */
export interface TcpClientOptions {
  /** `bootstrap.servers`: `host:port` entries, as a list or comma-separated. */
  readonly bootstrapServers: string | readonly string[];
  /** `client.id`, sent in every request header. Default `tributary-log`. */
  readonly clientId?: string;
  /** SASL/PLAIN or SCRAM-SHA-256/512 credentials. */
  readonly sasl?: SaslClientOptions;
  /** `true`, or `node:tls` options (`ca`, `cert`, `key`, `servername`, `rejectUnauthorized`, ...), to speak TLS. */
  readonly tls?: boolean | TlsConnectionOptions;
  /** `max.in.flight.requests.per.connection`. Default 5. */
  readonly maxInFlightRequestsPerConnection?: number;
  /** `request.timeout.ms`. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** `reconnect.backoff.ms`. Default 50. */
  readonly reconnectBackoffMs?: number;
  /** `reconnect.backoff.max.ms`. Default 1000. */
  readonly reconnectBackoffMaxMs?: number;
  /** `socket.connection.setup.timeout.ms`: connecting, ApiVersions and SASL. Default 10000. */
  readonly connectionSetupTimeoutMs?: number;
  /**
   * @internal Caps the version of an API (by API key) below what negotiation would pick:
   * for a broker known to answer a version wrongly (librdkafka 2.0.2's mock cluster and
   * ListOffsets v4+, `test/remote/fixtures/`).
   */
  readonly apiVersionsMax?: Readonly<Record<number, number>>;
}

interface Address {
  readonly host: string;
  readonly port: number;
}

interface NodeState {
  address: Address;
  /** The open connection, if any (it may have closed since). */
  ready: BrokerConnection | undefined;
  /** A connection being opened: every send meanwhile shares its outcome. */
  opening: Promise<BrokerConnection> | undefined;
  failures: number;
  /** Monotonic time before which the node is not dialled again. */
  notBeforeMs: number;
}

/** Parses `host:port[,host:port...]`; throws `INVALID_CONFIG`. */
export function parseBootstrapServers(servers: string | readonly string[]): Address[] {
  const list = typeof servers === 'string' ? servers.split(',') : servers;
  if (!Array.isArray(list) && typeof servers !== 'string') throw new TributaryError('INVALID_CONFIG', 'bootstrapServers must be a string or a list of strings', { option: 'bootstrapServers' });
  const out: Address[] = [];
  for (const raw of list) {
    if (typeof raw !== 'string') throw new TributaryError('INVALID_CONFIG', 'bootstrapServers entries must be strings', { option: 'bootstrapServers' });
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(entry);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port < 1 || port > 65535) throw new TributaryError('INVALID_CONFIG', `bootstrapServers: ${JSON.stringify(entry)} is not host:port`, { option: 'bootstrapServers' });
    out.push({ host: m[1] ?? m[2]!, port });
  }
  if (out.length === 0) throw new TributaryError('INVALID_CONFIG', 'bootstrapServers names no server', { option: 'bootstrapServers' });
  return out;
}

function positiveInt(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new TributaryError('INVALID_CONFIG', `${name} must be an integer >= ${min}`, { option: name });
  return value;
}

/**
 * `reconnect.backoff.ms * 2^failures`, capped at `reconnect.backoff.max.ms`, spread by ±20%
 * so that many clients that lost the same broker do not all dial it again at once (Kafka's
 * `ExponentialBackoff`; the clients' own copy is in `client/retry.ts`, above this layer).
 */
function reconnectBackoffMs(failures: number, initialMs: number, maxMs: number, rng: Rng): number {
  if (initialMs === 0) return 0;
  const exp = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
  return Math.max(0, Math.min(maxMs, Math.round(exp * (0.8 + rng.float() * 0.4))));
}

export class TcpClientTransport implements Transport {
  private readonly nodes = new Map<number, NodeState>();
  private readonly bootstrapIds: readonly number[];
  private learned: number[] = [];
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Aborted by close(): connections being set up give up at once. */
  private readonly closeSignal = new AbortController();
  private readonly rng = new Rng((Date.now() ^ (process.pid << 8)) >>> 0);
  private readonly sleeps = new Set<{ timer: ReturnType<typeof setTimeout>; resolve: () => void }>();
  private readonly clientId: string;
  private readonly tls: TlsConnectionOptions | undefined;
  private readonly maxInFlight: number;
  private readonly requestTimeoutMs: number;
  private readonly reconnectBackoffMs: number;
  private readonly reconnectBackoffMaxMs: number;
  private readonly connectionSetupTimeoutMs: number;
  /** Connections opened so far (for tests and monitoring). */
  connectionsOpened = 0;
  private retiredReauthentications = 0;

  constructor(private readonly options: TcpClientOptions) {
    if (options === null || typeof options !== 'object') throw new TributaryError('INVALID_CONFIG', 'connect() takes an options object', { option: 'options' });
    const servers = parseBootstrapServers(options.bootstrapServers);
    this.bootstrapIds = servers.map((_, i) => -(i + 1));
    servers.forEach((address, i) => this.nodes.set(-(i + 1), { address, ready: undefined, opening: undefined, failures: 0, notBeforeMs: 0 }));
    if (options.clientId !== undefined && typeof options.clientId !== 'string') throw new TributaryError('INVALID_CONFIG', 'clientId must be a string', { option: 'clientId' });
    this.clientId = options.clientId ?? 'tributary-log';
    this.tls = options.tls === undefined || options.tls === false ? undefined : options.tls === true ? {} : options.tls;
    const s = options.sasl;
    if (s !== undefined && (s === null || typeof s !== 'object' || !saslMechanisms.includes(s.mechanism) || typeof s.username !== 'string' || typeof s.password !== 'string')) {
      throw new TributaryError('INVALID_CONFIG', `sasl needs a mechanism (${saslMechanisms.join(', ')}), a username and a password`, { option: 'sasl' });
    }
    this.maxInFlight = positiveInt(options.maxInFlightRequestsPerConnection, 'maxInFlightRequestsPerConnection', 5);
    this.requestTimeoutMs = positiveInt(options.requestTimeoutMs, 'requestTimeoutMs', 30_000);
    this.reconnectBackoffMs = positiveInt(options.reconnectBackoffMs, 'reconnectBackoffMs', 50, 0);
    this.reconnectBackoffMaxMs = positiveInt(options.reconnectBackoffMaxMs, 'reconnectBackoffMaxMs', 1000, 0);
    this.connectionSetupTimeoutMs = positiveInt(options.connectionSetupTimeoutMs, 'connectionSetupTimeoutMs', 10_000);
  }

  bootstrapNodes(): readonly number[] {
    return [...this.learned, ...this.bootstrapIds];
  }

  async send<R extends Request>(nodeId: number, request: R, options?: SendOptions): Promise<ResponseFor<R>> {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the connection to the cluster is closed');
    if (!isRequestShaped(request)) throw new TributaryError('INVALID_REQUEST', `not a request: ${request === null ? 'null' : typeof request}`);
    const signal = options?.signal;
    if (signal === undefined) return this.sendNow(nodeId, request, undefined);
    if (signal.aborted) throw abortError(signal);
    const cancel: Cancel = { aborted: false, drop: undefined };
    return new Promise<ResponseFor<R>>((resolve, reject) => {
      const onAbort = (): void => {
        cancel.aborted = true;
        cancel.drop?.();
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.sendNow(nodeId, request, cancel)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async sendNow<R extends Request>(nodeId: number, request: R, cancel: Cancel | undefined): Promise<ResponseFor<R>> {
    const connection = await this.connection(nodeId);
    if (cancel?.aborted) throw new TributaryError('REQUEST_ABORTED', 'the request was aborted before it was sent');
    // close() ran while this request waited for its connection: it was in flight.
    if (this.closed) throw new TributaryError('NETWORK_EXCEPTION', `node ${nodeId}: the client closed before the request was sent`);
    const response = await connection.send(request, cancel);
    if (request.apiKey === ApiKey.Metadata) this.learnBrokers((response as MetadataResponse).brokers);
    else if (request.apiKey === ApiKey.FindCoordinator) {
      this.learnBrokers((response as FindCoordinatorResponse).coordinators.filter((c) => c.errorCode === 'NONE' && c.nodeId >= 0));
    }
    return response;
  }

  /**
   * Closes every connection: requests in flight reject with retriable `NETWORK_EXCEPTION`,
   * later sends with `CLIENT_CLOSED`. Resolves once every socket has closed; twice is a no-op.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.sleeps.clear();
    this.closeSignal.abort();
    const sockets: Promise<void>[] = [];
    for (const n of this.nodes.values()) {
      // A connection being opened closes itself when it sees `closed` (open() below).
      if (n.opening !== undefined) sockets.push(n.opening.then((c) => c.closed, () => undefined));
      if (n.ready !== undefined) {
        n.ready.close('the client closed');
        sockets.push(n.ready.closed);
      }
      n.ready = undefined;
    }
    this.closing = Promise.all(sockets).then(() => undefined);
    return this.closing;
  }

  /** SASL re-authentications (KIP-368) done so far on every connection (for tests and monitoring). */
  get reauthentications(): number {
    let n = this.retiredReauthentications;
    for (const s of this.nodes.values()) if (s.ready !== undefined && !s.ready.isClosed) n += s.ready.reauthentications;
    return n;
  }

  /** Open connections (for tests). */
  async openConnections(): Promise<number> {
    let n = 0;
    for (const s of this.nodes.values()) {
      await s.opening?.catch(() => undefined);
      if (s.ready !== undefined && !s.ready.isClosed) n++;
    }
    return n;
  }

  private learnBrokers(brokers: readonly { nodeId: number; host: string; port: number }[]): void {
    for (const b of brokers) {
      const known = this.nodes.get(b.nodeId);
      if (known === undefined) {
        this.nodes.set(b.nodeId, { address: { host: b.host, port: b.port }, ready: undefined, opening: undefined, failures: 0, notBeforeMs: 0 });
      } else if (known.address.host !== b.host || known.address.port !== b.port) {
        // The node moved: the old connection goes to someone else now.
        known.address = { host: b.host, port: b.port };
        known.ready?.close('the broker moved');
        known.ready = undefined;
      }
    }
    const ids = new Set([...this.learned, ...brokers.map((b) => b.nodeId)]);
    this.learned = [...ids].filter((id) => id >= 0).sort((a, b) => a - b);
  }

  private async connection(nodeId: number): Promise<BrokerConnection> {
    const node = this.nodes.get(nodeId);
    if (node === undefined) throw new TributaryError('NETWORK_EXCEPTION', `node ${nodeId} is not known (no Metadata answer has named it)`);
    if (node.ready !== undefined && !node.ready.isClosed) return node.ready;
    if (node.opening !== undefined) return node.opening;
    const opening = this.open(node, nodeId).then(
      (c) => {
        node.opening = undefined;
        node.ready = c;
        return c;
      },
      (err: unknown) => {
        node.opening = undefined;
        throw err;
      },
    );
    node.opening = opening;
    return opening;
  }

  private async open(node: NodeState, nodeId: number): Promise<BrokerConnection> {
    const wait = node.notBeforeMs - performance.now();
    if (wait > 0) await this.sleep(wait);
    if (this.closed) throw new TributaryError('NETWORK_EXCEPTION', `node ${nodeId}: the client closed before the request was sent`);
    const { host, port } = node.address;
    let connection: BrokerConnection;
    try {
      connection = await BrokerConnection.open({
        host,
        port,
        clientId: this.clientId,
        tls: this.tls,
        sasl: this.options.sasl,
        maxInFlight: this.maxInFlight,
        requestTimeoutMs: this.requestTimeoutMs,
        connectionSetupTimeoutMs: this.connectionSetupTimeoutMs,
        frameBytesMax,
        apiVersionsMax: this.options.apiVersionsMax ?? {},
        signal: this.closeSignal.signal,
      });
    } catch (err) {
      node.failures++;
      node.notBeforeMs = performance.now() + reconnectBackoffMs(node.failures - 1, this.reconnectBackoffMs, this.reconnectBackoffMaxMs, this.rng);
      if (isTributaryError(err) && !err.retriable) throw err;
      throw isTributaryError(err) && err.code === 'NETWORK_EXCEPTION' ? err : new TributaryError('NETWORK_EXCEPTION', `node ${nodeId} (${host}:${port}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    this.connectionsOpened++;
    if (this.closed) {
      connection.close('the client closed');
      await connection.closed;
      throw new TributaryError('NETWORK_EXCEPTION', `node ${nodeId}: the client closed before the request was sent`);
    }
    node.failures = 0;
    connection.onClose = () => {
      this.retiredReauthentications += connection.reauthentications;
      // A connection that dies is redialled on next use, after the backoff.
      node.notBeforeMs = performance.now() + reconnectBackoffMs(0, this.reconnectBackoffMs, this.reconnectBackoffMaxMs, this.rng);
    };
    return connection;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeps.add(entry);
    });
  }
}
