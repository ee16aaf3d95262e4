/**
 * A shard of the node simulation's seeds for `npm test`: vitest runs test files in
 * parallel (two at a time here), so the seeds are split across a few files, each running
 * its range one seed after another (`node-sim-1.test.ts`, `node-sim-2.test.ts`). Every seed runs the
 * producer and the consumer group part; a failure names its seed and the command that
 * replays it (NODE_SIM_SEED=<n> npx vitest run test/sim/node-sim.test.ts).
 */
import { expect, it } from 'vitest';
import { runNodeSimulation, type NodeSimResult } from './node-sim.js';

/** Seeds `from` to `from + count - 1`; checks that they exercised what the group's invariants are about. */
export function nodeSimShard(from: number, count: number): void {
  const skip = process.env['NODE_SIM_SEED'] !== undefined;
  it.skipIf(skip)(`seeds ${from}-${from + count - 1}: the real producer and consumer group through real brokers, a node killed, messages lost; one owner per partition and generation, commits only of processed records, per-key order, every acknowledged record consumed, the group settling`, async () => {
    const results: NodeSimResult[] = [];
    for (let seed = from; seed < from + count; seed++) {
      try {
        results.push(await runNodeSimulation(seed));
      } catch (err) {
        console.error(String(err instanceof Error ? err.message : err));
        throw err;
      }
    }
    const groups = results.map((r) => r.group!);
    const sum = (f: (g: NonNullable<NodeSimResult['group']>) => number): number => groups.reduce((n, g) => n + f(g), 0);
    expect(new Set(groups.map((g) => g.assignor))).toEqual(new Set(['range', 'roundrobin', 'cooperative-sticky']));
    expect(sum((g) => g.kills)).toBeGreaterThan(count / 4);
    expect(sum((g) => g.closes)).toBeGreaterThan(count / 10);
    expect(sum((g) => g.commitsSent)).toBeGreaterThan(count * 5);
    expect(sum((g) => g.rebalances)).toBeGreaterThan(count * 2);
    expect(sum((g) => g.redelivered)).toBeGreaterThan(0);
    // Some runs kill the node that coordinates the group (the leader of its __consumer_offsets partition): the members find the new one.
    expect(groups.filter((g) => g.coordinatorMoves > 0).length).toBeGreaterThan(count / 10);
  }, 900_000);
}
