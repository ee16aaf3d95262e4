/**
 * A child for the write-behind crash test: a 1-node cluster on `dataDir`, topic `wide` of
 * 32 partitions (made by the first child), and acks=1 keyed sends of 64 records with 4
 * calls in flight, so that every produce request spans more partitions than
 * `writeBehindEntriesMin` and its small batches are written by the write-behind thread.
 * Two records a partition a call: a partition's batch stays under the write-behind's 512
 * bytes even when the calls waiting behind a request merge into it (with 200 a call, an
 * idle machine merged them past it and deferred 30-36 appends a round, not over 100). Reports each acknowledged call as [partition, offset] pairs with the round and
 * call it came from. The parent SIGKILLs it.
 * Arguments: dataDir, round.
 */
import { Cluster } from '../../src/cluster.js';
import { writeBehind } from '../../src/storage/write-behind.js';

const [dataDir, round] = process.argv.slice(2);

async function main(): Promise<void> {
  const cluster = await Cluster.start({ nodes: 1, dataDir: dataDir! });
  if (round === '0') await cluster.admin().createTopics([{ name: 'wide', partitions: 32 }]);
  const producer = cluster.producer({ acks: 1, lingerMs: 1 });
  const inFlight: Promise<void>[] = [];
  for (let call = 0; ; call++) {
    const records = Array.from({ length: 64 }, (_, j) => ({ key: `k-${round}-${call}-${j}`, value: `${round}:${call}:${j}` }));
    inFlight.push(
      producer.send('wide', records).then((written) => {
        process.send!({ type: 'ack', round: Number(round), call, at: written.map((w) => [w.partition, w.offset]), deferred: writeBehind.stats.writes });
      }),
    );
    if (inFlight.length >= 4) await inFlight.shift();
  }
}

main().catch((err: unknown) => {
  process.send!({ type: 'error', message: String((err as Error)?.stack ?? err) });
  process.exit(1);
});
