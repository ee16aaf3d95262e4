/**
 * KRaft's own messages, between the members of the metadata quorum: Vote (52),
 * BeginQuorumEpoch (53), FetchSnapshot (59), and Fetch (1) in the form KRaft sends it
 * (topics by id, `ReplicaState`, v15-17; the client-facing Fetch description in `fetch.ts`
 * stops at v12, where topics are still named).
 *
 * Transcribed from apache/kafka `clients/src/main/resources/common/message/<Name>Request.json`
 * and `<Name>Response.json` (commit 1eb7644, the one `cluster.ts` names), restricted to the
 * versions Tributary speaks; see `spec.ts` for the conventions.
 *
 * Two fields are Tributary's own, as tagged fields with tags from 100 (clear of Kafka's, and
 * skipped by any Kafka decoder, as KIP-482 has unknown tags skipped): `preVote` on a Vote
 * partition (KIP-996 pre-vote; newer Kafka carries it as `PreVote` in Vote v2) and
 * `highWatermark` on a Fetch partition (the fetcher's own high watermark, which the leader
 * uses to park a caught-up fetch; newer Kafka carries it as a Fetch v18 tagged field,
 * KIP-1166). docs/design/raft.md has the whole mapping.
 * @internal
 */
import type { MessageSpec } from './spec.js';

/** Tributary's first tag for its own tagged fields. */
export const tributaryTagBase = 100;

const nodeEndpoint = [
  { name: 'nodeId', type: 'int32', versions: '1+' },
  { name: 'host', type: 'string', versions: '1+' },
  { name: 'port', type: 'uint16', versions: '1+' },
] as const;

export const VoteRequest = {
  apiKey: 52,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'clusterId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'voterId', type: 'int32', versions: '1+', ignorable: true, default: -1 },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'topicName', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'candidateEpoch', type: 'int32', versions: '0+' },
        { name: 'candidateId', type: 'int32', versions: '0+' },
        { name: 'candidateDirectoryId', type: 'uuid', versions: '1+', ignorable: true },
        { name: 'voterDirectoryId', type: 'uuid', versions: '1+', ignorable: true },
        { name: 'lastOffsetEpoch', type: 'int32', versions: '0+' },
        { name: 'lastOffset', type: 'int64', versions: '0+' },
        { name: 'preVote', type: 'bool', versions: '0+', taggedVersions: '0+', tag: tributaryTagBase, default: false },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const VoteResponse = {
  apiKey: 52,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'topicName', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
        { name: 'leaderId', type: 'int32', versions: '0+' },
        { name: 'leaderEpoch', type: 'int32', versions: '0+' },
        { name: 'voteGranted', type: 'bool', versions: '0+' },
      ] },
    ] },
    { name: 'nodeEndpoints', type: '[]struct', versions: '1+', taggedVersions: '1+', tag: 0, fields: nodeEndpoint },
  ],
} as const satisfies MessageSpec;

export const BeginQuorumEpochRequest = {
  apiKey: 53,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    { name: 'clusterId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'voterId', type: 'int32', versions: '1+', ignorable: true },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'topicName', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'voterDirectoryId', type: 'uuid', versions: '1+', ignorable: true },
        { name: 'leaderId', type: 'int32', versions: '0+' },
        { name: 'leaderEpoch', type: 'int32', versions: '0+' },
      ] },
    ] },
    { name: 'leaderEndpoints', type: '[]struct', versions: '1+', ignorable: true, fields: [
      { name: 'name', type: 'string', versions: '1+' },
      { name: 'host', type: 'string', versions: '1+' },
      { name: 'port', type: 'uint16', versions: '1+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const BeginQuorumEpochResponse = {
  apiKey: 53,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'topicName', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
        { name: 'leaderId', type: 'int32', versions: '0+' },
        { name: 'leaderEpoch', type: 'int32', versions: '0+' },
      ] },
    ] },
    { name: 'nodeEndpoints', type: '[]struct', versions: '1+', taggedVersions: '1+', tag: 0, fields: nodeEndpoint },
  ],
} as const satisfies MessageSpec;

/** Fetch (1) as KRaft sends it: v15-17, topics by id, the fetcher in `replicaState`. */
export const FetchRequestKRaft = {
  apiKey: 1,
  type: 'request',
  validVersions: '15-17',
  flexibleVersions: '12+',
  fields: [
    { name: 'clusterId', type: 'string', versions: '12+', nullableVersions: '12+', default: null, taggedVersions: '12+', tag: 0, ignorable: true },
    { name: 'replicaState', type: 'struct', versions: '15+', taggedVersions: '15+', tag: 1, fields: [
      { name: 'replicaId', type: 'int32', versions: '15+', default: -1 },
      { name: 'replicaEpoch', type: 'int64', versions: '15+', default: -1 },
    ] },
    { name: 'maxWaitMs', type: 'int32', versions: '0+' },
    { name: 'minBytes', type: 'int32', versions: '0+' },
    { name: 'maxBytes', type: 'int32', versions: '3+', default: 0x7fffffff, ignorable: true },
    { name: 'isolationLevel', type: 'int8', versions: '4+', default: 0, ignorable: true },
    { name: 'sessionId', type: 'int32', versions: '7+', default: 0, ignorable: true },
    { name: 'sessionEpoch', type: 'int32', versions: '7+', default: -1, ignorable: true },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'topicId', type: 'uuid', versions: '13+', ignorable: true },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partition', type: 'int32', versions: '0+' },
        { name: 'currentLeaderEpoch', type: 'int32', versions: '9+', default: -1, ignorable: true },
        { name: 'fetchOffset', type: 'int64', versions: '0+' },
        { name: 'lastFetchedEpoch', type: 'int32', versions: '12+', default: -1 },
        { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1, ignorable: true },
        { name: 'partitionMaxBytes', type: 'int32', versions: '0+' },
        { name: 'replicaDirectoryId', type: 'uuid', versions: '17+', taggedVersions: '17+', tag: 0, ignorable: true },
        { name: 'highWatermark', type: 'int64', versions: '12+', taggedVersions: '12+', tag: tributaryTagBase, default: -1, ignorable: true },
      ] },
    ] },
    { name: 'forgottenTopicsData', type: '[]struct', versions: '7+', fields: [
      { name: 'topicId', type: 'uuid', versions: '13+', ignorable: true },
      { name: 'partitions', type: '[]int32', versions: '7+' },
    ] },
    { name: 'rackId', type: 'string', versions: '11+', default: '', ignorable: true },
  ],
} as const satisfies MessageSpec;

export const FetchResponseKRaft = {
  apiKey: 1,
  type: 'response',
  validVersions: '15-17',
  flexibleVersions: '12+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '7+', ignorable: true, map: 'error' },
    { name: 'sessionId', type: 'int32', versions: '7+', default: 0 },
    { name: 'responses', type: '[]struct', versions: '0+', fields: [
      { name: 'topicId', type: 'uuid', versions: '13+', ignorable: true },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
        { name: 'highWatermark', type: 'int64', versions: '0+' },
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
          { name: 'endOffset', type: 'int64', versions: '0+', default: -1 },
          { name: 'epoch', type: 'int32', versions: '0+', default: -1 },
        ] },
        { name: 'abortedTransactions', type: '[]struct', versions: '4+', nullableVersions: '4+', ignorable: true, fields: [
          { name: 'producerId', type: 'int64', versions: '4+' },
          { name: 'firstOffset', type: 'int64', versions: '4+' },
        ] },
        { name: 'preferredReadReplica', type: 'int32', versions: '11+', default: -1 },
        { name: 'records', type: 'records', versions: '0+', nullableVersions: '0+' },
      ] },
    ] },
    { name: 'nodeEndpoints', type: '[]struct', versions: '16+', taggedVersions: '16+', tag: 0, fields: [
      { name: 'nodeId', type: 'int32', versions: '16+' },
      { name: 'host', type: 'string', versions: '16+' },
      { name: 'port', type: 'int32', versions: '16+' },
      { name: 'rack', type: 'string', versions: '16+', nullableVersions: '16+', default: null },
    ] },
  ],
} as const satisfies MessageSpec;

export const FetchSnapshotRequest = {
  apiKey: 59,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'clusterId', type: 'string', versions: '0+', nullableVersions: '0+', default: null, taggedVersions: '0+', tag: 0 },
    { name: 'replicaId', type: 'int32', versions: '0+', default: -1 },
    { name: 'maxBytes', type: 'int32', versions: '0+', default: 0x7fffffff },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partition', type: 'int32', versions: '0+' },
        { name: 'currentLeaderEpoch', type: 'int32', versions: '0+' },
        { name: 'snapshotId', type: 'struct', versions: '0+', fields: [
          { name: 'endOffset', type: 'int64', versions: '0+' },
          { name: 'epoch', type: 'int32', versions: '0+' },
        ] },
        { name: 'position', type: 'int64', versions: '0+' },
        { name: 'replicaDirectoryId', type: 'uuid', versions: '1+', taggedVersions: '1+', tag: 0, ignorable: true },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const FetchSnapshotResponse = {
  apiKey: 59,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'index', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
        { name: 'snapshotId', type: 'struct', versions: '0+', fields: [
          { name: 'endOffset', type: 'int64', versions: '0+' },
          { name: 'epoch', type: 'int32', versions: '0+' },
        ] },
        { name: 'currentLeader', type: 'struct', versions: '0+', taggedVersions: '0+', tag: 0, fields: [
          { name: 'leaderId', type: 'int32', versions: '0+' },
          { name: 'leaderEpoch', type: 'int32', versions: '0+' },
        ] },
        { name: 'size', type: 'int64', versions: '0+' },
        { name: 'position', type: 'int64', versions: '0+' },
        { name: 'bytes', type: 'records', versions: '0+' },
      ] },
    ] },
    { name: 'nodeEndpoints', type: '[]struct', versions: '1+', taggedVersions: '1+', tag: 0, fields: nodeEndpoint },
  ],
} as const satisfies MessageSpec;
