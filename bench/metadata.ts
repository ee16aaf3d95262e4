import { fmt, runCase, table } from './lib.js';

/**
 * The metadata image at scale (issue 3's targets): memory per partition, snapshot size
 * and load time, at 1,000 and at 1,000,000 partitions side by side. Metadata throughput
 * through a replicated quorum and failover time join this section when the Raft quorum
 * lands.
 */
export async function metadataBench(): Promise<string> {
  const rows: (string | number)[][] = [];
  for (const [topics, per] of [
    [100, 10],
    [100_000, 10],
  ] as const) {
    const r = await runCase('./metadata-cases.ts', ['scale', String(topics), String(per)], ['--expose-gc', '--max-old-space-size=4096']);
    const heapMiB = r.heapMiB as number;
    rows.push([
      fmt(r.partitions as number),
      `${fmt(r.buildMs as number)} ms`,
      `${fmt(r.heapBytesPerPartition as number)} B (${fmt(heapMiB)} MiB)`,
      `${fmt(r.snapshotMiB as number, 1)} MiB in ${fmt(r.snapshotMs as number)} ms`,
      `${fmt(r.restoreMs as number)} ms`,
      (r.partitions as number) >= 1_000_000 ? `< 1 GiB: ${heapMiB < 1024 ? 'met' : 'MISSED'}` : '',
      r.peakRssMiB as number,
    ]);
  }
  return `## Metadata image (controller, no Raft yet)\n\nPartitions of 3 replicas over 6 brokers, created 100 topics per CreateTopics request through the pure controller; heap measured after full GCs.\n\n${table(['partitions', 'built in', 'heap per partition', 'snapshot', 'restore from snapshot', 'target', 'peak RSS MiB'], rows)}\n`;
}
