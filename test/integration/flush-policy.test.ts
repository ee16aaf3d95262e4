/**
 * Flush policies through the cluster path (issue 8, item 1). The syncs are counted by the
 * store, not read from a flag: under `flush.messages=1` (always), every acknowledged
 * record is covered by a completed fdatasync on the leader (acks=1) and on every ISR
 * member (acks=all), and concurrent appends share syncs (group commit); under `flush.ms`
 * (interval) the log is synced on a timer, and under Kafka's default (os) never on the
 * write path.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { DiskFaults } from '../helpers/fault-store.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

// On simulated time: the interval policy's timer runs in the clock's time (the driver never
// moves it while a sync is in flight).
const sim = useSimulatedClock();
const { clock } = sim;

/** Polls `ok` until it holds, in the clock's time. */
function eventually(ok: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  return sim.until(what, ok, timeoutMs);
}

describe('flush policies on a cluster', () => {
  it('always, acks=all: every acknowledged record is synced on every ISR member before the ack', async () => {
    const disks = new DiskFaults();
    await using cluster = await Cluster.start({ nodes: 3, openStore: disks.openStore });
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'ledger', replicationFactor: 3, configs: { 'flush.messages': '1', 'min.insync.replicas': '3' } }]);
    const producer = cluster.producer({ acks: 'all', lingerMs: 0 });
    for (let i = 0; i < 30; i++) {
      const [meta] = await producer.send('ledger', [{ value: `r${i}` }]);
      expect(meta!.offset).toBe(i);
      // One send at a time: when it is acknowledged, each replica has appended it (i + 1
      // appends) and a completed sync covers all of them.
      for (const node of [1, 2, 3]) {
        const c = disks.countsOf(node, 'ledger-0');
        expect(c.appends, `node ${node} after record ${i}`).toBe(i + 1);
        expect(c.covered, `node ${node} after record ${i}`).toBe(c.appends);
      }
    }
  });

  it('always, acks=1: the leader syncs before it answers; concurrent producers share syncs (group commit)', async () => {
    const disks = new DiskFaults();
    await using cluster = await Cluster.start({ nodes: 1, openStore: disks.openStore });
    await cluster.admin().createTopics([{ name: 'ledger', configs: { 'flush.messages': '1' } }]);
    const producer = cluster.producer({ acks: 1, lingerMs: 0 });
    for (let i = 0; i < 10; i++) {
      await producer.send('ledger', [{ value: `r${i}` }]);
      const c = disks.countsOf(1, 'ledger-0');
      expect(c.covered).toBe(c.appends);
    }
    // 32 producers, 10 sends each, all at once: each sync covers many appends.
    const producers = Array.from({ length: 32 }, () => cluster.producer({ acks: 1, lingerMs: 0 }));
    const before = disks.countsOf(1, 'ledger-0');
    const [appends0, syncs0] = [before.appends, before.syncs];
    await Promise.all(
      producers.map(async (p, n) => {
        for (let i = 0; i < 10; i++) {
          await p.send('ledger', [{ value: `p${n}-${i}` }]);
          const c = disks.countsOf(1, 'ledger-0');
          expect(c.covered).toBeGreaterThanOrEqual(1); // (the exact cover is checked below)
        }
      }),
    );
    const after = disks.countsOf(1, 'ledger-0');
    expect(after.appends - appends0).toBe(320);
    expect(after.covered).toBe(after.appends);
    expect(after.syncs - syncs0).toBeLessThan((after.appends - appends0) / 2);
  });

  it('interval syncs on its timer; os never syncs on the write path', async () => {
    const disks = new DiskFaults();
    await using cluster = await Cluster.start({ nodes: 1, openStore: disks.openStore, clock });
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'timed', configs: { 'flush.ms': '50' } }, { name: 'paged' }]);
    const producer = cluster.producer({ acks: 1, lingerMs: 0 });
    for (let i = 0; i < 20; i++) await producer.send('timed', [{ value: `t${i}` }]);
    for (let i = 0; i < 20; i++) await producer.send('paged', [{ value: `p${i}` }]);
    await eventually(() => disks.countsOf(1, 'timed-0').covered === 20, 'the interval flush to cover every append');
    expect(disks.countsOf(1, 'paged-0')).toMatchObject({ appends: 20, syncs: 0 });
  });
});
