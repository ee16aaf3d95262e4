/**
 * SIGKILL of a broker whose keyed produce requests are written by the write-behind thread
 * (src/storage/write-behind.ts): every acknowledged record is there after the restart, at
 * the offset it was acknowledged with and with its own value, each partition's offsets
 * run without a gap, and nothing is there that was not sent. Three kills, the data
 * accumulating across them (each restart also recovers what the previous kill left).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-write-behind-crash-');
const childPath = fileURLToPath(new URL('./keyed-wide-child.ts', import.meta.url));
const partitions = 32;

/** Runs the child for round `round` until `calls` calls were acknowledged, then SIGKILLs it; returns what it acknowledged, by partition and offset. */
async function runAndKill(dataDir: string, round: number, calls: number, acked: Map<string, string>): Promise<number> {
  const child = fork(childPath, [dataDir, String(round)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let seen = 0;
  let deferred = 0;
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string; message?: string; round: number; call: number; at: [number, number][]; deferred: number }) => {
      if (m.type === 'error') reject(new Error(m.message));
      if (m.type !== 'ack') return;
      deferred = m.deferred;
      m.at.forEach(([p, o], j) => acked.set(`${p}:${o}`, `${m.round}:${m.call}:${j}`));
      if (++seen >= calls) resolve();
    });
    child.once('exit', () => reject(new Error(`the child exited early: ${stderr}`)));
  });
  child.kill('SIGKILL');
  await exited;
  return deferred;
}

describe('SIGKILL of a broker writing keyed batches through the write-behind thread', () => {
  it('keeps every acknowledged record at its offset, gapless, nothing invented (3 kills)', async () => {
    const dataDir = tempDir();
    const acked = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      // The child's batches went through the write-behind thread (counted there).
      expect(await runAndKill(dataDir, round, 15 + round * 10, acked)).toBeGreaterThan(100);
      await using cluster = await Cluster.start({ nodes: 1, dataDir });
      const end = await cluster.admin().listOffsets('wide', 'latest');
      const total = end.reduce((n, e) => n + e.offset, 0);
      const consumer = cluster.consumer();
      const parts = Array.from({ length: partitions }, (_, partition) => ({ topic: 'wide', partition }));
      consumer.assign(parts);
      for (const tp of parts) await consumer.seek(tp, 'earliest');
      const found = new Map<string, string>();
      const next = new Array<number>(partitions).fill(0);
      for await (const r of consumer) {
        // Each partition's offsets run from 0 without a gap, and every value is one a child sent.
        expect(r.offset).toBe(next[r.partition]);
        next[r.partition]!++;
        const value = Buffer.from(r.value!).toString();
        expect(value).toMatch(/^\d+:\d+:\d+$/);
        found.set(`${r.partition}:${r.offset}`, value);
        if (found.size === total) break;
      }
      await consumer.close();
      // Every acknowledged record is there, at its offset, with its own value.
      let missing = 0;
      for (const [at, value] of acked) if (found.get(at) !== value) missing++;
      expect({ round, missing }).toEqual({ round, missing: 0 });
      expect(total).toBeGreaterThanOrEqual(acked.size);
    }
    expect(acked.size).toBeGreaterThan(0);
  }, 240_000);
});
