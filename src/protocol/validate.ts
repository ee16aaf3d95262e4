/**
 * Cheap structural validation of a request from an untrusted source: a worker thread, a
 * `MessagePort`, the Kafka wire decoder. It checks types, integer ranges (a partition is
 * 0 to 2^31-1, an int16 fits 16 bits, an int64 is a safe integer), string and array
 * lengths and byte sizes, and a few enumerations, and throws a `TributaryError` with code
 * `INVALID_REQUEST` (or Kafka's specific code, such as `INVALID_REQUIRED_ACKS`) naming the
 * path of the first bad field. It never throws anything else, whatever the input.
 *
 * It does not check meaning: whether a topic exists, whether its name is legal, whether a
 * partition count is positive. Those errors belong to one topic or partition and go into
 * the response, as Kafka does, so one bad topic does not fail a whole request.
 *
 * The checks are written as one small schema per request, typed against the request's
 * interface: a schema that lets through a value its type does not allow (a missing
 * required field, a string where a number belongs) does not compile.
 *
 * Cost: one pass over the object, no copies, no allocation unless it fails (the path of a
 * failure is built on the way out, by the exception). A Fetch from a follower for 10,000
 * partitions is 10,000 small objects visited, tens of microseconds.
 */
import { isUuid } from '../util/uuid.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError } from '../util/errors.js';
import { ApiKey, apiName, isApiKey } from './api-keys.js';
import type { AclBindingFilter } from './acls.js';
import type { Request, RequestOf } from './requests.js';

/** The longest string a request may carry: Kafka's strings have an int16 length. */
export const requestStringLengthMax = 0x7fff;
/**
 * The most items in any one array of a request. Kafka bounds a request by its size
 * (`socket.request.max.bytes`); an object that arrives already built has no size, so this
 * bounds the work instead. A follower fetching every partition of a large broker sends the
 * longest arrays: 1,000,000 partitions is far beyond any broker's count.
 */
export const requestItemsMax = 1_000_000;
/** The most bytes of records (or assignment bytes) in one field: Kafka's `socket.request.max.bytes` default, 100 MiB. */
export const requestBytesMax = 100 * 1024 * 1024;

const int32Max = 0x7fffffff;

/** A failed check on its way out; containers add their key to `path` as it passes. */
class Invalid {
  readonly path: (string | number)[] = [];
  constructor(
    readonly code: ErrorCode,
    readonly why: string,
  ) {}
}

function fail(why: string, code: ErrorCode = 'INVALID_REQUEST'): never {
  throw new Invalid(code, why);
}

/** A check that a value is a `T`. `type` is never set: it only ties the check to its type. */
interface Check<T> {
  readonly run: (value: unknown) => void;
  readonly type?: T;
}

function check<T>(run: (value: unknown) => void): Check<T> {
  return { run };
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function int(min: number, max: number, what: string, code: ErrorCode = 'INVALID_REQUEST'): Check<number> {
  return check((v) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${show(v)} is not ${what} (${min} to ${max})`, code);
  });
}

const int8 = int(-0x80, 0x7f, 'an int8');
const int16 = int(-0x8000, 0x7fff, 'an int16');
const int32 = int(-0x80000000, int32Max, 'an int32');
/** An int64 as a JavaScript number: every offset, timestamp and producer id fits 2^53. */
const int64 = int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'a safe int64');
const partitionIndex = int(0, int32Max, 'a partition index');
const nonNegativeInt32 = int(0, int32Max, 'a non-negative int32');
/** A leader epoch, or -1 for none. */
const epoch = int(-1, int32Max, 'a leader epoch or -1');
/** A broker id, or -1 for none (and -2, -3 for Kafka's debugging and future replica ids). */
const replicaId = int(-3, int32Max, 'a replica id');
const timeoutMs = int(0, int32Max, 'a timeout in ms');

const bool = check<boolean>((v) => {
  if (typeof v !== 'boolean') fail(`${show(v)} is not a boolean`);
});

const string = check<string>((v) => {
  if (typeof v !== 'string') fail(`${show(v)} is not a string`);
  if (v.length > requestStringLengthMax) fail(`a string of ${v.length} characters is longer than ${requestStringLengthMax}`);
});

const uuid = check<string>((v) => {
  if (!isUuid(v)) fail(`${show(v)} is not a Uuid (22 characters of base64url)`);
});

const bytes = check<Uint8Array>((v) => {
  if (!(v instanceof Uint8Array)) fail(`${show(v)} is not a Uint8Array`);
  if (v.byteLength > requestBytesMax) fail(`${v.byteLength} bytes is more than ${requestBytesMax}`);
});

function oneOf<const T extends string | number>(values: readonly T[], code: ErrorCode = 'INVALID_REQUEST'): Check<T> {
  const allowed = new Set<unknown>(values);
  return check((v) => {
    if (!allowed.has(v)) fail(`${show(v)} is not one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, code);
  });
}

function nullable<T>(inner: Check<T>): Check<T | null> {
  return check((v) => {
    if (v !== null) inner.run(v);
  });
}

function optional<T>(inner: Check<T>): Check<T | undefined> {
  return check((v) => {
    if (v !== undefined) inner.run(v);
  });
}

function array<T>(item: Check<T>): Check<readonly T[]> {
  return check((v) => {
    if (!Array.isArray(v)) fail(`${show(v)} is not an array`);
    if (v.length > requestItemsMax) fail(`an array of ${v.length} items is longer than ${requestItemsMax}`);
    for (let i = 0; i < v.length; i++) {
      try {
        item.run(v[i]);
      } catch (err) {
        if (err instanceof Invalid) err.path.unshift(i);
        throw err;
      }
    }
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** A check for each field of `T`, optional fields included; fields the shape does not name are ignored. */
type Shape<T> = { readonly [K in keyof T]-?: Check<T[K]> };

function struct<T>(shape: Shape<T>): Check<T> {
  const keys = Object.keys(shape) as (keyof T & string)[];
  return check((v) => {
    if (!isPlainObject(v)) fail(`${show(v)} is not an object`);
    for (const key of keys) {
      try {
        shape[key].run(v[key]);
      } catch (err) {
        if (err instanceof Invalid) err.path.unshift(key);
        throw err;
      }
    }
  });
}

function api<K extends ApiKey>(apiKey: K, shape: Omit<Shape<RequestOf<K>>, 'apiKey'>): Check<RequestOf<K>> {
  // The dispatch in validateRequest has already matched apiKey; the shape checks the rest.
  return struct<RequestOf<K>>({ ...shape, apiKey: oneOf([apiKey]) } as unknown as Shape<RequestOf<K>>);
}

const isolationLevel = oneOf([0, 1]);

// ---- the schemas, one per request ----

/** An ACL binding filter (DescribeAcls, DeleteAcls): Kafka's codes stay numbers here; their meaning is the handler's. */
const aclFilterShape: Shape<AclBindingFilter> = {
  resourceTypeFilter: int8,
  resourceNameFilter: nullable(string),
  patternTypeFilter: optional(int8),
  principalFilter: nullable(string),
  hostFilter: nullable(string),
  operation: int8,
  permissionType: int8,
};

const checks: { readonly [K in ApiKey]: Check<RequestOf<K>> } = {
  [ApiKey.Produce]: api(ApiKey.Produce, {
    transactionalId: optional(nullable(string)),
    // Kafka answers acks other than -1, 0, 1 per partition (INVALID_REQUIRED_ACKS, after the unknown ones: kafka-apis.ts).
    acks: int(-0x8000, 0x7fff, 'an int16', 'INVALID_REQUIRED_ACKS'),
    timeoutMs,
    topicData: array(struct({ name: string, partitionData: array(struct({ index: partitionIndex, records: nullable(bytes) })) })),
  }),
  [ApiKey.Fetch]: api(ApiKey.Fetch, {
    replicaId,
    maxWaitMs: timeoutMs,
    minBytes: nonNegativeInt32,
    // Kafka reads any int32 (a limit below 0 fails the read of a partition with data: replica-manager.ts).
    maxBytes: int32,
    isolationLevel,
    sessionId: optional(nonNegativeInt32),
    sessionEpoch: optional(int(-1, int32Max, 'a fetch session epoch')),
    topics: array(
      struct({
        topic: string,
        partitions: array(
          struct({
            partition: partitionIndex,
            currentLeaderEpoch: optional(epoch),
            fetchOffset: int64,
            lastFetchedEpoch: optional(epoch),
            logStartOffset: optional(int64),
            partitionMaxBytes: int32,
          }),
        ),
      }),
    ),
    forgottenTopicsData: optional(array(struct({ topic: string, partitions: array(partitionIndex) }))),
    rackId: optional(string),
    clusterId: optional(nullable(string)),
  }),
  [ApiKey.ListOffsets]: api(ApiKey.ListOffsets, {
    replicaId,
    isolationLevel,
    topics: array(
      struct({
        name: string,
        partitions: array(
          struct({
            partitionIndex,
            currentLeaderEpoch: optional(epoch),
            // Any value, as in Kafka: each negative one is a target the broker answers per partition.
            timestamp: int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'a timestamp (or -1 latest, -2 earliest, -3 max timestamp, -4 earliest local, -5 latest tiered)'),
          }),
        ),
      }),
    ),
  }),
  [ApiKey.Metadata]: api(ApiKey.Metadata, {
    topics: nullable(array(struct({ topicId: optional(uuid), name: nullable(string) }))),
    allowAutoTopicCreation: bool,
    includeClusterAuthorizedOperations: optional(bool),
    includeTopicAuthorizedOperations: optional(bool),
  }),
  [ApiKey.OffsetCommit]: api(ApiKey.OffsetCommit, {
    groupId: string,
    generationId: int32,
    memberId: string,
    groupInstanceId: optional(nullable(string)),
    retentionTimeMs: optional(int64),
    topics: array(
      struct({
        name: string,
        partitions: array(
          struct({ partitionIndex, committedOffset: int64, committedLeaderEpoch: optional(epoch), committedMetadata: nullable(string) }),
        ),
      }),
    ),
  }),
  [ApiKey.OffsetFetch]: api(ApiKey.OffsetFetch, {
    groupId: string,
    topics: nullable(array(struct({ name: string, partitionIndexes: array(partitionIndex) }))),
    requireStable: optional(bool),
    groups: optional(array(struct({ groupId: string, topics: nullable(array(struct({ name: string, partitionIndexes: array(partitionIndex) }))) }))),
  }),
  [ApiKey.FindCoordinator]: api(ApiKey.FindCoordinator, {
    keyType: oneOf([0, 1]),
    coordinatorKeys: array(string),
  }),
  [ApiKey.JoinGroup]: api(ApiKey.JoinGroup, {
    groupId: string,
    sessionTimeoutMs: timeoutMs,
    rebalanceTimeoutMs: timeoutMs,
    memberId: string,
    groupInstanceId: optional(nullable(string)),
    protocolType: string,
    protocols: array(struct({ name: string, metadata: bytes })),
    reason: optional(nullable(string)),
    clientHost: optional(string),
  }),
  [ApiKey.Heartbeat]: api(ApiKey.Heartbeat, {
    groupId: string,
    generationId: int32,
    memberId: string,
    groupInstanceId: optional(nullable(string)),
  }),
  [ApiKey.LeaveGroup]: api(ApiKey.LeaveGroup, {
    groupId: string,
    members: array(struct({ memberId: string, groupInstanceId: nullable(string), reason: optional(nullable(string)) })),
  }),
  [ApiKey.SyncGroup]: api(ApiKey.SyncGroup, {
    groupId: string,
    generationId: int32,
    memberId: string,
    groupInstanceId: optional(nullable(string)),
    protocolType: optional(nullable(string)),
    protocolName: optional(nullable(string)),
    assignments: array(struct({ memberId: string, assignment: bytes })),
  }),
  [ApiKey.DescribeGroups]: api(ApiKey.DescribeGroups, {
    groups: array(string),
    includeAuthorizedOperations: optional(bool),
  }),
  [ApiKey.ListGroups]: api(ApiKey.ListGroups, { statesFilter: optional(array(string)) }),
  [ApiKey.SaslHandshake]: api(ApiKey.SaslHandshake, { mechanism: string }),
  [ApiKey.SaslAuthenticate]: api(ApiKey.SaslAuthenticate, { authBytes: bytes }),
  [ApiKey.ApiVersions]: api(ApiKey.ApiVersions, {
    clientSoftwareName: optional(string),
    clientSoftwareVersion: optional(string),
  }),
  [ApiKey.CreateTopics]: api(ApiKey.CreateTopics, {
    topics: array(
      struct({
        name: string,
        numPartitions: optional(int32),
        replicationFactor: optional(int16),
        assignments: optional(array(struct({ partitionIndex, brokerIds: array(int32) }))),
        configs: optional(array(struct({ name: string, value: nullable(string) }))),
      }),
    ),
    timeoutMs,
    validateOnly: optional(bool),
  }),
  [ApiKey.DeleteTopics]: api(ApiKey.DeleteTopics, {
    topics: array(struct({ name: optional(string), topicId: optional(uuid) })),
    timeoutMs,
  }),
  [ApiKey.DeleteRecords]: api(ApiKey.DeleteRecords, {
    topics: array(
      struct({
        name: string,
        partitions: array(struct({ partitionIndex, offset: int(-1, Number.MAX_SAFE_INTEGER, 'an offset or -1') })),
      }),
    ),
    timeoutMs,
  }),
  [ApiKey.InitProducerId]: api(ApiKey.InitProducerId, {
    transactionalId: nullable(string),
    // Any int32: an idempotent producer without a transactional id has no transaction
    // timeout, and librdkafka sends -1 there (Kafka ignores it when the id is null).
    transactionTimeoutMs: int32,
    producerId: optional(int(-1, Number.MAX_SAFE_INTEGER, 'a producer id or -1')),
    producerEpoch: optional(int(-1, 0x7fff, 'a producer epoch or -1')),
  }),
  [ApiKey.OffsetForLeaderEpoch]: api(ApiKey.OffsetForLeaderEpoch, {
    replicaId,
    topics: array(
      struct({
        topic: string,
        partitions: array(struct({ partition: partitionIndex, currentLeaderEpoch: epoch, leaderEpoch: epoch })),
      }),
    ),
  }),
  [ApiKey.DescribeConfigs]: api(ApiKey.DescribeConfigs, {
    resources: array(
      struct({ resourceType: int8, resourceName: string, configurationKeys: optional(nullable(array(string))) }),
    ),
    includeSynonyms: optional(bool),
    includeDocumentation: optional(bool),
  }),
  [ApiKey.DescribeAcls]: api(ApiKey.DescribeAcls, aclFilterShape),
  [ApiKey.CreateAcls]: api(ApiKey.CreateAcls, {
    creations: array(struct({ resourceType: int8, resourceName: string, resourcePatternType: optional(int8), principal: string, host: string, operation: int8, permissionType: int8 })),
  }),
  [ApiKey.DeleteAcls]: api(ApiKey.DeleteAcls, { filters: array(struct(aclFilterShape)) }),
  [ApiKey.DescribeProducers]: api(ApiKey.DescribeProducers, { topics: array(struct({ name: string, partitionIndexes: array(int32) })) }),
  [ApiKey.DescribeTransactions]: api(ApiKey.DescribeTransactions, { transactionalIds: array(string) }),
  [ApiKey.ListTransactions]: api(ApiKey.ListTransactions, { stateFilters: array(string), producerIdFilters: array(int64), durationFilter: optional(int64) }),
  [ApiKey.DescribeLogDirs]: api(ApiKey.DescribeLogDirs, { topics: nullable(array(struct({ topic: string, partitions: array(int32) }))) }),
  [ApiKey.AlterPartitionReassignments]: api(ApiKey.AlterPartitionReassignments, {
    timeoutMs: optional(int32),
    topics: array(struct({ name: string, partitions: array(struct({ partitionIndex: int32, replicas: nullable(array(int32)) })) })),
  }),
  [ApiKey.ListPartitionReassignments]: api(ApiKey.ListPartitionReassignments, {
    timeoutMs: optional(int32),
    topics: optional(nullable(array(struct({ name: string, partitionIndexes: array(int32) })))),
  }),
  [ApiKey.AlterConfigs]: api(ApiKey.AlterConfigs, {
    resources: array(struct({ resourceType: oneOf([2, 4, 8]), resourceName: string, configs: array(struct({ name: string, value: nullable(string) })) })),
    validateOnly: optional(bool),
  }),
  [ApiKey.CreatePartitions]: api(ApiKey.CreatePartitions, {
    topics: array(struct({ name: string, count: int32, assignments: optional(nullable(array(array(int32)))) })),
    timeoutMs,
    validateOnly: optional(bool),
  }),
  [ApiKey.DeleteGroups]: api(ApiKey.DeleteGroups, { groupsNames: array(string) }),
  [ApiKey.OffsetDelete]: api(ApiKey.OffsetDelete, { groupId: string, topics: array(struct({ name: string, partitions: array(struct({ partitionIndex })) })) }),
  [ApiKey.IncrementalAlterConfigs]: api(ApiKey.IncrementalAlterConfigs, {
    resources: array(
      struct({
        resourceType: oneOf([2, 4, 8]),
        resourceName: string,
        configs: array(struct({ name: string, configOperation: oneOf(['SET', 'DELETE', 'APPEND', 'SUBTRACT']), value: nullable(string) })),
      }),
    ),
    validateOnly: optional(bool),
  }),
  [ApiKey.DescribeCluster]: api(ApiKey.DescribeCluster, {
    includeClusterAuthorizedOperations: bool,
    endpointType: optional(oneOf([1, 2])),
  }),
};

function pathText(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/**
 * Checks that `value` is a well-formed request and returns it, typed. Throws a
 * `TributaryError` (`INVALID_REQUEST`, or Kafka's specific code such as
 * `INVALID_REQUIRED_ACKS`) naming the first bad field; never throws anything else.
 * The value is not copied: the caller must not let the sender change it afterwards (a
 * structured clone or a freshly decoded object is safe).
 *
 *
 * ```ts
 * const request = validateRequest(message.data); // from a MessagePort
 * if (request.apiKey === ApiKey.Metadata) request.topics; // typed: MetadataRequestTopic[] | null
 * ```
 * @internal
 */
export function validateRequest(value: unknown): Request {
  let apiKey: unknown;
  try {
    if (!isPlainObject(value)) fail(`a request must be an object, not ${show(value)}`);
    apiKey = value['apiKey'];
    if (!isApiKey(apiKey)) fail(`apiKey ${show(apiKey)} is not an API Tributary speaks`);
    const c: Check<Request> = checks[apiKey];
    c.run(value);
    return value as unknown as Request;
  } catch (err) {
    if (err instanceof Invalid) {
      const where = err.path.length === 0 ? '' : `${pathText(err.path)}: `;
      const name = isApiKey(apiKey) ? `${apiName(apiKey)} ` : '';
      throw new TributaryError(err.code, `invalid ${name}request: ${where}${err.why}`);
    }
    // Only a hostile object (a getter or proxy that throws) gets here.
    throw new TributaryError('INVALID_REQUEST', 'invalid request: reading it threw', { cause: err });
  }
}

/** Like {@link validateRequest}, and also checks that the request is of API `apiKey`. */
export function validateRequestOf<K extends ApiKey>(apiKey: K, value: unknown): RequestOf<K> {
  const request = validateRequest(value);
  if (request.apiKey !== apiKey) {
    throw new TributaryError('INVALID_REQUEST', `expected a ${apiName(apiKey)} request, got ${apiName(request.apiKey)}`);
  }
  return request as RequestOf<K>;
}
