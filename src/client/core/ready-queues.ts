/**
 * The partition queues that have batches to send (the accumulator's `ready`), as an
 * insertion-ordered set that keeps each member's place on the member itself
 * (`readySlot`) instead of in a hash table.
 *
 * Why not a `Set`: with keyed records over 10,000 partitions every record is a batch of
 * its own, and each batch put its queue into the set and the drain took it out again: a
 * hash insert and delete a batch, the table rebuilt as deleted entries piled up behind
 * 8,000 queues in flight, and an iterator result object for each queue the drain looked
 * at (measured with allocation sampling: 86 bytes a batch, 16 MB a round of 186,000
 * batches). Here an insert is a push and a delete leaves a hole; the holes are squeezed
 * out when an iteration begins (never during one).
 *
 * **Parked members.** A queue whose next batch lingers (not full, `lingerMs` not over) is
 * parked by the drain until its batch is due: it leaves the list the drain walks
 * (`due()`) for a second list kept in order of due time, and `wake(now)` brings back the
 * due ones. Why: with keyed records over 10,000 partitions and `lingerMs` 1, the drain
 * read about 0.7 lingering queues a batch for nothing (each one's queue and batch a cache
 * miss), every run, until their linger was over. A parked member is still a member (`has`,
 * `size`, the full iteration); `add` of a parked member brings it back at once, which is
 * how the accumulator says that its batch is full (a full batch never lingers).
 * @internal
 */
import { assert } from '../../util/assert.js';
import type { ReadySet } from './sender-batch.js';

/** A member: its index in the set's array, -1 while it is not a member. */
export interface ReadyMember {
  readySlot: number;
  /** Whether `readySlot` is in the parked list. */
  readyParked: boolean;
  /** While parked: when its batch is due (monotonic ms). */
  readyDueMs: number;
}

export class ReadyQueues<Q extends ReadyMember> implements ReadySet<Q> {
  private slots: (Q | undefined)[] = [];
  private live = 0;
  /** Parked members in order of `readyDueMs` from `parkedHead`, with holes. */
  private parked: (Q | undefined)[] = [];
  private parkedHead = 0;
  private parkedLive = 0;

  get size(): number {
    return this.live + this.parkedLive;
  }

  has(q: Q): boolean {
    const slot = q.readySlot;
    return slot >= 0 && (q.readyParked ? this.parked[slot] === q : this.slots[slot] === q);
  }

  /** Adds `q` at the end unless it is a member already (as `Set.add`); a parked member comes back to the end at once. */
  add(q: Q): this {
    if (this.has(q)) {
      if (!q.readyParked) return this;
      this.unpark(q);
    }
    q.readySlot = this.slots.length;
    this.slots.push(q);
    this.live++;
    return this;
  }

  /** Removes `q`; whether it was a member (as `Set.delete`). Safe during an iteration. */
  delete(q: Q): boolean {
    if (!this.has(q)) return false;
    if (q.readyParked) this.unpark(q);
    else {
      this.slots[q.readySlot] = undefined;
      this.live--;
    }
    q.readySlot = -1;
    return true;
  }

  /**
   * Parks member `q` (not parked) until `dueMs`: the `due()` iteration no longer reaches
   * it until `wake` finds it due (or `add` brings it back). Safe during a `due()` iteration.
   * Kept in order of due time by inserting from the end (where a drain's parking nearly
   * always lands: batches are opened in time order).
   */
  park(q: Q, dueMs: number): void {
    assert(this.has(q) && !q.readyParked, 'a member of the due list is parked');
    this.slots[q.readySlot] = undefined;
    this.live--;
    const parked = this.parked;
    let i = parked.length;
    parked.push(undefined);
    for (; i > this.parkedHead; i--) {
      const before = parked[i - 1];
      if (before !== undefined && before.readyDueMs <= dueMs) break;
      parked[i] = before;
      if (before !== undefined) before.readySlot = i;
    }
    parked[i] = q;
    q.readySlot = i;
    q.readyParked = true;
    q.readyDueMs = dueMs;
    this.parkedLive++;
  }

  /**
   * Brings back to the due list, in order of due time, the parked members due at `now`
   * (every one when `all`: a flush). Not during an iteration. Returns the earliest due
   * time still parked (Infinity: none).
   */
  wake(now: number, all: boolean): number {
    const parked = this.parked;
    let i = this.parkedHead;
    for (; i < parked.length; i++) {
      const q = parked[i];
      if (q === undefined) continue;
      if (!all && q.readyDueMs > now) break;
      parked[i] = undefined;
      this.parkedLive--;
      q.readyParked = false;
      q.readySlot = this.slots.length;
      this.slots.push(q);
      this.live++;
    }
    this.parkedHead = i;
    if (this.parkedLive === 0) {
      parked.length = 0;
      this.parkedHead = 0;
      return Infinity;
    }
    if (i >= 1024 && i * 2 >= parked.length) this.compactParked();
    return parked[this.parkedHead]!.readyDueMs;
  }

  /** The members not parked, in order, for the drain (a member parked during it is skipped, as a deleted one). */
  due(): Iterable<Q> {
    return { [Symbol.iterator]: () => this.iterate(false) };
  }

  private unpark(q: Q): void {
    this.parked[q.readySlot] = undefined;
    q.readyParked = false;
    this.parkedLive--;
    if (this.parkedLive === 0) {
      this.parked.length = 0;
      this.parkedHead = 0;
    }
  }

  /** Drops the parked list's leading holes (its head is then a member). */
  private compactParked(): void {
    const parked = this.parked;
    let kept = 0;
    for (let i = this.parkedHead; i < parked.length; i++) {
      const q = parked[i];
      if (q === undefined) continue;
      q.readySlot = kept;
      parked[kept++] = q;
    }
    parked.length = kept;
    this.parkedHead = 0;
  }

  /**
   * The members in insertion order, as a `Set` iterates: a member removed during the
   * iteration and not yet reached is skipped, one added during it is reached. One
   * iteration at a time (the sender's are never nested); the holes left by deletions are
   * squeezed out when it begins.
   */
  [Symbol.iterator](): Iterator<Q> {
    return this.iterate(true);
  }

  /** The due list, then (with `parked`) the parked members; see `[Symbol.iterator]`. */
  private iterate(parked: boolean): Iterator<Q> {
    this.compact();
    const slots = this.slots;
    let i = 0;
    let k = this.parkedHead;
    // One result object for the whole iteration: a `for...of` reads it before the next call.
    const result = { value: undefined as unknown as Q, done: false };
    return {
      next: (): IteratorResult<Q> => {
        while (i < slots.length) {
          const q = slots[i++];
          if (q !== undefined) {
            result.value = q;
            return result;
          }
        }
        while (parked && k < this.parked.length) {
          const q = this.parked[k++];
          if (q !== undefined) {
            result.value = q;
            return result;
          }
        }
        result.done = true;
        result.value = undefined as unknown as Q;
        return result;
      },
    };
  }

  /** Moves the members down over the holes, in place (no new array an iteration). */
  private compact(): void {
    const slots = this.slots;
    if (this.live === slots.length) return;
    let kept = 0;
    for (let i = 0; i < slots.length; i++) {
      const q = slots[i];
      if (q === undefined) continue;
      q.readySlot = kept;
      slots[kept++] = q;
    }
    slots.length = kept;
  }
}
