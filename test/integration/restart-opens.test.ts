/**
 * A restarted node opens the replicas it has data for in batches (`opensPerTurn` at a
 * time, the event loop turning between), not all in the call that applies its first
 * image: at 10,000 partitions that call blocked the thread for a second and queued tens of
 * thousands of file requests ahead of the metadata log's appends. Every replica with data
 * must still open without a client touching it, and keep its records.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { delay } from '../../src/util/timeout.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-restart-opens-');
const partitions = 400; // more than three batches

describe('restart opens the replicas it has data for, in batches', () => {
  it(`a node with ${partitions} partitions opens every one after a restart, untouched, with its records`, async () => {
    const dataDir = tempDir();
    {
      await using cluster = await Cluster.start({ nodes: 1, dataDir });
      await cluster.admin().createTopics([{ name: 'many', partitions }]);
      const producer = cluster.producer({ lingerMs: 1 });
      await Promise.all(Array.from({ length: partitions }, (_, p) => producer.send('many', [{ partition: p, value: `v${p}` }])));
      await producer.close();
    }
    await using cluster = await Cluster.start({ nodes: 1, dataDir });
    const broker = cluster.node(1)!.broker;
    const open = (): number => Array.from({ length: partitions }, (_, p) => broker.replica('many', p)).filter((r) => r !== undefined).length;
    // Counted, not timed: every replica opens (generous bound for a loaded machine).
    for (let i = 0; i < 6000 && open() < partitions; i++) await delay(10);
    expect(open()).toBe(partitions);
    const ends = await cluster.admin().listOffsets('many', 'latest');
    expect(ends.length).toBe(partitions);
    expect(ends.every((e) => e.offset === 1)).toBe(true);
  });
});
