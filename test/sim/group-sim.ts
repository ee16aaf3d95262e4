/**
 * A seeded simulation of the group coordinator with real client-side behaviour: one
 * seed chooses the members (dynamic or static), the assignor (an eager one, or
 * cooperative-sticky with its revoke-then-rejoin protocol), the topics, the fault rates
 * and every event. Members join, sync (the leader computes the assignment with
 * src/client/assignors.ts), heartbeat, consume and commit increasing offsets; they
 * crash and restart, pause (and miss heartbeats), leave and come back. The coordinator
 * fails over: a new one is built by replaying only the committed records, and the
 * records that were not committed are lost (or some prefix of them survives).
 *
 * The network is TCP-like: each member has a connection to the coordinator that
 * delivers in order after random delays; a lost message breaks the connection (what
 * follows on it is lost too) and the member reconnects after a request timeout, so
 * requests from different members, and a member's requests across reconnects, are
 * reordered freely. Heartbeat, JoinGroup, SyncGroup, LeaveGroup and OffsetFetch are also
 * duplicated: a stale copy arrives much later, on no particular connection, as a
 * misbehaving proxy or a client retry would deliver it. OffsetCommit is not: like Kafka,
 * the protocol orders a member's commits by its connection, and a stale copy of an old
 * commit of the same generation would move the offset back in Kafka too.
 *
 * Invariants, after every step:
 * - no partition is owned by two live members of the same generation, and with
 *   cooperative-sticky no partition is owned by two live members the coordinator holds
 *   (a member it has expired is a zombie, fenced from committing), at any instant;
 * - a committed offset never goes backwards, except by an explicit reset (an admin
 *   commit with generation -1 to an Empty group) or after a tombstone;
 * - the coordinator's committed state equals a replica that replayed the committed log
 *   (checked periodically and at each failover, with a coordinator freshly loaded), and
 *   with nothing outstanding a Stable group's soft state is its committed metadata;
 * - every request is answered at most once.
 * Then faults stop, every member is restarted, and the group must become Stable with
 * every live member in its latest generation and every partition assigned, within a
 * bound. A failure throws with the seed and a command that replays it.
 */
import { cooperativeStickyAssign, rangeAssign, roundRobinAssign, stickyAssign, type Assignment, type AssignorMember, type TopicPartition } from '../../src/client/assignors.js';
import { GroupCoordinator, groupErrorResponse, type GroupCoordinatorConfig, type GroupReply, type GroupRequest, type GroupResponse, type GroupResponseFor } from '../../src/broker/core/group-coordinator.js';
import type { GroupRecord } from '../../src/broker/core/group-records.js';
import { ApiKey, apiName } from '../../src/protocol/api-keys.js';
import type * as P from '../../src/protocol/group.js';
import { Rng } from '../../src/util/rng.js';

type HeartbeatResponse = GroupResponseFor<P.HeartbeatRequest>;
type JoinGroupResponse = GroupResponseFor<P.JoinGroupRequest>;
type OffsetCommitResponse = GroupResponseFor<P.OffsetCommitRequest>;
type OffsetFetchResponse = GroupResponseFor<P.OffsetFetchRequest>;
type SyncGroupResponse = GroupResponseFor<P.SyncGroupRequest>;

export type SimAssignor = 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky';

export interface GroupSimOptions {
  /** Steps (100 ms each) with faults. Default 600. */
  readonly safetySteps?: number;
  /** The most steps the group may take to stabilise once faults stop. Default 1200. */
  readonly livenessSteps?: number;
  /** Force an assignor instead of the seed's choice. */
  readonly assignor?: SimAssignor;
  /** Receives a line for every request, reply and ownership change, to debug a failing seed. */
  readonly trace?: (line: string) => void;
}

export interface GroupSimResult {
  readonly seed: number;
  readonly assignor: SimAssignor;
  readonly members: number;
  readonly staticMembers: number;
  readonly partitions: number;
  readonly steps: number;
  /** The generation the group reached. */
  readonly generation: number;
  readonly failovers: number;
  readonly crashes: number;
  readonly commits: number;
  readonly resets: number;
  /** Commits the coordinator refused by generation (ILLEGAL_GENERATION), member (UNKNOWN_MEMBER_ID) or instance (FENCED_INSTANCE_ID): zombies fenced. */
  readonly fencedCommits: { readonly ILLEGAL_GENERATION: number; readonly UNKNOWN_MEMBER_ID: number; readonly FENCED_INSTANCE_ID: number };
  /** Steps the liveness phase took to stabilise. */
  readonly stabilisedAfter: number;
}

const stepMs = 100;
const heartbeatIntervalMs = 1000;
const requestTimeoutMs = 4000;
const groupId = 'sim-group';
const resetMetadata = 'admin-reset';
const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder();
const tpKey = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;

interface Owned {
  readonly tp: TopicPartition;
  /** The next offset to consume; undefined until the committed offset is fetched. */
  position: number | undefined;
  committed: number;
}

type Phase = 'idle' | 'joining' | 'syncing' | 'stable';

interface Awaited {
  readonly type: GroupRequest['apiKey'];
  readonly deadline: number;
  readonly generation: number;
}

interface Client {
  readonly name: string;
  readonly instanceId: string | null;
  incarnation: number;
  alive: boolean;
  /** A paused static member whose instance id a replacement process took over; it retires at its first error. */
  zombie: boolean;
  /** Gone for good (a zombie that learned it was replaced). */
  retired: boolean;
  /** Cooperative: it dropped partitions its JoinGroup claimed, so it must rejoin after the sync. */
  rejoinAfterSync: boolean;
  /** When a dead or departed client starts again. */
  restartAt: number;
  pausedUntil: number;
  memberId: string;
  generation: number;
  phase: Phase;
  owned: Map<string, Owned>;
  ownedGeneration: number;
  /** The life of the group (see `groupLives`) whose SyncGroup gave the owned partitions. */
  ownedLife: number;
  conn: number;
  awaiting: Map<number, Awaited>;
  inbox: { corr: number; response: GroupResponse; life: number; epoch: number }[];
  nextHeartbeat: number;
  nextCommit: number;
  rejoinAt: number;
}

interface Message {
  readonly at: number;
  readonly seq: number;
  readonly toCoordinator: boolean;
  readonly client: string;
  readonly incarnation: number;
  readonly conn: number;
  readonly epoch: number;
  readonly corr: number;
  readonly request?: GroupRequest;
  readonly response?: GroupResponse;
  /** The group's life when the coordinator made this response. */
  readonly life?: number;
  /** A stale duplicate: delivered whatever became of its connection. */
  readonly stray?: boolean;
}

interface Subscription {
  readonly topics: string[];
  readonly owned: [string, number][];
  /** The generation the owned partitions were given in (KIP-429's ConsumerProtocolSubscription v2 field). */
  readonly generation: number;
}

export function runGroupSimulation(seed: number, options: GroupSimOptions = {}): GroupSimResult {
  const rng = new Rng(seed);
  const clientCount = rng.between(2, 6);
  const staticCount = rng.pick([0, 1, Math.ceil(clientCount / 2), clientCount]);
  const assignor: SimAssignor = options.assignor ?? rng.pick(['range', 'roundrobin', 'sticky', 'cooperative-sticky'] as const);
  const cooperative = assignor === 'cooperative-sticky';
  const topicCounts = new Map<string, number>([['orders', rng.between(1, 8)]]);
  if (rng.chance(0.5)) topicCounts.set('payments', rng.between(1, 4));
  const topics = [...topicCounts.keys()];
  const allPartitions: TopicPartition[] = [];
  for (const [topic, n] of topicCounts) for (let p = 0; p < n; p++) allPartitions.push({ topic, partition: p });
  const loss = rng.pick([0, 0.005, 0.02]);
  const duplicate = rng.pick([0, 0.01, 0.03]);
  const delayStepsMax = rng.pick([1, 2, 5]);
  const crashRate = rng.pick([0, 0.002, 0.006]);
  const pauseRate = rng.pick([0, 0.002, 0.006]);
  const leaveRate = rng.pick([0, 0.002]);
  const failoverRate = rng.pick([0, 0.003, 0.01]);
  const resetRate = rng.pick([0, 0.01]);
  const commitLagSteps = rng.between(0, 5);
  // A session longer than the rebalance timeout keeps a paused member in the group through a
  // rebalance it misses (a static one even past the deadline): then only the generation fences it.
  const sessionTimeoutMs = rng.pick([6000, 10_000, 20_000]);
  const rebalanceTimeoutMs = rng.pick([8000, 15_000]);
  const commitIntervalMs = rng.pick([500, 1000, 3000]);
  const config: Partial<GroupCoordinatorConfig> = {
    groupInitialRebalanceDelayMs: rng.pick([0, 0, 1000]),
    offsetsRetentionMs: rng.pick([7 * 24 * 3600 * 1000, 20_000]),
    offsetsRetentionCheckIntervalMs: 5000,
  };
  const safetySteps = options.safetySteps ?? 600;
  const livenessSteps = options.livenessSteps ?? 1200;
  const describe = `${clientCount} members (${staticCount} static), ${assignor}, partitions ${[...topicCounts].map(([t, n]) => `${t}:${n}`).join(' ')}, session ${sessionTimeoutMs} ms, rebalance ${rebalanceTimeoutMs} ms, loss ${loss}, dup ${duplicate}, failover ${failoverRate}`;
  const fail = (why: string): never => {
    throw new Error(`group simulation failed (seed ${seed}; ${describe}) at ${now} ms: ${why}\nreplay: npx tsx -e "import('./test/sim/group-sim.ts').then((m) => console.log(m.runGroupSimulation(${seed})))"`);
  };

  const trace = options.trace;
  let now = 0;
  let seq = 0;
  let corrNext = 1;
  let faults = true;
  let failovers = 0;
  let crashes = 0;
  let commits = 0;
  let resets = 0;
  const fencedCommits = { ILLEGAL_GENERATION: 0, UNKNOWN_MEMBER_ID: 0, FENCED_INSTANCE_ID: 0 };

  // ---- the coordinator and its partition ----
  const coordinatorRng = rng.fork();
  const newCoordinator = (): GroupCoordinator => new GroupCoordinator({ rng: coordinatorRng.fork(), config });
  let coordinator: GroupCoordinator | undefined = newCoordinator();
  coordinator.loadFrom([], now);
  let epoch = 1;
  let downUntil = 0;
  const log: GroupRecord[] = []; // committed
  let uncommitted: { record: GroupRecord; at: number }[] = [];
  let emitted = 0; // records emitted by the current coordinator, committed or not
  let committedCount = 0; // of those, committed
  let held: { reply: GroupReply; need: number; life: number }[] = [];
  /**
   * The group's lives: committed GroupMetadata tombstones of the group. An Empty group with
   * no offsets is deleted, and the next member starts it again from generation 1, as in
   * Kafka; a member of an earlier life (a paused one, its session long expired) may still
   * believe it owns partitions "in generation 1". It is a zombie, fenced by its unknown
   * member id, so ownership is checked per life and generation.
   */
  let groupLives = 0;
  /** The life a reply made now belongs to: tombstones on their way count, since the reply follows them. */
  const lifeNow = (): number => groupLives + uncommitted.filter((u) => u.record.type === 'GroupMetadata' && u.record.key.group === groupId && u.record.value === null).length;
  const replica = new GroupCoordinator({ rng: new Rng(0), config }); // replays the committed log, never active
  const requestsById = new Map<number, { client: string; incarnation: number; conn: number; corr: number; request: GroupRequest }>();
  const answered = new Set<number>();
  /**
   * memberId -> the generations it joined with its current metadata: the replies to its
   * own JoinGroups that it accepted. (Not every NONE reply the coordinator sends: a stale
   * duplicate of an old JoinGroup can take the place of the member's fresh one, and then
   * the leader saw old metadata.)
   */
  const joinedGenerations = new Map<string, Set<number>>();
  /**
   * At each failover, the coordinator epoch that began and the generation it loaded: the
   * generations above it, formed by earlier epochs, are gone. A JoinGroup reply of such a
   * generation that a paused member reads after the failover does not count as joining
   * the generation of that number the new coordinator forms.
   */
  const lostAbove: { readonly epoch: number; readonly loaded: number }[] = [];
  let requestIdNext = 1;
  /** The committed offsets, as the log says, for the monotonicity check. */
  const committedOffsets = new Map<string, number>();

  const newClient = (name: string, instanceId: string | null): Client => ({
    name,
    instanceId,
    incarnation: 0,
    alive: true,
    zombie: false,
    retired: false,
    rejoinAfterSync: false,
    restartAt: 0,
    pausedUntil: 0,
    memberId: '',
    generation: -1,
    phase: 'idle',
    owned: new Map(),
    ownedGeneration: -1,
    ownedLife: 0,
    conn: 0,
    awaiting: new Map(),
    inbox: [],
    nextHeartbeat: 0,
    nextCommit: 0,
    rejoinAt: now + rng.int(2000),
  });
  const clients: Client[] = Array.from({ length: clientCount }, (_, i) => newClient(`c${i}`, i < staticCount ? `instance-${i}` : null));
  const byName = new Map(clients.map((c) => [c.name, c]));
  const clientsMax = 2 * clientCount + 4;
  let replacements = 0;
  let network: Message[] = [];
  const brokenConns = new Set<string>();
  const connKey = (client: string, incarnation: number, conn: number): string => `${client}/${incarnation}/${conn}`;

  function deliverAt(): number {
    return now + rng.between(0, delayStepsMax) * stepMs;
  }

  // Per-connection FIFO: a message never overtakes an earlier one on its connection.
  const lastOnConn = new Map<string, number>();
  function post(m: Omit<Message, 'at' | 'seq'>, at: number): void {
    const key = `${connKey(m.client, m.incarnation, m.conn)}/${m.toCoordinator}`;
    const when = m.stray ? at : Math.max(at, lastOnConn.get(key) ?? 0);
    if (!m.stray) lastOnConn.set(key, when);
    network.push({ ...m, at: when, seq: seq++ });
  }

  const duplicable = new Set<GroupRequest['apiKey']>([ApiKey.Heartbeat, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.LeaveGroup, ApiKey.OffsetFetch]);

  function send(c: Client, request: GroupRequest, timeoutMs = requestTimeoutMs): number {
    const corr = corrNext++;
    c.awaiting.set(corr, { type: request.apiKey, deadline: now + timeoutMs, generation: c.ownedGeneration });
    const m = { toCoordinator: true, client: c.name, incarnation: c.incarnation, conn: c.conn, epoch, corr, request };
    post(m, deliverAt());
    if (faults && duplicable.has(request.apiKey) && rng.chance(duplicate)) post({ ...m, stray: true }, now + rng.between(5, 80) * stepMs);
    return corr;
  }

  function respond(to: number, response: GroupResponse, life = lifeNow()): void {
    const r = requestsById.get(to);
    if (r === undefined) fail(`a reply to unknown request ${to}`);
    if (answered.has(to)) fail(`request ${to} (${apiName(r!.request.apiKey)}) answered twice`);
    answered.add(to);
    if (trace) trace(`${now} #${to} -> ${r!.client}: ${JSON.stringify(response, (k, v) => (v instanceof Uint8Array ? utf8Decode.decode(v) : v))}`);
    post({ toCoordinator: false, client: r!.client, incarnation: r!.incarnation, conn: r!.conn, epoch, corr: r!.corr, response, life }, deliverAt());
  }

  function emit(out: { records: readonly GroupRecord[]; replies: readonly GroupReply[] }): void {
    for (const record of out.records) uncommitted.push({ record, at: now });
    emitted += out.records.length;
    for (const reply of out.replies) {
      if (reply.afterCommit && committedCount < emitted) held.push({ reply, need: emitted, life: lifeNow() });
      else respond(reply.to, reply.response);
    }
  }

  function observeCommitted(record: GroupRecord): void {
    log.push(record);
    replica.replay(record);
    if (record.type === 'GroupMetadata' && record.key.group === groupId && record.value === null) groupLives++;
    if (record.type !== 'OffsetCommit') return;
    const key = `${record.key.topic}:${record.key.partition}`;
    if (record.key.group !== groupId) return;
    if (record.value === null) {
      committedOffsets.delete(key);
      return;
    }
    const before = committedOffsets.get(key);
    if (record.value.metadata === resetMetadata) resets++;
    else {
      commits++;
      if (before !== undefined && record.value.offset < before) fail(`committed offset of ${key} went back from ${before} to ${record.value.offset} without a reset`);
    }
    committedOffsets.set(key, record.value.offset);
  }

  function commitRecords(): void {
    while (uncommitted.length > 0 && now - uncommitted[0]!.at >= commitLagSteps * stepMs) {
      const { record } = uncommitted.shift()!;
      coordinator!.replay(record);
      observeCommitted(record);
      committedCount++;
    }
    const ready = held.filter((h) => h.need <= committedCount);
    held = held.filter((h) => h.need > committedCount);
    for (const h of ready) respond(h.reply.to, h.reply.response, h.life);
  }

  function failover(): void {
    failovers++;
    // Some prefix of what was not yet committed made it to the new leader; the rest is lost.
    const survivors = rng.int(uncommitted.length + 1);
    for (const { record } of uncommitted.slice(0, survivors)) observeCommitted(record);
    uncommitted = [];
    // Replies that waited for records: the contract says NOT_COORDINATOR.
    for (const h of held) respond(h.reply.to, groupErrorResponse(requestsById.get(h.reply.to)!.request, 'NOT_COORDINATOR'));
    held = [];
    const out = coordinator!.deactivate();
    for (const reply of out.replies) respond(reply.to, reply.response);
    coordinator = undefined;
    epoch++;
    emitted = 0;
    committedCount = 0;
    downUntil = now + rng.between(0, 20) * stepMs;
  }

  function coordinatorUp(): void {
    coordinator = newCoordinator();
    coordinator.loadFrom(log, now);
    // Generations past the loaded one were formed in memory by the old coordinator and are
    // gone; the new one will hand out the same numbers again.
    const loaded = coordinator.groupGeneration(groupId) ?? 0;
    for (const joined of joinedGenerations.values()) for (const g of joined) if (g > loaded) joined.delete(g);
    lostAbove.push({ epoch, loaded });
    checkReplay();
  }

  /** Whether a GroupMetadata record is on its way to the log (commits may always be). */
  function metadataOutstanding(): boolean {
    return uncommitted.some((u) => u.record.type === 'GroupMetadata');
  }

  function checkReplay(): void {
    if (coordinator === undefined) return;
    const ids = replica.committedGroupIds();
    if (JSON.stringify(coordinator.committedGroupIds()) !== JSON.stringify(ids)) fail(`coordinator groups ${coordinator.committedGroupIds()} differ from the replayed ${ids}`);
    for (const g of ids) {
      if (JSON.stringify(coordinator.committedOffsets(g)) !== JSON.stringify(replica.committedOffsets(g))) fail(`committed offsets of ${g} differ from the replayed log`);
      if (JSON.stringify(coordinator.committedGroupMetadata(g)) !== JSON.stringify(replica.committedGroupMetadata(g))) fail(`group metadata of ${g} differs from the replayed log`);
    }
    if (!metadataOutstanding() && coordinator.groupState(groupId) === 'Stable') {
      const live = JSON.stringify(coordinator.liveGroupMetadata(groupId));
      if (live !== JSON.stringify(coordinator.committedGroupMetadata(groupId))) fail(`the Stable group's soft state differs from its committed metadata`);
    }
  }

  function coordinatorReceive(m: Message): void {
    const id = requestIdNext++;
    if (trace) trace(`${now} ${m.client}/${m.incarnation} -> #${id} ${m.stray ? 'stray ' : ''}${JSON.stringify(m.request, (k, v) => (v instanceof Uint8Array ? utf8Decode.decode(v) : v))}`);
    requestsById.set(id, { client: m.client, incarnation: m.incarnation, conn: m.conn, corr: m.corr, request: m.request! });
    if (m.epoch !== epoch) return respond(id, groupErrorResponse(m.request!, 'NOT_COORDINATOR'));
    if (coordinator === undefined) return respond(id, groupErrorResponse(m.request!, 'COORDINATOR_NOT_AVAILABLE'));
    emit(coordinator.handle(id, m.request!, now, { clientId: m.client }));
  }

  // ---- the members ----

  function encode(value: unknown): Uint8Array {
    return utf8.encode(JSON.stringify(value));
  }

  function subscriptionOf(c: Client): Uint8Array {
    const owned: [string, number][] = [...c.owned.values()].map((o) => [o.tp.topic, o.tp.partition]);
    return encode({ topics, owned: cooperative || assignor === 'sticky' ? owned : [], generation: c.ownedGeneration } satisfies Subscription);
  }

  function assign(members: readonly JoinGroupResponse['members'][number][]): { memberId: string; assignment: Uint8Array }[] {
    const subscriptions = members.map((m) => JSON.parse(utf8Decode.decode(m.metadata)) as Subscription);
    // As the real client's leader does (computeAssignment): cooperative claims from an
    // older generation than the newest claimed are dropped. A member that missed a
    // generation (a stale duplicate of its JoinGroup stood in for it, seed 90666) may claim
    // what that generation gave another member.
    const newest = Math.max(-1, ...subscriptions.map((s) => s.generation));
    const input: AssignorMember[] = members.map((m, i) => {
      const s = subscriptions[i]!;
      const owned = !cooperative || s.generation === newest ? s.owned : [];
      return { memberId: m.memberId, topics: s.topics, owned: owned.map(([topic, partition]) => ({ topic, partition })) };
    });
    let result: Assignment;
    if (assignor === 'range') result = rangeAssign(input, topicCounts);
    else if (assignor === 'roundrobin') result = roundRobinAssign(input, topicCounts);
    else if (assignor === 'sticky') result = stickyAssign(input, topicCounts);
    else result = cooperativeStickyAssign(input, topicCounts).assignment;
    return members.map((m) => ({ memberId: m.memberId, assignment: encode((result.get(m.memberId) ?? []).map((tp) => [tp.topic, tp.partition])) }));
  }

  function lose(c: Client): void {
    if (trace && c.owned.size > 0) trace(`${now} ${c.name} loses [${[...c.owned.keys()].join(',')}]`);
    c.owned.clear();
    c.ownedGeneration = -1;
  }

  function rejoinSoon(c: Client, backoffMs = 0): void {
    if (c.zombie) return retire(c);
    c.phase = 'idle';
    c.rejoinAt = now + backoffMs;
  }

  function retire(c: Client): void {
    die(c, Infinity);
    c.retired = true;
  }

  function die(c: Client, restartAfterMs: number): void {
    if (c.zombie) restartAfterMs = Infinity;
    c.alive = false;
    c.restartAt = now + restartAfterMs;
    lose(c);
    c.awaiting.clear();
    c.inbox = [];
  }

  function restart(c: Client): void {
    c.incarnation++;
    c.alive = true;
    c.pausedUntil = 0;
    c.memberId = '';
    c.generation = -1;
    c.phase = 'idle';
    c.conn = 0;
    c.rejoinAt = now;
    c.rejoinAfterSync = false;
    lose(c);
  }

  function sendJoin(c: Client): void {
    if (!cooperative && c.owned.size > 0) {
      // Eager: commit what was consumed, then give everything up before rejoining.
      sendCommit(c);
      lose(c);
    }
    c.phase = 'joining';
    send(
      c,
      {
        apiKey: ApiKey.JoinGroup,
        groupId,
        sessionTimeoutMs,
        rebalanceTimeoutMs,
        memberId: c.memberId,
        groupInstanceId: c.instanceId,
        protocolType: 'consumer',
        protocols: [{ name: assignor, metadata: subscriptionOf(c) }],
      },
      rebalanceTimeoutMs + requestTimeoutMs,
    );
  }

  function sendCommit(c: Client): void {
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
    for (const o of c.owned.values()) {
      if (o.position === undefined || o.position <= o.committed) continue;
      if (!byTopic.has(o.tp.topic)) byTopic.set(o.tp.topic, []);
      byTopic.get(o.tp.topic)!.push({ partitionIndex: o.tp.partition, committedOffset: o.position, committedLeaderEpoch: -1, committedMetadata: null });
    }
    if (byTopic.size === 0) return;
    const contents = [...byTopic].flatMap(([topic, ps]) => ps.map((p) => ({ topic, partition: p.partitionIndex, offset: p.committedOffset })));
    commitContents.set(corrNext, contents);
    send(c, { apiKey: ApiKey.OffsetCommit, groupId, generationId: c.ownedGeneration, memberId: c.memberId, groupInstanceId: c.instanceId, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) });
  }

  function inFlight(c: Client, type: GroupRequest['apiKey']): boolean {
    for (const a of c.awaiting.values()) if (a.type === type) return true;
    return false;
  }

  function onResponse(c: Client, corr: number, response: GroupResponse, life: number, sentInEpoch: number): void {
    const awaited = c.awaiting.get(corr);
    if (awaited === undefined) return; // stale: a duplicate, or a request given up on
    c.awaiting.delete(corr);
    switch (awaited.type) {
      case ApiKey.JoinGroup:
        return onJoin(c, response as JoinGroupResponse, sentInEpoch);
      case ApiKey.SyncGroup:
        return onSync(c, response as SyncGroupResponse, life);
      case ApiKey.Heartbeat:
        return onMemberError(c, (response as HeartbeatResponse).errorCode);
      case ApiKey.OffsetCommit: {
        const r = response as OffsetCommitResponse;
        for (const t of r.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 'NONE') continue;
            const o = c.owned.get(`${t.name}:${p.partitionIndex}`);
            const sent = (commitContents.get(corr) ?? []).find((x) => x.topic === t.name && x.partition === p.partitionIndex);
            if (o !== undefined && sent !== undefined) o.committed = Math.max(o.committed, sent.offset);
          }
        }
        commitContents.delete(corr);
        const code = r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)).find((e) => e !== 'NONE');
        if (code === 'ILLEGAL_GENERATION' || code === 'UNKNOWN_MEMBER_ID' || code === 'FENCED_INSTANCE_ID') fencedCommits[code]++;
        if (code !== undefined) onMemberError(c, code);
        return;
      }
      case ApiKey.OffsetFetch: {
        const r = response as OffsetFetchResponse;
        if (r.errorCode !== 'NONE' || awaited.generation !== c.ownedGeneration) return;
        for (const t of r.topics) {
          for (const p of t.partitions) {
            const o = c.owned.get(`${t.name}:${p.partitionIndex}`);
            if (o === undefined || o.position !== undefined || p.errorCode !== 'NONE') continue;
            o.position = Math.max(0, p.committedOffset);
            o.committed = o.position;
          }
        }
        return;
      }
      default:
        return;
    }
  }

  // The offsets each commit carried, to credit them when acknowledged.
  const commitContents = new Map<number, { topic: string; partition: number; offset: number }[]>();

  function onJoin(c: Client, r: JoinGroupResponse, sentInEpoch: number): void {
    switch (r.errorCode) {
      case 'NONE': {
        // Cooperative: a member keeps its partitions into the next generation only, whose
        // leader saw them in this join's metadata. One that missed a generation (a static
        // member kept through a rebalance while its joins failed, or one that reconnected to
        // a new coordinator that lost generations) may have had them given away: lost.
        // Its claims went to the leader all the same, so it rejoins after the sync, as a
        // member that revoked would: the partitions held back for it then find an owner.
        if (cooperative && c.owned.size > 0 && r.generationId !== c.ownedGeneration + 1 && r.generationId !== c.ownedGeneration) {
          lose(c);
          c.rejoinAfterSync = true;
        }
        c.memberId = r.memberId;
        c.generation = r.generationId;
        c.phase = 'syncing';
        let joined = joinedGenerations.get(r.memberId);
        if (joined === undefined) joinedGenerations.set(r.memberId, (joined = new Set()));
        if (!lostAbove.some((l) => l.epoch > sentInEpoch && r.generationId > l.loaded)) joined.add(r.generationId);
        const assignments = r.leader === c.memberId && !r.skipAssignment ? assign(r.members) : [];
        send(c, { apiKey: ApiKey.SyncGroup, groupId, generationId: r.generationId, memberId: c.memberId, groupInstanceId: c.instanceId, protocolType: 'consumer', protocolName: r.protocolName, assignments });
        return;
      }
      case 'MEMBER_ID_REQUIRED':
        c.memberId = r.memberId;
        sendJoin(c);
        return;
      default:
        onMemberError(c, r.errorCode);
        if (c.alive && c.phase === 'joining') rejoinSoon(c, 500);
    }
  }

  function onSync(c: Client, r: SyncGroupResponse, life: number): void {
    if (r.errorCode !== 'NONE') {
      onMemberError(c, r.errorCode);
      if (c.alive && c.phase === 'syncing') rejoinSoon(c, 500);
      return;
    }
    if (c.phase !== 'syncing') return;
    // Empty bytes are an empty assignment (a member the leader gave nothing), as the real client reads them.
    const assigned = (r.assignment.length === 0 ? [] : (JSON.parse(utf8Decode.decode(r.assignment)) as [string, number][])).map(([topic, partition]) => ({ topic, partition }));
    const keys = new Set(assigned.map(tpKey));
    let revoked = 0;
    for (const k of [...c.owned.keys()]) {
      if (!keys.has(k)) {
        c.owned.delete(k);
        revoked++;
      }
    }
    for (const tp of assigned) {
      const k = tpKey(tp);
      // A partition kept across generations keeps its position (cooperative); a new one waits for its committed offset.
      if (!c.owned.has(k)) c.owned.set(k, { tp, position: undefined, committed: -1 });
    }
    c.ownedGeneration = c.generation;
    c.ownedLife = life;
    c.phase = 'stable';
    if (trace) trace(`${now} ${c.name} (${c.memberId}) owns [${[...c.owned.keys()].join(',')}] in generation ${c.generation}`);
    c.nextHeartbeat = now + heartbeatIntervalMs;
    // KIP-429: a member that gave partitions up rejoins, so that they go to their new owners.
    if (cooperative && (revoked > 0 || c.rejoinAfterSync)) rejoinSoon(c);
    c.rejoinAfterSync = false;
  }

  /** What a member does with an error from the coordinator, as Kafka's AbstractCoordinator does. */
  function onMemberError(c: Client, code: string): void {
    switch (code) {
      case 'NONE':
        return;
      case 'REBALANCE_IN_PROGRESS':
        if (c.phase === 'stable') rejoinSoon(c);
        return;
      case 'UNKNOWN_MEMBER_ID':
        lose(c);
        c.memberId = '';
        c.generation = -1;
        rejoinSoon(c);
        return;
      case 'ILLEGAL_GENERATION':
        lose(c);
        c.generation = -1;
        rejoinSoon(c);
        return;
      case 'FENCED_INSTANCE_ID':
        // Fatal for the consumer. A zombie is gone for good; otherwise an orchestrator starts the process again.
        if (c.zombie) retire(c);
        else die(c, rng.between(10, 60) * stepMs);
        return;
      case 'NOT_COORDINATOR':
      case 'COORDINATOR_NOT_AVAILABLE':
      case 'COORDINATOR_LOAD_IN_PROGRESS':
        return;
      default:
        fail(`${c.name} got ${code}, which no member of this group should get`);
    }
  }

  function clientStep(c: Client): void {
    if (!c.alive) {
      if (now >= c.restartAt) restart(c);
      return;
    }
    if (now < c.pausedUntil) return;
    for (const m of c.inbox.splice(0)) onResponse(c, m.corr, m.response, m.life, m.epoch);
    if (!c.alive) return;
    for (const [corr, a] of [...c.awaiting]) {
      if (now < a.deadline) continue;
      c.awaiting.delete(corr);
      c.conn++; // the request timed out: close the connection and open another
      if (a.type === ApiKey.JoinGroup || a.type === ApiKey.SyncGroup) rejoinSoon(c);
    }
    if (c.phase === 'idle' && now >= c.rejoinAt && !inFlight(c, ApiKey.JoinGroup) && !inFlight(c, ApiKey.SyncGroup)) sendJoin(c);
    if (c.phase !== 'stable') return;
    if (now >= c.nextHeartbeat && !inFlight(c, ApiKey.Heartbeat)) {
      c.nextHeartbeat = now + heartbeatIntervalMs;
      send(c, { apiKey: ApiKey.Heartbeat, groupId, generationId: c.generation, memberId: c.memberId, groupInstanceId: c.instanceId });
    }
    for (const o of c.owned.values()) if (o.position !== undefined) o.position += rng.int(4);
    const unfetched = [...c.owned.values()].filter((o) => o.position === undefined);
    if (unfetched.length > 0 && !inFlight(c, ApiKey.OffsetFetch)) {
      const byTopic = new Map<string, number[]>();
      for (const o of unfetched) byTopic.set(o.tp.topic, [...(byTopic.get(o.tp.topic) ?? []), o.tp.partition]);
      send(c, { apiKey: ApiKey.OffsetFetch, groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) });
    }
    if (now >= c.nextCommit && !inFlight(c, ApiKey.OffsetCommit)) {
      c.nextCommit = now + commitIntervalMs;
      sendCommit(c);
    }
  }

  // ---- the admin ----
  const admin = { name: 'admin', incarnation: 0, conn: 0 };
  function adminReset(): void {
    const tp = rng.pick(allPartitions);
    const before = committedOffsets.get(tpKey(tp)) ?? 0;
    const corr = corrNext++;
    post(
      {
        toCoordinator: true,
        client: admin.name,
        incarnation: 0,
        conn: admin.conn,
        epoch,
        corr,
        request: {
          apiKey: ApiKey.OffsetCommit,
          groupId,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: tp.topic, partitions: [{ partitionIndex: tp.partition, committedOffset: Math.max(0, before - rng.int(50)), committedLeaderEpoch: -1, committedMetadata: resetMetadata }] }],
        },
      },
      deliverAt(),
    );
  }

  // ---- the network ----

  function deliver(): void {
    const due = network.filter((m) => m.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
    network = network.filter((m) => m.at > now);
    for (const m of due) {
      const key = connKey(m.client, m.incarnation, m.conn);
      if (!m.stray) {
        if (brokenConns.has(key)) continue;
        if (faults && rng.chance(loss)) {
          brokenConns.add(key);
          continue;
        }
      }
      if (m.toCoordinator) {
        const c = byName.get(m.client);
        // A closed connection's unread requests are discarded (a dead process's are not: its socket simply ends).
        if (!m.stray && c !== undefined && c.alive && c.incarnation === m.incarnation && c.conn !== m.conn) continue;
        coordinatorReceive(m);
        continue;
      }
      const c = byName.get(m.client);
      if (c === undefined || !c.alive || c.incarnation !== m.incarnation || c.conn !== m.conn) continue;
      if (now < c.pausedUntil) c.inbox.push({ corr: m.corr, response: m.response!, life: m.life ?? 0, epoch: m.epoch });
      else onResponse(c, m.corr, m.response!, m.life ?? 0, m.epoch);
    }
  }

  // ---- invariants ----

  function checkOwnership(): void {
    const byGeneration = new Map<string, Map<string, string>>();
    for (const c of clients) {
      // A zombie owns its partitions until its next request is fenced, as in Kafka.
      if (!c.alive || c.zombie) continue;
      const key = `${c.ownedLife}/${c.ownedGeneration}`;
      let owners = byGeneration.get(key);
      if (owners === undefined) byGeneration.set(key, (owners = new Map()));
      for (const k of c.owned.keys()) {
        const other = owners.get(k);
        if (other !== undefined) fail(`${k} is owned by ${other} and ${c.name} in generation ${c.ownedGeneration} (life ${c.ownedLife} of the group)`);
        owners.set(k, c.name);
      }
    }
    if (!cooperative || coordinator === undefined) return;
    // Counted: live members the coordinator holds that joined every generation since the
    // one they got their partitions in, so every leader since saw their partitions as
    // owned. Left out: members it expired or replaced, and static members kept through a
    // rebalance they missed (the leader saw old metadata, without what they own now).
    // Those are zombies, as in Kafka, fenced from committing by ILLEGAL_GENERATION,
    // UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID.
    const generation = coordinator.groupGeneration(groupId) ?? 0;
    const members = new Set(coordinator.groupMembers(groupId));
    const continuous = (c: Client): boolean => {
      const joined = joinedGenerations.get(c.memberId);
      for (let g = c.ownedGeneration + 1; g <= generation; g++) if (!joined?.has(g)) return false;
      return true;
    };
    const owners = new Map<string, string>();
    for (const c of clients) {
      if (!c.alive || c.owned.size === 0 || !members.has(c.memberId) || !continuous(c)) continue;
      for (const k of c.owned.keys()) {
        const other = owners.get(k);
        if (other !== undefined) fail(`cooperative: ${k} is owned by ${other} and ${c.name} at once`);
        owners.set(k, c.name);
      }
    }
  }

  function stabilised(): boolean {
    if (coordinator === undefined || coordinator.groupState(groupId) !== 'Stable' || metadataOutstanding()) return false;
    const generation = coordinator.groupGeneration(groupId)!;
    const members = coordinator.groupMembers(groupId);
    const live = clients.filter((c) => c.alive && !c.zombie);
    if (members.length !== live.length) return false;
    const owned = new Set<string>();
    for (const c of live) {
      if (c.phase !== 'stable' || c.ownedGeneration !== generation || !members.includes(c.memberId)) return false;
      for (const k of c.owned.keys()) owned.add(k);
    }
    return owned.size === allPartitions.length;
  }

  // ---- the run ----

  let step = 0;
  let stabilisedAfter = -1;
  for (; step < safetySteps + livenessSteps; step++) {
    now += stepMs;
    if (step === safetySteps) {
      faults = false;
      for (const c of clients) {
        if (!c.alive && !c.retired && !c.zombie) restart(c);
        c.pausedUntil = 0;
      }
      if (coordinator === undefined) {
        downUntil = now;
      }
    }
    if (faults) {
      for (const c of clients) {
        if (!c.alive) continue;
        if (rng.chance(crashRate)) {
          crashes++;
          die(c, rng.between(5, 150) * stepMs);
        } else if (rng.chance(pauseRate)) {
          // Short pauses only miss heartbeats; longer ones outlast a rebalance, or the session.
          const sessionSteps = sessionTimeoutMs / stepMs;
          const [low, high] = rng.pick([[10, 50], [50, sessionSteps], [sessionSteps, 2.5 * sessionSteps]] as const);
          c.pausedUntil = now + rng.between(low, high) * stepMs;
          if (c.instanceId !== null && !c.zombie && clients.length < clientsMax && rng.chance(0.4)) {
            // The orchestrator thinks the paused process is dead and starts another with its instance id.
            c.zombie = true;
            const replacement = newClient(`${c.instanceId}#${++replacements}`, c.instanceId);
            clients.push(replacement);
            byName.set(replacement.name, replacement);
          }
        } else if (c.instanceId === null && c.phase === 'stable' && rng.chance(leaveRate)) {
          send(c, { apiKey: ApiKey.LeaveGroup, groupId, members: [{ memberId: c.memberId, groupInstanceId: null }] });
          die(c, rng.between(20, 150) * stepMs);
        }
      }
      if (coordinator !== undefined && rng.chance(failoverRate)) failover();
      if (rng.chance(resetRate)) adminReset();
    }
    if (coordinator === undefined && now >= downUntil) coordinatorUp();
    deliver();
    if (coordinator !== undefined) emit(coordinator.tick(now));
    commitRecords();
    for (const c of clients) clientStep(c);
    commitRecords();
    checkOwnership();
    if (step % 25 === 0) checkReplay();
    if (!faults && stabilised()) {
      stabilisedAfter = step - safetySteps;
      break;
    }
  }
  if (stabilisedAfter < 0) {
    const state = coordinator?.groupState(groupId);
    const detail = clients.map((c) => `${c.name}:${c.alive ? c.phase : 'dead'}@${c.ownedGeneration}[${[...c.owned.keys()].join(',')}]`).join(' ');
    fail(`the group did not stabilise within ${livenessSteps} steps after faults stopped (coordinator: ${state} generation ${coordinator?.groupGeneration(groupId)}, members ${coordinator?.groupMembers(groupId).length}; ${detail})`);
  }
  checkReplay();
  return {
    seed,
    assignor,
    members: clientCount,
    staticMembers: staticCount,
    partitions: allPartitions.length,
    steps: step + 1,
    generation: coordinator!.groupGeneration(groupId)!,
    failovers,
    crashes,
    commits,
    resets,
    fencedCommits,
    stabilisedAfter,
  };
}
