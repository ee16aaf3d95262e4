/**
 * DescribeLogDirs (35), transcribed from Kafka's `DescribeLogDirsRequest.json` and
 * `DescribeLogDirsResponse.json`: served from v1 (Kafka 4.0 removed v0, KIP-896) to v4
 * (v2 is the first flexible version, v3 adds the top-level error, v4 the log folder's
 * total and usable bytes, KIP-827).
 * @internal
 */
import type { MessageSpec } from './spec.js';

export const DescribeLogDirsRequest = {
  apiKey: 35,
  type: 'request',
  validVersions: '1-4',
  flexibleVersions: '2+',
  fields: [
    { name: 'topics', type: '[]struct', versions: '0+', nullableVersions: '0+', fields: [
      { name: 'topic', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]int32', versions: '0+' },
    ] },
  ],
} as const satisfies MessageSpec;

export const DescribeLogDirsResponse = {
  apiKey: 35,
  type: 'response',
  validVersions: '1-4',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '3+', map: 'error' },
    { name: 'results', type: '[]struct', versions: '0+', fields: [
      { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
      { name: 'logDir', type: 'string', versions: '0+' },
      { name: 'topics', type: '[]struct', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'partitions', type: '[]struct', versions: '0+', fields: [
          { name: 'partitionIndex', type: 'int32', versions: '0+' },
          { name: 'partitionSize', type: 'int64', versions: '0+' },
          { name: 'offsetLag', type: 'int64', versions: '0+' },
          { name: 'isFutureKey', type: 'bool', versions: '0+' },
        ] },
      ] },
      { name: 'totalBytes', type: 'int64', versions: '4+', default: -1, ignorable: true },
      { name: 'usableBytes', type: 'int64', versions: '4+', default: -1, ignorable: true },
    ] },
  ],
} as const satisfies MessageSpec;
