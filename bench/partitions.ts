/**
 * `npx tsx bench/partitions.ts [partitions...]` (default 1000): on a 1-node cluster, one
 * topic of N partitions: the time from `createTopics` until every partition has accepted
 * one record (one record sent to each, explicitly partitioned), then a clean close and the
 * time of the restart until every partition has accepted one more record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../src/index.js';

async function everyPartitionAccepts(cluster: Cluster, partitions: number): Promise<void> {
  const producer = cluster.producer({ lingerMs: 5 });
  await Promise.all(Array.from({ length: partitions }, (_, p) => producer.send('bench', [{ partition: p, value: `v${p}` }])));
  await producer.close();
}

for (const partitions of (process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['1000']).map(Number)) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-partitions-'));
  try {
    let cluster = await Cluster.start({ nodes: 1, dataDir });
    const t0 = performance.now();
    await cluster.admin().createTopics([{ name: 'bench', partitions }]);
    await everyPartitionAccepts(cluster, partitions);
    const readyMs = performance.now() - t0;
    await cluster.close();
    const t1 = performance.now();
    cluster = await Cluster.start({ nodes: 1, dataDir });
    const startMs = performance.now() - t1;
    await everyPartitionAccepts(cluster, partitions);
    const restartMs = performance.now() - t1;
    await cluster.close();
    console.log(`${partitions} partitions: create until every partition accepted a record ${(readyMs / 1000).toFixed(2)} s; clean restart ${(startMs / 1000).toFixed(2)} s, until every partition accepted a record ${(restartMs / 1000).toFixed(2)} s`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
