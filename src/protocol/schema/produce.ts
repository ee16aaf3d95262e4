/**
 * Produce (0) and InitProducerId (22).
 *
 * Produce is described from v0 because it is advertised from v0 (librdkafka below 2.11.1
 * compresses only when Produce v0 is in the broker's range); `wire/versions.ts` serves only
 * v3-v9 and refuses v0-v2 with UNSUPPORTED_VERSION, as Kafka 4.0 does.
 *
 * Transcribed from apache/kafka `clients/src/main/resources/common/message/<Name>Request.json`
 * and `<Name>Response.json` (commit 1eb7644), restricted to the versions Tributary speaks; see
 * `spec.ts` for the conventions.
 * @internal
 */
import type { MessageSpec } from './spec.js';

export const ProduceRequest = {
  apiKey: 0,
  type: 'request',
  validVersions: '0-9',
  flexibleVersions: '9+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'acks', type: 'int16', versions: '0+' },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    { name: 'topicData', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitionData', type: '[]struct', versions: '0+', fields: [
        { name: 'index', type: 'int32', versions: '0+' },
        { name: 'records', type: 'records', versions: '0+', nullableVersions: '0+' },
      ] },
    ] },
  ],
} as const satisfies MessageSpec;

export const ProduceResponse = {
  apiKey: 0,
  type: 'response',
  validVersions: '0-9',
  flexibleVersions: '9+',
  fields: [
    { name: 'responses', type: '[]struct', versions: '0+', fields: [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitionResponses', type: '[]struct', versions: '0+', fields: [
        { name: 'index', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
        { name: 'baseOffset', type: 'int64', versions: '0+' },
        { name: 'logAppendTimeMs', type: 'int64', versions: '2+', default: -1, ignorable: true },
        { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1, ignorable: true },
        { name: 'recordErrors', type: '[]struct', versions: '8+', ignorable: true, fields: [
          { name: 'batchIndex', type: 'int32', versions: '8+' },
          { name: 'batchIndexErrorMessage', type: 'string', versions: '8+', nullableVersions: '8+', default: null },
        ] },
        { name: 'errorMessage', type: 'string', versions: '8+', nullableVersions: '8+', default: null, ignorable: true },
      ] },
    ] },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', default: 0, ignorable: true },
  ],
} as const satisfies MessageSpec;

export const InitProducerIdRequest = {
  apiKey: 22,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '3+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '3+', default: -1 },
  ],
} as const satisfies MessageSpec;

export const InitProducerIdResponse = {
  apiKey: 22,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'producerId', type: 'int64', versions: '0+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
  ],
} as const satisfies MessageSpec;

