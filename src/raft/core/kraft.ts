import { assert } from '../../util/assert.js';
import type { Rng } from '../../util/rng.js';

/**
 * A pure Raft core in KRaft's style: epochs, pre-vote, pull-based replication (followers
 * fetch; the leader's answers carry its high watermark or where the follower's log
 * diverged), a leader-change entry that must commit before anything of the epoch counts,
 * check-quorum, snapshots, and observers that follow the log without voting.
 *
 * The contract (etcd's `Ready`): drive the core with `tick()`, `step(message)` and
 * `propose(data)`; then take `ready()`, which hands over everything pending, and, in this
 * order,
 *   1. persist `hardState` and apply `truncateTo`, `snapshot` and `entries` to stable
 *      storage, durably (fsync),
 *   2. send `messages`,
 *   3. apply `committed` to the state machine (and, if `snapshot` is set, restore the state
 *      machine from it first).
 * A crash may happen anywhere in between: what was not persisted is lost, and messages
 * not sent are lost, which Raft tolerates. No timers, files, sockets or promises in here; time is ticks,
 * randomness the injected `Rng`.
 */
export type NodeId = number;

export interface Entry {
  readonly offset: number;
  readonly epoch: number;
  /** The proposal, or null for the leader-change entry a new leader appends. */
  readonly data: Uint8Array | null;
}

export interface SnapshotMeta {
  /** The first offset the snapshot does not contain. */
  readonly endOffset: number;
  /** The epoch of the entry at endOffset - 1. */
  readonly epoch: number;
}

export interface Snapshot extends SnapshotMeta {
  readonly data: Uint8Array;
}

export interface HardState {
  readonly epoch: number;
  readonly votedFor: NodeId;
}

export type Message =
  | { type: 'vote'; from: NodeId; to: NodeId; epoch: number; lastEpoch: number; endOffset: number; preVote: boolean }
  | { type: 'voteResponse'; from: NodeId; to: NodeId; epoch: number; granted: boolean; preVote: boolean; leaderId: NodeId; leaderEpoch: number }
  | { type: 'beginEpoch'; from: NodeId; to: NodeId; epoch: number }
  /** `highWatermark`: the fetcher's own; a caught-up fetcher that knows the leader's is parked (long poll). */
  | { type: 'fetch'; from: NodeId; to: NodeId; epoch: number; fetchOffset: number; lastFetchedEpoch: number; highWatermark: number }
  | {
      type: 'fetchResponse';
      from: NodeId;
      to: NodeId;
      epoch: number;
      leaderId: NodeId;
      /** Offset the entries start at (the fetch offset). */
      fetchOffset: number;
      /** The fetch's last fetched epoch: with `fetchOffset`, names the log state it answers. */
      lastFetchedEpoch: number;
      entries: Entry[];
      highWatermark: number;
      diverging?: { epoch: number; endOffset: number };
      snapshotId?: SnapshotMeta;
    }
  /** `fetchOffset` and `lastFetchedEpoch` name the requester's log, echoed in the answer. */
  | { type: 'fetchSnapshot'; from: NodeId; to: NodeId; epoch: number; snapshotId: SnapshotMeta; fetchOffset: number; lastFetchedEpoch: number }
  | { type: 'fetchSnapshotResponse'; from: NodeId; to: NodeId; epoch: number; snapshot: Snapshot | null; fetchOffset: number; lastFetchedEpoch: number };

export type Role = 'follower' | 'prospective' | 'candidate' | 'leader' | 'observer';

export interface Ready {
  readonly hardState?: HardState;
  /** Drop every entry at or above this offset before appending `entries`. */
  readonly truncateTo?: number;
  /** Install this snapshot (log restarts after it) before appending `entries`. */
  readonly snapshot?: Snapshot;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committed: readonly Entry[];
}

export interface RaftConfig {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  readonly rng: Rng;
  /** Election timeout in ticks; each timeout is drawn from [electionTicks, 2 x electionTicks). */
  readonly electionTicks: number;
  /** A leader resigns if a majority has not fetched within this many ticks (check-quorum). */
  readonly checkQuorumTicks: number;
  /** The most entries one fetch response carries. */
  readonly fetchEntriesMax: number;
  /**
   * Long polling: the leader holds a fetch from a caught-up fetcher that already knows its
   * high watermark for up to this many ticks, answering at once when entries are appended
   * or the high watermark moves (KRaft parks fetches the same way). 0 answers at once.
   * Default 0. A fetcher resends a fetch unanswered for `fetchParkTicks + 3` ticks;
   * keep it well below the election timeout.
   */
  readonly fetchParkTicks?: number;
}

/** What a restarted node read back from stable storage. */
export interface PersistedState {
  readonly hardState?: HardState;
  readonly snapshot?: Snapshot;
  readonly entries?: readonly Entry[];
}

export class RaftCore {
  readonly id: NodeId;
  private readonly voters: ReadonlySet<NodeId>;
  private readonly rng: Rng;
  private readonly config: RaftConfig;

  role: Role;
  epoch = 0;
  votedFor: NodeId = -1;
  leaderId: NodeId = -1;
  highWatermark = 0;

  /** The log: `entries[i]` is at offset `logStart + i`. */
  private entries: Entry[] = [];
  private logStart = 0;
  private snapshotMeta: SnapshotMeta = { endOffset: 0, epoch: 0 };
  private snapshot: Snapshot | undefined;

  private electionElapsed = 0;
  private electionTimeout = 0;
  private votes = new Set<NodeId>();
  /** Leader: each voter's matched end offset and the tick of its last fetch. */
  private matched = new Map<NodeId, number>();
  private lastFetchTick = new Map<NodeId, number>();
  private ticks = 0;
  private epochStartOffset = 0;
  private fetchInFlight = false;
  /** The leader this node stopped following because it went silent: refusals naming it are no reason to follow it again. */
  private abandoned = { epoch: -1, leaderId: -1 };
  /** Leader: fetches held for long polling, by fetcher, with the tick they arrived. */
  private parked = new Map<NodeId, { m: Extract<Message, { type: 'fetch' }>; tick: number }>();
  private fetchSentTick = 0;

  // What the next Ready carries.
  private pendingHardState = false;
  private pendingTruncate: number | undefined;
  private pendingSnapshot: Snapshot | undefined;
  private pendingEntries: Entry[] = [];
  private pendingMessages: Message[] = [];
  private appliedOffset = 0;
  private pendingCommitted: Entry[] = [];

  constructor(config: RaftConfig, persisted: PersistedState = {}) {
    this.config = config;
    this.id = config.id;
    this.voters = new Set(config.voters);
    this.rng = config.rng;
    assert(config.electionTicks >= 2 && config.checkQuorumTicks >= config.electionTicks, 'timeouts relate: check-quorum >= election >= 2');
    if (persisted.hardState) {
      this.epoch = persisted.hardState.epoch;
      this.votedFor = persisted.hardState.votedFor;
    }
    if (persisted.snapshot) {
      this.snapshot = persisted.snapshot;
      this.snapshotMeta = { endOffset: persisted.snapshot.endOffset, epoch: persisted.snapshot.epoch };
      this.logStart = persisted.snapshot.endOffset;
      this.highWatermark = persisted.snapshot.endOffset;
      this.appliedOffset = persisted.snapshot.endOffset;
    }
    for (const e of persisted.entries ?? []) {
      if (e.offset < this.logStart) continue;
      assert(e.offset === this.logStart + this.entries.length, 'persisted entries are contiguous');
      this.entries.push(e);
    }
    this.role = this.voters.has(this.id) ? 'follower' : 'observer';
    this.resetElectionTimer();
  }

  // ------------------------------------------------------------------ log views

  get logEndOffset(): number {
    return this.logStart + this.entries.length;
  }
  get logStartOffset(): number {
    return this.logStart;
  }
  private lastEpoch(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1]!.epoch : this.snapshotMeta.epoch;
  }
  private entryAt(offset: number): Entry | undefined {
    return this.entries[offset - this.logStart];
  }
  /** Entries in [from, to), for a state machine catching up or a test. */
  entriesBetween(from: number, to: number): Entry[] {
    return this.entries.slice(Math.max(0, from - this.logStart), Math.max(0, to - this.logStart));
  }
  /** KIP-101 on the Raft log: the largest epoch <= `epoch` present, and the offset where it ends. */
  private endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    // Walk back from the end: entries of epochs > `epoch` are skipped; the end of the
    // first entry with epoch <= `epoch` found from the back is that epoch's end.
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.epoch <= epoch) return { epoch: e.epoch, endOffset: e.offset + 1 };
    }
    if (this.snapshotMeta.epoch <= epoch) return { epoch: this.snapshotMeta.epoch, endOffset: this.logStart };
    return { epoch: -1, endOffset: -1 };
  }

  // ------------------------------------------------------------------ inputs

  /**
   * Time passes by `count` ticks (default 1). More than one is for a driver that slept:
   * at most `ticksUntilDue()` of them, so every tick but the last only counts (it is then
   * the same as `count` calls of `tick()`, without the walk of each).
   */
  tick(count = 1): void {
    assert(count >= 1 && count <= this.ticksUntilDue(), 'ticks fed at once stop at the deadline');
    // The ticks before the last: nothing is due in them (ticksUntilDue), so they only count.
    this.ticks += count - 1;
    if (this.role !== 'leader') this.electionElapsed += count - 1;
    this.ticks++;
    if (this.role === 'leader') {
      for (const [from, p] of this.parked) if (this.ticks - p.tick >= (this.config.fetchParkTicks ?? 0)) this.answerParked(from);
      const recent = [...this.voters].filter((v) => v === this.id || this.ticks - (this.lastFetchTick.get(v) ?? -Infinity) <= this.config.checkQuorumTicks);
      if (recent.length * 2 <= this.voters.size) this.resign();
      return;
    }
    this.electionElapsed++;
    if (this.role === 'observer' && this.electionElapsed >= this.electionTimeout) {
      // An observer that heard nothing from a leader for an election timeout (it knows
      // none, or the one it follows went silent: beginEpoch goes to voters only, so no
      // one tells it about the next) asks a random voter; the answer names the leader.
      this.leaderId = -1;
      const voters = [...this.voters];
      this.sendFetch(voters[this.rng.int(voters.length)]!);
      this.resetElectionTimer();
    } else if (this.leaderId !== -1 && (this.role === 'follower' || this.role === 'observer')) {
      // Pull: fetch whenever no fetch is outstanding (or the last one looks lost).
      if (!this.fetchInFlight || this.ticks - this.fetchSentTick > (this.config.fetchParkTicks ?? 0) + 2) this.sendFetch(this.leaderId);
    }
    if (this.role !== 'observer' && this.electionElapsed >= this.electionTimeout) this.startPreVote();
  }

  /**
   * How many ticks from now the first one falls that may do more than count: 1 means the
   * next tick may act; `Infinity`, that no tick will until an input (`step`, `propose`)
   * arrives. A read, which changes nothing. The ticks before it only count, so a driver
   * may sleep until then and feed them all at once (`RaftNode` does: an idle quorum wakes
   * at its deadlines, not every tick). For example, a follower whose fetch is parked at
   * the leader (fetchParkTicks 10, resent after 13 ticks) with 25 of a 40-tick election
   * timeout to go is due in 13; a single-voter leader with no fetch parked is never due,
   * since it has no one to lose a quorum to. Conservative: never later than the truth.
   */
  ticksUntilDue(): number {
    const park = this.config.fetchParkTicks ?? 0;
    let due = Infinity;
    if (this.role === 'leader') {
      for (const p of this.parked.values()) due = Math.min(due, p.tick + park - this.ticks);
      // Check-quorum: the first voter to fall out of `recent` (a resignation needs one to).
      for (const v of this.voters) if (v !== this.id) due = Math.min(due, (this.lastFetchTick.get(v) ?? -Infinity) + this.config.checkQuorumTicks + 1 - this.ticks);
      return Math.max(1, due);
    }
    due = this.electionTimeout - this.electionElapsed;
    if (this.leaderId !== -1 && (this.role === 'follower' || this.role === 'observer')) {
      if (!this.fetchInFlight) return 1;
      due = Math.min(due, this.fetchSentTick + park + 3 - this.ticks);
    }
    return Math.max(1, due);
  }

  /**
   * Stands for election now instead of waiting for the election timeout (through
   * pre-vote, like a timeout would). A lone voter wins at once; a new quorum's first
   * voter, or a restarted former leader, saves a timeout. Always safe: an election is.
   */
  campaign(): void {
    if (this.role === 'follower' || this.role === 'prospective' || this.role === 'candidate') this.startPreVote();
  }

  /**
   * `campaign()` for a node that opens: straight to a real election, without the pre-vote
   * round, when this node has seen no epoch yet (epoch 0, a new quorum's first voter). A
   * pre-vote keeps a node from bumping the epoch of a quorum that has a live leader; but a
   * leader exists only in epoch 1 or later, where a vote request of epoch 1 is refused as
   * stale without moving anyone (the answer tells this node the epoch and the leader), and
   * a voter still in epoch 0 has no leader to lose. So the pre-vote could only add a round
   * trip to every new cluster's first election: two message hops between the nodes'
   * threads, 5 ms idle and 20-40 ms on a loaded machine in a 3-node `'per-node'` start.
   * In any other state, as `campaign()`.
   */
  campaignFirst(): void {
    if (this.epoch === 0 && this.role === 'follower') this.startElection();
    else this.campaign();
  }

  propose(data: Uint8Array): { offset: number; epoch: number } | { error: 'NOT_LEADER'; leaderId: NodeId } {
    if (this.role !== 'leader') return { error: 'NOT_LEADER', leaderId: this.leaderId };
    const e = this.appendLocal(data);
    this.maybeAdvanceHighWatermark();
    return { offset: e.offset, epoch: e.epoch };
  }

  /** The state machine took a snapshot at `endOffset` (<= what it applied): drop the log before it. */
  takeSnapshot(endOffset: number, data: Uint8Array): void {
    assert(endOffset <= this.appliedOffset && endOffset <= this.highWatermark, 'snapshots cover committed, applied entries only');
    if (endOffset <= this.logStart) return;
    const epoch = this.entryAt(endOffset - 1)!.epoch;
    this.snapshot = { endOffset, epoch, data };
    this.snapshotMeta = { endOffset, epoch };
    this.entries = this.entries.slice(endOffset - this.logStart);
    this.logStart = endOffset;
  }

  step(m: Message): void {
    if (m.to !== this.id) return;
    // Every message carries its sender's current epoch, pre-votes too (a pre-vote asks
    // about the epoch after it): an epoch some node holds is real, and a node that learns
    // of it moves there. Were pre-votes exempt, a voter that reached an epoch the others
    // never saw (its vote requests lost) could wait in pre-vote forever, refused by a
    // healthy leader of an older epoch it can no longer follow.
    if (m.epoch > this.epoch) {
      this.becomeFollower(m.epoch, m.type === 'beginEpoch' ? m.from : m.type === 'fetchResponse' ? m.leaderId : -1);
    }
    switch (m.type) {
      case 'vote':
        return this.onVote(m);
      case 'voteResponse':
        return this.onVoteResponse(m);
      case 'beginEpoch':
        if (m.epoch === this.epoch && this.role !== 'leader') this.becomeFollower(m.epoch, m.from);
        return;
      case 'fetch':
        return this.onFetch(m);
      case 'fetchResponse':
        return this.onFetchResponse(m);
      case 'fetchSnapshot':
        if (this.role === 'leader' && m.epoch === this.epoch) {
          this.send({ type: 'fetchSnapshotResponse', from: this.id, to: m.from, epoch: this.epoch, snapshot: this.snapshot ?? null, fetchOffset: m.fetchOffset, lastFetchedEpoch: m.lastFetchedEpoch });
        }
        return;
      case 'fetchSnapshotResponse':
        return this.onSnapshot(m);
    }
  }

  // ------------------------------------------------------------------ elections

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.electionTimeout = this.config.electionTicks + this.rng.int(this.config.electionTicks);
  }

  private logUpToDate(lastEpoch: number, endOffset: number): boolean {
    const mine = this.lastEpoch();
    return lastEpoch > mine || (lastEpoch === mine && endOffset >= this.logEndOffset);
  }

  /** Whether (lastEpoch, endOffset) is strictly more up to date than this node's log. */
  private logStrictlyBehind(lastEpoch: number, endOffset: number): boolean {
    const mine = this.lastEpoch();
    return lastEpoch > mine || (lastEpoch === mine && endOffset > this.logEndOffset);
  }

  private startPreVote(): void {
    if (this.leaderId !== -1 && this.leaderId !== this.id) this.abandoned = { epoch: this.epoch, leaderId: this.leaderId };
    this.role = 'prospective';
    this.leaderId = -1;
    this.votes = new Set([this.id]);
    this.resetElectionTimer();
    if (this.votes.size * 2 > this.voters.size) return this.startElection();
    for (const v of this.voters) {
      if (v !== this.id) this.send({ type: 'vote', from: this.id, to: v, epoch: this.epoch, lastEpoch: this.lastEpoch(), endOffset: this.logEndOffset, preVote: true });
    }
    // Ask the leader given up on too: if it answers, it was this node that was cut off,
    // and it follows that leader again (voters refusing the pre-vote name it, but a
    // refusal alone cannot tell a silent leader from a cut-off follower).
    if (this.abandoned.epoch === this.epoch && this.abandoned.leaderId !== -1) this.sendFetch(this.abandoned.leaderId);
  }

  private startElection(): void {
    this.role = 'candidate';
    this.epoch++;
    this.votedFor = this.id;
    this.leaderId = -1;
    this.pendingHardState = true;
    this.votes = new Set([this.id]);
    this.resetElectionTimer();
    if (this.votes.size * 2 > this.voters.size) return this.becomeLeader();
    for (const v of this.voters) {
      if (v !== this.id) this.send({ type: 'vote', from: this.id, to: v, epoch: this.epoch, lastEpoch: this.lastEpoch(), endOffset: this.logEndOffset, preVote: false });
    }
  }

  private onVote(m: Extract<Message, { type: 'vote' }>): void {
    if (!this.voters.has(this.id)) return;
    let granted: boolean;
    if (m.preVote) {
      // Grant a pre-vote only without a live leader: a node cut off and back does not
      // disrupt a healthy quorum.
      const hasLiveLeader = this.role === 'leader' || (this.leaderId !== -1 && this.electionElapsed < this.config.electionTicks);
      granted = m.epoch === this.epoch && !hasLiveLeader && this.logUpToDate(m.lastEpoch, m.endOffset);
      // Two voters that lost the same leader stand at about the same moment; if each
      // granted the other's pre-vote, both would become candidates and split the vote,
      // costing another election timeout. A prospective voter therefore refuses the
      // pre-vote of a voter with a higher id whose log is no better than its own: the
      // lower id goes first. (Pre-votes decide nothing; a better log still always wins.)
      if (granted && this.role === 'prospective' && m.from > this.id && !this.logStrictlyBehind(m.lastEpoch, m.endOffset)) granted = false;
    } else {
      granted = m.epoch === this.epoch && (this.votedFor === -1 || this.votedFor === m.from) && this.role !== 'leader' && this.logUpToDate(m.lastEpoch, m.endOffset);
      if (granted && this.votedFor === -1) {
        this.votedFor = m.from;
        this.pendingHardState = true; // persisted before the response is sent
        this.resetElectionTimer();
      }
    }
    // The answer names the leader we follow, as KRaft's does, so a node that timed out
    // (and is refused because that leader is alive) finds it and fetches again.
    this.send({ type: 'voteResponse', from: this.id, to: m.from, epoch: this.epoch, granted, preVote: m.preVote, leaderId: this.leaderId, leaderEpoch: this.epoch });
  }

  private onVoteResponse(m: Extract<Message, { type: 'voteResponse' }>): void {
    if (!m.granted) {
      // A refusal names the leader the voter follows. Follow it (a node that was cut off
      // finds the leader elected meanwhile), unless it is the leader this node just gave
      // up on for silence: the voter has not noticed yet that it is gone, and going back
      // to it would wait out another election timeout for nothing.
      const gaveUpOnIt = m.leaderEpoch === this.abandoned.epoch && m.leaderId === this.abandoned.leaderId;
      if (m.leaderId !== -1 && m.leaderId !== this.id && m.leaderEpoch >= this.epoch && this.role !== 'leader' && !gaveUpOnIt) this.becomeFollower(m.leaderEpoch, m.leaderId);
      else if (gaveUpOnIt && m.preVote && this.role === 'prospective') {
        // The voter still hears that leader, or thinks it does: its own timeout is near
        // (it last heard from it about when this node did). Ask again soon instead of a
        // whole election timeout later; pre-votes disturb nobody.
        const soon = this.electionElapsed + 1 + this.rng.int(Math.max(1, Math.floor(this.config.electionTicks / 6)));
        this.electionTimeout = Math.min(this.electionTimeout, soon);
      }
      return;
    }
    if (m.preVote && this.role === 'prospective' && m.epoch === this.epoch) {
      this.votes.add(m.from);
      if (this.votes.size * 2 > this.voters.size) this.startElection();
    } else if (!m.preVote && this.role === 'candidate' && m.epoch === this.epoch) {
      this.votes.add(m.from);
      if (this.votes.size * 2 > this.voters.size) this.becomeLeader();
    }
  }

  private becomeFollower(epoch: number, leaderId: NodeId): void {
    this.parked.clear();
    if (epoch > this.epoch) {
      this.epoch = epoch;
      this.votedFor = -1;
      this.pendingHardState = true;
    }
    this.role = this.voters.has(this.id) ? 'follower' : 'observer';
    if (leaderId !== -1 && leaderId !== this.leaderId) this.fetchInFlight = false;
    this.leaderId = leaderId;
    this.resetElectionTimer();
  }

  private becomeLeader(): void {
    this.parked.clear();
    this.role = 'leader';
    this.leaderId = this.id;
    this.matched = new Map();
    this.lastFetchTick = new Map();
    for (const v of this.voters) this.lastFetchTick.set(v, this.ticks);
    // The leader-change entry: nothing of earlier epochs commits until it does.
    this.epochStartOffset = this.logEndOffset;
    this.appendLocal(null);
    for (const v of this.voters) if (v !== this.id) this.send({ type: 'beginEpoch', from: this.id, to: v, epoch: this.epoch });
    this.maybeAdvanceHighWatermark();
  }

  private resign(): void {
    this.parked.clear();
    this.role = 'follower';
    this.leaderId = -1;
    this.resetElectionTimer();
  }

  // ------------------------------------------------------------------ replication

  private appendLocal(data: Uint8Array | null): Entry {
    const e: Entry = { offset: this.logEndOffset, epoch: this.epoch, data };
    this.entries.push(e);
    this.pendingEntries.push(e);
    for (const from of [...this.parked.keys()]) this.answerParked(from);
    return e;
  }

  private sendFetch(to: NodeId): void {
    this.fetchInFlight = true;
    this.fetchSentTick = this.ticks;
    this.send({ type: 'fetch', from: this.id, to, epoch: this.epoch, fetchOffset: this.logEndOffset, lastFetchedEpoch: this.lastEpoch(), highWatermark: this.highWatermark });
  }

  private onFetch(m: Extract<Message, { type: 'fetch' }>): void {
    // Answers that do not validate the fetcher's log carry no high watermark (-1): a
    // fetcher must never apply one to a log the leader has not checked against its own.
    const base = { type: 'fetchResponse' as const, from: this.id, to: m.from, epoch: this.epoch, leaderId: this.leaderId, fetchOffset: m.fetchOffset, lastFetchedEpoch: m.lastFetchedEpoch, entries: [] as Entry[], highWatermark: -1 };
    if (this.role !== 'leader' || m.epoch < this.epoch) {
      // Not the leader of this epoch: answer with what we know, so the fetcher finds it.
      this.send(base);
      return;
    }
    if (this.voters.has(m.from)) this.lastFetchTick.set(m.from, this.ticks);
    // KRaft's validation: a fetcher whose position the leader cannot check against its own
    // log (below the log start, or at it with another epoch, or with an epoch older than
    // the snapshot's) is sent the snapshot. A fetcher whose last epoch is older than the
    // snapshot's has committed nothing past the snapshot's end (its entry there would
    // carry the snapshot's epoch), so installing the snapshot only moves it forward.
    const snap = this.snapshotMeta;
    if (this.logStart > 0 && (m.fetchOffset < this.logStart || m.lastFetchedEpoch < snap.epoch || (m.fetchOffset === this.logStart && m.lastFetchedEpoch !== snap.epoch))) {
      this.send({ ...base, snapshotId: snap });
      return;
    }
    // Does the follower's log agree with ours up to its fetch offset? Its last entry must
    // be of an epoch that in our log lasts at least to the fetch offset; if not, tell it
    // where that epoch ends for us (KIP-101 on the Raft log).
    const ours = this.endOffsetForEpoch(m.lastFetchedEpoch);
    assert(ours.epoch >= 0, 'a validated fetcher shares an epoch with the leader');
    if (ours.epoch !== m.lastFetchedEpoch || ours.endOffset < m.fetchOffset) {
      this.send({ ...base, diverging: { epoch: ours.epoch, endOffset: Math.min(ours.endOffset, m.fetchOffset) } });
      return;
    }
    if (this.voters.has(m.from)) {
      this.matched.set(m.from, Math.max(this.matched.get(m.from) ?? 0, m.fetchOffset));
      this.maybeAdvanceHighWatermark();
    }
    this.parked.delete(m.from);
    if ((this.config.fetchParkTicks ?? 0) > 0 && m.fetchOffset === this.logEndOffset && m.highWatermark === this.highWatermark) {
      // Nothing new for it: hold the fetch until there is (long poll).
      this.parked.set(m.from, { m, tick: this.ticks });
      return;
    }
    this.send({ ...base, highWatermark: this.highWatermark, entries: this.entriesBetween(m.fetchOffset, m.fetchOffset + this.config.fetchEntriesMax) });
  }

  /** Answers a parked fetch with what the leader has now (its log only grew since it was validated). */
  private answerParked(from: NodeId): void {
    const p = this.parked.get(from);
    if (p === undefined) return;
    this.parked.delete(from);
    const m = p.m;
    this.send({
      type: 'fetchResponse',
      from: this.id,
      to: m.from,
      epoch: this.epoch,
      leaderId: this.leaderId,
      fetchOffset: m.fetchOffset,
      lastFetchedEpoch: m.lastFetchedEpoch,
      entries: this.entriesBetween(m.fetchOffset, m.fetchOffset + this.config.fetchEntriesMax),
      highWatermark: this.highWatermark,
    });
  }

  private maybeAdvanceHighWatermark(): void {
    const offsets = [...this.voters].map((v) => (v === this.id ? this.logEndOffset : (this.matched.get(v) ?? 0))).sort((a, b) => b - a);
    const majority = offsets[Math.floor(this.voters.size / 2)]!;
    // Only once the leader-change entry of this epoch is replicated on a majority.
    if (majority > this.epochStartOffset && majority > this.highWatermark) this.setHighWatermark(majority);
  }

  private setHighWatermark(hw: number): void {
    if (hw <= this.highWatermark) return;
    this.highWatermark = hw;
    if (this.role === 'leader') for (const from of [...this.parked.keys()]) this.answerParked(from);
    const from = Math.max(this.appliedOffset, this.logStart);
    this.pendingCommitted.push(...this.entriesBetween(from, hw));
    this.appliedOffset = hw;
  }

  private onFetchResponse(m: Extract<Message, { type: 'fetchResponse' }>): void {
    this.fetchInFlight = false;
    if (m.epoch < this.epoch || this.role === 'leader') return;
    if (m.leaderId === -1 || m.leaderId !== m.from) {
      // Not from the leader: a hint at most.
      if (m.leaderId !== -1 && this.leaderId === -1 && m.epoch === this.epoch) this.becomeFollower(m.epoch, m.leaderId);
      return;
    }
    if (this.leaderId !== m.from) this.becomeFollower(m.epoch, m.from);
    this.resetElectionTimer();
    // Only an answer to the fetch we would send now counts: a delayed or duplicated one
    // (the network reorders) describes a log we no longer have, and acting on a stale
    // "diverging" answer would truncate entries appended, and perhaps committed, since.
    // (fetch offset, last fetched epoch) names a log state exactly: two logs with the
    // same epoch at the same offset agree up to it (Raft's log matching property). The
    // offset alone does not: a follower truncated and refilled to the same end offset
    // holds other entries, and a duplicated "diverging" answer meant for the old log
    // would truncate the new one below its high watermark.
    if (m.fetchOffset !== this.logEndOffset || m.lastFetchedEpoch !== this.lastEpoch()) return;
    if (m.snapshotId !== undefined) {
      this.send({ type: 'fetchSnapshot', from: this.id, to: m.from, epoch: this.epoch, snapshotId: m.snapshotId, fetchOffset: this.logEndOffset, lastFetchedEpoch: this.lastEpoch() });
      return;
    }
    if (m.diverging !== undefined) {
      // Truncate to where our logs agree: the end of the diverging epoch in the leader's
      // log, or of our own last entry of that epoch, whichever is smaller.
      const mine = this.endOffsetForEpoch(m.diverging.epoch);
      const to = Math.max(this.logStart, Math.min(m.diverging.endOffset, mine.endOffset));
      assert(to >= this.highWatermark, `never truncate committed entries: node ${this.id} told by ${m.from} (epoch ${m.epoch}) that its log diverges at epoch ${m.diverging.epoch} end ${m.diverging.endOffset}; truncating to ${to} below high watermark ${this.highWatermark}; log epochs ${this.entriesBetween(to, this.logEndOffset).map((e) => e.epoch).join(',')} logStart ${this.logStart}`);
      this.truncate(to);
      this.sendFetch(m.from);
      return;
    }
    for (const e of m.entries) {
      assert(e.offset === this.logEndOffset, 'fetched entries continue the log');
      this.entries.push(e);
      this.pendingEntries.push(e);
    }
    if (m.highWatermark < 0) {
      // A rejection (our fetch carried an older epoch): fetch again, now in its epoch.
      this.sendFetch(m.from);
      return;
    }
    const hwBefore = this.highWatermark;
    this.setHighWatermark(Math.min(m.highWatermark, this.logEndOffset));
    // Fetch again at once while there is news (entries, or a high watermark that moved):
    // a leader that long-polls parks the next fetch until there is more, so new entries
    // reach this node as soon as they are appended, not at its next tick.
    if (m.entries.length > 0 || this.highWatermark !== hwBefore) this.sendFetch(m.from);
  }

  private truncate(to: number): void {
    if (to >= this.logEndOffset) return;
    this.entries = this.entries.slice(0, to - this.logStart);
    this.pendingEntries = this.pendingEntries.filter((e) => e.offset < to);
    this.pendingTruncate = Math.min(this.pendingTruncate ?? Infinity, to);
  }

  private onSnapshot(m: Extract<Message, { type: 'fetchSnapshotResponse' }>): void {
    if (m.snapshot === null || m.epoch !== this.epoch || m.snapshot.endOffset <= this.logStart) return;
    // As with fetch answers, only the answer for the log we hold now counts: a delayed
    // or duplicated snapshot would throw away entries fetched (and reported to the
    // leader as held, so perhaps counted towards a commit) since it was asked for.
    if (m.fetchOffset !== this.logEndOffset || m.lastFetchedEpoch !== this.lastEpoch()) return;
    const s = m.snapshot;
    this.snapshot = s;
    this.snapshotMeta = { endOffset: s.endOffset, epoch: s.epoch };
    this.entries = [];
    this.pendingEntries = [];
    this.pendingTruncate = undefined;
    this.logStart = s.endOffset;
    this.pendingSnapshot = s;
    this.pendingCommitted = [];
    this.highWatermark = Math.max(this.highWatermark, s.endOffset);
    this.appliedOffset = s.endOffset;
    this.sendFetch(m.from);
  }

  private send(m: Message): void {
    this.pendingMessages.push(m);
  }

  // ------------------------------------------------------------------ output

  /**
   * Whether this node leads and the leader-change entry of its epoch has committed: every
   * entry before it is committed too, so a state machine that applied all committed
   * entries holds the whole log and may start proposing (KRaft activates the controller
   * only then).
   */
  get leaderReady(): boolean {
    return this.role === 'leader' && this.highWatermark > this.epochStartOffset;
  }

  /** The snapshot the log starts after, if any. */
  get latestSnapshot(): Snapshot | undefined {
    return this.snapshot;
  }

  /** Whether `ready()` has anything to hand over. */
  hasReady(): boolean {
    return (
      this.pendingHardState ||
      this.pendingTruncate !== undefined ||
      this.pendingSnapshot !== undefined ||
      this.pendingEntries.length > 0 ||
      this.pendingMessages.length > 0 ||
      this.pendingCommitted.length > 0
    );
  }

  ready(): Ready {
    const r: Ready = {
      ...(this.pendingHardState ? { hardState: { epoch: this.epoch, votedFor: this.votedFor } } : {}),
      ...(this.pendingTruncate !== undefined ? { truncateTo: this.pendingTruncate } : {}),
      ...(this.pendingSnapshot !== undefined ? { snapshot: this.pendingSnapshot } : {}),
      entries: this.pendingEntries,
      messages: this.pendingMessages,
      committed: this.pendingCommitted,
    };
    this.pendingHardState = false;
    this.pendingTruncate = undefined;
    this.pendingSnapshot = undefined;
    this.pendingEntries = [];
    this.pendingMessages = [];
    this.pendingCommitted = [];
    return r;
  }
}
