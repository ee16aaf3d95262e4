/**
 * What the path from `createTopics` to "every partition took its first record" asks of the
 * file system and of the timers, counted, never timed (issue 13: 10,000 partitions ready
 * in under 2 s). A new partition's folder and segment file are the two creations it
 * needs; before, each also paid an `access` in the replica manager, another in the log
 * loader and a `stat` of its segment file (all certain to find nothing), and a timer of
 * the background CRC check that had nothing to check.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { Cluster } from '../index.js';
import { encodeBatch } from '../record/index.js';
import { SimulatedTimerClock } from '../util/clock.js';
import { uuidFromBytes } from '../util/uuid.js';
import { LogManager } from './log-manager.js';

const tempDir = useTempDirs('tributary-ready-path-');
const fs = createRequire(import.meta.url)('node:fs') as Record<string, unknown>;

/** Counts the calls of some `node:fs` functions whose first argument lies under `root` (every module's imports see the counting ones). */
function countFsCalls(root: string, names: readonly string[]): { counts: Record<string, number>; restore: () => void } {
  const counts: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const originals = new Map<string, unknown>();
  for (const name of names) {
    const original = fs[name] as (...args: unknown[]) => unknown;
    originals.set(name, original);
    fs[name] = function counted(this: unknown, ...args: unknown[]) {
      if (typeof args[0] === 'string' && args[0].startsWith(root)) counts[name]!++;
      return original.apply(this, args);
    };
  }
  syncBuiltinESMExports();
  return {
    counts,
    restore: () => {
      for (const [name, original] of originals) fs[name] = original;
      syncBuiltinESMExports();
    },
  };
}

const fsPromises = createRequire(import.meta.url)('node:fs/promises') as Record<string, unknown>;

/**
 * Counts the fsyncs and fdatasyncs of files and folders inside a partition folder of
 * `nodeDir` (a descriptor is named through /proc/self/fd when it is synced), and the
 * renames there: every way `node:fs` and `node:fs/promises` offer, so a sync cannot hide
 * behind another API. Anything of the node's own (its metadata log, the journal, the
 * checkpoints) is not counted: those are per node, not per partition.
 */
function countPartitionSyncs(nodeDir: string): { syncs: string[]; nodeDirSyncs: string[]; renames: string[]; restore: () => void } {
  const syncs: string[] = [];
  /** Syncs of `nodeDir` itself (what makes a new partition folder's entry durable). */
  const nodeDirSyncs: string[] = [];
  const renames: string[] = [];
  const inPartition = (path: string): boolean => path.startsWith(`${nodeDir}/`) && /^[^/]+-\d+(\/|$)/.test(path.slice(nodeDir.length + 1)) && !path.includes('__cluster_metadata');
  const pathOf = (fd: unknown): string => {
    try {
      return readlinkSync(`/proc/self/fd/${String(fd)}`);
    } catch {
      return '';
    }
  };
  const originals: [Record<string, unknown>, string, unknown][] = [];
  const wrap = (mod: Record<string, unknown>, name: string, make: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown): void => {
    const original = mod[name] as (...args: unknown[]) => unknown;
    originals.push([mod, name, original]);
    mod[name] = make(original);
  };
  for (const name of ['fsync', 'fsyncSync', 'fdatasync', 'fdatasyncSync']) {
    wrap(fs, name, (original) => function counted(this: unknown, ...args: unknown[]) {
      const path = pathOf(args[0]);
      if (inPartition(path)) syncs.push(`${name} ${path.slice(nodeDir.length + 1)}`);
      else if (path === nodeDir) nodeDirSyncs.push(name);
      return original.apply(this, args);
    });
  }
  for (const name of ['rename', 'renameSync']) {
    wrap(fs, name, (original) => function counted(this: unknown, ...args: unknown[]) {
      if (typeof args[0] === 'string' && inPartition(args[0])) renames.push(args[0]);
      return original.apply(this, args);
    });
  }
  wrap(fsPromises, 'rename', (original) => function counted(this: unknown, ...args: unknown[]) {
    if (typeof args[0] === 'string' && inPartition(args[0])) renames.push(args[0]);
    return original.apply(this, args);
  });
  wrap(fsPromises, 'open', (original) => async function counted(this: unknown, ...args: unknown[]) {
    const handle = (await original.apply(this, args)) as { sync: () => Promise<void>; datasync: () => Promise<void> };
    const path = typeof args[0] === 'string' ? args[0] : '';
    if (path === nodeDir) {
      const own = handle.sync.bind(handle);
      handle.sync = () => {
        nodeDirSyncs.push('handle.sync');
        return own();
      };
    } else if (inPartition(path)) {
      for (const m of ['sync', 'datasync'] as const) {
        const own = handle[m].bind(handle);
        handle[m] = () => {
          syncs.push(`handle.${m} ${path.slice(nodeDir.length + 1)}`);
          return own();
        };
      }
    }
    return handle;
  });
  syncBuiltinESMExports();
  return {
    syncs,
    nodeDirSyncs,
    renames,
    restore: () => {
      for (const [mod, name, original] of originals) mod[name] = original;
      syncBuiltinESMExports();
    },
  };
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

describe('the ready path of new partitions', () => {
  it('a topic of N partitions, one record each: N folders and N segment files made, nothing asked that the broker knows', async () => {
    const dataDir = tempDir();
    const cluster = await Cluster.start({ nodes: 1, dataDir });
    try {
      const n = 120;
      const counting = countFsCalls(dataDir, ['existsSync', 'statSync', 'mkdirSync', 'openSync', 'readdirSync', 'accessSync']);
      restore = counting.restore;
      await cluster.admin().createTopics([{ name: 'ready', partitions: n }]);
      const producer = cluster.producer({ lingerMs: 5 });
      await Promise.all(Array.from({ length: n }, (_, p) => producer.send('ready', [{ partition: p, value: `v${p}` }])));
      await producer.close();
      counting.restore();
      restore = undefined;
      const c = counting.counts;
      // One folder and one segment file a partition (the file floor of bench/partitions.ts);
      // the rest is the node's own files (its metadata log, the topic-id journal), a few
      // whatever N is.
      expect(c.mkdirSync).toBe(n);
      expect(c.openSync).toBeGreaterThanOrEqual(n);
      expect(c.openSync).toBeLessThan(n + 10);
      // Before: 2 access and 1 stat a partition.
      expect(c.existsSync! + c.accessSync!).toBeLessThan(10);
      expect(c.statSync).toBeLessThan(10);
      expect(c.readdirSync).toBeLessThan(5);
    } finally {
      await cluster.close();
    }
  });

  it('a new partition that took a record costs no fsync and no rename, and leaves one file; under flush.messages=1 only its segment and its folder are synced', async () => {
    const dataDir = tempDir();
    const nodeDir = join(dataDir, 'node-1');
    const n = 40;
    let cluster = await Cluster.start({ nodes: 1, dataDir });
    try {
      const counting = countPartitionSyncs(nodeDir);
      restore = counting.restore;
      await cluster.admin().createTopics([
        { name: 'lazy', partitions: n },
        { name: 'ledger', partitions: n, configs: { 'flush.messages': '1' } },
      ]);
      const producer = cluster.producer({ lingerMs: 5 });
      await Promise.all(Array.from({ length: n }, (_, p) => producer.send('lazy', [{ partition: p, value: `v${p}` }])));
      const lazySyncs = counting.syncs.length;
      const lazyRenames = counting.renames.length;
      const lazyNodeDirSyncs = counting.nodeDirSyncs.length;
      await Promise.all(Array.from({ length: n }, (_, p) => producer.send('ledger', [{ partition: p, value: `v${p}` }])));
      await producer.close();
      counting.restore();
      restore = undefined;
      // The default policy (Kafka's): nothing of a new partition is synced on its way to
      // accepting its first record (its files become durable at its first roll or the clean
      // close), and nothing is renamed in its folder.
      expect(lazySyncs).toBe(0);
      expect(lazyRenames).toBe(0);
      // flush.messages=1: each first record is acknowledged after an fdatasync of its
      // segment (more than one if the partition is flushed again: a retry under load) and
      // one fsync of its new folder (the entry of its segment file), and nothing else.
      // (Until 2026-12-07g also its epoch file: created, written, synced and renamed into
      // place, and its folder synced a second time.)
      const ledger = counting.syncs.filter((s) => s.includes(' ledger-'));
      const folderSyncs = ledger.filter((s) => /^handle\.sync ledger-\d+$/.test(s));
      const segmentSyncs = ledger.filter((s) => /^fdatasync ledger-\d+\/00000000000000000000\.log$/.test(s));
      expect(new Set(folderSyncs).size).toBe(n);
      expect(folderSyncs.length).toBe(n);
      expect(new Set(segmentSyncs).size).toBe(n);
      expect(ledger.filter((s) => !folderSyncs.includes(s) && !segmentSyncs.includes(s))).toEqual([]);
      expect(counting.renames).toEqual([]);
      // ... and the node folder is synced once for each new partition folder (its entry
      // there), the first time the partition is made durable: else a power loss could lose
      // the folder of an acknowledged record.
      expect(counting.nodeDirSyncs.length - lazyNodeDirSyncs).toBeGreaterThanOrEqual(n);
      // What a new partition leaves: one folder with one file, its segment; no per-partition
      // checkpoint, marker, topic id or epoch file (those are the data folder's, one each).
      for (const topic of ['lazy', 'ledger']) {
        for (let p = 0; p < n; p++) expect(readdirSync(join(nodeDir, `${topic}-${p}`))).toEqual(['00000000000000000000.log']);
      }
      const nodeFiles = readdirSync(nodeDir).filter((f) => !/^(lazy|ledger)-\d+$/.test(f));
      expect(nodeFiles.length).toBeLessThan(10);
      await cluster.close();
      // A clean close syncs each changed partition's segment; what it leaves per partition is
      // still one file (the clean-shutdown state is the data folder's), and a restart finds
      // every record.
      for (let p = 0; p < n; p++) expect(readdirSync(join(nodeDir, `lazy-${p}`))).toEqual(['00000000000000000000.log']);
      cluster = await Cluster.start({ nodes: 1, dataDir });
      const ends = await cluster.admin().listOffsets('lazy', 'latest');
      expect(ends.map((e) => e.offset)).toEqual(Array.from({ length: n }, () => 1));
    } finally {
      await cluster.close();
    }
  });

  it('a topic config changed after its logs opened still reaches them (the open records the configs it used)', async () => {
    const cluster = await Cluster.start({ nodes: 1, dataDir: tempDir() });
    try {
      await cluster.admin().createTopics([{ name: 'later', partitions: 3 }]);
      const producer = cluster.producer();
      for (let p = 0; p < 3; p++) expect((await producer.send('later', [{ partition: p, value: 'a', timestamp: 5 }]))[0]!.timestamp).toBe(5);
      await cluster.admin().alterConfigs('later', { 'message.timestamp.type': 'LogAppendTime' });
      // The broker applies the change when its metadata has it (on one node, with the commit
      // that answers the request): the broker then stamps the time.
      for (let p = 0; p < 3; p++) expect((await producer.send('later', [{ partition: p, value: 'b', timestamp: 5 }]))[0]!.timestamp).toBeGreaterThan(5);
      await producer.close();
    } finally {
      await cluster.close();
    }
  });

  it('opening new partitions starts no timer for each (the background check has nothing to check), a crashed log still gets its check', async () => {
    const dataDir = tempDir();
    const clock = new SimulatedTimerClock();
    const topicId = uuidFromBytes(randomBytes(16));
    const logs = new LogManager({ dataDir, nodeId: 1, clock });
    const before = clock.pendingTimers();
    for (let p = 0; p < 50; p++) await logs.open('t', p, {}, topicId);
    // The data folder's checkpoint writer may keep one timer; not one a partition.
    expect(clock.pendingTimers() - before).toBeLessThanOrEqual(1);
    expect(logs.hasFolder('t', 0)).toBe(true);
    expect(logs.hasFolder('t', 50)).toBe(false);
    // A log with records, dropped as a crash drops it: reopened, what recovery trusted
    // unchecked (below its recovery point) is checked in the background, on a timer.
    const log = logs.get('t', 0)!;
    await log.append(await encodeBatch([{ value: Buffer.from('a') }]));
    await log.sync();
    logs.abandonAll();
    const again = new LogManager({ dataDir, nodeId: 1, clock });
    const timers = clock.pendingTimers();
    const reopened = await again.open('t', 0, {}, topicId);
    if (reopened.verifyUnchecked(0)) expect(clock.pendingTimers()).toBeGreaterThan(timers);
    await again.closeAll();
  });
});
