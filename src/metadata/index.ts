/**
 * Cluster metadata: KRaft-style records, the `MetadataImage` built by replaying them, and
 * the pure `Controller` that decides which records to write. Everything here is pure:
 * no I/O, no timers, no clock; the metadata quorum (Raft plus this controller) is
 * composed elsewhere.
 */
export { ApiKey, ConfigResourceType, noLeader, partitionReplicasMax, brokerEndpointsMax, metadataInt64Max, metadataFrameVersion } from './records.js';
export {
  encodeMetadataRecord,
  decodeMetadataRecord,
  encodeMetadataRecords,
  decodeMetadataRecords,
  forEachMetadataRecord,
  metadataRecordName,
  MetadataRecordsWriter,
} from './records.js';
export type {
  MetadataRecord,
  BrokerEndpoint,
  RegisterBrokerRecord,
  UnregisterBrokerRecord,
  TopicRecord,
  PartitionRecord,
  PartitionChangeRecord,
  ConfigRecord,
  FenceBrokerRecord,
  UnfenceBrokerRecord,
  RemoveTopicRecord,
  FeatureLevelRecord,
  ProducerIdsRecord,
  NoOpRecord,
} from './records.js';
export { type Uuid, randomUuid, isUuid, uuidFromBytes, uuidToBytes, zeroUuid, metadataTopicId } from './uuid.js';
export {
  MetadataImage,
  MetadataDelta,
  TopicImage,
  PartitionRegistration,
  BrokerRegistration,
  imageDifference,
  replayRecords,
  snapshot,
  snapshotRecords,
  restore,
  snapshotChunkBytesMax,
  type MetadataView,
  type ConfigMap,
} from './image.js';
export { PersistentMap, PersistentMapBuilder } from './persistent-map.js';
export {
  Controller,
  defaultControllerConfig,
  describeConfigs,
  partitionsPerTopicMax,
  producerIdBlockSize,
  uncommittedRecordsMax,
  type ControllerConfig,
  type ControllerOptions,
  type TickOutcome,
} from './controller.js';
export {
  topicConfigDefs,
  brokerConfigDefs,
  configValueProblem,
  effectiveTopicConfig,
  effectiveBrokerConfig,
  type ConfigDef,
  type ConfigSource,
  type EffectiveConfig,
} from './configs.js';
export { placeReplicas } from './placement.js';
export { electLeader, removeReplica } from './election.js';
export type * from './requests.js';
