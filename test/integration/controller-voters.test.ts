/**
 * The controller voters are part of a data folder (issue 8, item 3): reopening it with
 * another `controllers` count is refused with a typed error naming the recorded voters,
 * never silently (a new majority could elect a voter without the committed metadata).
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-voters-');

describe('controller voters of a data folder', () => {
  it('refuses fewer controllers than the folder was formatted with, and reopens with the same', async () => {
    const dataDir = tempDir();
    {
      await using cluster = await Cluster.start({ nodes: 3, dataDir });
      await cluster.admin().createTopics([{ name: 'kept', replicationFactor: 3 }]);
    }
    for (const options of [{ nodes: 3, controllers: 1 }, { nodes: 1 }]) {
      const refused = Cluster.start({ ...options, dataDir });
      await expect(refused).rejects.toMatchObject({ code: 'INCONSISTENT_VOTER_SET' });
      await expect(refused).rejects.toThrow(/voters \[1, 2, 3\].*controllers: 3/);
    }
    await using again = await Cluster.start({ nodes: 3, dataDir });
    expect(await again.admin().listTopics()).toEqual(['kept']);
  });

  it('refuses more controllers than the folder was formatted with; more nodes with the same voters are fine', async () => {
    const dataDir = tempDir();
    {
      await using cluster = await Cluster.start({ nodes: 1, dataDir });
      await cluster.admin().createTopics([{ name: 'kept' }]);
    }
    // nodes: 3 defaults to three controllers, and two new, empty voters would outvote node 1.
    await expect(Cluster.start({ nodes: 3, dataDir })).rejects.toMatchObject({ code: 'INCONSISTENT_VOTER_SET', message: expect.stringContaining('controllers: 1') });
    await using grown = await Cluster.start({ nodes: 3, controllers: 1, dataDir });
    expect(await grown.admin().listTopics()).toEqual(['kept']);
  });
});
