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
 * The network is TCP-like: each client has a connection to each node that delivers
 * requests, and answers, in order after random delays; a lost message (a request before
 * it is handled, or an answer) breaks the connection, and every request on it that is
 * unanswered fails with NETWORK_EXCEPTION a while later (handled or not: the client
 * cannot tell), as a broken connection tells it; a member is sometimes cut off from every node for up
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
import { GroupCoordinator, groupErrorResponse, type GroupCoordinatorConfig, type GroupOutput, type GroupRequest, type GroupResponse } from '../../src/broker/core/group-coordinator.js';
import type { GroupRecord } from '../../src/broker/core/group-records.js';
import { ConsumerGroup } from '../../src/client/consumer-group.js';
import { Producer } from '../../src/client/producer.js';
import type { AssignorName } from '../../src/client/consumer-group-options.js';
import { ApiKey, apiName } from '../../src/protocol/api-keys.js';
import type { Request, ResponseFor } from '../../src/protocol/requests.js';
import { iterateBatches } from '../../src/record/batch.js';
import type { SendOptions, Transport } from '../../src/transport/transport.js';
import { SimulatedTimerClock, startTimer, type ClockTimer } from '../../src/util/clock.js';
import { TributaryError, isTributaryError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { delay } from '../../src/util/timeout.js';
import { FakeCluster } from '../helpers/fake-broker.js';
import { routeGlobalTimers } from './sim-timers.js';

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
  readonly staticMembers: number;
  readonly partitions: number;
  readonly records: number;
  /** Sends the producer gave up on while faults lasted (delivery timeouts): allowed then, never after. */
  readonly failedSends: number;
  /** Times the producer bumped its epoch (a sequence was lost: its sequences start over). */
  readonly epochBumps: number;
  /** Records whose handler ran more than once (at least once allows it: a kill, a lost commit). */
  readonly redelivered: number;
  readonly rebalances: number;
  readonly commitsSent: number;
  readonly kills: number;
  readonly closes: number;
  readonly failovers: number;
  readonly lost: number;
  /** Static members fenced (FENCED_INSTANCE_ID) and replaced. */
  readonly fenced: number;
  readonly timers: number;
  /** A digest of every request sent, in order, with its time: equal for two runs of one seed. */
  readonly digest: string;
}

const groupId = 'sim-group';

const groupApis = new Set<number>([ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.OffsetCommit, ApiKey.OffsetFetch]);

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
    const core = request as GroupRequest;
    if (node !== this.node) return Promise.resolve({ apiKey: request.apiKey, throttleTimeMs: 0, ...groupErrorResponse(core, 'NOT_COORDINATOR') });
    if (this.core === undefined) return Promise.resolve({ apiKey: request.apiKey, throttleTimeMs: 0, ...groupErrorResponse(core, 'COORDINATOR_LOAD_IN_PROGRESS') });
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.waiting.set(id, { apiKey: request.apiKey, resolve });
      this.apply(this.core!.handle(id, core, this.clock.now(), { clientId, clientHost: 'sim' }));
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

/** One connection of a client to a node: requests arrive, and answers return, in order. */
interface Connection {
  broken: boolean;
  /** The client has heard that it broke: the next request opens a new connection. */
  closed: boolean;
  /** When the last request sent on it arrives, and the last answer returns. */
  arrival: number;
  delivery: number;
  /** The rejections of its requests not yet answered, called when it breaks. */
  readonly unanswered: Set<(err: TributaryError) => void>;
}

/**
 * One client's connections, as TCP's: requests to a node arrive in the order sent, answers
 * return in order. A lost message breaks the connection: nothing more is handled or
 * answered on it, and after `brokenConnectionMs` every request on it that is unanswered
 * fails with NETWORK_EXCEPTION (handled or not: the client cannot tell); what the client
 * sends on it until then is lost too. The next request opens a new connection.
 */
class SimTransport implements Transport {
  private closed = false;
  /** Until when every request of this client is lost (a network partition around it). */
  isolatedUntil = 0;
  private readonly connections = new Map<number, Connection>();

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

  private connection(node: number): Connection {
    let c = this.connections.get(node);
    if (c === undefined || c.closed) {
      c = { broken: false, closed: false, arrival: 0, delivery: 0, unanswered: new Set() };
      this.connections.set(node, c);
    }
    return c;
  }

  private break(c: Connection, node: number): void {
    if (c.broken) return;
    c.broken = true;
    startTimer(this.clock, this.faults.brokenConnectionMs, () => {
      c.closed = true;
      for (const reject of [...c.unanswered]) reject(new TributaryError('NETWORK_EXCEPTION', `${this.name}: the connection to node ${node} broke`));
      c.unanswered.clear();
    });
  }

  send<R extends Request>(node: number, request: R, options?: SendOptions): Promise<ResponseFor<R>> {
    if (this.closed) return Promise.reject(new TributaryError('CLIENT_CLOSED', `${this.name}'s transport is closed`));
    this.observe(this.name, node, request);
    const now = this.clock.now();
    const lost = (): boolean => this.clock.now() < this.isolatedUntil || (this.faults.enabled && this.rng.chance(this.faults.loss));
    const c = this.connection(node);
    c.arrival = Math.max(now + this.rng.between(1, this.faults.delayMaxMs), c.arrival);
    return new Promise<ResponseFor<R>>((resolve, reject) => {
      let settled = false;
      const fail = (err: TributaryError): void => {
        if (settled) return;
        settled = true;
        c.unanswered.delete(fail);
        reject(err);
      };
      c.unanswered.add(fail);
      options?.signal?.addEventListener('abort', () => fail(new TributaryError('REQUEST_ABORTED', 'aborted')), { once: true });
      const answer = (outcome: { response: unknown } | { error: unknown }): void => {
        if (c.broken) return;
        if (lost()) return this.break(c, node);
        c.delivery = Math.max(this.clock.now() + this.rng.between(1, this.faults.delayMaxMs), c.delivery);
        startTimer(this.clock, c.delivery - this.clock.now(), () => {
          if (c.broken || settled) return;
          settled = true;
          c.unanswered.delete(fail);
          if ('response' in outcome) resolve(outcome.response as ResponseFor<R>);
          else reject(outcome.error);
        });
      };
      startTimer(this.clock, c.arrival - now, () => {
        if (c.broken) return;
        if (lost()) return this.break(c, node);
        const handled: Promise<unknown> = groupApis.has(request.apiKey) ? this.coordinator.handle(node, request, this.name) : this.data.send(node, request);
        handled.then(
          (response) => answer({ response }),
          (error: unknown) => answer({ error }),
        );
      });
    });
  }
}

interface Incarnation {
  readonly name: string;
  /** The member's place in the group: static members (KIP-345) keep `group.instance.id` `s<slot>` across incarnations. */
  readonly slot: number;
  readonly group: ConsumerGroup;
  readonly transport: SimTransport;
  state: 'live' | 'closing' | 'closed' | 'killed';
}

/** Runs one seed; resolves with what happened, or rejects naming the seed. */
export async function runClientSimulation(seed: number, options: ClientSimOptions = {}): Promise<ClientSimResult> {
  const clock = new SimulatedTimerClock(1_700_000_000_000);
  const restore = routeGlobalTimers(clock);
  try {
    const result = await simulate(seed, options, clock);
    const global = restore.globalTimers();
    if (global.length > 0) throw new Error(`client simulation seed ${seed}: a global setTimeout ran (every timer must come from the clock):\n${global[0]}`);
    return result;
  } finally {
    restore();
  }
}

async function simulate(seed: number, options: ClientSimOptions, clock: SimulatedTimerClock): Promise<ClientSimResult> {
  const rng = new Rng(seed);
  const start = clock.now();
  const nodes = Array.from({ length: rng.between(1, 3) }, (_, i) => i + 1);
  const assignor: AssignorName = options.assignor ?? rng.pick(['range', 'roundrobin', 'cooperative-sticky'] as const);
  const memberCount = rng.between(2, 5);
  // Drawn apart from the seed's main stream, so that a seed without static members runs as it did before they existed.
  const staticCount = new Rng(seed ^ 0x5ea7ed).pick([0, 0, 1, memberCount]);
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
  const describe = `${nodes.length} nodes, ${memberCount} members (${staticCount} static), ${assignor}, partitions ${[...topicCounts].map(([t, n]) => `${t}:${n}`).join(' ')}, loss ${faults.loss}, kill ${killRate}, isolate ${isolateRate}, failover ${failoverRate}, slow ${slowRate}`;
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
  /** InitProducerId requests that bump the producer's epoch (after a sequence was lost). */
  let epochBumps = 0;

  /**
   * Violations found inside a client's call (a commit being sent): thrown there, they
   * would reach the client as a failed request, which it retries. The driver fails on
   * them after the step.
   */
  const violations: string[] = [];
  const observe = (client: string, node: number, request: Request): void => {
    let detail = '';
    if (request.apiKey === ApiKey.OffsetCommit) detail = ` g${request.generationId} ${request.topics.map((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}@${p.committedOffset}`).join(' ')).join(' ')}`;
    if (request.apiKey === ApiKey.Produce) {
      for (const t of request.topicData) {
        for (const p of t.partitionData) {
          for (const b of iterateBatches(p.records ?? new Uint8Array())) detail += ` ${t.name}-${p.index} pid ${b.header.producerId} epoch ${b.header.producerEpoch} seq ${b.header.baseSequence}+${b.header.lastOffsetDelta + 1}`;
        }
      }
    }
    note(`${client}>${node} ${apiName(request.apiKey)}${detail}`);
    if (request.apiKey === ApiKey.InitProducerId && (request.producerId ?? -1) >= 0) epochBumps++;
    if (request.apiKey !== ApiKey.OffsetCommit) return;
    commitsSent++;
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const state = processed.get(`${t.name}-${p.partitionIndex}`);
        if (state === undefined) violations.push(`${client} committed ${t.name}-${p.partitionIndex}, which does not exist`);
        else if (p.committedOffset > state.prefix) violations.push(`${client} committed offset ${p.committedOffset} of ${t.name}-${p.partitionIndex}, but the record at ${state.prefix} was not processed`);
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
  let fenced = 0;
  const runErrors: string[] = [];
  /**
   * Starts a member in a free place: one whose last incarnation is gone (killed, or closed:
   * a static member that is still closing would be fenced by its successor).
   */
  const startMember = (): Incarnation | undefined => {
    const slot = Array.from({ length: memberCount }, (_, i) => i).find((i) => !members.some((m) => m.slot === i && m.state !== 'killed' && m.state !== 'closed'));
    if (slot === undefined) return undefined;
    const name = `m${incarnations++}`;
    const transport = new SimTransport(name, clock, rng.fork(), faults, nodes, data, coordinator, observe);
    const group = new ConsumerGroup(transport, { ...memberOptions, clientId: name, ...(slot < staticCount ? { groupInstanceId: `s${slot}` } : {}) }, clock);
    const me: Incarnation = { name, slot, group, transport, state: 'live' };
    group.on('lost', (tps) => {
      lost += tps.length;
      note(`${name} lost ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')}`);
    });
    group.on('assigned', (tps) => note(`${name} assigned g${group.generationId} ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')}`));
    group.on('revoked', (tps) => note(`${name} revoked ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(' ')}`));
    // How the member consumes: run({ eachRecord }), run({ eachBatch }) (a batch counts once its
    // handler returns), or a for await loop (a record counts once the body asks for the next).
    // Drawn apart from the main stream, as the static members are.
    // 'eachRecord sync': a handler that returns undefined for most records (processed before
    // it returns: the delivery calls it in synchronous runs, marking its partition in flight
    // once a run) and a promise for the others (slow, or one in three).
    const mode = new Rng((seed * 7919 + incarnations) >>> 0).pick(['eachRecord', 'eachRecord sync', 'eachRecord sync', 'eachBatch', 'for await'] as const);
    const handle = async (topic: string, partition: number, offsets: readonly number[]): Promise<void> => {
      // Slow handlers are one of the faults: once faults stop, a backlog drains at 0 to 20 ms a call.
      const ms = chaos && rng.chance(slowRate) ? rng.between(500, 2500) : rng.between(0, 20);
      await delay(ms, clock);
      // A killed process never finishes what it was doing.
      if (me.state === 'killed') return new Promise<void>(() => undefined);
      const state = processed.get(`${topic}-${partition}`)!;
      for (const offset of offsets) {
        if (state.done.has(offset)) redelivered++;
        state.done.add(offset);
      }
      while (state.done.has(state.prefix)) state.prefix++;
    };
    /** The offset a seek inside the handler moved a partition to: the next record of it handed out must be that one. */
    const soughtTo = new Map<string, number>();
    const forget = (tps: readonly { topic: string; partition: number }[]): void => {
      for (const tp of tps) soughtTo.delete(`${tp.topic}-${tp.partition}`);
    };
    group.on('revoked', forget);
    group.on('lost', forget);
    const handleNow = (topic: string, partition: number, offset: number): void => {
      const state = processed.get(`${topic}-${partition}`)!;
      if (state.done.has(offset)) redelivered++;
      state.done.add(offset);
      while (state.done.has(state.prefix)) state.prefix++;
    };
    const consuming =
      mode === 'eachRecord'
        ? group.run({ eachRecord: (r) => handle(r.topic, r.partition, [r.offset]) })
        : mode === 'eachRecord sync'
          ? group.run({
              eachRecord: (r) => {
                // Handed out only while the member is open and owns the partition (a revoke
                // marks it first, a close or a kill stops the member first).
                if (me.state !== 'live') violations.push(`${name} (${me.state}) was handed ${r.topic}-${r.partition}@${r.offset}`);
                else if (!group.assignment().some((tp) => tp.topic === r.topic && tp.partition === r.partition)) violations.push(`${name} was handed ${r.topic}-${r.partition}@${r.offset}, which it does not own`);
                const key = `${r.topic}-${r.partition}`;
                const expected = soughtTo.get(key);
                if (expected !== undefined) {
                  soughtTo.delete(key);
                  if (r.offset !== expected) violations.push(`${name} sought ${key} to ${expected}, then was handed ${r.offset}`);
                }
                if ((chaos && rng.chance(slowRate)) || rng.chance(1 / 3)) return handle(r.topic, r.partition, [r.offset]);
                handleNow(r.topic, r.partition, r.offset);
                // Now and then, from inside the synchronous run: a seek back (the rest of the
                // chunk must not follow; the next record of the partition is the one sought),
                // or a close of this member (no record may follow).
                if (chaos && rng.chance(0.02)) {
                  const to = Math.max(0, r.offset - rng.int(3));
                  soughtTo.set(key, to);
                  note(`${name} seeks ${key} to ${to} inside its handler`);
                  void group.seek({ topic: r.topic, partition: r.partition }, to).catch(() => soughtTo.delete(key));
                } else if (chaos && rng.chance(0.002) && me.state === 'live') {
                  note(`${name} closes itself inside its handler`);
                  close(me);
                }
                return undefined;
              },
            })
          : mode === 'eachBatch'
          ? group.run({ eachBatch: (b) => handle(b.topic, b.partition, b.records.map((r) => r.offset)) })
          : (async () => {
              for await (const r of group) await handle(r.topic, r.partition, [r.offset]);
            })();
    consuming.catch((err: unknown) => {
      // A static member is fenced when the coordinator's committed metadata names another
      // member id for its group.instance.id: after a failover in the middle of the rebalance
      // that gave it its id, the new coordinator knows only its predecessor's (Kafka's
      // coordinator answers FENCED_INSTANCE_ID there too). The member ends; a successor
      // takes its place. Any other error fails the run.
      if (isTributaryError(err) && err.code === 'FENCED_INSTANCE_ID' && slot < staticCount && me.state === 'live') {
        fenced++;
        me.state = 'closing';
        note(`${name} fenced: ${err.message}`);
        void group.close().then(() => {
          me.state = 'closed';
          transport.close();
        });
        return;
      }
      runErrors.push(`${name}: ${String(err)}`);
    });
    members.push(me);
    note(`${name} started (${mode}${slot < staticCount ? `, static s${slot}` : ''})`);
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

  // ---- the producer: the real, idempotent `Producer` ----
  const producerTransport = new SimTransport('p', clock, rng.fork(), faults, nodes, data, coordinator, observe);
  const deliveryTimeoutMs = rng.pick([2000, 5000]);
  const producer = new Producer(producerTransport, { clientId: 'p', idempotent: true, acks: 'all', lingerMs: rng.pick([0, 5]), requestTimeoutMs: 1000, deliveryTimeoutMs, retryBackoffMs: 50, retryBackoffMaxMs: 500, randomSeed: seed }, clock);
  /** Every record sent: its topic, key and value, and what the producer answered. */
  const sends: { topic: string; key: string; value: string; outcome: 'pending' | 'acked' | 'failed'; partition?: number; offset?: number; error?: string; typed?: boolean; late: boolean; bumpsAtSend: number; bumpsAtAnswer?: number }[] = [];
  let failedSends = 0;
  const send = (late: boolean): void => {
    const topic = [...topicCounts.keys()][rng.int(topicCounts.size)]!;
    const s = { topic, key: `k${rng.int(8)}`, value: `r${produced++}`, outcome: 'pending' as 'pending' | 'acked' | 'failed', late, partition: undefined as number | undefined, offset: undefined as number | undefined, error: undefined as string | undefined, typed: undefined as boolean | undefined, bumpsAtSend: epochBumps, bumpsAtAnswer: undefined as number | undefined };
    sends.push(s);
    producer.send(topic, { key: s.key, value: s.value }).then(
      (md) => {
        s.bumpsAtAnswer = epochBumps;
        s.outcome = 'acked';
        s.partition = md.partition;
        s.offset = md.offset;
      },
      (err: unknown) => {
        s.bumpsAtAnswer = epochBumps;
        s.outcome = 'failed';
        s.error = String(err);
        s.typed = isTributaryError(err);
        failedSends++;
        note(`send ${s.value} failed: ${s.error}`);
      },
    );
  };

  // ---- production and chaos, on the clock ----
  let chaos = true;
  const produce = (): void => {
    if (!chaos) return;
    const n = rng.between(0, 3);
    for (let i = 0; i < n; i++) send(false);
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
    if (rng.chance(isolateRate)) {
      // Long enough, batches expire: the producer must start its sequences over under a new epoch.
      producerTransport.isolatedUntil = clock.now() + rng.between(200, 2 * deliveryTimeoutMs);
      note(`producer isolated until ${producerTransport.isolatedUntil - start}`);
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
    if (violations.length > 0) fail(violations.join('; '));
    checkOwnership();
    if (runErrors.length > 0) fail(`run() rejected: ${runErrors.join('; ')}`);
  };

  // Safety: faults all along.
  while (clock.now() - start < safetyMs) await step();

  // Liveness: faults and production stop; the killed are replaced; everything must be processed and committed.
  chaos = false;
  faults.enabled = false;
  producerTransport.isolatedUntil = 0;
  for (const m of members) m.transport.isolatedUntil = 0;
  note('faults stop');
  const replaceBy = clock.now() + 30_000;
  while (live().filter((m) => m.state === 'live').length < memberCount) {
    if (startMember() === undefined) {
      if (clock.now() > replaceBy) fail('closing members did not finish within 30 s');
      await step();
    }
  }
  // Records sent now could join a batch made while faults lasted, and expire with it; the
  // last ones go once every earlier send is answered.
  let lateSent = false;
  const deadline = clock.now() + livenessMs;
  const ends = (): Map<string, number> => new Map(partitions.map((p) => [p.key, data.log(p.topic, p.partition).logEndOffset]));
  const done = (): boolean => {
    if (sends.some((x) => x.outcome === 'pending')) return false;
    if (!lateSent) {
      lateSent = true;
      for (let i = 0; i < 20; i++) send(true);
      return false;
    }
    const committed = coordinator.committed();
    for (const [key, end] of ends()) if (processed.get(key)!.prefix < end || (committed.get(key) ?? 0) < end) return false;
    return coordinator.stable();
  };
  while (!done()) {
    if (clock.now() > deadline) {
      const committed = coordinator.committed();
      const pending = sends.filter((x) => x.outcome === 'pending').length;
      fail(`not every record was processed and committed (or sent: ${pending} sends unanswered) within ${livenessMs} ms of the faults stopping: ${[...ends()].map(([k, end]) => `${k} end ${end} processed ${processed.get(k)!.prefix} committed ${committed.get(k) ?? 'none'}`).join(', ')}`);
    }
    await step();
  }
  // The producer's invariants: once faults stopped, every send succeeds; no record is in
  // a log twice (idempotence through retries and epoch bumps); every acknowledged record is
  // where it was acknowledged; one key's acknowledged records keep their order.
  const untyped = sends.find((x) => x.outcome === 'failed' && !x.typed);
  if (untyped !== undefined) fail(`${untyped.value} failed with an error that is not a TributaryError: ${untyped.error}`);
  const lateFailed = sends.filter((x) => x.late && x.outcome !== 'acked');
  if (lateFailed.length > 0) fail(`${lateFailed.length} of the sends made after the faults stopped failed, such as ${lateFailed[0]!.value}: ${lateFailed[0]!.error}`);
  const where = new Map<string, string>();
  const sendOf = new Map(sends.map((x) => [x.value, x]));
  for (const p of partitions) {
    for (const r of await data.records(p.topic, p.partition)) {
      const value = Buffer.from(r.value ?? new Uint8Array()).toString();
      const here = `${p.key}@${r.offset}`;
      if (where.has(value)) {
        // Never, not even across an epoch bump: a batch that may have been written is not
        // numbered again under a new epoch (docs/design/clients.md, "Ordering and idempotence").
        const x = sendOf.get(value);
        const bumps = x === undefined || x.bumpsAtAnswer === undefined ? 0 : x.bumpsAtAnswer - x.bumpsAtSend;
        fail(`${value} is in the log twice: ${where.get(value)} and ${here} (${bumps} epoch bump(s) between its send and its answer)`);
      }
      where.set(value, here);
    }
  }
  const lastOffsetOfKey = new Map<string, number>();
  for (const x of sends) {
    if (x.outcome !== 'acked') continue;
    const at = `${x.topic}-${x.partition}@${x.offset}`;
    if (where.get(x.value) !== at) fail(`${x.value} was acknowledged at ${at} but is ${where.has(x.value) ? `at ${where.get(x.value)}` : 'not in the log'}`);
    const k = `${x.topic}-${x.partition}/${x.key}`;
    if ((lastOffsetOfKey.get(k) ?? -1) > x.offset!) fail(`${x.value} of key ${x.key} is at ${at}, before a record of that key sent earlier`);
    lastOffsetOfKey.set(k, x.offset!);
  }
  void producer.close();
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
    staticMembers: staticCount,
    partitions: partitions.length,
    records: produced,
    failedSends,
    epochBumps,
    redelivered,
    rebalances,
    commitsSent,
    kills,
    closes,
    failovers,
    lost,
    fenced,
    timers,
    digest: digest.toString(16),
  };
}
