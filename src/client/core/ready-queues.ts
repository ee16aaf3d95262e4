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
 * @internal
 */
import type { ReadySet } from './sender-batch.js';

/** A member: its index in the set's array, -1 while it is not a member. */
export interface ReadyMember {
  readySlot: number;
}

export class ReadyQueues<Q extends ReadyMember> implements ReadySet<Q> {
  private slots: (Q | undefined)[] = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  has(q: Q): boolean {
    return q.readySlot >= 0 && this.slots[q.readySlot] === q;
  }

  /** Adds `q` at the end unless it is a member already (as `Set.add`). */
  add(q: Q): this {
    if (this.has(q)) return this;
    q.readySlot = this.slots.length;
    this.slots.push(q);
    this.live++;
    return this;
  }

  /** Removes `q`; whether it was a member (as `Set.delete`). Safe during an iteration. */
  delete(q: Q): boolean {
    if (!this.has(q)) return false;
    this.slots[q.readySlot] = undefined;
    q.readySlot = -1;
    this.live--;
    return true;
  }

  /**
   * The members in insertion order, as a `Set` iterates: a member removed during the
   * iteration and not yet reached is skipped, one added during it is reached. One
   * iteration at a time (the sender's are never nested); the holes left by deletions are
   * squeezed out when it begins.
   */
  [Symbol.iterator](): Iterator<Q> {
    this.compact();
    const slots = this.slots;
    let i = 0;
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
