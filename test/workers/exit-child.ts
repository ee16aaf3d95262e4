/**
 * Child of per-node.test.ts: a cluster with its nodes in workers, a node killed, a consumer
 * group used, everything closed; then it prints what still keeps its event loop alive
 * (`process.getActiveResourcesInfo()`). A worker, port or timer left behind keeps the
 * process alive and fails the test by its bound.
 */
import { Cluster } from '../../src/cluster.js';

const threads = process.argv[2] as 'per-node' | 'worker';
const cluster = await Cluster.start({ nodes: 3, threads });
await cluster.admin().createTopics([{ name: 'exit', partitions: 2 }]);
await cluster.producer({ acks: 'all' }).send('exit', Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
const group = cluster.consumerGroup({ groupId: 'exit', topics: ['exit'], autoOffsetReset: 'earliest', metadataMaxAgeMs: 600_000 });
let n = 0;
for await (const _ of group) if (++n === 10) break;
cluster.killNode(3);
await cluster.close();
await new Promise((r) => setImmediate(r));
await new Promise((r) => setImmediate(r));
console.log(JSON.stringify({ read: n, resources: process.getActiveResourcesInfo() }));
