/**
 * What the controller's parts share while deciding one request: the `Txn` that collects
 * its records (each replayed into a delta at once, so later checks in the same request
 * see earlier records), and the small helpers for Kafka-style failures.
 */
import type { ErrorCode } from '../util/error-codes.js';
import { MetadataDelta, type MetadataImage } from './image.js';
import { encodeMetadataRecords, metadataStringBytesMax, type MetadataRecord } from './records.js';
import type {
  AllocateProducerIdsResponse,
  AlterPartitionResponse,
  BrokerHeartbeatResponse,
  BrokerRegistrationResponse,
  ControllerRequest,
  CreatePartitionsResponse,
  CreateTopicsResponse,
  DeleteTopicsResponse,
  DescribeConfigsResponse,
  ElectLeadersResponse,
  IncrementalAlterConfigsResponse,
  UnregisterBrokerResponse,
} from './requests.js';
import { zeroUuid } from './uuid.js';

/**
 * The most records one user operation (an admin request) may write: Kafka's
 * `QuorumController.MAX_RECORDS_PER_USER_OP`. Kafka collects such a request's records in
 * a `BoundedList` of this length; adding one more throws `BoundedListTooLongException`,
 * which the controller answers as a `PolicyViolationException` with
 * {@link excessivelyLargeBatch} for the whole request (`EventHandlerExceptionInfo`). A
 * topic of 9,999 partitions (its Topic record and 9,999 Partition records) is the
 * largest one CreateTopics of a single topic without configs can make.
 */
export const recordsPerUserOpMax = 10_000;

/** Kafka's message for an operation over {@link recordsPerUserOpMax} records. */
export const excessivelyLargeBatch = 'Unable to perform excessively large batch operation.';

/**
 * The most bytes of records one request may write. They go to the metadata log as one
 * Raft entry, one record batch, which the log refuses past its `max.message.bytes`
 * (Kafka's default, 1,048,588); 512 bytes are left for the batch header and the one
 * record's framing (61 and at most 15 bytes). `RaftNode` uses the same log limit.
 */
export const entryBytesMax = 1_048_588 - 512;

/** The admin requests whose records Kafka bounds (its user operations); broker requests and the controller's own work are not. */
const userOps: ReadonlySet<ControllerRequest['type']> = new Set(['CreateTopics', 'DeleteTopics', 'CreatePartitions', 'IncrementalAlterConfigs', 'ElectLeaders']);

/** Thrown by `Txn.emit` past its bound; the controller answers it with {@link userOpTooLarge}. */
class RecordsBoundExceeded extends Error {}

/**
 * Records being decided for one request: each record is replayed into a delta as soon as
 * it is emitted, so that the rest of the request is validated against it (the second of
 * two topics named alike sees the first).
 */
export class Txn {
  readonly delta: MetadataDelta;
  readonly records: MetadataRecord[] = [];
  /** The most records this request may emit ({@link recordsPerUserOpMax} for a user operation). */
  private readonly recordsMax: number;

  constructor(
    base: MetadataImage,
    readonly firstOffset: number,
    requestType?: ControllerRequest['type'],
  ) {
    this.delta = new MetadataDelta(base);
    this.recordsMax = requestType !== undefined && userOps.has(requestType) ? recordsPerUserOpMax : Infinity;
  }

  /** The offset the next emitted record will have. */
  get nextOffset(): number {
    return this.firstOffset + this.records.length;
  }

  emit(record: MetadataRecord): void {
    // Stop at the first record past the bound, as Kafka's BoundedList does, so a request
    // for 100,000 partitions costs 10,000 records of work, not 100,000.
    if (this.records.length >= this.recordsMax) throw new RecordsBoundExceeded(excessivelyLargeBatch);
    this.records.push(record);
    this.delta.replay(record);
  }

  /** Whether a broker may lead or join an ISR: registered and unfenced. */
  usable = (brokerId: number): boolean => {
    const b = this.delta.broker(brokerId);
    return b !== undefined && !b.fenced;
  };
}

/** Why a request (or one of its parts) fails: Kafka's error code and a message. */
export type Failure = { readonly code: ErrorCode; readonly message: string };

export const ok = { errorCode: 'NONE', errorMessage: null } as const;

export function fail(code: ErrorCode, message: string): Failure {
  return { code, message };
}

export function isBrokerId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= 0x7fffffff;
}

const textEncoder = new TextEncoder();

/** Whether a string fits a metadata record's string field. */
export function fitsString(s: string): boolean {
  return s.length <= metadataStringBytesMax && textEncoder.encode(s).length <= metadataStringBytesMax;
}

/** The response to a request whose part threw: Kafka's POLICY_VIOLATION for one over {@link recordsPerUserOpMax}; anything else is a bug and rethrown. */
export function userOpTooLarge(request: ControllerRequest, err: unknown): unknown {
  if (!(err instanceof RecordsBoundExceeded)) throw err;
  return errorResponse(request, 'POLICY_VIOLATION', excessivelyLargeBatch);
}

/** A RECORD_LIST_TOO_LARGE response when the request's records would not fit one metadata log entry, else undefined. */
export function entryTooLarge(request: ControllerRequest, txn: Txn, bytesMax: number): unknown {
  if (txn.records.length === 0) return undefined;
  const bytes = encodeMetadataRecords(txn.records).length;
  if (bytes <= bytesMax) return undefined;
  return errorResponse(request, 'RECORD_LIST_TOO_LARGE', `the request's ${txn.records.length} metadata records take ${bytes} bytes, over the ${bytesMax} one metadata log entry may hold`);
}

/** A response to `request` in which everything failed with `code` (a controller that is not active, or is overloaded). */
export function errorResponse(request: ControllerRequest, code: ErrorCode, message: string): unknown {
  const e = { errorCode: code, errorMessage: message };
  switch (request.type) {
    case 'CreateTopics':
      return { topics: request.topics.map((t) => ({ name: t.name, topicId: zeroUuid, ...e, numPartitions: -1, replicationFactor: -1 })) } satisfies CreateTopicsResponse;
    case 'DeleteTopics':
      return { responses: request.topics.map((t) => ({ name: t.name ?? null, topicId: t.topicId ?? zeroUuid, ...e })) } satisfies DeleteTopicsResponse;
    case 'CreatePartitions':
      return { results: request.topics.map((t) => ({ name: t.name, ...e })) } satisfies CreatePartitionsResponse;
    case 'IncrementalAlterConfigs':
      return { responses: request.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, ...e })) } satisfies IncrementalAlterConfigsResponse;
    case 'DescribeConfigs':
      return { results: request.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, ...e, configs: [] })) } satisfies DescribeConfigsResponse;
    case 'BrokerRegistration':
      return { ...e, brokerEpoch: -1 } satisfies BrokerRegistrationResponse;
    case 'BrokerHeartbeat':
      return { ...e, isCaughtUp: false, isFenced: true, shouldShutDown: false } satisfies BrokerHeartbeatResponse;
    case 'UnregisterBroker':
      return e satisfies UnregisterBrokerResponse;
    case 'AlterPartition':
      return { ...e, topics: [] } satisfies AlterPartitionResponse;
    case 'ElectLeaders':
      return { ...e, replicaElectionResults: [] } satisfies ElectLeadersResponse;
    case 'AllocateProducerIds':
      return { ...e, producerIdStart: -1, producerIdLen: 0 } satisfies AllocateProducerIdsResponse;
  }
}

/**
 * The requests whose records are one metadata log entry, all or nothing (a user's
 * operation: CreateTopics, DeleteTopics, ...). The brokers' own (registration, heartbeat,
 * unregistration, AlterPartition) and the controller's tick are not (see
 * `ControllerResult.atomic`).
 */
export const atomicRequests: ReadonlySet<ControllerRequest['type']> = new Set<ControllerRequest['type']>(['CreateTopics', 'DeleteTopics', 'CreatePartitions', 'IncrementalAlterConfigs', 'ElectLeaders', 'AllocateProducerIds', 'DescribeConfigs']);
