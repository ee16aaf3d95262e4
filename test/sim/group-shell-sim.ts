/**
 * A seeded simulation of the REAL `GroupShell` on a `SimulatedTimerClock`: every wait of the
 * shell (its tick, held heartbeats, the polls for `__consumer_offsets` and for the high
 * watermark) is a timer of the clock, and the driver fires one timer at a time and lets
 * the promises it woke settle before the next, so a seed replays exactly.
 *
 * The shell runs on a stand-in broker (node 1): its metadata image is a few lines here,
 * and each `__consumer_offsets` partition is two real `Partition`s over `MemoryLog`s, the
 * one of node 1 and a follower on "node 2" that the simulation replicates with random
 * delays (so writes wait for the high watermark). One seed chooses:
 * - how long the controller takes to create `__consumer_offsets` and to give it leaders
 *   (sometimes longer than the shell's 10 s wait: FindCoordinator must then answer
 *   COORDINATOR_NOT_AVAILABLE after 10 s of simulated time, and never before);
 * - members that join (with the MEMBER_ID_REQUIRED round), sync, heartbeat (held by the
 *   shell), commit offsets and fetch them, leave, or die silently (their sessions expire);
 * - network delays, replication lag, and leadership changes of the group's partition: a
 *   new epoch on node 1 (the coordinator reloads), or a move to node 2 and back (uncommitted
 *   records may be truncated; requests meanwhile get NOT_COORDINATOR).
 *
 * Invariants, after every timer:
 * - a held Heartbeat is answered within `heartbeatHoldMs` of simulated time;
 * - an OffsetFetch returns the offset of the last acknowledged commit, or of one handed to
 *   the shell after it (acknowledged commits are never lost, through reloads and moves);
 * - FindCoordinator answers COORDINATOR_NOT_AVAILABLE only after the shell's 10 s wait;
 * then faults stop and, within a bound of simulated time, the group is Stable with exactly
 * the live members, all in its generation (the members that died without leaving were
 * removed when their sessions ran out); then the wall clock jumps an hour forward and the
 * group stays in that generation (deadlines run on monotonic time). A failure prints its
 * seed. Runs in `npm test` (`src/broker/group-shell.sim.test.ts`, 300 seeds) and in
 * `npm run sim -- --only group-shell` (any number).
 */
import type { MetadataImage } from '../../src/metadata/image.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type * as P from '../../src/protocol/index.js';
import type { Request } from '../../src/protocol/requests.js';
import { MemoryLog } from '../../src/storage/memory-log.js';
import { SimulatedTimerClock, startTimer } from '../../src/util/clock.js';
import { Rng } from '../../src/util/rng.js';
import { partitionForGroup } from '../../src/broker/core/group-records.js';
import { GroupShell, offsetsTopic, type GroupShellBroker } from '../../src/broker/group-shell.js';
import { Partition, type LeaderAndIsr } from '../../src/broker/partition.js';

const groupId = 'sim-group';
const dataTopic = 'orders';
const heartbeatHoldMs = 400;
const offsetsWaitMs = 10_000;

interface Replicated {
  readonly local: Partition;
  readonly remote: Partition;
  leader: 1 | 2 | -1;
  leaderEpoch: number;
  partitionEpoch: number;
}

interface SimMember {
  readonly name: string;
  alive: boolean;
  memberId: string;
  generation: number;
  state: 'joining' | 'stable';
  readonly sessionTimeoutMs: number;
}

export interface ShellSimResult {
  readonly seed: number;
  readonly timers: number;
  readonly heartbeats: number;
  readonly heldHeartbeats: number;
  readonly commitsAcked: number;
  readonly reloads: number;
  readonly notAvailable: number;
  readonly expired: number;
  readonly digest: string;
}

/**
 * A simulated clock shaped like the real one: its monotonic reading has another origin
 * than its wall reading and fractions of a millisecond (as `performance.now()` has), and
 * its wall reading can jump (the system clock set forward) while the monotonic one does not.
 */
class JumpingClock extends SimulatedTimerClock {
  wallOffsetMs = 0;
  override now(): number {
    return super.now() + this.wallOffsetMs;
  }
  /** The fraction of the monotonic reading, changed only when the clock moves by a whole millisecond or more (so the reading never goes back). */
  private fraction = 0.375;
  override monotonic(): number {
    return super.monotonic() - 1_699_999_000_000 + this.fraction;
  }
  override runNext(): boolean {
    const at = this.nextTimerAt();
    if (at !== undefined && at >= this.ms + 1) this.fraction = (Math.floor(at * 7) % 8) / 16;
    return super.runNext();
  }
}

function fnv(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export async function runShellSimulation(seed: number, options: { safetyMs?: number; livenessMs?: number } = {}): Promise<ShellSimResult> {
  const safetyMs = options.safetyMs ?? 12_000;
  const livenessMs = options.livenessMs ?? 40_000;
  const rng = new Rng(seed);
  const clock = new JumpingClock(1_700_000_000_000 + rng.int(1_000_000));
  const start = clock.monotonic();
  let digest = 2166136261;
  const note = (line: string): void => {
    digest = fnv(`${clock.monotonic() - start} ${line}\n`, digest);
  };
  const violations: string[] = [];
  const fail = (why: string): never => {
    throw new Error(`group shell simulation, seed ${seed}, at ${clock.monotonic() - start} ms: ${why} (replay: npm run sim -- --only group-shell --seed ${seed})`);
  };
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => startTimer(clock, ms, resolve));

  // ---- the stand-in broker ----
  const offsetsPartitions = 1 + rng.int(3);
  const dataPartitions = 1 + rng.int(4);
  const groupPartition = partitionForGroup(groupId, offsetsPartitions);
  const createDelayMs = rng.between(0, 500);
  // Sometimes the leaders come only after the shell's wait has run out.
  const leadersAfterMs = rng.chance(0.25) ? rng.between(offsetsWaitMs + 100, offsetsWaitMs + 4000) : rng.between(0, 3000);
  const lagMaxMs = rng.between(5, 300);
  const topics = new Map<string, { id: string; name: string; partitions: { leader: number; leaderEpoch: number }[] }>();
  topics.set(dataTopic, { id: 'data', name: dataTopic, partitions: Array.from({ length: dataPartitions }, () => ({ leader: 1, leaderEpoch: 0 })) });
  const brokerRegistration = (id: number) => (id === 1 || id === 2 ? { id, fenced: false, endpoints: [{ host: '127.0.0.1', port: 9000 + id }] } : undefined);
  const image = {
    topic: (name: string) => topics.get(name),
    broker: brokerRegistration,
    forEachBroker: (fn: (b: unknown) => void) => [1, 2].forEach((id) => fn(brokerRegistration(id))),
  } as unknown as MetadataImage;
  const parts: Replicated[] = [];
  const waiters = new Map<number, Set<() => void>>();
  const wake = (p: number): void => {
    const set = waiters.get(p);
    if (set === undefined || set.size === 0) return;
    waiters.delete(p);
    startTimer(clock, 0, () => set.forEach((f) => f()));
  };
  let createRequests = 0;
  const broker: GroupShellBroker = {
    nodeId: 1,
    config: { host: '127.0.0.1' },
    get metadataImage() {
      return image;
    },
    submitToController: (async (request: { type: string }) => {
      if (request.type !== 'CreateTopics') fail(`unexpected controller request ${request.type}`);
      createRequests++;
      note('create offsets topic');
      await sleep(createDelayMs);
      if (!topics.has(offsetsTopic)) {
        topics.set(offsetsTopic, { id: 'offsets', name: offsetsTopic, partitions: Array.from({ length: offsetsPartitions }, () => ({ leader: -1, leaderEpoch: -1 })) });
        for (let p = 0; p < offsetsPartitions; p++) {
          const make = (id: number) => new Partition({ log: new MemoryLog({ topic: offsetsTopic, partition: p, config: { cleanupPolicy: 'compact' } }), brokerId: id, config: { minInsyncReplicas: 1, replicaLagTimeMaxMs: 1e9 } });
          parts.push({ local: make(1), remote: make(2), leader: -1, leaderEpoch: -1, partitionEpoch: -1 });
        }
        startTimer(clock, leadersAfterMs, () => {
          for (let p = 0; p < offsetsPartitions; p++) elect(p, 1);
        });
      }
      return { topics: [{ name: offsetsTopic, errorCode: 'NONE', errorMessage: null }] };
    }) as unknown as GroupShellBroker['submitToController'],
    replica: (topic, p) => (topic === offsetsTopic ? parts[p]?.local : undefined),
    openReplica: (topic, p) => Promise.resolve(topic === offsetsTopic ? parts[p]?.local : undefined),
    notifyChange: (topic, p) => {
      if (topic !== offsetsTopic) return;
      parts[p]?.local.drainAcks();
      wake(p);
    },
    waitForChange: (topic, p, timeoutMs) =>
      new Promise<void>((resolve) => {
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          resolve();
        };
        startTimer(clock, timeoutMs, finish);
        if (topic !== offsetsTopic) return;
        let set = waiters.get(p);
        if (set === undefined) waiters.set(p, (set = new Set()));
        set.add(finish);
      }),
  };

  /** Makes `leader` (1 or 2) lead partition `p` in a new epoch, as the controller would. */
  function elect(p: number, leader: 1 | 2): void {
    const r = parts[p]!;
    r.leader = leader;
    r.leaderEpoch++;
    r.partitionEpoch++;
    const state: LeaderAndIsr = { leader, leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch, replicas: [1, 2], isr: [1, 2] };
    const [lead, follow] = leader === 1 ? [r.local, r.remote] : [r.remote, r.local];
    lead.makeLeader(state, clock.monotonic());
    follow.makeFollower(state, clock.monotonic());
    r.local.drainAcks();
    topics.get(offsetsTopic)!.partitions[p] = { leader, leaderEpoch: r.leaderEpoch };
    note(`partition ${p} led by ${leader} in epoch ${r.leaderEpoch}`);
    wake(p);
  }

  /** One replication round of partition `p`: the follower fetches twice (the records, then the high watermark). */
  function replicate(p: number): void {
    const r = parts[p]!;
    if (r.leader < 0) return;
    const [lead, follow] = r.leader === 1 ? [r.local, r.remote] : [r.remote, r.local];
    for (let i = 0; i < 2; i++) {
      const req = follow.followerFetchRequest();
      if (req === undefined) return;
      const { response } = lead.fetchAsLeader(req, clock.monotonic());
      follow.appendAsFollower(req, response);
    }
    r.local.drainAcks();
    wake(p);
  }
  let lagging = true;
  const pump = (): void => {
    for (let p = 0; p < parts.length; p++) replicate(p);
    startTimer(clock, lagging ? rng.between(1, lagMaxMs) : 5, pump);
  };
  startTimer(clock, 1, pump);

  // ---- the shell ----
  const shell = new GroupShell(broker, { clock, seed, config: { heartbeatHoldMs, tickIntervalMs: 50 } });
  shell.start();

  // ---- the network and what the invariants need ----
  let handOrder = 0;
  /** The hand-over order of each commit, by the offset it commits (offsets are unique). */
  const commitOrder = new Map<number, number>();
  let lastAckedOrder = -1;
  let lastAckedOffset = -1;
  let nextOffset = 1;
  const pendingHeartbeats = new Map<number, number>();
  let heartbeats = 0;
  let heldHeartbeats = 0;
  let commitsAcked = 0;
  let notAvailable = 0;
  let chaos = true;
  const netDelay = (): number => (chaos ? rng.between(0, 30) : rng.between(0, 5));
  const send = async <R extends Request>(m: SimMember, request: R): Promise<Awaited<ReturnType<GroupShell['handle']>>> => {
    await sleep(netDelay());
    const id = handOrder++;
    const handedAt = clock.monotonic();
    if (request.apiKey === ApiKey.Heartbeat) {
      heartbeats++;
      pendingHeartbeats.set(id, handedAt);
    }
    if (request.apiKey === ApiKey.OffsetCommit) commitOrder.set((request as P.OffsetCommitRequest).topics[0]!.partitions[0]!.committedOffset, id);
    const ackedBefore = lastAckedOrder;
    const ackedOffsetBefore = lastAckedOffset;
    const res = (await shell.handle(request)) as { errorCode?: string } & Record<string, unknown>;
    const waited = clock.monotonic() - handedAt;
    if (request.apiKey === ApiKey.Heartbeat) {
      pendingHeartbeats.delete(id);
      if (waited > heartbeatHoldMs + 1) violations.push(`${m.name}'s heartbeat was held ${waited} ms`);
      if (waited > 0) heldHeartbeats++;
    }
    if (request.apiKey === ApiKey.OffsetCommit) {
      const code = (res as unknown as P.OffsetCommitResponse).topics[0]?.partitions[0]?.errorCode;
      if (code === 'NONE') {
        commitsAcked++;
        if (id > lastAckedOrder) {
          lastAckedOrder = id;
          lastAckedOffset = (request as P.OffsetCommitRequest).topics[0]!.partitions[0]!.committedOffset;
        }
      }
    }
    if (request.apiKey === ApiKey.OffsetFetch) {
      const r = res as unknown as P.OffsetFetchResponse;
      const got = r.topics[0]?.partitions[0];
      if (r.errorCode === 'NONE' && got !== undefined && got.errorCode === 'NONE' && ackedBefore >= 0) {
        const order = got.committedOffset < 0 ? -1 : (commitOrder.get(got.committedOffset) ?? -1);
        if (order < ackedBefore) violations.push(`OffsetFetch returned ${got.committedOffset}, older than ${ackedOffsetBefore}, acknowledged before it was sent`);
      }
    }
    if (request.apiKey === ApiKey.FindCoordinator) {
      const c = (res as unknown as P.FindCoordinatorResponse).coordinators[0]!;
      if (c.errorCode === 'COORDINATOR_NOT_AVAILABLE' && topics.has(offsetsTopic)) {
        notAvailable++;
        if (waited < offsetsWaitMs) violations.push(`FindCoordinator answered COORDINATOR_NOT_AVAILABLE after ${waited} ms, before the shell's ${offsetsWaitMs} ms wait`);
      }
    }
    note(`${m.name} ${request.apiKey} -> ${JSON.stringify(res.errorCode ?? '')}`);
    await sleep(netDelay());
    return res;
  };

  // ---- members ----
  const members: SimMember[] = [];
  let memberSeq = 0;
  /** Members that died (no LeaveGroup) while in the group: convergence then means their sessions expired. */
  let expired = 0;
  const retriable = new Set(['NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'REBALANCE_IN_PROGRESS']);
  const startMember = (): void => {
    const m: SimMember = { name: `m${memberSeq++}`, alive: true, memberId: '', generation: -1, state: 'joining', sessionTimeoutMs: rng.between(1000, 4000) };
    members.push(m);
    note(`${m.name} starts`);
    void runMember(m).catch((err: unknown) => violations.push(`${m.name} threw ${String(err)}`));
  };
  const backoff = (): Promise<void> => sleep(rng.between(20, 200));
  async function runMember(m: SimMember): Promise<void> {
    while (m.alive) {
      m.state = 'joining';
      const fc = (await send(m, { apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: [groupId] })) as unknown as P.FindCoordinatorResponse;
      if (!m.alive) return;
      if (fc.coordinators[0]!.errorCode !== 'NONE') {
        await backoff();
        continue;
      }
      const join = (await send(m, {
        apiKey: ApiKey.JoinGroup,
        groupId,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: 3000,
        memberId: m.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: new Uint8Array([1]) }],
      })) as unknown as P.JoinGroupResponse;
      if (!m.alive) return;
      if (join.errorCode === 'MEMBER_ID_REQUIRED') {
        m.memberId = join.memberId;
        continue;
      }
      if (join.errorCode !== 'NONE') {
        if (join.errorCode === 'UNKNOWN_MEMBER_ID') m.memberId = '';
        if (retriable.has(join.errorCode) || join.errorCode === 'UNKNOWN_MEMBER_ID') await backoff();
        else violations.push(`${m.name} JoinGroup: ${join.errorCode}`);
        continue;
      }
      m.memberId = join.memberId;
      const assignments = join.leader === m.memberId ? join.members.map((x, i) => ({ memberId: x.memberId, assignment: new Uint8Array([i]) })) : [];
      const sync = (await send(m, { apiKey: ApiKey.SyncGroup, groupId, generationId: join.generationId, memberId: m.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments })) as unknown as P.SyncGroupResponse;
      if (!m.alive) return;
      if (sync.errorCode !== 'NONE') {
        if (sync.errorCode === 'UNKNOWN_MEMBER_ID') m.memberId = '';
        await backoff();
        continue;
      }
      m.generation = join.generationId;
      m.state = 'stable';
      for (;;) {
        if (chaos && rng.chance(0.15)) {
          const offset = nextOffset++;
          await send(m, { apiKey: ApiKey.OffsetCommit, groupId, generationId: m.generation, memberId: m.memberId, groupInstanceId: null, topics: [{ name: dataTopic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }] });
          if (!m.alive) return;
        }
        if (chaos && rng.chance(0.1)) {
          await send(m, { apiKey: ApiKey.OffsetFetch, groupId, topics: [{ name: dataTopic, partitionIndexes: [0] }] });
          if (!m.alive) return;
        }
        const hb = (await send(m, { apiKey: ApiKey.Heartbeat, groupId, generationId: m.generation, memberId: m.memberId, groupInstanceId: null })) as unknown as P.HeartbeatResponse;
        if (!m.alive) return;
        if (hb.errorCode === 'NONE') {
          await sleep(rng.between(0, Math.floor(m.sessionTimeoutMs / 4)));
          if (!m.alive) return;
          continue;
        }
        // A coordinator that moves or reloads is looked for again; the member stays in its generation, as Kafka's clients do.
        if (hb.errorCode === 'NOT_COORDINATOR' || hb.errorCode === 'COORDINATOR_LOAD_IN_PROGRESS' || hb.errorCode === 'COORDINATOR_NOT_AVAILABLE') {
          await backoff();
          if (!m.alive) return;
          continue;
        }
        if (hb.errorCode === 'UNKNOWN_MEMBER_ID') m.memberId = '';
        break;
      }
    }
  }
  const live = (): SimMember[] => members.filter((m) => m.alive);
  const memberCount = 1 + rng.int(4);
  for (let i = 0; i < memberCount; i++) startMember();

  // ---- faults ----
  let reloads = 0;
  const disturb = (): void => {
    if (!chaos) return;
    const ms = live();
    if (ms.length > 0 && rng.chance(0.006)) {
      const m = ms[rng.int(ms.length)]!;
      m.alive = false;
      if (shell.coordinator(groupPartition)?.groupMembers(groupId).includes(m.memberId) === true) expired++;
      note(`${m.name} dies`);
    }
    if (ms.length > 0 && rng.chance(0.006)) {
      const m = ms[rng.int(ms.length)]!;
      m.alive = false;
      note(`${m.name} leaves`);
      if (m.memberId !== '') void shell.handle({ apiKey: ApiKey.LeaveGroup, groupId, members: [{ memberId: m.memberId, groupInstanceId: null }] });
    }
    if (ms.length < memberCount && rng.chance(0.05)) startMember();
    const r = parts[groupPartition];
    if (r !== undefined && r.leader === 1 && rng.chance(0.01)) {
      reloads++;
      if (rng.chance(0.5)) elect(groupPartition, 1);
      else {
        elect(groupPartition, 2);
        startTimer(clock, rng.between(0, 2000), () => {
          if (r.leader === 2) elect(groupPartition, 1);
        });
      }
    }
    startTimer(clock, 50, disturb);
  };
  startTimer(clock, 50, disturb);

  // ---- the driver ----
  let timers = 0;
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const step = async (): Promise<void> => {
    if (!clock.runNext()) fail('no timer is pending: the simulation stalled');
    timers++;
    await turn();
    for (const handedAt of pendingHeartbeats.values()) if (clock.monotonic() - handedAt > heartbeatHoldMs + 1) violations.push(`a heartbeat has waited ${clock.monotonic() - handedAt} ms`);
    if (violations.length > 0) fail(violations.join('; '));
  };
  try {
    while (clock.monotonic() - start < safetyMs) await step();

    // Liveness: faults stop, node 1 leads every partition, the members are topped up.
    chaos = false;
    lagging = false;
    note('faults stop');
    await step();
    for (let p = 0; p < parts.length; p++) if (parts[p]!.leader === 2) elect(p, 1);
    while (live().length < memberCount) startMember();
    const deadline = clock.monotonic() + livenessMs;
    const converged = (): boolean => {
      const core = shell.coordinator(groupPartition);
      if (core === undefined || shell.coordinators().get(groupPartition) !== 'active') return false;
      const ms = live();
      const ids = core.groupMembers(groupId).sort();
      const gen = core.groupGeneration(groupId);
      return (
        core.groupState(groupId) === 'Stable' &&
        ids.join() ===
          ms
            .map((m) => m.memberId)
            .sort()
            .join() &&
        ms.every((m) => m.state === 'stable' && m.generation === gen)
      );
    };
    while (!converged()) {
      if (clock.monotonic() > deadline) {
        const core = shell.coordinator(groupPartition);
        fail(
          `no convergence within ${livenessMs} ms: group ${core?.groupState(groupId)} generation ${core?.groupGeneration(groupId)} members ${JSON.stringify(core?.groupMembers(groupId))}, live ${JSON.stringify(live().map((m) => [m.memberId, m.state, m.generation]))}`,
        );
      }
      await step();
    }
    if (createRequests === 0) fail('__consumer_offsets was never created');

    // The system clock jumps an hour forward: sessions and rebalances run on monotonic
    // time, so nobody expires and the generation stays.
    const generation = shell.coordinator(groupPartition)!.groupGeneration(groupId);
    clock.wallOffsetMs += 3_600_000;
    note('wall clock jumps');
    const calmUntil = clock.monotonic() + 3000;
    while (clock.monotonic() < calmUntil) await step();
    if (!converged() || shell.coordinator(groupPartition)!.groupGeneration(groupId) !== generation) {
      fail(`after a jump of the wall clock the group moved from generation ${generation} to ${shell.coordinator(groupPartition)?.groupGeneration(groupId)} (${shell.coordinator(groupPartition)?.groupState(groupId)})`);
    }
    return { seed, timers, heartbeats, heldHeartbeats, commitsAcked, reloads, notAvailable, expired, digest: digest.toString(16) };
  } finally {
    for (const m of members) m.alive = false;
    shell.close();
  }
}


