/**
 * Topics, partitions, ISRs and leader elections: the controller's part that Kafka calls
 * `ReplicationControlManager`, as functions of the request being decided (`Txn`, over the
 * speculative image) and the request. They hold no state: everything they know is in the
 * image, and everything they change is a record emitted into the `Txn`.
 *
 * CreateTopics, DeleteTopics and CreatePartitions place replicas (`placement.ts`, with the
 * controller's seeded `Rng`); AlterPartition is a leader's ISR change, fenced by leader
 * and partition epochs; ElectLeaders runs a preferred or unclean election on request. The
 * elections that follow broker events (fencing, unfencing, re-registration) are in
 * `cluster-control.ts`, beside the events, and use the same `election.ts` decisions.
 */
import { assert } from '../util/assert.js';
import { isTributaryError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { isInternalTopic, validateTopicName } from '../util/topic-name.js';
import { checkBrokerEpoch } from './cluster-control.js';
import { configValueProblem, topicConfigDefs } from './configs.js';
import { fail, fitsString, isBrokerId, ok, type Failure, type Txn } from './controller-txn.js';
import { electLeader, partitionChange, type PartitionChangeFields } from './election.js';
import type { MetadataView, PartitionRegistration } from './image.js';
import { placeReplicas } from './placement.js';
import { ApiKey, ConfigResourceType, noLeader, partitionReplicasMax } from './records.js';
import type {
  AlterPartitionPartitionResult,
  AlterPartitionRequest,
  AlterPartitionResponse,
  AlterPartitionTopicResult,
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
  ElectLeadersRequest,
  ElectLeadersResponse,
  PartitionElectionResult,
} from './requests.js';
import { randomUuid, zeroUuid, type Uuid } from './uuid.js';

/** What topic creation needs of the controller: its settings and its source of topic ids and placement. */
export interface ReplicationSettings {
  readonly config: {
    readonly numPartitionsMax: number;
    readonly defaultNumPartitions: number;
    readonly defaultReplicationFactor: number;
  };
  readonly rng: Rng;
}

/**
 * The most partitions one CreateTopics may ask for, all topics together: Kafka's
 * `ReplicationControlManager.MAX_PARTITIONS_PER_BATCH`, checked (in
 * `validateTotalNumberOfPartitions`, KAFKA-14996) before anything else, so that an
 * oversized request fails at once, every topic with POLICY_VIOLATION and
 * {@link tooManyPartitionsMessage}.
 */
export const partitionsPerCreateTopicsMax = 10_000;
export const tooManyPartitionsMessage = 'Excessively large number of partitions per request.';

/** The partitions a CreateTopics asks for, counted as Kafka counts them (the default for -1; nothing for an invalid count). */
function requestedPartitions(req: CreateTopicsRequest, defaultNumPartitions: number): number {
  let total = 0;
  for (const t of req.topics) {
    if (t.assignments !== undefined && t.assignments.length > 0) total += t.assignments.length;
    else if ((t.numPartitions ?? -1) === -1) total += defaultNumPartitions;
    else if (t.numPartitions! > 0) total += t.numPartitions!;
  }
  return total;
}

export function createTopics(txn: Txn, req: CreateTopicsRequest, settings: ReplicationSettings): CreateTopicsResponse {
  if (requestedPartitions(req, settings.config.defaultNumPartitions) > partitionsPerCreateTopicsMax) {
    return { topics: req.topics.map((t) => ({ name: t.name, topicId: zeroUuid, errorCode: 'POLICY_VIOLATION', errorMessage: tooManyPartitionsMessage, numPartitions: -1, replicationFactor: -1 })) };
  }
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const results: CreatableTopicResult[] = [];
  for (const t of req.topics) {
    const failure = (f: Failure): CreatableTopicResult => ({ name: t.name, topicId: zeroUuid, errorCode: f.code, errorMessage: f.message, numPartitions: -1, replicationFactor: -1 });
    if (counts.get(t.name)! > 1) {
      results.push(failure(fail('INVALID_REQUEST', `topic ${JSON.stringify(t.name)} is listed more than once`)));
      continue;
    }
    const outcome = createTopic(txn, t, req.validateOnly === true, settings);
    results.push('code' in outcome ? failure(outcome) : outcome);
  }
  return { topics: results };
}

function createTopic(txn: Txn, t: CreatableTopic, validateOnly: boolean, settings: ReplicationSettings): CreatableTopicResult | Failure {
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
    if (t.assignments.length > settings.config.numPartitionsMax) return fail('INVALID_PARTITIONS', `${t.assignments.length} partitions is over the maximum of ${settings.config.numPartitionsMax}`);
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
    const np = numPartitions === -1 ? settings.config.defaultNumPartitions : numPartitions;
    if (!Number.isInteger(np) || np < 1) return fail('INVALID_PARTITIONS', `number of partitions ${numPartitions} must be at least 1 (or -1 for the default)`);
    if (np > settings.config.numPartitionsMax) return fail('INVALID_PARTITIONS', `${np} partitions is over the maximum of ${settings.config.numPartitionsMax}`);
    const rf = replicationFactor === -1 ? settings.config.defaultReplicationFactor : replicationFactor;
    if (!Number.isInteger(rf) || rf < 1) return fail('INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor} must be at least 1 (or -1 for the default)`);
    if (rf > partitionReplicasMax) return fail('INVALID_REPLICATION_FACTOR', `replication factor ${rf} is over the maximum of ${partitionReplicasMax}`);
    const usable = usableBrokers(view);
    if (rf > usable.length) return fail('INVALID_REPLICATION_FACTOR', `replication factor ${rf} is larger than the ${usable.length} available (registered, unfenced) brokers`);
    assignment = placeReplicas(usable, np, rf, settings.rng);
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

  let topicId = randomUuid(settings.rng);
  while (view.topicById(topicId) !== undefined) topicId = randomUuid(settings.rng);
  txn.emit({ apiKey: ApiKey.Topic, name: t.name, topicId });
  for (const c of configs) txn.emit({ apiKey: ApiKey.Config, resourceType: ConfigResourceType.Topic, resourceName: t.name, name: c.name, value: c.value });
  emitNewPartitions(txn, topicId, 0, assignment);
  return {
    name: t.name,
    topicId: validateOnly ? zeroUuid : topicId,
    ...ok,
    numPartitions: assignment.length,
    replicationFactor: assignment[0]!.length,
  };
}

/** Partition records for new partitions: ISR = the usable replicas, leader = the first of them. */
function emitNewPartitions(txn: Txn, topicId: Uuid, firstPartition: number, assignment: readonly (readonly number[])[]): void {
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

export function deleteTopics(txn: Txn, req: DeleteTopicsRequest): DeleteTopicsResponse {
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

export function createPartitions(txn: Txn, req: CreatePartitionsRequest, settings: ReplicationSettings): CreatePartitionsResponse {
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const results: CreatePartitionsTopicResult[] = [];
  for (const t of req.topics) {
    const f = counts.get(t.name)! > 1 ? fail('INVALID_REQUEST', `topic ${JSON.stringify(t.name)} is listed more than once`) : createPartitionsFor(txn, t.name, t.count, t.assignments ?? null, settings);
    results.push(f === undefined ? { name: t.name, ...ok } : { name: t.name, errorCode: f.code, errorMessage: f.message });
  }
  return { results };
}

function createPartitionsFor(txn: Txn, name: string, count: number, assignments: readonly (readonly number[])[] | null, settings: ReplicationSettings): Failure | undefined {
  // An unknown topic first, as Kafka's ReplicationControlManager answers it: so
  // __cluster_metadata, which is no topic of the metadata (its log is the Raft log), is
  // UNKNOWN_TOPIC_OR_PARTITION, as in Kafka.
  const topic = txn.delta.topic(name);
  if (topic === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(name)} does not exist`);
  // The group coordinator finds a group's partition of __consumer_offsets by hashing its
  // id modulo the partition count: a new count would move every group to a partition
  // that holds none of its offsets. Kafka's KRaft controller takes it (its topic tool
  // refuses it with this message); here the controller refuses it, for every client.
  if (isInternalTopic(name)) return fail('INVALID_REQUEST', `The number of partitions for the internal topic ${name} cannot be changed.`);
  const current = topic.partitions.length;
  if (!Number.isInteger(count) || count <= current) {
    return fail('INVALID_PARTITIONS', count === current ? `topic already has ${current} partitions` : `topic has ${current} partitions; the count can only grow, not become ${count}`);
  }
  if (count > settings.config.numPartitionsMax) return fail('INVALID_PARTITIONS', `${count} partitions is over the maximum of ${settings.config.numPartitionsMax}`);
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
    assignment = placeReplicas(usable, count - current, rf, settings.rng, current);
  }
  emitNewPartitions(txn, topic.id, current, assignment);
  return undefined;
}

/**
 * An ISR change proposed by a partition's leader (Kafka's AlterPartition, KIP-497),
 * fenced by the leader epoch (a deposed leader gets FENCED_LEADER_EPOCH) and by the
 * partition epoch (a leader that has not seen the latest change gets
 * INVALID_UPDATE_VERSION), so that a stale proposal can never undo a newer change.
 */
export function alterPartition(txn: Txn, req: AlterPartitionRequest): AlterPartitionResponse {
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

export function electLeaders(txn: Txn, req: ElectLeadersRequest): ElectLeadersResponse {
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
      const f = electOne(txn, req.electionType, name, partitionId);
      // Electing every partition reports only the partitions it tried, as Kafka does.
      if (all && f?.code === 'ELECTION_NOT_NEEDED') continue;
      partitionResult.push(f === undefined ? { partitionId, ...ok } : { partitionId, errorCode: f.code, errorMessage: f.message });
    }
    if (!all || partitionResult.length > 0) results.push({ topic: name, partitionResult });
  }
  return { ...ok, replicaElectionResults: results };
}

function electOne(txn: Txn, type: 'PREFERRED' | 'UNCLEAN', name: string, partitionId: number): Failure | undefined {
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
