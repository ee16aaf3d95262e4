/**
 * The TCP listeners of a `Cluster`: one `KafkaListener` per node, bound before the node
 * starts (so that the node registers its real address with the controller) and kept on
 * the same port across a stop, kill or restart of the node. A listener hands requests to
 * its node's broker only once the node is registered and serving; before that, and after
 * the node stops, it is closed and clients see a refused connection, as with a Kafka
 * broker that is down.
 * @internal
 */
import type { ContextHandler } from './transport/tcp/connection.js';
import { defaultListenerLimits, KafkaListener, validateLimits, type ListenerLimits, type TlsOptions } from './transport/tcp/listener.js';
import { validateSaslOptions, type SaslOptions } from './transport/tcp/sasl.js';
import { TributaryError } from './util/errors.js';
import { unknownOption } from './util/options.js';

/**
 * Where the nodes of a cluster listen for Kafka clients.
 *
 * @example
 * ```ts
 * import { Cluster, type ListenOptions } from 'tributary-log';
 *
 * const listen: ListenOptions = { host: '127.0.0.1', port: 0, connectionsMaxIdleMs: 60_000 };
 * await using cluster = await Cluster.start({ nodes: 1, listen });
 * console.log(cluster.bootstrapServers.startsWith('127.0.0.1:')); // true
 * ```
 */
export interface ListenOptions extends Partial<ListenerLimits> {
  /** The address to bind. Default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** The host name clients are told to connect to. Default: `host` (127.0.0.1 when `host` is a wildcard address). */
  readonly advertisedHost?: string;
  /** 0 (the default) gives every node a free port; a list gives one port per node; a single non-zero port fits a 1-node cluster only. */
  readonly port?: number | readonly number[];
  /** Where the listeners say what they do (connections closed and why). Default: nothing. */
  readonly log?: (line: string) => void;
}

export class ClusterListeners {
  private readonly listeners = new Map<number, KafkaListener>();
  private readonly serving = new Map<number, ContextHandler>();
  private readonly advertisedHost: string;

  constructor(
    options: { readonly listen?: ListenOptions; readonly sasl?: SaslOptions; readonly tls?: TlsOptions },
    private readonly nodeIds: readonly number[],
  ) {
    const listen = options.listen ?? {};
    const host = listen.host ?? '127.0.0.1';
    this.advertisedHost = listen.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
    const ports = portsFor(listen.port, nodeIds.length);
    const { host: _h, advertisedHost: _a, port: _p, log, ...limits } = listen;
    nodeIds.forEach((id, i) => {
      this.listeners.set(
        id,
        new KafkaListener({
          host,
          port: ports[i]!,
          ...(options.sasl !== undefined ? { sasl: options.sasl } : {}),
          ...(options.tls !== undefined ? { tls: options.tls } : {}),
          limits,
          handler: () => this.serving.get(id),
          ...(log !== undefined ? { log: (line: string) => log(`node ${id}: ${line}`) } : {}),
        }),
      );
    });
  }

  /** Binds every node's port. */
  async listenAll(): Promise<void> {
    await Promise.all(this.nodeIds.map((id) => this.listenNode(id)));
  }

  /** Binds a node's port (the same as before, once it has one). */
  async listenNode(id: number): Promise<void> {
    await this.listeners.get(id)?.listen();
  }

  /** The node serves: its listener hands requests to this broker. */
  setServing(id: number, broker: ContextHandler): void {
    this.serving.set(id, broker);
  }

  /** The node stopped: its listener stops accepting and drops its connections. */
  async closeNode(id: number): Promise<void> {
    this.serving.delete(id);
    await this.listeners.get(id)?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.nodeIds.map((id) => this.closeNode(id)));
  }

  /** The host, port and listener name (its security protocol) a node advertises in its registration (and so in metadata). */
  advertised(id: number): { host: string; port: number; listenerName: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' } {
    const listener = this.listeners.get(id)!;
    return { host: this.advertisedHost, port: listener.port, listenerName: listener.listenerName as 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' };
  }

  get bootstrapServers(): string {
    const host = this.advertisedHost.includes(':') ? `[${this.advertisedHost}]` : this.advertisedHost;
    return this.nodeIds.map((id) => `${host}:${this.listeners.get(id)!.port}`).join(',');
  }

  /** A node's listener, for tests and the command line. */
  listener(id: number): KafkaListener | undefined {
    return this.listeners.get(id);
  }
}

function portsFor(port: number | readonly number[] | undefined, n: number): number[] {
  if (port === undefined) return new Array<number>(n).fill(0);
  if (typeof port === 'number') return new Array<number>(n).fill(port);
  return [...port];
}

/** Checks the `listen`, `sasl` and `tls` options of a cluster of `n` nodes; throws `INVALID_CONFIG`. */
export function validateListenOptions(o: { readonly listen?: ListenOptions; readonly sasl?: SaslOptions; readonly tls?: TlsOptions }, n: number): void {
  const bad = (option: string, why: string): never => {
    throw new TributaryError('INVALID_CONFIG', `${option} ${why}`, { option });
  };
  if (o.listen === undefined) {
    if (o.sasl !== undefined) bad('sasl', 'needs the listen option');
    if (o.tls !== undefined) bad('tls', 'needs the listen option');
    return;
  }
  const l = o.listen;
  if (l === null || typeof l !== 'object') bad('listen', 'must be an object');
  if (l.host !== undefined && (typeof l.host !== 'string' || l.host === '')) bad('listen.host', 'must be a non-empty string');
  const validPort = (p: unknown) => Number.isInteger(p) && (p as number) >= 0 && (p as number) <= 65535;
  if (typeof l.port === 'number') {
    if (!validPort(l.port)) bad('listen.port', `must be a port from 0 to 65535, got ${String(l.port)}`);
    if (l.port !== 0 && n > 1) bad('listen.port', `${l.port} cannot serve ${n} nodes: give 0 or a list of ${n} ports`);
  } else if (l.port !== undefined) {
    if (!Array.isArray(l.port) || l.port.length !== n || !l.port.every(validPort)) bad('listen.port', `must be a list of ${n} ports, one per node, got ${JSON.stringify(l.port)}`);
    const fixed = l.port.filter((p) => p !== 0);
    if (new Set(fixed).size !== fixed.length) bad('listen.port', `has the same port twice: ${JSON.stringify(l.port)}`);
  }
  const known = ['host', 'advertisedHost', 'port', 'log', ...Object.keys(defaultListenerLimits)];
  for (const key of Object.keys(l)) if (!known.includes(key)) throw unknownOption(`listen.${key}`, known, 'a listen');
  if (l.log !== undefined && typeof l.log !== 'function') bad('listen.log', 'must be a function');
  const { host: _h, advertisedHost: _a, port: _p, log: _l, ...limits } = l;
  validateLimits({ ...defaultListenerLimits, ...limits });
  if (o.sasl !== undefined) validateSaslOptions(o.sasl);
  if (o.tls !== undefined && (o.tls === null || typeof o.tls !== 'object' || o.tls.key === undefined || o.tls.cert === undefined)) bad('tls', 'needs a key and a cert (PEM)');
}
