import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { SimulatedTimerClock } from '../util/clock.js';
import type { Message } from './core/kraft.js';
import { readQuorumState, writeQuorumState } from './quorum-state-file.js';
import { RaftNode } from './raft-node.js';

const temp = useTempDirs('tributary-raft-node-');

/** Opens voter 1 of a 3-voter quorum on `dataDir` and returns what it sends first (no timer fires: the clock never moves). */
async function firstMessages(dataDir: string, newQuorum: boolean | undefined): Promise<Message[]> {
  const sent: Message[] = [];
  const node = await RaftNode.open({
    id: 1,
    voters: [1, 2, 3],
    dataDir,
    clock: new SimulatedTimerClock(0),
    transport: { send: (m) => sent.push(m) },
    stateMachine: { apply: () => {}, restore: () => {} },
    ...(newQuorum !== undefined ? { newQuorum } : {}),
  });
  await node.idle();
  await node.close();
  return sent;
}

describe('RaftNode: the first voter of a quorum stands as it opens', () => {
  it('of a new quorum, straight to a real election in epoch 1 (no pre-vote round)', async () => {
    const sent = await firstMessages(temp(), true);
    expect(sent.map((m) => [m.type, m.to, m.epoch, (m as { preVote?: boolean }).preVote])).toEqual([
      ['vote', 2, 1, false],
      ['vote', 3, 1, false],
    ]);
  });

  it('of a quorum not known to be new (a folder that may have been deleted), through a pre-vote in epoch 0', async () => {
    for (const flag of [false, undefined]) {
      const sent = await firstMessages(temp(), flag);
      expect(sent.map((m) => [m.type, m.epoch, (m as { preVote?: boolean }).preVote])).toEqual([
        ['vote', 0, true],
        ['vote', 0, true],
      ]);
    }
  });

  it('after a restart as the voter that led, through a pre-vote even when the cluster passes newQuorum', async () => {
    const dataDir = temp();
    const dir = join(dataDir, '__cluster_metadata-0');
    mkdirSync(dir, { recursive: true });
    writeQuorumState(dir, { epoch: 4, votedFor: 1, leaderId: 1 });
    const sent = await firstMessages(dataDir, true);
    expect(sent.map((m) => [m.type, m.epoch, (m as { preVote?: boolean }).preVote])).toEqual([
      ['vote', 4, true],
      ['vote', 4, true],
    ]);
  });
});

describe('RaftNode: the leader hint in quorum-state', () => {
  it('is written after the messages that follow it go out, not before them, and is there for a restart', async () => {
    const dataDir = temp();
    const dir = join(dataDir, '__cluster_metadata-0');
    const atBeginEpoch: (number | undefined)[] = [];
    const pending: Message[] = [];
    const node = await RaftNode.open({
      id: 1,
      voters: [1, 2, 3],
      dataDir,
      clock: new SimulatedTimerClock(0),
      newQuorum: true,
      transport: {
        send: (m) => {
          if (m.type === 'beginEpoch') atBeginEpoch.push(readQuorumState(dir)?.leaderId);
          // Voters 2 and 3 grant every vote request.
          if (m.type === 'vote') pending.push({ type: 'voteResponse', from: m.to, to: 1, epoch: m.epoch, granted: true, preVote: m.preVote, leaderId: -1, leaderEpoch: m.epoch });
        },
      },
      stateMachine: { apply: () => {}, restore: () => {} },
    });
    for (let i = 0; i < 10 && node.core.role !== 'leader'; i++) {
      await node.idle();
      for (const m of pending.splice(0)) node.receive(m);
    }
    await node.idle();
    expect(node.core.role).toBe('leader');
    // The vote was durable before the votes were asked for; the leader id was not yet when beginEpoch left.
    expect(atBeginEpoch).toEqual([-1, -1]);
    expect(readQuorumState(dir)).toEqual({ epoch: 1, votedFor: 1, leaderId: 1 });
    await node.close();
  });
});
