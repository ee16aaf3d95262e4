/**
 * Fetch (1), ListOffsets (2) and OffsetForLeaderEpoch (23), shaped after Kafka's
 * `FetchRequest.json` (v12), `ListOffsetsRequest.json` (v7), `OffsetForLeaderEpochRequest.json`
 * (v4) and their responses.
 *
 * Fetch serves both consumers (`replicaId` -1) and followers (`replicaId` = the follower's
 * broker id); a follower's fetch offset tells the leader its log end offset, and
 * `lastFetchedEpoch` lets the leader answer with a `divergingEpoch` when the follower's log
 * has diverged (KIP-595), so the follower truncates without a separate
 * OffsetForLeaderEpoch round trip.
 */
import type { ApiKey } from './api-keys.js';
import type { ErrorCode, IsolationLevel } from './common.js';

// ---- Fetch (1) ----

export interface FetchPartition {
  readonly partition: number;
  /** The leader epoch the fetcher believes is current, or -1 to skip the check (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH). */
  readonly currentLeaderEpoch?: number;
  /** The offset of the first record wanted. */
  readonly fetchOffset: number;
  /** The epoch of the last record the fetcher has (followers, v12+), or -1. */
  readonly lastFetchedEpoch?: number;
  /** The fetcher's log start offset (followers only), or -1. */
  readonly logStartOffset?: number;
  /** At most this many bytes for this partition (at least one whole batch is returned even if larger). */
  readonly partitionMaxBytes: number;
}

export interface FetchTopic {
  readonly topic: string;
  readonly partitions: readonly FetchPartition[];
}

/** Partitions to drop from an incremental fetch session. */
export interface ForgottenTopic {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface FetchRequest {
  readonly apiKey: typeof ApiKey.Fetch;
  /** -1 for a consumer; the follower's broker id for a follower. */
  readonly replicaId: number;
  /** The longest the broker may wait for `minBytes`. */
  readonly maxWaitMs: number;
  /** Answer as soon as this many bytes are available (or `maxWaitMs` passes). */
  readonly minBytes: number;
  /** At most this many bytes in all (at least one whole batch is returned even if larger). */
  readonly maxBytes: number;
  readonly isolationLevel: IsolationLevel;
  /** The fetch session id (KIP-227); 0 for none. */
  readonly sessionId?: number;
  /** The fetch session epoch; -1 for a full fetch without a session. */
  readonly sessionEpoch?: number;
  readonly topics: readonly FetchTopic[];
  readonly forgottenTopicsData?: readonly ForgottenTopic[];
  /** The consumer's rack, for fetching from the closest replica (KIP-392); '' for none. */
  readonly rackId?: string;
  /** The cluster id the fetcher believes in (tagged, v12+; KRaft followers), or null. */
  readonly clusterId?: string | null;
}

/** The end of the last epoch the leader and a fetching follower agree on (KIP-595). */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export interface LeaderIdAndEpoch {
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export interface SnapshotId {
  readonly endOffset: number;
  readonly epoch: number;
}

export interface AbortedTransaction {
  readonly producerId: number;
  /** The first offset of the aborted transaction in this partition. */
  readonly firstOffset: number;
}

export interface FetchPartitionResponse {
  readonly partitionIndex: number;
  readonly errorCode: ErrorCode;
  readonly highWatermark: number;
  /** The last stable offset: the end of the data a read_committed consumer may see; -1 if unknown. */
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** Set when the follower's log diverged from the leader's: truncate to here, then fetch again. */
  readonly divergingEpoch?: EpochEndOffset;
  /** The current leader, when this broker is not it (tagged, v12+; KIP-951). */
  readonly currentLeader?: LeaderIdAndEpoch;
  /** The snapshot to fetch instead, when the offset is below the log start (tagged, v12+; KRaft). */
  readonly snapshotId?: SnapshotId;
  /** Aborted transactions in the returned range (read_committed only), or null. */
  readonly abortedTransactions: readonly AbortedTransaction[] | null;
  /** A replica the consumer should fetch from instead (KIP-392), or -1. */
  readonly preferredReadReplica: number;
  /** Record batches (v2) exactly as stored, or null for none. */
  readonly records: Uint8Array | null;
}

export interface FetchTopicResponse {
  readonly topic: string;
  readonly partitions: readonly FetchPartitionResponse[];
}

export interface FetchResponse {
  readonly apiKey: typeof ApiKey.Fetch;
  /** A request-level error, such as FETCH_SESSION_ID_NOT_FOUND; per-partition errors are below. */
  readonly errorCode: ErrorCode;
  readonly sessionId: number;
  readonly responses: readonly FetchTopicResponse[];
  readonly throttleTimeMs?: number;
}

// ---- ListOffsets (2) ----

export interface ListOffsetsPartition {
  readonly partitionIndex: number;
  /** The leader epoch the client believes is current, or -1. */
  readonly currentLeaderEpoch?: number;
  /** `ListOffsetsTimestamp.Latest` (-1), `.Earliest` (-2), `.MaxTimestamp` (-3), or a timestamp in ms. */
  readonly timestamp: number;
}

export interface ListOffsetsTopic {
  readonly name: string;
  readonly partitions: readonly ListOffsetsPartition[];
}

export interface ListOffsetsRequest {
  readonly apiKey: typeof ApiKey.ListOffsets;
  /** -1 for a consumer; a broker id for a follower. */
  readonly replicaId: number;
  readonly isolationLevel: IsolationLevel;
  readonly topics: readonly ListOffsetsTopic[];
}

export interface ListOffsetsPartitionResponse {
  readonly partitionIndex: number;
  readonly errorCode: ErrorCode;
  /** The timestamp of the record found, or -1. */
  readonly timestamp: number;
  /** The offset found, or -1 when no record has a timestamp at least the one asked for. */
  readonly offset: number;
  /** The leader epoch of the record at `offset`, or -1. */
  readonly leaderEpoch: number;
}

export interface ListOffsetsTopicResponse {
  readonly name: string;
  readonly partitions: readonly ListOffsetsPartitionResponse[];
}

export interface ListOffsetsResponse {
  readonly apiKey: typeof ApiKey.ListOffsets;
  readonly topics: readonly ListOffsetsTopicResponse[];
  readonly throttleTimeMs?: number;
}

// ---- OffsetForLeaderEpoch (23) ----

export interface OffsetForLeaderPartition {
  readonly partition: number;
  /** The leader epoch the client believes is current, or -1. */
  readonly currentLeaderEpoch: number;
  /** The epoch whose end offset is wanted. */
  readonly leaderEpoch: number;
}

export interface OffsetForLeaderTopic {
  readonly topic: string;
  readonly partitions: readonly OffsetForLeaderPartition[];
}

export interface OffsetForLeaderEpochRequest {
  readonly apiKey: typeof ApiKey.OffsetForLeaderEpoch;
  /** The follower's broker id, or -1 for a consumer (-2 for debugging). */
  readonly replicaId: number;
  readonly topics: readonly OffsetForLeaderTopic[];
}

export interface EpochEndOffsetResult {
  readonly errorCode: ErrorCode;
  readonly partition: number;
  /** The largest epoch <= the one asked for; -1 if none. */
  readonly leaderEpoch: number;
  /** The start offset of the next larger epoch (or the log end offset); -1 if unknown. */
  readonly endOffset: number;
}

export interface OffsetForLeaderTopicResult {
  readonly topic: string;
  readonly partitions: readonly EpochEndOffsetResult[];
}

export interface OffsetForLeaderEpochResponse {
  readonly apiKey: typeof ApiKey.OffsetForLeaderEpoch;
  readonly topics: readonly OffsetForLeaderTopicResult[];
  readonly throttleTimeMs?: number;
}
