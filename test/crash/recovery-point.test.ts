/**
 * Recovery starts at the recovery point (Kafka's `recovery-point-offset-checkpoint`): a
 * child appends until the log has many segments and is SIGKILLed; the reopen scans only
 * the segments at or after the recovery point (counted in bytes, not timed), a torn tail
 * past it is still cut, and a clean close leaves nothing to scan.
 */
import { fork } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeBatches } from '../../src/record/codecs/index.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-recovery-point-');
const childPath = fileURLToPath(new URL('./bulk-load-child.ts', import.meta.url));
const segmentBytes = 16 * 1024;
const segmentsMin = 12;
const config = { segmentBytes, indexIntervalBytes: 512, flushPolicy: 'os' as const };

/**
 * Starts the append child and SIGKILLs it once the recovery point has passed `segmentsMin`
 * segments; with `atSegmentCreation` the child kills itself inside the first write to a new
 * segment, after the file was created and before a byte reached it (bulk-load-child.ts).
 */
async function crashAfterManySegments(dataDir: string, atSegmentCreation = false): Promise<void> {
  const dir = join(dataDir, 'crash-0');
  const args = [dataDir, String(segmentBytes), ...(atSegmentCreation ? ['kill-at-segment-creation', String(segmentsMin)] : [])];
  const child = fork(childPath, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  if (atSegmentCreation) {
    const signal = await exited;
    if (signal !== 'SIGKILL') throw new Error(`the child exited without killing itself: ${stderr}`);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string; message?: string }) => {
      if (m.type === 'error') reject(new Error(m.message));
      if (m.type !== 'ack') return;
      const point = recoveryPointOf(dir);
      const below = readdirSync(dir).filter((f) => f.endsWith('.log') && Number(f.slice(0, 20)) < point).length;
      if (below >= segmentsMin) resolve();
    });
    child.once('exit', () => reject(new Error(`the child exited early: ${stderr}`)));
  });
  child.kill('SIGKILL');
  await exited;
}

function recoveryPointOf(dir: string): number {
  try {
    return Number(readFileSync(join(dir, 'recovery-point-offset-checkpoint'), 'utf8').trim());
  } catch {
    return 0;
  }
}

/** Bytes of the segment files whose base offset is at or past `from`, and of all of them. */
function segmentBytesFrom(dir: string, from: number): { after: number; total: number; segments: number } {
  let after = 0;
  let total = 0;
  let segments = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log'))) {
    const size = statSync(join(dir, f)).size;
    total += size;
    if (Number(f.slice(0, 20)) >= from) {
      after += size;
      segments++;
    }
  }
  return { after, total, segments };
}

describe('recovery from the recovery point', () => {
  /**
   * Cuts a torn tail (half a batch header of garbage) onto the last segment file and
   * reopens. What recovery must scan: every segment file at or past the recovery point,
   * except a last one that was empty before the garbage (a kill between a roll's creating
   * the new segment's file and its first write): nothing of it is valid, so recovery
   * deletes it whole instead of scanning it (counted in `segmentsDeleted`).
   */
  async function reopenWithTornTail(dataDir: string): Promise<{ emptyLast: boolean }> {
    const dir = join(dataDir, 'crash-0');
    const point = recoveryPointOf(dir);
    expect(point).toBeGreaterThan(0);
    const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    const last = logs.at(-1)!;
    const emptyLast = statSync(join(dir, last)).size === 0;
    appendFileSync(join(dir, last), Buffer.alloc(37, 0x5a));
    const expected = segmentBytesFrom(dir, point);
    expect(expected.segments).toBeLessThan(logs.length - segmentsMin + 1); // at least segmentsMin segments lie below the point

    const log = await PartitionLog.open({ dataDir, topic: 'crash', partition: 0, config });
    const r = log.recovery;
    expect(r.clean).toBe(false);
    expect(r.segmentsScanned).toBe(expected.segments - (emptyLast ? 1 : 0));
    expect(r.segmentsDeleted).toBe(emptyLast ? 1 : 0);
    expect(r.bytesScanned + r.bytesTruncated).toBe(expected.after);
    expect(r.bytesTruncated).toBeGreaterThanOrEqual(37);
    expect(log.segmentCount).toBeGreaterThanOrEqual(segmentsMin);
    // Every byte written before the kill is kept: the log ends where the torn segment begins, or inside it.
    if (emptyLast) expect(log.logEndOffset).toBe(Number(last.slice(0, 20)));
    // Every record below the log end reads back: nothing before the point was lost.
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const { records } = log.read(offset, { maxBytes: 1 << 16 });
      expect(records.length).toBeGreaterThan(0);
      for (const rec of await decodeBatches(records)) if (rec.offset >= offset) expect(rec.offset).toBe(offset++);
    }
    await log.close();

    const clean = await PartitionLog.open({ dataDir, topic: 'crash', partition: 0, config });
    expect(clean.recovery).toMatchObject({ clean: true, segmentsScanned: 0, bytesScanned: 0, batchesScanned: 0 });
    await clean.close();
    return { emptyLast };
  }

  it('after a SIGKILL scans only the segments at or after the recovery point, cuts a torn tail there, and scans nothing after a clean close', async () => {
    const dataDir = tempDir();
    await crashAfterManySegments(dataDir);
    await reopenWithTornTail(dataDir);
  }, 60_000);

  it('after a SIGKILL between a roll creating the new segment file and its first write, deletes that segment and loses no earlier byte', async () => {
    const dataDir = tempDir();
    await crashAfterManySegments(dataDir, true);
    expect(await reopenWithTornTail(dataDir)).toEqual({ emptyLast: true });
  }, 60_000);
});
