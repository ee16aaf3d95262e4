/** `tributary-log/testing` used the way a user's test file uses it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveClock, killPartitionLeader, SimulatedTimerClock, useCluster, waitFor } from '../../src/testing.js';

describe('tributary-log/testing', () => {
  // On simulated time: the fencing of a killed leader and the ISR's return happen in the
  // clock's time. The driver stops after the cluster has closed (after-hooks run in reverse).
  const clock = new SimulatedTimerClock(Date.now());
  const driver = driveClock(clock);
  afterAll(() => driver.stop());
  const cluster = useCluster({ nodes: 3, brokerSessionTimeoutMs: 500, clock }, { before: beforeAll, after: afterAll });

  it('gives a running cluster to the tests of a file', async () => {
    expect(cluster().describe().every((n) => n.running && !n.fenced)).toBe(true);
    await cluster().admin().createTopics([{ name: 'events', partitions: 2, replicationFactor: 3 }]);
    const metas = await cluster().producer().send('events', [{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    expect(metas).toHaveLength(2);
  });

  it('kills a partition leader; the controller fences it and elects another from the ISR', async () => {
    const killed = await killPartitionLeader(cluster(), 'events', 0);
    const admin = cluster().admin();
    const leader = await waitFor(async () => {
      const [t] = await admin.describeTopics(['events']);
      const l = t!.partitions[0]!.leader;
      return l >= 0 && l !== killed ? l : undefined;
    }, { clock });
    expect(leader).not.toBe(killed);
    await cluster().restartNode(killed);
    await waitFor(async () => (await admin.describeTopics(['events']))[0]!.partitions[0]!.isr.includes(killed), { clock, timeoutMs: 10_000 });
  });

  it('waitFor times out with a typed error', async () => {
    await expect(waitFor(() => false, { clock, timeoutMs: 30, message: 'never' })).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', message: 'never' });
  });
});
