/**
 * The metadata quorum on real files: 3 voters in one process, each with its own Raft log,
 * vote file and snapshots in a temporary folder.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetadataQuorum } from '../../src/controller/metadata-quorum.js';
import { imageDifference, type MetadataImage } from '../../src/metadata/image.js';
import { randomUuid } from '../../src/metadata/uuid.js';
import { Rng } from '../../src/util/rng.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

// On simulated time: elections, fetches and timeouts of the voters run in the clock's time.
const sim = useSimulatedClock();
const { clock } = sim;

const tempDir = useTempDirs('tributary-quorum-');
const controller = { brokerSessionTimeoutMs: 600_000 };

async function registerBrokers(q: MetadataQuorum, ids: number[]): Promise<void> {
  const rng = new Rng(99);
  for (const brokerId of ids) {
    const reg = await q.submit({ type: 'BrokerRegistration', brokerId, incarnationId: randomUuid(rng) });
    expect(reg.errorCode).toBe('NONE');
    const hb = await q.submit({ type: 'BrokerHeartbeat', brokerId, brokerEpoch: reg.brokerEpoch, currentMetadataOffset: reg.brokerEpoch });
    expect(hb.isFenced).toBe(false);
  }
}

async function createTopic(q: MetadataQuorum, name: string, numPartitions = 6): Promise<void> {
  const r = await q.submit({ type: 'CreateTopics', topics: [{ name, numPartitions, replicationFactor: 3 }] });
  expect(r.topics[0]!.errorCode).toBe('NONE');
}

function brokerIds(image: MetadataImage): number[] {
  const ids: number[] = [];
  image.forEachBroker((b) => ids.push(b.id));
  return ids.sort((a, b) => a - b);
}

/** Waits until every running voter's image equals the active controller's. */
async function converged(q: MetadataQuorum): Promise<MetadataImage> {
  for (let i = 0; i < 400; i++) {
    const leader = q.active;
    if (leader) {
      const others = q.voterIds.map((id) => q.node(id)).filter((n) => n !== undefined);
      if (others.every((n) => imageDifference(n.image, leader.image) === undefined)) return leader.image;
    }
    await sim.sleep(10);
  }
  throw new Error('the voters did not converge on one image');
}

describe('MetadataQuorum on disk', () => {
  it('elects a leader, commits admin requests on every voter, fails over when the leader is killed, and restarts from disk with the same image', async () => {
    const dataDir = tempDir();
    const q = await MetadataQuorum.start({ voters: 3, dataDir, controller, clock });
    try {
      await q.waitForLeader();
      await registerBrokers(q, [1, 2, 3]);
      await createTopic(q, 'orders');
      const before = await converged(q);
      expect(before.topic('orders')?.partitions.length).toBe(6);

      // Kill the leader: no clean shutdown.
      const old = q.active!;
      q.kill(old.id);
      const next = await q.waitForLeader();
      expect(next.id).not.toBe(old.id);
      expect(next.epoch).toBeGreaterThan(old.epoch);
      // Nothing committed was lost, and the new leader commits new requests.
      expect(next.image.topic('orders')?.partitions.length).toBe(6);
      await createTopic(q, 'payments', 3);
      expect(q.image.topic('payments')?.partitions.length).toBe(3);

      // The killed voter comes back from its files and catches up.
      await q.restart(old.id);
      const after = await converged(q);
      expect(after.topic('orders')).toBeDefined();
      expect(after.topic('payments')).toBeDefined();
      await q.close();

      // Every voter restarted from disk: the same image.
      const again = await MetadataQuorum.start({ voters: 3, dataDir, controller, clock });
      try {
        await again.waitForLeader();
        // A new leader's first entry commits everything before it; then the images match.
        await again.submit({ type: 'CreateTopics', topics: [{ name: 'probe', numPartitions: 1, replicationFactor: 1 }] });
        const reopened = await converged(again);
        expect(reopened.topic('orders')?.partitions).toEqual(after.topic('orders')?.partitions);
        expect(reopened.topic('payments')?.partitions).toEqual(after.topic('payments')?.partitions);
        expect(brokerIds(reopened)).toEqual([1, 2, 3]);
      } finally {
        await again.close();
      }
    } finally {
      await q.close();
    }
  });

  it('snapshots the image, drops the log before it, restarts from the snapshot, and sends it to a voter that fell behind', async () => {
    const dataDir = tempDir();
    const q = await MetadataQuorum.start({ voters: 3, dataDir, controller, snapshotBytes: 2048, clock });
    try {
      await q.waitForLeader();
      await registerBrokers(q, [1, 2, 3]);
      // Stop one follower, then write enough for several snapshots.
      const follower = q.voterIds.find((id) => id !== q.active!.id)!;
      await q.stop(follower);
      for (let i = 0; i < 40; i++) await createTopic(q, `t${i}`, 2);
      const live = q.voterIds.filter((id) => id !== follower);
      const metaDir = (id: number) => join(dataDir, `node-${id}`, '__cluster_metadata-0');
      for (const id of live) expect(readdirSync(metaDir(id)).some((f) => f.endsWith('.checkpoint'))).toBe(true);

      // The stopped follower is behind the leader's log start: it is sent the snapshot.
      await q.restart(follower);
      const image = await converged(q);
      expect(image.topic('t39')).toBeDefined();
      expect(readdirSync(metaDir(follower)).some((f) => f.endsWith('.checkpoint'))).toBe(true);
      await q.close();

      const again = await MetadataQuorum.start({ voters: 3, dataDir, controller, snapshotBytes: 2048, clock });
      try {
        await again.waitForLeader();
        await again.submit({ type: 'CreateTopics', topics: [{ name: 'probe', numPartitions: 1, replicationFactor: 1 }] });
        const reopened = await converged(again);
        for (let i = 0; i < 40; i++) expect(reopened.topic(`t${i}`)?.partitions).toEqual(image.topic(`t${i}`)?.partitions);
      } finally {
        await again.close();
      }
    } finally {
      await q.close();
    }
  });

  it('answers NOT_CONTROLLER from a voter that does not lead, and refuses a quorum size other than 1, 3 or 5', async () => {
    await expect(MetadataQuorum.start({ voters: 2, dataDir: tempDir() })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    const q = await MetadataQuorum.start({ voters: 1, dataDir: tempDir(), controller, clock });
    try {
      const leader = await q.waitForLeader();
      expect(leader.id).toBe(1);
      await registerBrokers(q, [7]);
      expect(brokerIds(q.image)).toEqual([7]);
    } finally {
      await q.close();
    }
    const three = await MetadataQuorum.start({ voters: 3, dataDir: tempDir(), controller, clock });
    try {
      const leader = await three.waitForLeader();
      const other = three.node(three.voterIds.find((id) => id !== leader.id)!)!;
      await expect(other.submit({ type: 'CreateTopics', topics: [{ name: 'x', numPartitions: 1, replicationFactor: 1 }] })).rejects.toMatchObject({ code: 'NOT_CONTROLLER', retriable: true });
    } finally {
      await three.close();
    }
  });
});
