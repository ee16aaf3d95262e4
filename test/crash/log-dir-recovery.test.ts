/**
 * A cluster killed (SIGKILL of a child process) after a bulk load recovers from the data
 * folder's recovery points (`<dataDir>/node-1/recovery-point-offset-checkpoint`, one file
 * for every partition): the restart scans only the segments at or past each partition's
 * point (counted in bytes through the `tributary:recovery` channel, not timed), loses no
 * acknowledged record, and a clean close after it leaves nothing to scan.
 */
import { fork } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-log-dir-recovery-');
const childPath = fileURLToPath(new URL('./cluster-bulk-load-child.ts', import.meta.url));
const segmentBytes = 16 * 1024;
/** Segments each partition must have below its recovery point before the kill. */
const segmentsMin = 6;

/** The data folder's recovery points of topic `bulk`, by partition. */
function recoveryPoints(nodeDir: string): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const line of readFileSync(join(nodeDir, 'recovery-point-offset-checkpoint'), 'utf8').split('\n').slice(2)) {
      const [topic, partition, offset] = line.split(' ');
      if (topic === 'bulk') out.set(Number(partition), Number(offset));
    }
  } catch {
    // Not written yet.
  }
  return out;
}

function segmentsBelow(nodeDir: string, partition: number, point: number): number {
  try {
    return readdirSync(join(nodeDir, `bulk-${partition}`)).filter((f) => f.endsWith('.log') && Number(f.slice(0, 20)) < point).length;
  } catch {
    return 0;
  }
}

function segmentBytesOf(nodeDir: string, partition: number): number {
  const dir = join(nodeDir, `bulk-${partition}`);
  return readdirSync(dir).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

describe('a cluster recovers from its data folder’s recovery points', () => {
  it('after a SIGKILL following a bulk load: scans only past the points, keeps every acknowledged record; nothing after a clean close', async () => {
    const dataDir = tempDir();
    const nodeDir = join(dataDir, 'node-1');
    const acked = [0, 0];
    const child = fork(childPath, [dataDir, String(segmentBytes)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: { type: string; message?: string; partition: number; records: number }) => {
        if (m.type === 'error') reject(new Error(m.message));
        if (m.type !== 'ack') return;
        acked[m.partition] = m.records;
        const points = recoveryPoints(nodeDir);
        if ([0, 1].every((p) => segmentsBelow(nodeDir, p, points.get(p) ?? 0) >= segmentsMin)) resolve();
      });
      child.once('exit', () => reject(new Error(`the child exited early: ${stderr}`)));
    });
    child.kill('SIGKILL');
    await exited;

    const points = recoveryPoints(nodeDir);
    const totals = [0, 1].map((p) => segmentBytesOf(nodeDir, p));
    const scanned = new Map<number, number>();
    const listener = (m: unknown): void => {
      const e = m as { phase: string; topic: string; partition: number; bytes: number };
      if (e.phase === 'end' && e.topic === 'bulk') scanned.set(e.partition, e.bytes);
    };
    subscribe('tributary:recovery', listener);
    let cluster: Cluster | undefined;
    try {
      cluster = await Cluster.start({ nodes: 1, dataDir });
      const ends = await cluster.admin().listOffsets('bulk', 'latest');
      for (const p of [0, 1]) {
        // Every acknowledged record is there (acks=1: written before the answer).
        expect(ends.find((e) => e.partition === p)!.offset).toBeGreaterThanOrEqual(acked[p]!);
        // Only the segments at or past the point were scanned: at least segmentsMin
        // segments of 16 KiB lie below it.
        expect(points.get(p)).toBeGreaterThan(0);
        expect(scanned.has(p)).toBe(true);
        expect(scanned.get(p)!).toBeLessThanOrEqual(totals[p]! - segmentsMin * (segmentBytes / 2));
      }
      const consumer = cluster.consumer({ maxWaitMs: 50 });
      consumer.assign([{ topic: 'bulk', partition: 0 }, { topic: 'bulk', partition: 1 }]);
      for (const partition of [0, 1]) await consumer.seek({ topic: 'bulk', partition }, 'earliest');
      const next = [0, 0];
      const total = acked[0]! + acked[1]!;
      let seen = 0;
      for await (const r of consumer) {
        const [partition, index] = Buffer.from(r.value!).toString().split(':').map(Number);
        expect(partition).toBe(r.partition);
        if (index! < acked[r.partition]!) {
          expect(index).toBe(next[r.partition]);
          next[r.partition]!++;
          seen++;
        }
        if (seen >= total) break;
      }
      await consumer.close();
      await cluster.close();
      scanned.clear();
      cluster = await Cluster.start({ nodes: 1, dataDir });
      await cluster.admin().listOffsets('bulk', 'latest');
      expect([...scanned.keys()]).toEqual([]);
    } finally {
      unsubscribe('tributary:recovery', listener);
      await cluster?.close();
    }
  });
});
