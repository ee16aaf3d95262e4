/**
 * The admin APIs: CreateTopics (19), DeleteTopics (20), DeleteRecords (21), DescribeConfigs
 * (32), CreatePartitions (37) and IncrementalAlterConfigs (44).
 *
 * Transcribed from apache/kafka `clients/src/main/resources/common/message/<Name>Request.json`
 * and `<Name>Response.json` (commit 1eb7644), restricted to the versions Tributary speaks; see
 * `spec.ts` for the conventions.
 * @internal
 */
import type { MessageSpec } from './spec.js';

export const CreateTopicsRequest = {
  apiKey: 19,
  type: 'request',
  validVersions: '2-7',
  flexibleVersions: '5+',
  fields: [
    { name: 'topics', type: '[]struct', versions: '2+', fields: [
      { name: 'name', type: 'string', versions: '2+' },
      // Kafka's JSON gives no default (0); -1 ("the broker's default") is what an in-process
      // request without the field means, so that is what the encoder writes for it.
      { name: 'numPartitions', type: 'int32', versions: '2+', default: -1 },
      { name: 'replicationFactor', type: 'int16', versions: '2+', default: -1 },
      { name: 'assignments', type: '[]struct', versions: '2+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '2+' },
        { name: 'brokerIds', type: '[]int32', versions: '2+' },
      ] },
      { name: 'configs', type: '[]struct', versions: '2+', fields: [
        { name: 'name', type: 'string', versions: '2+' },
        { name: 'value', type: 'string', versions: '2+', nullableVersions: '2+' },
      ] },
    ] },
    { name: 'timeoutMs', type: 'int32', versions: '2+', default: 60000 },
    { name: 'validateOnly', type: 'bool', versions: '2+', default: false },
  ],
} as const satisfies MessageSpec;

export const CreateTopicsResponse = {
  apiKey: 19,
  type: 'response',
  validVersions: '2-7',
  flexibleVersions: '5+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    { name: 'topics', type: '[]struct', versions: '2+', fields: [
      { name: 'name', type: 'string', versions: '2+' },
      { name: 'topicId', type: 'uuid', versions: '7+', ignorable: true },
      { name: 'errorCode', type: 'int16', versions: '2+', map: 'error' },
      { name: 'errorMessage', type: 'string', versions: '2+', nullableVersions: '2+', ignorable: true },
      { name: 'topicConfigErrorCode', type: 'int16', versions: '5+', taggedVersions: '5+', tag: 0, ignorable: true, map: 'error' },
      { name: 'numPartitions', type: 'int32', versions: '5+', default: -1, ignorable: true },
      { name: 'replicationFactor', type: 'int16', versions: '5+', default: -1, ignorable: true },
      { name: 'configs', type: '[]struct', versions: '5+', nullableVersions: '5+', ignorable: true, fields: [
        { name: 'name', type: 'string', versions: '5+' },
        { name: 'value', type: 'string', versions: '5+', nullableVersions: '5+' },
        { name: 'readOnly', type: 'bool', versions: '5+' },
        { name: 'configSource', type: 'int8', versions: '5+', default: -1, ignorable: true, map: 'configSource' },
        { name: 'isSensitive', type: 'bool', versions: '5+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const DeleteTopicsRequest = {
  apiKey: 20,
  type: 'request',
  validVersions: '1-6',
  flexibleVersions: '4+',
  fields: [
    { name: 'topics', type: '[]struct', versions: '6+', fields: [
      { name: 'name', type: 'string', versions: '6+', nullableVersions: '6+', default: null },
      { name: 'topicId', type: 'uuid', versions: '6+' },
    ] },
    { name: 'topicNames', type: '[]string', versions: '1-5', ignorable: true },
    { name: 'timeoutMs', type: 'int32', versions: '1+' },
  ],
} as const satisfies MessageSpec;

export const DeleteTopicsResponse = {
  apiKey: 20,
  type: 'response',
  validVersions: '1-6',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'responses', type: '[]struct', versions: '1+', fields: [
      { name: 'name', type: 'string', versions: '1+', nullableVersions: '6+' },
      { name: 'topicId', type: 'uuid', versions: '6+', ignorable: true },
      { name: 'errorCode', type: 'int16', versions: '1+', map: 'error' },
      { name: 'errorMessage', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    ] },
  ],
} as const satisfies MessageSpec;

export const DeleteRecordsRequest = {
  apiKey: 21,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'offset', type: 'int64', versions: '0+' },
      ] },
    ] },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const DeleteRecordsResponse = {
  apiKey: 21,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'lowWatermark', type: 'int64', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const DescribeConfigsRequest = {
  apiKey: 32,
  type: 'request',
  validVersions: '1-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'resources', type: '[]struct', versions: '1+', fields: [
      { name: 'resourceType', type: 'int8', versions: '1+' },
      { name: 'resourceName', type: 'string', versions: '1+' },
      { name: 'configurationKeys', type: '[]string', versions: '1+', nullableVersions: '1+' },
    ] },
    { name: 'includeSynonyms', type: 'bool', versions: '1+', default: false },
    { name: 'includeDocumentation', type: 'bool', versions: '3+', default: false },
  ],
} as const satisfies MessageSpec;

export const DescribeConfigsResponse = {
  apiKey: 32,
  type: 'response',
  validVersions: '1-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'results', type: '[]struct', versions: '1+', fields: [
      { name: 'errorCode', type: 'int16', versions: '1+', map: 'error' },
      { name: 'errorMessage', type: 'string', versions: '1+', nullableVersions: '1+' },
      { name: 'resourceType', type: 'int8', versions: '1+' },
      { name: 'resourceName', type: 'string', versions: '1+' },
      { name: 'configs', type: '[]struct', versions: '1+', fields: [
        { name: 'name', type: 'string', versions: '1+' },
        { name: 'value', type: 'string', versions: '1+', nullableVersions: '1+' },
        { name: 'readOnly', type: 'bool', versions: '1+' },
        { name: 'configSource', type: 'int8', versions: '1+', default: -1, ignorable: true, map: 'configSource', as: 'source' },
        { name: 'isSensitive', type: 'bool', versions: '1+' },
        { name: 'synonyms', type: '[]struct', versions: '1+', ignorable: true, fields: [
          { name: 'name', type: 'string', versions: '1+' },
          { name: 'value', type: 'string', versions: '1+', nullableVersions: '1+' },
          { name: 'source', type: 'int8', versions: '1+', map: 'configSource' },
        ] },
        { name: 'configType', type: 'int8', versions: '3+', default: 0, ignorable: true },
        { name: 'documentation', type: 'string', versions: '3+', nullableVersions: '3+', ignorable: true },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const CreatePartitionsRequest = {
  apiKey: 37,
  type: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'count', type: 'int32', versions: '0+' },
      { name: 'assignments', type: '[]struct', versions: '0+', nullableVersions: '0+', fields: [
        { name: 'brokerIds', type: '[]int32', versions: '0+' },
      ] },
    ] },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const CreatePartitionsResponse = {
  apiKey: 37,
  type: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'results', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    ] },
  ],
} as const satisfies MessageSpec;

export const AlterConfigsRequest = {
  apiKey: 33,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'resources', type: '[]struct', versions: '0+', fields: [
      { name: 'resourceType', type: 'int8', versions: '0+' },
      { name: 'resourceName', type: 'string', versions: '0+' },
      { name: 'configs', type: '[]struct', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
      ] },
    ] },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const AlterConfigsResponse = {
  apiKey: 33,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'responses', type: '[]struct', versions: '0+', fields: [
      { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'resourceType', type: 'int8', versions: '0+' },
      { name: 'resourceName', type: 'string', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const IncrementalAlterConfigsRequest = {
  apiKey: 44,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    { name: 'resources', type: '[]struct', versions: '0+', fields: [
      { name: 'resourceType', type: 'int8', versions: '0+' },
      { name: 'resourceName', type: 'string', versions: '0+' },
      { name: 'configs', type: '[]struct', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'configOperation', type: 'int8', versions: '0+', map: 'configOperation' },
        { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
      ] },
    ] },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const IncrementalAlterConfigsResponse = {
  apiKey: 44,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'responses', type: '[]struct', versions: '0+', fields: [
      { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'resourceType', type: 'int8', versions: '0+' },
      { name: 'resourceName', type: 'string', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

