/**
 * A controller node: a `RaftNode` replicating the metadata log, and the `QuorumController`
 * that replays it (every voter holds the whole image, so a failover reloads nothing) and,
 * on the leader, decides and proposes metadata changes.
 */
import { QuorumController, packSnapshot, type Outcome, type RaftView } from '../metadata/quorum-controller.js';
import type { ControllerConfig } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import type { ControllerRequest, ControllerResponse } from '../metadata/requests.js';
import type { RaftNetwork } from '../raft/inline-network.js';
import { RaftNode, type RaftNodeOptions } from '../raft/raft-node.js';
import type { Entry, Snapshot } from '../raft/core/kraft.js';
import { channels, type ElectionEvent } from '../util/channels.js';
import { DeadlineTimer, nextTurn, systemClock, type Clock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { Rng } from '../util/rng.js';

export interface ControllerNodeOptions {
  readonly id: number;
  readonly voters: readonly number[];
  readonly dataDir: string;
  readonly network: RaftNetwork;
  readonly clock?: Clock;
  readonly tickMs?: number;
  readonly electionTimeoutMs?: number;
  /** The quorum is new (this start made the cluster's folder): its first voter stands without a pre-vote (`RaftCore.campaignFirst`). */
  readonly newQuorum?: boolean;
  readonly controller?: Partial<ControllerConfig>;
  /**
   * Take a snapshot once this many bytes of records were committed since the last one
   * (KRaft's `metadata.log.max.record.bytes.between.snapshots`, default 20 MiB).
   */
  readonly snapshotBytes?: number;
  readonly seed?: number;
  /** Opens the Raft log's store; default a `FileStore`. */
  readonly openStore?: RaftNodeOptions['openStore'];
  readonly logger?: Logger;
  /** Called each time this node's controller becomes the active one. */
  readonly onActivated?: (epoch: number) => void;
}

type ImageListener = (image: MetadataImage) => void;

/**
 * The longest the controller's timer sleeps. The active controller wakes for its next
 * deadline (a broker session to expire, the idle NoOp every
 * `metadata.max.idle.interval.ms`), no more often than every `tickMs`; a stall of its
 * thread is measured as the timer's lateness, so the sleep bounds how much of a stall can
 * go uncounted (see `tickController`).
 */
const sleepMsMax = 500;

export class ControllerNode {
  readonly id: number;
  private readonly raft: RaftNode;
  private readonly qc: QuorumController;
  private readonly clock: Clock;
  private readonly network: RaftNetwork;
  private readonly waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: unknown) => void }>();
  private readonly listeners = new Set<ImageListener>();
  /** Called when entries commit or the known leader changes (`onQuorumChange`). */
  private readonly quorumListeners = new Set<() => void>();
  private lastLeaderId = -1;
  /** The deadline timer: it ticks the controller with how late it fired. */
  private readonly timer: DeadlineTimer;
  private stopped = false;
  /** How many times the timer fired (tests count an idle node's wakeups). */
  private wakeups = 0;
  private bytesSinceSnapshot = 0;
  private snapshotting = false;
  private readonly snapshotBytes: number;
  private readonly view: RaftView;
  private readonly log: Logger;
  private readonly onActivated: ((epoch: number) => void) | undefined;
  private wasActive = false;
  private readonly tickMs: number;

  private constructor(options: ControllerNodeOptions, raft: RaftNode, qc: QuorumController, clock: Clock) {
    this.id = options.id;
    this.raft = raft;
    this.qc = qc;
    this.clock = clock;
    this.network = options.network;
    this.snapshotBytes = options.snapshotBytes ?? 20 * 1024 * 1024;
    this.log = options.logger ?? silentLogger;
    this.onActivated = options.onActivated;
    this.view = { get leaderReady() { return raft.core.leaderReady; }, propose: (d) => raft.propose(d) };
    this.tickMs = options.tickMs ?? 50;
    this.timer = new DeadlineTimer(clock, (lateMs) => this.onTimer(lateMs));
    this.arm();
  }

  /** How many times the controller's timer fired: an idle node's wakeups. */
  get timerWakeups(): number {
    return this.wakeups;
  }

  static async open(options: ControllerNodeOptions): Promise<ControllerNode> {
    const clock = options.clock ?? systemClock;
    const qc = new QuorumController(new Rng(options.seed ?? (options.id * 7919 + 1) >>> 0), options.controller);
    let self: ControllerNode | undefined;
    const raftOptions: RaftNodeOptions = {
      id: options.id,
      voters: options.voters,
      dataDir: options.dataDir,
      transport: options.network.transportFor(options.id),
      clock,
      ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
      ...(options.electionTimeoutMs !== undefined ? { electionTimeoutMs: options.electionTimeoutMs } : {}),
      ...(options.newQuorum === true ? { newQuorum: true } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.openStore !== undefined ? { openStore: options.openStore } : {}),
      stateMachine: {
        apply: (entries) => {
          if (self) self.applied(entries);
          else qc.applyCommitted(entries);
        },
        restore: (s: Snapshot) => {
          qc.restoreSnapshot(s);
          self?.settle();
        },
        changed: () => self?.changed(),
        truncated: (offset) => {
          qc.truncated(offset);
          self?.settle();
        },
        failed: (err) => self?.failWaiting(`controller ${options.id} stopped: its metadata log could not be written (${err instanceof Error ? err.message : String(err)})`, 'KAFKA_STORAGE_ERROR'),
      },
    };
    const raft = await RaftNode.open(raftOptions);
    self = new ControllerNode(options, raft, qc, clock);
    options.network.register(options.id, raft);
    return self;
  }

  /** This node's committed image (the same on every voter, up to replication lag). */
  get image(): MetadataImage {
    return this.qc.image;
  }

  /** Whether this node's controller is the active one (it leads and has committed its epoch's first entry). */
  get isActive(): boolean {
    return this.qc.isActive && this.raft.core.leaderReady && !this.raft.isStopped;
  }

  get epoch(): number {
    return this.raft.core.epoch;
  }

  get leaderId(): number {
    return this.raft.core.leaderId;
  }

  get role(): string {
    return this.raft.core.role;
  }

  get highWatermark(): number {
    return this.raft.core.highWatermark;
  }

  get isStopped(): boolean {
    return this.raft.isStopped;
  }

  /**
   * Submits a request to this node's controller. Resolves with the response once the
   * request's records have committed; rejects with a retriable `NOT_CONTROLLER` when
   * this node is not (or stops being) the active controller.
   */
  submit<R extends ControllerRequest>(request: R): Promise<ControllerResponse<R>> {
    if (this.raft.isStopped) return Promise.reject(new TributaryError('NOT_CONTROLLER', `controller ${this.id} is stopped`));
    let r: ReturnType<QuorumController['submit']>;
    try {
      r = this.qc.submit(this.view, request, this.clock.now());
    } catch (err) {
      // Raft refused the entry and the controller dropped its speculative state: it comes
      // back now if nothing else waits to commit, else once that has been applied.
      this.changed();
      return Promise.reject(err);
    }
    if ('outcome' in r) return settleOutcome(r.outcome);
    return new Promise((resolve, reject) => this.waiting.set(r.ticket, { resolve: resolve as (r: unknown) => void, reject }));
  }

  /** Calls `listener` with each new committed image. Returns the function that stops it. */
  onImage(listener: ImageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `listener` whenever entries commit on this node (a new leader's first entry
   * included, which is when it becomes the active controller and adds nothing to the
   * image) or the leader it knows changes: what a request waiting for an active
   * controller should look again at. Returns the function that stops it.
   */
  onQuorumChange(listener: () => void): () => void {
    this.quorumListeners.add(listener);
    return () => this.quorumListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.stopTimer();
    this.network.unregister(this.id, this.raft);
    await this.raft.close();
    this.failWaiting('controller closed');
  }

  /** Stops at once, without a clean shutdown (failure tests). */
  kill(): void {
    this.stopTimer();
    this.network.unregister(this.id, this.raft);
    this.raft.kill();
    this.failWaiting('controller killed');
  }

  private applied(entries: readonly Entry[]): void {
    // Leadership first: one drain may carry both the loss of leadership and the new
    // leader's entries, which the controller may replay only once deactivated.
    this.qc.sync(this.view, this.raft.logEndOffset, this.clock.now());
    const before = this.qc.image;
    this.qc.applyCommitted(entries);
    for (const e of entries) this.bytesSinceSnapshot += e.data?.length ?? 0;
    this.settle();
    this.noteLeadership();
    if (this.qc.image !== before) for (const l of this.listeners) l(this.qc.image);
    this.quorumChanged();
    if (this.bytesSinceSnapshot >= this.snapshotBytes && !this.snapshotting) void this.snapshot();
    this.arm();
  }

  private changed(): void {
    this.qc.sync(this.view, this.raft.logEndOffset, this.clock.now());
    this.settle();
    // An activation (or its loss) is a quorum change to the listeners too: the node
    // worker's status (`active`) is posted on these events, and an activation seen here
    // (the leader-change entry applied in the drain just ended) has no commit after it.
    const flipped = this.noteLeadership();
    if (flipped || this.raft.core.leaderId !== this.lastLeaderId) this.quorumChanged();
    this.arm();
  }

  private quorumChanged(): void {
    this.lastLeaderId = this.raft.core.leaderId;
    for (const l of [...this.quorumListeners]) l();
  }

  /** Reports this node's controller becoming (or ceasing to be) the active one; whether it did. */
  private noteLeadership(): boolean {
    const active = this.qc.isActive;
    if (active === this.wasActive) return false;
    this.wasActive = active;
    const epoch = this.raft.core.epoch;
    if (!active) {
      this.log.info({ nodeId: this.id, epoch }, `node ${this.id} is no longer the active controller`);
      return true;
    }
    this.log.info({ nodeId: this.id, epoch }, `node ${this.id} is the active controller (epoch ${epoch})`);
    this.onActivated?.(epoch);
    if (channels.election.hasSubscribers) channels.election.publish({ type: 'controller', nodeId: this.id, epoch } satisfies ElectionEvent);
    return true;
  }

  /** Resolves the requests whose entries committed (or were replaced). */
  private settle(): void {
    for (const { ticket, outcome } of this.qc.takeAnswered()) {
      const w = this.waiting.get(ticket);
      if (!w) continue;
      this.waiting.delete(ticket);
      settleOutcome(outcome).then(w.resolve, w.reject);
    }
  }

  /**
   * Arms the timer for the controller's next deadline: not before `tickMs` from now (the
   * old tick's granularity), not after `sleepMsMax`, and not again if it is armed as early
   * already. Called after every change that may move the deadline earlier (a commit, a
   * leadership change, a request's records).
   */
  private arm(): void {
    if (this.stopped || this.raft.isStopped) return;
    const delayMs = Math.min(sleepMsMax, Math.max(this.tickMs, this.qc.nextTickDeadline(this.view) - this.clock.now()));
    this.timer.armIn(delayMs);
  }

  private onTimer(lateMs: number): void {
    this.wakeups++;
    this.tickController(lateMs);
    this.arm();
  }

  private stopTimer(): void {
    this.stopped = true;
    this.timer.stop();
  }

  private tickController(lateMs: number): void {
    if (this.raft.isStopped) return;
    // A timer later than a tick means this thread was blocked (partitions being created or
    // opened, a big delta applied, in the thread brokers may share): nobody could be heard
    // meanwhile, so the sessions do not age by it (see cluster-control.ts). The stall may
    // have begun before the timer was due, up to `sleepMsMax` before, uncounted: a broker
    // heard just before it keeps a session timeout (9 s) minus that much.
    const stalledMs = Math.max(0, lateMs - this.tickMs);
    let outcome: ReturnType<QuorumController['tick']>;
    try {
      outcome = this.qc.tick(this.view, this.clock.now(), stalledMs);
    } catch (err) {
      this.log.error({ nodeId: this.id, err }, `controller ${this.id}: its periodic records could not be written`);
      this.changed();
      return;
    }
    for (const id of outcome?.fencedBrokers ?? []) {
      this.log.warn({ nodeId: id, controllerId: this.id }, `node ${id} fenced: no heartbeat within the broker session timeout; its partitions move to other replicas`);
    }
  }

  private async snapshot(): Promise<void> {
    this.snapshotting = true;
    try {
      // Encode a chunk a turn: a million partitions take a second to encode, and every
      // node of an in-process cluster shares this thread (elections must not wait).
      const { endOffset, imageOffset, chunks } = this.qc.snapshotInParts();
      this.bytesSinceSnapshot = 0;
      const parts: Uint8Array[] = [];
      for (let next = chunks.next(); next.done !== true; next = chunks.next()) {
        parts.push(next.value);
        await new Promise<void>((resolve) => nextTurn(this.clock, resolve));
        if (this.raft.isStopped) return;
      }
      await this.raft.takeSnapshot(endOffset, packSnapshot(imageOffset, parts));
    } catch {
      // A snapshot that cannot be written is retried after the next threshold; the log keeps everything meanwhile.
    } finally {
      this.snapshotting = false;
    }
  }

  private failWaiting(why: string, code: 'NOT_CONTROLLER' | 'KAFKA_STORAGE_ERROR' = 'NOT_CONTROLLER'): void {
    this.stopTimer();
    for (const w of this.waiting.values()) w.reject(new TributaryError(code, why));
    this.waiting.clear();
  }
}

function settleOutcome<R>(outcome: Outcome<R>): Promise<R> {
  return outcome.ok ? Promise.resolve(outcome.response) : Promise.reject(new TributaryError('NOT_CONTROLLER', outcome.message));
}
