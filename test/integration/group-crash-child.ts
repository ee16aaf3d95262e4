/**
 * Child of group-crash.test.ts: a cluster on the data folder given, a topic, and two
 * members of group `crashed` (one static) with sessions far longer than the test. Once both
 * own partitions and have committed, it prints `ready` and waits to be killed.
 */
import { Cluster } from '../../src/cluster.js';

const dataDir = process.argv[2]!;
const cluster = await Cluster.start({ dataDir });
await cluster.admin().createTopics([{ name: 'jobs', partitions: 4 }]);
await cluster.producer().send('jobs', Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
const long = { groupId: 'crashed', topics: ['jobs'], from: 'earliest', sessionTimeoutMs: 600_000, rebalanceTimeoutMs: 600_000 } as const;
const members = [cluster.consumerGroup(long), cluster.consumerGroup({ ...long, groupInstanceId: 'static-1' })];
// Commit only once every record was processed: a member that owns partitions but has not
// read them yet commits their start offset (0), and the test finds 4 committed instead of 8.
const processed = new Set<string>();
for (const m of members) void m.run({ eachRecord: (r) => void processed.add(`${r.partition}:${r.offset}`) }).catch(() => undefined);
for (;;) {
  if (processed.size === 8 && members.every((m) => m.assignment().length === 2) && members[0]!.generationId === members[1]!.generationId) break;
  await new Promise((r) => setTimeout(r, 20));
}
for (const m of members) await m.commit();
console.log('ready');
setInterval(() => undefined, 1000);
