/**
 * The Raft driver's one timer sleeps to the core's next deadline; an input that brings a
 * deadline nearer re-arms it. Here a leader of three voters, asleep toward its
 * check-quorum deadline (46 ticks away), gets a fetch it parks (long poll, 10 ticks): the
 * parked fetch is answered when its 10 ticks are over, not when the leader next wakes.
 * On a simulated clock that moves only when the test moves it; voters 2 and 3 are played
 * by hand.
 */
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { SimulatedTimerClock } from '../util/clock.js';
import type { Message } from './core/kraft.js';
import { RaftNode } from './raft-node.js';

const temp = useTempDirs('tributary-raft-node-timer-');

describe('RaftNode: the deadline timer', () => {
  it('re-arms for a parked fetch that falls due before the sleep it was in', async () => {
    const clock = new SimulatedTimerClock(0);
    const sent: Message[] = [];
    const tickMs = 10;
    const node = await RaftNode.open({
      id: 1,
      voters: [1, 2, 3],
      dataDir: temp(),
      clock,
      tickMs,
      electionTimeoutMs: 300, // 30 ticks: check-quorum 45, fetches parked 10
      newQuorum: true,
      transport: { send: (m) => sent.push(m) },
      stateMachine: { apply: () => {}, restore: () => {} },
    });
    try {
      await node.idle();
      expect(sent.map((m) => m.type)).toEqual(['vote', 'vote']);
      node.receive({ type: 'voteResponse', from: 2, to: 1, epoch: 1, granted: true, preVote: false, leaderId: -1, leaderEpoch: -1 });
      await node.idle();
      expect(node.core.role).toBe('leader');
      const wakeups = node.timerWakeups;
      clock.set(150);
      expect(node.timerWakeups, 'nothing due in the first 150 ms').toBe(wakeups);
      // Voter 2 catches up (the leader-change entry at offset 0): answered at once, and the high watermark moves to 1.
      node.receive({ type: 'fetch', from: 2, to: 1, epoch: 1, fetchOffset: 1, lastFetchedEpoch: 1, highWatermark: 0 });
      await node.idle();
      const answers = (): number => sent.filter((m) => m.type === 'fetchResponse' && m.to === 2).length;
      expect(answers()).toBe(1);
      // Its next fetch has nothing to read: parked for 10 ticks (100 ms).
      node.receive({ type: 'fetch', from: 2, to: 1, epoch: 1, fetchOffset: 1, lastFetchedEpoch: 1, highWatermark: 1 });
      await node.idle();
      expect(answers(), 'the caught-up fetch is parked').toBe(1);
      clock.set(150 + 100 + tickMs);
      await node.idle();
      expect(answers(), 'the parked fetch is answered when its 10 ticks are over').toBe(2);
    } finally {
      await node.close();
    }
  });
});
