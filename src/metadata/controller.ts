/**
 * The `Controller`: the pure core that decides every metadata change, in the shape of
 * Kafka's `QuorumController` (KIP-631).
 *
 * ## Contract
 *
 * - `handle(request, now)` validates a request and returns `{ records, response }`. The
 *   records must be appended to the metadata log atomically, in order, at consecutive
 *   offsets starting at the controller's `nextOffset`; the response is valid only once
 *   they are committed (and is to be answered with NOT_CONTROLLER if they never are).
 * - `replay(record, offset)` is the only thing that changes the committed state. The
 *   quorum calls it for every committed record, in log order, on every controller, the
 *   active one included. So a standby that replays the log, a controller that restores a
 *   snapshot and then replays, and the active controller that wrote the records all hold
 *   the same `image`: recovery runs the code that live operation runs.
 * - `tick(now)` fences brokers whose sessions expired and writes a NoOp when the log has
 *   been idle; it returns records like `handle`.
 * - `activate(nextOffset, now)` is called when this node's Raft replica becomes leader
 *   and has replayed every committed record before `nextOffset` (its log end offset;
 *   KRaft tells the controller it leads only then). `deactivate()` when leadership is lost.
 *
 * ## Uncommitted state
 *
 * Records are committed asynchronously, but the next request must be validated against
 * them: two CreateTopics for the same name in a row must not both succeed. Kafka keeps
 * "timeline" data structures with a snapshot per offset. Here, because images are
 * immutable and share structure, the same thing is two images:
 *
 * - `image`: the committed image, changed only by `replay`;
 * - `speculativeImage`: the committed image plus every record this controller emitted
 *   that has not been replayed yet (kept with its predicted offset in `pending`).
 *
 * `handle` validates against the speculative image and applies its records to it with
 * the same `MetadataDelta` code that `replay` uses. When `replay` brings the committed
 * record at the head of `pending`, it checks that it is the record predicted at that
 * offset (a mismatch means the quorum broke the contract: an assertion) and drops it
 * from `pending`; when `pending` empties, the speculative image is the committed one
 * again. `deactivate` drops `pending` and the speculative image: a controller that lost
 * leadership holds exactly what was committed, and its uncommitted records (which the new
 * leader may truncate) are forgotten.
 *
 * ## Soft state
 *
 * When each broker last heartbeated is not in the log (Kafka's
 * `BrokerHeartbeatManager`): it is the active controller's alone, every broker gets a
 * fresh session when a controller activates, and only its consequences (a FenceBroker
 * record) are written. Registration, heartbeats, sessions and fencing live in
 * `cluster-control.ts` (Kafka's `ClusterControlManager`), as functions this class calls
 * with its sessions and the request's `Txn`.
 *
 * ## The parts
 *
 * This class owns only what is stateful: the committed and speculative images, the
 * pending records, activation and the sessions. What each request does is decided by
 * stateless functions of the request's `Txn` (over the speculative image) and the
 * request, in one file per part of Kafka's `QuorumController`:
 *
 * - `cluster-control.ts` (`ClusterControlManager`): broker registration, heartbeats,
 *   sessions, fencing, and the elections broker events cause;
 * - `replication-control.ts` (`ReplicationControlManager`): topics, partitions,
 *   AlterPartition and ElectLeaders;
 * - `configuration-control.ts` (`ConfigurationControlManager`): IncrementalAlterConfigs
 *   and DescribeConfigs;
 * - `producer-id-control.ts` (`ProducerIdControlManager`): AllocateProducerIds.
 *
 * Requests are typed, and an invalid one gets Kafka's error code in its response. Throws
 * are only for bugs (AssertionError).
 */
import { assert } from '../util/assert.js';
import type { Rng } from '../util/rng.js';
import { brokerHeartbeat, creditStall, expiredBrokers, fenceBroker, nextSessionExpiry, presumeSessions, registerBroker, unregisterBroker, type BrokerSessions } from './cluster-control.js';
import { describeConfigs, incrementalAlterConfigs } from './configuration-control.js';
import { atomicRequests, entryBytesMax, entryTooLarge, errorResponse, Txn, userOpTooLarge } from './controller-txn.js';
import { MetadataDelta, MetadataImage } from './image.js';
import { allocateProducerIds, producerIdBlockSize } from './producer-id-control.js';
import { ApiKey, metadataRecordName, sameMetadataRecord, type MetadataRecord } from './records.js';
import { alterPartition, createPartitions, createTopics, deleteTopics, electLeaders, type ReplicationSettings } from './replication-control.js';
import type { ControllerRequest, ControllerResponse, ControllerResult } from './requests.js';

export { errorResponse } from './controller-txn.js';

// The parts' own exports that are the controller's public face.
export { describeConfigs, producerIdBlockSize };

/** The controller's settings, with Kafka's config names in the comments. */
export interface ControllerConfig {
  /** `broker.session.timeout.ms`: a broker that has not heartbeated for this long is fenced. Default 9000. */
  readonly brokerSessionTimeoutMs: number;
  /** `num.partitions`: partitions of a topic created without a count. Default 1. */
  readonly defaultNumPartitions: number;
  /** `default.replication.factor`: replicas of a topic created without a factor. Default 1. */
  readonly defaultReplicationFactor: number;
  /** `metadata.max.idle.interval.ms`: write a NoOp when nothing was written for this long; 0 never. Default 500. */
  readonly metadataMaxIdleIntervalMs: number;
  /** The most partitions one topic may have. Default {@link partitionsPerTopicMax}. */
  readonly numPartitionsMax: number;
  /** The most records emitted but not yet committed; past it requests fail with REQUEST_TIMED_OUT. Default {@link uncommittedRecordsMax}. */
  readonly uncommittedRecordsMax: number;
  /** The most bytes of records one request may write (one Raft entry); past it RECORD_LIST_TOO_LARGE. Default {@link entryBytesMax}. */
  readonly entryBytesMax: number;
  /** When set, BrokerRegistration requests must carry this cluster id. */
  readonly clusterId: string | undefined;
}

/**
 * The most partitions a topic may have. A change to one partition copies the topic's
 * partition array (8 bytes a partition), so this bounds that copy at 800 KB, and the
 * records of one CreateTopics at about 3.5 MB a topic.
 */
export const partitionsPerTopicMax = 100_000;

/**
 * The most records the controller lets wait for commit. At about 35 bytes a record this
 * is 35 MB of log the quorum has not yet committed: a quorum that cannot commit makes
 * requests fail (retriably) instead of growing without bound.
 */
export const uncommittedRecordsMax = 1 << 20;

export const defaultControllerConfig: ControllerConfig = {
  brokerSessionTimeoutMs: 9000,
  defaultNumPartitions: 1,
  defaultReplicationFactor: 1,
  metadataMaxIdleIntervalMs: 500,
  numPartitionsMax: partitionsPerTopicMax,
  uncommittedRecordsMax,
  entryBytesMax,
  clusterId: undefined,
};

export interface ControllerOptions {
  /** The source of topic ids and of placement's random start. */
  readonly rng: Rng;
  readonly config?: Partial<ControllerConfig>;
  /** The committed image to start from (a restored snapshot); default empty. */
  readonly image?: MetadataImage;
}

/** What `tick` did, beside its records. */
export interface TickOutcome {
  /** Brokers fenced because their sessions expired. */
  readonly fencedBrokers: readonly number[];
}

interface Pending {
  readonly offset: number;
  readonly record: MetadataRecord;
}

/** The pure metadata controller. See the file comment for its contract. */
export class Controller {
  readonly config: ControllerConfig;
  /** What replication control needs: the settings and the source of topic ids and placement. */
  private readonly replication: ReplicationSettings;

  private committedImage: MetadataImage;
  /** Committed records replayed but not yet folded into `committedImage` (folded lazily, so a long replay makes one image, not one per record). */
  private committedDelta: MetadataDelta | null = null;
  private committedOffset: number;
  /** The committed image plus `pending`, or null when `pending` is empty. */
  private speculative: MetadataImage | null = null;
  private pending: Pending[] = [];
  private pendingHead = 0;

  private active = false;
  private nextOffsetValue = -1;
  /** Soft state of the active controller: when each broker was last heard from (see cluster-control.ts). */
  private readonly sessions: BrokerSessions = new Map();
  private lastWriteMs = 0;

  constructor(options: ControllerOptions) {
    this.config = { ...defaultControllerConfig, ...options.config };
    this.replication = { config: this.config, rng: options.rng };
    assert(this.config.brokerSessionTimeoutMs > 0, 'brokerSessionTimeoutMs must be positive');
    assert(this.config.numPartitionsMax >= 1 && this.config.numPartitionsMax <= partitionsPerTopicMax, `numPartitionsMax must be 1 to ${partitionsPerTopicMax}`);
    assert(this.config.defaultNumPartitions >= 1 && this.config.defaultNumPartitions <= this.config.numPartitionsMax, 'defaultNumPartitions must be 1 to numPartitionsMax');
    assert(this.config.defaultReplicationFactor >= 1, 'defaultReplicationFactor must be at least 1');
    assert(this.config.uncommittedRecordsMax >= 1, 'uncommittedRecordsMax must be at least 1');
    this.committedImage = options.image ?? MetadataImage.empty;
    this.committedOffset = this.committedImage.offset;
  }

  /** The committed image: every record replayed so far. */
  get image(): MetadataImage {
    if (this.committedDelta !== null) {
      this.committedImage = this.committedDelta.apply(this.committedOffset);
      this.committedDelta = null;
    }
    return this.committedImage;
  }

  /** The committed image plus the records this controller emitted that are not yet committed. */
  get speculativeImage(): MetadataImage {
    return this.speculative ?? this.image;
  }

  /** The offset of the last committed record replayed, or -1. */
  get lastCommittedOffset(): number {
    return this.committedOffset;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** The offset the next record this controller emits will have (-1 when not active). */
  get nextOffset(): number {
    return this.nextOffsetValue;
  }

  /** Records emitted and not yet replayed. */
  get uncommittedRecordCount(): number {
    return this.pending.length - this.pendingHead;
  }

  /**
   * Becomes the active controller. `nextOffset` is the offset the first record it emits
   * will get (the Raft log end offset); every committed record before it has been replayed.
   * Every registered broker starts a fresh, presumed session at `now`, as in Kafka: a new
   * controller knows nothing of heartbeats sent to the old one (see cluster-control.ts).
   */
  activate(nextOffset: number, now: number): void {
    assert(!this.active, 'activate() on an active controller');
    assert(Number.isSafeInteger(nextOffset) && nextOffset > this.committedOffset, `activate(${nextOffset}) at or below the committed offset ${this.committedOffset}`);
    this.active = true;
    this.nextOffsetValue = nextOffset;
    presumeSessions(this.image, this.sessions, now);
    this.lastWriteMs = now;
  }

  /** Stops being active: forgets uncommitted records and heartbeat state. */
  deactivate(): void {
    this.active = false;
    this.nextOffsetValue = -1;
    this.pending = [];
    this.pendingHead = 0;
    this.speculative = null;
    this.sessions.clear();
  }

  /**
   * Applies one committed record at `offset`. Offsets increase (gaps are fine: Raft's
   * own control records take offsets too). On the active controller every record replayed
   * must be the next one it emitted, at the offset it predicted.
   */
  replay(record: MetadataRecord, offset: number): void {
    if (!Number.isSafeInteger(offset) || offset <= this.committedOffset) assert(false, `replay at offset ${offset} after ${this.committedOffset}`);
    if (this.pendingHead < this.pending.length) {
      const expected = this.pending[this.pendingHead]!;
      // (The message is built only when it fails: it was two names looked up per record.)
      if (expected.offset !== offset || !sameMetadataRecord(expected.record, record)) {
        assert(false, `the active controller expected ${metadataRecordName(expected.record.apiKey)} at offset ${expected.offset} and replayed ${metadataRecordName(record.apiKey)} at ${offset}: the quorum must deactivate() the controller before replaying another leader's records`);
      }
      this.pendingHead++;
      if (this.pendingHead === this.pending.length) {
        this.pending = [];
        this.pendingHead = 0;
        this.speculative = null;
      } else if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
        this.pending = this.pending.slice(this.pendingHead);
        this.pendingHead = 0;
      }
    } else {
      if (this.active) assert(false, `the active controller replayed ${metadataRecordName(record.apiKey)} at offset ${offset}, which it did not write`);
    }
    if (this.committedDelta === null) this.committedDelta = new MetadataDelta(this.committedImage);
    this.committedDelta.replay(record);
    this.committedOffset = offset;
  }

  /** Handles one request. See the file comment. */
  handle<R extends ControllerRequest>(request: R, now: number): ControllerResult<ControllerResponse<R>> {
    const result = this.dispatch(request, now);
    return result as ControllerResult<ControllerResponse<R>>;
  }

  private dispatch(request: ControllerRequest, now: number): ControllerResult<unknown> {
    // Reads are served from the committed image, on any controller.
    if (request.type === 'DescribeConfigs') return { records: [], response: describeConfigs(this.image, request) };
    if (!this.active) return { records: [], response: errorResponse(request, 'NOT_CONTROLLER', 'this controller is not active') };
    if (this.uncommittedRecordCount >= this.config.uncommittedRecordsMax) {
      return {
        records: [],
        response: errorResponse(request, 'REQUEST_TIMED_OUT', `${this.uncommittedRecordCount} metadata records are waiting to commit (the most is ${this.config.uncommittedRecordsMax})`),
      };
    }
    const txn = new Txn(this.speculativeImage, this.nextOffsetValue, request.type);
    let response: unknown;
    let validateOnly = false;
    try {
      switch (request.type) {
        case 'CreateTopics':
          response = createTopics(txn, request, this.replication);
          validateOnly = request.validateOnly === true;
          break;
        case 'DeleteTopics':
          response = deleteTopics(txn, request);
          break;
        case 'CreatePartitions':
          response = createPartitions(txn, request, this.replication);
          validateOnly = request.validateOnly === true;
          break;
        case 'IncrementalAlterConfigs':
          response = incrementalAlterConfigs(txn, request);
          validateOnly = request.validateOnly === true;
          break;
        case 'BrokerRegistration':
          response = registerBroker(txn, this.sessions, this.config, request, now);
          break;
        case 'BrokerHeartbeat':
          response = brokerHeartbeat(txn, this.sessions, request, now);
          break;
        case 'UnregisterBroker':
          response = unregisterBroker(txn, this.sessions, request);
          break;
        case 'AlterPartition':
          response = alterPartition(txn, request);
          break;
        case 'ElectLeaders':
          response = electLeaders(txn, request);
          break;
        case 'AllocateProducerIds':
          response = allocateProducerIds(txn, request);
          break;
      }
    } catch (err) {
      return { records: [], response: userOpTooLarge(request, err) };
    }
    // The brokers' own requests change each partition by a record of its own: they may span
    // several entries (a broker leading 100,000 partitions unfenced at once writes 2.5 MB).
    if (!atomicRequests.has(request.type)) return { records: this.commit(txn, now), response, atomic: false };
    const refused = validateOnly ? undefined : entryTooLarge(request, txn, this.config.entryBytesMax);
    return refused !== undefined ? { records: [], response: refused } : { records: validateOnly ? [] : this.commit(txn, now), response };
  }

  /** When `tick` next has work (the first session to expire, the idle NoOp), on `now`'s clock; Infinity while not active. */
  get nextTickDeadline(): number {
    if (!this.active) return Infinity;
    const noOp = this.config.metadataMaxIdleIntervalMs > 0 ? this.lastWriteMs + this.config.metadataMaxIdleIntervalMs : Infinity;
    return Math.min(noOp, nextSessionExpiry(this.speculativeImage, this.sessions, this.config.brokerSessionTimeoutMs));
  }

  /** Fences brokers whose sessions expired (after crediting `stalledMs`, the time the shell's own thread was blocked before `now`), and writes a NoOp when the log has been idle. */
  tick(now: number, stalledMs = 0): ControllerResult<TickOutcome> {
    creditStall(this.sessions, stalledMs, now);
    if (!this.active || this.uncommittedRecordCount >= this.config.uncommittedRecordsMax) return { records: [], response: { fencedBrokers: [] } };
    const txn = new Txn(this.speculativeImage, this.nextOffsetValue);
    const stale = expiredBrokers(txn.delta, this.sessions, now, this.config.brokerSessionTimeoutMs);
    for (const id of stale) fenceBroker(txn, id);
    if (txn.records.length === 0 && this.config.metadataMaxIdleIntervalMs > 0 && now - this.lastWriteMs >= this.config.metadataMaxIdleIntervalMs) {
      txn.emit({ apiKey: ApiKey.NoOp });
    }
    return { records: this.commit(txn, now), response: { fencedBrokers: stale }, atomic: false };
  }

  private commit(txn: Txn, now: number): readonly MetadataRecord[] {
    if (txn.records.length === 0) return [];
    const last = txn.nextOffset - 1;
    this.speculative = txn.delta.apply(last);
    for (let i = 0; i < txn.records.length; i++) this.pending.push({ offset: txn.firstOffset + i, record: txn.records[i]! });
    this.nextOffsetValue = txn.nextOffset;
    this.lastWriteMs = now;
    return txn.records;
  }
}

