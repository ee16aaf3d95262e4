/**
 * The admin APIs: CreateTopics (19), DeleteTopics (20), CreatePartitions (37), DeleteRecords
 * (21), DescribeConfigs (32), AlterConfigs (33) and IncrementalAlterConfigs (44), shaped after Kafka's
 * `*Request.json` and `*Response.json` at the versions in `api-keys.ts`.
 *
 * The per-topic and per-resource items (`admin-items.ts`) are shared with the controller:
 * a broker hands a client's CreateTopics to the controller without copying a single topic,
 * and the controller's results are the response's. Only the envelope differs: a protocol
 * request carries `apiKey` and `timeoutMs`, a controller request carries `type`.
 */
import type {
  AlterConfigsResource,
  AlterConfigsResourceResponse,
  CreatableTopic,
  CreatableTopicResult,
  CreatePartitionsTopic,
  CreatePartitionsTopicResult,
  DeletableTopicResult,
  DeleteTopicState,
  DescribeConfigsResource,
  DescribeConfigsResult,
} from './admin-items.js';
import type { ApiKey } from './api-keys.js';
import type { ErrorCode } from './common.js';

export type {
  AlterableConfig,
  AlterConfigOp,
  AlterConfigsResource,
  AlterConfigsResourceResponse,
  CreatableReplicaAssignment,
  CreatableTopic,
  CreatableTopicConfig,
  CreatableTopicResult,
  CreatePartitionsTopic,
  CreatePartitionsTopicResult,
  DeletableTopicResult,
  DeleteTopicState,
  DescribeConfigsResource,
  DescribeConfigsResourceResult,
  DescribeConfigsResult,
} from './admin-items.js';
export type { ConfigResourceType, ConfigSource } from './common.js';

// ---- CreateTopics (19) ----

export interface CreateTopicsRequest {
  readonly apiKey: typeof ApiKey.CreateTopics;
  readonly topics: readonly CreatableTopic[];
  /** How long to wait for the topics to be created on the controller. */
  readonly timeoutMs: number;
  /** Check the request without creating anything. */
  readonly validateOnly?: boolean;
}

export interface CreateTopicsResponse {
  readonly apiKey: typeof ApiKey.CreateTopics;
  readonly topics: readonly CreatableTopicResult[];
  readonly throttleTimeMs?: number;
}

// ---- DeleteTopics (20) ----

export interface DeleteTopicsRequest {
  readonly apiKey: typeof ApiKey.DeleteTopics;
  /** Each topic by name or (v6+) by id. */
  readonly topics: readonly DeleteTopicState[];
  readonly timeoutMs: number;
}

export interface DeleteTopicsResponse {
  readonly apiKey: typeof ApiKey.DeleteTopics;
  readonly responses: readonly DeletableTopicResult[];
  readonly throttleTimeMs?: number;
}

// ---- CreatePartitions (37) ----

export interface CreatePartitionsRequest {
  readonly apiKey: typeof ApiKey.CreatePartitions;
  readonly topics: readonly CreatePartitionsTopic[];
  readonly timeoutMs: number;
  readonly validateOnly?: boolean;
}

export interface CreatePartitionsResponse {
  readonly apiKey: typeof ApiKey.CreatePartitions;
  readonly results: readonly CreatePartitionsTopicResult[];
  readonly throttleTimeMs?: number;
}

// ---- DeleteRecords (21) ----

export interface DeleteRecordsPartition {
  readonly partitionIndex: number;
  /** Delete every record before this offset; -1 for the high watermark. */
  readonly offset: number;
}

export interface DeleteRecordsTopic {
  readonly name: string;
  readonly partitions: readonly DeleteRecordsPartition[];
}

export interface DeleteRecordsRequest {
  readonly apiKey: typeof ApiKey.DeleteRecords;
  readonly topics: readonly DeleteRecordsTopic[];
  readonly timeoutMs: number;
}

export interface DeleteRecordsPartitionResult {
  readonly partitionIndex: number;
  /** The partition's new log start offset; -1 on error. */
  readonly lowWatermark: number;
  readonly errorCode: ErrorCode;
}

export interface DeleteRecordsTopicResult {
  readonly name: string;
  readonly partitions: readonly DeleteRecordsPartitionResult[];
}

export interface DeleteRecordsResponse {
  readonly apiKey: typeof ApiKey.DeleteRecords;
  readonly topics: readonly DeleteRecordsTopicResult[];
  readonly throttleTimeMs?: number;
}

// ---- DescribeConfigs (32) ----

export interface DescribeConfigsRequest {
  readonly apiKey: typeof ApiKey.DescribeConfigs;
  readonly resources: readonly DescribeConfigsResource[];
  /** Also list every level that sets each config, most specific first (v1+). */
  readonly includeSynonyms?: boolean;
  /** Also send each config's documentation (v3+); Tributary answers without it. */
  readonly includeDocumentation?: boolean;
}

export interface DescribeConfigsResponse {
  readonly apiKey: typeof ApiKey.DescribeConfigs;
  readonly results: readonly DescribeConfigsResult[];
  readonly throttleTimeMs?: number;
}

// ---- AlterConfigs (33) ----

/**
 * Kafka's older way to change configs, which KafkaJS (`admin.alterConfigs`) and
 * confluent-kafka-python 1.x (`alter_configs`) use: the configs listed for a resource
 * replace all of its dynamic configs, so one not listed goes back to its default (a null
 * value removes one too).
 */
export interface AlterConfigsRequest {
  readonly apiKey: typeof ApiKey.AlterConfigs;
  readonly resources: readonly {
    readonly resourceType: AlterConfigsResource['resourceType'];
    readonly resourceName: string;
    readonly configs: readonly { readonly name: string; readonly value: string | null }[];
  }[];
  readonly validateOnly?: boolean;
}

export interface AlterConfigsResponse {
  readonly apiKey: typeof ApiKey.AlterConfigs;
  readonly responses: readonly AlterConfigsResourceResponse[];
  readonly throttleTimeMs?: number;
}

// ---- IncrementalAlterConfigs (44) ----

export interface IncrementalAlterConfigsRequest {
  readonly apiKey: typeof ApiKey.IncrementalAlterConfigs;
  readonly resources: readonly AlterConfigsResource[];
  readonly validateOnly?: boolean;
}

export interface IncrementalAlterConfigsResponse {
  readonly apiKey: typeof ApiKey.IncrementalAlterConfigs;
  readonly responses: readonly AlterConfigsResourceResponse[];
  readonly throttleTimeMs?: number;
}
