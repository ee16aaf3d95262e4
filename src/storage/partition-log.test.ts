import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBatchUncompressed, iterateBatches } from '../record/batch.js';
import { decodeBatches } from '../record/codecs/index.js';
import { isTributaryError } from '../util/errors.js';
import { PartitionLog } from './partition-log.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tributary-plog-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('bad input never reaches the file system', () => {
  const bad = ['', '.', '..', '../x', 'a/b', 'a\\b', 'a\0b', 'x'.repeat(250), 'spaces here', 'ünïcode'];
  it.each(bad.map((b) => [b]))('topic %j is refused with INVALID_TOPIC_EXCEPTION and nothing is created', async (topic) => {
    const dataDir = tempDir();
    await expect(PartitionLog.open({ dataDir, topic, partition: 0 })).rejects.toSatisfy((e: unknown) => isTributaryError(e, 'INVALID_TOPIC_EXCEPTION'));
    expect(readdirSync(dataDir)).toEqual([]);
  });
  it.each([[-1], [1.5], [2 ** 31], [Number.NaN]])('partition %j is refused', async (partition) => {
    const dataDir = tempDir();
    await expect(PartitionLog.open({ dataDir, topic: 'ok', partition })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(readdirSync(dataDir)).toEqual([]);
  });
  it('a bad config is refused before anything is created', async () => {
    const dataDir = tempDir();
    await expect(PartitionLog.open({ dataDir, topic: 'ok', partition: 0, config: { segmentBytes: 0 } })).rejects.toMatchObject({ code: 'INVALID_CONFIG', option: 'segmentBytes' });
    expect(readdirSync(dataDir)).toEqual([]);
  });
});

describe('the folder lock', () => {
  it('refuses a second open in the same process, and allows it after close', async () => {
    const dataDir = tempDir();
    const log = await PartitionLog.open({ dataDir, topic: 'locked', partition: 0 });
    await expect(PartitionLog.open({ dataDir, topic: 'locked', partition: 0 })).rejects.toMatchObject({ code: 'LOG_DIR_LOCKED' });
    await log.close();
    const again = await PartitionLog.open({ dataDir, topic: 'locked', partition: 0 });
    await again.close();
  });

  it('refuses a second process while the first holds it, and takes over a lock left by a SIGKILLed one', async () => {
    const dataDir = tempDir();
    const script = join(dataDir, 'holder.mts');
    writeFileSync(
      script,
      `import { PartitionLog } from ${JSON.stringify(join(process.cwd(), 'src/storage/partition-log.ts'))};
       try {
         const log = await PartitionLog.open({ dataDir: ${JSON.stringify(dataDir)}, topic: 'shared', partition: 0 });
         process.send!({ opened: true });
         setInterval(() => {}, 1000);
       } catch (err) {
         process.send!({ opened: false, code: (err as { code?: string }).code });
         process.exit(0);
       }`,
    );
    const start = () => {
      const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const message = new Promise<{ opened: boolean; code?: string }>((resolve) => child.once('message', (m) => resolve(m as { opened: boolean; code?: string })));
      return { child, message };
    };
    // Another process holds it: we are refused.
    const holder = start();
    expect(await holder.message).toEqual({ opened: true });
    await expect(PartitionLog.open({ dataDir, topic: 'shared', partition: 0 })).rejects.toMatchObject({ code: 'LOG_DIR_LOCKED' });
    // We hold it: another process is refused.
    const exited = new Promise((r) => holder.child.once('exit', r));
    holder.child.kill('SIGKILL');
    await exited;
    expect(existsSync(join(dataDir, 'shared-0', '.lock'))).toBe(true); // left behind by the kill
    const log = await PartitionLog.open({ dataDir, topic: 'shared', partition: 0 }); // stale: taken over
    const second = start();
    expect(await second.message).toEqual({ opened: false, code: 'LOG_DIR_LOCKED' });
    await log.close();
  }, 60_000);
});

describe('PartitionLog against a model (property)', () => {
  type Op =
    | { kind: 'append'; count: number; size: number }
    | { kind: 'read'; at: number; maxBytes: number }
    | { kind: 'reopen' }
    | { kind: 'crash' }
    | { kind: 'truncate'; at: number }
    | { kind: 'deleteRecords'; at: number }
    | { kind: 'retention' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 5 }), size: fc.integer({ min: 0, max: 300 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fc.nat(), maxBytes: fc.integer({ min: 1, max: 2000 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'retention' as const }) },
  );

  it('agrees with a list of records under random operations, reopens and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
        const dataDir = tempDir();
        const config = { segmentBytes: 700, indexIntervalBytes: 100, retentionBytes: 1500 };
        const open = () => PartitionLog.open({ dataDir, topic: 'model', partition: 0, config });
        let log = await open();
        // The model: offset -> value, and the log start; batches as [first, last] spans.
        let model: { offset: number; value: string }[] = [];
        let spans: [number, number][] = [];
        let start = 0;
        let next = 0;
        let counter = 0;
        try {
          for (const o of ops) {
            if (o.kind === 'append') {
              const values = Array.from({ length: o.count }, () => `${counter++}:${'v'.repeat(o.size)}`);
              const info = await log.append(encodeBatchUncompressed(values.map((v) => ({ value: Buffer.from(v) }))));
              expect(info.firstOffset).toBe(next);
              values.forEach((value, i) => model.push({ offset: next + i, value }));
              spans.push([next, next + o.count - 1]);
              next += o.count;
            } else if (o.kind === 'read') {
              if (next === start) continue;
              const at = start + (o.at % (next - start));
              const { records } = log.read(at, { maxBytes: o.maxBytes });
              const got = (await decodeBatches(records)).filter((r) => r.offset >= at).map((r) => ({ offset: r.offset, value: Buffer.from(r.value!).toString() }));
              expect(got.length).toBeGreaterThan(0);
              expect(got).toEqual(model.filter((m) => m.offset >= at).slice(0, got.length));
            } else if (o.kind === 'reopen' || o.kind === 'crash') {
              if (o.kind === 'reopen') await log.close();
              else {
                log.abandon();
                rmSync(join(dataDir, 'model-0', '.lock'));
              }
              log = await open();
              // A process crash loses nothing that was written (the page cache survives).
              expect([log.logStartOffset, log.logEndOffset]).toEqual([start, next]);
            } else if (o.kind === 'truncate') {
              if (next === start) continue;
              const at = start + (o.at % (next - start));
              log.truncateTo(at);
              // Truncation removes whole batches: the batch holding `at` goes entirely.
              const span = spans.find(([a, b]) => a <= at && at <= b)!;
              const cut = Math.max(span[0], start);
              spans = spans.filter(([a]) => a < span[0]);
              model = model.filter((m) => m.offset < cut);
              next = cut === start ? start : span[0];
              expect(log.logEndOffset).toBe(next);
            } else if (o.kind === 'deleteRecords') {
              const at = start + (o.at % (next - start + 1));
              await log.deleteRecords(at);
              start = Math.max(start, at);
              model = model.filter((m) => m.offset >= start);
              expect(log.logStartOffset).toBe(start);
            } else {
              await log.enforceRetention(0);
              // Kafka's rule: delete the oldest segment while the rest would still hold
              // retention.bytes, never the active one.
              const segs = (log as unknown as { segments: { size: number }[] }).segments;
              if (segs.length > 1) expect(log.sizeInBytes - segs[0]!.size).toBeLessThan(1500);
              start = log.logStartOffset;
              model = model.filter((m) => m.offset >= start);
            }
            expect(log.logEndOffset).toBe(next);
          }
          // Finally every record reads back, in order.
          let offset = log.logStartOffset;
          const all: { offset: number; value: string }[] = [];
          while (offset < log.logEndOffset) {
            const { records } = log.read(offset, { maxBytes: 4096 });
            for (const r of await decodeBatches(records)) if (r.offset >= offset) all.push({ offset: r.offset, value: Buffer.from(r.value!).toString() });
            for (const b of iterateBatches(records)) offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
          }
          expect(all).toEqual(model);
        } finally {
          await log.close();
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

describe('compaction against a model (property)', () => {
  it('never loses the latest value of a key, never invents or moves a record, across reopens', async () => {
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.integer({ min: 0, max: 8 }), tombstone: fc.boolean() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), advanceMs: fc.integer({ min: 0, max: 3000 }) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 60 }), async (ops) => {
        const dataDir = tempDir();
        const config = { cleanupPolicy: 'compact' as const, segmentBytes: 300, minCleanableDirtyRatio: 0, deleteRetentionMs: 1000 };
        const open = () => PartitionLog.open({ dataDir, topic: 'compacted', partition: 0, config });
        let log = await open();
        const written = new Map<number, { key: string; value: string | null }>();
        const latest = new Map<string, number>();
        let now = 1_000_000;
        try {
          for (const o of ops) {
            if (o.kind === 'put') {
              const key = `k${o.key}`;
              const value = o.tombstone ? null : `v${written.size}`;
              const info = await log.append(encodeBatchUncompressed([{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp: now }]));
              written.set(info.firstOffset, { key, value });
              latest.set(key, info.firstOffset);
            } else if (o.kind === 'compact') {
              now += o.advanceMs;
              await log.compact(now);
            } else {
              await log.close();
              log = await open();
            }
          }
          const seen = new Map<string, number>();
          let offset = log.logStartOffset;
          let prev = -1;
          while (offset < log.logEndOffset) {
            const { records } = log.read(offset, { maxBytes: 4096 });
            for (const r of await decodeBatches(records)) {
              expect(r.offset).toBeGreaterThan(prev);
              prev = r.offset;
              const w = written.get(r.offset)!;
              expect({ key: Buffer.from(r.key!).toString(), value: r.value === null ? null : Buffer.from(r.value).toString() }).toEqual(w);
              seen.set(w.key, r.offset);
            }
            for (const b of iterateBatches(records)) offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
          }
          for (const [key, off] of latest) {
            // The latest record of every key is there, unless it is a tombstone past its
            // delete horizon (then the key is gone entirely).
            if (written.get(off)!.value === null) expect([off, undefined]).toContain(seen.get(key));
            else expect(seen.get(key)).toBe(off);
          }
        } finally {
          await log.close();
        }
      }),
      { numRuns: 50 },
    );
  }, 120_000);
});
