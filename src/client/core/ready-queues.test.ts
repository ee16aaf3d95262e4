import { describe, expect, it } from 'vitest';
import { Rng } from '../../util/rng.js';
import { ReadyQueues } from './ready-queues.js';

class Member {
  readySlot = -1;
  readyParked = false;
  readyDueMs = 0;
  constructor(readonly id: number) {}
}

describe('ReadyQueues', () => {
  it('behaves as a Set under random adds, deletes and iterations that delete and add as they go', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Rng(seed);
      const members = Array.from({ length: 12 }, (_, i) => new Member(i));
      const ready = new ReadyQueues<Member>();
      const model = new Set<Member>();
      for (let step = 0; step < 300; step++) {
        const m = members[rng.int(members.length)]!;
        const op = rng.int(5);
        if (op <= 1) {
          ready.add(m);
          model.add(m);
        } else if (op === 2) {
          expect(ready.delete(m), `seed ${seed} step ${step}`).toBe(model.delete(m));
        } else if (op === 3) {
          // An iteration that deletes members (the one it is at, and others) and adds some, as the sender's drain may.
          const seen: number[] = [];
          const seenModel: number[] = [];
          const plan = Array.from({ length: 30 }, () => [rng.int(4), rng.int(members.length)] as const);
          let k = 0;
          for (const q of ready) {
            seen.push(q.id);
            const [what, other] = plan[k++ % plan.length]!;
            if (what === 0) ready.delete(q);
            else if (what === 1) ready.delete(members[other]!);
            else if (what === 2) ready.add(members[other]!);
          }
          k = 0;
          for (const q of model) {
            seenModel.push(q.id);
            const [what, other] = plan[k++ % plan.length]!;
            if (what === 0) model.delete(q);
            else if (what === 1) model.delete(members[other]!);
            else if (what === 2) model.add(members[other]!);
          }
          expect(seen, `seed ${seed} step ${step}`).toEqual(seenModel);
        } else {
          // An iteration abandoned part way (the sender's `unresolvedHead` returns early).
          for (const q of ready) if (q.id % 3 === 0) break;
        }
        expect(ready.size).toBe(model.size);
        expect([...ready].map((q) => q.id), `seed ${seed} step ${step}`).toEqual([...model].map((q) => q.id));
        for (const x of members) expect(ready.has(x)).toBe(model.has(x));
      }
    }
  });

  it('parks members until they are due: the drain’s iteration skips them, wake brings back the due ones in due order, add brings one back at once', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Rng(seed);
      const members = Array.from({ length: 12 }, (_, i) => new Member(i));
      const ready = new ReadyQueues<Member>();
      // The model: the due list in order, and the parked members with their due times.
      let due: Member[] = [];
      const parked = new Map<Member, number>();
      let now = 0;
      for (let step = 0; step < 400; step++) {
        const m = members[rng.int(members.length)]!;
        const op = rng.int(6);
        const where = `seed ${seed} step ${step}`;
        if (op === 0) {
          ready.add(m);
          if (parked.delete(m) || !due.includes(m)) due.push(m);
        } else if (op === 1) {
          expect(ready.delete(m), where).toBe(parked.delete(m) || due.includes(m));
          due = due.filter((x) => x !== m);
        } else if (op === 2) {
          // A drain that parks some members as it goes (due times mostly increasing, as batches are opened).
          const seen: number[] = [];
          for (const q of ready.due()) {
            seen.push(q.id);
            if (rng.int(2) === 0) {
              const dueMs = now + 1 + rng.int(rng.int(4) === 0 ? 20 : 5);
              ready.park(q, dueMs);
              parked.set(q, dueMs);
            }
          }
          expect(seen, where).toEqual(due.map((q) => q.id));
          due = due.filter((q) => !parked.has(q));
        } else if (op === 3) {
          now += rng.int(4);
          const all = rng.int(8) === 0;
          // Woken to the end of the due list in order of due time, those due together in the order they were parked.
          const woken = [...parked].filter(([, d]) => all || d <= now).sort((a, b) => a[1] - b[1]).map(([q]) => q);
          const next = ready.wake(now, all);
          for (const q of woken) parked.delete(q);
          due.push(...woken);
          expect(next, where).toBe(parked.size === 0 ? Infinity : Math.min(...parked.values()));
        }
        expect(ready.size, where).toBe(due.length + parked.size);
        expect(new Set([...ready].map((q) => q.id)), where).toEqual(new Set([...due, ...parked.keys()].map((q) => q.id)));
        for (const x of members) expect(ready.has(x), where).toBe(due.includes(x) || parked.has(x));
      }
    }
  });
});
