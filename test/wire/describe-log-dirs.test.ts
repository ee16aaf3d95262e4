/**
 * DescribeLogDirs (35) over a real socket, in raw frames: no client on this machine asks
 * it (KafkaJS has no call, confluent-kafka-python 1.7.0 and kcat neither). The answer is
 * checked against the files themselves: the node's folder as the one log folder, each
 * open replica's size equal to the bytes of its `.log` segment files on disk, offset lag
 * 0 on a leader, a topic filter that keeps only the partitions named and present, and v4's
 * total and usable bytes of the file system.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { DescribeLogDirsResponse } from '../../src/protocol/log-dirs.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/wire/codec.js';
import { clusterForFile, nodeAddress, type WireCluster } from './helpers/cluster.js';
import { RawConnection } from './helpers/raw-client.js';

let cluster: WireCluster;
clusterForFile({ nodes: 1 }, (c) => (cluster = c));

async function describeLogDirs(topics: { topic: string; partitions: number[] }[] | null, apiVersion: number): Promise<DescribeLogDirsResponse> {
  const conn = await RawConnection.open(nodeAddress(cluster, 1));
  try {
    conn.write(encodeRequest({ apiKey: ApiKey.DescribeLogDirs, topics }, { apiVersion, correlationId: 7, clientId: 'raw-logdirs' }));
    const frame = await conn.next(60_000);
    if (typeof frame === 'string') throw new Error(`no answer: ${frame}`);
    return decodeResponse(ApiKey.DescribeLogDirs, apiVersion, frame).response;
  } finally {
    conn.close();
  }
}

/** The bytes of a partition folder's segment files. */
const segmentBytes = (dir: string): number =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

describe('DescribeLogDirs over the wire', { timeout: 180_000 }, () => {
  it('names the node folder and each replica with its size on disk, at v1-v4', async () => {
    await cluster.admin().createTopics([{ name: 'orders', partitions: 2 }, { name: 'audit', partitions: 1 }]);
    await cluster.producer().send('orders', Array.from({ length: 50 }, (_, i) => ({ partition: i % 2, value: `order-${i}-${'x'.repeat(i)}` })));
    await cluster.producer().send('audit', [{ value: 'a' }]);

    for (const v of [1, 2, 3, 4]) {
      const r = await describeLogDirs(null, v);
      expect(r.results).toHaveLength(1);
      const [dir] = r.results;
      expect(dir!.errorCode).toBe('NONE');
      expect(dir!.logDir).toBe(resolve(cluster.dataDir, 'node-1'));
      if (v >= 3) expect(r.errorCode).toBe('NONE');
      const byName = Object.fromEntries(dir!.topics.map((t) => [t.name, t.partitions]));
      expect(Object.keys(byName).sort()).toEqual(['audit', 'orders']);
      for (const p of byName['orders']!) {
        const onDisk = segmentBytes(join(dir!.logDir, `orders-${p.partitionIndex}`));
        expect(onDisk).toBeGreaterThan(25 * 30);
        expect(p).toEqual({ partitionIndex: p.partitionIndex, partitionSize: onDisk, offsetLag: 0, isFutureKey: false });
      }
      expect(byName['orders']!.map((p) => p.partitionIndex).sort()).toEqual([0, 1]);
      if (v >= 4) {
        expect(dir!.totalBytes).toBeGreaterThan(0);
        expect(dir!.usableBytes).toBeGreaterThanOrEqual(0);
        expect(dir!.usableBytes).toBeLessThanOrEqual(dir!.totalBytes!);
      }
    }
  });

  it('describes only the partitions named that are here', async () => {
    const r = await describeLogDirs([{ topic: 'orders', partitions: [1, 9] }, { topic: 'missing', partitions: [0] }], 4);
    expect(r.results[0]!.topics).toEqual([{ name: 'orders', partitions: [expect.objectContaining({ partitionIndex: 1 })] }]);
    const none = await describeLogDirs([], 2);
    expect(none.results[0]!.topics).toEqual([]);
  });
});
