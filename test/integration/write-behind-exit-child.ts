/**
 * A child for the write-behind test: keyed sends over 64 partitions (through the
 * write-behind thread), then a clean close, then nothing: the process must exit by itself.
 * Prints the deferred writes counted. Argument: dataDir.
 */
import { Cluster } from '../../src/cluster.js';
import { writeBehind } from '../../src/storage/write-behind.js';

async function main(): Promise<void> {
  const cluster = await Cluster.start({ nodes: 1, dataDir: process.argv[2]! });
  await cluster.admin().createTopics([{ name: 'w', partitions: 64 }]);
  const producer = cluster.producer({ acks: 1, lingerMs: 0 });
  for (let c = 0; c < 5; c++) await producer.send('w', Array.from({ length: 64 }, (_, i) => ({ key: `k${c}-${i}`, value: 'v' })));
  await producer.close();
  await cluster.close();
  process.stdout.write(`deferred ${writeBehind.stats.writes}\n`);
}

void main();
