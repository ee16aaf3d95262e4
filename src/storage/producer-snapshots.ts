/**
 * The producer-state snapshot files of a partition log, as Kafka's `ProducerStateManager`
 * keeps them (`<offset>.snapshot`): the idempotent producers' state as it stood when the
 * log ended at `offset`. The broker's `Partition` owns what a snapshot says (`source`,
 * opaque bytes here); storage decides when one is taken and which ones still hold.
 *
 * Why: the broker rebuilt its producer state at every open by reading the whole log from
 * its start. After a bulk load of 2 GiB that read (and CRC-checked, the segments being
 * trusted unchecked) every byte again: about 1.5 s of each 2 s reopen, clean or not, and
 * it grows with the log. With a snapshot the rebuild replays only what follows it: the
 * active segment after a crash, nothing after a clean close.
 *
 * When a snapshot is taken: at every roll, of the state below the new segment's base
 * offset (the broker applies a write's batches to its state only after the log has
 * written them, so at the roll, inside the write, the state covers exactly the old
 * segments); and at a clean close, when replaying from the newest snapshot would read
 * more than {@link snapshotAtCloseBytesMin}. The files are written by a temporary file and
 * a rename, without an fsync: a snapshot that a power loss garbled fails its checksum,
 * and one past the recovered log end is removed, and the rebuild then falls back to an
 * older snapshot or to the log's start, so a lost snapshot costs time, never correctness.
 *
 * What keeps a snapshot true: it describes the log below its offset, so every change
 * below that offset removes it first: a truncation removes the snapshots past the new
 * end before the tail goes (and syncs the folder), a reset removes them all. Retention
 * and compaction keep the offsets and producer fields of the batches a snapshot
 * describes, so they leave it true.
 * @internal
 */
import { crc32c } from '../util/crc32c.js';
import { segmentFileStem } from './core/offset-index.js';
import type { Segment } from './segment.js';
import type { Store } from './store.js';

/** The newest snapshots kept; older ones are removed as new ones are written. */
export const snapshotsKept = 2;
/** A clean close takes a snapshot if replaying from the newest one would read more than this. */
export const snapshotAtCloseBytesMin = 64 * 1024;

const version = 1;
/** version (2), CRC-32C of the payload (4), payload length (4). */
const headerBytes = 10;

export function snapshotFileName(offset: number): string {
  return `${segmentFileStem(offset)}.snapshot`;
}

function parseSnapshotFileName(name: string): number | undefined {
  const m = /^(\d{20})\.snapshot$/.exec(name);
  if (m === null) return undefined;
  const offset = Number(m[1]);
  return Number.isSafeInteger(offset) ? offset : undefined;
}

export class ProducerSnapshots {
  /** Offsets of the snapshot files in the folder, ascending. */
  private offsets: number[] = [];
  /** The current producer state as bytes; set by the broker's `Partition`. Without it no snapshot is taken. */
  source: (() => Uint8Array) | undefined;
  /** Snapshot files written and read in this run (tests count them). */
  readonly counts = { written: 0, read: 0, rejected: 0 };

  constructor(private readonly store: Store) {}

  /** The offsets of the snapshot files, ascending. */
  get onDisk(): readonly number[] {
    return this.offsets;
  }

  /** The newest snapshot's offset, or undefined. */
  get latestOffset(): number | undefined {
    return this.offsets[this.offsets.length - 1];
  }

  /**
   * At open, after recovery: notes the snapshot files among the folder's `names`, and
   * removes those past the recovered log end (the tail they described is gone; Kafka's
   * `removeStraySnapshots`).
   */
  load(names: readonly string[], logEndOffset: number): void {
    const offsets: number[] = [];
    for (const name of names) {
      const offset = parseSnapshotFileName(name);
      if (offset === undefined) continue;
      if (offset > logEndOffset) this.store.remove(name);
      else offsets.push(offset);
    }
    this.offsets = offsets.sort((a, b) => a - b);
  }

  /**
   * The newest snapshot whose file is whole (checksum and length), with its offset; a
   * damaged one is removed and the next older one tried.
   */
  latest(): { offset: number; payload: Uint8Array } | undefined {
    while (this.offsets.length > 0) {
      const offset = this.offsets[this.offsets.length - 1]!;
      const name = snapshotFileName(offset);
      let bytes: Buffer | undefined;
      try {
        bytes = this.store.readAll(name);
      } catch {
        bytes = undefined;
      }
      this.counts.read++;
      const payload = bytes === undefined ? undefined : unwrap(bytes);
      if (payload !== undefined) return { offset, payload };
      this.counts.rejected++;
      this.offsets.pop();
      this.store.remove(name);
    }
    return undefined;
  }

  /** Takes a snapshot of the state at `offset` (the log ends there now), if the broker gave a source. */
  take(offset: number): void {
    if (this.source === undefined) return;
    const payload = this.source();
    const name = snapshotFileName(offset);
    const file = wrap(payload);
    if (this.store.writeReplacing !== undefined) this.store.writeReplacing(name, file);
    else this.store.writeAtomic(name, file);
    this.counts.written++;
    if (this.latestOffset !== offset) {
      this.offsets = this.offsets.filter((o) => o !== offset);
      this.offsets.push(offset);
      this.offsets.sort((a, b) => a - b);
    }
    while (this.offsets.length > snapshotsKept) this.store.remove(snapshotFileName(this.offsets.shift()!));
  }

  /**
   * At a clean close: a snapshot at the log end if replaying from the newest one (or from
   * the log's start) would read more than {@link snapshotAtCloseBytesMin}.
   */
  takeAtClose(segments: readonly Segment[], logEndOffset: number): void {
    if (this.source === undefined || this.latestOffset === logEndOffset) return;
    const from = this.latestOffset ?? -1;
    let bytes = 0;
    for (const s of segments) if (s.nextOffset > from) bytes += s.size;
    if (bytes > snapshotAtCloseBytesMin) this.take(logEndOffset);
  }

  /**
   * Before the log is cut back to end at or below `offset`: removes the snapshots past it
   * (durably: the folder is synced if any went), so none can describe a tail that a later
   * write replaces.
   */
  truncateTo(offset: number): void {
    let removed = false;
    while (this.offsets.length > 0 && this.offsets[this.offsets.length - 1]! > offset) {
      this.store.remove(snapshotFileName(this.offsets.pop()!));
      removed = true;
    }
    if (removed) this.store.syncDir();
  }

  /** Before every segment is deleted (a reset): removes every snapshot. */
  deleteAll(): void {
    for (const offset of this.offsets) this.store.remove(snapshotFileName(offset));
    this.offsets = [];
  }
}

function wrap(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(headerBytes + payload.length);
  out.writeInt16BE(version, 0);
  out.writeUInt32BE(crc32c(payload, 0, payload.length), 2);
  out.writeUInt32BE(payload.length, 6);
  out.set(payload, headerBytes);
  return out;
}

function unwrap(bytes: Buffer): Uint8Array | undefined {
  if (bytes.length < headerBytes || bytes.readInt16BE(0) !== version) return undefined;
  const length = bytes.readUInt32BE(6);
  if (headerBytes + length !== bytes.length) return undefined;
  const payload = bytes.subarray(headerBytes);
  return crc32c(payload, 0, payload.length) === bytes.readUInt32BE(2) ? payload : undefined;
}
