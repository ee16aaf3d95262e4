/**
 * A child for the partition-creation crash test: a 1-node cluster on `dataDir` that
 * creates topics of `partitions` partitions one after another and sends acks=1 records to
 * every partition of each (explicitly partitioned), reporting each acknowledged send.
 * After `cleanAfter` topics it closes the cluster cleanly and starts it again on the same
 * folder (so the kill also lands after a clean restart: epoch files left behind by the
 * clean close, the marker gone), then goes on. The parent SIGKILLs it.
 * Arguments: dataDir, partitions, cleanAfter.
 */
import { Cluster } from '../../src/cluster.js';

const [dataDir, partitionsArg, cleanAfterArg] = process.argv.slice(2);
const partitions = Number(partitionsArg);
const cleanAfter = Number(cleanAfterArg);

async function sendRound(cluster: Cluster, topic: string, round: number): Promise<void> {
  const producer = cluster.producer({ acks: 1, lingerMs: 0 });
  await producer.send(topic, Array.from({ length: partitions }, (_, partition) => ({ partition, value: `${topic}:${partition}:${round}` })));
  await producer.close();
  process.send!({ type: 'ack', topic, records: round + 1 });
}

async function main(): Promise<void> {
  let cluster = await Cluster.start({ nodes: 1, dataDir: dataDir! });
  for (let t = 0; ; t++) {
    if (t === cleanAfter) {
      await cluster.close();
      cluster = await Cluster.start({ nodes: 1, dataDir: dataDir! });
      // A new leader term may have begun: one more record to an earlier topic's partitions.
      await sendRound(cluster, 'topic-0', 2);
      process.send!({ type: 'restarted' });
    }
    const topic = `topic-${t}`;
    await cluster.admin().createTopics([{ name: topic, partitions }]);
    process.send!({ type: 'created', topic });
    await sendRound(cluster, topic, 0);
    await sendRound(cluster, topic, 1);
  }
}

main().catch((err: unknown) => {
  process.send!({ type: 'error', message: String((err as Error)?.stack ?? err) });
  process.exit(1);
});
