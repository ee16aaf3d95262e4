/**
 * The `Controller` on a Raft log: the pure glue between `RaftCore` and `Controller`, so
 * that the shell (`ControllerNode`) and the seeded simulation run the same composition.
 *
 * ## Entries and record offsets
 *
 * One Raft entry holds the records of one `handle` or `tick`, encoded with
 * `encodeMetadataRecords`: a request's records commit together or not at all, which is
 * what the controller's contract asks ("appended atomically"). Raft's leader-change
 * entries hold no records.
 *
 * The controller and the image number records densely: the n-th metadata record ever
 * committed has record offset n - 1 (`image.offset` is the last one's). That is not the
 * Raft offset (one entry holds many records, and leader-change entries hold none); this
 * class keeps the count, and a snapshot stores it beside the image.
 *
 * ## Activation
 *
 * A new leader's log may end with entries of earlier epochs that are not yet committed;
 * they commit with the leader-change entry of the new epoch. The controller is activated
 * only once that entry has committed (`RaftCore.leaderReady`) and every committed entry
 * has been replayed, so it starts from the whole log, with nothing uncommitted below it.
 * It is deactivated as soon as the node stops leading.
 *
 * ## Requests
 *
 * `submit` validates against the speculative image and proposes the records as one
 * entry. The answer waits for that entry to commit: committed at the same offset in the
 * epoch it was proposed in, the response stands; anything else there (a new leader
 * overwrote it) means NOT_CONTROLLER, and the caller retries on the new leader. An answer
 * is never given for records that did not commit.
 */
import type { Entry, Snapshot } from '../raft/core/kraft.js';
import { assert } from '../util/assert.js';
import { ByteReader } from '../util/byte-reader.js';
import type { Rng } from '../util/rng.js';
import { Controller, type ControllerConfig, type TickOutcome } from './controller.js';
import { MetadataImage, restore, snapshot, snapshotChunks } from './image.js';
import { entryBytesMax } from './controller-txn.js';
import { decodeMetadataRecords, encodeMetadataRecords, MetadataRecordsWriter, type MetadataRecord } from './records.js';
import type { ControllerRequest, ControllerResponse } from './requests.js';

/** What proposing to the Raft core gave: the entry's place, or that this node does not lead. */
/** The part of `RaftCore` the composition needs. */
export interface RaftView {
  readonly leaderReady: boolean;
  /** May throw a `TributaryError` for an entry the log cannot hold; the controller recovers (see `propose`). */
  propose(data: Uint8Array): { readonly offset: number; readonly epoch: number } | { readonly error: 'NOT_LEADER'; readonly leaderId: number };
}

/** How a submitted request ended. */
export type Outcome<R> = { readonly ok: true; readonly response: R } | { readonly ok: false; readonly error: 'NOT_CONTROLLER'; readonly message: string };

/** A request answered once its entry commits. */
export interface Answered {
  readonly ticket: number;
  readonly outcome: Outcome<unknown>;
}

interface Ticket {
  readonly ticket: number;
  readonly offset: number;
  readonly epoch: number;
  readonly response: unknown;
}

const snapshotVersion = 1;

export class QuorumController {
  private controller: Controller;
  /** Raft offset after the last entry applied (replayed or skipped). */
  private appliedEnd = 0;
  /** The record offset the next committed record gets. */
  private nextRecordOffset: number;
  private readonly tickets: Ticket[] = [];
  private nextTicket = 1;
  private readonly answered: Answered[] = [];

  constructor(
    private readonly rng: Rng,
    private readonly config: Partial<ControllerConfig> = {},
  ) {
    this.controller = new Controller({ rng, config });
    this.nextRecordOffset = 0;
  }

  /** The committed image. */
  get image(): MetadataImage {
    return this.controller.image;
  }

  /** Whether this node's controller is the active one. */
  get isActive(): boolean {
    return this.controller.isActive;
  }

  /** The Raft offset after the last entry applied. */
  get appliedEndOffset(): number {
    return this.appliedEnd;
  }

  /** Requests waiting for their entries to commit. */
  get waitingCount(): number {
    return this.tickets.length;
  }

  /** Applies committed entries, in log order, and answers the requests they carried. */
  applyCommitted(entries: readonly Entry[]): void {
    for (const e of entries) {
      assert(e.offset === this.appliedEnd, `committed entry at ${e.offset}, expected ${this.appliedEnd}`);
      this.appliedEnd = e.offset + 1;
      if (e.data !== null) {
        for (const record of decodeMetadataRecords(e.data)) this.controller.replay(record, this.nextRecordOffset++);
      }
      while (this.tickets.length > 0 && this.tickets[0]!.offset <= e.offset) {
        const t = this.tickets.shift()!;
        if (t.offset === e.offset && t.epoch === e.epoch) this.answer(t.ticket, { ok: true, response: t.response });
        else this.answer(t.ticket, notController(`its records were replaced at offset ${t.offset} by a newer leader's`));
      }
    }
  }

  /**
   * The log was truncated to `offset` (a diverged tail dropped): the entries at and after
   * it are gone from this node, and since the leader's log differs there they can never
   * commit. Their requests are answered NOT_CONTROLLER now rather than when (if ever) this
   * node's log grows past them again.
   */
  truncated(offset: number): void {
    const kept: Ticket[] = [];
    for (const t of this.tickets) {
      if (t.offset >= offset) this.answer(t.ticket, notController(`its records at offset ${t.offset} were truncated: a newer leader's log differs there`));
      else kept.push(t);
    }
    this.tickets.length = 0;
    this.tickets.push(...kept);
  }

  /** Replaces the state with a snapshot's (a follower too far behind, or a restart). */
  restoreSnapshot(s: Snapshot): void {
    const { image } = decodeSnapshot(s.data);
    this.controller.deactivate();
    this.controller = new Controller({ rng: this.rng, config: this.config, image });
    this.nextRecordOffset = image.offset + 1;
    this.appliedEnd = s.endOffset;
    while (this.tickets.length > 0 && this.tickets[0]!.offset < s.endOffset) {
      this.answer(this.tickets.shift()!.ticket, notController('a snapshot replaced the log before its records were seen to commit'));
    }
  }

  /** The snapshot of the state at `appliedEndOffset`. */
  takeSnapshot(): Uint8Array {
    return encodeSnapshot(this.controller.image);
  }

  /**
   * The same snapshot in parts: the Raft offset it covers, and the image's chunks to
   * encode one at a time (then `packSnapshot`), so a shell can interleave other work.
   */
  snapshotInParts(): { readonly endOffset: number; readonly imageOffset: number; readonly chunks: Iterator<Uint8Array> } {
    const image = this.controller.image;
    return { endOffset: this.appliedEnd, imageOffset: image.offset, chunks: snapshotChunks(image) };
  }

  /**
   * Follows leadership after every change to the Raft core: activates the controller
   * once the node leads with its leader-change entry committed (and applied), and
   * deactivates it when the node no longer leads.
   */
  sync(raft: RaftView, logEndOffset: number, now: number): void {
    if (raft.leaderReady) {
      if (!this.controller.isActive && this.appliedEnd === logEndOffset) this.controller.activate(this.nextRecordOffset, now);
    } else if (this.controller.isActive) {
      this.controller.deactivate();
    }
  }

  /**
   * Handles a request on the active controller. Returns a ticket answered when the
   * records commit, or the outcome at once when there is nothing to write or this node
   * is not the active controller.
   */
  submit<R extends ControllerRequest>(raft: RaftView, request: R, now: number): { readonly ticket: number } | { readonly outcome: Outcome<ControllerResponse<R>> } {
    if (!this.controller.isActive || !raft.leaderReady) return { outcome: notController('this node is not the active controller') };
    const { records, response, atomic } = this.controller.handle(request, now);
    if (records.length === 0) return { outcome: { ok: true, response } };
    return { ticket: this.propose(raft, records, response, atomic !== false) };
  }

  /** The active controller's periodic work (fencing, idle NoOps); `stalledMs`: how long the shell's thread was blocked before this tick. */
  tick(raft: RaftView, now: number, stalledMs = 0): TickOutcome | undefined {
    if (!this.controller.isActive || !raft.leaderReady) return undefined;
    const { records, response, atomic } = this.controller.tick(now, stalledMs);
    if (records.length > 0) this.propose(raft, records, response, atomic !== false);
    return response;
  }

  /** When `tick` next has work (a session to expire, the idle NoOp), on `now`'s clock; Infinity on a node that is not the active controller. */
  nextTickDeadline(raft: RaftView): number {
    return this.controller.isActive && raft.leaderReady ? this.controller.nextTickDeadline : Infinity;
  }

  /** Answers that became ready since the last call. */
  takeAnswered(): Answered[] {
    return this.answered.splice(0);
  }

  /**
   * Appends `records` to the Raft log: one entry, or (`atomic` false) as many entries of at
   * most half the entry limit as they need; the ticket is answered when the last commits.
   */
  private propose(raft: RaftView, records: readonly MetadataRecord[], response: unknown, atomic: boolean): number {
    let p!: ReturnType<RaftView['propose']>;
    try {
      if (atomic) p = raft.propose(encodeMetadataRecords(records));
      else for (const entry of entriesOf(records, (this.config.entryBytesMax ?? entryBytesMax) / 2)) p = raft.propose(entry);
    } catch (err) {
      // Raft refused the entry (too large for its log): the controller's speculative image
      // holds records that will never commit. Dropping them is a deactivation; `sync`
      // activates it again once everything proposed before has been applied.
      this.controller.deactivate();
      throw err;
    }
    // The controller is active only on a leader, and deactivated in the same turn it stops leading.
    assert(!('error' in p), 'the active controller proposes on a leader');
    const ticket = this.nextTicket++;
    this.tickets.push({ ticket, offset: p.offset, epoch: p.epoch, response });
    return ticket;
  }

  private answer(ticket: number, outcome: Outcome<unknown>): void {
    this.answered.push({ ticket, outcome });
  }
}

/** `records` encoded as entries of about `bytesMax` (closed once past it: a record is far smaller than the limit). */
function* entriesOf(records: readonly MetadataRecord[], bytesMax: number): Generator<Uint8Array> {
  const w = new MetadataRecordsWriter();
  for (const r of records) {
    w.add(r);
    if (w.byteLength >= bytesMax) yield w.take();
  }
  if (w.recordCount > 0) yield w.take();
}

function notController(why: string): { ok: false; error: 'NOT_CONTROLLER'; message: string } {
  return { ok: false, error: 'NOT_CONTROLLER', message: why };
}

/** Snapshot layout: u8 version, f64 image offset, u32 chunk count, then (u32 length, bytes) per chunk. */
export function encodeSnapshot(image: MetadataImage): Uint8Array {
  return packSnapshot(image.offset, snapshot(image));
}

/** The snapshot bytes for an image at `imageOffset` encoded as `chunks`. */
export function packSnapshot(imageOffset: number, chunks: readonly Uint8Array[]): Uint8Array {
  let size = 1 + 8 + 4;
  for (const c of chunks) size += 4 + c.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint8(0, snapshotVersion);
  view.setFloat64(1, imageOffset);
  view.setUint32(9, chunks.length);
  let pos = 13;
  for (const c of chunks) {
    view.setUint32(pos, c.length);
    out.set(c, pos + 4);
    pos += 4 + c.length;
  }
  return out;
}

export function decodeSnapshot(data: Uint8Array): { image: MetadataImage } {
  const r = new ByteReader(data, 'CORRUPT_MESSAGE', 0, data.length, 'metadata snapshot');
  const version = r.uint8();
  if (version !== snapshotVersion) r.fail(`unknown version ${version}`);
  const offset = r.float64();
  if (!Number.isSafeInteger(offset) || offset < -1) r.fail(`bad image offset ${offset}`);
  const count = r.uint32();
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) chunks.push(r.take(r.uint32(), 'a chunk'));
  r.done('the last chunk');
  return { image: restore(chunks, offset) };
}

