/**
 * What a broker sends the active controller: BrokerRegistration (62), BrokerHeartbeat
 * (63), AlterPartition (56), AllocateProducerIds (67), and Envelope (58), which carries a
 * client's admin request forwarded to the controller (KIP-590). And LeaderAndIsr (4), which
 * Tributary's partition leaders send their followers (see `node/broker-link.ts`).
 *
 * Transcribed from apache/kafka `clients/src/main/resources/common/message/<Name>Request.json`
 * and `<Name>Response.json` (commit 1eb7644), restricted to the versions Tributary speaks;
 * see `spec.ts` for the conventions. One field is Tributary's own, as a tagged field with a
 * tag from 100: `offlineReplicas` on BrokerHeartbeat (Kafka names failed log directories by
 * id, `OfflineLogDirs`; every partition folder is its own log directory here).
 * @internal
 */
import { tributaryTagBase } from './kraft.js';
import type { MessageSpec } from './spec.js';

export const BrokerRegistrationRequest = {
  apiKey: 62,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '0+',
  fields: [
    { name: 'brokerId', type: 'int32', versions: '0+' },
    { name: 'clusterId', type: 'string', versions: '0+' },
    { name: 'incarnationId', type: 'uuid', versions: '0+' },
    { name: 'listeners', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'host', type: 'string', versions: '0+' },
      { name: 'port', type: 'uint16', versions: '0+' },
      { name: 'securityProtocol', type: 'int16', versions: '0+' },
    ] },
    { name: 'features', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'minSupportedVersion', type: 'int16', versions: '0+' },
      { name: 'maxSupportedVersion', type: 'int16', versions: '0+' },
    ] },
    { name: 'rack', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'isMigratingZkBroker', type: 'bool', versions: '1+', default: false },
    { name: 'logDirs', type: '[]uuid', versions: '2+', ignorable: true },
    { name: 'previousBrokerEpoch', type: 'int64', versions: '3+', default: -1, ignorable: true },
  ],
} as const satisfies MessageSpec;

export const BrokerRegistrationResponse = {
  apiKey: 62,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'brokerEpoch', type: 'int64', versions: '0+', default: -1 },
  ],
} as const satisfies MessageSpec;

export const BrokerHeartbeatRequest = {
  apiKey: 63,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'brokerId', type: 'int32', versions: '0+' },
    { name: 'brokerEpoch', type: 'int64', versions: '0+', default: -1 },
    { name: 'currentMetadataOffset', type: 'int64', versions: '0+' },
    { name: 'wantFence', type: 'bool', versions: '0+' },
    { name: 'wantShutDown', type: 'bool', versions: '0+' },
    { name: 'offlineLogDirs', type: '[]uuid', versions: '1+', taggedVersions: '1+', tag: 0 },
    { name: 'offlineReplicas', type: '[]struct', versions: '0+', taggedVersions: '0+', tag: tributaryTagBase, fields: [
      { name: 'topicId', type: 'uuid', versions: '0+' },
      { name: 'partitionIndex', type: 'int32', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const BrokerHeartbeatResponse = {
  apiKey: 63,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'isCaughtUp', type: 'bool', versions: '0+', default: false },
    { name: 'isFenced', type: 'bool', versions: '0+', default: true },
    { name: 'shouldShutDown', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const AlterPartitionRequest = {
  apiKey: 56,
  type: 'request',
  validVersions: '2-3',
  flexibleVersions: '0+',
  fields: [
    { name: 'brokerId', type: 'int32', versions: '0+' },
    { name: 'brokerEpoch', type: 'int64', versions: '0+', default: -1 },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'topicId', type: 'uuid', versions: '2+', ignorable: true },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'leaderEpoch', type: 'int32', versions: '0+' },
        { name: 'newIsr', type: '[]int32', versions: '0-2' },
        { name: 'newIsrWithEpochs', type: '[]struct', versions: '3+', fields: [
          { name: 'brokerId', type: 'int32', versions: '3+' },
          { name: 'brokerEpoch', type: 'int64', versions: '3+', default: -1 },
        ] },
        { name: 'leaderRecoveryState', type: 'int8', versions: '1+', default: 0 },
        { name: 'partitionEpoch', type: 'int32', versions: '0+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const AlterPartitionResponse = {
  apiKey: 56,
  type: 'response',
  validVersions: '2-3',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'topicId', type: 'uuid', versions: '2+', ignorable: true },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
        { name: 'leaderId', type: 'int32', versions: '0+' },
        { name: 'leaderEpoch', type: 'int32', versions: '0+' },
        { name: 'isr', type: '[]int32', versions: '0+' },
        { name: 'leaderRecoveryState', type: 'int8', versions: '1+', default: 0, ignorable: true },
        { name: 'partitionEpoch', type: 'int32', versions: '0+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const AllocateProducerIdsRequest = {
  apiKey: 67,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'brokerId', type: 'int32', versions: '0+' },
    { name: 'brokerEpoch', type: 'int64', versions: '0+', default: -1 },
  ],
} as const satisfies MessageSpec;

export const AllocateProducerIdsResponse = {
  apiKey: 67,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'producerIdStart', type: 'int64', versions: '0+' },
    { name: 'producerIdLen', type: 'int32', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const EnvelopeRequest = {
  apiKey: 58,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'requestData', type: 'bytes', versions: '0+' },
    { name: 'requestPrincipal', type: 'bytes', versions: '0+', nullableVersions: '0+' },
    { name: 'clientHostAddress', type: 'bytes', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const EnvelopeResponse = {
  apiKey: 58,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'responseData', type: 'bytes', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
  ],
} as const satisfies MessageSpec;

const leaderAndIsrPartitionState = [
  { name: 'partitionIndex', type: 'int32', versions: '0+' },
  { name: 'controllerEpoch', type: 'int32', versions: '0+' },
  { name: 'leader', type: 'int32', versions: '0+' },
  { name: 'leaderEpoch', type: 'int32', versions: '0+' },
  { name: 'isr', type: '[]int32', versions: '0+' },
  { name: 'partitionEpoch', type: 'int32', versions: '0+' },
  { name: 'replicas', type: '[]int32', versions: '0+' },
  { name: 'addingReplicas', type: '[]int32', versions: '3+', ignorable: true },
  { name: 'removingReplicas', type: '[]int32', versions: '3+', ignorable: true },
  { name: 'isNew', type: 'bool', versions: '1+', default: false, ignorable: true },
  { name: 'leaderRecoveryState', type: 'int8', versions: '6+', default: 0 },
] as const;

/** LeaderAndIsr (4) at v7, its last version (Kafka 4.0 removed it with ZooKeeper). */
export const LeaderAndIsrRequest = {
  apiKey: 4,
  type: 'request',
  validVersions: '7',
  flexibleVersions: '4+',
  fields: [
    { name: 'controllerId', type: 'int32', versions: '0+' },
    { name: 'isKRaftController', type: 'bool', versions: '7+', default: false },
    { name: 'controllerEpoch', type: 'int32', versions: '0+' },
    { name: 'brokerEpoch', type: 'int64', versions: '2+', ignorable: true, default: -1 },
    { name: 'type', type: 'int8', versions: '5+' },
    { name: 'topicStates', type: '[]struct', versions: '2+', fields: [
      { name: 'topicName', type: 'string', versions: '2+' },
      { name: 'topicId', type: 'uuid', versions: '5+', ignorable: true },
      { name: 'partitionStates', type: '[]struct', versions: '2+', fields: leaderAndIsrPartitionState },
    ] },
    { name: 'liveLeaders', type: '[]struct', versions: '0+', fields: [
      { name: 'brokerId', type: 'int32', versions: '0+' },
      { name: 'hostName', type: 'string', versions: '0+' },
      { name: 'port', type: 'int32', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const LeaderAndIsrResponse = {
  apiKey: 4,
  type: 'response',
  validVersions: '7',
  flexibleVersions: '4+',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'topics', type: '[]struct', versions: '5+', fields: [
      { name: 'topicId', type: 'uuid', versions: '5+' },
      { name: 'partitionErrors', type: '[]struct', versions: '5+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;
