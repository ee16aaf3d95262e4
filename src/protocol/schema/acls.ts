/**
 * The ACL APIs (DescribeAcls 29, CreateAcls 30, DeleteAcls 31) and the partition
 * reassignment APIs (AlterPartitionReassignments 45, ListPartitionReassignments 46),
 * transcribed from Kafka's `*Request.json` and `*Response.json`.
 *
 * The ACL APIs are served from v1 (Kafka 4.0 removed v0, KIP-896; v1 adds the resource
 * pattern type) to v3 (v2 is the first flexible version, v3 only adds the USER resource
 * type). The reassignment APIs exist only as v0, flexible from the start; v1 of
 * AlterPartitionReassignments (KIP-860, `allowReplicationFactorChange`) is not served.
 * @internal
 */
import type { MessageSpec } from './spec.js';

export const DescribeAclsRequest = {
  apiKey: 29,
  type: 'request',
  validVersions: '1-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'resourceTypeFilter', type: 'int8', versions: '0+' },
    { name: 'resourceNameFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'patternTypeFilter', type: 'int8', versions: '1+', default: 3 },
    { name: 'principalFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'hostFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'operation', type: 'int8', versions: '0+' },
    { name: 'permissionType', type: 'int8', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const DescribeAclsResponse = {
  apiKey: 29,
  type: 'response',
  validVersions: '1-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'resources', type: '[]struct', versions: '0+', fields: [
      { name: 'resourceType', type: 'int8', versions: '0+' },
      { name: 'resourceName', type: 'string', versions: '0+' },
      { name: 'patternType', type: 'int8', versions: '1+', default: 3 },
      { name: 'acls', type: '[]struct', versions: '0+', fields: [
        { name: 'principal', type: 'string', versions: '0+' },
        { name: 'host', type: 'string', versions: '0+' },
        { name: 'operation', type: 'int8', versions: '0+' },
        { name: 'permissionType', type: 'int8', versions: '0+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const CreateAclsRequest = {
  apiKey: 30,
  type: 'request',
  validVersions: '1-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'creations', type: '[]struct', versions: '0+', fields: [
      { name: 'resourceType', type: 'int8', versions: '0+' },
      { name: 'resourceName', type: 'string', versions: '0+' },
      { name: 'resourcePatternType', type: 'int8', versions: '1+', default: 3 },
      { name: 'principal', type: 'string', versions: '0+' },
      { name: 'host', type: 'string', versions: '0+' },
      { name: 'operation', type: 'int8', versions: '0+' },
      { name: 'permissionType', type: 'int8', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const CreateAclsResponse = {
  apiKey: 30,
  type: 'response',
  validVersions: '1-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'results', type: '[]struct', versions: '0+', fields: [
      { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const DeleteAclsRequest = {
  apiKey: 31,
  type: 'request',
  validVersions: '1-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'filters', type: '[]struct', versions: '0+', fields: [
      { name: 'resourceTypeFilter', type: 'int8', versions: '0+' },
      { name: 'resourceNameFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'patternTypeFilter', type: 'int8', versions: '1+', default: 3 },
      { name: 'principalFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'hostFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'operation', type: 'int8', versions: '0+' },
      { name: 'permissionType', type: 'int8', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const DeleteAclsResponse = {
  apiKey: 31,
  type: 'response',
  validVersions: '1-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'filterResults', type: '[]struct', versions: '0+', fields: [
      { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'matchingAcls', type: '[]struct', versions: '0+', fields: [
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        { name: 'patternType', type: 'int8', versions: '1+', default: 3 },
        { name: 'principal', type: 'string', versions: '0+' },
        { name: 'host', type: 'string', versions: '0+' },
        { name: 'operation', type: 'int8', versions: '0+' },
        { name: 'permissionType', type: 'int8', versions: '0+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const AlterPartitionReassignmentsRequest = {
  apiKey: 45,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'replicas', type: '[]int32', versions: '0+', nullableVersions: '0+', default: null },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const AlterPartitionReassignmentsResponse = {
  apiKey: 45,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'responses', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const ListPartitionReassignmentsRequest = {
  apiKey: 46,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    { name: 'topics', type: '[]struct', versions: '0+', nullableVersions: '0+', default: null, fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitionIndexes', type: '[]int32', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const ListPartitionReassignmentsResponse = {
  apiKey: 46,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'replicas', type: '[]int32', versions: '0+' },
        { name: 'addingReplicas', type: '[]int32', versions: '0+' },
        { name: 'removingReplicas', type: '[]int32', versions: '0+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;
