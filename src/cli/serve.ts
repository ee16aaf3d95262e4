/**
 * `tributary serve`: starts a cluster whose nodes listen for Kafka clients, prints one
 * machine-readable line `bootstrap.servers=HOST:PORT,...` on stdout once every node
 * serves, logs what happens on stderr (nodes registered and fenced, topics created,
 * leaders moved), and shuts the cluster down cleanly on SIGINT or SIGTERM (exit code 0).
 *
 * It is how a Python, Go or Java service's tests get a Kafka without Docker:
 *
 * ```sh
 * npx tributary serve --nodes 3 --port 0 --data-dir ./data
 * ```
 * @internal
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Cluster, type ClusterOptions } from '../cluster.js';
import { diagnosticChannels, type RecoveryEvent } from '../util/channels.js';
import type { MetadataImage } from '../metadata/image.js';
import type { SaslMechanism } from '../transport/tcp/sasl.js';
import { isTributaryError } from '../util/errors.js';
import { flag, intFlag, parseFlags, UsageError, type FlagSpec } from './args.js';
import type { Command, CommandIo } from './command.js';
import { describeChanges } from './events.js';
import { runControl } from './serve-control.js';

const flags: Record<string, FlagSpec> = {
  nodes: { value: true },
  port: { value: true },
  host: { value: true },
  'advertised-host': { value: true },
  'data-dir': { value: true },
  partitions: { value: true },
  'replication-factor': { value: true },
  'sasl-mechanism': { value: true, repeat: true },
  'connections-max-reauth-ms': { value: true },
  user: { value: true, repeat: true },
  'tls-key': { value: true },
  'tls-cert': { value: true },
  'tls-ca': { value: true },
  control: { value: false },
  help: { value: false },
};

const usage = `Usage: tributary serve [options]

Starts a Kafka-compatible cluster in this process, with a Kafka listener per node.
Prints "bootstrap.servers=HOST:PORT,..." on stdout once ready; logs on stderr.
Stops cleanly on SIGINT or SIGTERM.

Options:
  --nodes N                 nodes (brokers) in the cluster (default 1)
  --port P                  the first node's port; node i gets P+i-1 (default 9092;
                            0 gives every node a free port); or a list: 9092,9093,9094
  --host H                  the address to bind (default 127.0.0.1)
  --advertised-host H       the host clients are told to connect to (default: --host)
  --data-dir DIR            keep the data here and reopen it next time
                            (default: a temporary folder, removed on exit)
  --partitions N            num.partitions for topics created without a count (default 1)
  --replication-factor N    default.replication.factor (default min(nodes, 3))
  --user NAME:PASSWORD      require SASL and accept this user (repeatable)
  --sasl-mechanism M        PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable; default all)
  --connections-max-reauth-ms MS
                            a SASL session lasts MS; clients re-authenticate on the same
                            connection before it ends (KIP-368; default 0: forever)
  --tls-key FILE --tls-cert FILE [--tls-ca FILE]
                            speak TLS with this PEM key and certificate (and require
                            client certificates signed by the CA)
  --control                 read commands on stdin, one a line, and answer each with
                            one JSON line on stdout (after the bootstrap line):
                              kill-node N | stop-node N | restart-node N | nodes | help
                            e.g. {"command":"kill-node 2","ok":true}; the end of stdin
                            stops the cluster as SIGTERM does
  --help                    this text
`;

function parsePorts(text: string | undefined, nodes: number): number | number[] {
  if (text === undefined) return Array.from({ length: nodes }, (_, i) => 9092 + i);
  const parts = text.split(',').map((p) => p.trim());
  const ports = parts.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n > 65535) throw new UsageError(`--port: ${JSON.stringify(p)} is not a port`);
    return n;
  });
  if (ports.length === 1) return ports[0] === 0 ? 0 : Array.from({ length: nodes }, (_, i) => ports[0]! + i);
  if (ports.length !== nodes) throw new UsageError(`--port lists ${ports.length} ports for ${nodes} nodes`);
  return ports;
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const f = parseFlags(argv, flags);
  if (f.has('help')) {
    io.stdout(usage);
    return 0;
  }
  // Listen for the signals first: one that comes while the cluster starts stops it as soon as it is up.
  const signalled = io.untilSignal();
  const control = f.has('control');
  if (control && io.stdinLines === undefined) throw new UsageError('--control needs a standard input');
  const nodes = intFlag(f, 'nodes', 1, 100) ?? 1;
  const host = flag(f, 'host');
  const advertisedHost = flag(f, 'advertised-host');
  const users = f.get('user');
  const mechanisms = f.get('sasl-mechanism');
  if (mechanisms && !users) throw new UsageError('--sasl-mechanism needs at least one --user');
  const reauthMs = intFlag(f, 'connections-max-reauth-ms', 0, 2 ** 31 - 1);
  if (reauthMs !== undefined && !users) throw new UsageError('--connections-max-reauth-ms needs at least one --user');
  const tlsKey = flag(f, 'tls-key');
  const tlsCert = flag(f, 'tls-cert');
  const tlsCa = flag(f, 'tls-ca');
  if ((tlsKey === undefined) !== (tlsCert === undefined) || (tlsCa !== undefined && tlsKey === undefined)) throw new UsageError('--tls-key and --tls-cert go together (and --tls-ca needs them)');
  const partitions = intFlag(f, 'partitions', 1, 1_000_000);
  const rf = intFlag(f, 'replication-factor', 1, nodes);
  const dataDir = flag(f, 'data-dir');
  const options: ClusterOptions = {
    nodes,
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(partitions !== undefined ? { defaultPartitions: partitions } : {}),
    ...(rf !== undefined ? { defaultReplicationFactor: rf } : {}),
    listen: {
      port: parsePorts(flag(f, 'port'), nodes),
      // Connections closed for a reason (a failed login, an oversized or unknown request) are worth a line.
      log: (line) => io.log(line),
      ...(reauthMs !== undefined ? { connectionsMaxReauthMs: reauthMs } : {}),
      ...(host !== undefined ? { host } : {}),
      ...(advertisedHost !== undefined ? { advertisedHost } : {}),
    },
    ...(users
      ? {
          sasl: {
            users: Object.fromEntries(
              users.map((u) => {
                const colon = u.indexOf(':');
                if (colon <= 0) throw new UsageError(`--user wants NAME:PASSWORD, got ${JSON.stringify(u)}`);
                return [u.slice(0, colon), u.slice(colon + 1)];
              }),
            ),
            ...(mechanisms ? { mechanisms: mechanisms as SaslMechanism[] } : {}),
          },
        }
      : {}),
    ...(tlsKey !== undefined && tlsCert !== undefined ? { tls: { key: io.readFile(tlsKey), cert: io.readFile(tlsCert), ...(tlsCa !== undefined ? { ca: io.readFile(tlsCa) } : {}) } } : {}),
  };

  // Recovery after an unclean shutdown can take a while on a large data folder: say what is
  // being checked (a progress line, only on a terminal), and how many logs were, once up.
  let recovered = 0;
  const onRecovery = (message: unknown): void => {
    const e = message as RecoveryEvent;
    if (e.phase === 'start') io.progress?.(`recovering ${e.topic}-${e.partition} on node ${e.nodeId}: ${(e.bytes / 1e6).toFixed(1)} MB to check (${recovered} logs recovered so far)`);
    else recovered++;
  };
  subscribe(diagnosticChannels.recovery, onRecovery);
  let cluster: Cluster;
  try {
    cluster = await Cluster.start(options);
  } finally {
    unsubscribe(diagnosticChannels.recovery, onRecovery);
    io.progress?.(undefined);
  }
  if (recovered > 0) io.log(`recovered ${recovered} partition log${recovered === 1 ? '' : 's'} after an unclean shutdown`);
  let image: MetadataImage | undefined;
  const follow = () => {
    let next: MetadataImage;
    try {
      next = cluster.metadata;
    } catch {
      return;
    }
    if (next === image) return;
    for (const line of describeChanges(image, next)) io.log(line);
    image = next;
  };
  follow();
  const watcher = setInterval(follow, 100);
  io.log(`cluster ${cluster.clusterId}: ${nodes} node${nodes === 1 ? '' : 's'}, data in ${cluster.dataDir}`);
  io.stdout(`bootstrap.servers=${cluster.bootstrapServers}\n`);
  const stopped = control ? Promise.race([signalled, runControl(cluster, io.stdinLines!(), (line) => io.stdout(line), (line) => io.log(line))]) : signalled;
  await stopped;
  io.log('shutting down');
  clearInterval(watcher);
  await cluster.close();
  io.log('stopped');
  return 0;
}

export const serve: Command = {
  name: 'serve',
  summary: 'start a cluster with Kafka listeners (for any Kafka client)',
  run: async (argv, io) => {
    try {
      return await run(argv, io);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      if (isTributaryError(err)) {
        io.log(`error: ${err.message}`);
        return 1;
      }
      throw err;
    }
  },
};
