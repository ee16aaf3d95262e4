import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cooperativeStickyAssign, rangeAssign, roundRobinAssign, stickyAssign, type Assignment, type AssignorMember } from './assignors.js';

const counts = (o: Record<string, number>) => new Map(Object.entries(o));
const flat = (a: Assignment): string[] => [...a.values()].flat().map((tp) => `${tp.topic}-${tp.partition}`);

const scenario = fc
  .record({
    topics: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 12 }), { minKeys: 1 }),
    members: fc.uniqueArray(fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5'), { minLength: 1 }),
    uniform: fc.boolean(),
    seed: fc.nat(),
  })
  .map(({ topics, members, uniform, seed }) => {
    const names = Object.keys(topics);
    const ms: AssignorMember[] = members.map((memberId, i) => ({
      memberId,
      topics: uniform ? names : names.filter((_, j) => (seed >> ((i * 3 + j) % 20)) & 1 || j === i % names.length),
    }));
    return { counts: counts(topics), members: ms };
  });

function checkExactlyOnce(a: Assignment, members: readonly AssignorMember[], c: Map<string, number>): void {
  const seen = flat(a);
  expect(new Set(seen).size).toBe(seen.length);
  const subscribed = new Set(members.flatMap((m) => m.topics));
  const expected: string[] = [];
  for (const [t, n] of c) if (subscribed.has(t)) for (let p = 0; p < n; p++) expected.push(`${t}-${p}`);
  expect(seen.sort()).toEqual(expected.sort());
  for (const m of members) for (const tp of a.get(m.memberId)!) expect(m.topics).toContain(tp.topic);
}

describe('assignors: every partition of a subscribed topic to exactly one subscribed member', () => {
  it.each([
    ['range', rangeAssign],
    ['roundrobin', roundRobinAssign],
    ['sticky', stickyAssign],
  ] as const)('%s', (_, assign) => {
    fc.assert(fc.property(scenario, ({ counts: c, members }) => checkExactlyOnce(assign(members, c), members, c)));
  });
});

describe('balance with identical subscriptions', () => {
  it.each([
    ['roundrobin', roundRobinAssign],
    ['sticky', stickyAssign],
  ] as const)('%s: members differ by at most one partition', (_, assign) => {
    fc.assert(
      fc.property(scenario, ({ counts: c, members }) => {
        const all = members.map((m) => ({ ...m, topics: [...c.keys()] }));
        const sizes = [...assign(all, c).values()].map((l) => l.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });
  it('range gives each member a contiguous range per topic, the first members one more', () => {
    const a = rangeAssign([{ memberId: 'b', topics: ['t'] }, { memberId: 'a', topics: ['t'] }], counts({ t: 5 }));
    expect(a.get('a')!.map((tp) => tp.partition)).toEqual([0, 1, 2]);
    expect(a.get('b')!.map((tp) => tp.partition)).toEqual([3, 4]);
  });
});

describe('stickiness', () => {
  it('moves only what balance requires when a member joins or leaves (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), (partitions, n, join) => {
        const ids = Array.from({ length: n }, (_, i) => `m${i}`);
        const c = counts({ t: partitions });
        const before = stickyAssign(ids.map((memberId) => ({ memberId, topics: ['t'] })), c);
        const nextIds = join ? [...ids, 'new'] : ids.slice(1);
        if (nextIds.length === 0) return;
        const members = nextIds.map((memberId) => ({ memberId, topics: ['t'], owned: before.get(memberId) ?? [] }));
        const after = stickyAssign(members, c);
        let moved = 0;
        for (const [id, list] of after) {
          const had = new Set((before.get(id) ?? []).map((tp) => tp.partition));
          moved += list.filter((tp) => !had.has(tp.partition)).length;
        }
        // Minimum movement: a joiner takes floor(P / (n+1)) partitions; a leaver's share is
        // redistributed. Nothing else moves.
        const minimum = join ? Math.floor(partitions / (n + 1)) : (before.get('m0') ?? []).length;
        expect(moved).toBe(minimum);
      }),
    );
  });

  it('cooperative: partitions changing owner are held back for one generation; the rest stay put', () => {
    const c = counts({ t: 6 });
    const first = stickyAssign([{ memberId: 'a', topics: ['t'] }], c);
    const owned = first.get('a')!;
    const { assignment, followUp } = cooperativeStickyAssign(
      [
        { memberId: 'a', topics: ['t'], owned },
        { memberId: 'b', topics: ['t'], owned: [] },
      ],
      c,
    );
    expect(followUp).toBe(true);
    expect(assignment.get('a')!.length).toBe(3); // a keeps 3 and revokes 3
    expect(assignment.get('b')!).toEqual([]); // b waits for the follow-up rebalance
    const second = cooperativeStickyAssign(
      [
        { memberId: 'a', topics: ['t'], owned: assignment.get('a')! },
        { memberId: 'b', topics: ['t'], owned: [] },
      ],
      c,
    );
    expect(second.followUp).toBe(false);
    expect(second.assignment.get('b')!.length).toBe(3);
    expect(second.assignment.get('a')).toEqual(assignment.get('a'));
  });
});

