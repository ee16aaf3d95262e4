/**
 * Metadata quorum benchmark cases, one per process:
 * - `throughput <inFlight> <topics>`: topics created per second through a 3-voter quorum on
 *   disk (every entry fsynced on each voter before it counts), with `inFlight` CreateTopics
 *   requests outstanding;
 * - `failover <topics> <partitionsPerTopic> <kills>`: fills the metadata, then kills the
 *   active controller `kills` times and times each kill until the new leader has committed
 *   a new record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataQuorum } from '../src/controller/metadata-quorum.js';
import { randomUuid } from '../src/metadata/uuid.js';
import { Rng } from '../src/util/rng.js';
import { peakRssMiB, percentile, report } from './lib.js';

const [mode, a, b, c] = process.argv.slice(2);
const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-quorum-'));
const controller = { brokerSessionTimeoutMs: 3_600_000, metadataMaxIdleIntervalMs: 0 };

async function start(): Promise<MetadataQuorum> {
  const q = await MetadataQuorum.start({ voters: 3, dataDir, controller });
  await q.waitForLeader();
  const rng = new Rng(5);
  for (let brokerId = 0; brokerId < 6; brokerId++) {
    const reg = await q.submit({ type: 'BrokerRegistration', brokerId, incarnationId: randomUuid(rng) });
    await q.submit({ type: 'BrokerHeartbeat', brokerId, brokerEpoch: reg.brokerEpoch, currentMetadataOffset: reg.brokerEpoch });
  }
  return q;
}

async function createOne(q: MetadataQuorum, name: string, partitions = 1): Promise<void> {
  const r = await q.submit({ type: 'CreateTopics', topics: [{ name, numPartitions: partitions, replicationFactor: 3 }] });
  if (r.topics[0]!.errorCode !== 'NONE') throw new Error(`create ${name}: ${r.topics[0]!.errorCode}`);
}

try {
  if (mode === 'throughput') {
    const inFlight = Number(a);
    const total = Number(b);
    const q = await start();
    // Warm up.
    for (let i = 0; i < 50; i++) await createOne(q, `warm-${i}`);
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < total) await createOne(q, `t-${next++}`);
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const seconds = (performance.now() - t0) / 1000;
    await q.close();
    report({ name: 'quorum-throughput', inFlight, topics: total, perSecond: total / seconds, peakRssMiB: peakRssMiB() });
  } else if (mode === 'failover') {
    const topics = Number(a);
    const perTopic = Number(b);
    const kills = Number(c);
    const q = await start();
    const t0 = performance.now();
    for (let t = 0; t < topics; t += 100) {
      const batch = [];
      for (let i = t; i < Math.min(topics, t + 100); i++) batch.push({ name: `topic-${i}`, numPartitions: perTopic, replicationFactor: 3 });
      const r = await q.submit({ type: 'CreateTopics', topics: batch }, { timeoutMs: 120_000 });
      if (!r.topics.every((x) => x.errorCode === 'NONE')) throw new Error('CreateTopics failed');
    }
    const fillMs = performance.now() - t0;
    const times: number[] = [];
    for (let k = 0; k < kills; k++) {
      const leader = await q.waitForLeader();
      const killedAt = performance.now();
      q.kill(leader.id);
      await createOne(q, `after-kill-${k}`);
      times.push(performance.now() - killedAt);
      await q.restart(leader.id);
      // Let the restarted voter catch up, image included, before the next kill: all three
      // voters share this process, and a voter restoring a million-partition snapshot
      // (about 1.7 s of synchronous work) would stall the next failover with it.
      for (let i = 0; i < 3000; i++) {
        const active = q.active;
        const back = q.node(leader.id);
        if (active && back && back.highWatermark >= active.highWatermark && back.image.offset >= active.image.offset) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const partitions = q.image.partitionCount;
    await q.close();
    times.sort((x, y) => x - y);
    report({ name: 'quorum-failover', partitions, fillMs, kills, failoverP50Ms: percentile(times, 50), failoverMaxMs: times[times.length - 1]!, failoverMinMs: times[0]!, peakRssMiB: peakRssMiB() });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
