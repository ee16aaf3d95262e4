/**
 * The controller's own stall is not charged to its brokers. In a 1-node cluster the
 * controller and the broker share one thread; when that thread is blocked for seconds
 * (10,000 partitions created or opened, a big metadata delta applied), the first timer to
 * run after it may be the controller's session check, before the broker's heartbeat: the
 * partitions benchmark saw its only node fenced 6 to 28 times a run. Here the thread's
 * stall is simulated exactly: a `SimulatedTimerClock` whose time jumps while no timer
 * fires (the loop was blocked), after which every overdue timer runs, in due order.
 * Outcomes are counted (fencings logged), never timed in real time.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { serdes } from '../../src/client/serde.js';
import type { Logger } from '../../src/util/logger.js';
import { delay } from '../../src/util/timeout.js';
import { driveClock, SimulatedTimerClock } from '../../src/testing.js';

/** A simulated clock whose thread can be "blocked": time moves, no timer fires until the driver runs them. */
class StallingClock extends SimulatedTimerClock {
  stall(ms: number): void {
    this.ms += ms;
  }
}

/** A logger that keeps the ids of the nodes the controller fenced for a missed session. */
function fencingLog(): { logger: Logger; fenced: number[] } {
  const fenced: number[] = [];
  const ignore = (): void => {};
  return {
    fenced,
    logger: {
      debug: ignore,
      info: ignore,
      error: ignore,
      warn: (fields, msg) => {
        if (msg?.includes('no heartbeat within the broker session timeout') === true) fenced.push((fields as { nodeId: number }).nodeId);
      },
    },
  };
}

async function untilOn(clock: SimulatedTimerClock, what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  while (!cond()) {
    if (clock.now() > deadline) throw new Error(`timed out waiting for ${what} (${timeoutMs} simulated ms)`);
    await delay(10, clock);
  }
}

describe('controller stalls', () => {
  it('a 1-node cluster whose thread stalls for longer than the session timeout, again and again, never fences its broker', async () => {
    const clock = new StallingClock(1_000_000);
    const driver = driveClock(clock);
    const { logger, fenced } = fencingLog();
    try {
      await using cluster = await Cluster.start({ nodes: 1, clock, logger, brokerSessionTimeoutMs: 2000 });
      await cluster.admin().createTopics([{ name: 'stalls', partitions: 2 }]);
      // Twenty stalls of 5 s (2.5 session timeouts) at different phases of the tick and
      // heartbeat timers: in some of them the session check runs first after the stall.
      for (let i = 0; i < 20; i++) {
        clock.stall(5_000);
        await delay(37 + i * 13, clock);
      }
      await cluster.topic('stalls', { key: serdes.string, value: serdes.string }).send([{ value: 'after the stalls' }]);
      expect(fenced).toEqual([]);
      expect(cluster.describe()[0]).toMatchObject({ id: 1, running: true, fenced: false });
    } finally {
      await driver.stop();
    }
  });

  it('a killed node of a 3-node cluster is still fenced, a session timeout after its last heartbeat plus the stall at most', async () => {
    const clock = new StallingClock(1_000_000);
    const driver = driveClock(clock);
    const { logger, fenced } = fencingLog();
    try {
      await using cluster = await Cluster.start({ nodes: 3, clock, logger, brokerSessionTimeoutMs: 2000 });
      await cluster.admin().createTopics([{ name: 'kill', partitions: 3, replicationFactor: 3 }]);
      const victim = cluster.describe().find((n) => !n.activeController)!.id;
      const killedAt = clock.now();
      cluster.killNode(victim);
      clock.stall(5_000); // the survivors' thread stalls too, right after the kill
      const survivor = cluster.describe().find((n) => n.activeController)!.id;
      // A killed node reads as fenced in describe(); the controller's committed image says whether it really was.
      await untilOn(clock, `node ${victim} fenced`, () => cluster.node(survivor)!.metadata.image.broker(victim)?.fenced === true);
      // The stall is credited, the session timeout is not: fenced within 5 s + 2 s plus a few ticks.
      expect(clock.now() - killedAt).toBeLessThan(5_000 + 2_000 + 1_000);
      expect(fenced).toEqual([victim]);
    } finally {
      await driver.stop();
    }
  });
});
