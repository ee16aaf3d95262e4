/**
 * The flusher of a partition log: everything about making appended bytes durable, and
 * the only part of the log with timers. It runs the group commit (`sync`), flushes rolled
 * segments off the write path in roll order, moves the recovery point when a flush
 * completes, and runs the `interval` policy's timer. See durability.md.
 * @internal
 */
import { every, type Clock, type RepeatingTimer } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import type { LogCheckpoints } from './log-checkpoints.js';
import type { Segment } from './segment.js';
import type { Store } from './store.js';

/** What the flusher needs from the log it flushes. */
export interface FlusherHost {
  readonly store: Store;
  /** The log's clock: the `interval` policy's timer runs in its time. */
  readonly clock: Clock;
  readonly checkpoints: LogCheckpoints;
  readonly stats: { syncs: number };
  activeSegment(): Segment;
  /**
   * Makes the epoch file durable if it was written without an fsync (before the batches it
   * covers are vouched for). `recoveryPointMoves`: false for the group commit, which syncs
   * the active segment but leaves the recovery point where it is (see
   * `LeaderEpochFileCache.syncIfNeeded`).
   */
  syncEpochFile(recoveryPointMoves: boolean): Promise<void>;
  logEndOffset(): number;
  /** Bumped whenever the tail of the log is cut, so that a flush begun before it does not vouch for what came after. */
  generation(): number;
  isClosed(): boolean;
  storageError(): TributaryError | undefined;
  /** Takes the log offline after a failed flush; returns the error to report. */
  failStorage(err: unknown): TributaryError;
  closedError(): TributaryError;
}

export class LogFlusher {
  /** Everything below this offset was covered by an fdatasync that completed. */
  flushedOffset = 0;
  /** The recovery point as last handed to the checkpoints. */
  recoveryPoint = 0;
  /** A new partition's folder entries are not yet fsynced: its first sync does that too. */
  dirUnsynced = false;
  /** Flushes of rolled segments, in roll order (none yet: a log that never rolled keeps no promise). */
  private rollFlushes: Promise<void> | undefined;
  /** Rolled segments waiting for their flush, in roll order. */
  private rolled: { segment: Segment; upTo: number; generation: number }[] = [];
  private rollFlushing = false;
  private syncInFlight: Promise<void> | undefined;
  private syncWaiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private intervalTimer: RepeatingTimer | undefined;

  constructor(private readonly host: FlusherHost) {}

  /** Moves the recovery point (down at once and durably; up possibly later, see `LogCheckpoints`). */
  setRecoveryPoint(offset: number): void {
    const lowered = offset < this.recoveryPoint;
    this.recoveryPoint = offset;
    this.host.checkpoints.writeRecoveryPoint(offset, lowered);
  }

  /** The `interval` policy: a sync every `ms` while something is unflushed. */
  startInterval(ms: number): void {
    // On the log's clock (a simulated one fires it in its time); a real interval does not
    // keep the process alive.
    this.intervalTimer = every(this.host.clock, ms, () => {
      if (this.flushedOffset < this.host.logEndOffset() && this.host.storageError() === undefined) this.sync().catch(() => {});
    }, true);
  }

  stopTimers(): void {
    this.intervalTimer?.stop();
    this.intervalTimer = undefined;
  }

  /**
   * A segment rolled: make it durable off the write path, in roll order, as Kafka's
   * `flushUptoOffsetExclusive` does: a full 1 GiB segment can take seconds to sync, and
   * appends must not wait for it. Until its flush completes, recovery scans the segment.
   * Rolls that queue while a flush runs are flushed together, their fsyncs in parallel,
   * with one folder sync and one recovery-point write: a bulk load of 16 KiB segments
   * rolls faster than five serial fsyncs per roll complete, and the recovery point then
   * lagged hundreds of segments behind, each of them rescanned after a crash.
   */
  onRoll(old: Segment, upTo: number): void {
    this.rolled.push({ segment: old, upTo, generation: this.host.generation() });
    if (this.rolled.length === 1 && !this.rollFlushing) this.rollFlushes = (this.rollFlushes ?? Promise.resolve()).then(() => this.flushRolled());
  }

  private async flushRolled(): Promise<void> {
    const host = this.host;
    this.rollFlushing = true;
    try {
      while (this.rolled.length > 0 && !host.isClosed()) {
        const batch = this.rolled.splice(0);
        try {
          // A segment removed meanwhile (retention, truncation) has nothing left to make durable.
          const syncOne = async (s: Segment): Promise<void> => (s.deleted ? undefined : Promise.all([s.file.sync(), s.syncIndexFiles()]).then(() => undefined, (err: unknown) => { if (!s.deleted) throw err; }));
          await Promise.all([...batch.map((r) => syncOne(r.segment)), host.syncEpochFile(true)]);
          await host.store.syncDirAsync();
        } catch (err) {
          if (!host.isClosed()) host.failStorage(err);
          return;
        }
        const upTo = batch.filter((r) => r.generation === host.generation()).at(-1)?.upTo;
        if (host.isClosed() || host.storageError() !== undefined || upTo === undefined) continue;
        host.stats.syncs++;
        this.setRecoveryPoint(upTo);
        if (upTo > this.flushedOffset && upTo <= host.logEndOffset()) this.flushedOffset = upTo;
      }
    } finally {
      this.rollFlushing = false;
      this.rolled = [];
    }
  }

  /**
   * fdatasync of everything written so far. One sync runs at a time; callers that arrive
   * while it runs wait for the next one, which then covers all of them: with 64
   * concurrent appenders under `flush always`, each fdatasync (about 0.4 ms here) makes
   * dozens of appends durable at once instead of one. A sync also waits for the flushes
   * of segments rolled before it began.
   */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      if (this.syncInFlight === undefined) this.startSync();
    });
  }

  private startSync(): void {
    const host = this.host;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    const target = host.logEndOffset();
    const seg = host.activeSegment();
    const generation = host.generation();
    host.stats.syncs++;
    const dirSync = this.dirUnsynced ? ((this.dirUnsynced = false), host.store.syncDirAsync()) : undefined; // a new partition's first sync makes its files' names durable too
    const activeSync = Promise.all([seg.file.sync(), dirSync, host.syncEpochFile(false)]).catch((err: unknown) => {
      // A segment truncated away meanwhile has nothing left to make durable.
      if (!seg.deleted && !host.isClosed()) throw err;
    });
    this.syncInFlight = Promise.all([this.rollFlushes, activeSync]).then(
      () => {
        const failed = host.storageError();
        if (failed !== undefined) {
          for (const w of waiters) w.reject(failed);
          return;
        }
        if (generation === host.generation() && target > this.flushedOffset) this.flushedOffset = target;
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        const error = host.isClosed() ? host.closedError() : host.failStorage(err);
        for (const w of waiters) w.reject(error);
      },
    );
    // The next sync starts one event-loop turn after this one ends, not at once. Why: the
    // appenders this sync just released append again within that turn, and so join the
    // next sync. Starting at once would split 64 appenders into two cohorts that take
    // turns (32 records per fdatasync, measured); waiting one turn keeps them in one
    // (about 64), doubling throughput for the price of a few microseconds of latency.
    void this.syncInFlight.finally(() => {
      setImmediate(() => {
        this.syncInFlight = undefined;
        if (this.syncWaiters.length > 0 && !host.isClosed()) this.startSync();
      });
    });
  }

  /** Waits for the sync in flight and the flushes of rolled segments (close). */
  async drain(): Promise<void> {
    if (this.syncInFlight !== undefined) await this.syncInFlight.catch(() => {});
    await this.rollFlushes;
  }

  /** Settles every waiting sync: resolved (everything was made durable by close) or rejected. */
  settleWaiters(err?: unknown): void {
    for (const w of this.syncWaiters.splice(0)) {
      if (err === undefined) w.resolve();
      else w.reject(err);
    }
  }
}
