/**
 * The transaction admin APIs of KIP-664, transcribed from Kafka's `*Request.json` and
 * `*Response.json`: DescribeProducers (61), DescribeTransactions (65) and
 * ListTransactions (66), each flexible from v0. ListTransactions v1 adds `durationFilter`
 * (KIP-994).
 * @internal
 */
import type { MessageSpec } from './spec.js';

export const DescribeProducersRequest = {
  apiKey: 61,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitionIndexes', type: '[]int32', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const DescribeProducersResponse = {
  apiKey: 61,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'topics', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]struct', versions: '0+', fields: [
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
        { name: 'activeProducers', type: '[]struct', versions: '0+', fields: [
          { name: 'producerId', type: 'int64', versions: '0+' },
          { name: 'producerEpoch', type: 'int32', versions: '0+' },
          { name: 'lastSequence', type: 'int32', versions: '0+', default: -1 },
          { name: 'lastTimestamp', type: 'int64', versions: '0+', default: -1 },
          { name: 'coordinatorEpoch', type: 'int32', versions: '0+' },
          { name: 'currentTxnStartOffset', type: 'int64', versions: '0+', default: -1 },
        ] },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const DescribeTransactionsRequest = {
  apiKey: 65,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [{ name: 'transactionalIds', type: '[]string', versions: '0+' }],
} as const satisfies MessageSpec;

export const DescribeTransactionsResponse = {
  apiKey: 65,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'transactionStates', type: '[]struct', versions: '0+', fields: [
      { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      { name: 'transactionalId', type: 'string', versions: '0+' },
      { name: 'transactionState', type: 'string', versions: '0+' },
      { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
      { name: 'transactionStartTimeMs', type: 'int64', versions: '0+' },
      { name: 'producerId', type: 'int64', versions: '0+' },
      { name: 'producerEpoch', type: 'int32', versions: '0+' },
      { name: 'topics', type: '[]struct', versions: '0+', fields: [
        { name: 'topic', type: 'string', versions: '0+' },
        { name: 'partitions', type: '[]int32', versions: '0+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const ListTransactionsRequest = {
  apiKey: 66,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'stateFilters', type: '[]string', versions: '0+' },
    { name: 'producerIdFilters', type: '[]int64', versions: '0+' },
    { name: 'durationFilter', type: 'int64', versions: '1+', default: -1 },
  ],
} as const satisfies MessageSpec;

export const ListTransactionsResponse = {
  apiKey: 66,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'unknownStateFilters', type: '[]string', versions: '0+' },
    { name: 'transactionStates', type: '[]struct', versions: '0+', fields: [
      { name: 'transactionalId', type: 'string', versions: '0+' },
      { name: 'producerId', type: 'int64', versions: '0+' },
      { name: 'transactionState', type: 'string', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;
