/**
 * A seeded simulation of the REAL consumer group client: `ConsumerGroup` (its membership
 * in `consumer-coordinator.ts`, its delivery, its internal `Consumer` and metadata cache)
 * runs unchanged, on a `SimulatedTimerClock`, against the real group coordinator core
 * (`GroupCoordinator`, hosted here by a thin shell that commits its records at once and
 * fails over to another node) and a data plane of in-memory logs (`FakeCluster`: one
 * `MemoryLog` per partition, Fetch long polls, ListOffsets, Metadata), over a simulated
 * network. One seed chooses the members, the assignor, the topics, the fault rates and
 * every delay; every timer of every part is the clock's, and the driver fires one timer
 * at a time and lets the promises it woke settle before the next, so a seed replays
 * exactly (the test runs one twice and compares the traces).
 *
 * The network delivers each client's requests to a node in the order sent, after random
 * delays; a lost request is lost before it is handled (nothing happened) or after (it
 * happened, the answer is lost), and the client hears NETWORK_EXCEPTION after a while,
 * as a broken connection tells it; a member is sometimes cut off from every node for up
 * to twice its session timeout (its session expires, and it finds out late). Members are killed (no commit, no LeaveGroup: their
 * session expires) and replaced, close cleanly and come back; their handlers are
 * sometimes slower than the auto-commit interval; the coordinator fails over to another
 * node, which loads the committed records (requests in the meantime get
 * COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR, and parked ones NOT_COORDINATOR).
 * Records are appended to the partitions all along.
 *
 * Invariants:
 * - after every timer: no partition is owned by two live members that are in the same
 *   generation (`assignment()` and `generationId` of the real clients);
 * - every OffsetCommit a member sends commits only processed offsets: every record below
 *   the offset it commits has had its handler return (in some member);
 * - then faults stop and production stops, and within a bound every record has been
 *   processed and the group's committed offsets reach every partition's log end
 *   (every record delivered, at least once).
 * A failure throws with the seed and the command that replays it.
 */
import { GroupCoordinator, type GroupCoordinatorConfig, type GroupOutput } from '../../src/broker/core/group-coordinator.js';
import type { GroupRecord } from '../../src/broker/core/group-records.js';
import { groupErrorResponse, type GroupRequest, type GroupResponse } from '../../src/broker/core/group-requests.js';
import { ConsumerGroup } from '../../src/client/consumer-group.js';
import type { AssignorName } from '../../src/client/consumer-group-options.js';
import { ApiKey, apiName } from '../../src/protocol/api-keys.js';
import type { Request, ResponseFor } from '../../src/protocol/requests.js';
import { encodeBatchUncompressed } from '../../src/record/batch.js';
import type { SendOptions, Transport } from '../../src/transport/transport.js';
import { SimulatedTimerClock, startTimer } from '../../src/util/clock.js';
import { TributaryError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { delay } from '../../src/util/timeout.js';
import { FakeCluster } from '../helpers/fake-broker.js';

export interface ClientSimOptions {
  /** Simulated milliseconds with faults. Default 20000. */
  readonly safetyMs?: number;
  /** The most simulated milliseconds the group may take to deliver and commit everything once faults stop. Default 60000. */
  readonly livenessMs?: number;
  /** Force an assignor instead of the seed's choice. */
  readonly assignor?: AssignorName;
  /** Receives a line for every request sent and every event, to debug a failing seed. */
  readonly trace?: (line: string) => void;
}

export interface ClientSimResult {
  readonly seed: number;
  readonly assignor: AssignorName;
  readonly members: number;
  readonly partitions: number;
  readonly records: number;
  /** Records whose handler ran more than once (at least once allows it: a kill, a lost commit). */
  readonly redelivered: number;
  readonly rebalances: number;
  readonly commitsSent: number;
  readonly kills: number;
  readonly closes: number;
  readonly failovers: number;
  readonly lost: number;
  readonly timers: number;
  /** A digest of every request sent, in order, with its time: equal for two runs of one seed. */
  readonly digest: string;
}

const groupId = 'sim-group';

const groupApis = new Set<number>([ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.OffsetCommit, ApiKey.OffsetFetch]);

/**
 * The request of the protocol as the coordinator core takes it (the same mapping as the
 * broker's `GroupShell`).
 */
function toCoreRequest(request: Request, clientId: string): GroupRequest {
  switch (request.apiKey) {
    case ApiKey.JoinGroup:
      return { type: 'JoinGroup', groupId: request.groupId, sessionTimeoutMs: request.sessionTimeoutMs, rebalanceTimeoutMs: request.rebalanceTimeoutMs, memberId: request.memberId, groupInstanceId: request.groupInstanceId ?? null, protocolType: request.protocolType, protocols: request.protocols, clientId, clientHost: 'sim', reason: request.reason ?? null };
    case ApiKey.SyncGroup:
      return { type: 'SyncGroup', groupId: request.groupId, generationId: request.generationId, memberId: request.memberId, groupInstanceId: request.groupInstanceId ?? null, protocolType: request.protocolType ?? null, protocolName: request.protocolName ?? null, assignments: request.assignments };
    case ApiKey.Heartbeat:
      return { type: 'Heartbeat', groupId: request.groupId, generationId: request.generationId, memberId: request.memberId, groupInstanceId: request.groupInstanceId ?? null };
    case ApiKey.LeaveGroup:
      return { type: 'LeaveGroup', groupId: request.groupId, members: request.members };
    case ApiKey.OffsetCommit:
      return {
        type: 'OffsetCommit',
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId ?? null,
        topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, committedOffset: p.committedOffset, committedLeaderEpoch: p.committedLeaderEpoch ?? -1, committedMetadata: p.committedMetadata })) })),
      };
    case ApiKey.OffsetFetch:
      return { type: 'OffsetFetch', groupId: request.groupId, topics: request.topics };
    default:
      throw new Error(`not a group request: ${request.apiKey}`);
  }
}

/**
 * The coordinator's shell in the simulation: one core at a time, on one node; its records
 * are committed (replayed) as soon as it returns them, then its replies go out. A failover
 * deactivates the core (parked requests get NOT_COORDINATOR) and, after a load delay, a
 * fresh core on another node loads every committed record.
 */
class SimCoordinator {
  node: number;
  private core: GroupCoordinator | undefined;
  private readonly log: GroupRecord[] = [];
  private readonly waiting = new Map<number, { apiKey: ApiKey; resolve: (response: unknown) => void }>();
  private nextId = 1;

  constructor(
    private readonly clock: SimulatedTimerClock,
    private readonly rng: Rng,
    private readonly config: Partial<GroupCoordinatorConfig>,
    private readonly nodes: readonly number[],
  ) {
    this.node = nodes[rng.int(nodes.length)]!;
    this.load();
    const tick = (): void => {
      if (this.core !== undefined) this.apply(this.core.tick(this.clock.now()));
      startTimer(this.clock, 100, tick);
    };
    startTimer(this.clock, 100, tick);
  }

  committed(): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of this.core?.committedOffsets(groupId) ?? []) out.set(`${c.topic}-${c.partition}`, c.value.offset);
    return out;
  }

  stable(): boolean {
    return this.core?.groupState(groupId) === 'Stable';
  }

  /** Moves the coordinator to another node; it serves again once loaded. */
  failover(loadMs: number): void {
    if (this.core === undefined) return;
    this.apply(this.core.deactivate());
    this.core = undefined;
    const others = this.nodes.filter((n) => n !== this.node);
    if (others.length > 0) this.node = others[this.rng.int(others.length)]!;
    startTimer(this.clock, loadMs, () => this.load());
  }

  private load(): void {
    this.core = new GroupCoordinator({ rng: this.rng.fork(), config: this.config });
    this.core.loadFrom(this.log, this.clock.now());
  }

  handle(node: number, request: Request, clientId: string): Promise<unknown> {
    if (request.apiKey === ApiKey.FindCoordinator) {
      const loading = this.core === undefined;
      return Promise.resolve({
        apiKey: ApiKey.FindCoordinator,
        throttleTimeMs: 0,
        coordinators: request.coordinatorKeys.map((key) => ({ key, nodeId: loading ? -1 : this.node, host: 'sim', port: 0, errorCode: loading ? 'COORDINATOR_NOT_AVAILABLE' : 'NONE', errorMessage: null })),
      });
    }
    const core = toCoreRequest(request, clientId);
    if (node !== this.node) return Promise.resolve({ apiKey: request.apiKey, throttleTimeMs: 0, ...groupErrorResponse(core, 'NOT_COORDINATOR') });
    if (this.core === undefined) return Promise.resolve({ apiKey: request.apiKey, throttleTimeMs: 0, ...groupErrorResponse(core, 'COORDINATOR_LOAD_IN_PROGRESS') });
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.waiting.set(id, { apiKey: request.apiKey, resolve });
      this.apply(this.core!.handle(id, core, this.clock.now()));
    });
  }

  private apply(out: GroupOutput): void {
    for (const r of out.records) {
      this.log.push(r);
      this.core?.replay(r);
    }
    for (const reply of out.replies) {
      const w = this.waiting.get(reply.to);
      if (w === undefined) continue;
      this.waiting.delete(reply.to);
      w.resolve({ apiKey: w.apiKey, throttleTimeMs: 0, ...(reply.response as GroupResponse) });
    }
  }
}

interface NetworkFaults {
  enabled: boolean;
  readonly loss: number;
  readonly delayMaxMs: number;
  readonly brokenConnectionMs: number;
}

/** One client's connections: requests to a node arrive in the order sent. */
class SimTransport implements Transport {
  private closed = false;
  /** Until when every request of this client is lost (a network partition around it). */
  isolatedUntil = 0;
  /** When the last request sent to each node arrives there. */
  private readonly arrivals = new Map<number, number>();

  constructor(
    private readonly name: string,
    private readonly clock: SimulatedTimerClock,
    private readonly rng: Rng,
    private readonly faults: NetworkFaults,
    private readonly nodes: readonly number[],
    private readonly data: FakeCluster,
    private readonly coordinator: SimCoordinator,
    private readonly observe: (client: string, node: number, request: Request) => void,
  ) {}

  bootstrapNodes(): readonly number[] {
    return this.nodes;
  }

  close(): void {
    this.closed = true;
  }

  send<R extends Request>(node: number, request: R, options?: SendOptions): Promise<ResponseFor<R>> {
    if (this.closed) return Promise.reject(new TributaryError('CLIENT_CLOSED', `${this.name}'s transport is closed`));
    this.observe(this.name, node, request);
    const now = this.clock.now();
    const lossAt = now < this.isolatedUntil ? 'before' : this.faults.enabled && this.rng.chance(this.faults.loss) ? (this.rng.chance(0.5) ? 'before' : 'after') : undefined;
    const arrival = Math.max(now + this.rng.between(1, this.faults.delayMaxMs), this.arrivals.get(node) ?? 0);
    this.arrivals.set(node, arrival);
    return new Promise<ResponseFor<R>>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        fn();
      };
      const broken = (): void => void startTimer(this.clock, this.faults.brokenConnectionMs, () => settle(() => reject(new TributaryError('NETWORK_EXCEPTION', `${this.name}: the connection to node ${node} broke`))));
      options?.signal?.addEventListener('abort', () => settle(() => reject(new TributaryError('REQUEST_ABORTED', 'aborted'))), { once: true });
      startTimer(this.clock, arrival - now, () => {
        if (lossAt === 'before') return broken();
        const handled: Promise<unknown> = groupApis.has(request.apiKey) ? this.coordinator.handle(node, request, this.name) : this.data.send(node, request);
        handled.then(
          (response) => {
            if (lossAt === 'after') return broken();
            startTimer(this.clock, this.rng.between(1, this.faults.delayMaxMs), () => settle(() => resolve(response as ResponseFor<R>)));
          },
          (err: unknown) => startTimer(this.clock, this.rng.between(1, this.faults.delayMaxMs), () => settle(() => reject(err))),
        );
      });
    });
  }
}

interface Incarnation {
  readonly name: string;
  readonly group: ConsumerGroup;
  readonly transport: SimTransport;
  state: 'live' | 'closing' | 'closed' | 'killed';
}

/** Runs one seed; resolves with what happened, or rejects naming the seed. */
export async function runClientSimulation(seed: number, options: ClientSimOptions = {}): Promise<ClientSimResult> {
  const rng = new Rng(seed);
  const clock = new SimulatedTimerClock(1_700_000_000_000);
  const start = clock.now();
  const nodes = Array.from({ length: rng.between(1, 3) }, (_, i) => i + 1);
  const assignor: AssignorName = options.assignor ?? rng.pick(['range', 'roundrobin', 'cooperative-sticky'] as const);
  const memberCount = rng.between(2, 5);
  const topicCounts = new Map<string, number>([['orders', rng.between(1, 6)]]);
  if (rng.chance(0.4)) topicCounts.set('payments', rng.between(1, 3));
  const faults: NetworkFaults = { enabled: true, loss: rng.pick([0, 0.003, 0.01]), delayMaxMs: rng.pick([2, 10, 40]), brokenConnectionMs: rng.pick([100, 1000]) };
  const killRate = rng.pick([0, 0.01, 0.03]);
  const closeRate = rng.pick([0, 0.01]);
  const failoverRate = rng.pick([0, 0.005, 0.02]);
  const slowRate = rng.pick([0, 0.01, 0.05]);
  const isolateRate = rng.pick([0, 0.005, 0.02]);
  const sessionTimeoutMs = rng.pick([2000, 4000]);
  const memberOptions = {
    groupId,
    topics: [...topicCounts.keys()],
    autoOffsetReset: 'earliest' as const,
    assignor,
    sessionTimeoutMs,
    heartbeatIntervalMs: sessionTimeoutMs / 4,
    rebalanceTimeoutMs: rng.pick([3000, 6000]),
    autoCommitIntervalMs: rng.pick([200, 1000]),
    maxWaitMs: rng.pick([100, 500]),
    requestTimeoutMs: 3000,
    metadataMaxAgeMs: 5000,
  };
  const safetyMs = options.safetyMs ?? 20_000;
  const livenessMs = options.livenessMs ?? 60_000;
  const describe = `${nodes.length} nodes, ${memberCount} members, ${assignor}, partitions ${[...topicCounts].map(([t, n]) => `${t}:${n}`).join(' ')}, loss ${faults.loss}, kill ${killRate}, isolate ${isolateRate}, failover ${failoverRate}, slow ${slowRate}`;
  const fail = (why: string): never => {
    throw new Error(`client simulation failed (seed ${seed}; ${describe}) at ${clock.now() - start} ms: ${why}\nreplay: npm run sim -- --only clients --seed ${seed}`);
  };
  const trace = options.trace;
  let digest = 0x811c9dc5;
  const hash = (line: string): void => {
    for (let i = 0; i < line.length; i++) digest = Math.imul(digest ^ line.charCodeAt(i), 0x01000193) >>> 0;
  };
  const note = (line: string): void => {
    hash(line);
    trace?.(`${clock.now() - start} ${line}`);
  };

  const data = new FakeCluster({ nodes, topics: Object.fromEntries(topicCounts), clock });
  const coordinator = new SimCoordinator(clock, rng.fork(), { groupMinSessionTimeoutMs: 1000 }, nodes);
  const partitions: { topic: string; partition: number; key: string }[] = [];
  for (const [topic, n] of topicCounts) for (let p = 0; p < n; p++) partitions.push({ topic, partition: p, key: `${topic}-${p}` });

  // ---- what the handlers did ----
  /** Per partition: the offsets whose handler returned, and the first offset that has not. */
  const processed = new Map<string, { done: Set<number>; prefix: number }>(partitions.map((p) => [p.key, { done: new Set(), prefix: 0 }]));
  let redelivered = 0;
  let commitsSent = 0;
  let produced = 0;

  const observe = (client: string, node: number, request: Request): void => {
    note(`${client}>${node} ${apiName(request.apiKey)}${request.apiKey === ApiKey.OffsetCommit ? ` g${request.generationId} ${request.topics.map((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}@${p.committedOffset}`).join(' ')).join(' ')}` : ''}`);
    if (request.apiKey !== ApiKey.OffsetCommit) return;
    commitsSent++;
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const state = processed.get(`${t.name}-${p.partitionIndex}`);
        if (state === undefined) fail(`${client} committed ${t.name}-${p.partitionIndex}, which does not exist`);
        if (p.committedOffset > state!.prefix) fail(`${client} committed offset ${p.committedOffset} of ${t.name}-${p.partitionIndex}, but the record at ${state!.prefix} was never processed`);
      }
    }
  };

  // ---- members ----
  const members: Incarnation[] = [];
  let incarnations = 0;
  let kills = 0;
  let closes = 0;
  let failovers = 0;
  let lost = 0;
  const runErrors: string[] = [];
  const startMember = (): Incarnation => {
    const name = `m${incarnations++}`;
    const transport = new SimTransport(name, clock, rng.fork(), faults, nodes, data, coordinator, observe);
    const group = new ConsumerGroup(transport, { ...memberOptions, clientId: name }, clock);
    const me: Incarnation = { name, group, transport, state: 'live' };
    group.on('lost', (tps) => {
      lost += tps.length;
      note(`${name} lost ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')}`);
    });
    group.on('assigned', (tps) => note(`${name} assigned g${group.generationId} ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')}`));
    group.on('revoked', (tps) => note(`${name} revoked ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')}`));
    group
      .run({
        eachRecord: async (record) => {
          const ms = rng.chance(slowRate) ? rng.between(500, 2500) : rng.between(0, 20);
          await delay(ms, clock);
          // A killed process never finishes what it was doing.
          if (me.state === 'killed') return new Promise<void>(() => undefined);
          const state = processed.get(`${record.topic}-${record.partition}`)!;
          if (state.done.has(record.offset)) redelivered++;
          state.done.add(record.offset);
          while (state.done.has(state.prefix)) state.prefix++;
        },
      })
      .catch((err: unknown) => runErrors.push(`${name}: ${String(err)}`));
    members.push(me);
    note(`${name} started`);
    return me;
  };
  const kill = (m: Incarnation): void => {
    m.state = 'killed';
    kills++;
    note(`${m.name} killed`);
    void m.group.kill();
    m.transport.close();
  };
  const close = (m: Incarnation): void => {
    m.state = 'closing';
    closes++;
    note(`${m.name} closing`);
    void m.group.close().then(() => {
      m.state = 'closed';
      m.transport.close();
      note(`${m.name} closed`);
    });
  };
  const live = (): Incarnation[] => members.filter((m) => m.state === 'live' || m.state === 'closing');
  for (let i = 0; i < memberCount; i++) startMember();

  // ---- production and chaos, on the clock ----
  let chaos = true;
  const produce = (): void => {
    if (!chaos) return;
    const n = rng.between(0, 3);
    for (let i = 0; i < n; i++) {
      const p = partitions[rng.int(partitions.length)]!;
      data.append(p.topic, p.partition, encodeBatchUncompressed([{ key: null, value: Buffer.from(`r${produced++}`) }], { now: clock.now() }));
    }
    startTimer(clock, 50, produce);
  };
  startTimer(clock, 0, produce);
  const disturb = (): void => {
    if (!chaos) return;
    const running = members.filter((m) => m.state === 'live');
    if (running.length > 0 && rng.chance(killRate)) kill(running[rng.int(running.length)]!);
    else if (running.length > 0 && rng.chance(closeRate)) close(running[rng.int(running.length)]!);
    if (running.length > 0 && rng.chance(isolateRate)) {
      // Cut off long enough, its session expires: the group moves on and it finds out late (lost).
      const m = running[rng.int(running.length)]!;
      m.transport.isolatedUntil = clock.now() + rng.between(500, 2 * sessionTimeoutMs);
      note(`${m.name} isolated until ${m.transport.isolatedUntil - start}`);
    }
    if (members.filter((m) => m.state === 'live').length < memberCount && rng.chance(0.05)) startMember();
    if (rng.chance(failoverRate)) {
      failovers++;
      coordinator.failover(rng.between(0, 1000));
      note(`coordinator failover to node ${coordinator.node}`);
    }
    startTimer(clock, 100, disturb);
  };
  startTimer(clock, 100, disturb);

  // ---- the driver ----
  let timers = 0;
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const checkOwnership = (): void => {
    const owners = new Map<string, string>();
    for (const m of live()) {
      const g = m.group.generationId;
      for (const tp of m.group.assignment()) {
        const k = `${g}/${tp.topic}-${tp.partition}`;
        const other = owners.get(k);
        if (other !== undefined) fail(`${tp.topic}-${tp.partition} is owned by ${other} and ${m.name} in generation ${g}`);
        owners.set(k, m.name);
      }
    }
  };
  const step = async (): Promise<void> => {
    if (!clock.runNext()) fail('no timer is pending: the simulation stalled');
    timers++;
    await turn();
    checkOwnership();
    if (runErrors.length > 0) fail(`run() rejected: ${runErrors.join('; ')}`);
  };

  // Safety: faults all along.
  while (clock.now() - start < safetyMs) await step();

  // Liveness: faults and production stop; the killed are replaced; everything must be processed and committed.
  chaos = false;
  faults.enabled = false;
  note('faults stop');
  while (live().filter((m) => m.state === 'live').length < memberCount) startMember();
  const deadline = clock.now() + livenessMs;
  const ends = (): Map<string, number> => new Map(partitions.map((p) => [p.key, data.log(p.topic, p.partition).logEndOffset]));
  const done = (): boolean => {
    const committed = coordinator.committed();
    for (const [key, end] of ends()) if (processed.get(key)!.prefix < end || (committed.get(key) ?? 0) < end) return false;
    return coordinator.stable();
  };
  while (!done()) {
    if (clock.now() > deadline) {
      const committed = coordinator.committed();
      fail(`not every record was processed and committed within ${livenessMs} ms of the faults stopping: ${[...ends()].map(([k, end]) => `${k} end ${end} processed ${processed.get(k)!.prefix} committed ${committed.get(k) ?? 'none'}`).join(', ')}`);
    }
    await step();
  }
  // Every live member closes cleanly, as the cluster's close would.
  for (const m of members.filter((x) => x.state === 'live')) close(m);
  const closeBy = clock.now() + 30_000;
  while (members.some((m) => m.state === 'closing')) {
    if (clock.now() > closeBy) fail('a member did not finish closing within 30 s');
    await step();
  }
  const rebalances = members.reduce((n, m) => n + m.group.rebalances, 0);
  return {
    seed,
    assignor,
    members: memberCount,
    partitions: partitions.length,
    records: produced,
    redelivered,
    rebalances,
    commitsSent,
    kills,
    closes,
    failovers,
    lost,
    timers,
    digest: digest.toString(16),
  };
}
