/**
 * The per-topic and per-resource items of the admin APIs (CreateTopics, DeleteTopics,
 * CreatePartitions, DescribeConfigs, IncrementalAlterConfigs), shaped after Kafka's
 * `*Request.json` and `*Response.json`. The protocol layer owns them, below the controller:
 * a broker hands a client's CreateTopics topics to the controller without copying one, and
 * the controller's results are the response's (`src/metadata/requests.ts` re-exports them).
 */
import type { ConfigResourceType, ConfigSource, ErrorCode, Uuid } from './common.js';

export interface CreatableReplicaAssignment {
  readonly partitionIndex: number;
  readonly brokerIds: readonly number[];
}

export interface CreatableTopicConfig {
  readonly name: string;
  readonly value: string | null;
}

export interface CreatableTopic {
  readonly name: string;
  /** -1 (or absent) for the controller's default `num.partitions`. Must be -1 when `assignments` is given. */
  readonly numPartitions?: number;
  /** -1 (or absent) for the controller's default `default.replication.factor`. Must be -1 when `assignments` is given. */
  readonly replicationFactor?: number;
  /** Explicit replicas for each partition, preferred leader first. */
  readonly assignments?: readonly CreatableReplicaAssignment[];
  readonly configs?: readonly CreatableTopicConfig[];
}

export interface CreatableTopicResult {
  readonly name: string;
  /** The new topic's id; the zero Uuid on error or with validateOnly. */
  readonly topicId: Uuid;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  /** -1 on error. */
  readonly numPartitions: number;
  /** -1 on error. */
  readonly replicationFactor: number;
  /** Why the configs could not be described (tagged, v5+), when they could not. */
  readonly topicConfigErrorCode?: ErrorCode;
  /** The new topic's configs (v5+), or null when not described. */
  readonly configs?: readonly CreatableTopicConfigResult[] | null;
}

export interface CreatableTopicConfigResult {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  readonly configSource: ConfigSource;
  readonly isSensitive: boolean;
}

export interface DeleteTopicState {
  /** The topic's name; give this or `topicId`. */
  readonly name?: string;
  readonly topicId?: Uuid;
}

export interface DeletableTopicResult {
  readonly name: string | null;
  readonly topicId: Uuid;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
}

export interface CreatePartitionsTopic {
  readonly name: string;
  /** The new total number of partitions. */
  readonly count: number;
  /** Replicas for each new partition, or null to let the controller place them. */
  readonly assignments?: readonly (readonly number[])[] | null;
}

export interface CreatePartitionsTopicResult {
  readonly name: string;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
}

/** Kafka's `ConfigResource.Type.BROKER_LOGGER`: a broker's loggers and their levels. */
export const brokerLoggerResourceType = 8;

/** Kafka's `AlterConfigOp.OpType`. */
export type AlterConfigOp = 'SET' | 'DELETE' | 'APPEND' | 'SUBTRACT';

export interface AlterableConfig {
  readonly name: string;
  readonly configOperation: AlterConfigOp;
  readonly value: string | null;
}

export interface AlterConfigsResource {
  /** `ConfigResourceType.Topic` (2), `.Broker` (4), or Kafka's BROKER_LOGGER (8), which the receiving broker answers itself (never the controller). */
  readonly resourceType: ConfigResourceType | typeof brokerLoggerResourceType;
  /** A topic name; for brokers, a broker id or `''` for the cluster-wide default. */
  readonly resourceName: string;
  readonly configs: readonly AlterableConfig[];
}

export interface AlterConfigsResourceResponse {
  readonly resourceType: ConfigResourceType | typeof brokerLoggerResourceType;
  readonly resourceName: string;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
}

export interface DescribeConfigsResource {
  /**
   * `ConfigResourceType.Topic` (2) or `.Broker` (4). Kafka's other types (BROKER_LOGGER 8,
   * CLIENT_METRICS 16, GROUP 32) are accepted and answered INVALID_REQUEST for that
   * resource alone, as Kafka answers a type it does not describe.
   */
  readonly resourceType: ConfigResourceType | number;
  readonly resourceName: string;
  /** The config names to describe, or null for all. Unknown names are left out, as Kafka does. */
  readonly configurationKeys?: readonly string[] | null;
}

export interface DescribeConfigsResourceResult {
  readonly name: string;
  readonly value: string;
  readonly readOnly: boolean;
  /** Kafka's `configSource`. */
  readonly source: ConfigSource;
  /** Whether the value is the default: only DescribeConfigs v0 carries it; later versions derive it from `source`. */
  readonly isDefault: boolean;
  readonly isSensitive: boolean;
  /** Where else the value is set, most specific first (v1+, when `includeSynonyms`). */
  readonly synonyms?: readonly DescribeConfigsSynonym[];
  /** Kafka's `ConfigDef.Type` id (v3+), 0 when unknown. */
  readonly configType?: number;
  /** The config's documentation (v3+, when `includeDocumentation`), or null. */
  readonly documentation?: string | null;
}

export interface DescribeConfigsSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
}

export interface DescribeConfigsResult {
  readonly resourceType: ConfigResourceType | number;
  readonly resourceName: string;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  readonly configs: readonly DescribeConfigsResourceResult[];
}
