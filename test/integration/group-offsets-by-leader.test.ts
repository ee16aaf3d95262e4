/**
 * A consumer group's `lag()` and its seeks look offsets up at the partitions' leaders
 * through the by-leader lookup (src/client/list-offsets.ts): on a 3-node cluster whose
 * partitions lead on different nodes, `lag()` over two topics sends one ListOffsets to
 * each leader node (it sent one per topic, each through the lookup, before), and a seek
 * to 'earliest', 'latest' or a timestamp of a partition on any node asks that partition's
 * leader once and lands where it should.
 *
 * On simulated time (test/helpers/sim-clock.ts); the counts are of requests, not time.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { ConsumerGroup } from '../../src/client/consumer-group.js';
import { countingListOffsets } from '../helpers/counting-transport.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

const { clock, until } = useSimulatedClock();

describe('a group looks offsets up at each partition leader', () => {
  it('lag(): one ListOffsets per leader node over every owned partition of two topics; seeks ask the right leader once', async () => {
    await using cluster = await Cluster.start({ nodes: 3, clock });
    const admin = cluster.admin();
    await admin.createTopics([
      { name: 'left', partitions: 6, replicationFactor: 1 },
      { name: 'right', partitions: 6, replicationFactor: 1 },
    ]);
    const described = await admin.describeTopics(['left', 'right']);
    const leaderOf = new Map<string, number>();
    for (const t of described) for (const p of t.partitions) leaderOf.set(`${t.name}-${p.partition}`, p.leader);
    const leaders = new Set(leaderOf.values());
    expect(leaders.size).toBe(3);
    // Partition i of each topic holds i + 1 records, with timestamps 1000, 1001, ...
    const producer = cluster.producer();
    for (const topic of ['left', 'right']) {
      for (let p = 0; p < 6; p++) await producer.send(topic, Array.from({ length: p + 1 }, (_, j) => ({ value: `${topic}${p}.${j}`, partition: p, timestamp: 1000 + j })));
    }

    const { transport, perNode } = countingListOffsets(cluster.transport);
    const group = new ConsumerGroup(transport, { groupId: 'by-leader', topics: ['left', 'right'], from: 'earliest', heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000, maxWaitMs: 20 }, clock);
    await group.whenJoined();
    await until('all 12 partitions owned', () => group.assignment().length === 12);

    perNode.clear();
    const lag = await group.lag();
    expect(lag.map((l) => `${l.topic}-${l.partition} ${l.highWatermark}`)).toEqual(['left', 'right'].flatMap((t) => Array.from({ length: 6 }, (_, p) => `${t}-${p} ${p + 1}`)));
    expect([...perNode.keys()].sort()).toEqual([...leaders].sort());
    expect([...perNode.values()]).toEqual([1, 1, 1]);

    // A seek of one partition on each leader, three ways.
    const onEach = [...leaders].map((node) => [...leaderOf].find(([, l]) => l === node)![0]);
    for (const name of onEach) {
      const cut = name.lastIndexOf('-');
      const tp = { topic: name.slice(0, cut), partition: Number(name.slice(cut + 1)) };
      const records = tp.partition + 1;
      const cases: [Parameters<typeof group.seek>[1], number][] = [
        ['latest', records],
        ['earliest', 0],
        [{ timestamp: 1000 + records - 1 }, records - 1],
        [{ timestamp: 5000 }, records], // no record that late: the end of the log
      ];
      for (const [target, expected] of cases) {
        perNode.clear();
        await group.seek(tp, target);
        // Asked of the partition's leader only: once, or twice for a timestamp past the end (then 'latest').
        const asks = typeof target === 'object' && target.timestamp === 5000 ? 2 : 1;
        expect([name, target, [...perNode]]).toEqual([name, target, [[leaderOf.get(name)!, asks]]]);
        const position = (await group.lag()).find((l) => l.topic === tp.topic && l.partition === tp.partition)!.position;
        expect([name, target, position]).toEqual([name, target, expected]);
      }
    }
    await group.close();
    await transport.close();
  }, 120_000);
});
