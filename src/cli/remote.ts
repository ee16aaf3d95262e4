/**
 * What the client commands (`topics`, `produce`, `consume`, `groups`) share: the clients
 * they get from `--bootstrap-server`, and turning a `TributaryError` into a clear line on
 * stderr with exit code 1.
 * @internal
 */
import type { Cluster } from '../cluster.js';
import { isTributaryError, TributaryError } from '../util/errors.js';
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
  'command-config': { value: true },
  help: { value: false },
};

/** SASL and TLS for the connection, from `--user`, `--sasl-mechanism` and `--tls*`. */
export interface ClientSecurity {
  readonly sasl?: { readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; readonly username: string; readonly password: string };
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
}

const saslMechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/**
 * The client properties file of Kafka's scripts (`--command-config`, Java property names)
 * and of librdkafka (`-F` in kcat), as far as they say how to connect: `security.protocol`,
 * `sasl.mechanism` (`sasl.mechanisms`), `sasl.username` and `sasl.password`, or
 * `sasl.jaas.config` with `username="..." password="..."`, `ssl.ca.location` (or
 * `ssl.truststore.location` of type PEM), `ssl.certificate.location` and `ssl.key.location`.
 * Anything else (producer and consumer tuning) is left to the flags and ignored, as
 * Kafka's scripts ignore configs that do not apply.
 */
function commandConfig(text: string, path: string): { user?: string; mechanism?: string; tls: boolean; ca?: string; cert?: string; key?: string } {
  const props = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) throw new UsageError(`--command-config ${path}: ${JSON.stringify(line)} is not key=value`);
    props.set(m[1]!, m[2]!);
  }
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) throw new UsageError(`--command-config ${path}: security.protocol ${protocol} is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL`);
  let username = props.get('sasl.username');
  let password = props.get('sasl.password');
  const jaas = props.get('sasl.jaas.config');
  if (jaas !== undefined) {
    username ??= /username\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
    password ??= /password\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
  }
  const sasl = protocol.startsWith('SASL_');
  if (sasl && (username === undefined || password === undefined)) throw new UsageError(`--command-config ${path}: security.protocol ${protocol} needs sasl.username and sasl.password (or sasl.jaas.config)`);
  const trustType = props.get('ssl.truststore.type');
  const truststore = props.get('ssl.truststore.location');
  if (truststore !== undefined && trustType?.toUpperCase() !== 'PEM') throw new UsageError(`--command-config ${path}: ssl.truststore.location needs ssl.truststore.type=PEM (a JKS or PKCS12 store cannot be read; give ssl.ca.location FILE.pem)`);
  const ca = props.get('ssl.ca.location') ?? truststore;
  const cert = props.get('ssl.certificate.location');
  const key = props.get('ssl.key.location');
  const mechanism = props.get('sasl.mechanism') ?? props.get('sasl.mechanisms');
  return {
    ...(sasl ? { user: `${username}:${password}` } : {}),
    ...(sasl && mechanism !== undefined ? { mechanism: mechanism.toUpperCase() } : {}),
    tls: protocol === 'SSL' || protocol === 'SASL_SSL',
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
  };
}

/** A file a flag names; one that cannot be read is `INVALID_CONFIG` (exit code 1, one line), not a stack trace. */
function readFileFor(io: CommandIo, path: string, option: string): string {
  try {
    return io.readFile(path);
  } catch (err) {
    throw new TributaryError('INVALID_CONFIG', `--${option}: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { option });
  }
}

function securityOf(f: ParsedFlags, io: CommandIo): ClientSecurity {
  const configPath = flag(f, 'command-config');
  const file = configPath === undefined ? undefined : commandConfig(readFileFor(io, configPath, 'command-config'), configPath);
  // A flag given beside the file wins over the file.
  const user = flag(f, 'user') ?? file?.user;
  const mechanism = flag(f, 'sasl-mechanism') ?? file?.mechanism;
  if (mechanism !== undefined && user === undefined) throw new UsageError('--sasl-mechanism needs --user NAME:PASSWORD');
  if (mechanism !== undefined && !(saslMechanisms as readonly string[]).includes(mechanism)) throw new UsageError(`--sasl-mechanism wants one of ${saslMechanisms.join(', ')}, got ${JSON.stringify(mechanism)}`);
  let sasl: ClientSecurity['sasl'];
  if (user !== undefined) {
    const colon = user.indexOf(':');
    if (colon <= 0) throw new UsageError(`--user wants NAME:PASSWORD, got ${JSON.stringify(user)}`);
    sasl = { mechanism: (mechanism ?? 'SCRAM-SHA-512') as (typeof saslMechanisms)[number], username: user.slice(0, colon), password: user.slice(colon + 1) };
  }
  const ca = flag(f, 'tls-ca') ?? file?.ca;
  const cert = flag(f, 'tls-cert') ?? file?.cert;
  const key = flag(f, 'tls-key') ?? file?.key;
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tlsWanted = f.has('tls') || file?.tls === true || ca !== undefined || cert !== undefined;
  const tls = tlsWanted
    ? { ...(ca !== undefined ? { ca: readFileFor(io, ca, 'tls-ca') } : {}), ...(cert !== undefined ? { cert: readFileFor(io, cert, 'tls-cert') } : {}), ...(key !== undefined ? { key: readFileFor(io, key, 'tls-key') } : {}) }
    : undefined;
  return { ...(sasl ? { sasl } : {}), ...(tls ? { tls } : {}) };
}

export const clientFlagsUsage = `  --bootstrap-server H:P[,H:P...]  the cluster to talk to (required)
  --request-timeout-ms MS          give up on an admin call, or on sending a record, after MS,
                                   retries included (default 30000; 120000 for a record)
  --user NAME:PASSWORD             authenticate with SASL
  --sasl-mechanism M               PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default SCRAM-SHA-512)
  --tls                            speak TLS (--tls-ca FILE: trust this CA; --tls-cert FILE
                                   --tls-key FILE: present this client certificate)
  --command-config FILE            the same from a client properties file, as Kafka's scripts
                                   and kcat -F read it: security.protocol, sasl.mechanism,
                                   sasl.username/sasl.password or sasl.jaas.config,
                                   ssl.ca.location, ssl.certificate.location, ssl.key.location
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

/**
 * The topic of `produce` and `consume`: the argument (`tributary consume orders`) or
 * `--topic orders`, the Kafka console tools' spelling; both given must agree.
 */
export function topicOf(positional: string | undefined, f: ParsedFlags, command: string): string {
  const named = flag(f, 'topic');
  if (positional !== undefined && named !== undefined && positional !== named) throw new UsageError(`${positional} and --topic ${named} name different topics`);
  const topic = positional ?? named;
  if (topic === undefined || topic === '') throw new UsageError(`which topic? tributary ${command} TOPIC --bootstrap-server H:P (or --topic TOPIC)`);
  return topic;
}
