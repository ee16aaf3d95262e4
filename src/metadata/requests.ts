/**
 * The requests the controller handles and their responses, shaped after Kafka's
 * (`clients/src/main/resources/common/message/*Request.json`): the same names, the same
 * per-item results, and an `errorCode` that is one of Kafka's error names. A request that
 * is invalid gets its error in the response; the controller never throws for one.
 */
import type { ErrorCode } from '../util/error-codes.js';
import type { ConfigSource } from './configs.js';
import type { BrokerEndpoint, ConfigResourceType, MetadataRecord } from './records.js';
import type { Uuid } from './uuid.js';
import type {
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
  DescribeConfigsSynonym,
} from '../protocol/admin-items.js';

// The per-topic and per-resource items of the admin requests are the protocol's (the client
// sends them, the controller answers them); they are re-exported here for the controller.
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
  DescribeConfigsSynonym,
};

/** What `Controller.handle` returns: records to append through Raft, and the response that is valid once they commit. */
export interface ControllerResult<R> {
  /** Records to append in this order; empty when nothing changes. */
  readonly records: readonly MetadataRecord[];
  readonly response: R;
  /**
   * `false` for the controller's own work whose records stand alone (fencing and
   * unfencing a broker, its registration, ISR changes: each partition's record is whole by
   * itself), which may go into as many metadata log entries as it needs, as Kafka writes a
   * non-atomic `ControllerResult` in several batches. Otherwise (a user's operation) the
   * records are one entry, all or nothing. Default `true`.
   */
  readonly atomic?: boolean;
}

// ---- CreateTopics (19) ----

export interface CreateTopicsRequest {
  readonly type: 'CreateTopics';
  readonly topics: readonly CreatableTopic[];
  /** Validate only: write nothing. */
  readonly validateOnly?: boolean;
}

export interface CreateTopicsResponse {
  readonly topics: readonly CreatableTopicResult[];
}

// ---- DeleteTopics (20) ----

export interface DeleteTopicsRequest {
  readonly type: 'DeleteTopics';
  readonly topics: readonly DeleteTopicState[];
}

export interface DeleteTopicsResponse {
  readonly responses: readonly DeletableTopicResult[];
}

// ---- CreatePartitions (37) ----

export interface CreatePartitionsRequest {
  readonly type: 'CreatePartitions';
  readonly topics: readonly CreatePartitionsTopic[];
  readonly validateOnly?: boolean;
}

export interface CreatePartitionsResponse {
  readonly results: readonly CreatePartitionsTopicResult[];
}

// ---- IncrementalAlterConfigs (44) and DescribeConfigs (32) ----

export interface IncrementalAlterConfigsRequest {
  readonly type: 'IncrementalAlterConfigs';
  readonly resources: readonly AlterConfigsResource[];
  readonly validateOnly?: boolean;
  /**
   * AlterConfigs (33), Kafka's older API: the configs listed replace the resource's
   * dynamic configs, so each one set now and not listed is deleted in the same change.
   */
  readonly replace?: boolean;
}

export interface IncrementalAlterConfigsResponse {
  readonly responses: readonly AlterConfigsResourceResponse[];
}

export interface DescribeConfigsRequest {
  readonly type: 'DescribeConfigs';
  readonly resources: readonly DescribeConfigsResource[];
  /** Also list every level that sets each config (`synonyms`), as Kafka's DescribeConfigs v1+. */
  readonly includeSynonyms?: boolean;
  /** Also send each config's documentation, as Kafka's DescribeConfigs v3+. */
  readonly includeDocumentation?: boolean;
}

export interface DescribeConfigsResponse {
  readonly results: readonly DescribeConfigsResult[];
}

// ---- BrokerRegistration (62), BrokerHeartbeat (63), UnregisterBroker (64) ----

export interface BrokerRegistrationRequest {
  readonly type: 'BrokerRegistration';
  readonly brokerId: number;
  /** Checked against the controller's cluster id when it has one. */
  readonly clusterId?: string;
  /** A Uuid the broker process picks at start: a new one is a new incarnation. */
  readonly incarnationId: Uuid;
  readonly listeners?: readonly BrokerEndpoint[];
  readonly rack?: string | null;
}

export interface BrokerRegistrationResponse {
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  /** The broker's epoch: the offset of its RegisterBroker record; -1 on error. */
  readonly brokerEpoch: number;
}

export interface BrokerHeartbeatRequest {
  readonly type: 'BrokerHeartbeat';
  readonly brokerId: number;
  readonly brokerEpoch: number;
  /** The offset of the last metadata record the broker has replayed. */
  readonly currentMetadataOffset: number;
  /** The broker asks to be (or stay) fenced. */
  readonly wantFence?: boolean;
  /** The broker is shutting down. */
  readonly wantShutDown?: boolean;
  /**
   * Replicas whose storage failed on this broker (Kafka's `OfflineLogDirs`, per partition
   * here: each partition folder is its own log directory). The controller moves their
   * leadership away and takes them out of their ISRs.
   */
  readonly offlineReplicas?: readonly { readonly topicId: Uuid; readonly partitionIndex: number }[];
}

export interface BrokerHeartbeatResponse {
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  /** Whether the broker has replayed its own registration record. */
  readonly isCaughtUp: boolean;
  readonly isFenced: boolean;
  /** Whether the broker may shut down now. */
  readonly shouldShutDown: boolean;
}

export interface UnregisterBrokerRequest {
  readonly type: 'UnregisterBroker';
  readonly brokerId: number;
}

export interface UnregisterBrokerResponse {
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
}

// ---- AlterPartition (56) ----

export interface AlterPartitionPartition {
  readonly partitionIndex: number;
  /** The leader epoch the leader believes is current. */
  readonly leaderEpoch: number;
  readonly newIsr: readonly number[];
  /** The partition epoch the leader believes is current. */
  readonly partitionEpoch: number;
}

export interface AlterPartitionTopic {
  readonly topicId: Uuid;
  readonly partitions: readonly AlterPartitionPartition[];
}

export interface AlterPartitionRequest {
  readonly type: 'AlterPartition';
  /** The partition leader asking. */
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly topics: readonly AlterPartitionTopic[];
}

export interface AlterPartitionPartitionResult {
  readonly partitionIndex: number;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  /** The partition's state after the change (or as it is, on error when the partition exists; -1 otherwise). */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
}

export interface AlterPartitionTopicResult {
  readonly topicId: Uuid;
  readonly partitions: readonly AlterPartitionPartitionResult[];
}

export interface AlterPartitionResponse {
  /** A request-level error (a stale broker epoch); per-partition errors are in `topics`. */
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  readonly topics: readonly AlterPartitionTopicResult[];
}

// ---- ElectLeaders (43) ----

/** Kafka's `ElectionType`: PREFERRED (0) or UNCLEAN (1). */
export type ElectionType = 'PREFERRED' | 'UNCLEAN';

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface ElectLeadersRequest {
  readonly type: 'ElectLeaders';
  readonly electionType: ElectionType;
  /** The partitions to elect leaders for, or null for every partition. */
  readonly topicPartitions: readonly TopicPartitions[] | null;
}

export interface PartitionElectionResult {
  readonly partitionId: number;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
}

export interface ReplicaElectionResult {
  readonly topic: string;
  readonly partitionResult: readonly PartitionElectionResult[];
}

export interface ElectLeadersResponse {
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  readonly replicaElectionResults: readonly ReplicaElectionResult[];
}

// ---- AllocateProducerIds (67) ----

export interface AllocateProducerIdsRequest {
  readonly type: 'AllocateProducerIds';
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

export interface AllocateProducerIdsResponse {
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  /** The first id of the block; -1 on error. */
  readonly producerIdStart: number;
  /** Ids in the block; 0 on error. */
  readonly producerIdLen: number;
}

/** Each request type with its response type. */
export interface ControllerApis {
  CreateTopics: [CreateTopicsRequest, CreateTopicsResponse];
  DeleteTopics: [DeleteTopicsRequest, DeleteTopicsResponse];
  CreatePartitions: [CreatePartitionsRequest, CreatePartitionsResponse];
  IncrementalAlterConfigs: [IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse];
  DescribeConfigs: [DescribeConfigsRequest, DescribeConfigsResponse];
  BrokerRegistration: [BrokerRegistrationRequest, BrokerRegistrationResponse];
  BrokerHeartbeat: [BrokerHeartbeatRequest, BrokerHeartbeatResponse];
  UnregisterBroker: [UnregisterBrokerRequest, UnregisterBrokerResponse];
  AlterPartition: [AlterPartitionRequest, AlterPartitionResponse];
  ElectLeaders: [ElectLeadersRequest, ElectLeadersResponse];
  AllocateProducerIds: [AllocateProducerIdsRequest, AllocateProducerIdsResponse];
}

/** Any request the controller handles. */
export type ControllerRequest = ControllerApis[keyof ControllerApis][0];

/** The response type for a request type. */
export type ControllerResponse<R extends ControllerRequest> = ControllerApis[R['type']][1];
