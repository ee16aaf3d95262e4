import { describe, expect, it } from 'vitest';
import { Rng } from '../../util/rng.js';
import { ReadyQueues } from './ready-queues.js';

class Member {
  readySlot = -1;
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
});
