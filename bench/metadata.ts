import { fmt, runCase, table } from './lib.js';

/**
 * The metadata image at scale (issue 3's targets): memory per partition, snapshot size
 * and load time, at 1,000 and at 1,000,000 partitions side by side; topic creations per
 * second through a 3-voter quorum on disk; and failover time at both scales.
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
  let out = `## Metadata image\n\nPartitions of 3 replicas over 6 brokers, created 100 topics per CreateTopics request through the pure controller; heap measured after full GCs.\n\n${table(['partitions', 'built in', 'heap per partition', 'snapshot', 'restore from snapshot', 'target', 'peak RSS MiB'], rows)}\n`;

  // Throughput through the replicated quorum: every entry fsynced on each voter.
  const tRows: (string | number)[][] = [];
  let oneAtATime = 0;
  for (const [inFlight, topics] of [
    [1, 500],
    [100, 5000],
  ] as const) {
    const r = await runCase('./quorum-cases.ts', ['throughput', String(inFlight), String(topics)]);
    const perSecond = r.perSecond as number;
    if (inFlight === 1) oneAtATime = perSecond;
    tRows.push([inFlight, fmt(topics), `${fmt(perSecond)} topics/s`, inFlight === 1 ? '1.00' : fmt(perSecond / oneAtATime, 2), inFlight === 100 ? `>= 1,000/s: ${perSecond >= 1000 ? 'met' : 'MISSED'}` : '', r.peakRssMiB as number]);
  }
  out += `\n## Metadata quorum: topic creation through 3 voters on disk\n\nCreateTopics of one topic (1 partition, RF 3) each; a request resolves once its entry is committed (fsynced on a majority).\n\n${table(['in flight', 'topics', 'rate', 'ratio to 1 in flight', 'target', 'peak RSS MiB'], tRows)}\n`;

  // Failover at 1,000 and 1,000,000 partitions: kill the active controller, time until the new one commits.
  const fRows: (string | number)[][] = [];
  let small = 0;
  for (const [topics, per] of [
    [100, 10],
    [100_000, 10],
  ] as const) {
    const r = await runCase('./quorum-cases.ts', ['failover', String(topics), String(per), '10'], ['--max-old-space-size=8192']);
    const p50 = r.failoverP50Ms as number;
    if (topics === 100) small = p50;
    fRows.push([
      fmt(r.partitions as number),
      `${fmt((r.fillMs as number) / 1000, 1)} s`,
      `${fmt(r.failoverMinMs as number)} / ${fmt(p50)} / ${fmt(r.failoverMaxMs as number)} ms`,
      topics === 100 ? '1.00' : fmt(p50 / small, 2),
      `max < 1000 ms: ${(r.failoverMaxMs as number) < 1000 ? 'met' : 'MISSED'}${topics === 100 ? '' : `; p50 within 20% of 1k: ${Math.abs(p50 / small - 1) <= 0.2 ? 'met' : 'MISSED'}`}`,
      r.peakRssMiB as number,
    ]);
  }
  out += `\n## Metadata quorum: failover\n\n3 voters on disk (tick 10 ms, election timeout 300 ms: a follower stands after 300-600 ms without a leader). Each row kills the active controller 10 times and times each kill until the new active controller has committed a CreateTopics.\n\n${table(['partitions', 'filled in', 'failover min / p50 / max', 'p50 ratio to 1k', 'target', 'peak RSS MiB'], fRows)}\n`;
  return out;
}
