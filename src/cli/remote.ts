/**
 * What the client commands (`topics`, `produce`, `consume`, `groups`) share: the clients
 * they get from `--bootstrap-server`, and turning a `TributaryError` into a clear line on
 * stderr with exit code 1.
 * @internal
 */
import type { Cluster } from '../cluster.js';
import { isTributaryError } from '../util/errors.js';
import { flag, intFlag, UsageError, type FlagSpec, type ParsedFlags } from './args.js';
import type { CommandIo } from './command.js';

/** The client factories of a `Cluster` or of `connect()`, and a way to let go of them. */
export type RemoteClients = Pick<Cluster, 'admin' | 'producer' | 'consumer' | 'consumerGroup'> & { close(): Promise<void> };

/** The flags every client command takes. */
export const clientFlags: Record<string, FlagSpec> = {
  'bootstrap-server': { value: true },
  'request-timeout-ms': { value: true },
  user: { value: true },
  'sasl-mechanism': { value: true },
  tls: { value: false },
  'tls-ca': { value: true },
  'tls-cert': { value: true },
  'tls-key': { value: true },
  help: { value: false },
};

/** SASL and TLS for the connection, from `--user`, `--sasl-mechanism` and `--tls*`. */
export interface ClientSecurity {
  readonly sasl?: { readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; readonly username: string; readonly password: string };
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
}

const saslMechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

function securityOf(f: ParsedFlags, io: CommandIo): ClientSecurity {
  const user = flag(f, 'user');
  const mechanism = flag(f, 'sasl-mechanism');
  if (mechanism !== undefined && user === undefined) throw new UsageError('--sasl-mechanism needs --user NAME:PASSWORD');
  if (mechanism !== undefined && !(saslMechanisms as readonly string[]).includes(mechanism)) throw new UsageError(`--sasl-mechanism wants one of ${saslMechanisms.join(', ')}, got ${JSON.stringify(mechanism)}`);
  let sasl: ClientSecurity['sasl'];
  if (user !== undefined) {
    const colon = user.indexOf(':');
    if (colon <= 0) throw new UsageError(`--user wants NAME:PASSWORD, got ${JSON.stringify(user)}`);
    sasl = { mechanism: (mechanism ?? 'SCRAM-SHA-512') as (typeof saslMechanisms)[number], username: user.slice(0, colon), password: user.slice(colon + 1) };
  }
  const ca = flag(f, 'tls-ca');
  const cert = flag(f, 'tls-cert');
  const key = flag(f, 'tls-key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tlsWanted = f.has('tls') || ca !== undefined || cert !== undefined;
  const tls = tlsWanted ? { ...(ca !== undefined ? { ca: io.readFile(ca) } : {}), ...(cert !== undefined ? { cert: io.readFile(cert) } : {}), ...(key !== undefined ? { key: io.readFile(key) } : {}) } : undefined;
  return { ...(sasl ? { sasl } : {}), ...(tls ? { tls } : {}) };
}

export const clientFlagsUsage = `  --bootstrap-server H:P[,H:P...]  the cluster to talk to (required)
  --request-timeout-ms MS          give up on an admin call, or on sending a record, after MS,
                                   retries included (default 30000; 120000 for a record)
  --user NAME:PASSWORD             authenticate with SASL
  --sasl-mechanism M               PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default SCRAM-SHA-512)
  --tls                            speak TLS (--tls-ca FILE: trust this CA; --tls-cert FILE
                                   --tls-key FILE: present this client certificate)
  --help                           this text`;

/** Connects with `--bootstrap-server`, runs `body`, and lets go of the clients however it ends. */
export async function withClients<T>(f: ParsedFlags, io: CommandIo, body: (clients: RemoteClients) => Promise<T>): Promise<T> {
  const servers = flag(f, 'bootstrap-server');
  if (servers === undefined || servers.trim() === '') throw new UsageError('--bootstrap-server is required (host:port of a broker, such as 127.0.0.1:9092)');
  for (const s of servers.split(',')) {
    if (!/^[^\s:]+:\d{1,5}$/.test(s.trim()) && !/^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(s.trim())) throw new UsageError(`--bootstrap-server: ${JSON.stringify(s)} is not host:port`);
  }
  const requestTimeoutMs = intFlag(f, 'request-timeout-ms', 1, 2 ** 31 - 1);
  if (io.connect === undefined) throw new Error('this tributary has no client transport');
  const clients = await io.connect(servers, securityOf(f, io));
  const admin: RemoteClients['admin'] = (options = {}) => clients.admin({ ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}), ...options });
  try {
    // A producer gives up on a record after the same bound (Kafka's rule: delivery.timeout.ms >= linger.ms + request.timeout.ms).
    const producer: RemoteClients['producer'] = (options = {}) =>
      clients.producer(requestTimeoutMs === undefined ? options : { requestTimeoutMs, deliveryTimeoutMs: requestTimeoutMs + (options.lingerMs ?? 0), maxBlockMs: requestTimeoutMs, ...options });
    return await body({ admin, producer, consumer: (o) => clients.consumer(o), consumerGroup: (o) => clients.consumerGroup(o), close: () => clients.close() });
  } finally {
    await clients.close();
  }
}

/** Runs a client command; a `TributaryError` (the cluster said no, or could not be reached) is a line on stderr and exit code 1. */
export async function reportErrors(name: string, io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError || !isTributaryError(err)) throw err;
    errorLine(io, `tributary ${name}: ${err.code}: ${err.message}`);
    return 1;
  }
}

export function errorLine(io: CommandIo, line: string): void {
  if (io.stderr) io.stderr(`${line}\n`);
  else io.log(line);
}

/** Columns padded to their widest cell, separated by two spaces: readable in a terminal, and `awk`-able in a pipe. */
export function table(rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map(String));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + (cells.length > 0 ? '\n' : '');
}

/** `earliest`, `latest`, an offset, or an ISO-8601 time (or ms since the epoch with `@`). */
export type Position = 'earliest' | 'latest' | number | { readonly timestamp: number };

export function parsePosition(text: string, option: string): Position {
  if (text === 'earliest' || text === 'beginning') return 'earliest';
  if (text === 'latest' || text === 'end') return 'latest';
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
  }
  if (/^@\d+$/.test(text)) return { timestamp: Number(text.slice(1)) };
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (Number.isFinite(t)) return { timestamp: t };
  }
  throw new UsageError(`--${option} wants earliest, latest, an offset, or an ISO time such as 2026-12-06T10:00:00Z; got ${JSON.stringify(text)}`);
}
