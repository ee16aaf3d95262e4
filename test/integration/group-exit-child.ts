/**
 * Child of group-exit.test.ts: uses a consumer group, closes everything, then prints the
 * resources that still keep its event loop alive (`process.getActiveResourcesInfo()`).
 * `close` says which way: `group` closes the group then the cluster, `cluster` only the
 * cluster (which closes the group). `run` consumes with run() instead of a loop.
 */
import { Cluster } from '../../src/cluster.js';
import { serdes } from '../../src/client/serde.js';

const how = process.argv[2] ?? 'group';
const cluster = await Cluster.start();
await cluster.admin().createTopics([{ name: 'exit', partitions: 2 }]);
await cluster.topic('exit', { key: serdes.string, value: serdes.string }).send(Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
// A metadata age far beyond the test: a timer of it left behind would keep the process alive.
const group = cluster.consumerGroup({ groupId: 'exit', topics: ['exit'], from: 'earliest', metadataMaxAgeMs: 600_000, value: serdes.string });
let n = 0;
if (how === 'run') {
  let resolveTen!: () => void;
  const ten = new Promise<void>((r) => (resolveTen = r));
  const running = group.run({ eachRecord: () => void (++n === 10 && resolveTen()) });
  await ten;
  await group.close();
  await running;
} else {
  for await (const _ of group) if (++n === 10) break;
  if (how === 'group') await group.close();
}
await cluster.close();
// Let every close settle, then report what still holds the loop.
await new Promise((r) => setImmediate(r));
await new Promise((r) => setImmediate(r));
console.log(JSON.stringify({ read: n, resources: process.getActiveResourcesInfo() }));
