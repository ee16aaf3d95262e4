import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBatchUncompressed, iterateBatches } from '../record/batch.js';
import { decodeBatches } from '../record/codecs/index.js';
import { Rng } from '../util/rng.js';
import { PartitionLog } from './partition-log.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tributary-recovery-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const config = { segmentBytes: 4096, indexIntervalBytes: 256 };
const batch = (i: number): Buffer =>
  encodeBatchUncompressed([{ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}-${'x'.repeat(i % 50)}`), timestamp: 1_000 + i }]);

async function writeLog(dataDir: string, batches: number): Promise<void> {
  const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
  for (let i = 0; i < batches; i++) log.write(batch(i));
  await log.close();
}

/** Every record in the log, checked: offsets contiguous from the start, values as written. */
async function readValid(dataDir: string): Promise<{ log: PartitionLog; count: number }> {
  const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
  let offset = log.logStartOffset;
  let count = 0;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, { maxBytes: 1 << 16 });
    expect(records.length).toBeGreaterThan(0);
    for (const r of await decodeBatches(records)) {
      expect(r.offset).toBe(offset);
      expect(Buffer.from(r.value!).toString()).toBe(`value-${offset}-${'x'.repeat(offset % 50)}`);
      offset++;
      count++;
    }
  }
  return { log, count };
}

function segmentFiles(dataDir: string, suffix: string): string[] {
  return readdirSync(join(dataDir, 't-0'))
    .filter((f) => f.endsWith(suffix))
    .sort();
}

describe('recovery', () => {
  it('skips the scan after a clean shutdown and scans after a crash', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 100);
    const clean = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
    expect(clean.recovery.clean).toBe(true);
    expect(clean.recovery.batchesScanned).toBe(0);
    expect(clean.logEndOffset).toBe(100);
    clean.write(batch(100));
    clean.abandon();
    const { log, count } = await readValid(dataDir);
    expect(log.recovery.clean).toBe(false);
    expect(log.recovery.batchesScanned).toBeGreaterThan(0);
    expect(count).toBe(101);
    await log.close();
  });

  it('truncates the last batch at every byte position to the longest valid prefix', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 30);
    const last = join(dataDir, 't-0', segmentFiles(dataDir, '.log').pop()!);
    const full = readFileSync(last);
    const batches = [...iterateBatches(full)];
    const lastBatch = batches[batches.length - 1]!;
    const firstOfLast = lastBatch.header.baseOffset;
    for (let cut = lastBatch.position; cut < full.length; cut++) {
      writeFileSync(last, full.subarray(0, cut));
      rmSync(join(dataDir, 't-0', '.kafka_cleanshutdown'), { force: true });
      const { log, count } = await readValid(dataDir);
      expect(log.logEndOffset).toBe(firstOfLast);
      expect(count).toBe(firstOfLast);
      expect(log.recovery.bytesTruncated).toBe(cut - lastBatch.position);
      log.abandon();
      rmSync(join(dataDir, 't-0', '.lock'), { force: true });
    }
  });

  it('drops a corrupted tail found by CRC, whatever byte is flipped, and never returns a corrupt batch', async () => {
    const rng = new Rng(20261124);
    for (let round = 0; round < 40; round++) {
      const dataDir = tempDir();
      await writeLog(dataDir, 60);
      const files = segmentFiles(dataDir, '.log');
      const victim = join(dataDir, 't-0', files[files.length - 1]!);
      const bytes = readFileSync(victim);
      const at = rng.int(bytes.length);
      bytes[at]! ^= 1 << rng.int(8);
      writeFileSync(victim, bytes);
      rmSync(join(dataDir, 't-0', '.kafka_cleanshutdown'));
      const segmentBase = Number(files[files.length - 1]!.slice(0, 20));
      const { log, count } = await readValid(dataDir);
      // Every record is intact (readValid checks each), and everything before the damaged
      // segment survives.
      expect(count).toBe(log.logEndOffset);
      expect(log.logEndOffset).toBeGreaterThanOrEqual(segmentBase);
      await log.close();
    }
  });

  it('cuts everything after a corrupted batch in an earlier segment', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 200);
    const files = segmentFiles(dataDir, '.log');
    expect(files.length).toBeGreaterThan(3);
    const second = join(dataDir, 't-0', files[1]!);
    const bytes = readFileSync(second);
    bytes[bytes.length - 5]! ^= 0xff; // inside the segment's last batch
    writeFileSync(second, bytes);
    // Remove the second segment's index so it must be rebuilt (and so scanned) even though
    // the shutdown was clean.
    rmSync(join(dataDir, 't-0', files[1]!.replace('.log', '.index')));
    const { log } = await readValid(dataDir);
    expect(log.recovery.truncatedBecause).toMatch(/bad-crc/);
    expect(segmentFiles(dataDir, '.log').length).toBe(2);
    await log.close();
  });

  it('rebuilds deleted or garbled index files and still finds every offset', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 150);
    const dir = join(dataDir, 't-0');
    const indexes = segmentFiles(dataDir, '.index');
    rmSync(join(dir, indexes[0]!));
    writeFileSync(join(dir, indexes[1]!), Buffer.from('garbage that is not a multiple of eight'));
    const tidx = segmentFiles(dataDir, '.timeindex');
    writeFileSync(join(dir, tidx[2]!), Buffer.alloc(24, 0xff));
    const { log, count } = await readValid(dataDir);
    expect(count).toBe(150);
    expect(log.recovery.indexesRebuilt).toBeGreaterThanOrEqual(2);
    for (let o = 0; o < 150; o += 7) {
      const at = await log.offsetForTimestamp(1_000 + o);
      expect(at?.offset).toBe(o);
    }
    await log.close();
  });

  it('survives garbled checkpoints and leftover temporary files', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 50);
    const dir = join(dataDir, 't-0');
    writeFileSync(join(dir, 'leader-epoch-checkpoint'), 'nonsense\n');
    writeFileSync(join(dir, 'log-start-offset-checkpoint'), 'zzz');
    writeFileSync(join(dir, '00000000000000000000.log.cleaned'), 'half a clean');
    appendFileSync(join(dir, segmentFiles(dataDir, '.log').pop()!), Buffer.alloc(100, 0));
    rmSync(join(dir, '.kafka_cleanshutdown'));
    const { log, count } = await readValid(dataDir);
    expect(count).toBe(50);
    expect(existsSync(join(dir, '00000000000000000000.log.cleaned'))).toBe(false);
    await log.close();
  });

  it('keeps the log start offset from deleteRecords across a crash', async () => {
    const dataDir = tempDir();
    const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
    for (let i = 0; i < 40; i++) log.write(batch(i));
    await log.deleteRecords(17);
    log.abandon();
    rmSync(join(dataDir, 't-0', '.lock'));
    const again = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
    expect(again.logStartOffset).toBe(17);
    expect(again.logEndOffset).toBe(40);
    await again.close();
  });

  it('survives an empty segment file left by a crash right after a roll', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 40);
    writeFileSync(join(dataDir, 't-0', '00000000000000000999.log'), '');
    truncateSync(join(dataDir, 't-0', segmentFiles(dataDir, '.log')[0]!), 4096 * 10);
    rmSync(join(dataDir, 't-0', '.kafka_cleanshutdown'));
    const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
    expect(log.logEndOffset).toBeLessThanOrEqual(40);
    expect(log.recovery.bytesTruncated).toBeGreaterThan(0);
    await log.close();
  });
});
