/**
 * Values shared by several APIs: Kafka's special ids, timestamps and enumerations, as the
 * numbers the wire carries (so the codec copies them), named as Kafka's Java client names
 * them.
 */
export type { ErrorCode } from '../util/error-codes.js';
export type { Uuid } from '../util/uuid.js';

/** Kafka's `ConfigResource.Type` numbers, as DescribeConfigs, IncrementalAlterConfigs and ConfigRecord carry them. */
export const ConfigResourceType = { Topic: 2, Broker: 4 } as const;
export type ConfigResourceType = (typeof ConfigResourceType)[keyof typeof ConfigResourceType];

/**
 * Where an effective config value came from: Kafka's `DescribeConfigsResponse` ConfigSource
 * names. The wire carries them as int8 (`configSourceNumbers`).
 */
export type ConfigSource =
  | 'UNKNOWN'
  | 'TOPIC_CONFIG'
  | 'DYNAMIC_BROKER_CONFIG'
  | 'DYNAMIC_DEFAULT_BROKER_CONFIG'
  | 'STATIC_BROKER_CONFIG'
  | 'DEFAULT_CONFIG'
  | 'DYNAMIC_BROKER_LOGGER_CONFIG'
  | 'CLIENT_METRICS_CONFIG'
  | 'GROUP_CONFIG';

/** Kafka's `IsolationLevel`: which records a Fetch or ListOffsets may see. */
export const IsolationLevel = {
  /** Everything up to the high watermark, aborted transactions included. */
  ReadUncommitted: 0,
  /** Everything up to the last stable offset, without aborted transactional records. */
  ReadCommitted: 1,
} as const;
export type IsolationLevel = (typeof IsolationLevel)[keyof typeof IsolationLevel];

/** The replica id a consumer sends in Fetch, ListOffsets and OffsetForLeaderEpoch (`CONSUMER_REPLICA_ID`). */
export const consumerReplicaId = -1;
/** The replica id of a debugging consumer, which may read past the high watermark (`DEBUGGING_REPLICA_ID`). */
export const debuggingReplicaId = -2;

/** The special timestamps of ListOffsets. Any value >= 0 asks for the first offset whose timestamp is at least it. */
export const ListOffsetsTimestamp = {
  /** The log end offset (for read_committed, the last stable offset): `LATEST_TIMESTAMP`. */
  Latest: -1,
  /** The log start offset: `EARLIEST_TIMESTAMP`. */
  Earliest: -2,
  /** The offset of the record with the largest timestamp (v7+): `MAX_TIMESTAMP`. */
  MaxTimestamp: -3,
} as const;

/** "No leader epoch known", in every field that carries one (`RecordBatch.NO_PARTITION_LEADER_EPOCH`). */
export const noLeaderEpoch = -1;

/** Kafka's `CoordinatorType`, the `keyType` of FindCoordinator. */
export const CoordinatorType = { Group: 0, Transaction: 1 } as const;
export type CoordinatorType = (typeof CoordinatorType)[keyof typeof CoordinatorType];

/** "Authorized operations not requested" in Metadata, DescribeGroups and DescribeCluster. */
export const authorizedOperationsOmitted = -2147483648;
