/**
 * A seeded simulation of partition replication across brokers: the pure `Controller`
 * (its records replayed at once, no Raft) drives leadership, ISR and fencing; each broker
 * holds `Partition` replicas over `MemoryLog`s; idempotent producers send keyed records
 * with acks=all and retry, and now and then restart with a new producer epoch; consumers
 * read below the high watermark.
 *
 * One seed chooses the cluster (1, 3 or 5 brokers), the crash model, the fault rates and
 * every event. Faults: messages lost, delayed and reordered between all nodes; network
 * partitions between brokers and the controller; broker crashes and restarts; killing a
 * partition's leader; brokers that lag behind the committed metadata (so replicas
 * disagree about the leader epoch for a while). Two crash models:
 * - `process`: the process dies; its page cache survives, so the logs keep everything
 *   written (Tributary's default flush policy). Kafka's replication as is.
 * - `power`: the machine loses power; each log keeps only what was flushed. The
 *   partitions run with `hwRequiresFlush` (leaders count only flushed offsets toward the
 *   high watermark, followers flush before fetching again).
 *
 * Invariants after every step: no two replicas, and no consumer, ever see different
 * records at an offset below a high watermark (committed records never change); every
 * acknowledged record is in the log of every ISR member; a leader's high watermark never
 * goes back within its term; every record a consumer read is, like an acknowledged one,
 * on every ISR member from then on; a retried batch acknowledged twice got the same offsets;
 * no replica truncates below its high watermark (asserted inside `Partition`). Then faults
 * stop and, within a bound, every partition must have a leader and a full ISR, every
 * send must be acknowledged, and every acknowledged record must be readable exactly once,
 * in each producer's order. A failure throws with the seed and a command that replays it.
 */
import { decodeUncompressedBatch, encodeBatchUncompressed, iterateBatches } from '../../src/record/batch.js';
import { Controller } from '../../src/metadata/controller.js';
import { effectiveTopicConfig } from '../../src/metadata/configs.js';
import { randomUuid, type Uuid } from '../../src/metadata/uuid.js';
import type { MetadataRecord } from '../../src/metadata/records.js';
import type { ControllerRequest, ControllerResponse } from '../../src/metadata/requests.js';
import {
  Partition,
  type AlterIsrProposal,
  type AlterPartitionResult,
  type LeaderAndIsr,
  type PartitionFetchRequest,
  type PartitionFetchResponse,
} from '../../src/broker/partition.js';
import { MemoryLog } from '../../src/storage/memory-log.js';
import type { ErrorCode } from '../../src/util/error-codes.js';
import { murmur2, toPositive } from '../../src/util/murmur2.js';
import { Rng } from '../../src/util/rng.js';

export interface ReplicationSimOptions {
  /** Brokers: 1, 3 or 5; chosen by the seed when absent. */
  readonly brokers?: number;
  /** Partitions of the topic. Default 3. */
  readonly partitions?: number;
  /** `process` or `power`; chosen by the seed when absent. */
  readonly crashModel?: 'process' | 'power';
  /** Steps with faults. Default 600. */
  readonly safetySteps?: number;
  /** The most steps without faults for the cluster to converge. Default 1500. */
  readonly livenessSteps?: number;
}

export interface ReplicationSimResult {
  readonly seed: number;
  readonly brokers: number;
  readonly crashModel: 'process' | 'power';
  readonly steps: number;
  readonly sent: number;
  readonly acked: number;
  readonly consumed: number;
  readonly crashes: number;
  readonly leaderChanges: number;
  readonly truncations: number;
}

const stepMs = 10;
const heartbeatIntervalMs = 100;
const brokerSessionTimeoutMs = 400;
const replicaLagTimeMaxMs = 300;
const produceTimeoutMs = 400;
/** A producer resends a batch it got no answer for after this long. */
const producerRetryMs = 600;
/** A follower resends a fetch it got no answer for after this long. */
const fetchRetryMs = 200;
const hwCheckpointIntervalMs = 200;
const topic = 'events';
const controllerNode = 0;
const clientNode = -1;
const producerIds = [1000, 1001];
const keys = Array.from({ length: 16 }, (_, i) => Buffer.from(`key-${i}`));

export function replayCommand(seed: number): string {
  return `REPLICATION_SIM_SEED=${seed} npx vitest run test/sim/replication-sim.test.ts`;
}

export function runReplicationSimulation(seed: number, options: ReplicationSimOptions = {}): ReplicationSimResult {
  try {
    return new Simulation(seed, options).run();
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith('replication simulation failed')) throw err;
    throw new Error(`replication simulation failed (seed ${seed}): ${(err as Error).stack ?? message}\nreplay: ${replayCommand(seed)}`, { cause: err });
  }
}

type Body =
  | { kind: 'fetch'; p: number; req: PartitionFetchRequest; incarnation: number }
  | { kind: 'fetchResponse'; p: number; req: PartitionFetchRequest; res: PartitionFetchResponse; incarnation: number }
  | { kind: 'produce'; p: number; batch: Buffer; token: number }
  | { kind: 'produceResponse'; token: number; errorCode: ErrorCode; firstOffset: number; lastOffset: number }
  | { kind: 'alter'; p: number; proposal: AlterIsrProposal; brokerEpoch: number; incarnation: number }
  | { kind: 'alterResponse'; p: number; result: AlterPartitionResult; incarnation: number };

interface Message {
  readonly at: number;
  readonly seq: number;
  readonly from: number;
  readonly to: number;
  readonly body: Body;
}

interface SimBroker {
  readonly id: number;
  alive: boolean;
  /** Bumped at every restart: answers to an earlier incarnation are dropped. */
  incarnation: number;
  incarnationId: Uuid;
  brokerEpoch: number;
  appliedMetadataOffset: number;
  nextHeartbeatMs: number;
  restartAtMs: number;
  readonly logs: MemoryLog[];
  replicas: (Partition | undefined)[];
  hwCheckpoint: number[];
  /** When each partition's outstanding fetch was sent, or -1. */
  fetchSentMs: number[];
  /** Earliest time of the next fetch per partition (backs off after an empty answer). */
  nextFetchMs: number[];
  /** Which producer waits for each pending acks=all token. */
  readonly tokens: Map<number, number>;
}

interface InFlight {
  readonly seq: number;
  readonly values: string[];
  token: number;
  sentMs: number;
}

interface SimProducer {
  readonly id: number;
  /** Bumped when the producer restarts: sequences start again at 0, and older epochs are fenced. */
  epoch: number;
  readonly nextSeq: number[];
  readonly inFlight: (InFlight | undefined)[];
  readonly queued: string[][][];
}

/** Decoded view of one replica's log, kept up to date incrementally. */
interface ReplicaView {
  owner: Partition | undefined;
  truncations: number;
  values: string[];
  /** Offsets below this were compared with `committed`. */
  checkedBelowHw: number;
  /** Index into the partition's acked offsets verified present. */
  ackedVerified: number;
}

class Simulation {
  private readonly rng: Rng;
  private readonly brokerCount: number;
  private readonly partitionCount: number;
  private readonly crashModel: 'process' | 'power';
  private readonly safetySteps: number;
  private readonly livenessSteps: number;
  private readonly controller: Controller;
  private metadataOffset = 0;
  private topicId: Uuid | undefined;
  private readonly brokers: SimBroker[] = [];
  private readonly producers: SimProducer[] = [];
  /** Messages by delivery time (a multiple of the step), each list in sending order. */
  private readonly messages = new Map<number, Message[]>();
  private messageSeq = 0;
  private now = 0;
  private step = 0;
  private nextToken = 1;
  /** Acknowledged batches (producer/epoch/partition/sequence) and the first offset they were given. */
  private readonly ackedBatches = new Map<string, number>();
  private readonly tokenOwner = new Map<number, { producer: number; epoch: number; p: number; seq: number }>();
  /** Per partition: the record at each offset known committed (below some high watermark, read, or acked). */
  private readonly committed: (string | undefined)[][] = [];
  /**
   * Per partition: records that must survive on every ISR member, in the order they were
   * learned: acknowledged to a producer, or read by a consumer.
   */
  private readonly acked: { offset: number; value: string; how: 'acknowledged' | 'consumed' }[][] = [];
  private readonly consumerOffset: number[] = [];
  private readonly views = new Map<string, ReplicaView>();
  private readonly leaderHw = new Map<string, number>();
  private group = new Map<number, number>();
  private healAtMs = -1;

  // Fault rates.
  private loss: number;
  private readonly delayMaxSteps: number;
  private crashRate: number;
  private partitionRate: number;
  private leaderKillRate: number;
  private sendRate: number;
  private producerRestartRate: number;
  /** The chance per step that a broker connected to the controller catches up with metadata (below 1: brokers lag, and disagree about epochs for a while). */
  private readonly metadataApplyRate: number;

  // Counters.
  private sent = 0;
  private ackedCount = 0;
  private consumed = 0;
  private crashes = 0;
  private leaderChanges = 0;
  private lastLeaders: number[] = [];

  constructor(
    readonly seed: number,
    options: ReplicationSimOptions,
  ) {
    this.rng = new Rng(seed);
    this.brokerCount = options.brokers ?? this.rng.pick([1, 3, 3, 3, 5]);
    this.partitionCount = options.partitions ?? 3;
    this.crashModel = options.crashModel ?? this.rng.pick(['process', 'power'] as const);
    this.safetySteps = options.safetySteps ?? 600;
    this.livenessSteps = options.livenessSteps ?? 1500;
    this.loss = this.rng.pick([0, 0.02, 0.1]);
    this.delayMaxSteps = this.rng.pick([1, 3, 6]);
    this.crashRate = this.rng.pick([0, 0.003, 0.01]);
    this.partitionRate = this.rng.pick([0, 0.005, 0.02]);
    this.leaderKillRate = this.rng.pick([0, 0.003, 0.01]);
    this.sendRate = this.rng.pick([0.1, 0.3]);
    this.producerRestartRate = this.rng.pick([0, 0.002, 0.01]);
    this.metadataApplyRate = this.rng.pick([1, 0.5, 0.2]);
    this.controller = new Controller({ rng: this.rng.fork(), config: { brokerSessionTimeoutMs, metadataMaxIdleIntervalMs: 0 } });
    for (let p = 0; p < this.partitionCount; p++) {
      this.committed.push([]);
      this.acked.push([]);
      this.consumerOffset.push(0);
      this.lastLeaders.push(-1);
    }
  }

  private fail(why: string): never {
    throw new Error(
      `replication simulation failed (seed ${this.seed}; ${this.brokerCount} brokers, ${this.crashModel} crashes, step ${this.step}): ${why}\nreplay: ${replayCommand(this.seed)}`,
    );
  }

  // ------------------------------------------------------------------------- setup

  run(): ReplicationSimResult {
    this.controller.activate(0, 0);
    for (let id = 1; id <= this.brokerCount; id++) {
      const b: SimBroker = {
        id,
        alive: true,
        incarnation: 0,
        incarnationId: randomUuid(this.rng),
        brokerEpoch: -1,
        appliedMetadataOffset: -1,
        nextHeartbeatMs: 0,
        restartAtMs: -1,
        logs: [],
        replicas: [],
        hwCheckpoint: [],
        fetchSentMs: [],
        nextFetchMs: [],
        tokens: new Map(),
      };
      this.brokers.push(b);
      this.register(b);
      this.heartbeat(b);
    }
    const rf = Math.min(3, this.brokerCount);
    const created = this.handle({
      type: 'CreateTopics',
      topics: [{ name: topic, numPartitions: this.partitionCount, replicationFactor: rf, configs: [{ name: 'min.insync.replicas', value: String(Math.min(2, rf)) }] }],
    });
    if (created.topics[0]!.errorCode !== 'NONE') this.fail(`topic creation failed: ${created.topics[0]!.errorMessage}`);
    this.topicId = created.topics[0]!.topicId;
    for (const b of this.brokers) this.startReplicas(b);
    for (const id of producerIds) {
      this.producers.push({
        id,
        epoch: 0,
        nextSeq: new Array<number>(this.partitionCount).fill(0),
        inFlight: new Array<InFlight | undefined>(this.partitionCount).fill(undefined),
        queued: Array.from({ length: this.partitionCount }, () => []),
      });
    }

    for (let i = 0; i < this.safetySteps; i++) this.tick(true);
    // Liveness: faults stop, everything heals and restarts, no new sends.
    this.loss = 0;
    this.crashRate = 0;
    this.partitionRate = 0;
    this.leaderKillRate = 0;
    this.sendRate = 0;
    this.producerRestartRate = 0;
    this.group.clear();
    this.healAtMs = -1;
    for (const b of this.brokers) if (!b.alive) b.restartAtMs = this.now;
    let converged = false;
    for (let i = 0; i < this.livenessSteps && !converged; i++) {
      this.tick(false);
      converged = this.converged();
    }
    if (!converged) this.fail(`no convergence within ${this.livenessSteps} steps after faults stopped: ${this.describe()}`);
    this.finalChecks();
    let truncations = 0;
    for (const b of this.brokers) for (const r of b.replicas) truncations += r?.truncations ?? 0;
    return {
      seed: this.seed,
      brokers: this.brokerCount,
      crashModel: this.crashModel,
      steps: this.step,
      sent: this.sent,
      acked: this.ackedCount,
      consumed: this.consumed,
      crashes: this.crashes,
      leaderChanges: this.leaderChanges,
      truncations,
    };
  }

  /** Creates the broker's replicas over its (surviving) logs, as on startup. */
  private startReplicas(b: SimBroker): void {
    const image = this.controller.image;
    const minIsr = Number(effectiveTopicConfig(image, topic, 'min.insync.replicas').value);
    for (let p = 0; p < this.partitionCount; p++) {
      const reg = image.partition(this.topicId!, p)!;
      if (!reg.replicas.includes(b.id)) {
        b.replicas[p] = undefined;
        continue;
      }
      b.logs[p] ??= new MemoryLog({ topic, partition: p });
      b.replicas[p] = new Partition({
        log: b.logs[p]!,
        brokerId: b.id,
        highWatermark: b.hwCheckpoint[p] ?? 0,
        config: { minInsyncReplicas: minIsr, replicaLagTimeMaxMs, alterPartitionRetryMs: 200, hwRequiresFlush: this.crashModel === 'power' },
      });
      b.fetchSentMs[p] = -1;
      b.nextFetchMs[p] = 0;
    }
  }

  // ------------------------------------------------------------------- controller

  private handle<R extends ControllerRequest>(request: R): ControllerResponse<R> {
    const { records, response } = this.controller.handle(request, this.now);
    this.replay(records);
    return response;
  }

  private replay(records: readonly MetadataRecord[]): void {
    for (const r of records) this.controller.replay(r, this.metadataOffset++);
  }

  private register(b: SimBroker): void {
    const res = this.handle({ type: 'BrokerRegistration', brokerId: b.id, incarnationId: b.incarnationId });
    if (res.errorCode === 'NONE') {
      b.brokerEpoch = res.brokerEpoch;
      this.applyMetadata(b);
    } else if (res.errorCode !== 'DUPLICATE_BROKER_REGISTRATION') {
      this.fail(`registration of broker ${b.id} failed: ${res.errorCode}`);
    }
  }

  private heartbeat(b: SimBroker): void {
    const res = this.handle({ type: 'BrokerHeartbeat', brokerId: b.id, brokerEpoch: b.brokerEpoch, currentMetadataOffset: b.appliedMetadataOffset });
    if (res.errorCode === 'STALE_BROKER_EPOCH') b.brokerEpoch = -1;
    else if (res.errorCode !== 'NONE') this.fail(`heartbeat of broker ${b.id} failed: ${res.errorCode}`);
  }

  /** The broker catches up with the committed metadata (it is connected to the controller). */
  private applyMetadata(b: SimBroker): void {
    if (b.brokerEpoch < 0 || b.appliedMetadataOffset >= this.controller.lastCommittedOffset) return;
    b.appliedMetadataOffset = this.controller.lastCommittedOffset;
    if (this.topicId === undefined) return;
    const image = this.controller.image;
    for (let p = 0; p < this.partitionCount; p++) {
      const partition = b.replicas[p];
      if (partition === undefined) continue;
      const reg = image.partition(this.topicId, p)!;
      const state: LeaderAndIsr = { leader: reg.leader, leaderEpoch: reg.leaderEpoch, partitionEpoch: reg.partitionEpoch, replicas: reg.replicas, isr: reg.isr };
      if (reg.leader === b.id) partition.makeLeader(state, this.now);
      else partition.makeFollower(state, this.now);
      this.flushAcks(b, p);
    }
  }

  // ------------------------------------------------------------------------ network

  private connected(a: number, b: number): boolean {
    if (a === clientNode || b === clientNode) return true;
    return (this.group.get(a) ?? 0) === (this.group.get(b) ?? 0);
  }

  private send(from: number, to: number, body: Body, extraDelayMs = 0): void {
    if (this.rng.chance(this.loss)) return;
    const at = this.now + extraDelayMs + this.rng.between(1, this.delayMaxSteps) * stepMs;
    const list = this.messages.get(at);
    const m = { at, seq: this.messageSeq++, from, to, body };
    if (list === undefined) this.messages.set(at, [m]);
    else list.push(m);
  }

  private deliver(): void {
    const due = this.messages.get(this.now);
    if (due === undefined) return;
    this.messages.delete(this.now);
    for (const m of due) {
      if (!this.connected(m.from, m.to)) continue;
      if (m.to === controllerNode) this.controllerReceive(m);
      else if (m.to === clientNode) this.producerReceive(m.body);
      else {
        const b = this.brokers[m.to - 1]!;
        if (b.alive) this.brokerReceive(b, m);
      }
    }
  }

  private controllerReceive(m: Message): void {
    const body = m.body;
    if (body.kind !== 'alter') return;
    const res = this.handle({
      type: 'AlterPartition',
      brokerId: m.from,
      brokerEpoch: body.brokerEpoch,
      topics: [{ topicId: this.topicId!, partitions: [{ partitionIndex: body.p, leaderEpoch: body.proposal.leaderEpoch, partitionEpoch: body.proposal.partitionEpoch, newIsr: body.proposal.newIsr }] }],
    });
    const part = res.topics[0]?.partitions[0];
    const result: AlterPartitionResult =
      part === undefined
        ? { errorCode: res.errorCode, leaderEpoch: -1, partitionEpoch: -1, isr: [] }
        : { errorCode: part.errorCode, leaderEpoch: part.leaderEpoch, partitionEpoch: part.partitionEpoch, isr: part.isr };
    this.send(controllerNode, m.from, { kind: 'alterResponse', p: body.p, result, incarnation: body.incarnation });
  }

  private brokerReceive(b: SimBroker, m: Message): void {
    const body = m.body;
    switch (body.kind) {
      case 'fetch': {
        const partition = b.replicas[body.p];
        if (partition === undefined) return;
        const out = partition.fetchAsLeader(body.req, this.now);
        this.send(b.id, m.from, { kind: 'fetchResponse', p: body.p, req: body.req, res: out.response, incarnation: body.incarnation });
        if (out.proposal !== undefined) this.sendAlter(b, body.p, out.proposal);
        this.flushAcks(b, body.p);
        return;
      }
      case 'fetchResponse': {
        if (body.incarnation !== b.incarnation) return;
        const partition = b.replicas[body.p];
        if (partition === undefined) return;
        b.fetchSentMs[body.p] = -1;
        const out = partition.appendAsFollower(body.req, body.res);
        b.nextFetchMs[body.p] = this.now + (out.ignored || out.errorCode !== 'NONE' || (body.res.records.length === 0 && out.truncatedTo === undefined) ? 3 * stepMs : 0);
        return;
      }
      case 'produce': {
        const partition = b.replicas[body.p];
        if (partition === undefined) {
          this.send(b.id, clientNode, { kind: 'produceResponse', token: body.token, errorCode: 'NOT_LEADER_OR_FOLLOWER', firstOffset: -1, lastOffset: -1 });
          return;
        }
        const out = partition.appendAsLeader(body.batch, { acks: -1, token: body.token, timeoutMs: produceTimeoutMs }, this.now);
        if (out.errorCode !== 'NONE') {
          this.send(b.id, clientNode, { kind: 'produceResponse', token: body.token, errorCode: out.errorCode, firstOffset: -1, lastOffset: -1 });
        } else {
          b.tokens.set(body.token, body.p);
        }
        this.flushAcks(b, body.p);
        return;
      }
      case 'alterResponse': {
        if (body.incarnation !== b.incarnation) return;
        b.replicas[body.p]?.alterPartitionResponse(body.result);
        this.flushAcks(b, body.p);
        return;
      }
      default:
        return;
    }
  }

  private sendAlter(b: SimBroker, p: number, proposal: AlterIsrProposal): void {
    this.send(b.id, controllerNode, { kind: 'alter', p, proposal, brokerEpoch: b.brokerEpoch, incarnation: b.incarnation });
  }

  /** Answers the producers whose acks=all produces completed. */
  private flushAcks(b: SimBroker, p: number): void {
    const partition = b.replicas[p];
    if (partition === undefined) return;
    for (const a of partition.drainAcks()) {
      b.tokens.delete(a.token);
      this.send(b.id, clientNode, { kind: 'produceResponse', token: a.token, errorCode: a.errorCode, firstOffset: a.firstOffset, lastOffset: a.lastOffset });
    }
  }

  // ----------------------------------------------------------------------- producers

  private produceStep(): void {
    if (this.rng.chance(this.producerRestartRate)) {
      // The producer restarts (InitProducerId gives it the next epoch): what it had in
      // flight is abandoned unacknowledged (it may or may not be in the log), and its
      // sequences start again at 0.
      const producer = this.rng.pick(this.producers);
      // A zombie: the old incarnation's retry of what it had in flight is still on its way,
      // and arrives late; the partition must fence it once the new epoch has written there.
      for (let p = 0; p < this.partitionCount; p++) {
        const f = producer.inFlight[p];
        if (f !== undefined && this.rng.chance(0.5)) this.sendProduce(producer, p, f, this.rng.between(5, 40) * stepMs);
      }
      producer.epoch++;
      producer.nextSeq.fill(0);
      producer.inFlight.fill(undefined);
    }
    if (this.sendRate > 0 && this.rng.chance(this.sendRate)) {
      const producer = this.rng.pick(this.producers);
      const key = this.rng.pick(keys);
      const p = toPositive(murmur2(key)) % this.partitionCount;
      const seq = producer.queued[p]!.length;
      const count = this.rng.between(1, 3);
      producer.queued[p]!.push(Array.from({ length: count }, (_, i) => `${producer.id}/${p}/${this.sent}/${seq}.${i}`));
      this.sent++;
    }
    for (const producer of this.producers) {
      for (let p = 0; p < this.partitionCount; p++) {
        let f = producer.inFlight[p];
        if (f === undefined) {
          const values = producer.queued[p]!.shift();
          if (values === undefined) continue;
          f = { seq: producer.nextSeq[p]!, values, token: -1, sentMs: -Infinity };
          producer.nextSeq[p]! += values.length;
          producer.inFlight[p] = f;
        }
        if (f.token >= 0 && this.now - f.sentMs < producerRetryMs) continue;
        this.sendProduce(producer, p, f);
      }
    }
  }

  private sendProduce(producer: SimProducer, p: number, f: InFlight, extraDelayMs = 0): void {
    const leader = this.controller.image.partition(this.topicId!, p)!.leader;
    f.sentMs = this.now;
    f.token = this.nextToken++;
    this.tokenOwner.set(f.token, { producer: this.producers.indexOf(producer), epoch: producer.epoch, p, seq: f.seq });
    if (leader < 0) {
      f.sentMs = this.now - producerRetryMs + 5 * stepMs; // no leader: look again soon
      return;
    }
    const batch = encodeBatchUncompressed(
      f.values.map((v) => ({ key: null, value: Buffer.from(v) })),
      { producerId: producer.id, producerEpoch: producer.epoch, baseSequence: f.seq, now: this.now },
    );
    this.send(clientNode, leader, { kind: 'produce', p, batch, token: f.token }, extraDelayMs);
  }

  private producerReceive(body: Body): void {
    if (body.kind !== 'produceResponse') return;
    const owner = this.tokenOwner.get(body.token);
    if (owner === undefined) return;
    const producer = this.producers[owner.producer]!;
    if (body.errorCode === 'NONE') {
      // Every attempt of one batch that is acknowledged must give the same offsets: the
      // retries of an idempotent producer land once.
      const key = `${producer.id}/${owner.epoch}/${owner.p}/${owner.seq}`;
      const before = this.ackedBatches.get(key);
      if (before !== undefined && before !== body.firstOffset) {
        this.fail(`producer ${producer.id} epoch ${owner.epoch} batch ${owner.seq} on partition ${owner.p} acknowledged at ${before} and at ${body.firstOffset}`);
      }
      if (before !== undefined) return;
    }
    const f = producer.inFlight[owner.p];
    // An answer about a batch already acknowledged, or sent by an earlier incarnation.
    if (f === undefined || f.seq !== owner.seq || owner.epoch !== producer.epoch) return;
    switch (body.errorCode) {
      case 'NONE': {
        if (body.lastOffset - body.firstOffset + 1 !== f.values.length) this.fail(`batch of ${f.values.length} acknowledged at ${body.firstOffset}-${body.lastOffset}`);
        this.ackedBatches.set(`${producer.id}/${owner.epoch}/${owner.p}/${owner.seq}`, body.firstOffset);
        f.values.forEach((value, i) => {
          const offset = body.firstOffset + i;
          this.acked[owner.p]!.push({ offset, value, how: 'acknowledged' });
          this.noteCommitted(owner.p, offset, value, `acknowledged to producer ${producer.id}`);
        });
        this.ackedCount += f.values.length;
        producer.inFlight[owner.p] = undefined;
        return;
      }
      case 'NOT_LEADER_OR_FOLLOWER':
      case 'NOT_ENOUGH_REPLICAS':
      case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
      case 'REQUEST_TIMED_OUT':
        // Retriable: resend the same batch (same sequence) at the next step.
        if (body.token === f.token) f.sentMs = this.now - producerRetryMs + 3 * stepMs;
        return;
      default:
        this.fail(`producer ${producer.id} got ${body.errorCode} for batch ${f.seq} on partition ${owner.p}`);
    }
  }

  // ----------------------------------------------------------------------- consumers

  private consumeStep(): void {
    if (!this.rng.chance(0.2)) return;
    const p = this.rng.int(this.partitionCount);
    const leader = this.controller.image.partition(this.topicId!, p)!.leader;
    if (leader < 0) return;
    const b = this.brokers[leader - 1]!;
    const partition = b.replicas[p];
    if (!b.alive || partition === undefined) return;
    const offset = this.consumerOffset[p]!;
    const { response } = partition.fetchAsLeader({ replicaId: -1, fetchOffset: offset, lastFetchedEpoch: -1, currentLeaderEpoch: -1 }, this.now);
    if (response.errorCode === 'NOT_LEADER_OR_FOLLOWER') return;
    if (response.errorCode !== 'NONE') this.fail(`consumer of partition ${p} at ${offset} got ${response.errorCode} from broker ${leader}`);
    let next = offset;
    for (const { position, header } of iterateBatches(response.records)) {
      for (const r of decodeUncompressedBatch(response.records, position)) {
        if (r.offset < offset) continue;
        if (r.offset >= response.highWatermark) this.fail(`consumer read offset ${r.offset} at or above the high watermark ${response.highWatermark}`);
        const value = Buffer.from(r.value!).toString();
        this.noteCommitted(p, r.offset, value, `read by a consumer from broker ${leader}`);
        this.acked[p]!.push({ offset: r.offset, value, how: 'consumed' });
        this.consumed++;
      }
      next = header.baseOffset + header.lastOffsetDelta + 1;
    }
    this.consumerOffset[p] = next;
  }

  // -------------------------------------------------------------------------- faults

  private faultStep(): void {
    if (this.healAtMs >= 0 && this.now >= this.healAtMs) {
      this.group.clear();
      this.healAtMs = -1;
    }
    if (this.healAtMs < 0 && this.rng.chance(this.partitionRate)) {
      for (let n = 0; n <= this.brokerCount; n++) this.group.set(n, this.rng.int(2));
      this.healAtMs = this.now + this.rng.between(20, 100) * stepMs;
    }
    if (this.rng.chance(this.crashRate)) this.crash(this.rng.pick(this.brokers));
    if (this.rng.chance(this.leaderKillRate)) {
      const leader = this.controller.image.partition(this.topicId!, this.rng.int(this.partitionCount))!.leader;
      if (leader > 0) this.crash(this.brokers[leader - 1]!);
    }
  }

  private crash(b: SimBroker): void {
    if (!b.alive) return;
    b.alive = false;
    this.crashes++;
    b.restartAtMs = this.now + this.rng.between(10, 80) * stepMs;
    for (let p = 0; p < this.partitionCount; p++) {
      const partition = b.replicas[p];
      // A power loss keeps only what was flushed; a process crash keeps everything written.
      if (partition !== undefined && this.crashModel === 'power') b.logs[p]!.truncateTo(partition.flushedOffset);
    }
    b.replicas = [];
    b.tokens.clear();
  }

  private restart(b: SimBroker): void {
    b.alive = true;
    b.incarnation++;
    b.incarnationId = randomUuid(this.rng);
    b.brokerEpoch = -1;
    b.appliedMetadataOffset = -1;
    b.nextHeartbeatMs = this.now;
    b.restartAtMs = -1;
    this.startReplicas(b);
  }

  // --------------------------------------------------------------------------- steps

  private tick(faults: boolean): void {
    this.step++;
    this.now += stepMs;
    if (faults) this.faultStep();
    for (const b of this.brokers) if (!b.alive && b.restartAtMs >= 0 && this.now >= b.restartAtMs) this.restart(b);
    this.replay(this.controller.tick(this.now).records);
    for (const b of this.brokers) if (b.alive) this.brokerStep(b);
    this.produceStep();
    this.deliver();
    this.consumeStep();
    this.noteLeaders();
    this.checkInvariants();
  }

  private brokerStep(b: SimBroker): void {
    const toController = this.connected(b.id, controllerNode);
    if (toController && this.now >= b.nextHeartbeatMs) {
      b.nextHeartbeatMs = this.now + heartbeatIntervalMs;
      if (b.brokerEpoch < 0) this.register(b);
      if (b.brokerEpoch >= 0) this.heartbeat(b);
    }
    // A broker acts on partition metadata only once registered as this incarnation: its
    // registration took the previous incarnation out of every ISR and leadership.
    if (toController && b.brokerEpoch >= 0 && this.rng.chance(this.metadataApplyRate)) this.applyMetadata(b);
    if (b.appliedMetadataOffset < 0) return;
    for (let p = 0; p < this.partitionCount; p++) {
      const partition = b.replicas[p];
      if (partition === undefined) continue;
      const { proposal } = partition.tick(this.now);
      if (proposal !== undefined) this.sendAlter(b, p, proposal);
      this.flushAcks(b, p);
      if (this.crashModel === 'power' && partition.flushedOffset < partition.logEndOffset && this.rng.chance(partition.role === 'leader' ? 0.3 : 0.5)) {
        partition.markFlushed(partition.flushPoint());
        this.flushAcks(b, p);
      }
      if (partition.role === 'follower' && partition.leaderId > 0) {
        const waiting = b.fetchSentMs[p]! >= 0 && this.now - b.fetchSentMs[p]! < fetchRetryMs;
        if (waiting || this.now < b.nextFetchMs[p]!) continue;
        const req = partition.followerFetchRequest(this.rng.pick([200, 4096]));
        if (req === undefined) continue;
        b.fetchSentMs[p] = this.now;
        this.send(b.id, partition.leaderId, { kind: 'fetch', p, req, incarnation: b.incarnation });
      }
    }
    if (this.step % (hwCheckpointIntervalMs / stepMs) === 0) {
      for (let p = 0; p < this.partitionCount; p++) {
        const partition = b.replicas[p];
        if (partition !== undefined) b.hwCheckpoint[p] = partition.highWatermark;
      }
    }
  }

  private noteLeaders(): void {
    for (let p = 0; p < this.partitionCount; p++) {
      const leader = this.controller.image.partition(this.topicId!, p)!.leader;
      if (leader !== this.lastLeaders[p]) {
        this.leaderChanges++;
        this.lastLeaders[p] = leader;
      }
    }
  }

  // ---------------------------------------------------------------------- invariants

  private noteCommitted(p: number, offset: number, value: string, how: string): void {
    const known = this.committed[p]![offset];
    if (known === undefined) this.committed[p]![offset] = value;
    else if (known !== value) this.fail(`partition ${p} offset ${offset}: ${JSON.stringify(value)} ${how}, but ${JSON.stringify(known)} was committed there`);
  }

  /** The decoded records of a replica's log, brought up to date. */
  private view(b: SimBroker, p: number): ReplicaView {
    const key = `${b.id}/${p}`;
    let v = this.views.get(key);
    const owner = b.replicas[p];
    const truncations = owner?.truncations ?? 0;
    if (v === undefined || v.owner !== owner || v.truncations !== truncations) {
      v = { owner, truncations, values: [], checkedBelowHw: 0, ackedVerified: 0 };
      this.views.set(key, v);
    }
    const log = b.logs[p]!;
    if (v.values.length > log.logEndOffset) v.values.length = log.logEndOffset;
    let offset = v.values.length;
    while (offset < log.logEndOffset) {
      const { records } = log.read(offset, { maxBytes: 1 << 20 });
      for (const { position, header } of iterateBatches(records)) {
        for (const r of decodeUncompressedBatch(records, position)) if (r.offset >= offset) v.values[r.offset] = Buffer.from(r.value!).toString();
        offset = header.baseOffset + header.lastOffsetDelta + 1;
      }
    }
    return v;
  }

  private checkInvariants(): void {
    const image = this.controller.image;
    for (let p = 0; p < this.partitionCount; p++) {
      const reg = image.partition(this.topicId!, p)!;
      for (const b of this.brokers) {
        const partition = b.replicas[p];
        if (b.logs[p] === undefined) continue;
        const v = this.view(b, p);
        if (partition !== undefined) {
          // Committed records agree everywhere.
          const hw = partition.highWatermark;
          if (hw > partition.logEndOffset) this.fail(`broker ${b.id} partition ${p}: high watermark ${hw} above its log end ${partition.logEndOffset}`);
          for (let o = v.checkedBelowHw; o < hw; o++) this.noteCommitted(p, o, v.values[o]!, `below the high watermark of broker ${b.id}`);
          v.checkedBelowHw = Math.max(v.checkedBelowHw, hw);
          // The partition's epoch cache is the log's (the storage layer's checkpoint), plus
          // at most a leader's current epoch before its first batch.
          const mine = partition.epochs;
          const logs = b.logs[p]!.epochs();
          const extra = mine.length - logs.length;
          const same = logs.every((e, i) => e.epoch === mine[i]?.epoch && e.startOffset === mine[i]?.startOffset);
          const leaderExtra = extra === 1 && partition.role === 'leader' && mine[mine.length - 1]!.epoch === partition.leaderEpoch && mine[mine.length - 1]!.startOffset === partition.logEndOffset;
          if (!same || !(extra === 0 || leaderExtra)) this.fail(`broker ${b.id} partition ${p}: epoch cache ${JSON.stringify(mine)} disagrees with the log's ${JSON.stringify(logs)}`);
          if (partition.role === 'leader') {
            const key = `${b.id}/${b.incarnation}/${p}/${partition.leaderEpoch}`;
            const before = this.leaderHw.get(key) ?? -1;
            if (hw < before) this.fail(`leader ${b.id} of partition ${p} moved its high watermark back from ${before} to ${hw}`);
            this.leaderHw.set(key, hw);
          }
        }
        // Every acknowledged or consumed record is in every ISR member's log.
        if (reg.isr.includes(b.id)) {
          const acked = this.acked[p]!;
          for (; v.ackedVerified < acked.length; v.ackedVerified++) {
            const a = acked[v.ackedVerified]!;
            if (v.values[a.offset] !== a.value) {
              this.fail(`${a.how} ${JSON.stringify(a.value)} at offset ${a.offset} of partition ${p} is missing from ISR member ${b.id} (it has ${JSON.stringify(v.values[a.offset])}); ISR ${JSON.stringify(reg.isr)}, leader ${reg.leader}`);
            }
          }
        } else {
          // Not checked while outside the ISR; verified again from the start on rejoining.
          v.ackedVerified = 0;
        }
      }
    }
  }

  private converged(): boolean {
    const image = this.controller.image;
    for (const b of this.brokers) {
      const reg = image.broker(b.id);
      if (!b.alive || reg === undefined || reg.fenced || reg.incarnationId !== b.incarnationId) return false;
    }
    for (let p = 0; p < this.partitionCount; p++) {
      const reg = image.partition(this.topicId!, p)!;
      if (reg.leader < 0 || reg.isr.length !== reg.replicas.length) return false;
      const leader = this.brokers[reg.leader - 1]!.replicas[p];
      if (leader === undefined || leader.role !== 'leader' || leader.highWatermark !== leader.logEndOffset) return false;
      for (const id of reg.replicas) {
        const r = this.brokers[id - 1]!.replicas[p];
        if (r === undefined || r.logEndOffset !== leader.logEndOffset) return false;
      }
    }
    for (const producer of this.producers) {
      for (let p = 0; p < this.partitionCount; p++) if (producer.inFlight[p] !== undefined || producer.queued[p]!.length > 0) return false;
    }
    return true;
  }

  private describe(): string {
    const image = this.controller.image;
    const parts: string[] = [];
    for (let p = 0; p < this.partitionCount; p++) {
      const reg = image.partition(this.topicId!, p)!;
      const replicas = reg.replicas.map((id) => {
        const r = this.brokers[id - 1]!.replicas[p];
        return `${id}:${r === undefined ? 'down' : `${r.role[0]}e${r.leaderEpoch} leo${r.logEndOffset} hw${r.highWatermark}`}`;
      });
      parts.push(`p${p} leader ${reg.leader} epoch ${reg.leaderEpoch} isr ${JSON.stringify(reg.isr)} [${replicas.join(' ')}]`);
    }
    const pending = this.producers.map((pr) => pr.inFlight.map((f) => (f === undefined ? '-' : f.seq)).join(','));
    const brokers = this.brokers.map((b) => `${b.id}:${b.alive ? 'up' : 'down'} epoch ${b.brokerEpoch} fenced ${image.broker(b.id)?.fenced}`);
    return `${parts.join('; ')}; in flight ${pending.join(' | ')}; brokers ${brokers.join(', ')}`;
  }

  /** After convergence: every acknowledged record is readable exactly once, in each producer's order, on every replica. */
  private finalChecks(): void {
    const image = this.controller.image;
    for (let p = 0; p < this.partitionCount; p++) {
      const reg = image.partition(this.topicId!, p)!;
      const leaderValues = this.view(this.brokers[reg.leader - 1]!, p).values;
      for (const id of reg.replicas) {
        const values = this.view(this.brokers[id - 1]!, p).values;
        if (values.length !== leaderValues.length || values.some((x, i) => x !== leaderValues[i])) this.fail(`replica ${id} of partition ${p} differs from its leader ${reg.leader}`);
      }
      const seen = new Set<string>();
      const lastSeqOf = new Map<string, number>();
      for (const value of leaderValues) {
        if (value === undefined) this.fail(`partition ${p} has a hole`);
        if (seen.has(value)) this.fail(`partition ${p} holds ${JSON.stringify(value)} twice`);
        seen.add(value);
        const [producer, , sentIndex] = value.split('/');
        const order = Number(sentIndex);
        const last = lastSeqOf.get(producer!) ?? -1;
        if (order < last) this.fail(`partition ${p}: producer ${producer}'s record ${value} comes after a later one`);
        lastSeqOf.set(producer!, order);
      }
      for (const a of this.acked[p]!) if (leaderValues[a.offset] !== a.value) this.fail(`${a.how} ${a.value} is not at offset ${a.offset} of partition ${p}`);
    }
  }
}
