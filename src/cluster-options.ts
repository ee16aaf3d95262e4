/**
 * The rules of `Cluster.start`'s options, for the shared options checker: every option
 * with its type and range, the broker settings field by field, and the rules between
 * options. A misspelt option is refused with the nearest known name (`node` → `nodes`).
 * @internal
 */
import type { BrokerConfig } from './broker/broker.js';
import { validateListenOptions } from './cluster-listeners.js';
import { isLogger } from './util/logger.js';
import { bool, checkOptions, clockRule, custom, durationMs, electionTimeoutMsMax, int, invalidConfig, object, oneOf, str, type OptionRules } from './util/options.js';

/** Broker settings as `Cluster.start({ broker })` takes them. */
const brokerRules: OptionRules = {
  heartbeatIntervalMs: durationMs(10, 60_000),
  replicaLagTimeMaxMs: durationMs(100),
  replicaFetchWaitMaxMs: durationMs(0, 60_000),
  highWatermarkCheckpointIntervalMs: durationMs(10),
  logRetentionCheckIntervalMs: durationMs(10),
  autoCreateTopicsEnable: bool,
  fetchMaxBytes: int(1024, 2_147_483_647),
  host: str(1, 255),
  port: int(0, 65_535),
};

const clusterRules: OptionRules = {
  nodes: int(1, 100),
  controllers: custom('1, 3 or 5', (v) => v === 1 || v === 3 || v === 5),
  dataDir: str(1, 4096),
  defaultReplicationFactor: int(1, 100),
  defaultPartitions: int(1, 100_000),
  brokerSessionTimeoutMs: durationMs(100, 3_600_000),
  electionTimeoutMs: durationMs(20, electionTimeoutMsMax),
  autoCreateTopics: bool,
  broker: object(brokerRules),
  clock: clockRule,
  // Checked field by field in validateListenOptions (cluster-listeners.ts).
  listen: object(),
  sasl: object(),
  tls: object(),
  logger: custom('a logger (debug, info, warn and error methods, as console and pino have)', isLogger),
  logLevel: oneOf(['debug', 'info', 'warn', 'error', 'silent']),
  threads: oneOf(['inline', 'per-node', 'worker']),
  // @internal: disk-fault tests wrap each partition folder's store.
  openStore: custom('a function', (v) => typeof v === 'function'),
};

/** Names users bring from Kafka's server.properties or other tools, mapped to ours. */
const clusterAliases: Record<string, string> = {
  brokers: 'nodes',
  size: 'nodes',
  'num.partitions': 'defaultPartitions',
  numPartitions: 'defaultPartitions',
  'default.replication.factor': 'defaultReplicationFactor',
  replicationFactor: 'defaultReplicationFactor',
  'auto.create.topics.enable': 'autoCreateTopics',
  autoCreateTopicsEnable: 'autoCreateTopics',
  allowAutoTopicCreation: 'autoCreateTopics',
  'broker.session.timeout.ms': 'brokerSessionTimeoutMs',
  'log.dirs': 'dataDir',
  logDir: 'dataDir',
  dir: 'dataDir',
};

/** The options a cluster checks, shaped as `ClusterOptions` (kept loose: this runs before the types can be trusted). */
interface ClusterOptionsShape {
  readonly nodes?: number;
  readonly controllers?: number;
  readonly defaultReplicationFactor?: number;
  readonly brokerSessionTimeoutMs?: number;
  readonly electionTimeoutMs?: number;
  readonly broker?: Partial<BrokerConfig>;
  readonly threads?: string;
  readonly clock?: unknown;
  readonly openStore?: unknown;
  readonly listen?: unknown;
}

/** Checks `Cluster.start`'s options; throws `INVALID_CONFIG` naming the first bad one. */
export function validateClusterOptions(o: unknown): void {
  checkOptions(o, clusterRules, 'a cluster', { aliases: clusterAliases });
  const options = (o ?? {}) as ClusterOptionsShape;
  const n = options.nodes ?? 1;
  if (options.controllers !== undefined && options.controllers > n) throw invalidConfig('controllers', `must be 1, 3 or 5 and at most nodes (${n})`, options.controllers);
  if (options.defaultReplicationFactor !== undefined && options.defaultReplicationFactor > n) {
    throw invalidConfig('defaultReplicationFactor', `must be an integer from 1 to nodes (${n})`, options.defaultReplicationFactor);
  }
  const session = options.brokerSessionTimeoutMs ?? 2000;
  const heartbeat = options.broker?.heartbeatIntervalMs;
  if (heartbeat !== undefined && heartbeat >= session) throw invalidConfig('broker.heartbeatIntervalMs', `must be below brokerSessionTimeoutMs (${session})`, heartbeat);
  const lag = options.broker?.replicaLagTimeMaxMs ?? 10_000;
  const fetchWait = options.broker?.replicaFetchWaitMaxMs;
  // Kafka's rule: a follower waiting longer than the lag time at the leader would drop out of the ISR while it waits.
  if (fetchWait !== undefined && fetchWait > lag) throw invalidConfig('broker.replicaFetchWaitMaxMs', `must be at most broker.replicaLagTimeMaxMs (${lag})`, fetchWait);
  if (options.threads === 'per-node' || options.threads === 'worker') {
    // Functions of this thread cannot reach a node in another thread.
    for (const name of ['clock', 'openStore'] as const) {
      if (options[name] !== undefined) throw invalidConfig(name, `is not supported with threads: '${options.threads}' (the nodes live in worker threads)`, options[name]);
    }
  }
  validateListenOptions(o as Parameters<typeof validateListenOptions>[0], n);
}
