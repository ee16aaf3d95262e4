/**
 * The classic consumer group APIs: FindCoordinator (10), JoinGroup (11), SyncGroup (14),
 * Heartbeat (12), LeaveGroup (13), OffsetCommit (8), OffsetFetch (9), ListGroups (16),
 * DescribeGroups (15), DeleteGroups (42) and OffsetDelete (47).
 *
 * Transcribed from apache/kafka `clients/src/main/resources/common/message/<Name>Request.json`
 * and `<Name>Response.json` (commit 1eb7644), restricted to the versions Tributary speaks; see
 * `spec.ts` for the conventions.
 * @internal
 */
import type { MessageSpec } from './spec.js';

export const FindCoordinatorRequest = {
  apiKey: 10,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'key', type: 'string', versions: '0-3' },
    { name: 'keyType', type: 'int8', versions: '1+', default: 0 },
    { name: 'coordinatorKeys', type: '[]string', versions: '4+' },
  ],
} as const satisfies MessageSpec;

export const FindCoordinatorResponse = {
  apiKey: 10,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0-3', map: 'error' },
    { name: 'errorMessage', type: 'string', versions: '1-3', nullableVersions: '1-3', ignorable: true },
    { name: 'nodeId', type: 'int32', versions: '0-3' },
    { name: 'host', type: 'string', versions: '0-3' },
    { name: 'port', type: 'int32', versions: '0-3' },
    { name: 'coordinators', type: '[]struct', versions: '4+', fields: [
      { name: 'key', type: 'string', versions: '4+' },
      { name: 'nodeId', type: 'int32', versions: '4+' },
      { name: 'host', type: 'string', versions: '4+' },
      { name: 'port', type: 'int32', versions: '4+' },
      { name: 'errorCode', type: 'int16', versions: '4+', map: 'error' },
      { name: 'errorMessage', type: 'string', versions: '4+', nullableVersions: '4+', ignorable: true },
    ] },
  ],
} as const satisfies MessageSpec;

export const JoinGroupRequest = {
  apiKey: 11,
  type: 'request',
  validVersions: '0-7',
  flexibleVersions: '6+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'sessionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'rebalanceTimeoutMs', type: 'int32', versions: '1+', default: -1, ignorable: true },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'protocolType', type: 'string', versions: '0+' },
    { name: 'protocols', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'metadata', type: 'bytes', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const JoinGroupResponse = {
  apiKey: 11,
  type: 'response',
  validVersions: '0-7',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'generationId', type: 'int32', versions: '0+', default: -1 },
    { name: 'protocolType', type: 'string', versions: '7+', nullableVersions: '7+', default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: '0+', nullableVersions: '7+' },
    { name: 'leader', type: 'string', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'members', type: '[]struct', versions: '0+', fields: [
      { name: 'memberId', type: 'string', versions: '0+' },
      { name: 'groupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
      { name: 'metadata', type: 'bytes', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const SyncGroupRequest = {
  apiKey: 14,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'protocolType', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    { name: 'assignments', type: '[]struct', versions: '0+', fields: [
      { name: 'memberId', type: 'string', versions: '0+' },
      { name: 'assignment', type: 'bytes', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const SyncGroupResponse = {
  apiKey: 14,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'protocolType', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    { name: 'assignment', type: 'bytes', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const HeartbeatRequest = {
  apiKey: 12,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
  ],
} as const satisfies MessageSpec;

export const HeartbeatResponse = {
  apiKey: 12,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
  ],
} as const satisfies MessageSpec;

export const LeaveGroupRequest = {
  apiKey: 13,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0-2' },
    { name: 'members', type: '[]struct', versions: '3+', fields: [
      { name: 'memberId', type: 'string', versions: '3+' },
      { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
      { name: 'reason', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    ] },
  ],
} as const satisfies MessageSpec;

export const LeaveGroupResponse = {
  apiKey: 13,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'members', type: '[]struct', versions: '3+', fields: [
      { name: 'memberId', type: 'string', versions: '3+' },
      { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+' },
      { name: 'errorCode', type: 'int16', versions: '3+', map: 'error' },
    ] },
  ],
} as const satisfies MessageSpec;

export const OffsetCommitRequest = {
  apiKey: 8,
  type: 'request',
  validVersions: '2-8',
  flexibleVersions: '8+',
  fields: [
    { name: 'groupId', type: 'string', versions: '2+' },
    { name: 'generationId', type: 'int32', versions: '2+', default: -1, ignorable: true },
    { name: 'memberId', type: 'string', versions: '2+', ignorable: true },
    { name: 'groupInstanceId', type: 'string', versions: '7+', nullableVersions: '7+', default: null },
    { name: 'retentionTimeMs', type: 'int64', versions: '2-4', default: -1, ignorable: true },
    { name: 'topics', type: '[]struct', versions: '2+', fields: [
      { name: 'name', type: 'string', versions: '2+' },
      { name: 'partitions', type: '[]struct', versions: '2+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '2+' },
        { name: 'committedOffset', type: 'int64', versions: '2+' },
        { name: 'committedLeaderEpoch', type: 'int32', versions: '6+', default: -1, ignorable: true },
        { name: 'committedMetadata', type: 'string', versions: '2+', nullableVersions: '2+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const OffsetCommitResponse = {
  apiKey: 8,
  type: 'response',
  validVersions: '2-8',
  flexibleVersions: '8+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+', ignorable: true },
    { name: 'topics', type: '[]struct', versions: '2+', fields: [
      { name: 'name', type: 'string', versions: '2+' },
      { name: 'partitions', type: '[]struct', versions: '2+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '2+' },
        { name: 'errorCode', type: 'int16', versions: '2+', map: 'error' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const OffsetFetchRequest = {
  apiKey: 9,
  type: 'request',
  validVersions: '1-8',
  flexibleVersions: '6+',
  fields: [
    { name: 'groupId', type: 'string', versions: '1-7' },
    { name: 'topics', type: '[]struct', versions: '1-7', nullableVersions: '2-7', fields: [
      { name: 'name', type: 'string', versions: '1-7' },
      { name: 'partitionIndexes', type: '[]int32', versions: '1-7' },
    ] },
    { name: 'groups', type: '[]struct', versions: '8+', fields: [
      { name: 'groupId', type: 'string', versions: '8+' },
      { name: 'topics', type: '[]struct', versions: '8+', nullableVersions: '8+', fields: [
        { name: 'name', type: 'string', versions: '8+' },
        { name: 'partitionIndexes', type: '[]int32', versions: '8+' },
      ] },
    ] },
    { name: 'requireStable', type: 'bool', versions: '7+', default: false },
  ],
} as const satisfies MessageSpec;

export const OffsetFetchResponse = {
  apiKey: 9,
  type: 'response',
  validVersions: '1-8',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+', ignorable: true },
    { name: 'topics', type: '[]struct', versions: '1-7', fields: [
      { name: 'name', type: 'string', versions: '1-7' },
      { name: 'partitions', type: '[]struct', versions: '1-7', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '1-7' },
        { name: 'committedOffset', type: 'int64', versions: '1-7' },
        { name: 'committedLeaderEpoch', type: 'int32', versions: '5-7', default: -1, ignorable: true },
        { name: 'metadata', type: 'string', versions: '1-7', nullableVersions: '1-7' },
        { name: 'errorCode', type: 'int16', versions: '1-7', map: 'error' },
      ] },
    ] },
    { name: 'errorCode', type: 'int16', versions: '2-7', default: 0, ignorable: true, map: 'error' },
    { name: 'groups', type: '[]struct', versions: '8+', fields: [
      { name: 'groupId', type: 'string', versions: '8+' },
      { name: 'topics', type: '[]struct', versions: '8+', fields: [
        { name: 'name', type: 'string', versions: '8+' },
        { name: 'partitions', type: '[]struct', versions: '8+', fields: [
          { name: 'partitionIndex', type: 'int32', versions: '8+' },
          { name: 'committedOffset', type: 'int64', versions: '8+' },
          { name: 'committedLeaderEpoch', type: 'int32', versions: '8+', default: -1, ignorable: true },
          { name: 'metadata', type: 'string', versions: '8+', nullableVersions: '8+' },
          { name: 'errorCode', type: 'int16', versions: '8+', map: 'error' },
        ] },
      ] },
      { name: 'errorCode', type: 'int16', versions: '8+', default: 0, map: 'error' },
    ] },
  ],
} as const satisfies MessageSpec;

export const ListGroupsRequest = {
  apiKey: 16,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'statesFilter', type: '[]string', versions: '4+' },
  ],
} as const satisfies MessageSpec;

export const ListGroupsResponse = {
  apiKey: 16,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'groups', type: '[]struct', versions: '0+', fields: [
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'protocolType', type: 'string', versions: '0+' },
      { name: 'groupState', type: 'string', versions: '4+', ignorable: true },
    ] },
  ],
} as const satisfies MessageSpec;

export const DescribeGroupsRequest = {
  apiKey: 15,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '5+',
  fields: [
    { name: 'groups', type: '[]string', versions: '0+' },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: '3+' },
  ],
} as const satisfies MessageSpec;

export const DescribeGroupsResponse = {
  apiKey: 15,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '5+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'groups', type: '[]struct', versions: '0+', fields: [
      { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'groupState', type: 'string', versions: '0+' },
      { name: 'protocolType', type: 'string', versions: '0+' },
      { name: 'protocolData', type: 'string', versions: '0+' },
      { name: 'members', type: '[]struct', versions: '0+', fields: [
        { name: 'memberId', type: 'string', versions: '0+' },
        { name: 'groupInstanceId', type: 'string', versions: '4+', nullableVersions: '4+', default: null, ignorable: true },
        { name: 'clientId', type: 'string', versions: '0+' },
        { name: 'clientHost', type: 'string', versions: '0+' },
        { name: 'memberMetadata', type: 'bytes', versions: '0+' },
        { name: 'memberAssignment', type: 'bytes', versions: '0+' },
      ] },
      { name: 'authorizedOperations', type: 'int32', versions: '3+', default: -2147483648 },
    ] },
  ],
} as const satisfies MessageSpec;

export const DeleteGroupsRequest = {
  apiKey: 42,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'groupsNames', type: '[]string', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const DeleteGroupsResponse = {
  apiKey: 42,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'results', type: '[]struct', versions: '0+', fields: [
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    ] },
  ],
} as const satisfies MessageSpec;


export const OffsetDeleteRequest = {
  apiKey: 47,
  type: 'request',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const OffsetDeleteResponse = {
  apiKey: 47,
  type: 'response',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'throttleTimeMs', type: 'int32', versions: '0+', ignorable: true },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;
