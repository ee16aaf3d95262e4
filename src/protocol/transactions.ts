/**
 * The transaction admin APIs of KIP-664, DescribeProducers (61), DescribeTransactions (65)
 * and ListTransactions (66), shaped after Kafka's `*Request.json` and `*Response.json` at
 * the versions in `api-keys.ts`. Tributary has no transactions (a transactional producer
 * is refused), so the broker lists none; DescribeProducers reports the idempotent
 * producers each partition leader remembers.
 */
import type { ErrorCode } from '../util/error-codes.js';
import type { ApiKey } from './api-keys.js';

// ---- DescribeProducers (61) ----

export interface DescribeProducersRequest {
  readonly apiKey: typeof ApiKey.DescribeProducers;
  readonly topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[];
}

export interface ActiveProducer {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** The last sequence number the producer wrote to the partition, -1 if none. */
  readonly lastSequence: number;
  /** The largest timestamp of its batches, -1 if none. */
  readonly lastTimestamp: number;
  /** The transaction coordinator's epoch, -1 for a producer outside transactions. */
  readonly coordinatorEpoch: number;
  /** The first offset of the producer's open transaction, -1 if none. */
  readonly currentTxnStartOffset: number;
}

export interface DescribeProducersPartition {
  readonly partitionIndex: number;
  readonly errorCode: ErrorCode;
  readonly errorMessage?: string | null;
  readonly activeProducers: readonly ActiveProducer[];
}

export interface DescribeProducersResponse {
  readonly apiKey: typeof ApiKey.DescribeProducers;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly DescribeProducersPartition[] }[];
  readonly throttleTimeMs?: number;
}

// ---- DescribeTransactions (65) ----

export interface DescribeTransactionsRequest {
  readonly apiKey: typeof ApiKey.DescribeTransactions;
  readonly transactionalIds: readonly string[];
}

export interface TransactionDescription {
  readonly errorCode: ErrorCode;
  readonly transactionalId: string;
  readonly transactionState: string;
  readonly transactionTimeoutMs: number;
  readonly transactionStartTimeMs: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

export interface DescribeTransactionsResponse {
  readonly apiKey: typeof ApiKey.DescribeTransactions;
  readonly transactionStates: readonly TransactionDescription[];
  readonly throttleTimeMs?: number;
}

// ---- ListTransactions (66) ----

export interface ListTransactionsRequest {
  readonly apiKey: typeof ApiKey.ListTransactions;
  /** Kafka's state names (`Ongoing`, `PrepareCommit`, ...); empty for every state. */
  readonly stateFilters: readonly string[];
  readonly producerIdFilters: readonly number[];
  /** v1+: only transactions open longer than this many ms; -1 for all. */
  readonly durationFilter?: number;
}

export interface ListTransactionsResponse {
  readonly apiKey: typeof ApiKey.ListTransactions;
  readonly errorCode: ErrorCode;
  /** The state filters of the request that name no state Kafka knows. */
  readonly unknownStateFilters: readonly string[];
  readonly transactionStates: readonly { readonly transactionalId: string; readonly producerId: number; readonly transactionState: string }[];
  readonly throttleTimeMs?: number;
}
