/**
 * One well-formed request of every API, with every optional field set, for tests: the
 * validator's, the wire codec's, and a transport contract suite that sends each request
 * through a transport and checks that it arrives equal.
 */
import { ApiKey } from './api-keys.js';
import { CoordinatorType, IsolationLevel, ListOffsetsTimestamp } from './common.js';
import type { RequestOf } from './requests.js';

const topicId = 'AAECAwQFBgcICQoLDA0ODw'; // bytes 0..15

/** A well-formed request of each API. */
export const sampleRequests: { readonly [K in ApiKey]: RequestOf<K> } = {
  [ApiKey.Produce]: {
    apiKey: ApiKey.Produce,
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'orders', partitionData: [{ index: 0, records: new Uint8Array([1, 2, 3]) }, { index: 1, records: null }] }],
  },
  [ApiKey.Fetch]: {
    apiKey: ApiKey.Fetch,
    replicaId: 2,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 52_428_800,
    isolationLevel: IsolationLevel.ReadCommitted,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: 'orders',
        partitions: [{ partition: 0, currentLeaderEpoch: 3, fetchOffset: 1_000, lastFetchedEpoch: 2, logStartOffset: 0, partitionMaxBytes: 1_048_576 }],
      },
    ],
    forgottenTopicsData: [{ topic: 'old', partitions: [4] }],
    rackId: 'rack-a',
  },
  [ApiKey.ListOffsets]: {
    apiKey: ApiKey.ListOffsets,
    replicaId: -1,
    isolationLevel: IsolationLevel.ReadUncommitted,
    topics: [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, currentLeaderEpoch: 3, timestamp: ListOffsetsTimestamp.Latest },
          { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: ListOffsetsTimestamp.Earliest },
          { partitionIndex: 2, timestamp: 1_700_000_000_000 },
        ],
      },
    ],
  },
  [ApiKey.Metadata]: {
    apiKey: ApiKey.Metadata,
    topics: [{ topicId, name: 'orders' }],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  },
  [ApiKey.OffsetCommit]: {
    apiKey: ApiKey.OffsetCommit,
    groupId: 'billing',
    generationId: 4,
    memberId: 'member-1',
    groupInstanceId: null,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, committedMetadata: null }] }],
  },
  [ApiKey.OffsetFetch]: {
    apiKey: ApiKey.OffsetFetch,
    groupId: 'billing',
    topics: [{ name: 'orders', partitionIndexes: [0, 1] }],
    requireStable: true,
  },
  [ApiKey.FindCoordinator]: { apiKey: ApiKey.FindCoordinator, keyType: CoordinatorType.Group, coordinatorKeys: ['billing'] },
  [ApiKey.JoinGroup]: {
    apiKey: ApiKey.JoinGroup,
    groupId: 'billing',
    sessionTimeoutMs: 45_000,
    rebalanceTimeoutMs: 300_000,
    memberId: '',
    groupInstanceId: 'pod-7',
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: new Uint8Array([0, 1]) }],
    reason: 'starting',
  },
  [ApiKey.Heartbeat]: { apiKey: ApiKey.Heartbeat, groupId: 'billing', generationId: 4, memberId: 'member-1', groupInstanceId: null },
  [ApiKey.LeaveGroup]: {
    apiKey: ApiKey.LeaveGroup,
    groupId: 'billing',
    members: [{ memberId: 'member-1', groupInstanceId: null, reason: 'shutting down' }],
  },
  [ApiKey.SyncGroup]: {
    apiKey: ApiKey.SyncGroup,
    groupId: 'billing',
    generationId: 4,
    memberId: 'member-1',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: 'member-1', assignment: new Uint8Array([9]) }],
  },
  [ApiKey.DescribeGroups]: { apiKey: ApiKey.DescribeGroups, groups: ['billing'], includeAuthorizedOperations: false },
  [ApiKey.ListGroups]: { apiKey: ApiKey.ListGroups, statesFilter: ['Stable'] },
  [ApiKey.SaslHandshake]: { apiKey: ApiKey.SaslHandshake, mechanism: 'PLAIN' },
  [ApiKey.SaslAuthenticate]: { apiKey: ApiKey.SaslAuthenticate, authBytes: new TextEncoder().encode('\u0000alice\u0000secret') },
  [ApiKey.ApiVersions]: { apiKey: ApiKey.ApiVersions, clientSoftwareName: 'tributary', clientSoftwareVersion: '0.0.0' },
  [ApiKey.CreateTopics]: {
    apiKey: ApiKey.CreateTopics,
    topics: [
      { name: 'orders', numPartitions: 3, replicationFactor: 3, configs: [{ name: 'cleanup.policy', value: 'compact' }] },
      { name: 'placed', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }] },
    ],
    timeoutMs: 30_000,
    validateOnly: false,
  },
  [ApiKey.DeleteTopics]: { apiKey: ApiKey.DeleteTopics, topics: [{ name: 'orders' }, { topicId }], timeoutMs: 30_000 },
  [ApiKey.DeleteRecords]: {
    apiKey: ApiKey.DeleteRecords,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, offset: 100 }, { partitionIndex: 1, offset: -1 }] }],
    timeoutMs: 30_000,
  },
  [ApiKey.InitProducerId]: { apiKey: ApiKey.InitProducerId, transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 },
  [ApiKey.OffsetForLeaderEpoch]: {
    apiKey: ApiKey.OffsetForLeaderEpoch,
    replicaId: 2,
    topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: 5, leaderEpoch: 4 }] }],
  },
  [ApiKey.DescribeConfigs]: {
    apiKey: ApiKey.DescribeConfigs,
    resources: [
      { resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] },
      { resourceType: 4, resourceName: '', configurationKeys: null },
    ],
    includeSynonyms: false,
    includeDocumentation: false,
  },
  [ApiKey.DescribeAcls]: {
    apiKey: ApiKey.DescribeAcls,
    resourceTypeFilter: 2,
    resourceNameFilter: 'orders',
    patternTypeFilter: 3,
    principalFilter: null,
    hostFilter: null,
    operation: 2,
    permissionType: 1,
  },
  [ApiKey.CreateAcls]: {
    apiKey: ApiKey.CreateAcls,
    creations: [{ resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }],
  },
  [ApiKey.DeleteAcls]: {
    apiKey: ApiKey.DeleteAcls,
    filters: [{ resourceTypeFilter: 2, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: 'User:alice', hostFilter: null, operation: 1, permissionType: 1 }],
  },
  [ApiKey.AlterConfigs]: {
    apiKey: ApiKey.AlterConfigs,
    resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', value: '1000' }, { name: 'cleanup.policy', value: null }] }],
    validateOnly: false,
  },
  [ApiKey.CreatePartitions]: {
    apiKey: ApiKey.CreatePartitions,
    topics: [{ name: 'orders', count: 6, assignments: [[1, 2], [2, 3], [3, 1]] }],
    timeoutMs: 30_000,
    validateOnly: false,
  },
  [ApiKey.DeleteGroups]: { apiKey: ApiKey.DeleteGroups, groupsNames: ['billing'] },
  [ApiKey.DescribeProducers]: { apiKey: ApiKey.DescribeProducers, topics: [{ name: 'orders', partitionIndexes: [0, 1] }] },
  [ApiKey.DescribeTransactions]: { apiKey: ApiKey.DescribeTransactions, transactionalIds: ['tx-1'] },
  [ApiKey.ListTransactions]: { apiKey: ApiKey.ListTransactions, stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: -1 },
  [ApiKey.DescribeLogDirs]: { apiKey: ApiKey.DescribeLogDirs, topics: [{ topic: 'orders', partitions: [0, 1] }] },
  [ApiKey.AlterPartitionReassignments]: {
    apiKey: ApiKey.AlterPartitionReassignments,
    timeoutMs: 60_000,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, replicas: [1, 2, 3] }, { partitionIndex: 1, replicas: null }] }],
  },
  [ApiKey.ListPartitionReassignments]: { apiKey: ApiKey.ListPartitionReassignments, timeoutMs: 60_000, topics: [{ name: 'orders', partitionIndexes: [0, 1] }] },
  [ApiKey.OffsetDelete]: { apiKey: ApiKey.OffsetDelete, groupId: 'billing', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }, { partitionIndex: 1 }] }] },
  [ApiKey.IncrementalAlterConfigs]: {
    apiKey: ApiKey.IncrementalAlterConfigs,
    resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 'SET', value: '1000' }] }],
    validateOnly: false,
  },
  [ApiKey.DescribeCluster]: { apiKey: ApiKey.DescribeCluster, includeClusterAuthorizedOperations: false, endpointType: 1 },
};
