/**
 * The consumer group part of the node simulation (`node-sim.ts`): two or three REAL
 * `ConsumerGroup` members (membership, delivery, their `Consumer` and `Admin`) consume the
 * simulation's topic while the producer sends, through the REAL brokers' group shell
 * (FindCoordinator to any broker, the group coordinator core on the leader of the group's
 * `__consumer_offsets` partition, its records replicated as any partition's, a new
 * coordinator loading them when that node is killed), over the same lossy simulated network
 * and clock. One seed chooses the assignor (eager `range` or `roundrobin`, or
 * `cooperative-sticky`), the members, how they consume (`eachRecord`, `eachBatch`, a
 * `for await` loop), their timeouts, and when members are killed (no commit, no LeaveGroup:
 * the session expires) or closed cleanly, and replaced. Its randomness is drawn from its own
 * stream, apart from the producer's.
 *
 * Invariants (the group simulation's):
 * - after every timer: no partition is owned by two live members in one generation;
 * - every OffsetCommit a member sends commits only processed offsets (every record below it
 *   had its handler return, in some member);
 * - a record read at an offset always has the same value there, and an acknowledged record
 *   is read where it was acknowledged;
 * - per key order: while a member owns a partition, it processes its records in offset
 *   order (the producer's part checks that one key's records are in the log in the order sent);
 * - progress: once faults stop, within a bound of simulated time the group is Stable with
 *   every live member in it, and every partition's records up to its high watermark (so
 *   every acknowledged record) are processed and committed; then every member closes.
 */
import type { ConsumerGroup } from '../../src/client/consumer-group.js';
import { ConsumerGroup as Group } from '../../src/client/consumer-group.js';
import type { Admin } from '../../src/client/admin.js';
import type { AssignorName } from '../../src/client/consumer-group-options.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { Request, ResponseFor } from '../../src/protocol/requests.js';
import type { SendOptions, Transport } from '../../src/transport/transport.js';
import { startTimer, type SimulatedTimerClock } from '../../src/util/clock.js';
import { TributaryError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { Rng } from '../../src/util/rng.js';
import { delay } from '../../src/util/timeout.js';

const groupId = 'node-sim-group';
/** NODE_SIM_GROUP_TRACE=1: every request of the members, with its answer, to debug a failing seed. */
const groupTrace = process.env['NODE_SIM_GROUP_TRACE'] !== undefined;

/** A member's own connection to the network: closed when it is killed, and watched for commits. */
class MemberTransport implements Transport {
  closed = false;
  constructor(
    private readonly name: string,
    private readonly clock: SimulatedTimerClock,
    private readonly net: Transport,
    private readonly observe: (request: Request) => void,
    private readonly answered: (response: unknown) => void,
  ) {}
  bootstrapNodes(): readonly number[] {
    return this.net.bootstrapNodes();
  }
  send<R extends Request>(node: number, request: R, options?: SendOptions): Promise<ResponseFor<R>> {
    if (this.closed) return Promise.reject(new TributaryError('NETWORK_EXCEPTION', 'the member is gone'));
    this.observe(request);
    const sent = this.net.send(node, request, options);
    if (request.apiKey === ApiKey.FindCoordinator) sent.then((r) => this.answered(r), () => undefined);
    if (groupTrace) {
      const at = this.clock.now();
      sent.then(
        (r) => console.log(`${at}-${this.clock.now()} ${this.name}>${node} ${JSON.stringify(request).slice(0, 300)} -> ${JSON.stringify(r).slice(0, 300)}`),
        (e: unknown) => console.log(`${at}-${this.clock.now()} ${this.name}>${node} ${JSON.stringify(request).slice(0, 300)} -> ${String(e)}`),
      );
    }
    return sent;
  }
  close(): void {
    this.closed = true;
  }
}

interface Member {
  readonly name: string;
  readonly group: ConsumerGroup;
  readonly transport: MemberTransport;
  state: 'live' | 'closing' | 'closed' | 'killed';
  /** Per partition, how many times the member gave it up (revoked or lost): a handler that began before that belongs to an older ownership. */
  readonly givenUp: Map<number, number>;
  /** Per partition, the offset last processed in the current ownership. */
  readonly last: Map<number, number>;
}

export interface NodeSimGroupResult {
  readonly assignor: AssignorName;
  readonly members: number;
  readonly rebalances: number;
  readonly commitsSent: number;
  readonly kills: number;
  readonly closes: number;
  /** Records whose handler ran more than once (at least once allows it). */
  readonly redelivered: number;
  /** Times a member found the group's coordinator on another node than the last one found. */
  readonly coordinatorMoves: number;
  /** Simulated ms from the faults stopping to the group consuming and committing everything. */
  readonly settleMs: number;
  /** A digest of every record processed (member, partition, offset, time): equal for two runs of one seed. */
  readonly digest: string;
}

/** What the group part needs of the node simulation. */
export interface NodeSimGroupContext {
  readonly seed: number;
  readonly clock: SimulatedTimerClock;
  /** The clients' network (a killed node's requests fail there). */
  readonly net: Transport;
  readonly topic: string;
  readonly partitions: number;
  /** Whether faults last: members are killed and closed only then. */
  readonly faulty: () => boolean;
}

export class NodeSimGroup {
  private readonly rng: Rng;
  readonly assignor: AssignorName;
  private readonly memberCount: number;
  private readonly options: {
    groupId: string;
    topics: string[];
    autoOffsetReset: 'earliest';
    assignor: AssignorName;
    sessionTimeoutMs: number;
    heartbeatIntervalMs: number;
    rebalanceTimeoutMs: number;
    autoCommitIntervalMs: number;
    maxWaitMs: number;
    requestTimeoutMs: number;
    metadataMaxAgeMs: number;
    logger: typeof silentLogger;
  };
  private readonly killRate: number;
  private readonly closeRate: number;
  private readonly slowRate: number;
  private readonly members: Member[] = [];
  private incarnations = 0;
  /** Per partition: the value read at each offset, and the first offset not yet processed. */
  private readonly processed: { values: Map<number, string>; prefix: number }[];
  /** Violations found inside a client's call: thrown there, they would reach the client as a failed request. */
  private readonly violations: string[] = [];
  private commitsSent = 0;
  private kills = 0;
  private closes = 0;
  private redelivered = 0;
  private stopped = false;
  private digest = 0x811c9dc5;
  private coordinator: number | undefined;
  private coordinatorMoves = 0;
  /** What `settle` saw last, for the message when the group does not settle. */
  private progress = 'not settling yet';

  constructor(private readonly ctx: NodeSimGroupContext) {
    // Its own stream: the producer's part of a seed draws what it drew before the group existed.
    this.rng = new Rng((ctx.seed * 2654435761) ^ 0x67c0);
    const rng = this.rng;
    this.assignor = rng.pick(['range', 'roundrobin', 'cooperative-sticky'] as const);
    this.memberCount = rng.between(2, 3);
    const sessionTimeoutMs = rng.pick([2000, 4000]);
    this.options = {
      groupId,
      topics: [ctx.topic],
      autoOffsetReset: 'earliest',
      assignor: this.assignor,
      sessionTimeoutMs,
      heartbeatIntervalMs: sessionTimeoutMs / 4,
      rebalanceTimeoutMs: rng.pick([3000, 6000]),
      autoCommitIntervalMs: rng.pick([200, 1000]),
      maxWaitMs: rng.pick([100, 500]),
      requestTimeoutMs: 3000,
      metadataMaxAgeMs: 5000,
      logger: silentLogger,
    };
    this.killRate = rng.pick([0, 0.02, 0.05]);
    this.closeRate = rng.pick([0, 0.02]);
    this.slowRate = rng.pick([0, 0.02, 0.1]);
    this.processed = Array.from({ length: ctx.partitions }, () => ({ values: new Map(), prefix: 0 }));
  }

  describe(): string {
    return `group: ${this.memberCount} members, ${this.assignor}, session ${this.options.sessionTimeoutMs} ms, kill ${this.killRate}, close ${this.closeRate}, slow ${this.slowRate}; last seen: ${this.progress}`;
  }

  /** Starts the members and the faults of the group (kills, closes, replacements) on the clock. */
  start(): void {
    for (let i = 0; i < this.memberCount; i++) this.startMember();
    const disturb = (): void => {
      if (this.stopped) return;
      if (this.ctx.faulty()) {
        const running = this.members.filter((m) => m.state === 'live');
        if (running.length > 0 && this.rng.chance(this.killRate)) this.kill(running[this.rng.int(running.length)]!);
        else if (running.length > 0 && this.rng.chance(this.closeRate)) this.closeMember(running[this.rng.int(running.length)]!);
        if (this.live().length < this.memberCount && this.rng.chance(0.1)) this.startMember();
      }
      startTimer(this.ctx.clock, 100, disturb);
    };
    startTimer(this.ctx.clock, 100, disturb);
  }

  private live(): Member[] {
    return this.members.filter((m) => m.state === 'live');
  }

  private observe(name: string, request: Request): void {
    if (request.apiKey !== ApiKey.OffsetCommit) return;
    this.commitsSent++;
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const state = t.name === this.ctx.topic ? this.processed[p.partitionIndex] : undefined;
        if (state === undefined) this.violations.push(`${name} committed ${t.name}-${p.partitionIndex}, which does not exist`);
        else if (p.committedOffset > state.prefix) this.violations.push(`${name} committed offset ${p.committedOffset} of ${t.name}-${p.partitionIndex} in generation ${request.generationId}, but the record at ${state.prefix} was not processed`);
      }
    }
  }

  /** A FindCoordinator answer: counts the coordinator moving to another node (its node killed, its partition's leadership moved). */
  private coordinatorFound(response: unknown): void {
    const c = (response as { coordinators?: { nodeId: number; errorCode: string }[] }).coordinators?.[0];
    if (c === undefined || c.errorCode !== 'NONE') return;
    if (this.coordinator !== undefined && this.coordinator !== c.nodeId) this.coordinatorMoves++;
    this.coordinator = c.nodeId;
  }

  private startMember(): Member {
    const name = `g${this.incarnations++}`;
    const transport = new MemberTransport(name, this.ctx.clock, this.ctx.net, (r) => this.observe(name, r), (r) => this.coordinatorFound(r));
    const group = new Group(transport, { ...this.options, clientId: name }, this.ctx.clock);
    const me: Member = { name, group, transport, state: 'live', givenUp: new Map(), last: new Map() };
    const forget = (tps: { topic: string; partition: number }[]): void => {
      for (const tp of tps) {
        me.last.delete(tp.partition);
        me.givenUp.set(tp.partition, (me.givenUp.get(tp.partition) ?? 0) + 1);
      }
    };
    group.on('revoked', (tps) => {
      if (groupTrace) console.log(`${this.ctx.clock.now()} ${name} revoked g${group.generationId} [${tps.map((tp) => tp.partition).join(',')}]`);
      forget(tps);
    });
    group.on('lost', (tps) => {
      if (groupTrace) console.log(`${this.ctx.clock.now()} ${name} lost g${group.generationId} [${tps.map((tp) => tp.partition).join(',')}]`);
      forget(tps);
    });
    if (groupTrace) group.on('assigned', (tps) => console.log(`${this.ctx.clock.now()} ${name} assigned g${group.generationId} [${tps.map((tp) => tp.partition).join(',')}]`));
    const mode = new Rng((this.ctx.seed * 7919 + this.incarnations) >>> 0).pick(['eachRecord', 'eachRecord', 'eachBatch', 'for await'] as const);
    const handle = async (partition: number, records: readonly { offset: number; value: Uint8Array | null }[]): Promise<void> => {
      // A handler may outlive its ownership (a `lost` does not wait for it): order is checked within one.
      const ownership = me.givenUp.get(partition) ?? 0;
      const ms = this.ctx.faulty() && this.rng.chance(this.slowRate) ? this.rng.between(500, 2500) : this.rng.between(0, 20);
      await delay(ms, this.ctx.clock);
      // A killed process never finishes what it was doing.
      if (me.state === 'killed') return new Promise<void>(() => undefined);
      const state = this.processed[partition]!;
      const line = `${this.ctx.clock.now()} ${name} processed ${partition}:${records.map((r) => r.offset).join(',')}`;
      for (let i = 0; i < line.length; i++) this.digest = Math.imul(this.digest ^ line.charCodeAt(i), 0x01000193) >>> 0;
      if (groupTrace) console.log(line);
      for (const r of records) {
        const value = Buffer.from(r.value ?? new Uint8Array()).toString();
        const before = state.values.get(r.offset);
        if (before !== undefined && before !== value) this.violations.push(`${name} read ${value} at ${partition}:${r.offset}, where ${before} was read before`);
        if (before !== undefined) this.redelivered++;
        state.values.set(r.offset, value);
        if ((me.givenUp.get(partition) ?? 0) !== ownership) continue;
        const last = me.last.get(partition);
        if (last !== undefined && r.offset <= last) this.violations.push(`${name} processed ${partition}:${r.offset} after ${partition}:${last} while owning the partition`);
        me.last.set(partition, r.offset);
      }
      while (state.values.has(state.prefix)) state.prefix++;
    };
    const consuming =
      mode === 'eachRecord'
        ? group.run({ eachRecord: (r) => handle(r.partition, [r]) })
        : mode === 'eachBatch'
          ? group.run({ eachBatch: (b) => handle(b.partition, b.records) })
          : (async () => {
              for await (const r of group) await handle(r.partition, [r]);
            })();
    consuming.catch((err: unknown) => {
      if (me.state === 'live') this.violations.push(`${name} ended: ${String(err)}`);
    });
    this.members.push(me);
    return me;
  }

  private kill(m: Member): void {
    m.state = 'killed';
    this.kills++;
    void m.group.kill();
    m.transport.close();
  }

  private closeMember(m: Member): void {
    m.state = 'closing';
    this.closes++;
    void m.group.close().then(() => {
      m.state = 'closed';
      m.transport.close();
    });
  }

  /** The checks after every timer; throws what it found. */
  check(): void {
    if (this.violations.length > 0) throw new Error(this.violations.join('; '));
    const owners = new Map<string, string>();
    for (const m of this.members) {
      if (m.state !== 'live' && m.state !== 'closing') continue;
      const g = m.group.generationId;
      for (const tp of m.group.assignment()) {
        const k = `${g}/${tp.partition}`;
        const other = owners.get(k);
        if (other !== undefined) throw new Error(`partition ${tp.partition} is owned by ${other} and ${m.name} in generation ${g}`);
        owners.set(k, m.name);
      }
    }
  }

  /**
   * Once faults stop: replaces the members killed or closed, then waits (on the clock)
   * until the group is Stable with all of them, and every partition's records up to its
   * high watermark are processed and committed. Checks that every acknowledged record was
   * read where it was acknowledged. Drive it with the simulation's `until`.
   */
  async settle(admin: Admin, acked: ReadonlyMap<number, { partition: number; offset: number }>): Promise<void> {
    while (this.live().length < this.memberCount) this.startMember();
    const closing = (): boolean => this.members.some((m) => m.state === 'closing');
    for (;;) {
      await delay(250, this.ctx.clock);
      if (closing()) {
        this.progress = 'members closing';
        continue;
      }
      const members = this.members.filter((m) => m.state === 'live').map((m) => `${m.name} g${m.group.generationId} [${m.group.assignment().map((tp) => tp.partition).join(',')}]`).join(' ');
      const d = await admin.describeGroup(groupId).catch((err: unknown) => String(err));
      if (typeof d === 'string' || d.state !== 'Stable' || d.members.length !== this.memberCount) {
        this.progress = `${members}; group ${typeof d === 'string' ? d : `${d.state} with ${d.members.length} members`}`;
        continue;
      }
      const ends = await admin.listOffsets(this.ctx.topic, 'latest').catch(() => undefined);
      if (ends === undefined || ends.length !== this.ctx.partitions) continue;
      const committed = new Map(d.offsets.filter((o) => o.topic === this.ctx.topic).map((o) => [o.partition, o.committed]));
      this.progress = `${members}; ${ends.map((e) => `p${e.partition} end ${e.offset} processed ${this.processed[e.partition]!.prefix} committed ${committed.get(e.partition) ?? 'none'}`).join(', ')}`;
      if (ends.every((e) => this.processed[e.partition]!.prefix >= e.offset && (committed.get(e.partition) ?? 0) >= e.offset)) break;
    }
    for (const [i, md] of acked) {
      const v = this.processed[md.partition]!.values.get(md.offset);
      if (v !== String(i)) throw new Error(`acknowledged record ${i} at ${md.partition}:${md.offset} was ${v === undefined ? 'never processed by the group' : `processed as ${v}`}`);
    }
  }

  /** Closes every member still running; resolves once all are closed. */
  async closeAll(): Promise<void> {
    this.stopped = true;
    for (const m of this.members) if (m.state === 'live') this.closeMember(m);
    await Promise.all(this.members.map((m) => (m.state === 'closing' ? m.group.close() : undefined)));
    for (const m of this.members) m.transport.close();
  }

  result(settleMs: number): NodeSimGroupResult {
    return {
      assignor: this.assignor,
      members: this.memberCount,
      rebalances: this.members.reduce((n, m) => n + m.group.rebalances, 0),
      commitsSent: this.commitsSent,
      kills: this.kills,
      closes: this.closes,
      redelivered: this.redelivered,
      coordinatorMoves: this.coordinatorMoves,
      settleMs,
      digest: this.digest.toString(16),
    };
  }
}
