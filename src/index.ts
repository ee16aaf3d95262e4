/**
 * Tributary: Kafka inside your Node.js process.
 *
 * This file is the list of the public API; everything not exported here is internal.
 * @packageDocumentation
 */
export { TributaryError, isTributaryError, type TributaryErrorContext } from './util/errors.js';
export { errorCodes, type ErrorCode, type ErrorCodeInfo } from './util/error-codes.js';

export { systemClock, SimulatedClock, type Clock } from './util/clock.js';

// The record format: Kafka's record batch v2.
export {
  encodeBatch,
  decodeBatch,
  decodeBatches,
  codecFor,
  type Codec,
  type DecodeBatchOptions,
  type EncodeBatchOptions,
} from './record/codecs/index.js';
export {
  compressionTypes,
  iterateBatches,
  readBatchHeader,
  type BatchHeader,
  type BatchSlice,
  type CompressionType,
  type DecodedRecord,
  type RecordHeader,
  type RecordInput,
  type TimestampType,
} from './record/batch.js';

// The partition log.
export { PartitionLog, type PartitionLogOptions, type LogStats } from './storage/partition-log.js';
export { MemoryLog } from './storage/memory-log.js';
export {
  defaultLogConfig,
  type Log,
  type LogConfig,
  type FlushPolicy,
  type CleanupPolicy,
  type LogAppendInfo,
  type AppendOptions,
  type ReadOptions,
  type LogReadResult,
  type EpochEntry,
  type RecoveryReport,
} from './storage/log.js';

// Client building blocks.
export { partitionForKey, type Partitioner } from './client/partitioner.js';
export { serdes, type Serde } from './client/serde.js';

// The cluster and its clients.
export { Cluster, type ClusterOptions, type ClusterNodeInfo } from './cluster.js';
export type { BrokerConfig } from './broker/broker.js';
export type { MetadataImage } from './metadata/image.js';
export { connect, RemoteCluster, type ConnectOptions } from './connect.js';
export type { SaslClientOptions } from './transport/tcp/client-sasl.js';
export type { ListenOptions } from './cluster-listeners.js';
export type { SaslMechanism, SaslOptions } from './transport/tcp/sasl.js';
export type { TlsOptions } from './transport/tcp/listener.js';
export { Producer } from './client/producer.js';
export { RecordMetadataList } from './client/record-metadata-list.js';
export type { ProducerRecord, ProducerHeader, RecordMetadata } from './client/accumulator.js';
export { Consumer, type ConsumerRecord, type ConsumerBatch, type TopicPartition, type SeekTarget } from './client/consumer.js';
export type { OffsetAndTimestamp, TopicPartitionOffset, TopicPartitionTimestamp } from './client/consumer-offsets.js';
export {
  Topic,
  type TopicSerdes,
  type TopicClients,
  type TypedProducerRecord,
  type TypedConsumerRecord,
  type ConsumeOptions,
  type TopicStream,
  type SerdeLike,
} from './client/topic.js';
export type { ProducerOptions, ConsumerOptions, AutoOffsetReset } from './client/options.js';
export {
  Admin,
  type AdminOptions,
  type NewTopic,
  type CreateTopicsOptions,
  type TopicDescription,
  type PartitionDescription,
  type ConfigEntry,
  type OffsetSpec,
  type PartitionOffset,
  type ClusterDescription,
  type GroupListing,
  type GroupDescription,
} from './client/admin.js';
export type { Transport, SendOptions } from './transport/transport.js';
export { connectHandle, ConnectedCluster, type ClusterHandle, type ConnectHandleOptions } from './connect-handle.js';

// Logs, diagnostics channels and metrics.
export type { Logger, LogLevel } from './util/logger.js';
export {
  diagnosticChannels,
  type ProduceEvent,
  type FetchEvent,
  type GroupRebalanceEvent,
  type ElectionEvent,
  type FencingEvent,
  type RecoveryEvent,
} from './util/channels.js';
export type { LatencySummary } from './util/metrics.js';
export type { ClusterMetrics, TopicTraffic } from './observe/cluster-metrics.js';
export type { ConsumerMetrics, ConsumerPartitionMetrics, ProducerMetrics } from './client/client-metrics.js';
export { prometheusText } from './observe/prometheus.js';

// The metadata quorum on its own (a Cluster runs one inside).
export { MetadataQuorum, type MetadataQuorumOptions, type SubmitOptions } from './controller/metadata-quorum.js';

// Consumer groups.
export {
  ConsumerGroup,
  type ConsumerGroupOptions,
  type RebalanceEvent,
  type RebalanceHandler,
  type PartitionLag,
  type TypedConsumerBatch,
  type OffsetToCommit,
  type AssignorName,
  type RunHandlers,
} from './client/consumer-group.js';
