/**
 * Internal topic names are reserved (issue 8, item 2): a client cannot create
 * `__cluster_metadata` (it would share its folder with the Raft log, and every restart
 * failed with LOG_DIR_LOCKED), nor create, delete or write into `__consumer_offsets` and
 * `__transaction_state`. Groups, which own `__consumer_offsets`, work on.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-internal-');

describe('internal topics', () => {
  it('refuses to create __cluster_metadata, and the cluster restarts from its folder', async () => {
    const dataDir = tempDir();
    {
      await using cluster = await Cluster.start({ dataDir });
      const admin = cluster.admin();
      await expect(admin.createTopics([{ name: '__cluster_metadata' }])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      // One refused name does not stop the others of the same request.
      await expect(admin.createTopics([{ name: 'ok' }, { name: '__transaction_state' }])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      expect(await admin.listTopics()).toEqual(['ok']);
    }
    await using again = await Cluster.start({ dataDir });
    expect(await again.admin().listTopics()).toEqual(['ok']);
  });

  it('refuses to create, delete or produce to __consumer_offsets; groups keep working', async () => {
    await using cluster = await Cluster.start();
    const admin = cluster.admin();
    await expect(admin.createTopics([{ name: '__consumer_offsets', partitions: 1 }])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await admin.createTopics([{ name: 'events' }]);
    const producer = cluster.producer({ lingerMs: 0 });
    await producer.send('events', [{ value: 'e0' }]);
    const group = cluster.consumerGroup({ groupId: 'g', topics: ['events'], from: 'earliest' });
    await group.whenJoined();
    // The group coordinator created it, with Kafka's shape.
    expect(await admin.listTopics()).toContain('__consumer_offsets');

    await expect(producer.send('__consumer_offsets', [{ key: 'garbage', value: 'garbage' }])).rejects.toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' });
    await expect(admin.deleteTopics(['__consumer_offsets'])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await admin.listTopics()).toContain('__consumer_offsets');

    // The group still commits and reads its offsets.
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      void group.run({
        eachRecord: async (r) => {
          seen.push(Buffer.from(r.value ?? new Uint8Array()).toString());
          resolve();
        },
      });
    });
    await done;
    expect(seen).toEqual(['e0']);
    await group.close();
    const description = await admin.describeGroup('g');
    expect(description.groupId).toBe('g');
  });
});
