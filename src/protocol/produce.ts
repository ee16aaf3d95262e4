/**
 * Produce (0) and InitProducerId (22), shaped after Kafka's `ProduceRequest.json`,
 * `ProduceResponse.json`, `InitProducerIdRequest.json` and `InitProducerIdResponse.json`.
 *
 * Records travel as the bytes of one or more record batches (format v2, `src/record/batch.ts`),
 * exactly as the producer built them: nobody re-encodes them between the producer and the
 * log, whichever transport carried them.
 */
import type { ApiKey } from './api-keys.js';
import type { ErrorCode } from './common.js';

// ---- Produce (0) ----

export interface PartitionProduceData {
  /** The partition index. */
  readonly index: number;
  /** Record batches (v2), or null for none. */
  readonly records: Uint8Array | null;
}

export interface TopicProduceData {
  readonly name: string;
  readonly partitionData: readonly PartitionProduceData[];
}

export interface ProduceRequest {
  readonly apiKey: typeof ApiKey.Produce;
  /** The transactional id, or null when the producer is not transactional. */
  readonly transactionalId?: string | null;
  /** 0: no response; 1: the leader's append; -1: the whole ISR. Anything else is `INVALID_REQUIRED_ACKS`. */
  readonly acks: number;
  /** How long to wait for the acknowledgements `acks` asks for. */
  readonly timeoutMs: number;
  readonly topicData: readonly TopicProduceData[];
}

/** One batch of a partition's data that the broker refused, with why (v8+). */
export interface BatchIndexAndErrorMessage {
  /** The index of the refused batch within the partition's records. */
  readonly batchIndex: number;
  readonly batchIndexErrorMessage: string | null;
}

export interface PartitionProduceResponse {
  readonly index: number;
  readonly errorCode: ErrorCode;
  /** The offset of the first record appended; -1 on error. */
  readonly baseOffset: number;
  /** The append time the broker stamped when the topic uses LogAppendTime; -1 otherwise. */
  readonly logAppendTimeMs: number;
  /** The partition's log start offset; -1 on error. */
  readonly logStartOffset: number;
  readonly recordErrors?: readonly BatchIndexAndErrorMessage[];
  readonly errorMessage?: string | null;
}

export interface TopicProduceResponse {
  readonly name: string;
  readonly partitionResponses: readonly PartitionProduceResponse[];
}

export interface ProduceResponse {
  readonly apiKey: typeof ApiKey.Produce;
  readonly responses: readonly TopicProduceResponse[];
  /** 0 unless a quota throttled the request. */
  readonly throttleTimeMs?: number;
}

// ---- InitProducerId (22) ----

export interface InitProducerIdRequest {
  readonly apiKey: typeof ApiKey.InitProducerId;
  /** The transactional id, or null for an idempotent producer without transactions. */
  readonly transactionalId: string | null;
  /** The transaction timeout; ignored without a transactional id. */
  readonly transactionTimeoutMs: number;
  /** The producer's current id, or -1 (v3+: a producer bumping its epoch after an error). */
  readonly producerId?: number;
  /** The producer's current epoch, or -1. */
  readonly producerEpoch?: number;
}

export interface InitProducerIdResponse {
  readonly apiKey: typeof ApiKey.InitProducerId;
  readonly errorCode: ErrorCode;
  /** -1 on error. */
  readonly producerId: number;
  /** -1 on error. */
  readonly producerEpoch: number;
  readonly throttleTimeMs?: number;
}
