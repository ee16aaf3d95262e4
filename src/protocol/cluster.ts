/**
 * ApiVersions (18), Metadata (3) and DescribeCluster (60): how a client learns what the
 * cluster speaks and where each partition's leader is. Shaped after Kafka's
 * `ApiVersionsRequest.json` (v3), `MetadataRequest.json` (v12), `DescribeClusterRequest.json`
 * (v1) and their responses.
 */
import type { ApiKey } from './api-keys.js';
import type { ErrorCode, Uuid } from './common.js';

// ---- ApiVersions (18) ----

export interface ApiVersionsRequest {
  readonly apiKey: typeof ApiKey.ApiVersions;
  /** The client's name (v3+), such as `librdkafka`; '' when not sent. */
  readonly clientSoftwareName?: string;
  /** The client's version (v3+); '' when not sent. */
  readonly clientSoftwareVersion?: string;
}

/** One API the broker supports, with its version range. */
export interface ApiVersion {
  /** The API's number. Any number, not only the ones Tributary speaks: a response may come from another broker. */
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface SupportedFeatureKey {
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface FinalizedFeatureKey {
  readonly name: string;
  readonly maxVersionLevel: number;
  readonly minVersionLevel: number;
}

export interface ApiVersionsResponse {
  readonly apiKey: typeof ApiKey.ApiVersions;
  /** UNSUPPORTED_VERSION when the client asked for a version above ours; `apiKeys` still lists ours (KIP-511). */
  readonly errorCode: ErrorCode;
  readonly apiKeys: readonly ApiVersion[];
  readonly throttleTimeMs?: number;
  /** Tagged (v3+). */
  readonly supportedFeatures?: readonly SupportedFeatureKey[];
  /** Tagged (v3+); -1 when unknown. */
  readonly finalizedFeaturesEpoch?: number;
  /** Tagged (v3+). */
  readonly finalizedFeatures?: readonly FinalizedFeatureKey[];
  /** Tagged (v3+); always false: there is no ZooKeeper to migrate from. */
  readonly zkMigrationReady?: boolean;
}

// ---- Metadata (3) ----

export interface MetadataRequestTopic {
  /** The topic's id (v10+), or the zero Uuid to name it by `name`. */
  readonly topicId?: Uuid;
  /** The topic's name; null only with a `topicId` (v10+). */
  readonly name: string | null;
}

export interface MetadataRequest {
  readonly apiKey: typeof ApiKey.Metadata;
  /** The topics wanted; null for every topic; empty for none (brokers only). */
  readonly topics: readonly MetadataRequestTopic[] | null;
  /** Whether the broker may create the requested topics that do not exist, when `auto.create.topics.enable` allows. */
  readonly allowAutoTopicCreation: boolean;
  /** v8 to v10 only. */
  readonly includeClusterAuthorizedOperations?: boolean;
  readonly includeTopicAuthorizedOperations?: boolean;
}

export interface MetadataResponseBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface MetadataResponsePartition {
  readonly errorCode: ErrorCode;
  readonly partitionIndex: number;
  /** The leader's broker id, or -1. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicaNodes: readonly number[];
  readonly isrNodes: readonly number[];
  readonly offlineReplicas: readonly number[];
}

export interface MetadataResponseTopic {
  readonly errorCode: ErrorCode;
  /** The topic's name; null only when it was asked for by an id that is unknown (v12+). */
  readonly name: string | null;
  /** The zero Uuid when unknown. */
  readonly topicId: Uuid;
  readonly isInternal: boolean;
  readonly partitions: readonly MetadataResponsePartition[];
  /** A bit field of authorized operations, or -2147483648 when not asked for. */
  readonly topicAuthorizedOperations: number;
}

export interface MetadataResponse {
  readonly apiKey: typeof ApiKey.Metadata;
  readonly brokers: readonly MetadataResponseBroker[];
  readonly clusterId: string | null;
  /** The controller's id, or -1. In KRaft, a random live broker (brokers forward admin writes). */
  readonly controllerId: number;
  readonly topics: readonly MetadataResponseTopic[];
  /** v8 to v10 only; -2147483648 when not asked for. */
  readonly clusterAuthorizedOperations?: number;
  readonly throttleTimeMs?: number;
}

// ---- DescribeCluster (60) ----

/** Which endpoints DescribeCluster describes (v1+): 1 brokers, 2 controllers. */
export const EndpointType = { Broker: 1, Controller: 2 } as const;
export type EndpointType = (typeof EndpointType)[keyof typeof EndpointType];

export interface DescribeClusterRequest {
  readonly apiKey: typeof ApiKey.DescribeCluster;
  readonly includeClusterAuthorizedOperations: boolean;
  readonly endpointType?: EndpointType;
}

export interface DescribeClusterBroker {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface DescribeClusterResponse {
  readonly apiKey: typeof ApiKey.DescribeCluster;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  readonly endpointType?: EndpointType;
  readonly clusterId: string;
  /** The controller's id, or -1. */
  readonly controllerId: number;
  readonly brokers: readonly DescribeClusterBroker[];
  readonly clusterAuthorizedOperations: number;
  readonly throttleTimeMs?: number;
}
