/**
 * The active controller's timer sleeps to its next deadline (at most 500 ms), and a
 * commit that brings a deadline nearer re-arms it: a broker that stops heartbeating is
 * fenced at its session's expiry (within the timer's `tickMs` granularity), not at the
 * end of whatever sleep the timer was in. Times are read on a simulated clock.
 */
import { describe, expect, it } from 'vitest';
import { randomUuid } from '../metadata/uuid.js';
import { InlineRaftNetwork } from '../raft/inline-network.js';
import { Rng } from '../util/rng.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { useSimulatedClock } from '../../test/helpers/sim-clock.js';
import { ControllerNode, type ControllerNodeOptions } from './controller-node.js';

const tempDir = useTempDirs('tributary-controller-timer-');
const sim = useSimulatedClock();
const { clock } = sim;

/** A one-voter controller on the simulated clock, in a temporary folder. */
function openSingleVoter(options: Pick<ControllerNodeOptions, 'controller'> & { tickMs?: number }): Promise<ControllerNode> {
  return ControllerNode.open({ id: 1, voters: [1], dataDir: tempDir(), network: new InlineRaftNetwork(clock), clock, seed: 1, ...options });
}

describe('ControllerNode timer', () => {
  it('fences a silent broker at its session expiry, though the timer slept to a later wakeup', async () => {
    const sessionMs = 150;
    const tickMs = 50;
    // No idle NoOp: with no broker, nothing is due and the timer sleeps its longest (500 ms).
    const node = await openSingleVoter({ tickMs, controller: { metadataMaxIdleIntervalMs: 0, brokerSessionTimeoutMs: sessionMs } });
    try {
      await sim.until('the controller is active', () => node.isActive);
      // Let the timer settle into its longest sleep, then register just after one of its
      // wakeups: its next one is then about 500 ms away, past the session's expiry.
      await sim.sleep(1_000);
      const wakeups = node.timerWakeups;
      await sim.until('a wakeup of the controller timer', () => node.timerWakeups > wakeups, 2_000);
      let fencedAt = -1;
      node.onImage((image) => {
        if (fencedAt < 0 && image.broker(1)?.fenced === true && heardAt > 0) fencedAt = clock.now();
      });
      let heardAt = -1;
      const reg = await node.submit({ type: 'BrokerRegistration', brokerId: 1, incarnationId: randomUuid(new Rng(2)) });
      const hb = await node.submit({ type: 'BrokerHeartbeat', brokerId: 1, brokerEpoch: reg.brokerEpoch, currentMetadataOffset: reg.brokerEpoch });
      heardAt = clock.now();
      expect(hb.isFenced).toBe(false);
      await sim.until('broker 1 is fenced', () => fencedAt >= 0, 5_000);
      const lateMs = fencedAt - (heardAt + sessionMs);
      expect(lateMs, `fenced ${fencedAt - heardAt} ms after the last heartbeat`).toBeGreaterThanOrEqual(0);
      // The session's expiry plus the timer's granularity (and the commit of the fence), not a 500 ms sleep.
      expect(lateMs).toBeLessThanOrEqual(tickMs + 20);
    } finally {
      await node.close();
    }
  });
});

describe('ControllerNode quorum listeners', () => {
  // A node worker posts its status (`active`, read by `Cluster.describe()` in the
  // per-node modes) on these events only, with a 1 s safety net: an activation no
  // listener hears is reported late, or (no commit after it) only by the safety net.
  it('are told when the node becomes the active controller, with no commit after it', async () => {
    const node = await openSingleVoter({ controller: { metadataMaxIdleIntervalMs: 0 } });
    try {
      const heard: boolean[] = [];
      node.onQuorumChange(() => heard.push(node.isActive));
      await sim.until('the controller is active', () => node.isActive);
      await sim.sleep(1_000);
      expect(heard).toContain(true);
    } finally {
      await node.close();
    }
  });
});
