/**
 * Restarting a cluster on its data folder must not wait out the broker session timeout:
 * after a clean close (every broker shut down and fenced) and after a crash of the whole
 * cluster (no broker said goodbye), the new incarnations register at once. The session
 * timeout is set to a minute, so a restart that needed it would take a minute; each
 * restart here must finish well before (on a loaded machine, a fresh start takes a
 * fraction of a second).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { useTempDirs } from '../helpers/temp-dirs.js';
import { diagnosticChannels, type FencingEvent } from '../../src/util/channels.js';

const tempDir = useTempDirs('tributary-restart-');
const brokerSessionTimeoutMs = 60_000;

async function fill(cluster: Cluster, count: number): Promise<void> {
  const producer = cluster.producer({ lingerMs: 1 });
  await producer.send('t', Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  await producer.close();
}

async function countRecords(cluster: Cluster): Promise<number> {
  const ends = await cluster.admin().listOffsets('t', 'latest');
  return ends.reduce((n, e) => n + e.offset, 0);
}

/** Starts a cluster on `dataDir` and returns it with how long `Cluster.start` took. */
async function timedStart(nodes: number, dataDir: string): Promise<{ cluster: Cluster; ms: number }> {
  const t0 = performance.now();
  const cluster = await Cluster.start({ nodes, dataDir, brokerSessionTimeoutMs });
  return { cluster, ms: performance.now() - t0 };
}

describe('restart on a persistent data folder', () => {
  for (const nodes of [1, 3]) {
    it(`${nodes} node(s): a clean restart and a crash restart do not wait for the broker session timeout`, async () => {
      const dataDir = tempDir();
      const first = await timedStart(nodes, dataDir);
      await first.cluster.admin().createTopics([{ name: 't', partitions: 3 }]);
      await fill(first.cluster, 300);
      await first.cluster.close();

      const clean = await timedStart(nodes, dataDir);
      expect(clean.ms).toBeLessThan(brokerSessionTimeoutMs / 2);
      expect(clean.cluster.describe().every((n) => n.running && !n.fenced)).toBe(true);
      expect(await countRecords(clean.cluster)).toBe(300);
      await fill(clean.cluster, 100);
      // A crash of the whole cluster: every node stops without a word to the controller.
      for (const id of clean.cluster.nodeIdList) clean.cluster.killNode(id);
      await clean.cluster.close();

      const crash = await timedStart(nodes, dataDir);
      expect(crash.ms).toBeLessThan(brokerSessionTimeoutMs / 2);
      expect(crash.cluster.describe().every((n) => n.running && !n.fenced)).toBe(true);
      // Every partition has a leader again and every acknowledged record is there.
      const [topic] = await crash.cluster.admin().describeTopics(['t']);
      for (const p of topic!.partitions) expect(p.leader).toBeGreaterThan(0);
      expect(await countRecords(crash.cluster)).toBe(400);
      await crash.cluster.close();
    }, 50_000);
  }
});

describe('every node killed, then restarted one at a time', () => {
  it('each restartNode resolves; the node that makes the majority waits for registration, and every node serves after', async () => {
    const cluster = await Cluster.start({ nodes: 3, dataDir: tempDir() });
    // Node 1 registers in the background once a majority runs: the controller's unfencing
    // of it (tributary:fencing) is the event this test waits for.
    const unfenced = new Set<number>();
    let wake = (): void => {};
    const onFencing = (message: unknown): void => {
      const e = message as FencingEvent;
      if (!e.fenced) unfenced.add(e.nodeId);
      wake();
    };
    subscribe(diagnosticChannels.fencing, onFencing);
    try {
      await cluster.admin().createTopics([{ name: 't', partitions: 3, replicationFactor: 3 }]);
      await fill(cluster, 300);
      for (const id of cluster.nodeIdList) cluster.killNode(id);
      unfenced.clear();
      // The first restart leaves 1 of 3 voters running: no controller can be elected, so it
      // must not wait for a registration that cannot happen (it used to time out after 30 s).
      await cluster.restartNode(1);
      expect(cluster.describe().filter((n) => n.running).map((n) => n.id)).toEqual([1]);
      // The second makes a majority: it resolves once node 2 is registered.
      await cluster.restartNode(2);
      expect(cluster.describe().find((n) => n.id === 2)!.fenced).toBe(false);
      await cluster.restartNode(3);
      await new Promise<void>((resolve) => {
        wake = () => {
          if (unfenced.has(1)) resolve();
        };
        wake();
      });
      expect(cluster.describe().every((n) => n.running && !n.fenced)).toBe(true);
      expect(await countRecords(cluster)).toBe(300);
      await fill(cluster, 30);
      expect(await countRecords(cluster)).toBe(330);
    } finally {
      unsubscribe(diagnosticChannels.fencing, onFencing);
      await cluster.close();
    }
  }, 60_000);
});
