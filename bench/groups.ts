import { fmt, runCase, table } from './lib.js';

/**
 * Consumer groups (issue 5's targets): time from `consumerGroup(...)` to the first record
 * of a new group; time for a group to settle after a member joins and after one leaves,
 * eager (range) and cooperative; records/s of a group of 1 and of 4 in one process; and
 * the latency through a group. Each throughput case first reads the very same records
 * with a bare consumer (all partitions assigned, no group), so the group is compared with
 * like; CPU a record is the whole process's (`process.cpuUsage`). A 1-node ephemeral cluster, each case in its own process.
 */
export async function groupsBench(): Promise<string> {
  const rows: (string | number)[][] = [];
  const first = await runCase('./groups-cases.ts', ['first', '20']);
  rows.push(['new group: consumerGroup() to first record (20 groups)', `p50 ${fmt(first.p50Ms as number, 1)} ms, max ${fmt(first.maxMs as number, 1)} ms`, `< 20 ms: ${(first.p50Ms as number) < 20 ? 'met' : 'MISSED'}`, first.peakRssMiB as number]);
  for (const assignor of ['range', 'cooperative-sticky']) {
    const s = await runCase('./groups-cases.ts', ['settle', assignor, '3']);
    rows.push([
      `settle after a join / a leave, ${assignor} (3 rounds, 2 -> 3 -> 2 members, 12 partitions)`,
      `join p50 ${fmt(s.joinP50Ms as number)} ms (max ${fmt(s.joinMaxMs as number)}); leave p50 ${fmt(s.leaveP50Ms as number)} ms (max ${fmt(s.leaveMaxMs as number)})`,
      `leave < 50 ms: ${(s.leaveP50Ms as number) < 50 ? 'met' : 'MISSED'}`,
      s.peakRssMiB as number,
    ]);
  }
  let single = 0;
  for (const [members, handler] of [
    [1, 'batch'],
    [1, 'record'],
    [4, 'batch'],
  ] as const) {
    const t = await runCase('./groups-cases.ts', ['throughput', String(members), '300000', handler]);
    const rate = t.perSecond as number;
    const bare = t.barePerSecond as number;
    if (members === 1 && handler === 'batch') single = rate;
    const direct = t.directPerSecond as number;
    const directCpu = t.directCpuPerRecordNs as number;
    // Issue 13's consumer target, like with like: the same partitions read straight from
    // their logs after the cluster closed, decoded into the same records (read-ceiling.ts).
    const ofDirect = (perSec: number, cpu: number): string => `${fmt(perSec / direct, 2)} of reading the logs directly (${fmt(direct)} rec/s), ${fmt(directCpu / cpu, 2)} by CPU (${fmt(directCpu)} ns/rec)`;
    const met90 = (perSec: number, cpu: number): string => `>= 0.9 of direct: ${perSec / direct >= 0.9 ? 'met' : 'MISSED'}; by CPU: ${directCpu / cpu >= 0.9 ? 'met' : 'MISSED'}`;
    rows.push([
      `bare consumer (no group, all 12 partitions assigned, after a warm-up pass) reading the same 300,000 records`,
      `${fmt(bare)} rec/s, ${fmt(t.bareCpuPerRecordNs as number)} ns CPU/rec; ${ofDirect(bare, t.bareCpuPerRecordNs as number)}`,
      met90(bare, t.bareCpuPerRecordNs as number),
      t.peakRssMiB as number,
    ]);
    const fromFirst = t.fromFirstPerSecond as number;
    const bareFromFirst = t.bareFromFirstPerSecond as number;
    rows.push([
      `group of ${members} reading 300,000 records of 100 bytes (12 partitions), ${handler === 'record' ? 'eachRecord' : 'eachBatch'}`,
      `${fmt(rate)} rec/s, ${fmt(t.cpuPerRecordNs as number)} ns CPU/rec; ${fmt(rate / bare, 2)} of the bare consumer on the same records${members === 1 ? '' : `, ${fmt(rate / single, 2)} of 1 member`}; from the first batch on (first after ${fmt(t.firstRecordMs as number)} ms): ${fmt(fromFirst)} rec/s, ${fmt(fromFirst / bareFromFirst, 2)} of the bare consumer's ${fmt(bareFromFirst)}, ${ofDirect(fromFirst, t.fromFirstCpuPerRecordNs as number)} (CPU from the first batch on: ${fmt(t.fromFirstCpuPerRecordNs as number)} ns/rec, the bare consumer's ${fmt(t.bareFromFirstCpuPerRecordNs as number)})`,
      members === 4 ? `>= 1 member: ${rate >= single ? 'met' : 'MISSED'}` : `>= 0.9 of bare: ${rate / bare >= 0.9 ? 'met' : 'MISSED'}; from the first batch: ${fromFirst / bareFromFirst >= 0.9 ? 'met' : 'MISSED'}; ${met90(fromFirst, t.fromFirstCpuPerRecordNs as number)}`,
      t.peakRssMiB as number,
    ]);
  }
  // Like with like, pass for pass (consumer-cases.ts, paired): each reader in its own
  // process, its passes alternating with direct reads of a copy of the same partitions
  // in that process, so both meet the same machine and heap; CPU summed over 6 passes each.
  for (const reader of ['bare', 'group-batch', 'group-record'] as const) {
    const p = await runCase('./consumer-cases.ts', [reader, '12', '300000', '6', 'paired']);
    const ratio = p.ratioByCpu as number;
    rows.push([
      `${reader === 'bare' ? 'bare consumer (batches())' : reader === 'group-batch' ? 'group of 1, eachBatch' : 'group of 1, eachRecord'}, 300,000 records (12 partitions), passes alternating with direct reads of the same partitions in one process`,
      `${fmt(p.recordsPerSec as number)} rec/s, ${fmt(p.cpuPerRecordNs as number)} ns CPU/rec; direct ${fmt(p.directRecordsPerSec as number)} rec/s, ${fmt(p.directCpuPerRecordNs as number)} ns CPU/rec; ${fmt(ratio, 2)} of direct by CPU (median pair ${fmt(p.medianPairRatioByCpu as number, 2)})`,
      `>= 0.9 of direct by CPU: ${ratio >= 0.9 ? 'met' : 'MISSED'}`,
      p.peakRssMiB as number,
    ]);
  }
  const l = await runCase('./groups-cases.ts', ['latency', '10000', '3']);
  rows.push(['end-to-end latency through a group of 1, 10,000 rec/s', `p50 ${fmt(l.p50Ms as number, 2)} ms, p99 ${fmt(l.p99Ms as number, 2)} ms, p99.9 ${fmt(l.p999Ms as number, 2)} ms (${fmt(l.samples as number)} samples)`, '', l.peakRssMiB as number]);
  return `## Consumer groups\n\nA 1-node ephemeral cluster per case; default group settings (heartbeat 1,000 ms, session 10,000 ms, initial rebalance delay 0).\n\n${table(['case', 'figure', 'target', 'peak RSS MiB'], rows)}\n`;
}
