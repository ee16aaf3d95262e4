/**
 * What opening a brand-new partition costs in file-system operations, counted through the
 * injectable store (issue 13: a topic of 10,000 partitions paid this 10,000 times).
 * `writeAtomic` is a temp file, an fsync, a rename and a folder fsync.
 */
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { decodeBatches, encodeBatch } from '../record/index.js';
import { PartitionLog } from './partition-log.js';
import { FileStore, type Store, type StoreFile } from './store.js';

const tempDir = useTempDirs('tributary-open-cost-');

interface Counts {
  opens: number;
  fileSyncs: number;
  dirSyncs: number;
  renames: number;
  atomicWrites: number;
}

function countingStore(dir: string, counts: Counts): Store {
  const inner = new FileStore(dir);
  const wrap = (f: StoreFile): StoreFile =>
    new Proxy(f, {
      get(target, prop, receiver) {
        if (prop === 'sync' || prop === 'syncNow') counts.fileSyncs++;
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'open') return (name: string, create: boolean) => (counts.opens++, wrap(target.open(name, create)));
      if (prop === 'syncDir' || prop === 'syncDirAsync') counts.dirSyncs++;
      if (prop === 'rename') counts.renames++;
      if (prop === 'writeAtomic') counts.atomicWrites++;
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describe('the cost of a new partition', () => {
  it('opening, one append and a clean close of a new partition, counted', async () => {
    const dataDir = tempDir();
    const counts: Counts = { opens: 0, fileSyncs: 0, dirSyncs: 0, renames: 0, atomicWrites: 0 };
    const open = (): Promise<PartitionLog> => PartitionLog.open({ dataDir, topic: 't', partition: 0, openStore: (dir) => countingStore(dir, counts) });
    const log = await open();
    const onOpen = { ...counts };
    await log.close();
    const reopened = await open();
    await reopened.close();
    // Before issue 13: 1 file fsync, 1 folder fsync and 2 atomic checkpoint writes (each a
    // temp file, an fsync, a rename and a folder fsync): 6 fsyncs, 3 opens, 2 renames.
    expect(onOpen).toEqual({ opens: 1, fileSyncs: 0, dirSyncs: 0, renames: 0, atomicWrites: 0 });
    expect(reopened.recovery).toMatchObject({ clean: true, segmentsScanned: 0 });
  });

  it('the first sync of a new partition also makes its folder entries durable, once', async () => {
    const dataDir = tempDir();
    const counts: Counts = { opens: 0, fileSyncs: 0, dirSyncs: 0, renames: 0, atomicWrites: 0 };
    const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config: { flushPolicy: 'always' }, openStore: (dir) => countingStore(dir, counts) });
    await log.append(await encodeBatch([{ value: Buffer.from('a') }]));
    expect(counts).toMatchObject({ fileSyncs: 1, dirSyncs: 1 });
    await log.append(await encodeBatch([{ value: Buffer.from('b') }]));
    expect(counts).toMatchObject({ fileSyncs: 2, dirSyncs: 1 });
    await log.close();
    const reopened = await PartitionLog.open({ dataDir, topic: 't', partition: 0 });
    expect(reopened.logEndOffset).toBe(2);
    await reopened.close();
  });

  it('a clean reopen of a small partition lists its folder once and touches no index file, and still finds every offset', async () => {
    const dataDir = tempDir();
    const first = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config: { indexIntervalBytes: 64 } });
    for (let i = 0; i < 40; i++) await first.append(await encodeBatch([{ value: Buffer.from(`v${i}`), timestamp: 1_000 + i }]));
    await first.close();
    const touched: string[] = [];
    let listings = 0;
    const recording = (dir: string): Store =>
      new Proxy(new FileStore(dir), {
        get(target, prop, receiver) {
          if (prop === 'open') return (name: string, create: boolean) => (touched.push(name), target.open(name, create));
          if (prop === 'readAll') return (name: string) => (touched.push(name), target.readAll(name));
          if (prop === 'list') return () => (listings++, target.list());
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config: { indexIntervalBytes: 64 }, openStore: recording });
    expect(log.recovery).toMatchObject({ clean: true, segmentsScanned: 0, indexesRebuilt: 0 });
    expect(listings).toBe(1);
    expect(touched.filter((n) => n.endsWith('index'))).toEqual([]);
    expect(log.logEndOffset).toBe(40);
    // The indexes rebuilt from the log serve offset and timestamp lookups.
    for (let o = 0; o < 40; o += 3) {
      const [first] = await decodeBatches(log.read(o, { maxBytes: 1 }).records);
      expect(first).toMatchObject({ offset: o, timestamp: 1_000 + o });
      expect((await log.offsetForTimestamp(1_000 + o))?.offset).toBe(o);
    }
    await log.append(await encodeBatch([{ value: Buffer.from('more') }]));
    expect(log.logEndOffset).toBe(41);
    await log.close();
  });

  it('a clean close writes no index files for a small active segment, and writes them once it outgrows a restore from its log', async () => {
    const dataDir = tempDir();
    const opened: string[] = [];
    const recording = (dir: string): Store =>
      new Proxy(new FileStore(dir), {
        get(target, prop, receiver) {
          if (prop === 'open') return (name: string, create: boolean) => (opened.push(name), target.open(name, create));
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    const open = (): Promise<PartitionLog> => PartitionLog.open({ dataDir, topic: 't', partition: 0, config: { indexIntervalBytes: 64 }, openStore: recording });
    const small = await open();
    for (let i = 0; i < 40; i++) await small.append(await encodeBatch([{ value: Buffer.from(`v${i}`), timestamp: 1_000 + i }]));
    await small.close();
    expect(opened.filter((n) => n.endsWith('index'))).toEqual([]);
    // Grown past what a clean open restores from the log alone: the close writes both.
    const big = await open();
    const value = Buffer.alloc(1_000, 7);
    for (let i = 0; i < 80; i++) await big.append(await encodeBatch([{ value, timestamp: 2_000 + i }]));
    opened.length = 0;
    await big.close();
    expect([...new Set(opened.filter((n) => n.endsWith('index')))].sort()).toEqual(['00000000000000000000.index', '00000000000000000000.timeindex']);
    const reopened = await open();
    expect(reopened.recovery).toMatchObject({ clean: true, segmentsScanned: 0, indexesRebuilt: 0 });
    expect(reopened.logEndOffset).toBe(120);
    for (const o of [0, 39, 40, 77, 119]) {
      const [first] = await decodeBatches(reopened.read(o, { maxBytes: 1 }).records);
      expect(first?.offset).toBe(o);
    }
    expect((await reopened.offsetForTimestamp(2_050))?.offset).toBe(90);
    await reopened.close();
  });
});
