import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBatchUncompressed, iterateBatches } from '../../src/record/batch.js';
import { decodeBatches } from '../../src/record/codecs/index.js';
import type { CompactionStep } from '../../src/storage/compaction.js';
import { PartitionLog } from '../../src/storage/partition-log.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const child = fileURLToPath(new URL('./compaction-child.ts', import.meta.url));
const config = { cleanupPolicy: 'compact' as const, segmentBytes: 1024, minCleanableDirtyRatio: 0 };

async function populate(dataDir: string): Promise<Map<number, { key: string; value: string }>> {
  const written = new Map<number, { key: string; value: string }>();
  const log = await PartitionLog.open({ dataDir, topic: 'compact', partition: 0, config });
  for (let i = 0; i < 300; i++) {
    const key = `key-${(i * 7) % 23}`;
    const value = `value-${i}`;
    const info = await log.append(encodeBatchUncompressed([{ key: Buffer.from(key), value: Buffer.from(value) }]));
    written.set(info.firstOffset, { key, value });
  }
  await log.close();
  return written;
}

async function check(dataDir: string, written: Map<number, { key: string; value: string }>): Promise<number> {
  const log = await PartitionLog.open({ dataDir, topic: 'compact', partition: 0, config });
  try {
    expect(log.logEndOffset).toBe(written.size);
    const latest = new Map<string, number>();
    for (const [offset, w] of written) latest.set(w.key, offset);
    const seen = new Map<number, string>();
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const { records } = log.read(offset, { maxBytes: 8192 });
      expect(records.length).toBeGreaterThan(0);
      for (const r of await decodeBatches(records)) {
        expect(seen.has(r.offset)).toBe(false); // nothing duplicated
        const w = written.get(r.offset)!;
        expect({ key: Buffer.from(r.key!).toString(), value: Buffer.from(r.value!).toString() }).toEqual(w); // nothing invented or moved
        seen.set(r.offset, w.key);
      }
      for (const b of iterateBatches(records)) offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
    for (const [key, off] of latest) expect(seen.get(off)).toBe(key); // nothing lost
    return seen.size;
  } finally {
    await log.close();
  }
}

describe('SIGKILL in the middle of a compaction', () => {
  const steps: CompactionStep[] = ['cleaned-written', 'indexes-removed', 'swap-renamed', 'originals-deleted', 'swapped', 'indexes-written'];
  it.each(steps.flatMap((s) => [0, 3].map((n) => [s, n] as const)))('after step %s of segment #%i the log is whole', async (step, nth) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-compact-crash-'));
    dirs.push(dataDir);
    const written = await populate(dataDir);
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => {
      const c = fork(child, [dataDir, step, String(nth)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      c.on('exit', (_code, signal) => resolve(signal));
    });
    expect(exit).toBe('SIGKILL');
    const remaining = await check(dataDir, written);
    // Before the first swap nothing is compacted yet; after it, some records are gone.
    if (nth > 0 || !['cleaned-written', 'indexes-removed'].includes(step)) expect(remaining).toBeLessThan(written.size);
    else expect(remaining).toBe(written.size);
    // A clean run afterwards finishes the job and the log is still whole.
    const log = await PartitionLog.open({ dataDir, topic: 'compact', partition: 0, config });
    await log.compact(Date.now());
    await log.close();
    const final = await check(dataDir, written);
    expect(final).toBeLessThanOrEqual(remaining);
    expect(final).toBeLessThan(written.size);
  }, 60_000);
});
