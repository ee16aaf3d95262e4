/**
 * The options of a consumer group: the public `ConsumerGroupOptions` (Kafka's consumer
 * configs), and the same checked and filled in (the table of rules for the shared options
 * checker, and the rules between options).
 */
import { TributaryError, isTributaryError } from '../util/errors.js';
import { bool, checkOptions, custom, durationMs, invalidConfig, oneOf, required, str, type OptionRules } from '../util/options.js';
import { isLogger, silentLogger, type Logger } from '../util/logger.js';
import { validateTopicName } from '../util/topic-name.js';
import type { Serde } from './serde.js';
import type { SerdeLike } from './topic.js';

/**
 * The partition assignors a group's leader can run; every member of a group must name the
 * same.
 *
 * @example
 * ```ts
 * import { Cluster, type AssignorName } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events', partitions: 6 }]);
 * const assignor: AssignorName = 'cooperative-sticky';
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'], assignor });
 * await group.close();
 * ```
 */
export type AssignorName = 'range' | 'roundrobin' | 'cooperative-sticky';

/**
 * Options of a {@link ConsumerGroup}. Public names follow Kafka's consumer configs.
 *
 * @example
 * ```ts
 * import type { Cluster } from 'tributary-log';
 *
 * const o: Parameters<Cluster['consumerGroup']>[0] = { groupId: 'billing', topics: ['orders'], autoOffsetReset: 'earliest' };
 * console.log(o.groupId); // billing
 * ```
 */
export interface ConsumerGroupOptions<K, V> {
  /** `group.id`. Required. */
  readonly groupId: string;
  /** The topics to consume: names, or a pattern matched against every topic (checked every `metadataMaxAgeMs`). */
  readonly topics: readonly string[] | RegExp;
  /** `auto.offset.reset`: where a partition with no committed offset starts, as the consumer's option of that name. Default `'latest'`. */
  readonly autoOffsetReset?: 'earliest' | 'latest';
  /** @deprecated Use `autoOffsetReset` (one name for consumers and groups); `from` still works. */
  readonly from?: 'earliest' | 'latest';
  /** Decodes keys; without it keys are bytes. */
  readonly key?: SerdeLike<K>;
  /** Decodes values; without it values are bytes. */
  readonly value?: SerdeLike<V>;
  /** `partition.assignment.strategy`. Default `'range'` (Kafka's first). */
  readonly assignor?: AssignorName;
  /** `session.timeout.ms`: silent this long, the member is removed. Default 10000 (Kafka: 45000). */
  readonly sessionTimeoutMs?: number;
  /** `heartbeat.interval.ms`. Default 1000 (Kafka: 3000); must be below `sessionTimeoutMs`. */
  readonly heartbeatIntervalMs?: number;
  /** `max.poll.interval.ms`: how long a rebalance waits for this member to rejoin (it finishes its current record first). Default 60000 (Kafka: 300000). */
  readonly rebalanceTimeoutMs?: number;
  /** `group.instance.id`: a static member (KIP-345), which keeps its partitions across restarts within the session timeout. */
  readonly groupInstanceId?: string;
  /** `enable.auto.commit`: commit processed records' offsets every `autoCommitIntervalMs`, on revocation and on close. Default true. */
  readonly autoCommit?: boolean;
  /** `auto.commit.interval.ms`. Default 1000 (Kafka: 5000). */
  readonly autoCommitIntervalMs?: number;
  /** `client.id`. Default `'tributary-consumer'`. */
  readonly clientId?: string;
  /** `fetch.max.wait.ms`. Default 500. */
  readonly maxWaitMs?: number;
  /** `request.timeout.ms`. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** `metadata.max.age.ms`: how often the leader checks for new topics and partitions. Default 5000. */
  readonly metadataMaxAgeMs?: number;
  /** Where the member logs (failed auto-commits, rebalances); default silent, or the cluster's logger for `cluster.consumerGroup`. */
  readonly logger?: Logger;
}

/** A group's options with every default filled in. @internal */
export interface ResolvedConsumerGroupOptions {
  readonly groupId: string;
  readonly topics: readonly string[] | RegExp;
  /** `auto.offset.reset` (the option `autoOffsetReset`, or its deprecated name `from`). */
  readonly from: 'earliest' | 'latest';
  readonly assignor: AssignorName;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly groupInstanceId: string | null;
  readonly autoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  readonly clientId: string;
  readonly maxWaitMs: number;
  readonly requestTimeoutMs: number;
  readonly metadataMaxAgeMs: number;
  readonly logger: Logger;
}

const isSerdeLike = (v: unknown): boolean => {
  let serde: unknown = v;
  if (typeof v === 'function') {
    try {
      serde = (v as () => unknown)();
    } catch {
      return false;
    }
  }
  return typeof serde === 'object' && serde !== null && typeof (serde as Serde<unknown>).deserialize === 'function';
};
const serdeRule = custom('a serde (an object with serialize and deserialize) or a function returning one', isSerdeLike);
const offsetReset = oneOf(['earliest', 'latest']);

const groupRules: OptionRules = {
  groupId: required(str()),
  topics: required(
    custom('a non-empty array of topic names or a RegExp without the g or y flag', (v) => (v instanceof RegExp ? !v.global && !v.sticky : Array.isArray(v) && v.length > 0)),
  ),
  autoOffsetReset: offsetReset,
  from: offsetReset,
  key: serdeRule,
  value: serdeRule,
  assignor: oneOf(['range', 'roundrobin', 'cooperative-sticky']),
  sessionTimeoutMs: durationMs(1),
  heartbeatIntervalMs: durationMs(1),
  rebalanceTimeoutMs: durationMs(1),
  groupInstanceId: str(1, 249),
  autoCommit: bool,
  autoCommitIntervalMs: durationMs(1),
  clientId: str(),
  maxWaitMs: durationMs(),
  requestTimeoutMs: durationMs(1),
  metadataMaxAgeMs: durationMs(1),
  logger: custom('a logger (debug, info, warn and error methods, as console and pino have)', isLogger),
};

/** Names users bring from KafkaJS or Kafka's Java client, mapped to ours. */
const groupAliases: Record<string, string> = {
  fromBeginning: 'autoOffsetReset',
  'auto.offset.reset': 'autoOffsetReset',
  'group.id': 'groupId',
  topic: 'topics',
  partitionAssigners: 'assignor',
  'partition.assignment.strategy': 'assignor',
  'session.timeout.ms': 'sessionTimeoutMs',
  'heartbeat.interval.ms': 'heartbeatIntervalMs',
  'max.poll.interval.ms': 'rebalanceTimeoutMs',
  'enable.auto.commit': 'autoCommit',
  autoCommitInterval: 'autoCommitIntervalMs',
  'group.instance.id': 'groupInstanceId',
  maxWaitTimeInMs: 'maxWaitMs',
};

/** Validates a group's options and fills in the defaults. @internal */
export function resolveConsumerGroupOptions(o: ConsumerGroupOptions<unknown, unknown>): ResolvedConsumerGroupOptions {
  checkOptions(o, groupRules, 'a consumer group', { aliases: groupAliases });
  if (Array.isArray(o.topics)) {
    for (const t of o.topics) {
      try {
        validateTopicName(t);
      } catch (err) {
        throw new TributaryError('INVALID_CONFIG', `topics holds an invalid topic name: ${isTributaryError(err) ? err.message : String(err)}`, { option: 'topics', cause: err });
      }
    }
  }
  if (o.autoOffsetReset !== undefined && o.from !== undefined && o.autoOffsetReset !== o.from) {
    throw invalidConfig('from', `is the old name of autoOffsetReset (${JSON.stringify(o.autoOffsetReset)}); give one of them`, o.from);
  }
  const sessionTimeoutMs = o.sessionTimeoutMs ?? 10_000;
  const heartbeatIntervalMs = o.heartbeatIntervalMs ?? Math.max(1, Math.min(1000, Math.floor(sessionTimeoutMs / 3)));
  if (heartbeatIntervalMs >= sessionTimeoutMs) throw invalidConfig('heartbeatIntervalMs', `must be below sessionTimeoutMs (${sessionTimeoutMs})`, heartbeatIntervalMs);
  return {
    groupId: o.groupId,
    topics: o.topics instanceof RegExp ? o.topics : [...new Set(o.topics)],
    from: o.autoOffsetReset ?? o.from ?? 'latest',
    assignor: o.assignor ?? 'range',
    sessionTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 60_000,
    groupInstanceId: o.groupInstanceId ?? null,
    autoCommit: o.autoCommit ?? true,
    autoCommitIntervalMs: o.autoCommitIntervalMs ?? 1000,
    clientId: o.clientId ?? 'tributary-consumer',
    maxWaitMs: o.maxWaitMs ?? 500,
    requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
    metadataMaxAgeMs: o.metadataMaxAgeMs ?? 5000,
    logger: o.logger ?? silentLogger,
  };
}
