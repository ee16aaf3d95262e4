/**
 * `threads: 'per-node'`, RF 3, acks=all: the followers in the other workers take the
 * leader's appends from its in-memory tail, in a Fetch answer frame marked `checked`, and
 * skip their CRC pass (node/node-requests.ts, `fetchAnswerFrame`; the calling thread's
 * Produce requests likewise keep the producer's mark, cluster/relayed-produce.ts). Whatever
 * path the bytes took, every replica's log must hold exactly the leader's batches: after a
 * clean close the three segment files of the partition are the same bytes, and they hold
 * every acknowledged record at its offset.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { readBatchHeader } from '../../src/record/batch.js';

function segmentBytes(dataDir: string, node: number, folder: string): Buffer {
  const dir = join(dataDir, `node-${node}`, folder);
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return Buffer.concat(logs.map((f) => readFileSync(join(dir, f))));
}

describe("threads: 'per-node': followers in other workers copy the leader's tail", () => {
  it('RF 3, acks=all, calls of 500 records: the three replicas hold the same bytes, every acknowledged record at its offset', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-per-node-replicas-'));
    try {
      const acked = new Map<number, string>(); // offset -> value
      {
        await using cluster = await Cluster.start({ nodes: 3, threads: 'per-node', dataDir });
        await cluster.admin().createTopics([{ name: 'copies', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '3' } }]);
        const producer = cluster.producer({ acks: 'all', lingerMs: 0 });
        for (let call = 0; call < 20; call++) {
          // Sizes vary so that batches and appends do not line up with the tail's chunks.
          const records = Array.from({ length: 500 }, (_, i) => ({ value: `${call}-${i}-${'x'.repeat((call * 7 + i) % 300)}` }));
          const meta = await producer.send('copies', records);
          meta.forEach((m, i) => acked.set(m.offset, records[i]!.value));
        }
        await producer.close();
      }
      expect(acked.size).toBe(10_000);
      const [one, two, three] = [1, 2, 3].map((n) => segmentBytes(dataDir, n, 'copies-0'));
      expect(one!.length).toBeGreaterThan(1_000_000);
      expect(two!.equals(one!)).toBe(true);
      expect(three!.equals(one!)).toBe(true);

      // And the bytes are the acknowledged records: read back through a cluster on the same folder.
      await using again = await Cluster.start({ nodes: 3, threads: 'per-node', dataDir });
      const consumer = again.consumer({ maxWaitMs: 50 });
      consumer.assign([{ topic: 'copies', partition: 0 }]);
      await consumer.seek({ topic: 'copies', partition: 0 }, 'earliest');
      let seen = 0;
      for await (const r of consumer) {
        expect(r.value?.toString()).toBe(acked.get(r.offset));
        if (++seen === acked.size) break;
      }
      expect(seen).toBe(acked.size);
      // Every batch header reads (the whole file is batches, back to back).
      let at = 0;
      while (at < one!.length) at += 12 + readBatchHeader(one!.subarray(at)).batchLength;
      expect(at).toBe(one!.length);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
