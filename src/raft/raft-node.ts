/**
 * `RaftNode`: the shell around `RaftCore`. It owns one kind of I/O each and decides
 * nothing:
 *
 * - time: one timer of the clock, armed for the core's next deadline
 *   (`core.ticksUntilDue()`: an election timeout, a fetch to resend, a parked fetch to
 *   answer, a check-quorum), which feeds the core the ticks that passed when it fires; an
 *   input feeds the ticks that passed before it is stepped. An idle quorum so wakes at its
 *   deadlines, not every `tickMs`, while the core sees the same ticks as before;
 * - the log: the partition log `<dataDir>/__cluster_metadata-0`, one record batch per
 *   entry (its base offset the entry's offset, its partition leader epoch the entry's
 *   epoch; a leader-change entry is a LEADER_CHANGE control batch, as in KRaft);
 * - the vote: the `quorum-state` file beside it, written atomically;
 * - snapshots: KIP-630-named checkpoint files in the same folder;
 * - messages: a `RaftTransport`.
 *
 * After every input it drains the core's `Ready` in the order the core's contract asks:
 * vote, truncation, snapshot and entries made durable (fdatasync) first, then messages
 * sent, then committed entries handed to the state machine. Inputs that arrive while a
 * drain waits for the disk are stepped into the core at once and go out with the next
 * drain: one fsync covers all of them (group commit).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { iterateBatches, isControlBatch, decodeUncompressedBatch, readBatchHeader } from '../record/batch.js';
import { PartitionLog } from '../storage/partition-log.js';
import type { Store } from '../storage/store.js';
import { assert } from '../util/assert.js';
import { DeadlineTimer, systemClock, type Clock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { encodeEntry } from './entry-batches.js';
import { RaftCore, type Entry, type Message, type NodeId, type Ready, type Snapshot } from './core/kraft.js';
import { readQuorumState, writeQuorumState, type QuorumState } from './quorum-state-file.js';
import { deleteSnapshotsBefore, latestValidSnapshot, writeSnapshot } from './snapshot-files.js';

/** What a proposal gains as a record batch of one record: the batch header (61 bytes) and the record's framing (at most 15), rounded up. */
const entryFramingBytesMax = 512;

/**
 * The longest the driver sleeps with no deadline (a single-voter leader has none): its
 * timer keeps the process alive while the node runs, as a listening server does, and
 * bounds the ticks an input then feeds the core (100 at the default `tickMs`).
 */
const idleWakeMsMax = 1000;

/** The metadata log's topic name, as in KRaft. */
export const metadataTopic = '__cluster_metadata';

/** How a node's messages reach the others. `send` must not call back into the sender synchronously. */
export interface RaftTransport {
  send(message: Message): void;
}

/** What the node tells the state machine it replicates. */
export interface RaftStateMachine {
  /** Committed entries, in log order, each exactly once (after a restore, from the snapshot's end). */
  apply(entries: readonly Entry[]): void;
  /** Replace the whole state with a snapshot's (at open, or sent by the leader). */
  restore(snapshot: Snapshot): void;
  /** Called after every drain: leadership or the log may have changed. */
  changed?(): void;
  /** The log was truncated to `offset`: uncommitted entries at and after it are gone. */
  truncated?(offset: number): void;
  /**
   * The node stopped because its log could not be written (`error`, a `TributaryError`
   * when the log refused the entry): nothing more will commit here, so whatever waits for
   * a commit must be answered now.
   */
  failed?(error: unknown): void;
}

export interface RaftNodeOptions {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  /** The node's data folder; the log and its files go in `<dataDir>/__cluster_metadata-0`. */
  readonly dataDir: string;
  readonly transport: RaftTransport;
  readonly stateMachine: RaftStateMachine;
  readonly clock?: Clock;
  /** Milliseconds per tick. Default 10: fine-grained election timeouts make split votes rare. */
  readonly tickMs?: number;
  /**
   * The election timeout: a follower that hears nothing from a leader for a time drawn
   * from [electionTimeoutMs, 2 x electionTimeoutMs) stands for election. Default 300 ms
   * (KRaft's `controller.quorum.election.timeout.ms` is 1000; an embedded quorum on one
   * machine can afford less, and fails over in well under a second).
   */
  readonly electionTimeoutMs?: number;
  /**
   * The quorum is new: every voter's folder was made by this start, so no voter can hold a
   * vote or a leader yet. Its first voter then stands without a pre-vote
   * (`RaftCore.campaignFirst`). Never for a folder that existed: a voter whose folder was
   * deleted also opens in epoch 0, and must not stand in an epoch its peers may already
   * have a leader in.
   */
  readonly newQuorum?: boolean;
  /** The most entries one fetch answer carries. Default 512. */
  readonly fetchEntriesMax?: number;
  /** Seed of the node's election-timeout randomness. Default: from the node id and the clock. */
  readonly seed?: number;
  /** Opens the log's store (a simulation keeps it in memory); default a `FileStore`. The vote and snapshots stay files. */
  readonly openStore?: (dir: string) => Store;
}

/** One member of the Raft quorum (a voter or an observer), on disk. */
export class RaftNode {
  readonly id: NodeId;
  readonly core: RaftCore;
  private readonly log: PartitionLog;
  private readonly dir: string;
  private readonly transport: RaftTransport;
  private readonly sm: RaftStateMachine;
  private readonly clock: Clock;
  private readonly tickMs: number;
  /** The clock's monotonic reading the core's tick count stands for: ticks are fed from here. */
  private tickedAt: number;
  /** The deadline timer. */
  private readonly timer: DeadlineTimer;
  /** How many times the deadline timer fired (tests count an idle node's wakeups). */
  private wakeups = 0;
  private draining = false;
  private drainAgain = false;
  private stopped = false;
  private failure: unknown;
  private idleWaiters: (() => void)[] = [];
  /** What the quorum-state file holds now. */
  private quorumState: QuorumState | undefined;

  private constructor(options: RaftNodeOptions, log: PartitionLog, core: RaftCore, quorumState: QuorumState | undefined) {
    this.id = options.id;
    this.log = log;
    this.core = core;
    this.dir = join(options.dataDir, `${metadataTopic}-0`);
    this.transport = options.transport;
    this.sm = options.stateMachine;
    this.clock = options.clock ?? systemClock;
    this.quorumState = quorumState;
    this.tickMs = options.tickMs ?? 10;
    this.tickedAt = this.clock.monotonic();
    this.timer = new DeadlineTimer(this.clock, () => this.onTimer());
    // The timer keeps the process alive while the node runs, as a listening server
    // does: a program awaiting a commit must not exit under it. `close()` stops it.
    this.arm();
  }

  /** Opens (or creates) a node's log, vote and snapshot, and starts it as a follower or observer. */
  static async open(options: RaftNodeOptions): Promise<RaftNode> {
    const tickMs = options.tickMs ?? 10;
    const electionTimeoutMs = options.electionTimeoutMs ?? 300;
    if (!Number.isFinite(tickMs) || tickMs <= 0) throw new TributaryError('INVALID_CONFIG', `tickMs must be positive, got ${tickMs}`, { option: 'tickMs' });
    const electionTicks = Math.max(2, Math.round(electionTimeoutMs / tickMs));
    const dir = join(options.dataDir, `${metadataTopic}-0`);
    mkdirSync(dir, { recursive: true });
    const log = await PartitionLog.open({ dataDir: options.dataDir, topic: metadataTopic, partition: 0, config: { flushPolicy: 'os' }, ...(options.clock ? { clock: options.clock } : {}), ...(options.openStore ? { openStore: options.openStore } : {}) });
    try {
      const vote = readQuorumState(dir);
      const latest = latestValidSnapshot(dir);
      const snapshot: Snapshot | undefined = latest ? { endOffset: latest.id.endOffset, epoch: latest.id.epoch, data: latest.payload } : undefined;
      if (snapshot && (log.logEndOffset < snapshot.endOffset || log.logStartOffset > snapshot.endOffset)) log.truncateFullyAndStartAt(snapshot.endOffset);
      if (!snapshot && log.logStartOffset > 0) {
        throw new TributaryError('KAFKA_STORAGE_ERROR', `${dir}: the log starts at ${log.logStartOffset} but no valid snapshot covers what is before it`);
      }
      const entries = readEntries(log, snapshot?.endOffset ?? 0);
      const seed = options.seed ?? ((options.id * 2654435761) ^ Math.floor(performance.now() * 1000)) >>> 0;
      const core = new RaftCore(
        { id: options.id, voters: options.voters, rng: new Rng(seed), electionTicks, checkQuorumTicks: Math.ceil(electionTicks * 1.5), fetchEntriesMax: options.fetchEntriesMax ?? 512, fetchParkTicks: Math.max(1, Math.floor(electionTicks / 3)) },
        { ...(vote ? { hardState: { epoch: vote.epoch, votedFor: vote.votedFor } } : {}), ...(snapshot ? { snapshot } : {}), entries },
      );
      if (snapshot) options.stateMachine.restore(snapshot);
      // Save an election timeout where it would only be waited out: a lone voter always
      // wins; on a new quorum the lowest voter goes first (without a pre-vote where the
      // quorum is known to be new: `campaignFirst`); after a restart, the voter that led before.
      const first = Math.min(...options.voters);
      if (options.voters.includes(options.id) && (options.voters.length === 1 || (vote === undefined && options.id === first) || vote?.leaderId === options.id)) {
        if (options.newQuorum === true) core.campaignFirst();
        else core.campaign();
      }
      const node = new RaftNode(options, log, core, vote);
      node.scheduleDrain();
      return node;
    } catch (err) {
      await log.close().catch(() => {});
      throw err;
    }
  }

  /** The log's end offset. */
  get logEndOffset(): number {
    return this.core.logEndOffset;
  }

  /** Takes a message from the transport. */
  receive(message: Message): void {
    if (this.stopped) return;
    this.catchUp();
    this.core.step(message);
    this.scheduleDrain();
    this.arm();
  }

  /**
   * Proposes an entry (leaders only). An entry the log could not store (its record batch
   * over the log's `max.message.bytes`) is refused here, with RECORD_LIST_TOO_LARGE,
   * before the core holds it: once in the core it would fail the drain's write and stop
   * the node.
   */
  propose(data: Uint8Array): { offset: number; epoch: number } | { error: 'NOT_LEADER'; leaderId: NodeId } {
    this.assertRunning();
    const bytesMax = this.log.config.maxMessageBytes - entryFramingBytesMax;
    if (data.length > bytesMax) throw new TributaryError('RECORD_LIST_TOO_LARGE', `a metadata log entry of ${data.length} bytes is over the ${bytesMax} the log holds (max.message.bytes ${this.log.config.maxMessageBytes})`);
    this.catchUp();
    const p = this.core.propose(data);
    this.scheduleDrain();
    this.arm();
    return p;
  }

  /**
   * Records that the state machine's state after applying every entry before `endOffset`
   * is `data`: writes it as a snapshot file, then lets the log drop what it covers.
   */
  async takeSnapshot(endOffset: number, data: Uint8Array): Promise<void> {
    this.assertRunning();
    if (endOffset <= this.core.logStartOffset) return;
    this.core.takeSnapshot(endOffset, data);
    const s = this.core.latestSnapshot!;
    writeSnapshot(this.dir, { endOffset: s.endOffset, epoch: s.epoch }, s.data);
    deleteSnapshotsBefore(this.dir, { endOffset: s.endOffset, epoch: s.epoch });
    await this.log.deleteRecords(Math.min(endOffset, this.log.logEndOffset));
  }

  /** Runs the core's timers once, now (tests may; the deadline timer feeds the ticks that passed). */
  tick(): void {
    if (this.stopped) return;
    this.core.tick();
    this.scheduleDrain();
    this.arm();
  }

  /** How many times the deadline timer fired since the node opened: an idle node's wakeups. */
  get timerWakeups(): number {
    return this.wakeups;
  }

  /** How many whole ticks of the clock passed since the core's count stands. */
  private ticksPassed(): number {
    return Math.floor((this.clock.monotonic() - this.tickedAt) / this.tickMs);
  }

  /**
   * Before an input: feeds the core the ticks that passed, up to (not into) its deadline,
   * so what it stamps (a fetch's arrival, a fetch sent) reads the same tick count as under
   * a tick every `tickMs`. A deadline already passed is the timer's to act on, which fires
   * on this turn or the next.
   */
  private catchUp(): void {
    this.feedTicks(this.core.ticksUntilDue() - 1);
  }

  /** Feeds the core the ticks that passed, at most `max`; returns how many passed beyond those. */
  private feedTicks(max: number): number {
    const passed = this.ticksPassed();
    const feed = Math.max(0, Math.min(passed, max));
    if (feed > 0) this.core.tick(feed);
    this.tickedAt += feed * this.tickMs;
    return passed - feed;
  }

  /** The deadline timer fired: the ticks that passed, through the deadline, then the next one. */
  private onTimer(): void {
    if (this.stopped) return;
    this.wakeups++;
    const beyond = this.feedTicks(this.core.ticksUntilDue());
    // Ticks past the deadline are a stalled thread's (partitions being created in the
    // thread nodes share, a loaded machine): they are dropped, as an interval timer drops
    // the calls it could not make, so a stall does not age every timeout at once (every
    // follower standing for election, the leader resigning, after a 1 s stall).
    if (beyond > 0) this.tickedAt = this.clock.monotonic();
    this.scheduleDrain();
    this.arm();
  }

  /**
   * Arms the timer for the core's next deadline (at most `idleWakeMsMax` ahead), unless it
   * is armed as early already: an input that moves the deadline later leaves it, and the
   * early wakeup re-arms.
   */
  private arm(): void {
    if (this.stopped) return;
    const due = this.core.ticksUntilDue();
    const now = this.clock.monotonic();
    this.timer.armIn(Math.min(this.tickedAt + due * this.tickMs, now + idleWakeMsMax) - now);
  }

  /** Resolves when nothing is waiting to be drained. */
  idle(): Promise<void> {
    if (!this.draining && !this.core.hasReady()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** A clean shutdown: stops, lets a drain in progress finish, closes the log cleanly. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timer.stop();
    await this.idle();
    await this.log.close();
  }

  /**
   * Stops at once without a clean shutdown, as if the process died: nothing more is
   * written or sent, and the log's files are dropped as they are (what was not fsynced
   * may or may not be on disk; what was is). For failure tests.
   */
  kill(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.timer.stop();
    this.log.abandon();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private assertRunning(): void {
    if (this.stopped) throw new TributaryError('CLIENT_CLOSED', `raft node ${this.id} is stopped`);
    if (this.failure !== undefined) throw new TributaryError('KAFKA_STORAGE_ERROR', `raft node ${this.id} failed`, { cause: this.failure });
  }

  private scheduleDrain(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    if (!this.core.hasReady()) return;
    this.draining = true;
    // After the current turn: a burst of messages or proposals becomes one Ready.
    queueMicrotask(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.drainAgain = false;
        while (!this.stopped && this.core.hasReady()) await this.handle(this.core.ready());
      } while (this.drainAgain && !this.stopped);
    } catch (err) {
      // A disk that fails under the log: stop, as Kafka halts a broker whose metadata log
      // cannot be written. Nothing after the failure is sent, so nothing unsafe escapes.
      this.failure = err;
      this.kill();
      this.sm.failed?.(err);
    } finally {
      this.draining = false;
      if (!this.core.hasReady() || this.stopped) for (const w of this.idleWaiters.splice(0)) w();
      else this.scheduleDrain();
    }
  }

  private async handle(r: Ready): Promise<void> {
    // 1. Durable: vote, truncation, snapshot, entries.
    if (r.hardState) this.writeQuorumState({ epoch: r.hardState.epoch, votedFor: r.hardState.votedFor, leaderId: this.core.leaderId });
    // The leader of the current epoch became known after the vote was written: recorded
    // (once an epoch) so that after a restart that leader campaigns at once instead of
    // every voter waiting out an election timeout (300 to 600 ms). A hint, not a vote: it
    // is written after this Ready's messages go out (step 2), not before. Before, a new
    // leader's beginEpoch and each follower's first fetch from it waited for this file's
    // two fsyncs (the file, then its folder): four on the way to a new quorum's first
    // commit, 5-15 ms each with the disk shared under load.
    const leaderHint = r.hardState === undefined && this.quorumState !== undefined && this.quorumState.epoch === this.core.epoch && this.core.leaderId !== -1 && this.quorumState.leaderId !== this.core.leaderId;
    if (r.snapshot) {
      writeSnapshot(this.dir, { endOffset: r.snapshot.endOffset, epoch: r.snapshot.epoch }, r.snapshot.data);
      this.log.truncateFullyAndStartAt(r.snapshot.endOffset);
      deleteSnapshotsBefore(this.dir, { endOffset: r.snapshot.endOffset, epoch: r.snapshot.epoch });
    }
    if (r.truncateTo !== undefined && r.truncateTo < this.log.logEndOffset) this.log.truncateTo(r.truncateTo);
    if (r.entries.length > 0) {
      const now = this.clock.now();
      for (const e of r.entries) {
        if (e.offset < this.log.logEndOffset) continue; // already written by an earlier Ready
        assert(e.offset === this.log.logEndOffset, `raft entry ${e.offset} continues the log at ${this.log.logEndOffset}`);
        this.log.write(encodeEntry(e, e.epoch === this.core.epoch ? this.core.leaderId : -1, now), { assignOffsets: false });
      }
    }
    if (r.entries.length > 0 || r.truncateTo !== undefined) await this.log.sync();
    if (this.stopped) return;
    // 2. Messages.
    for (const m of r.messages) this.transport.send(m);
    if (leaderHint) this.writeQuorumState({ ...this.quorumState!, leaderId: this.core.leaderId });
    // 3. The state machine.
    if (r.truncateTo !== undefined) this.sm.truncated?.(r.truncateTo);
    if (r.snapshot) this.sm.restore(r.snapshot);
    if (r.committed.length > 0) this.sm.apply(r.committed);
    this.sm.changed?.();
  }

  private writeQuorumState(state: QuorumState): void {
    writeQuorumState(this.dir, state);
    this.quorumState = state;
  }
}

/** Reads every entry from `from` to the log end. */
function readEntries(log: PartitionLog, from: number): Entry[] {
  const out: Entry[] = [];
  let offset = Math.max(from, log.logStartOffset);
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, { maxBytes: 8 * 1024 * 1024 });
    if (records.length === 0) break;
    for (const slice of iterateBatches(records)) {
      const bytes = records.subarray(slice.position, slice.position + slice.size);
      const h = readBatchHeader(bytes);
      if (h.baseOffset < offset) continue;
      assert(h.baseOffset === offset, `metadata log batch at ${h.baseOffset}, expected ${offset}`);
      const data = isControlBatch(h.attributes) ? null : (decodeUncompressedBatch(bytes)[0]!.value ?? new Uint8Array(0));
      out.push({ offset, epoch: h.partitionLeaderEpoch, data: data === null ? null : Uint8Array.from(data) });
      offset++;
    }
  }
  return out;
}
