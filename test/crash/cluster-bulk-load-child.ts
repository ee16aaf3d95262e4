/**
 * A child for the data-folder checkpoint crash test: a 1-node cluster on `dataDir`, a
 * topic of 2 partitions with small segments, and acks=1 sends of 20 records to each in
 * turn, reporting each acknowledged send. The parent SIGKILLs it.
 * Arguments: dataDir, segment bytes.
 */
import { Cluster } from '../../src/cluster.js';

const [dataDir, segmentBytes] = process.argv.slice(2);

async function main(): Promise<void> {
  const cluster = await Cluster.start({ nodes: 1, dataDir: dataDir! });
  await cluster.admin().createTopics([{ name: 'bulk', partitions: 2, configs: { 'segment.bytes': segmentBytes! } }]);
  const producer = cluster.producer({ acks: 1, lingerMs: 0 });
  for (let i = 0; ; i++) {
    const partition = i % 2;
    const first = Math.floor(i / 2) * 20;
    await producer.send('bulk', Array.from({ length: 20 }, (_, j) => ({ partition, value: `${partition}:${first + j}:${'x'.repeat(200)}` })));
    process.send!({ type: 'ack', partition, records: first + 20 });
  }
}

main().catch((err: unknown) => {
  process.send!({ type: 'error', message: String((err as Error)?.stack ?? err) });
  process.exit(1);
});
