/**
 * Every non-flexible version that both KafkaJS 2.2.4 and Tributary speak, checked against
 * KafkaJS's own encoders and decoders (`kafkajs/src/protocol/requests/<api>/v<N>/`), an
 * implementation Tributary did not write:
 * - requests: KafkaJS encodes a frame; Tributary decodes it (spot-checking fields) and
 *   re-encodes it to exactly KafkaJS's bytes;
 * - responses: Tributary encodes random valid responses; KafkaJS's decoder reads every
 *   field back with the same values, in the same order.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorCodes, type ErrorCode } from '../../util/error-codes.js';
import { ApiKey, apiName, isFlexibleVersion } from '../api-keys.js';
import type { Response } from '../requests.js';
import { apiSpecs } from '../schema/index.js';
import { inVersions, type FieldSpec, type MessageSpec } from '../schema/spec.js';
import { decodeRequest, encodeRequest, isServed } from './codec.js';
import { structArb } from './message-arbitrary.js';
import { configSourceNumbers, planFor } from './plan.js';
import { ByteReader } from '../../util/byte-reader.js';
import { ByteWriter } from '../../util/byte-writer.js';

const require = createRequire(import.meta.url);

interface KafkaRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<unknown>;
}
type KafkaApi = (args: unknown) => { request: KafkaRequest; response: { decode(raw: Buffer): Promise<unknown> } };
interface KafkaModule {
  readonly versions: readonly string[];
  protocol(args: { version: number }): KafkaApi;
}

const kafkaFrame = require('kafkajs/src/protocol/request') as (args: { correlationId: number; clientId: string; request: KafkaRequest }) => Promise<{ buffer: Buffer }>;
const kafkaModule = (folder: string): KafkaModule => require(`kafkajs/src/protocol/requests/${folder}`) as KafkaModule;
const versionsOf = (folder: string): number[] => kafkaModule(folder).versions.map(Number);
const kafkaApi = (folder: string, version: number): KafkaApi => kafkaModule(folder).protocol({ version });

type Obj = Record<string, unknown>;

/** KafkaJS's folder and the arguments its request builder takes, per API; `check` spot-checks our decoding. */
interface Case {
  readonly apiKey: ApiKey;
  readonly folder: string;
  readonly args: unknown;
  readonly check?: (request: Obj) => void;
}

const bytes = (s: string): Buffer => Buffer.from(s);

const requestCases: Case[] = [
  {
    apiKey: ApiKey.Produce,
    folder: 'produce',
    args: { acks: -1, timeout: 3000, topicData: [{ topic: 'orders', partitions: [{ partition: 1, messages: [{ key: 'k', value: 'v', timestamp: 1700000000000 }] }] }] },
    check: (r) => expect(r).toMatchObject({ acks: -1, timeoutMs: 3000, topicData: [{ name: 'orders', partitionData: [{ index: 1 }] }] }),
  },
  {
    apiKey: ApiKey.Fetch,
    folder: 'fetch',
    args: { replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: '42', maxBytes: 1024 }] }] },
    check: (r) => expect(r).toMatchObject({ maxWaitMs: 500, topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: 42, partitionMaxBytes: 1024 }] }] }),
  },
  {
    apiKey: ApiKey.ListOffsets,
    folder: 'listOffsets',
    args: { replicaId: -1, isolationLevel: 1, topics: [{ topic: 'orders', partitions: [{ partition: 2, timestamp: -2 }] }] },
    check: (r) => expect(r).toMatchObject({ replicaId: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, timestamp: -2 }] }] }),
  },
  { apiKey: ApiKey.Metadata, folder: 'metadata', args: { topics: ['a', 'b'], allowAutoTopicCreation: true }, check: (r) => expect(r).toMatchObject({ topics: [{ name: 'a' }, { name: 'b' }] }) },
  {
    apiKey: ApiKey.OffsetCommit,
    folder: 'offsetCommit',
    args: { groupId: 'g', groupGenerationId: 3, memberId: 'm-1', topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '17', metadata: null }] }] },
    check: (r) => expect(r).toMatchObject({ groupId: 'g', generationId: 3, memberId: 'm-1', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 17, committedMetadata: null }] }] }),
  },
  {
    apiKey: ApiKey.OffsetFetch,
    folder: 'offsetFetch',
    args: { groupId: 'g', topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 3 }] }] },
    check: (r) => expect(r).toMatchObject({ groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 3] }] }),
  },
  { apiKey: ApiKey.FindCoordinator, folder: 'findCoordinator', args: { groupId: 'g' }, check: (r) => expect(r).toMatchObject({ coordinatorKeys: ['g'], keyType: 0 }) },
  {
    apiKey: ApiKey.JoinGroup,
    folder: 'joinGroup',
    args: { groupId: 'g', sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: '', protocolType: 'consumer', groupProtocols: [{ name: 'range', metadata: bytes('sub') }] },
    check: (r) => expect(r).toMatchObject({ groupId: 'g', sessionTimeoutMs: 30000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: new Uint8Array(bytes('sub')) }] }),
  },
  { apiKey: ApiKey.Heartbeat, folder: 'heartbeat', args: { groupId: 'g', groupGenerationId: 5, memberId: 'm' }, check: (r) => expect(r).toMatchObject({ groupId: 'g', generationId: 5, memberId: 'm' }) },
  { apiKey: ApiKey.LeaveGroup, folder: 'leaveGroup', args: { groupId: 'g', memberId: 'm' }, check: (r) => expect(r).toMatchObject({ groupId: 'g', members: [{ memberId: 'm' }] }) },
  {
    apiKey: ApiKey.SyncGroup,
    folder: 'syncGroup',
    args: { groupId: 'g', generationId: 5, memberId: 'm', groupAssignment: [{ memberId: 'm', memberAssignment: bytes('asg') }] },
    check: (r) => expect(r).toMatchObject({ groupId: 'g', generationId: 5, assignments: [{ memberId: 'm', assignment: new Uint8Array(bytes('asg')) }] }),
  },
  { apiKey: ApiKey.DescribeGroups, folder: 'describeGroups', args: { groupIds: ['g1', 'g2'] }, check: (r) => expect(r).toMatchObject({ groups: ['g1', 'g2'] }) },
  { apiKey: ApiKey.ListGroups, folder: 'listGroups', args: undefined },
  { apiKey: ApiKey.SaslHandshake, folder: 'saslHandshake', args: { mechanism: 'PLAIN' }, check: (r) => expect(r).toMatchObject({ mechanism: 'PLAIN' }) },
  { apiKey: ApiKey.ApiVersions, folder: 'apiVersions', args: undefined },
  {
    apiKey: ApiKey.CreateTopics,
    folder: 'createTopics',
    args: { topics: [{ topic: 't', numPartitions: 3, replicationFactor: 1, replicaAssignment: [], configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], validateOnly: false, timeout: 5000 },
    check: (r) => expect(r).toMatchObject({ timeoutMs: 5000, topics: [{ name: 't', numPartitions: 3, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] }] }),
  },
  { apiKey: ApiKey.DeleteTopics, folder: 'deleteTopics', args: { topics: ['t1', 't2'], timeout: 5000 }, check: (r) => expect(r).toMatchObject({ topics: [{ name: 't1' }, { name: 't2' }], timeoutMs: 5000 }) },
  {
    apiKey: ApiKey.DeleteRecords,
    folder: 'deleteRecords',
    args: { topics: [{ topic: 't', partitions: [{ partition: 0, offset: '10' }] }], timeout: 5000 },
    check: (r) => expect(r).toMatchObject({ topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 10 }] }] }),
  },
  { apiKey: ApiKey.InitProducerId, folder: 'initProducerId', args: { transactionalId: null, transactionTimeout: 5000 }, check: (r) => expect(r).toMatchObject({ transactionalId: null, transactionTimeoutMs: 5000 }) },
  {
    apiKey: ApiKey.DescribeConfigs,
    folder: 'describeConfigs',
    args: { resources: [{ type: 2, name: 't', configNames: ['retention.ms'] }], includeSynonyms: false },
    check: (r) => expect(r).toMatchObject({ resources: [{ resourceType: 2, resourceName: 't', configurationKeys: ['retention.ms'] }] }),
  },
  // KafkaJS's SASL mechanisms hand SaslAuthenticate their bytes already length-prefixed.
  { apiKey: ApiKey.SaslAuthenticate, folder: 'saslAuthenticate', args: { authBytes: Buffer.from([0, 0, 0, 4, 0, 0x75, 0, 0x70]) }, check: (r) => expect(r).toMatchObject({ authBytes: new Uint8Array([0, 0x75, 0, 0x70]) }) },
  {
    apiKey: ApiKey.CreatePartitions,
    folder: 'createPartitions',
    args: { topicPartitions: [{ topic: 't', count: 4, assignments: [[1], [2]] }], validateOnly: false, timeout: 5000 },
    check: (r) => expect(r).toMatchObject({ topics: [{ name: 't', count: 4, assignments: [[1], [2]] }], timeoutMs: 5000 }),
  },
  { apiKey: ApiKey.DeleteGroups, folder: 'deleteGroups', args: ['g1', 'g2'], check: (r) => expect(r).toMatchObject({ groupsNames: ['g1', 'g2'] }) },
  {
    apiKey: ApiKey.DescribeAcls,
    folder: 'describeAcls',
    args: { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 },
    check: (r) => expect(r).toMatchObject({ resourceTypeFilter: 2, resourceNameFilter: 'orders', patternTypeFilter: 3, principalFilter: 'User:alice', hostFilter: '*', operation: 3, permissionType: 3 }),
  },
  {
    apiKey: ApiKey.CreateAcls,
    folder: 'createAcls',
    args: { creations: [{ resourceType: 2, resourceName: 'orders', resourcePatternType: 4, principal: 'User:bob', host: '10.0.0.1', operation: 4, permissionType: 2 }] },
    check: (r) => expect(r).toMatchObject({ creations: [{ resourceType: 2, resourceName: 'orders', resourcePatternType: 4, principal: 'User:bob', host: '10.0.0.1', operation: 4, permissionType: 2 }] }),
  },
  {
    apiKey: ApiKey.DeleteAcls,
    folder: 'deleteAcls',
    args: { filters: [{ resourceType: 1, resourceName: null, resourcePatternType: 1, principal: null, host: null, operation: 1, permissionType: 1 }] },
    check: (r) => expect(r).toMatchObject({ filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] }),
  },
  // The reassignment APIs are flexible from v0: KafkaJS writes request header v2 as v1 plus an empty tag buffer.
  {
    apiKey: ApiKey.AlterPartitionReassignments,
    folder: 'alterPartitionReassignments',
    args: { topics: [{ topic: 'orders', partitionAssignment: [{ partition: 0, replicas: [1, 2] }, { partition: 3, replicas: [2] }] }], timeout: 5000 },
    check: (r) => expect(r).toMatchObject({ timeoutMs: 5000, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, replicas: [1, 2] }, { partitionIndex: 3, replicas: [2] }] }] }),
  },
  {
    apiKey: ApiKey.ListPartitionReassignments,
    folder: 'listPartitionReassignments',
    args: { topics: [{ topic: 'orders', partitions: [0, 1] }], timeout: 5000 },
    check: (r) => expect(r).toMatchObject({ timeoutMs: 5000, topics: [{ name: 'orders', partitionIndexes: [0, 1] }] }),
  },
];

const clientId = 'kafkajs-cross-check';

describe('KafkaJS requests: Tributary decodes them and re-encodes the same bytes', () => {
  for (const c of requestCases) {
    for (const version of versionsOf(c.folder)) {
      if (!isServed(c.apiKey, version)) continue;
      it(`${apiName(c.apiKey)} v${version}`, async () => {
        const { request } = kafkaApi(c.folder, version)(c.args);
        expect([request.apiKey, request.apiVersion]).toEqual([c.apiKey, version]);
        const theirs = new Uint8Array((await kafkaFrame({ correlationId: 11, clientId, request })).buffer);
        const decoded = decodeRequest(theirs.subarray(4));
        expect(decoded.header).toEqual({ apiKey: c.apiKey, apiVersion: version, correlationId: 11, clientId });
        c.check?.(decoded.request as unknown as Obj);
        const ours = encodeRequest(decoded.request, { apiVersion: version, correlationId: 11, clientId });
        expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
      });
    }
  }
});

// ---- responses ----

/** Each leaf of a wire-shaped message, in wire order, as text (errors as their numbers). */
function ourLeaves(fields: readonly FieldSpec[], version: number, value: Obj, out: string[]): string[] {
  for (const f of fields) {
    if (!inVersions(f.versions, version)) continue;
    const v = value[f.as ?? f.name];
    const leaf = (x: unknown): void => {
      if (f.fields && x !== null) ourLeaves(f.fields, version, x as Obj, out);
      else out.push(text(f.map === 'error' ? errorCodes[x as ErrorCode].wireCode : f.map === 'configSource' ? configSourceNumbers[x as string] : x));
    };
    if (Array.isArray(v)) v.forEach(leaf);
    else leaf(v);
  }
  return out;
}

function text(x: unknown): string {
  if (x === null || x === undefined) return 'null';
  if (x instanceof Uint8Array) return `0x${Buffer.from(x).toString('hex')}`;
  return String(x);
}

/**
 * Each leaf of what KafkaJS decoded, in its order; `skip` names keys KafkaJS computes rather
 * than reads. From the versions where the broker throttles after answering (KIP-219) KafkaJS
 * reports the wire's throttle time as `clientSideThrottleTime` and `throttleTime` as 0.
 */
function theirLeaves(value: unknown, skip: ReadonlySet<string>, out: string[]): string[] {
  if (Array.isArray(value)) for (const x of value) theirLeaves(x, skip, out);
  else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !('high' in value && 'low' in value)) {
    const o = value as Obj;
    for (const [k, v] of Object.entries(o)) {
      if (skip.has(k) || k === 'clientSideThrottleTime') continue;
      theirLeaves(k === 'throttleTime' && 'clientSideThrottleTime' in o ? o['clientSideThrottleTime'] : v, skip, out);
    }
  } else out.push(text(value));
  return out;
}

/** KafkaJS response fields that are not on the wire, or that KafkaJS decodes into something else. */
/** Every error except UNSUPPORTED_VERSION, which KafkaJS's decoders throw on (as they should). */
function withoutUnsupported(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUnsupported);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value === 'UNSUPPORTED_VERSION' ? 'NONE' : value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutUnsupported(v)]));
}

interface Quirks {
  /** KafkaJS keys it computes rather than reads. */
  readonly skip?: string[];
  /** Make the random response one KafkaJS can decode. */
  readonly adjust?: (value: Obj, version: number) => Obj;
  /** Undo a transformation KafkaJS applies. */
  readonly theirs?: (value: Obj) => Obj;
  /** KafkaJS sorts or regroups the items: compare the leaves as multisets. */
  readonly unordered?: boolean;
}

const responseQuirks: { readonly [key: number]: Quirks } = {
  [ApiKey.CreateTopics]: { unordered: true },
  [ApiKey.DeleteTopics]: { unordered: true },
  [ApiKey.DeleteRecords]: { unordered: true },
  [ApiKey.CreatePartitions]: { unordered: true },
  // KafkaJS adds an error object beside each failed group's code; its v1 decoder keeps the wire's
  // throttle time in throttleTimeMs and adds a throttleTime of its own.
  [ApiKey.DeleteGroups]: { skip: ['error', 'throttleTime'], unordered: true },
  [ApiKey.DescribeConfigs]: { skip: ['isDefault'], unordered: true },
  // KafkaJS re-prefixes the server's bytes with their length, for its SASL mechanisms.
  [ApiKey.SaslAuthenticate]: { theirs: (v) => ({ ...v, authBytes: (v['authBytes'] as Buffer).subarray(4) }) },

  [ApiKey.ApiVersions]: { skip: ['clientSideThrottleTime'] },
  [ApiKey.Fetch]: {
    // KafkaJS decodes the record batches into messages (none here), and a null aborted
    // transaction list as an empty one.
    adjust: (v) => ({
      ...v,
      responses: (v['responses'] as Obj[]).map((t) => ({ ...t, partitions: (t['partitions'] as Obj[]).map((p) => ({ ...p, records: new Uint8Array(0), abortedTransactions: p['abortedTransactions'] ?? [] })) })),
    }),
    theirs: (v) => ({ ...v, responses: (v['responses'] as Obj[]).map((t) => ({ ...t, partitions: (t['partitions'] as Obj[]).map((p) => ({ ...p, messages: '0x' })) })) }),
  },
  [ApiKey.Produce]: { skip: ['clientSideThrottleTime'] },
  // KafkaJS reads the reassignment APIs' error messages and drops them: compare them as null.
  [ApiKey.AlterPartitionReassignments]: {
    adjust: (v) => ({ ...v, errorMessage: null, responses: (v['responses'] as Obj[]).map((t) => ({ ...t, partitions: (t['partitions'] as Obj[]).map((p) => ({ ...p, errorMessage: null })) })) }),
    theirs: (v) => ({
      throttleTime: v['throttleTime'],
      errorCode: v['errorCode'],
      errorMessage: null,
      responses: (v['responses'] as Obj[]).map((t) => ({ ...t, partitions: (t['partitions'] as Obj[]).map((p) => ({ ...p, errorMessage: null })) })),
    }),
  },
  [ApiKey.ListPartitionReassignments]: {
    adjust: (v) => ({ ...v, errorMessage: null }),
    theirs: (v) => ({ throttleTime: v['throttleTime'], errorCode: v['errorCode'], errorMessage: null, topics: v['topics'] }),
  },
};

const argsFor = (apiKey: ApiKey): unknown => requestCases.find((c) => c.apiKey === apiKey)!.args;

describe('Tributary responses: KafkaJS decodes every field', () => {
  const kafkajsVersions: [ApiKey, string][] = requestCases.map((c) => [c.apiKey, c.folder]);
  for (const [apiKey, folder] of kafkajsVersions) {
    const spec = (apiSpecs as Record<number, { response: MessageSpec }>)[apiKey]!.response;
    for (const version of versionsOf(folder)) {
      if (!isServed(apiKey, version)) continue;
      it(`${apiName(apiKey)} v${version}`, async () => {
        const quirks = responseQuirks[apiKey] ?? {};
        const skip = new Set([...(quirks.skip ?? []), 'clientSideThrottleTime']);
        const { response } = kafkaApi(folder, version)(argsFor(apiKey));
        const samples = fc.sample(structArb(spec.fields, version), { numRuns: 20, seed: version * 1000 + apiKey });
        for (const raw of samples) {
          const safe = withoutUnsupported(raw) as Obj;
          const value = quirks.adjust ? quirks.adjust(safe, version) : safe;
          const w = new ByteWriter();
          planFor(spec, version, `${apiName(apiKey)} response`).write(w, value);
          // A flexible response starts with response header v1's tag buffer, which KafkaJS reads as part of the body.
          const body = Buffer.from(w.finish());
          const framed = isFlexibleVersion(apiKey, version) ? Buffer.concat([Buffer.from([0]), body]) : body;
          const decodedByThem = (await response.decode(framed)) as Obj;
          const theirs = quirks.theirs ? quirks.theirs(decodedByThem) : decodedByThem;
          // What we meant to send, read back by our own decoder, in wire order.
          const ours = planFor(spec, version, `${apiName(apiKey)} response`).read(new ByteReader(body, 'CORRUPT_MESSAGE'), {});
          const theirValues = theirLeaves(theirs, skip, []);
          const ourValues = ourLeaves(spec.fields, version, ours, []);
          if (quirks.unordered) expect(theirValues.sort()).toEqual(ourValues.sort());
          else expect(theirValues).toEqual(ourValues);
        }
      });
    }
  }
});

// Keep the type import used: responses are the in-process type once adapted.
export type { Response };
