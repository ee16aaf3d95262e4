/**
 * What an idle cluster costs: `tsx bench/idle.ts <mode> [seconds]`, one mode a process,
 * one JSON line. Modes: `1` (1 node inline), `3` (3 nodes inline), `3-per-node`
 * (`threads: 'per-node'`), `1-worker` (`threads: 'worker'`), `1-10k` (1 node, a topic of
 * 10,000 partitions, each having taken a record), `1-kafka-hb` (1 node with Kafka's
 * default broker heartbeat and session, 2000 and 9000 ms, not Tributary's 250 and 2000). The CPU is the whole process's
 * (`process.cpuUsage()` counts every thread), in ms a second of wall time, over
 * `seconds` (default 6) after a 1 s settle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, type ClusterOptions } from '../src/cluster.js';
import { peakRssMiB } from './lib.js';

export interface IdleFigures {
  readonly mode: string;
  readonly seconds: number;
  readonly cpuMsPerSec: number;
  /** Of which the kernel's (system time: fsyncs, timers' syscalls). */
  readonly systemMsPerSec: number;
  readonly peakRssMiB: number;
}

/** Starts a cluster in `mode`, lets it settle, and measures its idle CPU over `seconds`. */
export async function measureIdle(mode: string, seconds: number): Promise<IdleFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-idle-'));
  const base: ClusterOptions = { dataDir };
  const options: ClusterOptions =
    mode === '1' || mode === '1-10k'
      ? { ...base, nodes: 1 }
      : mode === '1-kafka-hb'
        ? { ...base, nodes: 1, brokerSessionTimeoutMs: 9000, broker: { heartbeatIntervalMs: 2000 } }
      : mode === '3'
        ? { ...base, nodes: 3 }
        : mode === '3-per-node'
          ? { ...base, nodes: 3, threads: 'per-node' }
          : mode === '1-worker'
            ? { ...base, nodes: 1, threads: 'worker' }
            : (() => {
                throw new Error(`unknown mode ${mode}`);
              })();
  const cluster = await Cluster.start(options);
  try {
    if (mode === '1-10k') {
      const partitions = 10_000;
      // At most 10,000 metadata records a request (Kafka's MAX_RECORDS_PER_USER_OP): the topic and 9,999, then one more.
      await cluster.admin().createTopics([{ name: 'wide', partitions: partitions - 1, replicationFactor: 1 }]);
      await cluster.admin().createPartitions('wide', partitions);
      const producer = cluster.producer({ acks: 1 });
      for (let p = 0; p < partitions; p += 500) {
        await Promise.all(Array.from({ length: Math.min(500, partitions - p) }, (_, i) => producer.send('wide', [{ value: Buffer.from('x'), partition: p + i }])));
      }
      await producer.close();
    } else {
      await cluster.admin().createTopics([{ name: 'idle', partitions: 1 }]);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    const perSec = (us: number): number => Math.round((us / 1000 / wallMs) * 1000 * 100) / 100;
    return { mode, seconds, cpuMsPerSec: perSec(cpu.user + cpu.system), systemMsPerSec: perSec(cpu.system), peakRssMiB: peakRssMiB() };
  } finally {
    await cluster.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('idle.ts')) {
  const mode = process.argv[2] ?? '1';
  const seconds = Number(process.argv[3] ?? 6);
  console.log(JSON.stringify(await measureIdle(mode, seconds)));
}
