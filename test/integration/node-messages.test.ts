import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

// On simulated time: elections, heartbeats and fencing run in the clock's time.
const sim = useSimulatedClock();
const { clock } = sim;
const until = sim.until;

describe('node boundaries are messages', () => {
  it('a controller cut off from the other voters loses the quorum to them; brokers find the new one by their own metadata', async () => {
    await using cluster = await Cluster.start({ nodes: 3, brokerSessionTimeoutMs: 4000, clock });
    const first = cluster.describe().find((n) => n.activeController)!.id;
    const others = cluster.nodeIdList.filter((id) => id !== first);
    for (const o of others) cluster.setRaftLink(first, o, false);
    await until('another active controller', () => cluster.describe().some((n) => n.activeController && n.id !== first));
    // The cut-off node's broker knows no controller (its own metadata replica names no
    // leader): its heartbeats stop and the new controller fences it. The others find the
    // new controller through their own metadata and stay unfenced.
    await until('the cut-off node fenced', () => cluster.metadata.broker(first)?.fenced === true);
    for (const o of others) expect(cluster.metadata.broker(o)?.fenced).toBe(false);
    for (const o of others) cluster.setRaftLink(first, o, true);
    // Healed: the old controller learns the new epoch and steps down.
    await until('one active controller', () => cluster.describe().filter((n) => n.activeController).length === 1);
    await until('the old controller unfenced again', () => cluster.metadata.broker(first)?.fenced === false);
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'after-cut', partitions: 2, replicationFactor: 3 }]);
    const producer = cluster.producer({ acks: 'all' });
    const [meta] = await producer.send('after-cut', [{ key: 'k', value: 'v' }]);
    expect(meta!.offset).toBe(0);
  }, 120_000);
});
