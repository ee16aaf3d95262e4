import { fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchHeaderBytes, checkBatch, encodeBatchUncompressed, iterateBatches, readBatchHeader } from '../record/batch.js';
import { decodeBatches } from '../record/codecs/index.js';
import { isTributaryError } from '../util/errors.js';
import type { LogConfig } from './log.js';
import { PartitionLog } from './partition-log.js';
import { FileStore, type Store, type StoreFile } from './store.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { simulatedClock } from '../../test/helpers/sim-clock.js';

const tempDir = useTempDirs('tributary-plog-');

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
  it('a data folder that cannot be used fails with KAFKA_STORAGE_ERROR', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'taken-0'), 'a file where the folder should be');
    await expect(PartitionLog.open({ dataDir, topic: 'taken', partition: 0 })).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
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

  it('takes over a lock whose pid now belongs to a process started at another time, or that is garbage', async () => {
    const dataDir = tempDir();
    const folder = join(dataDir, 'reused-0');
    const first = await PartitionLog.open({ dataDir, topic: 'reused', partition: 0 });
    await first.close();
    // The parent process is alive; a lock naming it with its real start time is held...
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    writeFileSync(join(folder, '.lock'), `${process.ppid} ${startTime}\n`);
    await expect(PartitionLog.open({ dataDir, topic: 'reused', partition: 0 })).rejects.toMatchObject({ code: 'LOG_DIR_LOCKED' });
    // ...one naming it with another start time is a reused pid: stale.
    writeFileSync(join(folder, '.lock'), `${process.ppid} 1\n`);
    const second = await PartitionLog.open({ dataDir, topic: 'reused', partition: 0 });
    expect(readFileSync(join(folder, '.lock'), 'utf8').startsWith(`${process.pid} `)).toBe(true);
    await second.close();
    writeFileSync(join(folder, '.lock'), 'not a pid');
    const third = await PartitionLog.open({ dataDir, topic: 'reused', partition: 0 });
    await third.close();
    expect(existsSync(join(folder, '.lock'))).toBe(false);
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

  it('lets exactly one of several processes opening at the same instant have it', async () => {
    const dataDir = tempDir();
    const script = join(dataDir, 'racer.mts');
    writeFileSync(
      script,
      `import { PartitionLog } from ${JSON.stringify(join(process.cwd(), 'src/storage/partition-log.ts'))};
       process.send!({ ready: true });
       process.once('message', async () => {
         try {
           await PartitionLog.open({ dataDir: ${JSON.stringify(dataDir)}, topic: 'raced', partition: 0 });
           process.send!({ opened: true });
           setInterval(() => {}, 1000);
         } catch (err) {
           process.send!({ opened: false, code: (err as { code?: string }).code });
         }
       });`,
    );
    const racers = Array.from({ length: 4 }, () => {
      const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const messages: { ready?: boolean; opened?: boolean; code?: string }[] = [];
      const next = () => new Promise<(typeof messages)[number]>((resolve) => child.once('message', (m) => resolve(m as (typeof messages)[number])));
      return { child, ready: next(), next };
    });
    try {
      for (const r of racers) await r.ready;
      const results = racers.map((r) => r.next());
      for (const r of racers) r.child.send('go');
      const outcomes = await Promise.all(results);
      expect(outcomes.filter((o) => o.opened).length).toBe(1);
      expect(outcomes.filter((o) => !o.opened).every((o) => o.code === 'LOG_DIR_LOCKED')).toBe(true);
    } finally {
      for (const r of racers) r.child.kill('SIGKILL');
    }
  }, 60_000);
});

/** A FileStore whose files can be told to fail, and which counts writes and syncs. */
class FaultyStore implements Store {
  readonly inner: FileStore;
  writes = 0;
  failNextSync = false;
  failNextAppend = false;
  /** For each completed sync of a segment: how many writes had happened when it started. */
  readonly syncsCompleted: number[] = [];
  constructor(dir: string) {
    this.inner = new FileStore(dir);
  }
  get description() {
    return this.inner.description;
  }
  list = () => this.inner.list();
  exists = (name: string) => this.inner.exists(name);
  remove = (name: string) => this.inner.remove(name);
  rename = (from: string, to: string) => this.inner.rename(from, to);
  writeAtomic = (name: string, data: Uint8Array) => this.inner.writeAtomic(name, data);
  readAll = (name: string) => this.inner.readAll(name);
  syncDir = () => this.inner.syncDir();
  syncDirAsync = () => this.inner.syncDirAsync();
  release = () => this.inner.release();
  forget = () => this.inner.forget();
  open(name: string, create: boolean): StoreFile {
    const file = this.inner.open(name, create);
    const store = this;
    return {
      get size() {
        return file.size;
      },
      read: (buf, offset, length, position) => file.read(buf, offset, length, position),
      append(buf, offset, length) {
        store.beforeAppend();
        file.append(buf, offset, length);
      },
      appendv(buffers) {
        store.beforeAppend();
        file.appendv(buffers);
      },
      writeAt: (buf, position) => file.writeAt(buf, position),
      truncate: (size) => file.truncate(size),
      async sync() {
        const startedAfter = store.writes;
        if (store.failNextSync && name.endsWith('.log')) {
          store.failNextSync = false;
          throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        }
        await file.sync();
        if (name.endsWith('.log')) store.syncsCompleted.push(startedAfter);
      },
      syncNow: () => file.syncNow(),
      close: () => file.close(),
    };
  }
  private beforeAppend(): void {
    if (this.failNextAppend) {
      this.failNextAppend = false;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    this.writes++;
  }
}

/** A PartitionLog over a FaultyStore. */
class FaultyLog extends PartitionLog {
  constructor(readonly faulty: FaultyStore, config: Partial<LogConfig>) {
    super('faulty', 0, faulty, config, undefined, undefined);
    this.load();
  }
}

describe('flush policies', () => {
  const one = (i: number) => encodeBatchUncompressed([{ value: Buffer.from(`record-${i}`), timestamp: 1_000 }]);

  it('always: an append resolves only after an fdatasync that began after its write, and concurrent appenders share syncs', async () => {
    const store = new FaultyStore(join(tempDir(), 'faulty-0'));
    const log = new FaultyLog(store, { flushPolicy: 'always' });
    const appenders = 64;
    const perAppender = 8;
    await Promise.all(
      Array.from({ length: appenders }, async (_, a) => {
        for (let i = 0; i < perAppender; i++) {
          const writeNumber = store.writes + 1;
          const info = await log.append(one(a * perAppender + i));
          expect(store.syncsCompleted.some((startedAfter) => startedAfter >= writeNumber)).toBe(true);
          expect(log.flushedOffset).toBeGreaterThan(info.lastOffset);
        }
      }),
    );
    const appends = appenders * perAppender;
    // Group commit: many appends per fdatasync (one each would be 512 syncs).
    expect(log.stats.syncs).toBeLessThan(appends / 4);
    await log.close();
  });

  it('interval: a timer makes appends durable without anyone asking', async () => {
    // On simulated time: the timer fires in the clock's time (never while a write is in
    // flight), so a loaded machine can neither fire it between the appends nor starve it.
    await using sim = simulatedClock();
    const dataDir = tempDir();
    const log = await PartitionLog.open({ dataDir, topic: 'interval', partition: 0, config: { flushPolicy: 'interval', flushIntervalMs: 10 }, clock: sim.clock });
    await log.append(one(0));
    await log.append(one(1));
    expect(log.flushedOffset).toBe(0); // append does not wait for the timer
    for (let waited = 0; log.flushedOffset < 2 && waited < 10_000; waited += 10) await sim.sleep(10);
    expect(log.flushedOffset).toBe(2);
    await log.close();
  });

  it('os: nothing is synced on the write path; a rolled segment is synced off it, and the recovery point follows', async () => {
    const dataDir = tempDir();
    const store = new FaultyStore(join(dataDir, 'faulty-0'));
    const log = new FaultyLog(store, { flushPolicy: 'os', segmentBytes: 300 });
    log.write(one(0));
    log.write(one(1));
    expect(store.syncsCompleted).toEqual([]);
    for (let i = 2; i < 12; i++) log.write(one(i));
    expect(log.segmentCount).toBeGreaterThan(2);
    expect(log.flushedOffset).toBe(0);
    await log.sync(); // waits for the rolled segments' flushes too
    expect(log.flushedOffset).toBe(12);
    const recoveryPoint = Number(readFileSync(join(dataDir, 'faulty-0', 'recovery-point-offset-checkpoint'), 'utf8'));
    expect(recoveryPoint).toBeGreaterThan(0);
    expect(recoveryPoint).toBeLessThan(12);
    await log.close();
  });

  it('a failed fdatasync fails the waiting appends and takes the log offline until it is reopened', async () => {
    const dataDir = tempDir();
    const store = new FaultyStore(join(dataDir, 'faulty-0'));
    const log = new FaultyLog(store, { flushPolicy: 'always' });
    await log.append(one(0));
    store.failNextSync = true;
    await expect(log.append(one(1))).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect(() => log.write(one(2))).toThrowError(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }));
    expect(() => log.read(0)).toThrowError(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }));
    await log.close();
    expect(existsSync(join(dataDir, 'faulty-0', '.kafka_cleanshutdown'))).toBe(false);
    const again = await PartitionLog.open({ dataDir, topic: 'faulty', partition: 0 });
    expect(again.recovery.clean).toBe(false);
    expect(again.logEndOffset).toBe(2); // the page cache still had it
    await again.close();
  });

  it('a failed write (no space) writes nothing and leaves the log usable', async () => {
    const dataDir = tempDir();
    const store = new FaultyStore(join(dataDir, 'faulty-0'));
    const log = new FaultyLog(store, {});
    log.write(one(0), { leaderEpoch: 1 });
    const size = statSync(join(dataDir, 'faulty-0', '00000000000000000000.log')).size;
    store.failNextAppend = true;
    expect(() => log.write(one(1), { leaderEpoch: 2 })).toThrowError(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }));
    expect(log.logEndOffset).toBe(1);
    expect(log.epochs()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(statSync(join(dataDir, 'faulty-0', '00000000000000000000.log')).size).toBe(size);
    expect(log.write(one(1)).firstOffset).toBe(1);
    await log.close();
  });
});

describe('PartitionLog against a model (property)', () => {
  type Op =
    | { kind: 'append'; count: number; size: number; keys: number[]; tombstone: boolean }
    | { kind: 'read'; at: number; maxBytes: number }
    | { kind: 'reopen' }
    | { kind: 'crash' }
    | { kind: 'truncate'; at: number }
    | { kind: 'deleteRecords'; at: number }
    | { kind: 'retention' }
    | { kind: 'compact'; advanceMs: number; raiseHighWatermark: boolean };
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('append' as const),
        count: fc.integer({ min: 1, max: 4 }),
        size: fc.integer({ min: 0, max: 200 }),
        keys: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 4, maxLength: 4 }),
        tombstone: fc.boolean(),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fc.nat(), maxBytes: fc.integer({ min: 1, max: 2000 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'retention' as const }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), advanceMs: fc.integer({ min: 0, max: 2000 }), raiseHighWatermark: fc.boolean() }) },
  );
  interface Written {
    readonly key: string;
    readonly value: string | null;
  }

  /**
   * Checks the whole log against the model. Exactly the model's records while nothing was
   * compacted; once something was: nothing invented or moved (every record is the one
   * written at its offset), offsets strictly increasing, and no key resurrected (if any
   * record of a key is there, its latest record is too, and a latest record that is not
   * a tombstone is always there).
   */
  async function checkLog(log: PartitionLog, written: Map<number, Written>, start: number, next: number, compacted: boolean): Promise<void> {
    expect([log.logStartOffset, log.logEndOffset]).toEqual([start, next]);
    const found: { offset: number; key: string; value: string | null }[] = [];
    let offset = start;
    while (offset < next) {
      const { records } = log.read(offset, { maxBytes: 4096 });
      expect(records.length).toBeGreaterThan(0);
      for (const r of await decodeBatches(records)) {
        if (r.offset >= offset) found.push({ offset: r.offset, key: Buffer.from(r.key!).toString(), value: r.value === null ? null : Buffer.from(r.value).toString() });
      }
      for (const b of iterateBatches(records)) offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
    const expected = [...written].filter(([o]) => o >= start && o < next).map(([o, w]) => ({ offset: o, ...w }));
    if (!compacted) {
      expect(found).toEqual(expected);
      return;
    }
    const latest = new Map<string, number>();
    for (const e of expected) latest.set(e.key, e.offset);
    const present = new Set(found.map((f) => f.offset));
    for (const [i, f] of found.entries()) {
      expect(f).toEqual({ offset: f.offset, ...written.get(f.offset)! });
      if (i > 0) expect(f.offset).toBeGreaterThan(found[i - 1]!.offset);
      expect(present.has(latest.get(f.key)!)).toBe(true);
    }
    for (const [, o] of latest) if (written.get(o)!.value !== null) expect(present.has(o)).toBe(true);
  }

  it('agrees with a model under random appends, reads, rolls, reopens, crashes, truncation, deletion, retention and compaction', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
        const dataDir = tempDir();
        const config = {
          segmentBytes: 700,
          indexIntervalBytes: 100,
          retentionBytes: 2500,
          cleanupPolicy: 'compact,delete' as const,
          minCleanableDirtyRatio: 0,
          deleteRetentionMs: 1000,
        };
        const open = () => PartitionLog.open({ dataDir, topic: 'model', partition: 0, config });
        let log = await open();
        const written = new Map<number, Written>();
        let start = 0;
        let next = 0;
        let now = 1_000_000;
        // Compaction and retention stay below the high watermark; truncation stays above
        // it, as a replica's does (it is always at a batch boundary).
        let highWatermark = 0;
        let compacted = false;
        let counter = 0;
        try {
          for (const o of ops) {
            if (o.kind === 'append') {
              const records = Array.from({ length: o.count }, (_, i) => ({
                key: `k${o.keys[i]}`,
                value: o.tombstone && i === o.count - 1 ? null : `${counter++}:${'v'.repeat(o.size)}`,
              }));
              const info = await log.append(
                encodeBatchUncompressed(records.map((r) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), timestamp: now }))),
              );
              expect(info.firstOffset).toBe(next);
              records.forEach((r, i) => written.set(next + i, r));
              next += o.count;
            } else if (o.kind === 'read') {
              if (next === start) continue;
              const at = start + (o.at % (next - start));
              const { records } = log.read(at, { maxBytes: o.maxBytes });
              const batches = [...iterateBatches(records)];
              expect(batches.length).toBeGreaterThan(0);
              // The first batch holds `at`; the rest follow it without a gap.
              expect(batches[0]!.header.baseOffset).toBeLessThanOrEqual(at);
              expect(batches[0]!.header.baseOffset + batches[0]!.header.lastOffsetDelta).toBeGreaterThanOrEqual(at);
              for (let i = 1; i < batches.length; i++) {
                const prev = batches[i - 1]!.header;
                expect(batches[i]!.header.baseOffset).toBe(prev.baseOffset + prev.lastOffsetDelta + 1);
              }
              if (batches.length > 1) expect(records.length).toBeLessThanOrEqual(o.maxBytes);
              for (const r of await decodeBatches(records)) {
                expect({ key: Buffer.from(r.key!).toString(), value: r.value === null ? null : Buffer.from(r.value).toString() }).toEqual(written.get(r.offset));
              }
            } else if (o.kind === 'reopen' || o.kind === 'crash') {
              if (o.kind === 'reopen') await log.close();
              else log.abandon();
              log = await open();
              // A process crash loses nothing that was written (the page cache survives).
              await checkLog(log, written, start, next, compacted);
            } else if (o.kind === 'truncate') {
              const from = Math.max(start, highWatermark);
              if (next === from) continue;
              const at = from + (o.at % (next - from));
              // A batch is the unit of truncation: the one holding `at` goes whole.
              const holder = [...iterateBatches(log.read(at).records)][0]!.header.baseOffset;
              log.truncateTo(at);
              next = holder <= start ? start : holder;
              for (const offset of [...written.keys()]) if (offset >= next) written.delete(offset);
            } else if (o.kind === 'deleteRecords') {
              const at = start + (o.at % (next - start + 1));
              expect(await log.deleteRecords(at)).toBe(Math.max(start, at));
              start = Math.max(start, at);
            } else if (o.kind === 'retention') {
              await log.enforceRetention(now, highWatermark);
              // Kafka's rule: the oldest segment goes while the rest still hold retention.bytes.
              const segs = (log as unknown as { segments: { size: number; nextOffset: number }[] }).segments;
              if (segs.length > 1 && segs[0]!.nextOffset <= highWatermark) expect(log.sizeInBytes - segs[0]!.size).toBeLessThan(config.retentionBytes);
              expect(log.logStartOffset).toBeGreaterThanOrEqual(start);
              start = log.logStartOffset;
            } else {
              now += o.advanceMs;
              if (o.raiseHighWatermark) highWatermark = next;
              if (await log.compact(now, highWatermark)) compacted = true;
            }
            expect(log.logEndOffset).toBe(next);
          }
          await checkLog(log, written, start, next, compacted);
        } finally {
          await log.close();
        }
      }),
      // STORAGE_PROPERTY_RUNS=2000 for a soak run.
      { numRuns: Number(process.env.STORAGE_PROPERTY_RUNS ?? 80) },
    );
  }, 120_000);
});

describe("a leader's small batch (one pwrite from the scratch) and a large one (header + body, one pwritev)", () => {
  it.each(['CreateTime', 'LogAppendTime'] as const)('%s: interleaved, they land byte for byte as stamped, CRCs valid, and read back after a reopen', async (messageTimestampType) => {
    const dataDir = tempDir();
    const config = { messageTimestampType };
    const log = await PartitionLog.open({ dataDir, topic: 'small', partition: 0, config });
    // Sizes on both sides of the 512-byte line, and one of several batches in one write.
    const sizes = [1, 300, 1, 700, 380, 2_000, 1, 420];
    const sent: Buffer[] = [];
    for (let i = 0; i < sizes.length; i++) {
      const bytes = encodeBatchUncompressed([{ key: Buffer.from(`k${i}`), value: Buffer.alloc(sizes[i]!, i + 1) }], { now: 5_000 + i });
      sent.push(bytes);
      log.write(bytes, { leaderEpoch: 4, now: 1_000_000 });
    }
    log.write(Buffer.concat([sent[0]!, sent[2]!]), { leaderEpoch: 4, now: 1_000_000 });
    const expectOne = (bytes: Buffer, offset: number): void => {
      const slices = [...iterateBatches(bytes)];
      expect(slices.length).toBe(1);
      const h = readBatchHeader(bytes);
      expect(checkBatch(bytes, 0, bytes.length)).toMatchObject({ ok: true });
      expect(h.baseOffset).toBe(offset);
      expect(h.partitionLeaderEpoch).toBe(4);
    };
    const check = async (l: PartitionLog): Promise<void> => {
      const all = l.read(0, { maxBytes: 1 << 20 }).records;
      const got = [...iterateBatches(all)].map((s) => Buffer.from(all.subarray(s.position, s.position + s.size)));
      expect(got.length).toBe(sizes.length + 2);
      for (let i = 0; i < got.length; i++) {
        const b = got[i]!;
        expectOne(b, i);
        const original = sent[i < sizes.length ? i : (i - sizes.length) * 2]!;
        // Past the stamped fields (base offset, epoch, and under LogAppendTime the
        // attributes, max timestamp and CRC), the record bytes are the producer's.
        expect(b.subarray(batchHeaderBytes).equals(original.subarray(batchHeaderBytes))).toBe(true);
        const records = await decodeBatches(b);
        expect(records[0]!.timestamp).toBe(messageTimestampType === 'LogAppendTime' ? 1_000_000 : 5_000 + (i < sizes.length ? i : (i - sizes.length) * 2));
      }
    };
    await check(log);
    await log.close();
    const again = await PartitionLog.open({ dataDir, topic: 'small', partition: 0, config });
    expect(again.logEndOffset).toBe(sizes.length + 2);
    await check(again);
    await again.close();
  });
});
