/**
 * A broker's read-only (static) configs as Kafka names them, and the documentation and
 * type of every config DescribeConfigs lists: what a client or an operator tool (KafkaJS
 * `describeConfigs`, librdkafka `describe_configs`, `kafka-configs --describe --all`)
 * reads of a broker.
 *
 * The dynamic broker configs (the cluster-wide defaults of the topic configs, such as
 * `log.retention.ms`) are in `configs.ts`: the controller stores them, and a change applies
 * at once. The configs here are fixed for a node's life: a node reports the value it
 * really runs with (`src/broker/static-broker-configs.ts` makes them from the node's
 * options), with the source `STATIC_BROKER_CONFIG` where Tributary's value is not Kafka's
 * default, as if set in a `server.properties`, and `DEFAULT_CONFIG` where it is.
 * IncrementalAlterConfigs of one of them is refused as Kafka refuses it (`Cannot update
 * these configs dynamically`).
 *
 * Left out on purpose: configs of machinery Tributary does not have (`transaction.*`: no
 * transaction coordinator; `ssl.*` keystores, `sasl.*` JAAS, quotas, remote storage,
 * thread pools of Kafka's request path), so that no client reads a value nothing applies.
 * Kafka's defaults below are Kafka 4.0's (`ServerLogConfigs`, `ReplicationConfigs`,
 * `GroupCoordinatorConfig`, `SocketServerConfigs`, `KRaftConfigs`, `ServerConfigs`).
 */
import type { ConfigType } from './configs.js';

/** Kafka's `ConfigDef.Type` as DescribeConfigs v3+ numbers it (`DescribeConfigsResponse.ConfigType`). */
export type BrokerConfigType = ConfigType | 'short' | 'class' | 'password';

export const configTypeIds: Readonly<Record<BrokerConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

export interface StaticBrokerConfigDef {
  readonly name: string;
  readonly type: BrokerConfigType;
  /** Kafka's default as it prints it; null where Kafka has none (the node always has a value). */
  readonly kafkaDefault: string | null;
  readonly doc: string;
}

const staticList: readonly StaticBrokerConfigDef[] = [
  // KRaft and the node's identity.
  { name: 'node.id', type: 'int', kafkaDefault: '-1', doc: 'The id of this node in the cluster: its broker id and, on a controller, its voter id.' },
  { name: 'broker.id', type: 'int', kafkaDefault: '-1', doc: 'The broker id; in KRaft mode the same as node.id.' },
  { name: 'process.roles', type: 'list', kafkaDefault: '', doc: 'The roles this node plays: broker, and controller on a member of the metadata quorum.' },
  { name: 'controller.quorum.voters', type: 'list', kafkaDefault: '', doc: 'The metadata quorum, as id@host:port of each voter (the address of the voter node).' },
  { name: 'controller.quorum.election.timeout.ms', type: 'int', kafkaDefault: '1000', doc: 'How long a voter waits without hearing from a leader before it starts an election.' },
  { name: 'broker.heartbeat.interval.ms', type: 'int', kafkaDefault: '2000', doc: 'How often the broker sends a heartbeat to the active controller.' },
  { name: 'broker.session.timeout.ms', type: 'int', kafkaDefault: '9000', doc: 'How long the controller waits without a heartbeat before it fences a broker.' },
  { name: 'cluster.id', type: 'string', kafkaDefault: null, doc: 'The id of the cluster the node was formatted for (read-only; Kafka keeps it in meta.properties).' },
  // Listeners.
  { name: 'listeners', type: 'list', kafkaDefault: 'PLAINTEXT://:9092', doc: 'The listener this node accepts Kafka clients on, as NAME://host:port.' },
  { name: 'advertised.listeners', type: 'list', kafkaDefault: null, doc: 'The address clients are told to use for this node, as NAME://host:port.' },
  { name: 'listener.security.protocol.map', type: 'list', kafkaDefault: 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT', doc: 'The security protocol of each listener name.' },
  { name: 'socket.request.max.bytes', type: 'int', kafkaDefault: '104857600', doc: 'The largest request a client may send; a larger frame closes the connection.' },
  { name: 'fetch.max.bytes', type: 'int', kafkaDefault: '57671680', doc: 'The most record bytes one Fetch answer holds (the smaller of this and the request\'s max_bytes), except that its first batch always comes whole.' },
  // Logs.
  { name: 'log.dirs', type: 'list', kafkaDefault: null, doc: 'The folder that holds this node’s partitions and metadata log.' },
  { name: 'log.dir', type: 'string', kafkaDefault: '/tmp/kafka-logs', doc: 'The folder that holds this node’s partitions (log.dirs takes precedence).' },
  { name: 'num.partitions', type: 'int', kafkaDefault: '1', doc: 'The partition count of a topic created without one (CreateTopics with -1, or auto-created).' },
  { name: 'default.replication.factor', type: 'int', kafkaDefault: '1', doc: 'The replication factor of a topic created without one (CreateTopics with -1, or auto-created).' },
  { name: 'auto.create.topics.enable', type: 'boolean', kafkaDefault: 'true', doc: 'Whether a Metadata request that allows it creates the topics it names that do not exist.' },
  { name: 'delete.topic.enable', type: 'boolean', kafkaDefault: 'true', doc: 'Whether topics may be deleted.' },
  { name: 'log.retention.hours', type: 'int', kafkaDefault: '168', doc: 'Hours a segment is kept, tertiary to log.retention.ms.' },
  { name: 'log.roll.hours', type: 'int', kafkaDefault: '168', doc: 'Hours before a new segment is rolled, secondary to log.roll.ms.' },
  { name: 'log.roll.jitter.hours', type: 'int', kafkaDefault: '0', doc: 'Hours of jitter subtracted from the roll time, secondary to log.roll.jitter.ms.' },
  { name: 'log.retention.check.interval.ms', type: 'long', kafkaDefault: '300000', doc: 'How often retention and compaction look for segments to delete or clean.' },
  { name: 'log.cleaner.enable', type: 'boolean', kafkaDefault: 'true', doc: 'Whether compacted topics are cleaned.' },
  { name: 'num.recovery.threads.per.data.dir', type: 'int', kafkaDefault: '1', doc: 'Threads per data folder that recover logs at start (Tributary recovers on its event loop).' },
  // Replication.
  { name: 'num.replica.fetchers', type: 'int', kafkaDefault: '1', doc: 'Fetchers per source broker that replicate its partitions.' },
  { name: 'replica.lag.time.max.ms', type: 'long', kafkaDefault: '30000', doc: 'A follower that has not caught up for this long is removed from the ISR.' },
  { name: 'replica.fetch.wait.max.ms', type: 'int', kafkaDefault: '500', doc: 'How long a follower’s fetch waits at the leader for data.' },
  { name: 'replica.fetch.min.bytes', type: 'int', kafkaDefault: '1', doc: 'The least data a follower’s fetch waits for.' },
  { name: 'replica.fetch.max.bytes', type: 'int', kafkaDefault: '1048576', doc: 'The most bytes a follower fetches of one partition in one request.' },
  { name: 'replica.fetch.response.max.bytes', type: 'int', kafkaDefault: '10485760', doc: 'The most bytes one follower fetch returns.' },
  { name: 'replica.fetch.backoff.ms', type: 'int', kafkaDefault: '1000', doc: 'How long a follower waits after a failed fetch.' },
  { name: 'replica.high.watermark.checkpoint.interval.ms', type: 'long', kafkaDefault: '5000', doc: 'How often the high watermarks are written to the replication-offset-checkpoint file.' },
  // Group coordinator and offsets.
  { name: 'offsets.topic.num.partitions', type: 'int', kafkaDefault: '50', doc: 'Partitions of __consumer_offsets when it is created.' },
  { name: 'offsets.topic.replication.factor', type: 'short', kafkaDefault: '3', doc: 'Replication factor of __consumer_offsets when it is created (Tributary: at most the brokers there are).' },
  { name: 'offsets.topic.segment.bytes', type: 'int', kafkaDefault: '104857600', doc: 'Segment size of __consumer_offsets.' },
  { name: 'offsets.retention.minutes', type: 'int', kafkaDefault: '10080', doc: 'Committed offsets of a group that became empty expire after this long.' },
  { name: 'offsets.retention.check.interval.ms', type: 'long', kafkaDefault: '600000', doc: 'How often expired offsets are looked for.' },
  { name: 'offsets.commit.timeout.ms', type: 'int', kafkaDefault: '5000', doc: 'How long an offset commit waits for __consumer_offsets to replicate it.' },
  { name: 'offset.metadata.max.bytes', type: 'int', kafkaDefault: '4096', doc: 'The longest metadata string an offset commit may carry.' },
  { name: 'group.min.session.timeout.ms', type: 'int', kafkaDefault: '6000', doc: 'The shortest session timeout a member may ask for.' },
  { name: 'group.max.session.timeout.ms', type: 'int', kafkaDefault: '1800000', doc: 'The longest session timeout a member may ask for.' },
  { name: 'group.initial.rebalance.delay.ms', type: 'int', kafkaDefault: '3000', doc: 'How long the first rebalance of an empty group waits for more members.' },
  { name: 'group.max.size', type: 'int', kafkaDefault: '2147483647', doc: 'The most members a group may have.' },
  { name: 'group.coordinator.rebalance.protocols', type: 'list', kafkaDefault: 'classic,consumer', doc: 'The group protocols the coordinator serves.' },
];

/** The read-only broker configs, by name. */
export const staticBrokerConfigDefs: ReadonlyMap<string, StaticBrokerConfigDef> = new Map(staticList.map((d) => [d.name, d]));

/** One line of documentation for the dynamic and topic configs (DescribeConfigs v3+ `includeDocumentation`). */
export const configDocs: Readonly<Record<string, string>> = {
  'cleanup.policy': 'delete removes old segments by time or size; compact keeps the latest record of each key; both may be set.',
  'compression.type': 'The codec batches are stored in: producer keeps the producer’s; uncompressed, gzip, snappy, lz4 or zstd rebuilds each batch in it.',
  'compression.gzip.level': 'The gzip level (1 fastest to 9 smallest; -1: zlib’s default, 6) batches are rebuilt at when compression.type=gzip converts them.',
  'compression.lz4.level': 'The lz4 level for compression.type=lz4: accepted and not applied, as Tributary’s lz4 (lz4-napi, or JavaScript) has one fixed speed and no high-compression mode.',
  'compression.zstd.level': 'The zstd level (-131072 to 22; higher is smaller and slower) batches are rebuilt at when compression.type=zstd converts them (needs @mongodb-js/zstd).',
  'delete.retention.ms': 'How long a tombstone is kept after compaction.',
  'file.delete.delay.ms': 'How long a deleted segment file waits before it is removed.',
  'flush.messages': 'Records appended between fsyncs (1: fsync before acknowledging).',
  'flush.ms': 'Milliseconds between fsyncs.',
  'follower.replication.throttled.replicas': 'Replicas (partition:broker, or *) whose follower fetches are throttled; Tributary has no replication quota, so none is.',
  'index.interval.bytes': 'Bytes appended between two offset index entries.',
  'leader.replication.throttled.replicas': 'Replicas (partition:broker, or *) whose leader reads for followers are throttled; Tributary has no replication quota, so none is.',
  'local.retention.bytes': 'Bytes kept locally with tiered storage (-2: retention.bytes); Tributary has no tiered storage.',
  'local.retention.ms': 'Time kept locally with tiered storage (-2: retention.ms); Tributary has no tiered storage.',
  'max.compaction.lag.ms': 'The longest a record may stay uncompacted.',
  'max.message.bytes': 'The largest record batch, after compression, a partition accepts.',
  'message.timestamp.type': 'CreateTime keeps the producer’s timestamps; LogAppendTime stamps the broker’s time.',
  'message.timestamp.before.max.ms': 'How far before the broker’s time a CreateTime timestamp may be.',
  'message.timestamp.after.max.ms': 'How far after the broker’s time a CreateTime timestamp may be.',
  'min.cleanable.dirty.ratio': 'The share of uncompacted bytes at which a log is compacted.',
  'min.compaction.lag.ms': 'The shortest a record stays uncompacted.',
  'min.insync.replicas': 'The smallest ISR an acks=all produce is accepted with.',
  preallocate: 'Whether a new segment file is preallocated.',
  'remote.log.copy.disable': 'Stops copying segments to tiered storage; Tributary has none.',
  'remote.log.delete.on.disable': 'Deletes tiered segments when tiered storage is turned off; Tributary has none.',
  'remote.storage.enable': 'Tiered storage for the topic; only false, as Tributary has no tiered storage.',
  'retention.bytes': 'The most bytes a partition keeps before deleting its oldest segments (-1: no limit).',
  'retention.ms': 'How long a segment is kept (-1: forever).',
  'segment.bytes': 'The size at which a segment rolls.',
  'segment.index.bytes': 'The size of a segment’s offset index.',
  'segment.jitter.ms': 'Random jitter subtracted from segment.ms.',
  'segment.ms': 'The age at which a segment rolls.',
  'unclean.leader.election.enable': 'Whether a replica outside the ISR may become leader, losing records.',
};
