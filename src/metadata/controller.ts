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
 * Requests are typed, and an invalid one gets Kafka's error code in its response. Throws
 * are only for bugs (AssertionError).
 */
import { assert } from '../util/assert.js';
import type { ErrorCode } from '../util/error-codes.js';
import { isTributaryError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { validateTopicName } from '../util/topic-name.js';
import {
  brokerConfigDefs,
  configDefs,
  configValueProblem,
  effectiveBrokerConfig,
  effectiveTopicConfig,
  isTrue,
  splitList,
  topicConfigDefs,
} from './configs.js';
import {
  brokerHeartbeat,
  checkBrokerEpoch,
  electLeaderless,
  expiredBrokers,
  fenceBroker,
  presumeSessions,
  registerBroker,
  unregisterBroker,
  type BrokerSessions,
} from './cluster-control.js';
import { Txn, fail, fitsString, isBrokerId, ok, type Failure } from './controller-txn.js';
import { electLeader, partitionChange, type PartitionChangeFields } from './election.js';
import { MetadataDelta, MetadataImage, type MetadataView, type PartitionRegistration } from './image.js';
import { placeReplicas } from './placement.js';
import {
  ApiKey,
  ConfigResourceType,
  encodeMetadataRecord,
  metadataInt64Max,
  metadataRecordName,
  noLeader,
  partitionReplicasMax,
  type MetadataRecord,
} from './records.js';
import type {
  AllocateProducerIdsRequest,
  AllocateProducerIdsResponse,
  AlterPartitionPartitionResult,
  AlterPartitionRequest,
  AlterPartitionResponse,
  AlterPartitionTopicResult,
  AlterConfigsResourceResponse,
  BrokerHeartbeatResponse,
  BrokerRegistrationResponse,
  CreatableTopic,
  CreatableTopicResult,
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreatePartitionsTopicResult,
  CreateTopicsRequest,
  CreateTopicsResponse,
  DeletableTopicResult,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  DescribeConfigsRequest,
  DescribeConfigsResponse,
  DescribeConfigsResult,
  ElectLeadersRequest,
  ElectLeadersResponse,
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
  PartitionElectionResult,
  ControllerRequest,
  ControllerResponse,
  ControllerResult,
  UnregisterBrokerResponse,
} from './requests.js';
import { randomUuid, zeroUuid, type Uuid } from './uuid.js';

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

/** Producer ids handed to a broker at a time (Kafka's `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`). */
export const producerIdBlockSize = 1000;

export const defaultControllerConfig: ControllerConfig = {
  brokerSessionTimeoutMs: 9000,
  defaultNumPartitions: 1,
  defaultReplicationFactor: 1,
  metadataMaxIdleIntervalMs: 500,
  numPartitionsMax: partitionsPerTopicMax,
  uncommittedRecordsMax,
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
  private readonly rng: Rng;

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
    this.rng = options.rng;
    this.config = { ...defaultControllerConfig, ...options.config };
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

  /** When the broker last heartbeated to this (active) controller, or undefined. */
  lastContact(brokerId: number): number | undefined {
    return this.sessions.get(brokerId)?.lastContactMs;
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
    assert(Number.isSafeInteger(offset) && offset > this.committedOffset, `replay at offset ${offset} after ${this.committedOffset}`);
    if (this.pendingHead < this.pending.length) {
      const expected = this.pending[this.pendingHead]!;
      assert(
        expected.offset === offset && sameRecord(expected.record, record),
        `the active controller expected ${metadataRecordName(expected.record.apiKey)} at offset ${expected.offset} and replayed ` +
          `${metadataRecordName(record.apiKey)} at ${offset}: the quorum must deactivate() the controller before replaying another leader's records`,
      );
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
      assert(!this.active, `the active controller replayed ${metadataRecordName(record.apiKey)} at offset ${offset}, which it did not write`);
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
    const txn = new Txn(this.speculativeImage, this.nextOffsetValue);
    let response: unknown;
    let validateOnly = false;
    switch (request.type) {
      case 'CreateTopics':
        response = this.createTopics(txn, request);
        validateOnly = request.validateOnly === true;
        break;
      case 'DeleteTopics':
        response = this.deleteTopics(txn, request);
        break;
      case 'CreatePartitions':
        response = this.createPartitions(txn, request);
        validateOnly = request.validateOnly === true;
        break;
      case 'IncrementalAlterConfigs':
        response = this.incrementalAlterConfigs(txn, request);
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
        response = this.alterPartition(txn, request);
        break;
      case 'ElectLeaders':
        response = this.electLeaders(txn, request);
        break;
      case 'AllocateProducerIds':
        response = this.allocateProducerIds(txn, request);
        break;
    }
    return { records: validateOnly ? [] : this.commit(txn, now), response };
  }

  /** Fences brokers whose sessions expired, and writes a NoOp when the log has been idle. */
  tick(now: number): ControllerResult<TickOutcome> {
    if (!this.active || this.uncommittedRecordCount >= this.config.uncommittedRecordsMax) return { records: [], response: { fencedBrokers: [] } };
    const txn = new Txn(this.speculativeImage, this.nextOffsetValue);
    const stale = expiredBrokers(txn.delta, this.sessions, now, this.config.brokerSessionTimeoutMs);
    for (const id of stale) fenceBroker(txn, id);
    if (txn.records.length === 0 && this.config.metadataMaxIdleIntervalMs > 0 && now - this.lastWriteMs >= this.config.metadataMaxIdleIntervalMs) {
      txn.emit({ apiKey: ApiKey.NoOp });
    }
    return { records: this.commit(txn, now), response: { fencedBrokers: stale } };
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

  // ---- topics ----

  private createTopics(txn: Txn, req: CreateTopicsRequest): CreateTopicsResponse {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: CreatableTopicResult[] = [];
    for (const t of req.topics) {
      const failure = (f: Failure): CreatableTopicResult => ({ name: t.name, topicId: zeroUuid, errorCode: f.code, errorMessage: f.message, numPartitions: -1, replicationFactor: -1 });
      if (counts.get(t.name)! > 1) {
        results.push(failure(fail('INVALID_REQUEST', `topic ${JSON.stringify(t.name)} is listed more than once`)));
        continue;
      }
      const outcome = this.createTopic(txn, t, req.validateOnly === true);
      results.push('code' in outcome ? failure(outcome) : outcome);
    }
    return { topics: results };
  }

  private createTopic(txn: Txn, t: CreatableTopic, validateOnly: boolean): CreatableTopicResult | Failure {
    try {
      validateTopicName(t.name);
    } catch (err) {
      if (isTributaryError(err, 'INVALID_TOPIC_EXCEPTION')) return fail('INVALID_TOPIC_EXCEPTION', err.message);
      throw err;
    }
    const view = txn.delta;
    if (view.topicIdOf(t.name) !== undefined) return fail('TOPIC_ALREADY_EXISTS', `topic ${t.name} already exists`);
    const collision = view.collidingTopic(t.name);
    if (collision !== undefined) return fail('INVALID_TOPIC_EXCEPTION', `topic ${t.name} collides with existing topic ${collision} ('.' and '_' are the same in metric names)`);

    const numPartitions = t.numPartitions ?? -1;
    const replicationFactor = t.replicationFactor ?? -1;
    let assignment: (readonly number[])[];
    if (t.assignments !== undefined && t.assignments.length > 0) {
      if (numPartitions !== -1 || replicationFactor !== -1) {
        return fail('INVALID_REQUEST', 'numPartitions and replicationFactor must be -1 when assignments are given');
      }
      if (t.assignments.length > this.config.numPartitionsMax) return fail('INVALID_PARTITIONS', `${t.assignments.length} partitions is over the maximum of ${this.config.numPartitionsMax}`);
      const byIndex = new Array<readonly number[] | undefined>(t.assignments.length);
      for (const a of t.assignments) {
        if (!Number.isInteger(a.partitionIndex) || a.partitionIndex < 0 || a.partitionIndex >= t.assignments.length || byIndex[a.partitionIndex] !== undefined) {
          return fail('INVALID_REPLICA_ASSIGNMENT', `partition indexes must be 0 to ${t.assignments.length - 1}, each once; got ${a.partitionIndex}`);
        }
        byIndex[a.partitionIndex] = a.brokerIds;
      }
      assignment = byIndex as (readonly number[])[];
      const problem = validateAssignment(view, assignment, assignment[0]!.length, 0, txn.usable);
      if (problem !== undefined) return problem;
    } else {
      const np = numPartitions === -1 ? this.config.defaultNumPartitions : numPartitions;
      if (!Number.isInteger(np) || np < 1) return fail('INVALID_PARTITIONS', `number of partitions ${numPartitions} must be at least 1 (or -1 for the default)`);
      if (np > this.config.numPartitionsMax) return fail('INVALID_PARTITIONS', `${np} partitions is over the maximum of ${this.config.numPartitionsMax}`);
      const rf = replicationFactor === -1 ? this.config.defaultReplicationFactor : replicationFactor;
      if (!Number.isInteger(rf) || rf < 1) return fail('INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor} must be at least 1 (or -1 for the default)`);
      if (rf > partitionReplicasMax) return fail('INVALID_REPLICATION_FACTOR', `replication factor ${rf} is over the maximum of ${partitionReplicasMax}`);
      const usable = usableBrokers(view);
      if (rf > usable.length) return fail('INVALID_REPLICATION_FACTOR', `replication factor ${rf} is larger than the ${usable.length} available (registered, unfenced) brokers`);
      assignment = placeReplicas(usable, np, rf, this.rng);
    }

    const configs = t.configs ?? [];
    const seen = new Set<string>();
    for (const c of configs) {
      if (seen.has(c.name)) return fail('INVALID_REQUEST', `config ${c.name} is given more than once`);
      seen.add(c.name);
      const def = topicConfigDefs.get(c.name);
      if (def === undefined) return fail('INVALID_CONFIG', `unknown topic config ${JSON.stringify(c.name)}`);
      if (c.value === null) return fail('INVALID_REQUEST', `null value for config ${c.name}`);
      if (!fitsString(c.value)) return fail('INVALID_CONFIG', `the value of ${c.name} is too long`);
      const problem = configValueProblem(def, c.value);
      if (problem !== undefined) return fail('INVALID_CONFIG', problem);
    }

    let topicId = randomUuid(this.rng);
    while (view.topicById(topicId) !== undefined) topicId = randomUuid(this.rng);
    txn.emit({ apiKey: ApiKey.Topic, name: t.name, topicId });
    for (const c of configs) txn.emit({ apiKey: ApiKey.Config, resourceType: ConfigResourceType.Topic, resourceName: t.name, name: c.name, value: c.value });
    this.emitNewPartitions(txn, topicId, 0, assignment);
    return {
      name: t.name,
      topicId: validateOnly ? zeroUuid : topicId,
      ...ok,
      numPartitions: assignment.length,
      replicationFactor: assignment[0]!.length,
    };
  }

  /** Partition records for new partitions: ISR = the usable replicas, leader = the first of them. */
  private emitNewPartitions(txn: Txn, topicId: Uuid, firstPartition: number, assignment: readonly (readonly number[])[]): void {
    for (let i = 0; i < assignment.length; i++) {
      const replicas = [...assignment[i]!];
      const isr = replicas.filter(txn.usable);
      assert(isr.length > 0, 'a new partition needs a usable replica; validation should have said so');
      txn.emit({
        apiKey: ApiKey.Partition,
        topicId,
        partitionId: firstPartition + i,
        replicas,
        isr,
        leader: isr[0]!,
        leaderEpoch: 0,
        partitionEpoch: 0,
        eligibleLeaderReplicas: null,
        lastKnownElr: null,
      });
    }
  }

  private deleteTopics(txn: Txn, req: DeleteTopicsRequest): DeleteTopicsResponse {
    const responses: DeletableTopicResult[] = [];
    const resolved = req.topics.map((t) => (t.name !== undefined ? txn.delta.topicIdOf(t.name) : t.topicId !== undefined && txn.delta.topicById(t.topicId) ? t.topicId : undefined));
    const counts = new Map<Uuid, number>();
    for (const id of resolved) if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    req.topics.forEach((t, i) => {
      const id = resolved[i];
      const name = t.name ?? null;
      const topicId = t.topicId ?? zeroUuid;
      if (id === undefined) {
        responses.push(
          t.name !== undefined || t.topicId === undefined
            ? { name, topicId, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', errorMessage: `topic ${JSON.stringify(t.name ?? null)} does not exist` }
            : { name, topicId, errorCode: 'UNKNOWN_TOPIC_ID', errorMessage: `topic id ${t.topicId} does not exist` },
        );
        return;
      }
      if (counts.get(id)! > 1) {
        responses.push({ name, topicId, errorCode: 'INVALID_REQUEST', errorMessage: 'the topic is listed more than once' });
        return;
      }
      const topic = txn.delta.topicById(id)!;
      txn.emit({ apiKey: ApiKey.RemoveTopic, topicId: id });
      responses.push({ name: topic.name, topicId: id, ...ok });
    });
    return { responses };
  }

  private createPartitions(txn: Txn, req: CreatePartitionsRequest): CreatePartitionsResponse {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: CreatePartitionsTopicResult[] = [];
    for (const t of req.topics) {
      const f = counts.get(t.name)! > 1 ? fail('INVALID_REQUEST', `topic ${JSON.stringify(t.name)} is listed more than once`) : this.createPartitionsFor(txn, t.name, t.count, t.assignments ?? null);
      results.push(f === undefined ? { name: t.name, ...ok } : { name: t.name, errorCode: f.code, errorMessage: f.message });
    }
    return { results };
  }

  private createPartitionsFor(txn: Txn, name: string, count: number, assignments: readonly (readonly number[])[] | null): Failure | undefined {
    const topic = txn.delta.topic(name);
    if (topic === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(name)} does not exist`);
    const current = topic.partitions.length;
    if (!Number.isInteger(count) || count <= current) {
      return fail('INVALID_PARTITIONS', count === current ? `topic already has ${current} partitions` : `topic has ${current} partitions; the count can only grow, not become ${count}`);
    }
    if (count > this.config.numPartitionsMax) return fail('INVALID_PARTITIONS', `${count} partitions is over the maximum of ${this.config.numPartitionsMax}`);
    const rf = topic.partitions[0]!.replicas.length;
    let assignment: readonly (readonly number[])[];
    if (assignments !== null) {
      if (assignments.length !== count - current) return fail('INVALID_REPLICA_ASSIGNMENT', `${assignments.length} assignments given for ${count - current} new partitions`);
      const problem = validateAssignment(txn.delta, assignments, rf, current, txn.usable);
      if (problem !== undefined) return problem;
      assignment = assignments;
    } else {
      const usable = usableBrokers(txn.delta);
      if (rf > usable.length) return fail('INVALID_REPLICATION_FACTOR', `the topic's replication factor ${rf} is larger than the ${usable.length} available brokers`);
      assignment = placeReplicas(usable, count - current, rf, this.rng, current);
    }
    this.emitNewPartitions(txn, topic.id, current, assignment);
    return undefined;
  }

  // ---- configs ----

  private incrementalAlterConfigs(txn: Txn, req: IncrementalAlterConfigsRequest): IncrementalAlterConfigsResponse {
    const key = (r: { resourceType: number; resourceName: string }): string => `${r.resourceType}:${r.resourceName}`;
    const counts = new Map<string, number>();
    for (const r of req.resources) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
    const responses: AlterConfigsResourceResponse[] = [];
    const uncleanEnabled = new Set<string>();
    let uncleanEnabledClusterWide = false;
    for (const r of req.resources) {
      const respond = (f: Failure | undefined): void => {
        responses.push({ resourceType: r.resourceType, resourceName: r.resourceName, ...(f === undefined ? ok : { errorCode: f.code, errorMessage: f.message }) });
      };
      if (counts.get(key(r))! > 1) {
        respond(fail('INVALID_REQUEST', 'the resource is listed more than once'));
        continue;
      }
      const planned = this.planConfigChanges(txn.delta, r.resourceType, r.resourceName, r.configs);
      if ('code' in planned) {
        respond(planned);
        continue;
      }
      for (const [name, value] of planned) {
        txn.emit({ apiKey: ApiKey.Config, resourceType: r.resourceType, resourceName: r.resourceName, name, value });
      }
      const unclean = planned.get('unclean.leader.election.enable');
      if (unclean !== undefined && unclean !== null && isTrue(unclean)) {
        if (r.resourceType === ConfigResourceType.Topic) uncleanEnabled.add(r.resourceName);
        else if (r.resourceName === '') uncleanEnabledClusterWide = true;
      }
      respond(undefined);
    }
    // Enabling unclean election gives leaderless partitions a leader now, as Kafka's
    // controller does, rather than at the next broker event.
    if (uncleanEnabledClusterWide) electLeaderless(txn);
    else if (uncleanEnabled.size > 0) electLeaderless(txn, uncleanEnabled);
    return { responses };
  }

  /** The new value (null to delete) of each config that changes, or why the resource's changes are invalid. */
  private planConfigChanges(
    view: MetadataView,
    resourceType: ConfigResourceType,
    resourceName: string,
    changes: IncrementalAlterConfigsRequest['resources'][number]['configs'],
  ): Map<string, string | null> | Failure {
    if (resourceType === ConfigResourceType.Topic) {
      if (view.topicIdOf(resourceName) === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(resourceName)} does not exist`);
    } else if (resourceType === ConfigResourceType.Broker) {
      if (resourceName !== '' && !isBrokerIdText(resourceName)) return fail('INVALID_REQUEST', `broker resource name ${JSON.stringify(resourceName)} is not a broker id or ''`);
    } else {
      return fail('INVALID_REQUEST', `unsupported resource type ${String(resourceType)}`);
    }
    const defs = configDefs(resourceType);
    const current = view.configs(resourceType, resourceName);
    const planned = new Map<string, string | null>();
    const seen = new Set<string>();
    for (const c of changes) {
      if (seen.has(c.name)) return fail('INVALID_REQUEST', `config ${c.name} is altered more than once`);
      seen.add(c.name);
      const def = defs.get(c.name);
      if (def === undefined) return fail('INVALID_CONFIG', `unknown ${resourceType === ConfigResourceType.Topic ? 'topic' : 'broker'} config ${JSON.stringify(c.name)}`);
      let next: string | null;
      switch (c.configOperation) {
        case 'SET':
          if (c.value === null) return fail('INVALID_CONFIG', `SET of ${c.name} needs a value`);
          next = c.value;
          break;
        case 'DELETE':
          next = null;
          break;
        case 'APPEND':
        case 'SUBTRACT': {
          if (def.type !== 'list') return fail('INVALID_CONFIG', `${c.configOperation} applies only to list configs, and ${c.name} is a ${def.type}`);
          if (c.value === null) return fail('INVALID_CONFIG', `${c.configOperation} of ${c.name} needs a value`);
          const effective =
            resourceType === ConfigResourceType.Topic ? effectiveTopicConfig(view, resourceName, c.name).value : effectiveBrokerConfig(view, resourceName, c.name).value;
          const items = splitList(effective);
          const operands = splitList(c.value);
          const nextItems = c.configOperation === 'APPEND' ? [...items, ...operands.filter((o) => !items.includes(o))] : items.filter((i) => !operands.includes(i));
          next = nextItems.join(',');
          break;
        }
        default:
          return fail('INVALID_REQUEST', `unknown config operation ${JSON.stringify(c.configOperation)}`);
      }
      if (next !== null) {
        if (!fitsString(next)) return fail('INVALID_CONFIG', `the value of ${c.name} is too long`);
        const problem = configValueProblem(def, next);
        if (problem !== undefined) return fail('INVALID_CONFIG', problem);
      }
      if ((current.get(c.name) ?? null) !== next) planned.set(c.name, next);
    }
    return planned;
  }

  // ---- partitions ----

  /**
   * An ISR change proposed by a partition's leader (Kafka's AlterPartition, KIP-497),
   * fenced by the leader epoch (a deposed leader gets FENCED_LEADER_EPOCH) and by the
   * partition epoch (a leader that has not seen the latest change gets
   * INVALID_UPDATE_VERSION), so that a stale proposal can never undo a newer change.
   */
  private alterPartition(txn: Txn, req: AlterPartitionRequest): AlterPartitionResponse {
    const stale = checkBrokerEpoch(txn, req.brokerId, req.brokerEpoch);
    if (stale !== undefined) return { errorCode: stale.code, errorMessage: stale.message, topics: [] };
    const topics: AlterPartitionTopicResult[] = [];
    for (const t of req.topics) {
      const partitions: AlterPartitionPartitionResult[] = [];
      for (const p of t.partitions) {
        const topic = txn.delta.topicById(t.topicId);
        const part = topic?.partitions[p.partitionIndex];
        const failure = (f: Failure): AlterPartitionPartitionResult =>
          part === undefined
            ? { partitionIndex: p.partitionIndex, errorCode: f.code, errorMessage: f.message, leaderId: -1, leaderEpoch: -1, isr: [], partitionEpoch: -1 }
            : { partitionIndex: p.partitionIndex, errorCode: f.code, errorMessage: f.message, leaderId: part.leader, leaderEpoch: part.leaderEpoch, isr: part.isr, partitionEpoch: part.partitionEpoch };
        if (topic === undefined) {
          partitions.push(failure(fail('UNKNOWN_TOPIC_ID', `topic id ${t.topicId} does not exist`)));
          continue;
        }
        if (part === undefined) {
          partitions.push(failure(fail('UNKNOWN_TOPIC_OR_PARTITION', `${topic.name}-${p.partitionIndex} does not exist`)));
          continue;
        }
        const problem = alterPartitionProblem(req.brokerId, p, part, topic.partitions.length, txn.usable);
        if (problem !== undefined) {
          partitions.push(failure(problem));
          continue;
        }
        const change = partitionChange(topic.id, p.partitionIndex, part, { isr: [...p.newIsr] });
        if (change !== undefined) txn.emit(change);
        const after = txn.delta.topicById(t.topicId)!.partitions[p.partitionIndex]!;
        partitions.push({ partitionIndex: p.partitionIndex, ...ok, leaderId: after.leader, leaderEpoch: after.leaderEpoch, isr: after.isr, partitionEpoch: after.partitionEpoch });
      }
      topics.push({ topicId: t.topicId, partitions });
    }
    return { ...ok, topics };
  }

  private electLeaders(txn: Txn, req: ElectLeadersRequest): ElectLeadersResponse {
    if (req.electionType !== 'PREFERRED' && req.electionType !== 'UNCLEAN') {
      return { errorCode: 'INVALID_REQUEST', errorMessage: `unknown election type ${JSON.stringify(req.electionType)}`, replicaElectionResults: [] };
    }
    const all = req.topicPartitions === null;
    const targets: { topic: string; partitions: readonly number[] }[] = [];
    if (all) {
      const names: string[] = [];
      txn.delta.forEachTopic((t) => names.push(t.name));
      names.sort();
      for (const name of names) targets.push({ topic: name, partitions: txn.delta.topicById(txn.delta.topicIdOf(name)!)!.partitions.map((_, i) => i) });
    } else {
      targets.push(...req.topicPartitions);
    }
    const results = [];
    for (const { topic: name, partitions } of targets) {
      const partitionResult: PartitionElectionResult[] = [];
      for (const partitionId of partitions) {
        const f = this.electLeader(txn, req.electionType, name, partitionId);
        // Electing every partition reports only the partitions it tried, as Kafka does.
        if (all && f?.code === 'ELECTION_NOT_NEEDED') continue;
        partitionResult.push(f === undefined ? { partitionId, ...ok } : { partitionId, errorCode: f.code, errorMessage: f.message });
      }
      if (!all || partitionResult.length > 0) results.push({ topic: name, partitionResult });
    }
    return { ...ok, replicaElectionResults: results };
  }

  private electLeader(txn: Txn, type: 'PREFERRED' | 'UNCLEAN', name: string, partitionId: number): Failure | undefined {
    const id = txn.delta.topicIdOf(name);
    const part = id === undefined ? undefined : txn.delta.topicById(id)!.partitions[partitionId];
    if (id === undefined || part === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION', `${name}-${partitionId} does not exist`);
    let fields: PartitionChangeFields;
    if (type === 'PREFERRED') {
      const preferred = part.preferredLeader;
      if (part.leader === preferred) return fail('ELECTION_NOT_NEEDED', `broker ${preferred} already leads ${name}-${partitionId}`);
      if (!part.isr.includes(preferred) || !txn.usable(preferred)) return fail('PREFERRED_LEADER_NOT_AVAILABLE', `the preferred leader ${preferred} of ${name}-${partitionId} is not in the ISR or not available`);
      fields = { leader: preferred };
    } else {
      if (part.leader !== noLeader && txn.usable(part.leader)) return fail('ELECTION_NOT_NEEDED', `${name}-${partitionId} has leader ${part.leader}`);
      const election = electLeader(part.replicas, part.isr, txn.usable, true);
      if (election.leader === noLeader) return fail('ELIGIBLE_LEADERS_NOT_AVAILABLE', `no replica of ${name}-${partitionId} is available`);
      fields = election.unclean ? { leader: election.leader, isr: [election.leader] } : { leader: election.leader };
    }
    const change = partitionChange(id, partitionId, part, fields);
    if (change !== undefined) txn.emit(change);
    return undefined;
  }

  private allocateProducerIds(txn: Txn, req: AllocateProducerIdsRequest): AllocateProducerIdsResponse {
    const stale = checkBrokerEpoch(txn, req.brokerId, req.brokerEpoch);
    if (stale !== undefined) return { errorCode: stale.code, errorMessage: stale.message, producerIdStart: -1, producerIdLen: 0 };
    const start = txn.delta.nextProducerId;
    if (start + producerIdBlockSize > metadataInt64Max) return { errorCode: 'UNKNOWN_SERVER_ERROR', errorMessage: 'producer ids are exhausted', producerIdStart: -1, producerIdLen: 0 };
    txn.emit({ apiKey: ApiKey.ProducerIds, brokerId: req.brokerId, brokerEpoch: req.brokerEpoch, nextProducerId: start + producerIdBlockSize });
    return { ...ok, producerIdStart: start, producerIdLen: producerIdBlockSize };
  }
}

/** Why an AlterPartition proposal is invalid, with Kafka's error codes, or undefined. */
function alterPartitionProblem(
  brokerId: number,
  p: AlterPartitionRequest['topics'][number]['partitions'][number],
  part: PartitionRegistration,
  partitionCount: number,
  usable: (id: number) => boolean,
): Failure | undefined {
  assert(p.partitionIndex < partitionCount, 'partition checked to exist');
  if (p.leaderEpoch < part.leaderEpoch) return fail('FENCED_LEADER_EPOCH', `leader epoch ${p.leaderEpoch} is older than the current ${part.leaderEpoch}`);
  // A newer epoch than the controller's own: the sender has seen a controller this one has not.
  if (p.leaderEpoch > part.leaderEpoch) return fail('NOT_CONTROLLER', `leader epoch ${p.leaderEpoch} is newer than this controller's ${part.leaderEpoch}`);
  if (part.leader !== brokerId) return fail('INVALID_REQUEST', `broker ${brokerId} is not the leader (${part.leader})`);
  if (p.partitionEpoch !== part.partitionEpoch) return fail('INVALID_UPDATE_VERSION', `partition epoch ${p.partitionEpoch} is not the current ${part.partitionEpoch}`);
  const isr = p.newIsr;
  if (isr.length === 0 || isr.length > partitionReplicasMax) return fail('INVALID_REQUEST', 'the new ISR is empty');
  if (new Set(isr).size !== isr.length) return fail('INVALID_REQUEST', `the new ISR ${isr} lists a replica twice`);
  if (!isr.includes(brokerId)) return fail('INVALID_REQUEST', `the new ISR ${isr} does not include the leader ${brokerId}`);
  for (const r of isr) {
    if (!part.replicas.includes(r)) return fail('INVALID_REQUEST', `ISR member ${r} is not a replica (${part.replicas})`);
    if (!usable(r)) return fail('INELIGIBLE_REPLICA', `ISR member ${r} is fenced or not registered`);
  }
  return undefined;
}

/**
 * Checks explicit replica assignments: each partition lists `replicationFactor` distinct
 * registered brokers, at least one of them usable (it will be the leader). Partitions are
 * numbered from `firstPartition` in the messages.
 */
function validateAssignment(view: MetadataView, assignment: readonly (readonly number[])[], replicationFactor: number, firstPartition: number, usable: (id: number) => boolean): Failure | undefined {
  for (let i = 0; i < assignment.length; i++) {
    const replicas = assignment[i]!;
    const p = firstPartition + i;
    if (replicas.length === 0) return fail('INVALID_REPLICA_ASSIGNMENT', `partition ${p} has no replicas`);
    if (replicas.length > partitionReplicasMax) return fail('INVALID_REPLICA_ASSIGNMENT', `partition ${p} has ${replicas.length} replicas, over ${partitionReplicasMax}`);
    if (replicas.length !== replicationFactor) return fail('INVALID_REPLICA_ASSIGNMENT', `partition ${p} has ${replicas.length} replicas; every partition must have ${replicationFactor}`);
    if (new Set(replicas).size !== replicas.length) return fail('INVALID_REPLICA_ASSIGNMENT', `partition ${p} lists a broker twice: ${replicas}`);
    for (const b of replicas) {
      if (!isBrokerId(b) || view.broker(b) === undefined) return fail('INVALID_REPLICA_ASSIGNMENT', `partition ${p} names broker ${b}, which is not registered`);
    }
    if (!replicas.some(usable)) return fail('INVALID_REPLICA_ASSIGNMENT', `all brokers of partition ${p} (${replicas}) are fenced`);
  }
  return undefined;
}

function usableBrokers(view: MetadataView): number[] {
  const out: number[] = [];
  view.forEachBroker((b) => {
    if (!b.fenced) out.push(b.id);
  });
  return out;
}

function isBrokerIdText(text: string): boolean {
  return /^\d{1,10}$/.test(text) && Number(text) <= 0x7fffffff;
}

function sameRecord(a: MetadataRecord, b: MetadataRecord): boolean {
  if (a === b) return true;
  const x = encodeMetadataRecord(a);
  const y = encodeMetadataRecord(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * DescribeConfigs, served from an image (no records): every requested config of each
 * resource with its effective value and where the value came from.
 */
export function describeConfigs(view: MetadataView, req: DescribeConfigsRequest): DescribeConfigsResponse {
  const results: DescribeConfigsResult[] = [];
  for (const r of req.resources) {
    const failure = (code: ErrorCode, message: string): DescribeConfigsResult => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: code, errorMessage: message, configs: [] });
    let names: string[];
    if (r.resourceType === ConfigResourceType.Topic) {
      if (view.topicIdOf(r.resourceName) === undefined) {
        results.push(failure('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(r.resourceName)} does not exist`));
        continue;
      }
      names = [...topicConfigDefs.keys()];
    } else if (r.resourceType === ConfigResourceType.Broker) {
      if (r.resourceName !== '' && !isBrokerIdText(r.resourceName)) {
        results.push(failure('INVALID_REQUEST', `broker resource name ${JSON.stringify(r.resourceName)} is not a broker id or ''`));
        continue;
      }
      names = [...brokerConfigDefs.keys()];
    } else {
      results.push(failure('INVALID_REQUEST', `unsupported resource type ${String(r.resourceType)}`));
      continue;
    }
    const wanted = r.configurationKeys ?? null;
    if (wanted !== null) names = names.filter((n) => wanted.includes(n));
    names.sort();
    const configs = names.map((name) => {
      const e = r.resourceType === ConfigResourceType.Topic ? effectiveTopicConfig(view, r.resourceName, name) : effectiveBrokerConfig(view, r.resourceName, name);
      return { name, value: e.value, readOnly: false, source: e.source, isDefault: e.source === 'DEFAULT_CONFIG', isSensitive: false };
    });
    results.push({ resourceType: r.resourceType, resourceName: r.resourceName, ...ok, configs });
  }
  return { results };
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
