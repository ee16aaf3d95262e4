/**
 * What a `Partition` is asked and what it answers: the options and outcomes of its produce,
 * fetch, tick and AlterPartition calls (Kafka's `Partition` returns the same as
 * `LogAppendInfo`, `LogReadInfo` and friends). Apart from `partition.ts` so the replica's
 * logic stays under one file's reading.
 */
import type { LogAppendInfo } from '../storage/log.js';
import type { ErrorCode } from '../util/error-codes.js';
import type { EpochEndOffset } from './core/leader-epoch-cache.js';
import type { RecordError } from './produce-batch-checks.js';

/** An ISR change the leader asks the controller for (one partition of an AlterPartition request). */
export interface AlterIsrProposal {
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsr: readonly number[];
}

/** Options of a produce. */
export interface ProduceOptions {
  /** 0, 1 or -1 (all). */
  readonly acks: number;
  /** For acks=all: how long the produce may wait for the high watermark (Kafka's request timeout). Default 30000. */
  readonly timeoutMs?: number;
  /** For acks=all: the caller's id for this produce, echoed in its `AckCompletion`. */
  readonly token?: number;
  /**
   * The broker's wall clock when the request came (ms since the epoch), for the topic's
   * `message.timestamp.before.max.ms` / `after.max.ms` (CreateTime topics); absent, they are
   * not checked (the group coordinator's own writes).
   */
  readonly nowMs?: number;
}

/** What `appendAsLeader` did. */
export type ProduceOutcome =
  | {
      readonly errorCode: 'NONE';
      readonly firstOffset: number;
      readonly lastOffset: number;
      readonly logAppendTime: number;
      /** The batch was a retry of one already in the log: nothing was appended, these are the original offsets. */
      readonly duplicate: boolean;
      /** acks=all: the answer comes later, as an `AckCompletion` with the produce's token. */
      readonly pending: boolean;
    }
  | { readonly errorCode: ErrorCode; readonly message: string; readonly recordErrors?: readonly RecordError[] };

/** The outcome of an acks=all produce, once the high watermark passed it or it failed. */
export interface AckCompletion {
  readonly token: number;
  /** NONE, NOT_ENOUGH_REPLICAS_AFTER_APPEND, NOT_LEADER_OR_FOLLOWER (leadership changed) or REQUEST_TIMED_OUT. */
  readonly errorCode: ErrorCode;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/** One partition of a Fetch request. `replicaId` -1 is a consumer. */
export interface PartitionFetchRequest {
  readonly replicaId: number;
  readonly fetchOffset: number;
  /** The epoch of the last batch in the follower's log (-1: none, or a consumer). */
  readonly lastFetchedEpoch: number;
  /** The leader epoch the sender believes is current (-1: do not check). */
  readonly currentLeaderEpoch: number;
  /** At most this many bytes (below 0: Kafka's segment read refuses it, UNKNOWN_SERVER_ERROR if there is data to read). */
  readonly maxBytes?: number;
  /** Whether the first batch comes whole past `maxBytes` (KIP-74: only until a partition of the request has given data). Default true. */
  readonly minOneMessage?: boolean;
}

/** One partition of a Fetch response. */
export interface PartitionFetchResponse {
  readonly errorCode: ErrorCode;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** The leader's epoch when it answered. */
  readonly leaderEpoch: number;
  /** Set when the follower's log diverged: truncate to this epoch's end, then fetch again. */
  readonly divergingEpoch?: EpochEndOffset;
  /** Whole batches from the fetch offset (empty on error or divergence). */
  readonly records: Uint8Array;
}

/** What `fetchAsLeader` did beside answering. */
export interface LeaderFetchOutcome {
  readonly response: PartitionFetchResponse;
  /** An ISR expansion to send to the controller. */
  readonly proposal?: AlterIsrProposal;
}

/** What `appendAsFollower` did. */
export interface FollowerAppendOutcome {
  /** The response was for an older request (another epoch or fetch offset) and was dropped. */
  readonly ignored: boolean;
  readonly errorCode: ErrorCode;
  /** The log end offset after a truncation, when there was one. */
  readonly truncatedTo?: number;
  readonly appended?: LogAppendInfo;
}

/** What `tick` did. */
export interface PartitionTickOutcome {
  /** An ISR shrink, or a retry of an unanswered change, to send to the controller. */
  readonly proposal?: AlterIsrProposal;
}

/** The result of an AlterPartition for this partition, as the controller answered it. */
export interface AlterPartitionResult {
  readonly errorCode: ErrorCode;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
}

/** How far a flush reaches: the log end offset when it began, and the truncation count then. */
export interface FlushPoint {
  readonly offset: number;
  readonly truncations: number;
}
