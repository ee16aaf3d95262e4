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
