/**
 * `Cluster.start({ threads: 'per-node' })`: each node in a worker of its own; `'worker'`:
 * the whole cluster in one worker. The public
 * API from the calling thread; what cannot cross to a worker is refused with a typed error
 * naming the option; one owner per data folder holds across the workers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Cluster, isTributaryError } from '../../src/index.js';
import { systemClock } from '../../src/util/clock.js';

describe("threads: 'per-node' and 'worker'", () => {
  it.each(['per-node', 'worker'] as const)('threads: %s: clients, stop, kill (mid-write) and restart from the calling thread; every acknowledged record survives', async (threads) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-per-node-'));
    try {
      await using cluster = await Cluster.start({ nodes: 3, threads, dataDir });
      expect(cluster.describe().filter((n) => n.running)).toHaveLength(3);
      expect(cluster.describe().filter((n) => n.activeController)).toHaveLength(1);
      // The synchronous views of node internals work in every mode (read from the nodes' threads now: test/workers/sync-views.test.ts).
      expect(cluster.metadata.brokerList()).toHaveLength(3);
      expect(cluster.metrics().runningNodes).toBe(3);
      // One owner per data folder, whichever thread the nodes live in.
      await expect(Cluster.start({ nodes: 3, dataDir })).rejects.toSatisfy((e) => isTributaryError(e, 'LOG_DIR_LOCKED'));

      await cluster.admin().createTopics([{ name: 'orders', partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
      const producer = cluster.producer({ acks: 'all', lingerMs: 1 });
      const acked = new Map<string, string>(); // partition:offset -> value
      let i = 0;
      const send = async (n: number): Promise<void> => {
        for (let k = 0; k < n; k++, i++) {
          const value = String(i);
          try {
            const [m] = await producer.send('orders', [{ key: `k${i % 7}`, value }]);
            acked.set(`${m!.partition}:${m!.offset}`, value);
          } catch (err) {
            if (!isTributaryError(err)) throw err;
          }
        }
      };
      await send(50);
      // Their async forms work in every mode: each node's counts and the controller's image, read now.
      const before = await cluster.readMetrics();
      expect(before.recordsIn).toBeGreaterThanOrEqual(acked.size);
      expect(before.topics.orders?.recordsIn).toBe(before.recordsIn);
      expect(before.requestLatencyMs.Produce?.count).toBeGreaterThan(0);
      expect([before.runningNodes, before.fencedNodes, before.partitions, before.offlinePartitions]).toEqual([3, 0, 3, 0]);
      expect(before.activeControllerId).toBe(cluster.describe().find((n) => n.activeController)?.id);
      const image = await cluster.readMetadata();
      expect(image.topic('orders')?.partitions).toHaveLength(3);
      expect(image.topic('orders')?.partitions.every((p) => p.replicas.length === 3)).toBe(true);
      expect(image.brokerList().map((b) => [b.id, b.fenced])).toEqual([[1, false], [2, false], [3, false]]);
      // Killed while a send is in flight: the worker is terminated wherever it is.
      const inFlight = send(50);
      cluster.killNode(2);
      await inFlight;
      await send(50);
      await cluster.restartNode(2);
      await cluster.stopNode(1);
      await send(50);
      await cluster.restartNode(1);
      expect(cluster.describe().filter((n) => n.running)).toHaveLength(3);
      expect(acked.size).toBeGreaterThan(100);
      // Counters stay monotonic across a kill, a stop and restarts (the stopped node's final counts, the killed one's as last read).
      const after = await cluster.readMetrics();
      expect(after.recordsIn).toBeGreaterThan(before.recordsIn);
      expect(after.runningNodes).toBe(3);

      // Every acknowledged record is there, read through a handle as well as from this thread.
      const consumer = cluster.consumer();
      consumer.assign([0, 1, 2].map((partition) => ({ topic: 'orders', partition })));
      for (let p = 0; p < 3; p++) await consumer.seek({ topic: 'orders', partition: p }, 'earliest');
      const read = new Map<string, string>();
      for await (const r of consumer) {
        read.set(`${r.partition}:${r.offset}`, Buffer.from(r.value as Uint8Array).toString());
        if ([...acked.keys()].every((k) => read.has(k))) break;
      }
      for (const [k, v] of acked) expect(read.get(k)).toBe(v);
      await consumer.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);

  it('refuses what cannot cross to a worker, naming the option', async () => {
    await expect(Cluster.start({ threads: 'per-node', clock: systemClock })).rejects.toSatisfy((e) => isTributaryError(e, 'INVALID_CONFIG') && /clock/.test((e as Error).message));
    await expect(Cluster.start({ threads: 'worker', openStore: () => undefined as never })).rejects.toSatisfy((e) => isTributaryError(e, 'INVALID_CONFIG') && /openStore/.test((e as Error).message));
    await expect(Cluster.start({ threads: 'sideways' as never })).rejects.toSatisfy((e) => isTributaryError(e, 'INVALID_CONFIG'));
  });

  it("each node's worker runs with the small young generation that keeps its isolate from mark-compacting without pause (NODE_WORKER_YOUNG_GENERATION_MB)", async () => {
    // V8's default young generation (48 MiB here) made each node's isolate mark-compact
    // every 100-150 ms once its new space had grown (src/cluster/worker-nodes.ts). What the
    // worker reports is what V8 applied in that thread, new workers and idle ones alike.
    const reported: unknown[] = [];
    const logger = { debug: (f: object) => void ('youngGenerationMb' in f && reported.push((f as { youngGenerationMb: unknown }).youngGenerationMb)), info: () => {}, warn: () => {}, error: () => {} };
    for (let i = 0; i < 2; i++) {
      const cluster = await Cluster.start({ nodes: 3, threads: 'per-node', logger, logLevel: 'debug' });
      await cluster.close();
    }
    expect(reported).toEqual([16, 16, 16, 16, 16, 16]);
  }, 120_000);
});

describe("threads: 'per-node' with listen", () => {
  it('serves Kafka clients over TCP from the calling thread, each request relayed with its context to the node in its worker', async () => {
    await using cluster = await Cluster.start({ nodes: 3, threads: 'per-node', listen: {} });
    expect(cluster.bootstrapServers.split(',')).toHaveLength(3);
    const { connect } = await import('../../src/index.js');
    await using remote = connect({ bootstrapServers: cluster.bootstrapServers, clientId: 'tcp-client' });
    await remote.admin().createTopics([{ name: 'over-tcp', partitions: 2, replicationFactor: 3 }]);
    const [m] = await remote.producer({ acks: 'all' }).send('over-tcp', [{ key: 'k', value: 'over tcp' }]);
    // A group over TCP: JoinGroup sees the socket's context (its client id), not the relay's.
    const group = remote.consumerGroup({ groupId: 'tcp-group', topics: ['over-tcp'], autoOffsetReset: 'earliest' });
    for await (const r of group) {
      expect(r.offset).toBe(m!.offset);
      break;
    }
    const described = await remote.admin().describeGroup('tcp-group');
    expect(described.members.map((x) => x.clientId)).toEqual(['tcp-client']);
    await group.close();
  }, 180_000);
});

describe("threads: 'worker'", () => {
  it('listens for Kafka clients from inside the worker, and its handles relay to it', async () => {
    await using cluster = await Cluster.start({ nodes: 1, threads: 'worker', listen: {} });
    expect(cluster.bootstrapServers).toMatch(/^127\.0\.0\.1:\d+$/);
    await cluster.admin().createTopics([{ name: 'relayed' }]);
    // connect() takes a handle as well as bootstrap servers (connectHandle is its alias).
    const { connect } = await import('../../src/index.js');
    await using remote = await connect(cluster.createHandle());
    const [m] = await remote.producer().send('relayed', [{ value: 'via the calling thread' }]);
    expect(m!.offset).toBe(0);
  }, 120_000);

  it("runs with the same small young generation as a node's worker (its isolate mark-compacted 81-86 times in the RF 3 case with V8's default)", async () => {
    const reported: unknown[] = [];
    const logger = { debug: (f: object) => void ('youngGenerationMb' in f && reported.push((f as { youngGenerationMb: unknown }).youngGenerationMb)), info: () => {}, warn: () => {}, error: () => {} };
    const cluster = await Cluster.start({ nodes: 1, threads: 'worker', logger, logLevel: 'debug' });
    await cluster.close();
    expect(reported).toEqual([16]);
  }, 120_000);
});

describe('closed, a cluster with its nodes in workers lets the process exit', () => {
  for (const threads of ['per-node', 'worker'] as const) {
    it(`threads: ${threads}: no worker, port or timer is left behind (a node killed, a group used)`, async () => {
      const child = fileURLToPath(new URL('./exit-child.ts', import.meta.url));
      const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', child, threads], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        // Far beyond its work even at load 10: still alive then, something holds its event loop.
        const limit = setTimeout(() => {
          err += '\nstill running after 150 s: killed';
          p.kill('SIGKILL');
        }, 150_000);
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('error', reject);
        p.on('exit', (c) => {
          clearTimeout(limit);
          resolve({ code: c, out, err });
        });
      });
      expect(code, err).toBe(0);
      const report = JSON.parse(out.trim().split('\n').pop()!) as { read: number; resources: string[] };
      expect(report.read).toBe(10);
      expect(report.resources.filter((r) => r === 'Timeout' || r === 'Immediate' || r === 'MessagePort' || r === 'Worker')).toEqual([]);
    }, 200_000);
  }
});
