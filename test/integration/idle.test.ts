/**
 * An idle cluster costs (next to) nothing: its timers follow deadlines (an election
 * timeout, a broker session, the idle NoOp, a coordinator's next deadline), not a fixed
 * tick, and none walks the partitions (docs/design/idle.md). Counted on a
 * `SimulatedTimerClock` over simulated minutes, never timed: every timer a node starts
 * is one the clock counts. And failover keeps its pace: a killed Raft leader is replaced
 * one election timeout (drawn from [timeout, 2 x timeout)) after it went quiet.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { serdes } from '../../src/client/serde.js';
import { delay } from '../../src/util/timeout.js';
import { driveClock, SimulatedTimerClock } from '../../src/testing.js';

async function untilOn(clock: SimulatedTimerClock, what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  while (!cond()) {
    if (clock.now() > deadline) throw new Error(`timed out waiting for ${what} (${timeoutMs} simulated ms)`);
    await delay(5, clock);
  }
}

/** Timers the cluster started per simulated second, over `seconds` of idle simulated time (the wait's own one timer aside). */
async function idleTimersPerSecond(clock: SimulatedTimerClock, seconds: number): Promise<number> {
  const before = clock.timersStarted;
  await delay(seconds * 1000, clock);
  return (clock.timersStarted - before - 1) / seconds;
}

describe('an idle cluster', () => {
  it('starts a bounded number of timers a second, the same with 1 and 400 open partitions', async () => {
    const clock = new SimulatedTimerClock(1_000_000);
    const driver = driveClock(clock);
    try {
      await using cluster = await Cluster.start({ nodes: 1, clock });
      await cluster.admin().createTopics([{ name: 'one', partitions: 1 }]);
      await cluster.topic('one', { key: serdes.string, value: serdes.string }).send([{ value: 'x' }]);
      await delay(2_000, clock); // settle: the first image, the registration
      const one = await idleTimersPerSecond(clock, 120);
      await cluster.admin().createTopics([{ name: 'wide', partitions: 400 }]);
      const producer = cluster.producer({ acks: 1 });
      await Promise.all(Array.from({ length: 400 }, (_, p) => producer.send('wide', { value: 'x', partition: p })));
      await producer.close();
      await delay(2_000, clock);
      const wide = await idleTimersPerSecond(clock, 120);
      console.log(`idle timers a second: 1 partition ${one}, 401 partitions ${wide}`);
      // What runs a second now: the broker's heartbeat (every 250 ms), the controller's idle
      // NoOp (every 500 ms, KRaft's metadata.max.idle.interval.ms) with its Raft commit, the
      // group shell's and the Raft driver's safety nets (1 s), the controller's (500 ms).
      // Before: a Raft tick every 10 ms, a controller tick every 50 ms, a group shell tick
      // every 50 ms and a broker tick every 100 ms, some 150 a second.
      expect(one).toBeGreaterThan(1);
      expect(one).toBeLessThan(25);
      expect(wide).toBeLessThan(one * 1.2 + 1);
    } finally {
      await driver.stop();
    }
  });

  it('a 3-node cluster idles in a bounded number of timers, and a killed Raft leader is replaced an election timeout after it went quiet', async () => {
    const clock = new SimulatedTimerClock(1_000_000);
    const driver = driveClock(clock);
    const electionTimeoutMs = 300;
    try {
      await using cluster = await Cluster.start({ nodes: 3, clock, electionTimeoutMs });
      await cluster.admin().createTopics([{ name: 'three', partitions: 3, replicationFactor: 3 }]);
      await delay(2_000, clock);
      // Three nodes: the followers' fetches, parked at the leader for a third of the
      // election timeout, are the quorum's heartbeat (about 10 round trips a second each).
      const idle = await idleTimersPerSecond(clock, 60);
      console.log(`idle timers a second, 3 nodes: ${idle}`);
      expect(idle).toBeLessThan(150);
      const leader = cluster.node(1)!.metadata.leaderId;
      expect(leader).toBeGreaterThan(0);
      const killedAt = clock.now();
      cluster.killNode(leader);
      const survivors = [1, 2, 3].filter((id) => id !== leader);
      const newLeader = (): number => {
        const ids = survivors.map((id) => cluster.node(id)!.metadata.leaderId);
        return ids[0] !== leader && ids[0]! > 0 && ids.every((x) => x === ids[0]) ? ids[0]! : -1;
      };
      await untilOn(clock, 'a new Raft leader', () => newLeader() > 0);
      const tookMs = clock.now() - killedAt;
      console.log(`new Raft leader ${tookMs} simulated ms after the kill`);
      // A follower last heard the leader at most a parked fetch (100 ms) before the kill,
      // so it stands no earlier than an election timeout after that; it stands within two
      // (the timeout is drawn from [300, 600) ms), and pre-vote and vote add message hops.
      expect(tookMs).toBeGreaterThanOrEqual(electionTimeoutMs - 100);
      expect(tookMs).toBeLessThan(3 * 2 * electionTimeoutMs);
      expect(survivors).toContain(newLeader());
    } finally {
      await driver.stop();
    }
  });
});
