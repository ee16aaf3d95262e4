/**
 * Broker registration, heartbeats and fencing: the controller's part that Kafka calls
 * `ClusterControlManager` (with its `BrokerHeartbeatManager`), as functions of a request,
 * the image being decided (`Txn`) and the active controller's sessions.
 *
 * ## Sessions
 *
 * When each broker was last heard from is soft state of the active controller, never in
 * the log. A session is **valid** while the broker is registered, **unfenced**, and was
 * heard from within `brokerSessionTimeoutMs`. A fenced broker has no valid session (as
 * in Kafka's `BrokerHeartbeatManager.hasValidSession`): it has handed over everything,
 * so nothing is lost by letting a new incarnation of it register at once. That is what
 * makes a restart after a clean shutdown (which ends fenced) as fast as a fresh start.
 *
 * A controller that activates knows nothing of heartbeats sent to its predecessor, so it
 * gives every registered broker a fresh session (Kafka does the same), but marks it
 * **presumed**: not yet heard from by this controller. A presumed session keeps an
 * unfenced broker from being fenced for one timeout, as in Kafka; but, unlike Kafka, it
 * does not refuse a new incarnation of that broker. The broker process that registers
 * anew has restarted, and the only incarnation that could object is one this controller
 * has never heard from. So a whole cluster restarted after a crash (every controller and
 * broker gone at once) does not wait out a session timeout before its brokers may
 * register. A session this controller has heard from still refuses a new incarnation
 * (DUPLICATE_BROKER_REGISTRATION) until it expires: two live processes claiming one
 * broker id must not take turns.
 *
 * ## The controller's own stalls
 *
 * A session ages only while the controller could have heard the broker. When the active
 * controller's thread is blocked (a 1-node cluster creating 10,000 partitions, or
 * applying a big metadata delta, in the thread its broker shares), no heartbeat can
 * reach it; when the thread turns again its session check may run before the queued
 * heartbeat, and would fence a broker that was never gone. So the shell measures how
 * late its tick came (the stall) and `creditStall` moves every session's last contact
 * forward by it, never past now: ZooKeeper's and Kafka's tick accounting has the same
 * effect. Worked example, 2 s sessions: heartbeat at t=0, thread blocked from 0.1 s to
 * 10 s; the tick at 10 s credits 9.9 s minus the normal tick gap, the session now
 * reads as heard at about 9.8 s, and the heartbeat queued behind the tick renews it. A
 * broker that is really gone is still fenced, a session timeout (plus whatever time
 * the controller itself lost) after it was last heard from.
 */
import { assert } from '../util/assert.js';
import { effectiveTopicConfig, isTrue } from './configs.js';
import { fail, fitsString, isBrokerId, ok, type Failure, type Txn } from './controller-txn.js';
import { electLeader, partitionChange, removeReplica } from './election.js';
import type { MetadataView, PartitionRegistration } from './image.js';
import { ApiKey, brokerEndpointsMax, noLeader, type PartitionChangeRecord } from './records.js';
import type {
  BrokerHeartbeatRequest,
  BrokerHeartbeatResponse,
  BrokerRegistrationRequest,
  BrokerRegistrationResponse,
  UnregisterBrokerRequest,
  UnregisterBrokerResponse,
} from './requests.js';
import { isUuid, zeroUuid, type Uuid } from './uuid.js';

/** The active controller's soft state for one broker (Kafka's `BrokerHeartbeatState`). */
export interface BrokerSession {
  /** When the broker last registered or heartbeated, or when this controller activated. */
  readonly lastContactMs: number;
  /** Whether this controller has heard from the broker (false: presumed at activation). */
  readonly heard: boolean;
}

/** Sessions by broker id; owned by the active controller, cleared when it deactivates. */
export type BrokerSessions = Map<number, BrokerSession>;

/** What these functions need of the controller's settings. */
export interface ClusterControlConfig {
  readonly brokerSessionTimeoutMs: number;
  readonly clusterId: string | undefined;
}

/** A fresh, presumed session for every registered broker: the controller has just activated. */
export function presumeSessions(view: MetadataView, sessions: BrokerSessions, now: number): void {
  sessions.clear();
  view.forEachBroker((b) => sessions.set(b.id, { lastContactMs: now, heard: false }));
}

/** Whether `brokerId` has a valid session: registered, unfenced, heard from (or presumed) within the timeout. */
export function hasValidSession(view: MetadataView, sessions: BrokerSessions, brokerId: number, now: number, timeoutMs: number): boolean {
  const broker = view.broker(brokerId);
  if (broker === undefined || broker.fenced) return false;
  const s = sessions.get(brokerId);
  return s !== undefined && now < s.lastContactMs + timeoutMs;
}

/**
 * The controller could hear nobody for `stalledMs` before `now` (its own thread was
 * blocked; see the file comment): every session's last contact moves forward by that
 * much, but never past `now`.
 */
export function creditStall(sessions: BrokerSessions, stalledMs: number, now: number): void {
  if (!(stalledMs > 0)) return;
  for (const [id, s] of sessions) sessions.set(id, { ...s, lastContactMs: Math.max(s.lastContactMs, Math.min(now, s.lastContactMs + stalledMs)) });
}

/** Unfenced brokers whose sessions expired, in id order: the ones `tick` fences. */
export function expiredBrokers(view: MetadataView, sessions: BrokerSessions, now: number, timeoutMs: number): number[] {
  const stale: number[] = [];
  view.forEachBroker((b) => {
    if (!b.fenced && !hasValidSession(view, sessions, b.id, now, timeoutMs)) stale.push(b.id);
  });
  return stale.sort((a, b) => a - b);
}

/** When the first unfenced broker's session expires (`expiredBrokers` names it from then): -Infinity for one without a session, Infinity with none. */
export function nextSessionExpiry(view: MetadataView, sessions: BrokerSessions, timeoutMs: number): number {
  let next = Infinity;
  view.forEachBroker((b) => {
    if (!b.fenced) next = Math.min(next, (sessions.get(b.id)?.lastContactMs ?? -Infinity) + timeoutMs);
  });
  return next;
}

/**
 * BrokerRegistration: a new broker epoch (the offset of its RegisterBroker record), fenced
 * until it catches up. A new incarnation is refused only while the old one's session is
 * valid and was heard from (see the file comment). If the old registration was serving,
 * its ISR memberships and leaderships go first: the restarted process may have lost
 * records it had acknowledged (Tributary, like Kafka, need not fsync them).
 */
export function registerBroker(txn: Txn, sessions: BrokerSessions, config: ClusterControlConfig, req: BrokerRegistrationRequest, now: number): BrokerRegistrationResponse {
  const failure = (f: Failure): BrokerRegistrationResponse => ({ errorCode: f.code, errorMessage: f.message, brokerEpoch: -1 });
  if (config.clusterId !== undefined && req.clusterId !== undefined && req.clusterId !== config.clusterId) {
    return failure(fail('INCONSISTENT_CLUSTER_ID', `cluster id ${JSON.stringify(req.clusterId)} is not this cluster's ${JSON.stringify(config.clusterId)}`));
  }
  if (!isBrokerId(req.brokerId)) return failure(fail('INVALID_REGISTRATION', `broker id ${req.brokerId} is not a non-negative int32`));
  if (!isUuid(req.incarnationId) || req.incarnationId === zeroUuid) return failure(fail('INVALID_REGISTRATION', `incarnation id ${JSON.stringify(req.incarnationId)} is not a Uuid`));
  const listeners = req.listeners ?? [];
  if (listeners.length > brokerEndpointsMax) return failure(fail('INVALID_REGISTRATION', `${listeners.length} listeners is over ${brokerEndpointsMax}`));
  const names = new Set<string>();
  for (const l of listeners) {
    const bad =
      !Number.isInteger(l.port) || l.port < 0 || l.port > 0xffff
        ? `port ${l.port}`
        : !Number.isInteger(l.securityProtocol) || l.securityProtocol < 0 || l.securityProtocol > 0x7fff
          ? `security protocol ${l.securityProtocol}`
          : !fitsString(l.name) || !fitsString(l.host)
            ? 'name or host too long'
            : names.has(l.name)
              ? `listener ${l.name} listed twice`
              : undefined;
    if (bad !== undefined) return failure(fail('INVALID_REGISTRATION', `invalid listener ${JSON.stringify(l.name)}: ${bad}`));
    names.add(l.name);
  }
  const rack = req.rack ?? null;
  if (rack !== null && !fitsString(rack)) return failure(fail('INVALID_REGISTRATION', 'rack too long'));
  const existing = txn.delta.broker(req.brokerId);
  if (
    existing !== undefined &&
    existing.incarnationId !== req.incarnationId &&
    sessions.get(req.brokerId)?.heard === true &&
    hasValidSession(txn.delta, sessions, req.brokerId, now, config.brokerSessionTimeoutMs)
  ) {
    return failure(fail('DUPLICATE_BROKER_REGISTRATION', `broker ${req.brokerId} is registered by another incarnation whose session has not expired`));
  }
  if (existing !== undefined && !existing.fenced) removeFromPartitions(txn, req.brokerId);
  const brokerEpoch = txn.nextOffset;
  txn.emit({
    apiKey: ApiKey.RegisterBroker,
    brokerId: req.brokerId,
    incarnationId: req.incarnationId,
    brokerEpoch,
    endpoints: listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol })),
    rack,
    fenced: true,
  });
  sessions.set(req.brokerId, { lastContactMs: now, heard: true });
  return { ...ok, brokerEpoch };
}

/**
 * A heartbeat keeps the broker's session alive and moves it through the fencing states:
 * a fenced broker is unfenced once it has replayed its own registration record (Kafka
 * 3.7+'s rule: "caught up" is a fixed target, where the committed offset would move
 * with every NoOp and could keep a busy cluster's brokers fenced forever); an unfenced
 * broker asking to be fenced, or shutting down, is fenced.
 */
export function brokerHeartbeat(txn: Txn, sessions: BrokerSessions, req: BrokerHeartbeatRequest, now: number): BrokerHeartbeatResponse {
  const failure = (f: Failure): BrokerHeartbeatResponse => ({ errorCode: f.code, errorMessage: f.message, isCaughtUp: false, isFenced: true, shouldShutDown: false });
  const stale = checkBrokerEpoch(txn, req.brokerId, req.brokerEpoch);
  if (stale !== undefined) return failure(stale);
  if (!Number.isSafeInteger(req.currentMetadataOffset) || req.currentMetadataOffset < -1) {
    return failure(fail('INVALID_REQUEST', `currentMetadataOffset ${req.currentMetadataOffset} is not an offset`));
  }
  sessions.set(req.brokerId, { lastContactMs: now, heard: true });
  const broker = txn.delta.broker(req.brokerId)!;
  const isCaughtUp = req.currentMetadataOffset >= broker.epoch;
  const wantShutDown = req.wantShutDown === true;
  let isFenced = broker.fenced;
  if (broker.fenced) {
    if (!wantShutDown && req.wantFence !== true && isCaughtUp) {
      txn.emit({ apiKey: ApiKey.UnfenceBroker, brokerId: req.brokerId, brokerEpoch: broker.epoch });
      electLeaderless(txn);
      isFenced = false;
    }
  } else if (wantShutDown || req.wantFence === true) {
    // A shutting-down broker hands over its leaderships and leaves the ISRs at once.
    // (Kafka's controlled shutdown first moves leaders and waits for the other brokers
    // to see it; the outcome, once they have, is the same.) Fenced, it has no valid
    // session, so its next incarnation registers without waiting.
    fenceBroker(txn, req.brokerId);
    isFenced = true;
  }
  if (!isFenced) takeOffline(txn, req.brokerId, req.offlineReplicas ?? []);
  return { ...ok, isCaughtUp, isFenced, shouldShutDown: wantShutDown && isFenced };
}

/** The most offline replicas one heartbeat is read for (the rest wait for the next). */
const offlineReplicasPerHeartbeatMax = 10_000;

/**
 * Replicas whose storage failed on `brokerId` (the heartbeat's `offlineReplicas`, Kafka's
 * offline log directories): like a fenced broker, but for those partitions only, the
 * replica leaves the ISR and, if it led, a healthy ISR member leads. It stays a replica,
 * so it catches up and rejoins once its broker restarts with the fault gone. As for a
 * fenced broker, the last ISR member stays in the ISR, and the partition is left without
 * a leader unless unclean election is allowed. Nothing is emitted for a replica already
 * out, so a broker that repeats its list in every heartbeat writes no records.
 */
function takeOffline(txn: Txn, brokerId: number, offline: NonNullable<BrokerHeartbeatRequest['offlineReplicas']>): void {
  for (const { topicId, partitionIndex } of offline.slice(0, offlineReplicasPerHeartbeatMax)) {
    const topic = typeof topicId === 'string' ? txn.delta.topicById(topicId) : undefined;
    const part = topic?.partitions[partitionIndex];
    if (topic === undefined || part === undefined || !part.replicas.includes(brokerId)) continue;
    if (part.leader !== brokerId && !part.isr.includes(brokerId)) continue;
    const uncleanOk = isTrue(effectiveTopicConfig(txn.delta, topic.name, 'unclean.leader.election.enable').value);
    const change = partitionChange(topic.id, partitionIndex, part, removeReplica(part, brokerId, txn.usable, uncleanOk));
    if (change !== undefined) txn.emit(change);
  }
}

export function unregisterBroker(txn: Txn, sessions: BrokerSessions, req: UnregisterBrokerRequest): UnregisterBrokerResponse {
  const broker = isBrokerId(req.brokerId) ? txn.delta.broker(req.brokerId) : undefined;
  if (broker === undefined) return { errorCode: 'BROKER_ID_NOT_REGISTERED', errorMessage: `broker ${req.brokerId} is not registered` };
  removeFromPartitions(txn, req.brokerId);
  txn.emit({ apiKey: ApiKey.UnregisterBroker, brokerId: req.brokerId, brokerEpoch: broker.epoch });
  sessions.delete(req.brokerId);
  return ok;
}

/** Kafka's `checkBrokerEpoch`: STALE_BROKER_EPOCH for an unknown broker or another epoch. */
export function checkBrokerEpoch(txn: Txn, brokerId: number, brokerEpoch: number): Failure | undefined {
  const broker = isBrokerId(brokerId) ? txn.delta.broker(brokerId) : undefined;
  if (broker === undefined) return fail('STALE_BROKER_EPOCH', `no registration found for broker ${brokerId}`);
  if (broker.epoch !== brokerEpoch) return fail('STALE_BROKER_EPOCH', `broker ${brokerId} is registered with epoch ${broker.epoch}, not ${brokerEpoch}`);
  return undefined;
}

/**
 * Takes `brokerId` out of every ISR and leadership (see `removeReplica`), then fences it.
 * The partition changes come first and the fence last, as in Kafka's `handleBrokerFenced`.
 */
export function fenceBroker(txn: Txn, brokerId: number): void {
  removeFromPartitions(txn, brokerId);
  const b = txn.delta.broker(brokerId);
  assert(b !== undefined && !b.fenced, `fence(${brokerId}) of a broker that is not registered and unfenced`);
  txn.emit({ apiKey: ApiKey.FenceBroker, brokerId, brokerEpoch: b.epoch });
}

/**
 * Every partition with `brokerId` in its ISR or as its leader loses it. This scans every
 * partition: an index from broker to partitions would cost memory per partition on every
 * controller and broker, to speed up an event (fencing) that happens a few times a day;
 * the scan takes tens of milliseconds at a million partitions (see scale.test.ts).
 */
export function removeFromPartitions(txn: Txn, brokerId: number): void {
  const changes: PartitionChangeRecord[] = [];
  txn.delta.forEachTopic((topic) => {
    let uncleanOk: boolean | undefined;
    for (let p = 0; p < topic.partitions.length; p++) {
      const part = topic.partitions[p]!;
      if (part.leader !== brokerId && !part.isr.includes(brokerId)) continue;
      uncleanOk ??= isTrue(effectiveTopicConfig(txn.delta, topic.name, 'unclean.leader.election.enable').value);
      const change = partitionChange(topic.id, p, part, removeReplica(part, brokerId, txn.usable, uncleanOk));
      if (change !== undefined) changes.push(change);
    }
  });
  for (const c of changes) txn.emit(c);
}

/**
 * Elects a leader for every leaderless partition that can now have one: from its ISR, or
 * (where `unclean.leader.election.enable` is true) from any usable replica. Run after a
 * broker is unfenced and after unclean election is enabled. `topics`, when given,
 * limits the scan to those topic names.
 */
export function electLeaderless(txn: Txn, topics?: ReadonlySet<string>): void {
  const changes: PartitionChangeRecord[] = [];
  txn.delta.forEachTopic((topic) => {
    if (topics !== undefined && !topics.has(topic.name)) return;
    let uncleanOk: boolean | undefined;
    for (let p = 0; p < topic.partitions.length; p++) {
      const part = topic.partitions[p]!;
      if (part.leader !== noLeader) continue;
      uncleanOk ??= isTrue(effectiveTopicConfig(txn.delta, topic.name, 'unclean.leader.election.enable').value);
      const change = electionChange(topic.id, p, part, txn.usable, uncleanOk);
      if (change !== undefined) changes.push(change);
    }
  });
  for (const c of changes) txn.emit(c);
}

/** The partition change that gives a leaderless partition a leader, if it can have one. */
function electionChange(topicId: Uuid, partitionId: number, part: PartitionRegistration, usable: (id: number) => boolean, uncleanOk: boolean): PartitionChangeRecord | undefined {
  const election = electLeader(part.replicas, part.isr, usable, uncleanOk);
  if (election.leader === noLeader) return undefined;
  return partitionChange(topicId, partitionId, part, election.unclean ? { leader: election.leader, isr: [election.leader] } : { leader: election.leader });
}
