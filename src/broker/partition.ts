import type { BatchHeader } from '../record/batch.js';
import type { LogAppendInfo } from '../storage/log.js';
import { checksummedHere } from '../record/checksummed-here.js';
import { AppendTail, type TailBudget } from '../storage/append-tail.js';
import { validateBatches, type ValidationRules } from '../storage/log-validator.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { assert } from '../util/assert.js';
import type { ErrorCode } from '../util/error-codes.js';
import { isTributaryError } from '../util/errors.js';
import { IsrState } from './core/isr.js';
import type { LeaderEpochCache, EpochEndOffset, EpochStart } from './core/leader-epoch-cache.js';
import { ProducerState, type ProducerBatch } from './core/producer-state.js';
import { asStoredBatch, beforeCrcProblem, claimsLogAppendTime, leaderBatchProblem, leaderRulesFor, legacyMagicProblem, segmentProblem, timestampProblem } from './produce-batch-checks.js';
import { loadProducerState } from './producer-state-loader.js';
import { divergingEpoch, leaderEpochProblem, truncationOffset } from './core/replica-fetch.js';


/** Settings of a partition replica, with Kafka's config names in the comments. */
export interface PartitionConfig {
  /** `min.insync.replicas`: the smallest ISR an acks=all produce is accepted with. Default 1. */
  readonly minInsyncReplicas: number;
  /** `replica.lag.time.max.ms`: an ISR member that has not caught up for this long is proposed for removal. Default 30000. */
  readonly replicaLagTimeMaxMs: number;
  /** How long an unanswered ISR change waits before it is proposed again. Default 1000. */
  readonly alterPartitionRetryMs: number;
  /**
   * Tributary's choice beyond Kafka: when true, the leader counts only its own *flushed*
   * offset toward the high watermark, and a follower fetches again only once what it
   * appended is flushed (`followerFetchRequest` returns undefined until then), so every
   * record below the high watermark is on disk on every ISR member: acknowledged records
   * survive every replica losing power. When false (Kafka's default), acknowledged
   * records survive process crashes and the loss of a minority of machines. Default false.
   */
  readonly hwRequiresFlush: boolean;
}

export const defaultPartitionConfig: PartitionConfig = Object.freeze({
  minInsyncReplicas: 1,
  replicaLagTimeMaxMs: 30_000,
  alterPartitionRetryMs: 1000,
  hwRequiresFlush: false,
});

/** The most acks=all produces one partition lets wait for the high watermark. */
export const pendingAcksMax = 65_536;
/** The most bytes one fetch returns from one partition (Kafka's max.partition.fetch.bytes default, 1 MiB). */
export const fetchBytesDefault = 1024 * 1024;

/** A partition's state as the controller committed it (a PartitionRecord or PartitionChangeRecord applied). */
export interface LeaderAndIsr {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export type PartitionRole = 'none' | 'leader' | 'follower';

export type { AlterIsrProposal, ProduceOptions, ProduceOutcome, AckCompletion, PartitionFetchRequest, PartitionFetchResponse, LeaderFetchOutcome, FollowerAppendOutcome, PartitionTickOutcome, AlterPartitionResult, FlushPoint } from './partition-outcomes.js';
import type { AlterIsrProposal, ProduceOptions, ProduceOutcome, AckCompletion, PartitionFetchRequest, PartitionFetchResponse, LeaderFetchOutcome, FollowerAppendOutcome, PartitionTickOutcome, AlterPartitionResult, FlushPoint } from './partition-outcomes.js';

/** Options of a `Partition`. */
export interface PartitionOptions {
  readonly log: PartitionLog;
  readonly brokerId: number;
  /** The high watermark from the broker's checkpoint (clamped to the log); default the log start. */
  readonly highWatermark?: number;
  readonly config?: Partial<PartitionConfig>;
  /**
   * Whether a broker may join the ISR now: registered, unfenced and not shutting down in
   * the leader's metadata (KIP-841). A fenced follower that fetches is not proposed, so
   * the leader does not ask the controller again and again for a change it must refuse.
   * Default: every broker.
   */
  readonly isReplicaEligible?: (brokerId: number) => boolean;
  /** What this replica's leader tail (storage/append-tail.ts) counts against: its broker's; default one of its own. */
  readonly tailBudget?: TailBudget;
}

interface PendingAck {
  readonly token: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly deadlineMs: number;
}

interface PendingAlter {
  readonly proposal: AlterIsrProposal;
  sentMs: number;
}

const noRecords = new Uint8Array(0);

/** A leader append's options, one object for every append (the log reads them during the call and keeps nothing). */
const leaderAppend = { assignOffsets: true, leaderEpoch: 0 };


/**
 * One replica of one partition on one broker: Kafka's `Partition` (leader and follower
 * roles, ISR, high watermark, leader epochs, idempotent producers) over a `Log`.
 *
 * Everything here is synchronous and takes time as `now`: the broker (or a simulation)
 * calls a method, gets back what to send, and drives the I/O. The log's own writes are
 * synchronous (they reach the page cache before returning); durability is the caller's
 * business, reported back through {@link Partition.markFlushed} (with the point taken by
 * {@link Partition.flushPoint} before the sync began).
 *
 * Contract, by role:
 * - **Leader** (`makeLeader`): `appendAsLeader` for produce requests, `fetchAsLeader` for
 *   follower and consumer fetches. ISR changes are proposals (`AlterIsrProposal`) the
 *   caller sends to the controller; the outcome comes back through
 *   `alterPartitionResponse` or as a metadata change through `makeLeader`.
 * - **Follower** (`makeFollower`): `followerFetchRequest` says what to ask the leader,
 *   `appendAsFollower` applies the answer (truncating a diverged tail first).
 * - acks=all produces wait in a pending list; every call that can move the high
 *   watermark or change leadership completes some of them, and `drainAcks` hands the
 *   completions to the caller, who answers the producers.
 *
 * Durable state: the log (segments and its `leader-epoch-checkpoint`, both owned by the
 * storage layer) and the high watermark, which the broker checkpoints for all its
 * partitions in one `replication-offset-checkpoint` file ({@link writeHighWatermarkCheckpoint})
 * and passes back on open, as Kafka does.
 */
/** What `timestampProblem` saw of a produced batch's records, reused (appends are synchronous). */
const recordsSeen = { maxTimestamp: -1 };

export class Partition {
  readonly config: PartitionConfig;
  readonly log: PartitionLog;
  readonly brokerId: number;
  private readonly isReplicaEligible: (brokerId: number) => boolean;

  private roleValue: PartitionRole = 'none';
  private leaderIdValue = -1;
  private leaderEpochValue = -1;
  private partitionEpochValue = -1;
  private replicasValue: readonly number[] = [];
  /** `replicasValue.length`, kept beside it: a leader's append asks, and the array was one more cold load a batch. */
  private replicaCount = 0;
  /** The ISR as the controller committed it. */
  private committedIsr: readonly number[] = [];
  /** Leader only: follower fetch state, the maximal ISR (committed plus a pending expansion) and the high watermark math. */
  private isrState: IsrState | undefined;
  private pendingAlter: PendingAlter | undefined;
  private hw: number;
  private flushed: number;
  private readonly epochCache: LeaderEpochCache;
  private readonly producers = new ProducerState();
  private pendingAcks: PendingAck[] = [];
  private completedAcks: AckCompletion[] = [];
  private truncationCount = 0;
  /** Leader only: the log end offset when this term began. */
  private leaderEpochStartOffset = 0;
  /** Follower only: the last high watermark the leader sent (with `hwRequiresFlush`, ours waits for the flush to reach it). */
  private leaderHwSeen = 0;
  /** Leader with followers only: its last appends, to answer follower fetches from memory. */
  private readonly tail: AppendTail;
  /**
   * False while the tail is surely empty (nothing appended to it since its last clear
   * here): a leader without followers then skips its clear and its drop, each a read of
   * the tail and of its list, two more cold cache lines a batch with keyed records over
   * 10,000 partitions.
   */
  private tailHolds = false;

  constructor(options: PartitionOptions) {
    this.config = { ...defaultPartitionConfig, ...options.config };
    assert(Number.isInteger(this.config.minInsyncReplicas) && this.config.minInsyncReplicas >= 1, 'minInsyncReplicas must be at least 1');
    this.log = options.log;
    this.brokerId = options.brokerId;
    this.isReplicaEligible = options.isReplicaEligible ?? (() => true);
    this.tail = new AppendTail(options.tailBudget);
    // Recovery: the log end offset is what the log recovered; the epoch history is the
    // log's checkpoint (rebuilt by the storage layer from batch headers if it was lost).
    this.epochCache = this.log.leaderEpochCache;
    this.hw = clamp(options.highWatermark ?? this.log.logStartOffset, this.log.logStartOffset, this.log.logEndOffset);
    // What was recovered from disk is on disk.
    this.flushed = this.log.logEndOffset;
    // The log's producer-state snapshots (taken at rolls and clean closes) hold this state.
    this.log.producerSnapshots.source = () => this.producers.snapshot();
    this.rebuildProducerState();
  }

  // ------------------------------------------------------------------------ accessors

  get topic(): string {
    return this.log.topic;
  }
  get partition(): number {
    return this.log.partition;
  }
  get role(): PartitionRole {
    return this.roleValue;
  }
  get leaderId(): number {
    return this.leaderIdValue;
  }
  get leaderEpoch(): number {
    return this.leaderEpochValue;
  }
  get partitionEpoch(): number {
    return this.partitionEpochValue;
  }
  get replicas(): readonly number[] {
    return this.replicasValue;
  }
  /** The ISR as committed by the controller (what `min.insync.replicas` is checked against before an append). */
  get isr(): readonly number[] {
    return this.committedIsr;
  }
  /** Leader only: the ISR the high watermark is computed over (committed plus any pending expansion). */
  get maximalIsr(): readonly number[] {
    return this.isrState?.isr ?? this.committedIsr;
  }
  get highWatermark(): number {
    return this.hw;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  /** What the caller has reported durable with `markFlushed`. */
  get flushedOffset(): number {
    return this.flushed;
  }
  /** The leader epoch history (the log's, plus the current leader epoch's start once this replica leads). */
  get epochs(): readonly EpochStart[] {
    return this.epochCache.entries;
  }
  /** How many times this replica cut its log (a diverged tail); for monitoring and tests. */
  get truncations(): number {
    return this.truncationCount;
  }
  /** acks=all produces waiting for the high watermark. */
  get pendingAckCount(): number {
    return this.pendingAcks.length;
  }
  /** The ISR change waiting for the controller, if any. */
  get pendingIsrChange(): AlterIsrProposal | undefined {
    return this.pendingAlter?.proposal;
  }

  // ------------------------------------------------------------------ metadata changes

  /**
   * Applies a committed partition state naming this broker as leader. Returns false when
   * it is stale (an older leader epoch, or the same one at an older or equal partition
   * epoch) and was ignored. A new leader epoch starts in the epoch cache at the log end
   * offset (Kafka's `maybeAssignEpochStartOffset`), resets follower fetch state, and fails
   * the acks=all produces of the previous term with NOT_LEADER_OR_FOLLOWER (their
   * retries are duplicates and get the original offsets). The same leader epoch at a newer
   * partition epoch is an ISR change: it is applied and clears a pending proposal.
   */
  makeLeader(state: LeaderAndIsr, now: number): boolean {
    assert(state.leader === this.brokerId, `makeLeader on broker ${this.brokerId} for leader ${state.leader}`);
    assert(state.isr.includes(this.brokerId) && state.replicas.includes(this.brokerId), 'a leader is a replica in its ISR');
    if (this.isStale(state)) return false;
    const newTerm = this.roleValue !== 'leader' || state.leaderEpoch !== this.leaderEpochValue;
    const replicasChanged = !sameMembers(state.replicas, this.replicasValue);
    this.leaderIdValue = this.brokerId;
    this.leaderEpochValue = state.leaderEpoch;
    this.partitionEpochValue = state.partitionEpoch;
    this.replicasValue = [...state.replicas];
    this.replicaCount = state.replicas.length;
    this.committedIsr = [...state.isr];
    this.pendingAlter = undefined;
    if (newTerm) {
      this.failPendingAcks('NOT_LEADER_OR_FOLLOWER');
      this.roleValue = 'leader';
      this.leaderEpochStartOffset = this.log.logEndOffset;
      this.epochCache.assign(state.leaderEpoch, this.leaderEpochStartOffset);
      this.isrState = new IsrState(this.brokerId, state.replicas, state.isr, this.leaderEpochStartOffset, this.hw, now);
    } else if (replicasChanged) {
      // A reassignment within the term: follower fetch state starts over for the new
      // replica set (the high watermark waits for the ISR's next fetches; it never drops).
      this.isrState = new IsrState(this.brokerId, state.replicas, state.isr, this.leaderEpochStartOffset, this.hw, now);
    } else {
      this.isrState!.setIsr(state.isr, this.leaderEndForHw());
    }
    this.afterLeaderHwMayMove();
    return true;
  }

  /**
   * Applies a committed partition state in which this broker is a follower (`leader` may
   * be -1: no leader, nothing to fetch). Stale states are ignored (returns false). A
   * follower does not truncate here: it learns where its log diverged from its first
   * fetch (Fetch v12's DivergingEpoch).
   */
  makeFollower(state: LeaderAndIsr, _now: number): boolean {
    assert(state.leader !== this.brokerId, `makeFollower on broker ${this.brokerId}, which is the leader`);
    if (this.isStale(state)) return false;
    if (this.roleValue === 'leader' || state.leaderEpoch !== this.leaderEpochValue) this.failPendingAcks('NOT_LEADER_OR_FOLLOWER');
    if (this.roleValue === 'leader') this.dropUnwrittenEpoch();
    this.tail.clear();
    if (this.roleValue !== 'follower' || state.leaderEpoch !== this.leaderEpochValue) this.leaderHwSeen = this.hw;
    this.roleValue = 'follower';
    this.leaderIdValue = state.leader;
    this.leaderEpochValue = state.leaderEpoch;
    this.partitionEpochValue = state.partitionEpoch;
    this.replicasValue = [...state.replicas];
    this.replicaCount = state.replicas.length;
    this.committedIsr = [...state.isr];
    this.isrState = undefined;
    this.pendingAlter = undefined;
    return true;
  }

  private isStale(state: LeaderAndIsr): boolean {
    if (state.leaderEpoch < this.leaderEpochValue) return true;
    return state.leaderEpoch === this.leaderEpochValue && state.partitionEpoch <= this.partitionEpochValue;
  }

  /**
   * A leader that wrote nothing in its epoch leaves no trace of it in the log; its cache
   * entry at the log end (assigned by makeLeader) goes when it stops leading, so that the
   * cache again matches the log's checkpoint.
   */
  private dropUnwrittenEpoch(): void {
    this.epochCache.truncateFromEnd(this.log.logEndOffset);
  }

  // --------------------------------------------------------------------------- leader

  /**
   * Appends a produce request's batches as leader: Kafka's `appendRecordsToLeader`. In
   * order: leadership; `acks` valid; for acks=all, the committed ISR at least
   * `min.insync.replicas` (NOT_ENOUGH_REPLICAS, nothing appended); the one check of the
   * bytes (`validateBatches`: CRC and structure, CORRUPT_MESSAGE; `max.message.bytes`,
   * MESSAGE_TOO_LARGE; one record per offset and, on a compacted topic, keys,
   * INVALID_RECORD), whose result the log trusts; the idempotent producer rules (a
   * duplicate returns the original offsets and appends nothing;
   * OUT_OF_ORDER_SEQUENCE_NUMBER; INVALID_PRODUCER_EPOCH); then the append, which assigns
   * offsets and stamps the leader epoch into each batch. Kafka's produce rules
   * (`produce-batch-checks.ts`): exactly one batch (INVALID_RECORD for more, idempotent
   * or not), message format v2, base offset 0, no control batch, a producer id with a
   * sequence (INVALID_RECORD); every record's timestamp (INVALID_TIMESTAMP, with the
   * refused records' indexes: `timestampProblem`); a batch within
   * `segment.bytes` (RECORD_LIST_TOO_LARGE).
   *
   * acks=all returns `pending: true`; the answer arrives as an `AckCompletion` (see
   * `drainAcks`) once the high watermark passes the last offset: NONE when the ISR it was
   * computed over still has `min.insync.replicas` members, else
   * NOT_ENOUGH_REPLICAS_AFTER_APPEND (the records are in the log and a retry will be a
   * duplicate).
   */
  appendAsLeader(batches: Uint8Array, options: ProduceOptions, now: number): ProduceOutcome {
    if (this.roleValue !== 'leader') return error('NOT_LEADER_OR_FOLLOWER', `broker ${this.brokerId} does not lead ${this.topic}-${this.partition}`);
    const acks = options.acks;
    if (acks !== 0 && acks !== 1 && acks !== -1) return error('INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, got ${acks}`);
    if (acks === -1) {
      if (this.committedIsr.length < this.config.minInsyncReplicas) {
        return error('NOT_ENOUGH_REPLICAS', `the ISR ${JSON.stringify(this.committedIsr)} is smaller than min.insync.replicas ${this.config.minInsyncReplicas}`);
      }
      if (this.pendingAcks.length >= pendingAcksMax) return error('REQUEST_TIMED_OUT', `${this.pendingAcks.length} acks=all produces are already waiting`);
    }
    // The one check of these bytes (CRC, structure, size, the topic's rules): what it read
    // serves the producer checks here and goes down to the log, which does not check again.
    // The CRC pass only where the bytes crossed a trust boundary: a batch a Producer in
    // this thread checksummed and handed over in-process is not checksummed again
    // (record/checksummed-here.ts); bytes from a socket, a worker or a file always are.
    const legacy = legacyMagicProblem(batches) ?? beforeCrcProblem(batches, this.log.config.maxMessageBytes);
    if (legacy !== undefined) return error(legacy.errorCode, legacy.message);
    const trusted = checksummedHere(batches);
    const checked = validateBatches(batches, this.validationRules(true, !trusted));
    if (!checked.ok) return { errorCode: checked.errorCode, message: checked.message, recordErrors: checked.recordErrors };
    let validated = checked.value;
    const headers = validated.batches;
    // Kafka's produce rules past the structure: one batch, base offset 0, no control batch... (produce-batch-checks.ts).
    const refused = leaderBatchProblem(headers) ?? timestampProblem(headers[0]!, validated.bytes, options.nowMs, this.log.config, recordsSeen, trusted) ?? segmentProblem(headers[0]!, this.log.config.segmentBytes);
    if (refused !== undefined) return { errorCode: refused.errorCode, message: refused.message, recordErrors: refused.recordErrors };
    // Stored as Kafka stores it on a CreateTime topic: a producer's LogAppendTime claim as
    // CreateTime, and the records' largest timestamp as the batch's max timestamp.
    const first = headers[0]!.header;
    if (this.log.config.messageTimestampType === 'CreateTime' && (claimsLogAppendTime(first) || recordsSeen.maxTimestamp !== first.maxTimestamp)) {
      validated = asStoredBatch(validated, this.validationRules(true, false), recordsSeen.maxTimestamp);
    }

    const only = headers[0]!.header;
    if (only.producerId >= 0) {
      const check = this.producers.check(producerBatchOf(only));
      if (check.kind === 'error') return error(check.code, check.message);
      if (check.kind === 'duplicate') return this.accepted(check.firstOffset, check.lastOffset, -1, true, options, now);
    }
    let info: LogAppendInfo;
    try {
      // Not `now`: that is monotonic time (acks deadlines, ISR lag); the log stamps
      // LogAppendTime and rolls segments by its own wall clock.
      leaderAppend.leaderEpoch = this.leaderEpochValue;
      info = this.log.appendValidated(validated, leaderAppend);
    } catch (err) {
      if (isTributaryError(err)) return error(err.code, err.message);
      throw err;
    }
    // The log stamped the leader epoch; its first batch opened the epoch in its cache at
    // the offset makeLeader already assigned here.
    let offset = info.firstOffset;
    // The stored headers (`validated`'s), not the producer's: the producer state keeps the
    // max timestamp as stored, which a follower reads from the stored batch.
    for (const { header: h } of validated.batches) {
      const count = h.lastOffsetDelta + 1;
      // Only an idempotent producer's batch has state to keep (no object made for the others).
      if (h.producerId >= 0) this.producers.apply(producerBatchOf(h), offset, offset + count - 1, h.maxTimestamp);
      offset += count;
    }
    assert(offset === info.lastOffset + 1, 'the batches span the offsets the log assigned');
    assert(this.epochCache.latestEpoch === this.leaderEpochValue, 'the leader’s epoch is the latest in its cache');
    // Kept for the followers' fetches (a LogAppendTime stamp rewrites more than the tail stamps).
    if (this.replicaCount > 1 && info.logAppendTime < 0) {
      this.tail.append(validated, info.firstOffset, this.leaderEpochValue);
      this.tailHolds = true;
    } else if (this.tailHolds) {
      this.tail.clear();
      this.tailHolds = false;
    }
    const outcome = this.accepted(info.firstOffset, info.lastOffset, info.logAppendTime, false, options, now);
    this.afterLeaderHwMayMove();
    return outcome;
  }

  /** What batches entering this replica are checked against: the log's limits and the topic's rules. */
  private validationRules(assignOffsets: boolean, verifyCrc = true): ValidationRules {
    const c = this.log.config;
    if (assignOffsets) return leaderRulesFor(c)[verifyCrc ? 1 : 0]!;
    return { assignOffsets, nextOffset: this.log.logEndOffset, maxMessageBytes: c.maxMessageBytes, keysRequired: c.cleanupPolicy !== 'delete', verifyCrc };
  }

  private accepted(firstOffset: number, lastOffset: number, logAppendTime: number, duplicate: boolean, options: ProduceOptions, now: number): ProduceOutcome {
    const pending = options.acks === -1;
    if (pending) {
      this.pendingAcks.push({ token: options.token ?? -1, firstOffset, lastOffset, deadlineMs: now + (options.timeoutMs ?? 30_000) });
      this.completeAcks();
    }
    return { errorCode: 'NONE', firstOffset, lastOffset, logAppendTime, duplicate, pending };
  }

  /**
   * Serves a fetch as leader: Kafka's `Partition.fetchRecords`. Checks leadership and the
   * sender's `currentLeaderEpoch` (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH). A follower
   * that names a last fetched epoch gets `divergingEpoch` when its log is not a prefix of
   * this one (and its fetch state is not updated); otherwise batches from its fetch offset
   * up to the log end, and its fetch updates the ISR math: the high watermark may move
   * (completing acks) and an expansion may be proposed. A consumer (replicaId -1) reads
   * only below the high watermark. OFFSET_OUT_OF_RANGE below the log start or above the
   * log end.
   */
  fetchAsLeader(request: PartitionFetchRequest, now: number): LeaderFetchOutcome {
    const respond = (errorCode: ErrorCode, extra: { records?: Uint8Array; divergingEpoch?: EpochEndOffset } = {}): PartitionFetchResponse => ({
      errorCode,
      highWatermark: this.hw,
      logStartOffset: this.log.logStartOffset,
      logEndOffset: this.log.logEndOffset,
      leaderEpoch: this.leaderEpochValue,
      records: extra.records ?? noRecords,
      ...(extra.divergingEpoch === undefined ? {} : { divergingEpoch: extra.divergingEpoch }),
    });
    if (this.roleValue !== 'leader') return { response: respond('NOT_LEADER_OR_FOLLOWER') };
    const epochProblem = leaderEpochProblem(request.currentLeaderEpoch, this.leaderEpochValue);
    if (epochProblem !== undefined) return { response: respond(epochProblem) };
    const isFollower = request.replicaId >= 0;
    if (isFollower && (request.replicaId === this.brokerId || !this.replicasValue.includes(request.replicaId))) {
      return { response: respond('NOT_LEADER_OR_FOLLOWER') };
    }
    // The log end offset before the read: appends after it do not keep a follower from
    // counting as caught up (Kafka's note in readRecords).
    const logStart = this.log.logStartOffset;
    const logEnd = this.log.logEndOffset;
    const offset = request.fetchOffset;
    if (!Number.isSafeInteger(offset) || offset < logStart) return { response: respond('OFFSET_OUT_OF_RANGE') };
    if (isFollower && request.lastFetchedEpoch >= 0) {
      const diverging = divergingEpoch(this.epochCache, logEnd, offset, request.lastFetchedEpoch);
      if (diverging !== undefined) return { response: respond('NONE', { divergingEpoch: diverging }) };
    }
    if (offset > logEnd) return { response: respond('OFFSET_OUT_OF_RANGE') };
    const maxBytes = request.maxBytes ?? fetchBytesDefault;
    const maxOffset = isFollower ? logEnd : this.hw;
    const records = offset >= maxOffset ? noRecords : this.readRecords(offset, maxBytes, maxOffset, isFollower, request.minOneMessage ?? true);
    if (records === undefined) return { response: respond('UNKNOWN_SERVER_ERROR') };
    if (!isFollower) return { response: respond('NONE', { records }) };

    const isr = this.isrState!;
    const hwMoved = isr.onFollowerFetch(request.replicaId, offset, now, this.leaderEndForHw());
    if (hwMoved) this.hw = isr.highWatermark;
    let proposal: AlterIsrProposal | undefined;
    if (this.pendingAlter === undefined && this.isReplicaEligible(request.replicaId)) {
      const expanded = isr.expandProposal(request.replicaId);
      if (expanded !== undefined) {
        proposal = this.propose(expanded, now);
        // The high watermark now waits for the new member too (Kafka's maximal ISR,
        // KIP-497): once the controller commits it, it may be elected.
        isr.setIsr(expanded, this.leaderEndForHw());
      }
    }
    this.afterLeaderHwMayMove();
    return { response: respond('NONE', { records }), ...(proposal === undefined ? {} : { proposal }) };
  }

  /**
   * Kafka's `LogSegment.read` with `minOneMessage` (KIP-74): whole batches up to `maxBytes`,
   * the first whole past it only with `minOneMessage`, else none (Kafka's incomplete first
   * entry, answered empty). A negative `maxBytes` (a Fetch's `max_bytes` of -1) is what
   * Kafka's segment read throws IllegalArgumentException at: undefined, UNKNOWN_SERVER_ERROR.
   */
  private readRecords(offset: number, maxBytes: number, maxOffset: number, isFollower: boolean, minOneMessage: boolean): Uint8Array | undefined {
    if (maxBytes < 0) return undefined;
    if (maxBytes === 0 && !minOneMessage) return noRecords;
    const limit = Math.max(1, maxBytes);
    const records = (isFollower ? this.tail.read(offset, limit, maxOffset) : undefined) ?? this.log.read(offset, { maxBytes: limit, maxOffset }).records;
    return !minOneMessage && records.length > maxBytes ? noRecords : records;
  }

  /**
   * Whether `tick` can do anything now: acks=all produces are waiting (they may time out),
   * or a leader has followers (the ISR may shrink) or a proposal to retry. A leader alone
   * with nothing waiting has nothing to tick, so a broker with 100,000 such partitions
   * need not visit each every 100 ms.
   */
  get needsTick(): boolean {
    return this.pendingAcks.length > 0 || (this.roleValue === 'leader' && (this.pendingAlter !== undefined || this.replicas.length > 1));
  }

  /**
   * Whether `tick` has work within `alterPartitionRetryMs` (acks=all produces that may time
   * out, a proposal to retry): the replica manager ticks these every 100 ms, and the ISR
   * checks of the rest only every `replica.lag.time.max.ms / 2` (Kafka's
   * `isr-expiration`), so an idle broker walks none of its replicas between those.
   */
  get needsPromptTick(): boolean {
    return this.pendingAcks.length > 0 || (this.roleValue === 'leader' && this.pendingAlter !== undefined);
  }

  /**
   * Time passes: acks=all produces past their timeout fail with REQUEST_TIMED_OUT; a leader
   * proposes to drop ISR members that have not caught up within `replica.lag.time.max.ms`
   * (the ISR it computes the high watermark over keeps them until the controller commits
   * the change), or re-sends an unanswered proposal.
   */
  tick(now: number): PartitionTickOutcome {
    if (this.pendingAcks.some((a) => a.deadlineMs <= now)) {
      const kept: PendingAck[] = [];
      for (const a of this.pendingAcks) {
        if (a.deadlineMs <= now) this.completedAcks.push({ token: a.token, errorCode: 'REQUEST_TIMED_OUT', firstOffset: a.firstOffset, lastOffset: a.lastOffset });
        else kept.push(a);
      }
      this.pendingAcks = kept;
    }
    if (this.roleValue !== 'leader') return {};
    this.tail.releaseIdle();
    const pending = this.pendingAlter;
    if (pending !== undefined) {
      if (now - pending.sentMs < this.config.alterPartitionRetryMs) return {};
      pending.sentMs = now;
      return { proposal: pending.proposal };
    }
    const shrunk = this.isrState!.shrinkProposal(now, this.config.replicaLagTimeMaxMs);
    if (shrunk === undefined) return {};
    return { proposal: this.propose(shrunk, now) };
  }

  /**
   * The controller's answer to a proposal. Success at a newer partition epoch commits
   * the ISR it returns. INELIGIBLE_REPLICA and OPERATION_NOT_ATTEMPTED say the change was
   * not made: the maximal ISR goes back to the committed one. Any other error (a stale
   * partition epoch, a controller change, a lost answer) leaves the proposal pending
   * until a metadata change settles it or `tick` retries it: the change may have been
   * made, and forgetting a pending expansion could let the high watermark pass a member
   * the controller already counts (Kafka's `handleAlterPartitionError`).
   */
  alterPartitionResponse(result: AlterPartitionResult): void {
    if (this.roleValue !== 'leader' || this.pendingAlter === undefined) return;
    if (result.errorCode === 'NONE') {
      if (result.leaderEpoch !== this.leaderEpochValue || result.partitionEpoch <= this.partitionEpochValue) return;
      this.partitionEpochValue = result.partitionEpoch;
      this.committedIsr = [...result.isr];
      this.pendingAlter = undefined;
      this.isrState!.setIsr(result.isr, this.leaderEndForHw());
      this.afterLeaderHwMayMove();
    } else if (result.errorCode === 'INELIGIBLE_REPLICA' || result.errorCode === 'OPERATION_NOT_ATTEMPTED') {
      this.pendingAlter = undefined;
      this.isrState!.setIsr(this.committedIsr, this.leaderEndForHw());
      this.afterLeaderHwMayMove();
    }
  }

  private propose(newIsr: readonly number[], now: number): AlterIsrProposal {
    const proposal = { leaderEpoch: this.leaderEpochValue, partitionEpoch: this.partitionEpochValue, newIsr: [...newIsr] };
    this.pendingAlter = { proposal, sentMs: now };
    return proposal;
  }

  /** The leader's own contribution to the high watermark: its log end offset, or what is flushed of it. */
  private leaderEndForHw(): number {
    const end = this.log.logEndOffset;
    return this.config.hwRequiresFlush ? Math.min(end, this.flushed) : end;
  }

  private afterLeaderHwMayMove(): void {
    const isr = this.isrState;
    if (isr === undefined) return;
    isr.maybeAdvanceHighWatermark(this.leaderEndForHw());
    assert(isr.highWatermark >= this.hw, 'the high watermark never moves back on a leader');
    this.hw = isr.highWatermark;
    assert(this.hw <= this.log.logEndOffset, 'the high watermark is within the log');
    if (this.tailHolds) this.tail.dropBelow(this.hw); // every in-sync follower has it
    this.completeAcks();
  }

  /** Kafka's `checkEnoughReplicasReachOffset`, for every waiting produce. */
  private completeAcks(): void {
    if (this.pendingAcks.length === 0 || this.roleValue !== 'leader') return;
    const enough = this.maximalIsr.length >= this.config.minInsyncReplicas;
    let done = 0;
    // Offsets increase along the list except for duplicates, which may point back: scan all.
    const kept: PendingAck[] = [];
    for (const a of this.pendingAcks) {
      if (a.lastOffset < this.hw) {
        this.completedAcks.push({ token: a.token, errorCode: enough ? 'NONE' : 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', firstOffset: a.firstOffset, lastOffset: a.lastOffset });
        done++;
      } else {
        kept.push(a);
      }
    }
    if (done > 0) this.pendingAcks = kept;
  }

  private failPendingAcks(code: ErrorCode): void {
    for (const a of this.pendingAcks) this.completedAcks.push({ token: a.token, errorCode: code, firstOffset: a.firstOffset, lastOffset: a.lastOffset });
    this.pendingAcks = [];
  }

  /** The replica is going away (dropped, or its storage failed): every waiting acks=all produce fails with `code`, and its tail's memory goes back to its broker. */
  failAllAcks(code: ErrorCode): void {
    this.failPendingAcks(code);
    this.tail.clear();
  }

  /** The acks=all outcomes decided since the last call, in the order they were decided. */
  drainAcks(): readonly AckCompletion[] {
    const out = this.completedAcks;
    if (out.length === 0) return noAcks; // every append asks: no array made for nothing
    this.completedAcks = [];
    return out;
  }

  // ------------------------------------------------------------------------- follower

  /**
   * The fetch a follower sends its leader next: from its log end offset, naming the epoch
   * of its last batch so that the leader can tell whether it diverged. Undefined when it is
   * not a follower of a live leader, or (with `hwRequiresFlush`) while what it appended is
   * not yet flushed: its fetch offset tells the leader it holds everything below it.
   */
  followerFetchRequest(maxBytes = fetchBytesDefault): PartitionFetchRequest | undefined {
    if (this.roleValue !== 'follower' || this.leaderIdValue < 0) return undefined;
    if (this.config.hwRequiresFlush && this.flushed < this.log.logEndOffset) return undefined;
    return {
      replicaId: this.brokerId,
      fetchOffset: this.log.logEndOffset,
      lastFetchedEpoch: this.epochCache.latestEpoch,
      currentLeaderEpoch: this.leaderEpochValue,
      maxBytes,
    };
  }

  /**
   * Applies the leader's answer to `request` (Kafka's `ReplicaFetcherThread.processPartitionData`).
   * An answer to an older request (another leader epoch, or a fetch offset that is no
   * longer the log end) is dropped. A diverging epoch truncates the log to where it
   * diverged (Kafka's `truncateOnFetchResponse`); this never goes below the high
   * watermark, which would lose committed records (asserted). The fetched batches are
   * checked once, here where they enter this replica (CRC, structure, offsets continuing
   * the log; a failed check is returned as its error code and nothing is appended), and
   * appended with their offsets and epochs as the leader wrote them; the epoch cache and
   * producer state follow them, and the high watermark becomes the leader's, capped at
   * the log end.
   * A follower whose fetch offset fell below the leader's log start starts over there.
   */
  appendAsFollower(request: PartitionFetchRequest, response: PartitionFetchResponse): FollowerAppendOutcome {
    const ignored = { ignored: true, errorCode: response.errorCode };
    if (this.roleValue !== 'follower' || request.currentLeaderEpoch !== this.leaderEpochValue || request.fetchOffset !== this.log.logEndOffset) return ignored;
    if (response.errorCode === 'OFFSET_OUT_OF_RANGE' && request.fetchOffset < response.logStartOffset) {
      // The leader deleted what this replica would fetch next (retention, DeleteRecords).
      assert(response.logStartOffset >= this.hw, 'the leader’s log start is at or above our high watermark');
      this.log.truncateFullyAndStartAt(response.logStartOffset);
      this.afterTruncation();
      this.hw = response.logStartOffset;
      return { ignored: false, errorCode: 'NONE', truncatedTo: response.logStartOffset };
    }
    if (response.errorCode !== 'NONE') return { ignored: false, errorCode: response.errorCode };
    if (response.divergingEpoch !== undefined) {
      const decision = truncationOffset(this.epochCache, this.log.logEndOffset, response.divergingEpoch, this.hw);
      assert(
        decision.offset >= this.hw,
        `${this.topic}-${this.partition} on broker ${this.brokerId}: truncation to ${decision.offset} (diverging epoch ${JSON.stringify(response.divergingEpoch)}) is below the high watermark ${this.hw}`,
      );
      this.log.truncateTo(decision.offset);
      this.afterTruncation();
      return { ignored: false, errorCode: 'NONE', truncatedTo: this.log.logEndOffset };
    }
    let appended: LogAppendInfo | undefined;
    if (response.records.length > 0) {
      // The fetched bytes enter this replica here: one check (CRC, structure, offsets
      // continuing the log), whose headers serve the producer state too (the log assigns
      // each batch's epoch in the one epoch cache as it writes it).
      // Bytes from a leader's tail in this thread carry the mark of a CRC checked here
      // (storage/append-tail.ts); from another thread, process or the leader's file they
      // never do, and are checksummed.
      const checked = validateBatches(response.records, this.validationRules(false, !checksummedHere(response.records)));
      if (!checked.ok) return { ignored: false, errorCode: checked.errorCode };
      appended = this.log.appendValidated(checked.value, { assignOffsets: false });
      for (const { header } of checked.value.batches) {
        this.producers.apply(producerBatchOf(header), header.baseOffset, header.baseOffset + header.lastOffsetDelta, header.maxTimestamp);
      }
    }
    this.leaderHwSeen = response.highWatermark;
    this.advanceFollowerHw();
    this.followLeaderLogStart(response.logStartOffset);
    return { ignored: false, errorCode: 'NONE', ...(appended === undefined ? {} : { appended }) };
  }

  /**
   * Kafka's follower `maybeIncrementLogStartOffset`: records the leader deleted
   * (DeleteRecords, retention) go here too, up to our high watermark, and the log start
   * offset is checkpointed by the log. Before, a follower never moved its log start: a
   * deleteRecords reached no follower's checkpoint, and a follower elected leader served
   * the deleted records again.
   */
  private followLeaderLogStart(leaderLogStart: number): void {
    const start = Math.min(leaderLogStart, this.hw);
    if (!(start > this.log.logStartOffset)) return;
    // The work is synchronous; a failure shows in the log's next read or write too.
    void this.log.deleteRecords(start).catch(() => {});
  }

  /**
   * A follower's high watermark is the leader's, capped at its own log end offset (with
   * `hwRequiresFlush`, at its flushed offset, so that the checkpointed high watermark never
   * names records a power loss could take). It never moves back.
   */
  private advanceFollowerHw(): void {
    const cap = this.config.hwRequiresFlush ? this.flushed : this.log.logEndOffset;
    const hw = Math.min(this.leaderHwSeen, cap);
    if (hw > this.hw) this.hw = hw;
  }

  private afterTruncation(): void {
    this.truncationCount++;
    const end = this.log.logEndOffset;
    this.epochCache.truncateFromEnd(end);
    this.flushed = Math.min(this.flushed, end);
    this.hw = Math.min(this.hw, end);
    this.rebuildProducerState();
  }

  // ----------------------------------------------------------------------- durability

  /**
   * What a flush begun now will cover: take it, run `log.sync()`, then pass it to
   * `markFlushed`. It carries the truncation count, because a sync that began before a
   * truncation does not cover what was appended after it at the same offsets.
   */
  flushPoint(): FlushPoint {
    return { offset: this.log.logEndOffset, truncations: this.truncationCount };
  }

  /**
   * The caller made the log durable up to `point.offset` (see `flushPoint`). A point taken
   * before a truncation is ignored. With `hwRequiresFlush` this may move a leader's high
   * watermark and let a follower fetch again.
   */
  markFlushed(point: FlushPoint): void {
    if (point.truncations !== this.truncationCount) return;
    const next = Math.min(point.offset, this.log.logEndOffset);
    if (next <= this.flushed) return;
    this.flushed = next;
    if (this.roleValue === 'leader') this.afterLeaderHwMayMove();
    else if (this.roleValue === 'follower') this.advanceFollowerHw();
  }

  // ---------------------------------------------------------------------- recovery

  /** The producer state from the newest snapshot and the batches after it (after open or a truncation; producer-state-loader.ts). */
  private rebuildProducerState(): void {
    loadProducerState(this.log, this.producers);
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

const noAcks: readonly AckCompletion[] = Object.freeze([]);

function producerBatchOf(h: BatchHeader): ProducerBatch {
  return { producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence, offsetCount: h.lastOffsetDelta + 1 };
}

function error(errorCode: ErrorCode, message: string): ProduceOutcome {
  return { errorCode, message };
}

function clamp(x: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, x));
}
