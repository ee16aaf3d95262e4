/**
 * Consumer groups hand partitions over cleanly (docs/design/consumer-groups.md, "At least
 * once"): a member that closes, or gives partitions up in a rebalance, finishes the record
 * (or batch) in flight, commits it, and the next owner starts after it. So over any number
 * of clean handovers no record is read twice. Also: `close()` waits for the handler in
 * flight, and a handler that throws ends its member (it leaves, `run` rejects).
 *
 * Every wait counts events (records seen, partitions owned), with generous bounds; no
 * assertion depends on how fast the machine is. The tests run on simulated time
 * (test/helpers/sim-clock.ts): heartbeats, sessions, rebalances, the slow handlers and the
 * waits all run in the clock's time.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import type { ConsumerGroup } from '../../src/client/consumer-group.js';
import { serdes } from '../../src/client/serde.js';
import { waitFor } from '../../src/testing.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

const sim = useSimulatedClock();
const { clock } = sim;

/** Short heartbeats and fetch waits; a session long enough that a loaded machine never expires a live member. */
const settings = { heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000, maxWaitMs: 20, autoCommitIntervalMs: 100, from: 'earliest' } as const;

async function produce(cluster: Cluster, topic: string, count: number): Promise<void> {
  const t = cluster.topic(topic, { key: serdes.string, value: serdes.string });
  for (let i = 0; i < count; i += 100) await t.send(Array.from({ length: Math.min(100, count - i) }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })));
}

type Seen = Map<string, number>;
const see = (seen: Seen, partition: number, offset: number): void => {
  const k = `${partition}:${offset}`;
  seen.set(k, (seen.get(k) ?? 0) + 1);
};
const repeats = (seen: Seen): string[] => [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);

/** A member that handles records slowly, so that one is always in flight when a handover comes. */
function member(cluster: Cluster, groupId: string, mode: 'eachRecord' | 'eachBatch', seen: Seen): { group: ConsumerGroup<Uint8Array | null, string>; done: Promise<void> } {
  const group = cluster.consumerGroup({ groupId, topics: ['work'], value: serdes.string, ...settings });
  const slow = () => sim.sleep(2);
  const done =
    mode === 'eachRecord'
      ? group.run({
          eachRecord: async (r) => {
            await slow();
            see(seen, r.partition, r.offset);
          },
        })
      : group.run({
          eachBatch: async (b) => {
            // A batch takes a while (a millisecond a record), so a handover finds one in flight.
            await sim.sleep(b.records.length);
            for (const r of b.records) see(seen, r.partition, r.offset);
          },
        });
  return { group, done };
}

describe('clean handovers', () => {
  for (const mode of ['eachRecord', 'eachBatch'] as const) {
    it(`${mode}: across closes and rebalances, every record is read exactly once`, async () => {
      await using cluster = await Cluster.start({ clock });
      await cluster.admin().createTopics([{ name: 'work', partitions: 4 }]);
      const total = 3000;
      await produce(cluster, 'work', total);
      const seen: Seen = new Map();
      const count = () => [...seen.values()].reduce((a, b) => a + b, 0);
      const members: ReturnType<typeof member>[] = [member(cluster, `handover-${mode}`, mode, seen)];
      // Eight handovers while records flow: a member joins (a rebalance revokes partitions
      // from the others), then the oldest closes (its partitions move), and so on.
      for (let step = 0; step < 8; step++) {
        const before = count();
        await waitFor(() => count() >= Math.min(total, before + 150), { clock, timeoutMs: 60_000, message: `records flowing before handover ${step}` });
        if (step % 2 === 0) members.push(member(cluster, `handover-${mode}`, mode, seen));
        else {
          const leaving = members.shift()!;
          await leaving.group.close();
          await leaving.done;
        }
      }
      await waitFor(() => seen.size >= total, { clock, timeoutMs: 120_000, message: `all ${total} records` });
      for (const m of members) await m.group.close();
      await Promise.all(members.map((m) => m.done));
      expect(seen.size).toBe(total);
      expect(repeats(seen)).toEqual([]);
    }, 240_000);
  }
});

describe('close and failing handlers', () => {
  it('close() waits for the handler in flight, commits its record, then leaves', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produce(cluster, 'work', 5);
    const group = cluster.consumerGroup({ groupId: 'closing', topics: ['work'], value: serdes.string, ...settings, autoCommitIntervalMs: 3_600_000 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    let finished = false;
    const run = group.run({
      eachRecord: async (r) => {
        if (r.offset < 2) return;
        started = true;
        await gate; // the third record is slow
        finished = true;
      },
    });
    await waitFor(() => started, { clock, timeoutMs: 30_000 });
    const closing = group.close();
    // Let the handler go a little later; close must not resolve before it has finished.
    void sim.sleep(300).then(release);
    await closing;
    expect(finished).toBe(true);
    await run;
    const d = await cluster.admin().describeGroup('closing');
    expect(d.members).toEqual([]);
    expect(d.offsets.map((o) => o.committed)).toEqual([3]);
  }, 60_000);

  it('a handler that throws ends its member: run rejects with the error, the member leaves, its partitions move, and the failed record is read again', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 2 }]);
    await produce(cluster, 'work', 40);
    const boom = new Error('handler failed');
    const seenA: string[] = [];
    const a = cluster.consumerGroup({ groupId: 'failing', topics: ['work'], value: serdes.string, ...settings });
    let failedAt: { partition: number; offset: number } | undefined;
    const runA = a.run({
      eachRecord: (r) => {
        if (seenA.length === 10) {
          failedAt = { partition: r.partition, offset: r.offset };
          throw boom;
        }
        seenA.push(`${r.partition}:${r.offset}`);
      },
    });
    await expect(runA).rejects.toBe(boom);
    expect(a.assignment()).toEqual([]);
    // The member left: the group has no members, so a new one gets both partitions at once
    // and starts at the failed record (the records before it were committed).
    expect((await cluster.admin().describeGroup('failing')).members).toEqual([]);
    const seenB: string[] = [];
    const b = cluster.consumerGroup({ groupId: 'failing', topics: ['work'], value: serdes.string, ...settings });
    const runB = b.run({ eachRecord: (r) => void seenB.push(`${r.partition}:${r.offset}`) });
    await waitFor(() => seenA.length + seenB.length >= 40, { clock, timeoutMs: 30_000 });
    expect(seenB).toContain(`${failedAt!.partition}:${failedAt!.offset}`);
    expect(new Set([...seenA, ...seenB]).size).toBe(40);
    expect(seenA.filter((k) => seenB.includes(k))).toEqual([]);
    await b.close();
    await runB;
  }, 60_000);
});
