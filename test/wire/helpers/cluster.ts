/**
 * A Tributary cluster with Kafka listeners for the wire tests, and reading a topic back
 * through Tributary's own Consumer (the independent check that what a wire client was
 * told is acknowledged is really in the log).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Cluster, type ClusterOptions } from '../../../src/cluster.js';
import type { ConsumerRecord } from '../../../src/client/consumer.js';

/** The listener options of `Cluster.start({ listen })`, as far as these tests use them. */
export interface ListenOptions {
  readonly host?: string;
  readonly port?: number | readonly number[];
  readonly sasl?: unknown;
  readonly [option: string]: unknown;
}

export type WireCluster = Cluster & { readonly bootstrapServers: string };

/**
 * One cluster with listeners for a test file's tests: started before them (`before` first,
 * for a check such as `requireClients`), handed to `use`, closed after them.
 */
export function clusterForFile(options: Parameters<typeof startWireCluster>[0], use: (cluster: WireCluster) => void, before?: () => void): void {
  let cluster: WireCluster | undefined;
  beforeAll(async () => {
    before?.();
    cluster = await startWireCluster(options);
    use(cluster);
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
  }, 120_000);
}

/** Starts a cluster whose every node listens on 127.0.0.1, any free port (unless `listen` says otherwise). */
export async function startWireCluster(options: ClusterOptions & { readonly listen?: ListenOptions; readonly [option: string]: unknown } = {}): Promise<WireCluster> {
  const start = Cluster.start as (o: ClusterOptions & { listen: ListenOptions }) => Promise<Cluster>;
  const cluster = (await start({ nodes: 3, ...options, listen: { port: 0, ...options.listen } })) as WireCluster;
  if (typeof cluster.bootstrapServers !== 'string' || cluster.bootstrapServers.length === 0) {
    await cluster.close();
    throw new Error('Cluster.start({ listen }) gave no bootstrapServers');
  }
  return cluster;
}

/** `host:port` of one node's listener, from `bootstrapServers` (nodes are listed in id order). */
export function nodeAddress(cluster: WireCluster, nodeId: number): string {
  return cluster.bootstrapServers.split(',')[nodeId - 1]!;
}

/** Every record of `topic` up to each partition's end, read with Tributary's own Consumer. */
export async function readAll(cluster: Cluster, topic: string, timeoutMs = 120_000): Promise<ConsumerRecord[]> {
  const admin = cluster.admin();
  const ends = await admin.listOffsets(topic, 'latest');
  const consumer = cluster.consumer({ maxWaitMs: 200 });
  const out: ConsumerRecord[] = [];
  try {
    const want = new Map(ends.filter((e) => e.offset > 0).map((e) => [e.partition, e.offset]));
    if (want.size === 0) return out;
    consumer.assign([...want.keys()].map((partition) => ({ topic, partition })));
    for (const partition of want.keys()) await consumer.seek({ topic, partition }, 'earliest');
    const deadline = Date.now() + timeoutMs;
    for await (const batch of consumer.batches()) {
      for (const r of batch.records) {
        if (r.offset < want.get(r.partition)!) out.push(r);
      }
      const done = [...want].every(([p, end]) => (consumer.position({ topic, partition: p }) ?? 0) >= end);
      if (done || Date.now() > deadline) break;
    }
  } finally {
    await consumer.close();
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

export const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString());

/**
 * The compression codec (attributes & 7) of every batch stored for a topic partition on
 * one node, read from its segment files: proof that a client's compressed batch reached
 * the log compressed (librdkafka below 2.11.1 silently sends uncompressed batches to a
 * broker whose Produce range starts above v0).
 */
export function storedCodecs(cluster: Cluster, nodeId: number, topic: string, partition: number): number[] {
  const dir = join(cluster.dataDir, `node-${nodeId}`, `${topic}-${partition}`);
  const codecs: number[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const data = readFileSync(join(dir, f));
    let p = 0;
    while (p + 61 <= data.length) {
      const batchLength = data.readInt32BE(p + 8);
      if (batchLength <= 0) break;
      codecs.push(data.readInt16BE(p + 21) & 7);
      p += 12 + batchLength;
    }
  }
  return codecs;
}
