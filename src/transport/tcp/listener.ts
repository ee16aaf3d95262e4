/**
 * `KafkaListener`: one node's TCP listener, speaking the Kafka wire protocol (Kafka's
 * `SocketServer` with its `Acceptor` and `Processor`s, in one event loop). Every accepted
 * socket becomes a {@link Connection}; the listener owns the limits they share and the
 * list of APIs it advertises.
 *
 * Named limits, each a Kafka config with Kafka's default:
 * - `socket.request.max.bytes` (104857600): a larger request closes its connection before
 *   anything is allocated for it;
 * - `max.connections` (2147483647): connections above it are closed as they are accepted;
 * - `connections.max.idle.ms` (600000): a connection with no traffic and nothing in flight
 *   this long is closed;
 * - `queued.max.requests.per.connection` (Tributary's; 100): unanswered requests one
 *   connection may have before its socket stops being read. Kafka reads one request per
 *   connection at a time (it mutes the channel until the answer is sent); reading ahead
 *   lets a client's pipelined Produce requests reach the log without a round trip each,
 *   and the bound keeps a client that never reads its answers from costing more than that.
 *
 * The port is bound once, by `listen()`; `close()` stops accepting and drops every
 * connection; `listen()` again binds the same port (a node restarted keeps its address).
 * @internal
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { ListenerName } from '../../broker/request-context.js';
import type { ApiVersion } from '../../protocol/cluster.js';
import * as codec from '../../protocol/wire/codec.js';
import { TributaryError } from '../../util/errors.js';
import { Connection, type ContextHandler } from './connection.js';
import { SaslUsers, validateSaslOptions, type SaslOptions } from './sasl.js';

/** TLS settings of a listener: PEM key and certificate, and a CA to require client certificates from. */
export interface TlsOptions {
  readonly key: string | Uint8Array;
  readonly cert: string | Uint8Array;
  /** Given: clients must present a certificate signed by this CA (mutual TLS). */
  readonly ca?: string | Uint8Array;
}

/** Limits of a listener, by Kafka's config names. */
export interface ListenerLimits {
  /** `socket.request.max.bytes`: the largest request. Default 104857600 (100 MiB). */
  readonly socketRequestMaxBytes: number;
  /** `max.connections`: open connections at most. Default 2147483647. */
  readonly maxConnections: number;
  /** `connections.max.idle.ms`: an idle connection is closed after this long. Default 600000. */
  readonly connectionsMaxIdleMs: number;
  /** Unanswered requests per connection before its socket stops being read. Default 100. */
  readonly queuedMaxRequestsPerConnection: number;
  /**
   * `connections.max.reauth.ms` (KIP-368): with SASL, a session lasts this long; the client
   * learns it from SaslAuthenticate (v1+) and must authenticate again on the same
   * connection before it ends, or the connection is closed at its next request. Default 0:
   * sessions never end.
   */
  readonly connectionsMaxReauthMs: number;
}

export const defaultListenerLimits: ListenerLimits = {
  socketRequestMaxBytes: codec.frameBytesMax,
  maxConnections: 2_147_483_647,
  connectionsMaxIdleMs: 600_000,
  queuedMaxRequestsPerConnection: 100,
  connectionsMaxReauthMs: 0,
};

export interface KafkaListenerOptions {
  /** The address to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** The port to bind; 0 picks a free one (kept across `close()` and `listen()`). */
  readonly port?: number;
  readonly sasl?: SaslOptions;
  readonly tls?: TlsOptions;
  readonly limits?: Partial<ListenerLimits>;
  /** The node's broker, or undefined while it is not serving. */
  readonly handler: () => ContextHandler | undefined;
  /** Where the listener says what it does (a closed connection and why). */
  readonly log?: (line: string) => void;
}


export class KafkaListener {
  readonly host: string;
  readonly listenerName: ListenerName;
  readonly limits: ListenerLimits;
  private boundPort: number;
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  private readonly sasl: SaslUsers | undefined;
  private readonly apiVersions: readonly ApiVersion[];

  constructor(private readonly options: KafkaListenerOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.boundPort = options.port ?? 0;
    this.limits = { ...defaultListenerLimits, ...options.limits };
    validateLimits(this.limits);
    if (options.sasl !== undefined) validateSaslOptions(options.sasl);
    this.sasl = options.sasl !== undefined ? new SaslUsers(options.sasl) : undefined;
    this.listenerName = options.tls ? (options.sasl ? 'SASL_SSL' : 'SSL') : options.sasl ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
    // What the codec advertises (Produce 0-9 while it serves 3-9, as Kafka 4.0 does), the
    // SASL APIs included: every listener answers them, one without SASL with
    // ILLEGAL_SASL_STATE, as Kafka's do.
    this.apiVersions = codec.advertisedApiVersions;
  }

  /** The bound port (after `listen()`), or the port asked for. */
  get port(): number {
    return this.boundPort;
  }

  /** `host:port`. */
  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.boundPort}`;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Binds the port (the same one on every call after the first) and starts accepting. */
  async listen(): Promise<void> {
    if (this.server) return;
    const onSocket = (socket: Socket) => this.accept(socket);
    const tls = this.options.tls;
    const server = tls
      ? // A connection still in its TLS handshake is idle like any other (Kafka's idle check
        // covers every channel): without handshakeTimeout node:tls holds a silent one 120 s.
        createTlsServer({ key: toPem(tls.key), cert: toPem(tls.cert), handshakeTimeout: Math.min(this.limits.connectionsMaxIdleMs, 2_147_483_647), ...(tls.ca !== undefined ? { ca: toPem(tls.ca), requestCert: true, rejectUnauthorized: true } : {}) }, onSocket)
      : createServer(onSocket);
    server.maxConnections = this.limits.maxConnections;
    // A failed TLS handshake is the client's problem, not the listener's.
    server.on('tlsClientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(new TributaryError('INVALID_CONFIG', `cannot listen on ${this.host}:${this.boundPort}: ${err.message}`, { option: 'listen', cause: err }));
      };
      server.once('error', onError);
      server.listen({ host: this.host, port: this.boundPort, exclusive: true }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.options.log?.(`listener ${this.address}: ${err.message}`));
    const address = server.address();
    if (address !== null && typeof address === 'object') this.boundPort = address.port;
    this.server = server;
  }

  /** Stops accepting and closes every connection; `listen()` binds the same port again. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const c of [...this.connections]) c.destroy();
    this.connections.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    const connection: Connection = new Connection(
      socket,
      {
        listenerName: this.listenerName,
        socketRequestMaxBytes: this.limits.socketRequestMaxBytes,
        connectionsMaxIdleMs: this.limits.connectionsMaxIdleMs,
        queuedMaxRequests: this.limits.queuedMaxRequestsPerConnection,
        connectionsMaxReauthMs: this.limits.connectionsMaxReauthMs,
        sasl: this.sasl,
        apiVersions: () => this.apiVersions,
        handler: this.options.handler,
        log: this.options.log,
      },
      () => this.connections.delete(connection),
    );
    this.connections.add(connection);
  }
}

function toPem(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value);
}

/** Checks a listener's limits; throws `INVALID_CONFIG` naming the Kafka config. */
export function validateLimits(l: ListenerLimits): void {
  // At most 2^31 - 1: a frame's size is an int32, Kafka's max.connections default is
  // Integer.MAX_VALUE, and a Node timer cannot wait longer (socket.setTimeout(2 ** 31)
  // fires after 1 ms: every connection would be idle at once).
  const max = 2_147_483_647;
  const check = (name: keyof ListenerLimits, kafka: string, min: number) => {
    const v = l[name];
    if (!Number.isInteger(v) || v < min || v > max) throw new TributaryError('INVALID_CONFIG', `${kafka} must be an integer from ${min} to ${max}, got ${String(v)}`, { option: name });
  };
  check('socketRequestMaxBytes', 'socket.request.max.bytes', 1);
  check('maxConnections', 'max.connections', 1);
  check('connectionsMaxIdleMs', 'connections.max.idle.ms', 1);
  check('queuedMaxRequestsPerConnection', 'queued.max.requests.per.connection', 1);
  check('connectionsMaxReauthMs', 'connections.max.reauth.ms', 0);
}
