/**
 * `__consumer_offsets` and `compression.type`, as Kafka has it: the group coordinator
 * creates the topic with `compression.type=producer` (`GroupCoordinatorService.
 * groupMetadataTopicConfigs`), so a cluster-wide `compression.type` does not apply to
 * it, and the coordinator writes its batches uncompressed (`offsets.topic.compression.codec`,
 * default none). Before, the topic took the cluster-wide value (DescribeConfigs said
 * gzip) while its batches were stored uncompressed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { untilNodeImage } from '../helpers/node-image.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-offsets-compression-');

/** The codec of every batch in every `__consumer_offsets` partition folder of node 1. */
function offsetsTopicCodecs(dataDir: string): number[] {
  const node = join(dataDir, 'node-1');
  const codecs: number[] = [];
  for (const dir of readdirSync(node).filter((n) => n.startsWith('__consumer_offsets-'))) {
    for (const f of readdirSync(join(node, dir)).filter((n) => n.endsWith('.log'))) {
      const data = readFileSync(join(node, dir, f));
      for (let p = 0; p + 61 <= data.length; ) {
        const length = data.readInt32BE(p + 8);
        if (length <= 0) break;
        codecs.push(data.readInt16BE(p + 21) & 7);
        p += 12 + length;
      }
    }
  }
  return codecs;
}

describe('__consumer_offsets and compression.type', { timeout: 120_000 }, () => {
  it('is created with compression.type=producer, keeps the coordinator’s uncompressed batches under a cluster-wide gzip', async () => {
    const dataDir = tempDir();
    await using cluster = await Cluster.start({ nodes: 1, dataDir });
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'events', partitions: 1 }]);
    await admin.alterBrokerConfigs(null, { 'compression.type': 'gzip' });
    await untilNodeImage(cluster, 'the cluster-wide gzip applied', async () => (await admin.describeConfigs('events'))['compression.type']!.value === 'gzip');
    await using producer = cluster.producer();
    await producer.send('events', { value: 'x' });
    // Commits through the coordinator (its own leader appends to __consumer_offsets).
    expect(await admin.resetGroupOffsets('billing', 'events', 'latest')).toEqual([{ partition: 0, offset: 1 }]);
    expect(await admin.resetGroupOffsets('billing', 'events', 'earliest')).toEqual([{ partition: 0, offset: 0 }]);
    const described = (await admin.describeConfigs('__consumer_offsets'))['compression.type']!;
    expect(described.value).toBe('producer');
    const codecs = offsetsTopicCodecs(dataDir);
    expect(codecs.length).toBeGreaterThanOrEqual(2);
    expect(codecs.every((c) => c === 0)).toBe(true);
    // The user's topic still takes the cluster-wide codec.
    const events = readdirSync(join(dataDir, 'node-1', 'events-0')).filter((n) => n.endsWith('.log'));
    expect(readFileSync(join(dataDir, 'node-1', 'events-0', events[0]!)).readInt16BE(21) & 7).toBe(1);
  });
});
