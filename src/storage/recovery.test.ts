import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBatchUncompressed, iterateBatches } from '../record/batch.js';
import { isTributaryError } from '../util/errors.js';
import { decodeBatches } from '../record/codecs/index.js';
import { Rng } from '../util/rng.js';
import { PartitionLog } from './partition-log.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-recovery-');

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

describe('recovery of what a clean open trusts', () => {
  const dirOf = (dataDir: string) => join(dataDir, 't-0');
  const open = (dataDir: string) => PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
  const value = (o: number) => `value-${o}-${'x'.repeat(o % 50)}`;

  /** Reads single offsets in a scrambled order, so every read goes through the index. */
  async function readScrambled(log: PartitionLog, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const o = (i * 37) % count;
      const records = await decodeBatches(log.read(o).records);
      expect(records.find((r) => r.offset === o) && Buffer.from(records.find((r) => r.offset === o)!.value!).toString()).toBe(value(o));
    }
  }

  it('keeps the clean-shutdown marker from close until the first change after open', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 60);
    const marker = join(dirOf(dataDir), '.kafka_cleanshutdown');
    expect(existsSync(marker)).toBe(true);
    const first = await open(dataDir);
    expect(first.recovery.clean).toBe(true);
    expect(existsSync(marker)).toBe(true);
    first.read(3);
    first.abandon(); // a crash with nothing written since open: still clean
    const second = await open(dataDir);
    expect(second.recovery).toMatchObject({ clean: true, batchesScanned: 0 });
    second.write(batch(60));
    expect(existsSync(marker)).toBe(false);
    second.abandon();
    const third = await open(dataDir);
    expect(third.recovery.clean).toBe(false);
    expect(third.recovery.batchesScanned).toBeGreaterThan(0);
    expect(third.logEndOffset).toBe(61);
    await third.close();
  });

  it('repairs an index that passes the checks at open but points at the wrong bytes', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 150);
    const indexes = segmentFiles(dataDir, '.index');
    for (const name of indexes.slice(0, 3)) {
      const path = join(dirOf(dataDir), name);
      const bytes = readFileSync(path);
      // Shift every position but the last by one byte: still increasing, the last entry
      // (the only one checked at open) still right.
      for (let i = 0; i + 16 <= bytes.length; i += 8) bytes.writeInt32BE(bytes.readInt32BE(i + 4) + 1, i + 4);
      writeFileSync(path, bytes);
    }
    const log = await open(dataDir);
    expect(log.recovery.clean).toBe(true);
    await readScrambled(log, 150);
    await log.close();
    // The repaired indexes were written back at close.
    const again = await open(dataDir);
    await readScrambled(again, 150);
    await again.close();
  });

  it('rebuilds a time index that disagrees with its log, so retention and timestamp lookups stay right', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 150);
    const tidx = segmentFiles(dataDir, '.timeindex');
    const path = join(dirOf(dataDir), tidx[0]!);
    const bytes = readFileSync(path);
    // A plausible last entry: a later timestamp, still increasing.
    bytes.writeUInt32BE(bytes.readUInt32BE(bytes.length - 8) + 1_000_000, bytes.length - 8);
    writeFileSync(path, bytes);
    const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config: { ...config, retentionMs: 100 } });
    expect(log.recovery.indexesRebuilt).toBe(1);
    for (let o = 0; o < 150; o += 11) expect((await log.offsetForTimestamp(1_000 + o))?.offset).toBe(o);
    // Every record is at 1_000 + offset, so retention of 100 ms at 1_000 + 150 keeps
    // only the segments reaching past 1_050.
    await log.enforceRetention(1_150);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeLessThanOrEqual(50);
    await log.close();
  });

  it('never serves a damaged batch from a segment trusted without a scan', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 150);
    const files = segmentFiles(dataDir, '.log');
    const second = join(dirOf(dataDir), files[1]!);
    const bytes = readFileSync(second);
    const victim = [...iterateBatches(bytes)][3]!;
    bytes[victim.position + victim.size - 4]! ^= 0x20; // inside the value
    writeFileSync(second, bytes);
    const damagedOffset = victim.header.baseOffset;
    const log = await open(dataDir);
    expect(log.recovery.clean).toBe(true);
    expect(() => log.read(damagedOffset)).toThrowError(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }));
    // Everything before it reads (a read stops short of it), and so does everything after it.
    expect((await decodeBatches(log.read(damagedOffset - 1).records)).map((r) => r.offset)).toEqual([damagedOffset - 1]);
    expect((await decodeBatches(log.read(damagedOffset + 1).records))[0]!.offset).toBe(damagedOffset + 1);
    // A sequential reader from the start gets every batch up to the damage, then the error.
    let offset = 0;
    const read: number[] = [];
    expect(() => {
      for (;;) {
        const { records } = log.read(offset, { maxBytes: 512 });
        for (const b of iterateBatches(records)) {
          read.push(b.header.baseOffset);
          offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
        }
      }
    }).toThrowError(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }));
    expect(read).toEqual(Array.from({ length: damagedOffset }, (_, i) => i));
    await log.close();
  });

  it('finds a missing middle segment (a gap) and keeps the prefix before it', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 200);
    const files = segmentFiles(dataDir, '.log');
    rmSync(join(dirOf(dataDir), files[2]!));
    rmSync(join(dirOf(dataDir), '.kafka_cleanshutdown'));
    const { log, count } = await readValid(dataDir);
    expect(log.logEndOffset).toBe(Number(files[2]!.slice(0, 20)));
    expect(count).toBe(log.logEndOffset);
    expect(log.recovery.truncatedBecause).toMatch(/gap/);
    expect(log.recovery.segmentsDeleted).toBe(files.length - 3); // the ones after the gap
    expect(segmentFiles(dataDir, '.log')).toEqual(files.slice(0, 2));
    await log.close();
  });

  it('rebuilds a deleted epoch checkpoint from the batch headers, and survives garbled recovery and cleaner checkpoints', async () => {
    const dataDir = tempDir();
    const log = await open(dataDir);
    for (let i = 0; i < 60; i++) log.write(batch(i), { leaderEpoch: 1 + Math.floor(i / 20) });
    const epochs = log.epochs();
    expect(epochs).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 20 },
      { epoch: 3, startOffset: 40 },
    ]);
    await log.close();
    rmSync(join(dirOf(dataDir), 'leader-epoch-checkpoint'));
    writeFileSync(join(dirOf(dataDir), 'recovery-point-offset-checkpoint'), '99999999999\n');
    writeFileSync(join(dirOf(dataDir), 'cleaner-offset-checkpoint'), 'garbage');
    rmSync(join(dirOf(dataDir), '.kafka_cleanshutdown'));
    const { log: again, count } = await readValid(dataDir);
    expect(count).toBe(60);
    expect(again.epochs()).toEqual(epochs);
    await again.close();
  });

  it('starts over at the log start when the checkpoint is past the recovered end (the tail was lost)', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 30);
    writeFileSync(join(dirOf(dataDir), 'log-start-offset-checkpoint'), '500\n');
    const log = await open(dataDir);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([500, 500]);
    expect((await log.append(batch(0))).firstOffset).toBe(500);
    await log.close();
  });

  it('completes a committed compaction swap, discards a damaged one, and removes every other leftover', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 150);
    const dir = dirOf(dataDir);
    const files = segmentFiles(dataDir, '.log');
    // A swap covering the first two segments: their batches, whole (a clean that dropped nothing).
    const swap = Buffer.concat([readFileSync(join(dir, files[0]!)), readFileSync(join(dir, files[1]!))]);
    writeFileSync(join(dir, `${files[0]!}.swap`), swap);
    writeFileSync(join(dir, `${files[2]!}.cleaned`), 'half a clean');
    writeFileSync(join(dir, `${files[2]!.replace('.log', '.index')}.swap`), Buffer.alloc(8));
    writeFileSync(join(dir, `${files[3]!}.deleted`), 'deleted');
    writeFileSync(join(dir, 'log-start-offset-checkpoint.tmp'), '9');
    writeFileSync(join(dir, '00000000000000099999.index'), Buffer.alloc(16));
    const { log, count } = await readValid(dataDir);
    expect(count).toBe(150);
    expect(segmentFiles(dataDir, '.log')).toEqual([files[0], ...files.slice(2)]);
    expect(log.recovery.leftovers.filter((l) => l.startsWith('completed'))).toHaveLength(1);
    expect(log.recovery.leftovers.filter((l) => l.startsWith('removed'))).toHaveLength(5);
    expect(readdirSync(dir).filter((f) => /\.(swap|cleaned|deleted|tmp)$/.test(f) || f.startsWith('00000000000000099999'))).toEqual([]);
    await log.close();

    // A damaged swap while the original is still there: the original wins.
    const damaged = Buffer.from(readFileSync(join(dir, segmentFiles(dataDir, '.log')[1]!)));
    damaged[damaged.length - 3]! ^= 0xff;
    writeFileSync(join(dir, `${segmentFiles(dataDir, '.log')[1]!}.swap`), damaged);
    const { log: again, count: again150 } = await readValid(dataDir);
    expect(again150).toBe(150);
    expect(again.recovery.leftovers[0]).toMatch(/^discarded .*bad-crc/);
    await again.close();
  });
});

describe('recovery leaves a log that needs no recovery', () => {
  it('after a crash with unflushed rolled segments, the next clean open trusts everything it wrote', async () => {
    const dataDir = tempDir();
    const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
    for (let i = 0; i < 120; i++) log.write(batch(i)); // several rolls, their flushes not yet run
    log.abandon();
    const recovered = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
    expect(recovered.recovery.segmentsScanned).toBeGreaterThan(1);
    await recovered.close();
    const { log: clean, count } = await readValid(dataDir);
    expect(clean.recovery).toMatchObject({ clean: true, segmentsScanned: 0, indexesRebuilt: 0, batchesScanned: 0 });
    expect(count).toBe(120);
    clean.write(batch(120));
    clean.abandon();
    // Only the active segment is scanned after this crash: the rest is below the recovery point.
    const again = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
    expect(again.recovery).toMatchObject({ clean: false, segmentsScanned: 1, indexesRebuilt: 0 });
    expect(again.logEndOffset).toBe(121);
    await again.close();
  });
});

describe('any damage to any file (property)', () => {
  type Damage =
    | { kind: 'flip'; file: number; at: number; bit: number }
    | { kind: 'truncate'; file: number; at: number }
    | { kind: 'delete'; file: number }
    | { kind: 'garbage'; file: number; bytes: number[] };
  const damage: fc.Arbitrary<Damage> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), file: fc.nat(), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), file: fc.nat(), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), file: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), file: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }) }) },
  );

  it('opening never fails, and a read returns only records as written or fails with KAFKA_STORAGE_ERROR', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(damage, { minLength: 1, maxLength: 3 }), fc.boolean(), async (damages, crashed) => {
        const dataDir = tempDir();
        const dir = join(dataDir, 't-0');
        const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config: { ...config, segmentBytes: 2048, indexIntervalBytes: 128 } });
        for (let i = 0; i < 80; i++) log.write(batch(i), { leaderEpoch: 1 + Math.floor(i / 30) });
        if (crashed) log.abandon();
        else await log.close();
        const files = readdirSync(dir)
          .filter((f) => f !== '.lock')
          .sort();
        for (const d of damages) {
          const path = join(dir, files[d.file % files.length]!);
          if (!existsSync(path)) continue;
          const bytes = readFileSync(path);
          if (d.kind === 'flip') {
            if (bytes.length === 0) continue;
            bytes[d.at % bytes.length]! ^= 1 << d.bit;
            writeFileSync(path, bytes);
          } else if (d.kind === 'truncate') writeFileSync(path, bytes.subarray(0, d.at % (bytes.length + 1)));
          else if (d.kind === 'delete') rmSync(path);
          else writeFileSync(path, Buffer.from(d.bytes));
        }
        const reopened = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
        try {
          expect(reopened.logEndOffset).toBeGreaterThanOrEqual(reopened.logStartOffset);
          for (let o = reopened.logStartOffset; o < reopened.logEndOffset; o++) {
            let records;
            try {
              records = await decodeBatches(reopened.read(o, { maxBytes: 300 }).records);
            } catch (err) {
              expect(isTributaryError(err, 'KAFKA_STORAGE_ERROR')).toBe(true);
              continue;
            }
            expect(records.length).toBeGreaterThan(0);
            for (const r of records) expect(Buffer.from(r.value!).toString()).toBe(`value-${r.offset}-${'x'.repeat(r.offset % 50)}`);
            expect(records.some((r) => r.offset === o)).toBe(true);
          }
          expect(reopened.epochs().every((e) => e.startOffset < Math.max(reopened.logEndOffset, 1))).toBe(true);
        } finally {
          await reopened.close();
        }
        // What recovery left opens again, clean, unchanged.
        const again = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config });
        expect(again.recovery.clean).toBe(true);
        expect([again.logStartOffset, again.logEndOffset]).toEqual([reopened.logStartOffset, reopened.logEndOffset]);
        await again.close();
      }),
      { numRuns: Number(process.env.STORAGE_PROPERTY_RUNS ?? 60) },
    );
  }, 120_000);
});
