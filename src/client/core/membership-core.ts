/**
 * A consumer group member's membership as a core: Kafka's `AbstractCoordinator` state
 * machine (with `ConsumerCoordinator`'s rebalance steps), synchronous and without I/O. It
 * takes time and events (an answer arrived, a request failed, a timer fired, a step the
 * shell ran finished, the subscription changed, the member closed or asked to leave) and
 * returns what to do next (`MembershipAction`s): requests to send with their timeouts, the
 * rebalance steps to run (`revoke`, `lose`, `assign`), timers it wants, and what to report. No timers,
 * transport, promises or clock reads here: `ConsumerCoordinator` (the shell) sends, runs the
 * steps (they await the application's handlers, commits and OffsetFetch), keeps the timers on
 * the member's clock, and feeds every outcome back.
 *
 * The join sequence, as Kafka's (docs/design/consumer-groups.md has the diagram):
 *
 * 1. `lose` what a fenced generation took away (`lostNeeded`), then, eager only, `revoke`
 *    everything (cooperative members keep consuming through the rebalance, KIP-429);
 * 2. find the coordinator (FindCoordinator, one lookup shared by every caller, retried with
 *    backoff), resolve the subscribed topics (`resolve-topics`);
 * 3. JoinGroup (`PREPARING_REBALANCE`); MEMBER_ID_REQUIRED (KIP-394) joins again at once
 *    with the id given; a cooperative member that missed a generation `lose`s what it owns;
 * 4. the leader's assignment (`compute-assignment`), SyncGroup (`COMPLETING_REBALANCE`);
 * 5. `STABLE`: heartbeat at once, `revoke` what the assignment lacks, then `assign` what it
 *    adds; a cooperative member whose claimed partitions were withheld joins once more.
 *
 * Any failure of a step goes through `joinFailureOutcome`: fatal, again at once, or again
 * after a backoff (finding the coordinator again first on coordinator errors). Heartbeats run
 * beside the join whenever the member is not between JoinGroup and SyncGroup's answer, and
 * their answers (`heartbeatOutcome`) ask for a rejoin, a rejoin with the partitions lost,
 * the coordinator again, or end the member (FENCED_INSTANCE_ID).
 *
 * Contract for the shell: run every action of a returned list, in order; hand every answer
 * or failure of a `send` back (`answered` / `requestFailed`, with its `id`), every timer that
 * fires (`timerFired`; a timer of the same name replaces the one before), and the end of
 * every step (`revokeDone`, `loseDone`, `assignDone`, `topicsResolved`,
 * `assignmentComputed`, `subscriptionChecked`, `leaveRevokeDone`, or `stepFailed`). The partitions a `lose`
 * names are no longer owned when it is returned; a `revoke`'s are dropped by
 * `partitionsRevoked`, an `assign`'s become owned by `partitionsTaken` once their offsets
 * are known, both called by the shell in the middle of the step.
 * @internal
 */
import { ApiKey } from '../../protocol/api-keys.js';
import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  SyncGroupRequest,
  SyncGroupRequestAssignment,
  SyncGroupResponse,
} from '../../protocol/group.js';
import type { ErrorCode } from '../../util/error-codes.js';
import { TributaryError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { backoffMs } from './backoff.js';
import { assignmentChange, coordinatorErrors, heartbeatOutcome, joinFailureOutcome, type TopicPartition } from './membership.js';

/** What the core needs to know of the member's options. */
export interface MembershipConfig {
  readonly groupId: string;
  readonly groupInstanceId: string | null;
  /** The assignor named in JoinGroup. */
  readonly assignor: string;
  /** KIP-429: keep consuming through a rebalance, revoke only what moves. */
  readonly cooperative: boolean;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly metadataMaxAgeMs: number;
  /** The in-process member's host for the coordinator's records (`inProcessClientHost`), if any. */
  readonly clientHost: string | undefined;
}

/** A subscription as the JoinGroup carries it (Kafka's `ConsumerProtocolSubscription`, before encoding). */
export interface SubscriptionData {
  readonly topics: readonly string[];
  readonly userData: null;
  readonly ownedPartitions: readonly TopicPartition[];
  readonly generationId: number;
  readonly rackId: null;
}

/** What the core asks of its surroundings, all pure: the nodes to ask first, the subscription codec, the seeded random source of the backoffs' jitter. */
export interface MembershipEnv {
  /** The nodes a FindCoordinator may go to, tried in turn. */
  readonly bootstrapNodes: () => readonly number[];
  /** Kafka's `ConsumerProtocol` subscription bytes. */
  readonly encodeSubscription: (subscription: SubscriptionData) => Uint8Array;
  /** Kafka's `ConsumerProtocol` assignment bytes, decoded (throws `TributaryError('CORRUPT_MESSAGE')` on bad bytes). */
  readonly decodeAssignment: (bytes: Uint8Array) => readonly TopicPartition[];
  /** The jitter of every backoff (Kafka's exponential backoff, 50 ms doubling to 1 s, ±20%). */
  readonly rng: Rng;
}

export type MembershipRequest = FindCoordinatorRequest | JoinGroupRequest | SyncGroupRequest | HeartbeatRequest | LeaveGroupRequest;

/** The timers the core asks for; one of each at a time. */
export type MembershipTimer = 'heartbeat-now' | 'join-backoff' | 'lookup-backoff' | 'metadata-check';

/** One thing to do; the shell runs a returned list in order. */
export type MembershipAction =
  /** Send `request` to `node`; fail it after `timeoutMs` (`what` names it in the error). */
  | { readonly kind: 'send'; readonly id: number; readonly node: number; readonly request: MembershipRequest; readonly timeoutMs: number; readonly what: string }
  | { readonly kind: 'timer'; readonly timer: MembershipTimer; readonly afterMs: number }
  /** Stop handing these out, wait for the record in flight, run the `revoked` handlers, commit; then `revokeDone`. */
  | { readonly kind: 'revoke'; readonly partitions: readonly TopicPartition[] }
  /** Leaving: run the `revoked` handlers and commit (the record in flight is already done); then `leaveRevokeDone`. */
  | { readonly kind: 'leave-revoke'; readonly partitions: readonly TopicPartition[] }
  /** The member left (LeaveGroup answered, failed, or not needed): it owns nothing. */
  | { readonly kind: 'left' }
  /** Already dropped: run the `lost` handlers; then `loseDone`. */
  | { readonly kind: 'lose'; readonly partitions: readonly TopicPartition[] }
  /** Fetch their committed offsets (`partitionsTaken`), seek, run the `assigned` handlers; then `assignDone`. */
  | { readonly kind: 'assign'; readonly partitions: readonly TopicPartition[] }
  /** The topics the subscription names now (a pattern is resolved against the cluster); then `topicsResolved`. */
  | { readonly kind: 'resolve-topics' }
  /** The leader's step: decode the members' subscriptions, run the assignor; then `assignmentComputed`. */
  | { readonly kind: 'compute-assignment'; readonly join: JoinGroupResponse }
  /** Whether the subscribed topics or the leader's partition counts changed; then `subscriptionChecked`. */
  | { readonly kind: 'check-subscription' }
  /** A generation's assignment taken (what it revoked is gone; what it adds comes next): report it. */
  | { readonly kind: 'rebalanced'; readonly generationId: number; readonly memberId: string; readonly assigned: readonly TopicPartition[] }
  /** A join completed: `whenJoined` resolves. */
  | { readonly kind: 'joined' }
  /** The coordinator is known (requests waiting for it go), or the lookup ended with `error`. */
  | { readonly kind: 'coordinator'; readonly node: number }
  | { readonly kind: 'coordinator-failed'; readonly error: TributaryError }
  /** The member must end (FENCED_INSTANCE_ID, a fatal join error). */
  | { readonly kind: 'fatal'; readonly error: TributaryError };

/**
 * Where the join sequence is. `watching` waits for a rejoin or the next subscription check;
 * `ended` after a fatal join error; `idle` before `start` and after the member closed.
 */
export type JoinStep =
  | 'idle'
  | 'watching'
  | 'checking'
  | 'backoff'
  | 'losing'
  | 'revoking'
  | 'finding'
  | 'resolving'
  | 'joining'
  | 'losing-gap'
  | 'assigning'
  | 'syncing'
  | 'taking-revoke'
  | 'taking-assign'
  | 'ended';

/** Kafka's `AbstractCoordinator.MemberState`. */
export type MemberState = 'UNJOINED' | 'PREPARING_REBALANCE' | 'COMPLETING_REBALANCE' | 'STABLE';

const tpKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

const none: MembershipAction[] = [];

export class MembershipCore {
  /** The owned partitions, by `topic\u0000partition` (the shell's `tpKey`). */
  readonly owned = new Map<string, TopicPartition>();
  coordinatorId: number | undefined;
  memberId = '';
  /** The generation of the last completed SyncGroup (-1 before one). A failed join keeps it. */
  generation = -1;
  /** The generation the owned partitions were last confirmed in. */
  ownedGeneration = -1;
  /** Rebalances completed (JoinGroup + SyncGroup). */
  rebalances = 0;
  /** The topics of the last JoinGroup's subscription. */
  subscribedTopics: readonly string[] = [];
  /** The leader's partition counts of the topics it assigned last (empty when not the leader). */
  assignedCounts: ReadonlyMap<string, number> = new Map();
  private closed = false;
  private leaving = false;
  private leaveRequestId = 0;
  private rejoinNeeded = true;
  private lostNeeded = false;
  private stepValue: JoinStep = 'idle';
  private failures = 0;
  private checkedAtMs = 0;
  private nextId = 1;

  // The join under way.
  private joinNode = -1;
  private joinRequestId = 0;
  private syncRequestId = 0;
  private claimed: readonly TopicPartition[] = [];
  private joinAnswer: JoinGroupResponse | undefined;
  private assigned: readonly TopicPartition[] = [];
  private adding: readonly TopicPartition[] = [];

  // The coordinator lookup (one at a time, shared by the join, heartbeats and the shell's commits).
  private lookupAttempt: number | undefined;
  private lookupRequestId = 0;

  // The heartbeat.
  private heartbeatInFlight = false;
  private heartbeatWaiting = false;
  private heartbeatRequestId = 0;
  private heartbeatSentAtMs = 0;
  private heartbeatGeneration = -1;

  constructor(
    private readonly config: MembershipConfig,
    private readonly env: MembershipEnv,
  ) {}

  get step(): JoinStep {
    return this.stepValue;
  }

  /** Kafka's name for where the member is. */
  get state(): MemberState {
    const s = this.stepValue;
    if (s === 'joining') return 'PREPARING_REBALANCE';
    if (s === 'losing-gap' || s === 'assigning' || s === 'syncing') return 'COMPLETING_REBALANCE';
    return this.generation >= 0 ? 'STABLE' : 'UNJOINED';
  }

  /** The owned partitions, sorted. */
  assignment(): TopicPartition[] {
    return [...this.owned.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  // ------------------------------------------------------------------ events

  /** The member starts: its first join. */
  start(now: number): MembershipAction[] {
    this.checkedAtMs = now;
    return this.next(now);
  }

  /** The member closed or was killed: no new join, heartbeat or backoff; a lookup in its backoff asks once more, now. */
  stop(now: number): MembershipAction[] {
    if (this.closed) return none;
    this.closed = true;
    const s = this.stepValue;
    if (s === 'watching' || s === 'backoff' || s === 'checking') this.stepValue = 'idle';
    if (this.lookupAttempt !== undefined && this.lookupRequestId === 0) return this.lookup(now);
    return none;
  }

  /** Heartbeat now (the interval timer, or the `heartbeat-now` timer). */
  heartbeat(now: number): MembershipAction[] {
    if (this.closed || !this.heartbeatAllowed() || this.heartbeatInFlight || this.generation < 0) return none;
    this.heartbeatInFlight = true;
    // A coordinator error forgot the coordinator: find it again here, as Kafka's heartbeat
    // thread does. Nothing else would while the member has nothing to commit, and it would
    // own its partitions for good after the group moved on (node simulation seed 76).
    if (this.coordinatorId === undefined) {
      this.heartbeatWaiting = true;
      return this.needCoordinator(now);
    }
    return [this.sendHeartbeat(this.coordinatorId, now)];
  }

  /** The coordinator must be found (a request to it met a coordinator error, or the shell needs it for a commit). */
  needCoordinator(now: number): MembershipAction[] {
    if (this.coordinatorId !== undefined) return this.coordinatorKnown(this.coordinatorId, now);
    if (this.lookupAttempt !== undefined) return none;
    this.lookupAttempt = 0;
    return this.lookup(now);
  }

  /** A request to the coordinator met a coordinator error: find it again next time. */
  coordinatorUnknown(): void {
    this.coordinatorId = undefined;
  }

  /** Kafka's `requestRejoin`: a rebalance is due (`lost`: the partitions were taken away). */
  requestRejoin(lost: boolean, now: number): MembershipAction[] {
    this.rejoinNeeded = true;
    if (lost) this.lostNeeded = true;
    return this.stepValue === 'watching' ? this.next(now) : none;
  }

  timerFired(timer: MembershipTimer, now: number): MembershipAction[] {
    switch (timer) {
      case 'heartbeat-now':
        return this.heartbeat(now);
      case 'join-backoff':
        return this.stepValue === 'backoff' ? this.next(now) : none;
      case 'lookup-backoff':
        if (this.lookupAttempt === undefined || this.lookupRequestId !== 0) return none;
        return this.lookup(now);
      case 'metadata-check':
        if (this.stepValue !== 'watching') return none;
        if (now - this.checkedAtMs < this.config.metadataMaxAgeMs) return this.watch(now);
        this.checkedAtMs = now;
        this.stepValue = 'checking';
        return [{ kind: 'check-subscription' }];
    }
  }

  /** A `send`'s answer. */
  answered(id: number, response: unknown, now: number): MembershipAction[] {
    if (id === this.leaveRequestId) return this.left();
    if (id === this.lookupRequestId) return this.lookupAnswered(response as FindCoordinatorResponse, now);
    if (id === this.heartbeatRequestId) return this.heartbeatAnswered(response as HeartbeatResponse, now);
    if (id === this.joinRequestId) return this.joinAnswered(response as JoinGroupResponse, now);
    if (id === this.syncRequestId) return this.syncAnswered(response as SyncGroupResponse, now);
    return none;
  }

  /** A `send` failed (no answer in time, the connection broke, ...). */
  requestFailed(id: number, error: TributaryError, now: number): MembershipAction[] {
    if (id === this.leaveRequestId) return this.left();
    if (id === this.lookupRequestId) {
      this.lookupRequestId = 0;
      return error.retriable ? this.lookupRetry(now) : this.lookupFailed(error, now);
    }
    if (id === this.heartbeatRequestId) {
      this.heartbeatRequestId = 0;
      this.heartbeatInFlight = false;
      if (coordinatorErrors.has(error.code)) this.coordinatorId = undefined;
      return none;
    }
    if (id === this.joinRequestId || id === this.syncRequestId) {
      this.joinRequestId = 0;
      this.syncRequestId = 0;
      return this.joinFailed(error, now);
    }
    return none;
  }

  /** SyncGroup answered: the generation is taken; bytes that do not decode make the member join again. */
  private syncAnswered(response: SyncGroupResponse, now: number): MembershipAction[] {
    if (this.stepValue !== 'syncing') return none;
    this.syncRequestId = 0;
    const code = response.errorCode;
    if (code === 'UNKNOWN_MEMBER_ID') {
      this.memberId = '';
      this.lostNeeded = true;
    }
    if (code === 'ILLEGAL_GENERATION') this.lostNeeded = true;
    if (code !== 'NONE') return this.joinFailed(new TributaryError(code, `SyncGroup of group ${this.config.groupId}: ${code}`), now);
    const join = this.joinAnswer!;
    this.generation = join.generationId;
    this.rejoinNeeded = false;
    this.stepValue = 'taking-revoke';
    this.rebalances++;
    // Heartbeat at once in the new generation: a coordinator that holds heartbeats then has
    // one waiting to bring news of the next rebalance.
    const out: MembershipAction[] = [{ kind: 'timer', timer: 'heartbeat-now', afterMs: 0 }];
    let assigned: readonly TopicPartition[];
    try {
      assigned = this.env.decodeAssignment(response.assignment);
    } catch (err) {
      const error = err instanceof TributaryError ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err), { cause: err });
      return [...out, ...this.joinFailed(error, now, true)];
    }
    // What the subscription claimed, against what the leader gave (KIP-429).
    const { revoked, added, rejoin } = assignmentChange(this.assignment(), assigned, this.claimed, this.config.cooperative);
    if (rejoin) this.rejoinNeeded = true;
    this.assigned = assigned;
    this.adding = added;
    if (revoked.length > 0) {
      out.push({ kind: 'revoke', partitions: revoked });
      return out;
    }
    return [...out, ...this.afterTakeRevoke(now)];
  }

  /** The `revoke` step gave its partitions up (their handlers ran, they were committed): they are no longer owned. */
  partitionsRevoked(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.owned.delete(tpKey(tp));
  }

  /** The `revoke` step finished. */
  revokeDone(now: number): MembershipAction[] {
    if (this.stepValue === 'revoking') return this.closed ? this.end() : this.find(now);
    if (this.stepValue === 'taking-revoke') return this.afterTakeRevoke(now);
    return none;
  }

  /** The `lose` step finished. */
  loseDone(now: number): MembershipAction[] {
    if (this.closed) return this.stepValue === 'losing' || this.stepValue === 'losing-gap' ? this.end() : none;
    if (this.stepValue === 'losing') return this.afterLose(now);
    if (this.stepValue === 'losing-gap') return this.afterGap(now);
    return none;
  }

  /** The `assign` step knows the partitions' offsets: they are owned from now on. */
  partitionsTaken(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.owned.set(tpKey(tp), tp);
  }

  /** The `assign` step finished: the join is complete. */
  assignDone(now: number): MembershipAction[] {
    if (this.stepValue !== 'taking-assign') return none;
    return this.joinSucceeded(now);
  }

  /** The `resolve-topics` step's answer. */
  topicsResolved(topics: readonly string[]): MembershipAction[] {
    if (this.stepValue !== 'resolving') return none;
    if (this.closed) return this.end();
    this.subscribedTopics = topics;
    const c = this.config;
    // What the subscription claims: the leader's plan withholds from others whatever is claimed.
    this.claimed = c.cooperative ? this.assignment() : [];
    const metadata = this.env.encodeSubscription({ topics, userData: null, ownedPartitions: this.claimed, generationId: c.cooperative ? this.ownedGeneration : -1, rackId: null });
    this.stepValue = 'joining';
    const request: JoinGroupRequest = {
      apiKey: ApiKey.JoinGroup,
      groupId: c.groupId,
      sessionTimeoutMs: c.sessionTimeoutMs,
      rebalanceTimeoutMs: c.rebalanceTimeoutMs,
      memberId: this.memberId,
      groupInstanceId: c.groupInstanceId,
      protocolType: 'consumer',
      protocols: [{ name: c.assignor, metadata }],
      reason: null,
      ...(c.clientHost !== undefined ? { clientHost: c.clientHost } : {}),
    };
    this.joinRequestId = this.nextId++;
    return [{ kind: 'send', id: this.joinRequestId, node: this.joinNode, request, timeoutMs: c.rebalanceTimeoutMs + c.requestTimeoutMs, what: 'JoinGroup' }];
  }

  /** The leader's assignment, encoded per member, and the partition counts it was made from. */
  assignmentComputed(assignments: readonly SyncGroupRequestAssignment[], counts: ReadonlyMap<string, number>): MembershipAction[] {
    if (this.stepValue !== 'assigning') return none;
    if (this.closed) return this.end();
    this.assignedCounts = counts;
    return this.sync(assignments);
  }

  /** The `check-subscription` step's answer. */
  subscriptionChecked(changed: boolean, now: number): MembershipAction[] {
    if (this.stepValue !== 'checking') return none;
    if (changed) this.rejoinNeeded = true;
    return this.next(now);
  }

  /** A step the shell ran for the join (any but `check-subscription`) failed: the join failed. */
  stepFailed(error: TributaryError, now: number): MembershipAction[] {
    const s = this.stepValue;
    if (s !== 'losing' && s !== 'revoking' && s !== 'resolving' && s !== 'losing-gap' && s !== 'assigning' && s !== 'taking-revoke' && s !== 'taking-assign') return none;
    return this.joinFailed(error, now, s === 'taking-revoke' || s === 'taking-assign');
  }

  /**
   * Leave asked (close, after `stop` and once the record in flight is done): the `revoked`
   * handlers and a commit for what it owns (`leave-revoke`), then a LeaveGroup (not for a
   * static member, which keeps its place for its session), then `left`.
   */
  leave(): MembershipAction[] {
    if (this.leaving) return none;
    this.leaving = true;
    const owned = this.assignment();
    if (owned.length > 0 && this.generation >= 0) return [{ kind: 'leave-revoke', partitions: owned }];
    return this.leaveGroup();
  }

  /** The `leave-revoke` step finished. */
  leaveRevokeDone(): MembershipAction[] {
    return this.leaving ? this.leaveGroup() : none;
  }

  private leaveGroup(): MembershipAction[] {
    const c = this.config;
    if (this.memberId === '' || c.groupInstanceId !== null || this.coordinatorId === undefined) return this.left();
    this.leaveRequestId = this.nextId++;
    const request: LeaveGroupRequest = { apiKey: ApiKey.LeaveGroup, groupId: c.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is closing' }] };
    return [{ kind: 'send', id: this.leaveRequestId, node: this.coordinatorId, request, timeoutMs: c.requestTimeoutMs, what: 'LeaveGroup' }];
  }

  private left(): MembershipAction[] {
    this.leaveRequestId = 0;
    this.owned.clear();
    return [{ kind: 'left' }];
  }

  // ------------------------------------------------------------------ the join sequence

  /** Kafka's `ensureActiveGroup` loop: join when needed, otherwise watch the subscription. */
  private next(now: number): MembershipAction[] {
    if (this.closed) return this.end();
    if (this.rejoinNeeded) return this.startJoin(now);
    return this.watch(now);
  }

  private watch(now: number): MembershipAction[] {
    this.stepValue = 'watching';
    return [{ kind: 'timer', timer: 'metadata-check', afterMs: Math.max(1, this.config.metadataMaxAgeMs - (now - this.checkedAtMs)) }];
  }

  private end(): MembershipAction[] {
    this.stepValue = 'idle';
    return none;
  }

  private startJoin(now: number): MembershipAction[] {
    if (this.lostNeeded) {
      this.lostNeeded = false;
      const lost = this.assignment();
      if (lost.length > 0) {
        for (const tp of lost) this.owned.delete(tpKey(tp));
        this.stepValue = 'losing';
        return [{ kind: 'lose', partitions: lost }];
      }
    }
    return this.afterLose(now);
  }

  private afterLose(now: number): MembershipAction[] {
    // Eager protocols give everything up before rejoining; cooperative keeps consuming.
    if (!this.config.cooperative && this.owned.size > 0) {
      this.stepValue = 'revoking';
      return [{ kind: 'revoke', partitions: this.assignment() }];
    }
    return this.find(now);
  }

  private find(now: number): MembershipAction[] {
    this.stepValue = 'finding';
    return this.needCoordinator(now);
  }

  private joinAnswered(join: JoinGroupResponse, now: number): MembershipAction[] {
    if (this.stepValue !== 'joining') return none;
    this.joinRequestId = 0;
    const c = this.config;
    const code = join.errorCode;
    if (code === 'MEMBER_ID_REQUIRED') {
      this.memberId = join.memberId;
      return this.joinFailed(new TributaryError('MEMBER_ID_REQUIRED', 'rejoin with the member id given'), now);
    }
    if (code === 'FENCED_INSTANCE_ID') return this.joinFailed(new TributaryError(code, `another member took group.instance.id ${c.groupInstanceId}`), now);
    if (code === 'UNKNOWN_MEMBER_ID') {
      this.memberId = '';
      this.lostNeeded = true;
    }
    if (code !== 'NONE') return this.joinFailed(new TributaryError(code, `JoinGroup of group ${c.groupId}: ${code}`), now);
    this.memberId = join.memberId;
    if (this.closed) return this.end();
    this.joinAnswer = join;
    if (c.cooperative && this.owned.size > 0 && join.generationId !== this.ownedGeneration + 1) {
      // A generation passed without us: what we owned may have been given to others.
      const lost = this.assignment();
      for (const tp of lost) this.owned.delete(tpKey(tp));
      this.stepValue = 'losing-gap';
      return [{ kind: 'lose', partitions: lost }];
    }
    return this.afterGap(now);
  }

  private afterGap(now: number): MembershipAction[] {
    const join = this.joinAnswer!;
    if (join.leader === join.memberId && join.skipAssignment !== true) {
      this.stepValue = 'assigning';
      return [{ kind: 'compute-assignment', join }];
    }
    this.assignedCounts = new Map();
    return this.sync([]);
  }

  private sync(assignments: readonly SyncGroupRequestAssignment[]): MembershipAction[] {
    const c = this.config;
    const join = this.joinAnswer!;
    this.stepValue = 'syncing';
    this.syncRequestId = this.nextId++;
    const request: SyncGroupRequest = { apiKey: ApiKey.SyncGroup, groupId: c.groupId, generationId: join.generationId, memberId: join.memberId, groupInstanceId: c.groupInstanceId, protocolType: 'consumer', protocolName: join.protocolName, assignments };
    return [{ kind: 'send', id: this.syncRequestId, node: this.joinNode, request, timeoutMs: c.rebalanceTimeoutMs + c.requestTimeoutMs, what: 'SyncGroup' }];
  }

  private afterTakeRevoke(now: number): MembershipAction[] {
    const generationId = this.joinAnswer!.generationId;
    this.ownedGeneration = generationId;
    // A member that closed meanwhile takes nothing new: `leave` gives up what it owns.
    if (this.closed) return this.end();
    // Reported before the new partitions are taken: records of them may be handed out (and
    // the group closed) while `assign` still runs, and the event must come first.
    const out: MembershipAction[] = [{ kind: 'rebalanced', generationId, memberId: this.memberId, assigned: this.assigned }];
    if (this.adding.length > 0) {
      this.stepValue = 'taking-assign';
      out.push({ kind: 'assign', partitions: this.adding });
      return out;
    }
    return [...out, ...this.joinSucceeded(now)];
  }

  private joinSucceeded(now: number): MembershipAction[] {
    this.failures = 0;
    return [{ kind: 'joined' }, ...this.next(now)];
  }

  /** Kafka's join failure handling: `joinFailureOutcome` says end, again at once, or again after a backoff. */
  private joinFailed(error: TributaryError, now: number, taking = false): MembershipAction[] {
    if (taking) this.rejoinNeeded = true;
    if (this.closed) return this.end();
    const outcome = joinFailureOutcome(error.code, error.retriable);
    if (outcome.next === 'fatal') {
      this.stepValue = 'ended';
      return [{ kind: 'fatal', error }];
    }
    if (outcome.findCoordinator) this.coordinatorId = undefined;
    if (outcome.next === 'backoff') {
      this.stepValue = 'backoff';
      return [{ kind: 'timer', timer: 'join-backoff', afterMs: this.backoff(this.failures++) }];
    }
    return this.next(now);
  }

  /** How long to wait before retry number `attempts` (0 first), as the shell's commits do. */
  private backoff(attempts: number): number {
    return backoffMs(attempts, 50, 1000, this.env.rng);
  }

  // ------------------------------------------------------------------ the coordinator

  private lookup(now: number): MembershipAction[] {
    const attempt = this.lookupAttempt!;
    const nodes = this.env.bootstrapNodes();
    const node = nodes[attempt % Math.max(1, nodes.length)];
    if (node === undefined) return this.lookupRetry(now);
    this.lookupRequestId = this.nextId++;
    const request: FindCoordinatorRequest = { apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: [this.config.groupId] };
    return [{ kind: 'send', id: this.lookupRequestId, node, request, timeoutMs: this.config.requestTimeoutMs, what: 'FindCoordinator' }];
  }

  private lookupAnswered(res: FindCoordinatorResponse, now: number): MembershipAction[] {
    this.lookupRequestId = 0;
    const c = res.coordinators[0];
    if (c !== undefined && c.errorCode === 'NONE') {
      this.coordinatorId = c.nodeId;
      return this.coordinatorKnown(c.nodeId, now);
    }
    if (c !== undefined && c.errorCode === 'INVALID_GROUP_ID') return this.lookupFailed(new TributaryError('INVALID_GROUP_ID', `group id ${JSON.stringify(this.config.groupId)} is invalid`), now);
    return this.lookupRetry(now);
  }

  private lookupRetry(now: number): MembershipAction[] {
    // A closing member asks once (for its last commit), and does not wait to ask again.
    if (this.closed) return this.lookupFailed(new TributaryError('CLIENT_CLOSED', 'the consumer group is closed'), now);
    const attempt = this.lookupAttempt!;
    this.lookupAttempt = attempt + 1;
    return [{ kind: 'timer', timer: 'lookup-backoff', afterMs: this.backoff(attempt) }];
  }

  private coordinatorKnown(node: number, now: number): MembershipAction[] {
    this.lookupAttempt = undefined;
    const out: MembershipAction[] = [{ kind: 'coordinator', node }];
    if (this.heartbeatWaiting) {
      this.heartbeatWaiting = false;
      if (this.closed || !this.heartbeatAllowed()) this.heartbeatInFlight = false;
      else out.push(this.sendHeartbeat(node, now));
    }
    if (this.stepValue === 'finding') {
      if (this.closed) {
        this.end();
      } else {
        this.joinNode = node;
        this.stepValue = 'resolving';
        out.push({ kind: 'resolve-topics' });
      }
    }
    return out;
  }

  private lookupFailed(error: TributaryError, now: number): MembershipAction[] {
    this.lookupAttempt = undefined;
    const out: MembershipAction[] = [{ kind: 'coordinator-failed', error }];
    if (this.heartbeatWaiting) {
      this.heartbeatWaiting = false;
      this.heartbeatInFlight = false;
    }
    if (this.stepValue === 'finding') out.push(...this.joinFailed(error, now));
    return out;
  }

  // ------------------------------------------------------------------ heartbeats

  /** Heartbeats go while the member is not between its JoinGroup and the SyncGroup's answer. */
  private heartbeatAllowed(): boolean {
    const s = this.stepValue;
    return this.generation >= 0 && s !== 'joining' && s !== 'losing-gap' && s !== 'assigning' && s !== 'syncing';
  }

  private sendHeartbeat(node: number, now: number): MembershipAction {
    const c = this.config;
    this.heartbeatSentAtMs = now;
    this.heartbeatGeneration = this.generation;
    this.heartbeatRequestId = this.nextId++;
    const request: HeartbeatRequest = { apiKey: ApiKey.Heartbeat, groupId: c.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: c.groupInstanceId };
    return { kind: 'send', id: this.heartbeatRequestId, node, request, timeoutMs: c.sessionTimeoutMs, what: 'Heartbeat' };
  }

  private heartbeatAnswered(res: HeartbeatResponse, now: number): MembershipAction[] {
    this.heartbeatRequestId = 0;
    this.heartbeatInFlight = false;
    if (this.generation !== this.heartbeatGeneration || !this.heartbeatAllowed()) return none;
    // What the answer means is `heartbeatOutcome`'s; this does it.
    const outcome = heartbeatOutcome(res.errorCode as ErrorCode, now - this.heartbeatSentAtMs, this.config.heartbeatIntervalMs);
    switch (outcome.kind) {
      case 'stay':
        return outcome.again && !this.closed ? [{ kind: 'timer', timer: 'heartbeat-now', afterMs: 0 }] : none;
      case 'rejoin':
      case 'rejoin-lost':
        return this.requestRejoin(outcome.kind === 'rejoin-lost', now);
      case 'fenced':
        return [{ kind: 'fatal', error: new TributaryError('FENCED_INSTANCE_ID', `another member took group.instance.id ${this.config.groupInstanceId}`) }];
      case 'find-coordinator':
        this.coordinatorId = undefined;
        return none;
    }
  }
}
