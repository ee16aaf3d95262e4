/**
 * `cluster.admin()` holds nothing the cluster must close: calling it often (as the docs'
 * `cluster.admin().createTopics(...)` does) must not leave anything behind, and an admin
 * used after the cluster closed is refused at once.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';

/** The cluster's close hooks (private, in its ClientFactories): one per open client it must close. */
const hookCount = (cluster: Cluster): number => (cluster as unknown as { factories: { closeHooks: Set<unknown> } }).factories.closeHooks.size;

describe('cluster.admin()', () => {
  it('adds no close hook per call, and its calls reject with CLIENT_CLOSED once the cluster is closed', async () => {
    const cluster = await Cluster.start();
    const before = hookCount(cluster);
    for (let i = 0; i < 20_000; i++) cluster.admin();
    expect(hookCount(cluster)).toBe(before);
    const admin = cluster.admin();
    await admin.createTopics([{ name: 't' }]);
    expect(await admin.listTopics()).toContain('t');
    // Clients the cluster must close still register (and drop) theirs.
    const producer = cluster.producer();
    expect(hookCount(cluster)).toBe(before + 1);
    await producer.close();
    expect(hookCount(cluster)).toBe(before);
    await cluster.close();
    await expect(admin.listTopics()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await expect(admin.describeGroup('g')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    expect(() => cluster.admin()).toThrow(expect.objectContaining({ code: 'CLIENT_CLOSED' }));
  });
});

describe('admin calls about a topic that does not exist', () => {
  it('reject with UNKNOWN_TOPIC_OR_PARTITION once the cluster says so, not at the end of the call timeout', async () => {
    await using cluster = await Cluster.start();
    // A timeout far past the test's own: reaching it would fail the test by its timeout.
    const admin = cluster.admin({ requestTimeoutMs: 3_600_000 });
    await expect(admin.listOffsets('nowhere', 'latest')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(admin.deleteRecords('nowhere', { 0: 1 })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(admin.resetGroupOffsets('g', 'nowhere', 'earliest')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    // A topic created a moment ago is still found.
    await admin.createTopics([{ name: 'fresh', partitions: 2 }]);
    expect((await admin.listOffsets('fresh', 'latest')).map((p) => p.offset)).toEqual([0, 0]);
  });
});
