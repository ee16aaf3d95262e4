/**
 * The checkpoints of every log in one data folder, as Kafka keeps them per log directory
 * and its `LogManager` owns them: one `recovery-point-offset-checkpoint`, one
 * `log-start-offset-checkpoint` and one `.kafka_cleanshutdown` marker for all the
 * partitions in the folder, instead of three files in each partition's folder.
 *
 * Why: each of those per-partition files was an atomic write (a temporary file, an
 * fsync, a rename, a folder fsync), and a topic of 10,000 partitions paid them 10,000
 * times at creation and again at every clean shutdown. Here a new partition costs
 * nothing until it holds data; a raised recovery point is written with the others a
 * moment later (`checkpointDelayMs`; a stale point only makes recovery scan more); a
 * lowered point and a raised log start offset are written at once, before the change
 * they guard.
 *
 * Files (Kafka's formats): the two checkpoints are a version line `0`, a count line,
 * then `topic partition offset` lines (offsets of 0 are left out: they are the
 * default). The marker lists, one `topic partition` a line, the logs that were closed
 * cleanly and not changed since: each of them opens without a scan. Kafka's marker is
 * empty because Kafka loads every log of the folder at startup; logs here open as the
 * metadata names them, and a folder the marker does not name (an offline replica, a log
 * opened but never closed) must still be scanned.
 *
 * The marker is removed when the folder is opened (one folder fsync per start): from then
 * on, which logs are clean is known in memory only, and a crash leaves no marker.
 *
 * **Older folders.** A partition folder written before this (the frozen fixture
 * `test/fixtures/disk-format/v1/`) holds its own three files. A log with no entry here
 * and no mention in the marker reads them; once its values are in this folder's files
 * (written durably), its own files are removed. Until then its own marker is removed
 * before its first change, as before.
 * @internal
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import { segmentFileStem } from './core/offset-index.js';
import { cleanShutdownFile, logStartCheckpointFile, recoveryPointFile, type CheckpointedState, type CleanFiles, type LogCheckpoints } from './log-checkpoints.js';
import { snapshotFileName } from './producer-snapshots.js';
import { readNumberFile } from './log-checks.js';
import type { EpochEntry } from './log.js';
import type { Store } from './store.js';
import { startTimer, stopTimer, systemClock, type Clock, type ClockTimer } from '../util/clock.js';

/** How long a raised recovery point may wait to be written with the others. */
export const checkpointDelayMsDefault = 1000;

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function readOffsets(dir: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(join(dir, name), 'utf8');
  } catch {
    return out;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  const count = Number(lines[1]);
  // A garbled file reads as empty: every log then recovers from its first segment (safe).
  if (lines[0] !== '0' || !Number.isInteger(count) || lines.length !== count + 2) return out;
  for (const line of lines.slice(2)) {
    const parts = line.split(' ');
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (parts.length !== 3 || !Number.isInteger(partition) || partition < 0 || !Number.isSafeInteger(offset) || offset < 0) return new Map();
    out.set(key(parts[0]!, partition), offset);
  }
  return out;
}

function formatOffsets(offsets: Map<string, number>): string {
  const lines: string[] = [];
  for (const [k, offset] of offsets) {
    const [topic, partition] = k.split('\u0000');
    lines.push(`${topic} ${partition} ${offset}`);
  }
  return `0\n${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`;
}

/** An epoch history as `epoch:startOffset,...`, or `-` for none. */
function formatEpochs(epochs: readonly EpochEntry[]): string {
  return epochs.length === 0 ? '-' : epochs.map((e) => `${e.epoch}:${e.startOffset}`).join(',');
}

function formatOffsetList(offsets: readonly number[]): string {
  return offsets.length === 0 ? '-' : offsets.join(',');
}

/** Ascending offsets joined by commas, or `-` for none. */
function parseOffsets(text: string): number[] | undefined {
  if (text === '-') return [];
  const out = text.split(',').map(Number);
  return out.every((o, i) => Number.isSafeInteger(o) && o >= 0 && (i === 0 || o > out[i - 1]!)) && /^[\d,]+$/.test(text) ? out : undefined;
}

function parseEpochs(text: string): EpochEntry[] | undefined {
  if (text === '-') return [];
  const out: EpochEntry[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+):(\d+)$/.exec(part);
    if (m === null) return undefined;
    const e = { epoch: Number(m[1]), startOffset: Number(m[2]) };
    const last = out[out.length - 1];
    if (!Number.isSafeInteger(e.startOffset) || e.epoch > 0x7fffffff || (last !== undefined && (e.epoch <= last.epoch || e.startOffset < last.startOffset))) return undefined;
    out.push(e);
  }
  return out;
}

export class LogDirCheckpoints {
  private readonly recoveryPoints: Map<string, number>;
  private readonly logStartOffsets: Map<string, number>;
  /** Logs the marker named at open (closed cleanly, unchanged since), with their log end offsets if it gave them. */
  private readonly cleanAtOpen: Map<string, number | undefined>;
  /** Logs closed cleanly in this run, with their log end offsets. */
  private readonly closedClean = new Map<string, number>();
  /** The topic id each log's folder holds (its `partition.metadata`), as the broker last checked or wrote it. */
  private readonly topicIds = new Map<string, string>();
  /** The epoch history of each clean log (its `leader-epoch-checkpoint`, synced before the clean close). */
  private readonly epochs = new Map<string, readonly EpochEntry[]>();
  /** How many leading entries of `epochs` a clean log's epoch file holds, where fewer than all. */
  private readonly epochsInFile = new Map<string, number>();
  /** The segment and snapshot files of each clean log at its close. */
  private readonly files = new Map<string, CleanFiles>();
  /** Logs opened in this run and not closed cleanly since. */
  private readonly openNow = new Set<string>();
  /** Logs that changed since they were last known clean. */
  private readonly changed = new Set<string>();
  /** Logs that must be scanned at their next open (a damaged batch was found in one). */
  private readonly mustScan = new Set<string>();
  /** Older partition folders whose own files go once their values are durably here. */
  private readonly legacy = new Map<string, Store>();
  private dirty = false;
  private timer: ClockTimer | undefined;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly delayMs: number,
    private readonly clock: Clock,
    /** What must be durable before the checkpoints are written (the topic-id journal: a recovery point vouches for data whose topic it names). */
    private readonly beforeFlush?: { syncNow(): void },
  ) {
    this.recoveryPoints = readOffsets(dir, recoveryPointFile);
    this.logStartOffsets = readOffsets(dir, logStartCheckpointFile);
    this.cleanAtOpen = new Map();
    let marker: string | undefined;
    try {
      marker = readFileSync(join(dir, cleanShutdownFile), 'utf8');
    } catch {
      marker = undefined;
    }
    if (marker !== undefined) {
      for (const line of marker.split('\n')) {
        const m = /^(\S+) (\d+)$/.exec(line);
        if (m !== null) this.cleanAtOpen.set(key(m[1]!, Number(m[2])), undefined);
      }
      // Then, since issue 13, each clean log's end, topic id, epoch history and files:
      // `topic partition logEndOffset topicId|- epoch:startOffset,...|- segments|- snapshots|-`
      // lines, the last two base offsets joined by commas (a marker reader of an earlier
      // version passes over these lines).
      for (const line of marker.split('\n')) {
        const named = /^(\S+) (\d+) \S/.exec(line);
        const k = named === null ? undefined : key(named[1]!, Number(named[2]));
        if (k === undefined || !this.cleanAtOpen.has(k)) continue;
        const m = /^(\S+) (\d+) (\d+) (\S+) (\S+) (\S+) (\S+)(?: (\d+))?$/.exec(line);
        const epochs = m === null ? undefined : parseEpochs(m[5]!);
        const segments = m === null ? undefined : parseOffsets(m[6]!);
        const snapshots = m === null ? undefined : parseOffsets(m[7]!);
        if (epochs === undefined || segments === undefined || snapshots === undefined) {
          // Garbled: the log is recovered from its recovery point, as after a crash (its
          // epoch file may have been left behind at the close, which only a scan makes up).
          this.cleanAtOpen.delete(k);
          continue;
        }
        this.cleanAtOpen.set(k, Number(m![3]));
        if (m![4] !== '-') this.topicIds.set(k, m![4]!);
        this.epochs.set(k, epochs);
        // An eighth field: the epoch file holds only this many of them (the rest start past the recovery point).
        if (m![8] !== undefined && Number(m![8]) < epochs.length) this.epochsInFile.set(k, Number(m![8]));
        this.files.set(k, { segments, snapshots });
      }
      // unlink, not rmSync: on a folder where nothing can be removed (EPERM), rmSync's
      // fallback to rmdir reports a baffling ENOTDIR instead of the EPERM.
      try {
        unlinkSync(join(dir, cleanShutdownFile));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      fsyncDir(dir);
    }
  }

  /** Opens the checkpoints of the data folder `dir` (which exists). */
  static open(dir: string, delayMs = checkpointDelayMsDefault, clock: Clock = systemClock, beforeFlush?: { syncNow(): void }): LogDirCheckpoints {
    return new LogDirCheckpoints(dir, delayMs, clock, beforeFlush);
  }

  /**
   * The checkpoints of one log, whose folder is `store`: a small object over this one's
   * maps (an object literal of seven methods was seven closures and a context kept by
   * every open log, about 500 bytes each: 5 MiB over 10,000 partitions).
   */
  forLog(topic: string, partition: number, store: Store): LogCheckpoints {
    return new LogDirLogCheckpoints(this, topic, partition, store);
  }

  /** `LogCheckpoints.read` of one log (see `LogDirLogCheckpoints`). @internal */
  readFor(view: LogDirLogCheckpoints, listed: readonly string[] | undefined): CheckpointedState {
    const { k, topic, partition, store } = view;
    this.openNow.add(k);
    const names = listed ?? store.list();
    if (names.every((n) => n.startsWith('.lock') || n === 'partition.metadata')) {
      // An empty folder (a lock or a topic id at most): whatever is recorded here belongs
      // to a folder that was removed (a deleted topic of the same name).
      this.forget(topic, partition);
      return { clean: false, recoveryPoint: undefined, logStartOffset: undefined, known: false };
    }
    const known = this.recoveryPoints.has(k) || this.logStartOffsets.has(k) || this.cleanAtOpen.has(k) || this.closedClean.has(k);
    if (!known && (names.includes(recoveryPointFile) || names.includes(logStartCheckpointFile) || names.includes(cleanShutdownFile))) {
      // An older folder with checkpoints of its own: take them over.
      view.legacyMarker = names.includes(cleanShutdownFile);
      const rp = readNumberFile(store, recoveryPointFile);
      const ls = readNumberFile(store, logStartCheckpointFile);
      if (rp !== undefined && rp > 0) this.recoveryPoints.set(k, rp);
      if (ls !== undefined && ls > 0) this.logStartOffsets.set(k, ls);
      this.legacy.set(k, store);
      this.schedule();
      return { clean: view.legacyMarker && !this.mustScan.has(k), recoveryPoint: rp, logStartOffset: ls, known: true };
    }
    const clean = this.isClean(k);
    const cleanLogEndOffset = this.closedClean.has(k) ? this.closedClean.get(k) : this.cleanAtOpen.get(k);
    const cleanEpochs = this.epochs.get(k);
    const cleanEpochsInFile = this.epochsInFile.get(k);
    return {
      clean,
      ...(clean && cleanLogEndOffset !== undefined ? { cleanLogEndOffset } : {}),
      ...(clean && cleanLogEndOffset !== undefined && cleanEpochs !== undefined ? { cleanEpochs } : {}),
      ...(clean && cleanLogEndOffset !== undefined && cleanEpochs !== undefined && cleanEpochsInFile !== undefined ? { cleanEpochsInFile } : {}),
      recoveryPoint: this.recoveryPoints.get(k) ?? 0,
      logStartOffset: this.logStartOffsets.get(k),
      known: true,
    };
  }

  /** `LogCheckpoints.cleanFileNames` of one log. @internal */
  cleanFileNamesFor(k: string): string[] | undefined {
    const files = this.files.get(k);
    if (!this.isClean(k) || files === undefined) return undefined;
    return [...files.segments.map((b) => `${segmentFileStem(b)}.log`), ...files.snapshots.map(snapshotFileName)];
  }

  /** `LogCheckpoints.removeCleanMarker` of one log. @internal */
  removeCleanMarkerFor(view: LogDirLogCheckpoints): void {
    this.changed.add(view.k);
    this.closedClean.delete(view.k);
    if (view.legacyMarker) {
      view.store.remove(cleanShutdownFile);
      view.store.syncDir();
      view.legacyMarker = false;
    }
  }

  /** `LogCheckpoints.writeRecoveryPoint` of one log. @internal */
  writeRecoveryPointFor(k: string, offset: number, lowered: boolean): void {
    this.set(this.recoveryPoints, k, offset);
    if (lowered) this.flush();
    else this.schedule();
  }

  /** `LogCheckpoints.writeLogStartOffset` of one log. @internal */
  writeLogStartOffsetFor(k: string, offset: number): void {
    this.set(this.logStartOffsets, k, offset);
    this.flush();
  }

  /** `LogCheckpoints.markCleanShutdown` of one log. @internal */
  markCleanShutdownFor(k: string, logEndOffset: number, recoveryPoint: number, epochs: readonly EpochEntry[], files: CleanFiles, epochsInFile?: number): void {
    this.set(this.recoveryPoints, k, recoveryPoint);
    this.epochs.set(k, epochs.map((e) => ({ ...e })));
    if (epochsInFile !== undefined && epochsInFile < epochs.length) this.epochsInFile.set(k, epochsInFile);
    else this.epochsInFile.delete(k);
    this.files.set(k, { segments: [...files.segments], snapshots: [...files.snapshots] });
    this.changed.delete(k);
    this.openNow.delete(k);
    this.closedClean.set(k, logEndOffset);
    this.schedule();
  }

  private isClean(k: string): boolean {
    return !this.mustScan.has(k) && !this.changed.has(k) && (this.cleanAtOpen.has(k) || this.closedClean.has(k));
  }

  /**
   * What the checkpoints say of a log before it opens (for progress reports); undefined
   * for a log they know nothing of (a new one, or an older folder with files of its own).
   */
  peek(topic: string, partition: number): { clean: boolean; recoveryPoint: number } | undefined {
    const k = key(topic, partition);
    const known = this.recoveryPoints.has(k) || this.logStartOffsets.has(k) || this.cleanAtOpen.has(k) || this.closedClean.has(k);
    if (!known) return undefined;
    const clean = !this.mustScan.has(k) && !this.changed.has(k) && (this.cleanAtOpen.has(k) || this.closedClean.has(k));
    return { clean, recoveryPoint: this.recoveryPoints.get(k) ?? 0 };
  }

  /**
   * The topic id a log's folder held when it was closed cleanly, if the marker says and the
   * log is still clean: the broker then need not read the folder's `partition.metadata`
   * (the log's end is checked against its files all the same).
   */
  cleanTopicId(topic: string, partition: number): string | undefined {
    return this.peek(topic, partition)?.clean === true ? this.topicIds.get(key(topic, partition)) : undefined;
  }

  /** The topic id the folder of a log holds (checked or written by the broker), for the marker. */
  noteTopicId(topic: string, partition: number, topicId: string): void {
    this.topicIds.set(key(topic, partition), topicId);
  }

  /** The folder of a log was removed (topic deleted, or the folder held another topic): its entries go. */
  forget(topic: string, partition: number): void {
    const k = key(topic, partition);
    const had = this.recoveryPoints.delete(k) || this.logStartOffsets.delete(k);
    this.logStartOffsets.delete(k);
    this.cleanAtOpen.delete(k);
    this.closedClean.delete(k);
    this.changed.delete(k);
    this.legacy.delete(k);
    this.topicIds.delete(k);
    this.epochs.delete(k);
    this.epochsInFile.delete(k);
    this.files.delete(k);
    if (had) this.schedule();
  }

  /** The next open of this log scans every segment (a damaged batch was found). */
  requestScan(topic: string, partition: number): void {
    const k = key(topic, partition);
    this.mustScan.add(k);
    this.cleanAtOpen.delete(k);
    this.closedClean.delete(k);
    this.recoveryPoints.delete(k);
    this.dirty = true;
    this.flush();
  }

  private set(map: Map<string, number>, k: string, offset: number): void {
    if ((map.get(k) ?? 0) === offset) return;
    if (offset === 0) map.delete(k);
    else map.set(k, offset);
    this.dirty = true;
  }

  private schedule(): void {
    this.dirty = true;
    if (this.timer !== undefined || this.closed) return;
    this.timer = startTimer(
      this.clock,
      this.delayMs,
      () => {
        this.timer = undefined;
        try {
          this.flush();
        } catch {
          // The next write tries again; a stale recovery point only makes recovery scan more.
          this.dirty = true;
        }
      },
      true,
    );
  }

  /** Writes both checkpoint files now if anything changed; then removes older folders' own files. */
  flush(): void {
    stopTimer(this.clock, this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    this.beforeFlush?.syncNow();
    writeFileAtomic(this.dir, recoveryPointFile, formatOffsets(this.recoveryPoints));
    writeFileAtomic(this.dir, logStartCheckpointFile, formatOffsets(this.logStartOffsets));
    for (const [, store] of this.legacy) {
      try {
        // Its own marker goes too: which logs are clean is known in memory from here, and
        // this folder's marker speaks for it after a clean shutdown.
        store.remove(recoveryPointFile);
        store.remove(logStartCheckpointFile);
        store.remove(cleanShutdownFile);
        store.syncDir();
      } catch {
        // Harmless: this folder's entries now take precedence.
      }
    }
    this.legacy.clear();
  }

  /**
   * A clean shutdown: every log is closed. Writes the checkpoints, then the marker naming
   * every log that is clean.
   */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const clean: string[] = [];
    const ends: string[] = [];
    for (const k of new Set([...this.cleanAtOpen.keys(), ...this.closedClean.keys()])) {
      if (this.changed.has(k) || this.mustScan.has(k) || this.openNow.has(k)) continue;
      const [topic, partition] = k.split('\u0000');
      clean.push(`${topic} ${partition}\n`);
      const end = this.closedClean.has(k) ? this.closedClean.get(k) : this.cleanAtOpen.get(k);
      const epochs = this.epochs.get(k);
      const files = this.files.get(k);
      if (end !== undefined && epochs !== undefined && files !== undefined) {
        const inFile = this.epochsInFile.get(k);
        ends.push(`${topic} ${partition} ${end} ${this.topicIds.get(k) ?? '-'} ${formatEpochs(epochs)} ${formatOffsetList(files.segments)} ${formatOffsetList(files.snapshots)}${inFile === undefined ? '' : ` ${inFile}`}\n`);
      }
    }
    writeFileAtomic(this.dir, cleanShutdownFile, clean.join('') + ends.join(''));
  }

  /** Stops without writing anything more (a crash, in tests). */
  abandon(): void {
    this.closed = true;
    stopTimer(this.clock, this.timer);
    this.timer = undefined;
  }
}

/** One log's checkpoints in its data folder's files (`LogDirCheckpoints.forLog`). @internal */
export class LogDirLogCheckpoints implements LogCheckpoints {
  readonly k: string;
  /** An older folder's own clean-shutdown marker, taken over at open and removed before the first change. */
  legacyMarker = false;
  readonly keepEpochs = true;

  constructor(
    private readonly owner: LogDirCheckpoints,
    readonly topic: string,
    readonly partition: number,
    readonly store: Store,
  ) {
    this.k = key(topic, partition);
  }

  read(listed?: readonly string[]): CheckpointedState {
    return this.owner.readFor(this, listed);
  }
  cleanFileNames(): string[] | undefined {
    return this.owner.cleanFileNamesFor(this.k);
  }
  removeCleanMarker(): void {
    this.owner.removeCleanMarkerFor(this);
  }
  writeRecoveryPoint(offset: number, lowered: boolean): void {
    this.owner.writeRecoveryPointFor(this.k, offset, lowered);
  }
  writeLogStartOffset(offset: number): void {
    this.owner.writeLogStartOffsetFor(this.k, offset);
  }
  markCleanShutdown(logEndOffset: number, recoveryPoint: number, epochs: readonly EpochEntry[], files: CleanFiles, epochsInFile?: number): void {
    this.owner.markCleanShutdownFor(this.k, logEndOffset, recoveryPoint, epochs, files, epochsInFile);
  }
}
