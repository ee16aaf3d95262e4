/**
 * Fetch (1), ListOffsets (2) and OffsetForLeaderEpoch (23).
 *
 * Transcribed from apache/kafka `clients/src/main/resources/common/message/<Name>Request.json`
 * and `<Name>Response.json` (commit 1eb7644), restricted to the versions Tributary speaks; see
 * `spec.ts` for the conventions.
 * @internal
 */
import type { MessageSpec } from './spec.js';

export const FetchRequest = {
  apiKey: 1,
  type: 'request',
  validVersions: '4-12',
  flexibleVersions: '12+',
  fields: [
    { name: 'clusterId', type: 'string', versions: '12+', nullableVersions: '12+', taggedVersions: '12+', tag: 0, default: null, ignorable: true },
    { name: 'replicaId', type: 'int32', versions: '4-12', default: -1 },
    { name: 'maxWaitMs', type: 'int32', versions: '4+' },
    { name: 'minBytes', type: 'int32', versions: '4+' },
    { name: 'maxBytes', type: 'int32', versions: '4+', default: 2147483647, ignorable: true },
    { name: 'isolationLevel', type: 'int8', versions: '4+', default: 0, ignorable: true },
    { name: 'sessionId', type: 'int32', versions: '7+', default: 0, ignorable: true },
    { name: 'sessionEpoch', type: 'int32', versions: '7+', default: -1, ignorable: true },
    { name: 'topics', type: '[]struct', versions: '4+', fields: [
      { name: 'topic', type: 'string', versions: '4-12', ignorable: true },
      { name: 'partitions', type: '[]struct', versions: '4+', fields: [
        { name: 'partition', type: 'int32', versions: '4+' },
        { name: 'currentLeaderEpoch', type: 'int32', versions: '9+', default: -1, ignorable: true },
        { name: 'fetchOffset', type: 'int64', versions: '4+' },
        { name: 'lastFetchedEpoch', type: 'int32', versions: '12+', default: -1 },
        { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1, ignorable: true },
        { name: 'partitionMaxBytes', type: 'int32', versions: '4+' },
      ] },
    ] },
    { name: 'forgottenTopicsData', type: '[]struct', versions: '7+', fields: [
      { name: 'topic', type: 'string', versions: '7-12', ignorable: true },
      { name: 'partitions', type: '[]int32', versions: '7+' },
    ] },
    { name: 'rackId', type: 'string', versions: '11+', default: '', ignorable: true },
  ],
} as const satisfies MessageSpec;

export const FetchResponse = {
  apiKey: 1,
  type: 'response',
  validVersions: '4-12',
  flexibleVersions: '12+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '4+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '7+', ignorable: true, map: 'error' },
    { name: 'sessionId', type: 'int32', versions: '7+', default: 0 },
    { name: 'responses', type: '[]struct', versions: '4+', fields: [
      { name: 'topic', type: 'string', versions: '4-12', ignorable: true },
      { name: 'partitions', type: '[]struct', versions: '4+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '4+' },
        { name: 'errorCode', type: 'int16', versions: '4+', map: 'error' },
        { name: 'highWatermark', type: 'int64', versions: '4+' },
        { name: 'lastStableOffset', type: 'int64', versions: '4+', default: -1, ignorable: true },
        { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1, ignorable: true },
        { name: 'divergingEpoch', type: 'struct', versions: '12+', taggedVersions: '12+', tag: 0, fields: [
          { name: 'epoch', type: 'int32', versions: '12+', default: -1 },
          { name: 'endOffset', type: 'int64', versions: '12+', default: -1 },
        ] },
        { name: 'currentLeader', type: 'struct', versions: '12+', taggedVersions: '12+', tag: 1, fields: [
          { name: 'leaderId', type: 'int32', versions: '12+', default: -1 },
          { name: 'leaderEpoch', type: 'int32', versions: '12+', default: -1 },
        ] },
        { name: 'snapshotId', type: 'struct', versions: '12+', taggedVersions: '12+', tag: 2, fields: [
          { name: 'endOffset', type: 'int64', versions: '4+', default: -1 },
          { name: 'epoch', type: 'int32', versions: '4+', default: -1 },
        ] },
        { name: 'abortedTransactions', type: '[]struct', versions: '4+', nullableVersions: '4+', ignorable: true, fields: [
          { name: 'producerId', type: 'int64', versions: '4+' },
          { name: 'firstOffset', type: 'int64', versions: '4+' },
        ] },
        { name: 'preferredReadReplica', type: 'int32', versions: '11+', default: -1 },
        { name: 'records', type: 'records', versions: '4+', nullableVersions: '4+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const ListOffsetsRequest = {
  apiKey: 2,
  type: 'request',
  validVersions: '1-7',
  flexibleVersions: '6+',
  fields: [
    { name: 'replicaId', type: 'int32', versions: '1+' },
    { name: 'isolationLevel', type: 'int8', versions: '2+' },
    { name: 'topics', type: '[]struct', versions: '1+', fields: [
      { name: 'name', type: 'string', versions: '1+' },
      { name: 'partitions', type: '[]struct', versions: '1+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '1+' },
        { name: 'currentLeaderEpoch', type: 'int32', versions: '4+', default: -1, ignorable: true },
        { name: 'timestamp', type: 'int64', versions: '1+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const ListOffsetsResponse = {
  apiKey: 2,
  type: 'response',
  validVersions: '1-7',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    { name: 'topics', type: '[]struct', versions: '1+', fields: [
      { name: 'name', type: 'string', versions: '1+' },
      { name: 'partitions', type: '[]struct', versions: '1+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '1+' },
        { name: 'errorCode', type: 'int16', versions: '1+', map: 'error' },
        { name: 'timestamp', type: 'int64', versions: '1+', default: -1 },
        { name: 'offset', type: 'int64', versions: '1+', default: -1 },
        { name: 'leaderEpoch', type: 'int32', versions: '4+', default: -1 },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const OffsetForLeaderEpochRequest = {
  apiKey: 23,
  type: 'request',
  validVersions: '2-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'replicaId', type: 'int32', versions: '3+', default: -2, ignorable: true },
    { name: 'topics', type: '[]struct', versions: '2+', fields: [
      { name: 'topic', type: 'string', versions: '2+' },
      { name: 'partitions', type: '[]struct', versions: '2+', fields: [
        { name: 'partition', type: 'int32', versions: '2+' },
        { name: 'currentLeaderEpoch', type: 'int32', versions: '2+', default: -1, ignorable: true },
        { name: 'leaderEpoch', type: 'int32', versions: '2+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const OffsetForLeaderEpochResponse = {
  apiKey: 23,
  type: 'response',
  validVersions: '2-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    { name: 'topics', type: '[]struct', versions: '2+', fields: [
      { name: 'topic', type: 'string', versions: '2+' },
      { name: 'partitions', type: '[]struct', versions: '2+', fields: [
        { name: 'errorCode', type: 'int16', versions: '2+', map: 'error' },
        { name: 'partition', type: 'int32', versions: '2+' },
        { name: 'leaderEpoch', type: 'int32', versions: '2+', default: -1, ignorable: true },
        { name: 'endOffset', type: 'int64', versions: '2+', default: -1 },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

