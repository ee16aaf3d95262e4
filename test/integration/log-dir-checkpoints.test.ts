/**
 * Many partitions on one data folder (issue 13): one set of checkpoints and one
 * clean-shutdown marker per data folder, owned by the log manager; nothing fsynced and no
 * segment file for a partition that never got a record; a bounded number of open files;
 * no scan at all after a clean restart; and a follower's log start offset following its
 * leader's (DeleteRecords) into the follower's checkpoint.
 *
 * Counted through the public API and the files on disk: fsyncs through an injected store
 * (as `flush-policy.test.ts` counts them), recoveries through the `tributary:recovery`
 * diagnostics channel, descriptors through `/proc/self/fd`.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { FileStore, openFileCount, setOpenFilesMax, type Store, type StoreFile } from '../../src/storage/store.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-log-dir-checkpoints-');

/** fsyncs and atomic writes per partition folder, through the store every folder is opened with. */
function countingStores(): { openStore: (dir: string) => Store; syncs: Map<string, number> } {
  const syncs = new Map<string, number>();
  const count = (dir: string): void => void syncs.set(basename(dir), (syncs.get(basename(dir)) ?? 0) + 1);
  const openStore = (dir: string): Store => {
    const inner = new FileStore(dir, { lock: false });
    const wrap = (f: StoreFile): StoreFile =>
      new Proxy(f, {
        get(target, prop, receiver) {
          if (prop === 'sync' || prop === 'syncNow') count(dir);
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'open') return (name: string, create: boolean) => wrap(target.open(name, create));
        if (prop === 'syncDir' || prop === 'syncDirAsync' || prop === 'writeAtomic') count(dir);
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  return { openStore, syncs };
}

/** Every recovery the brokers announce (a clean restart announces none). */
function recoveries(): { events: { phase: string; topic: string; bytes: number }[]; stop: () => void } {
  const events: { phase: string; topic: string; bytes: number }[] = [];
  const listener = (m: unknown): void => void events.push(m as { phase: string; topic: string; bytes: number });
  subscribe('tributary:recovery', listener);
  return { events, stop: () => unsubscribe('tributary:recovery', listener) };
}

async function readAll(cluster: Cluster, topic: string, partitions: number, expected: number): Promise<Map<number, string[]>> {
  const consumer = cluster.consumer({ maxWaitMs: 50 });
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
  consumer.assign(tps);
  for (const tp of tps) await consumer.seek(tp, 'earliest');
  const out = new Map<number, string[]>();
  let count = 0;
  try {
    if (expected > 0) {
      for await (const r of consumer) {
        out.set(r.partition, [...(out.get(r.partition) ?? []), Buffer.from(r.value!).toString()]);
        if (++count >= expected) break;
      }
    }
  } finally {
    await consumer.close();
  }
  return out;
}

const fdCount = (): number => readdirSync('/proc/self/fd').length;
let previousMax: number | undefined;
afterEach(() => {
  if (previousMax !== undefined) setOpenFilesMax(previousMax);
  previousMax = undefined;
});

describe('the checkpoints of a data folder', () => {
  it('a wide topic: no fsync and no segment file before a record, bounded descriptors, one set of checkpoints, no scan after a clean restart', async () => {
    const dataDir = tempDir();
    const partitions = 120;
    const written = 20;
    const { openStore, syncs } = countingStores();
    previousMax = setOpenFilesMax(8);
    let cluster = await Cluster.start({ nodes: 1, dataDir, openStore });
    const fdsBefore = fdCount();
    await cluster.admin().createTopics([{ name: 'wide', partitions }]);
    const producer = cluster.producer({ lingerMs: 1 });
    await Promise.all(Array.from({ length: written }, (_, p) => producer.send('wide', [{ partition: p, value: `first-${p}` }])));
    await producer.close();

    const nodeDir = join(dataDir, 'node-1');
    const segmentsOf = (p: number): string[] => (existsSync(join(nodeDir, `wide-${p}`)) ? readdirSync(join(nodeDir, `wide-${p}`)).filter((f) => /\.(log|index|timeindex)$/.test(f)) : []);
    for (let p = written; p < partitions; p++) {
      expect(syncs.get(`wide-${p}`) ?? 0).toBe(0);
      expect(segmentsOf(p)).toEqual([]);
    }
    for (let p = 0; p < written; p++) expect(segmentsOf(p)).toContain('00000000000000000000.log');
    // The descriptors of segment files stay bounded (8 here) whatever the partition count.
    expect(openFileCount()).toBeLessThanOrEqual(8);
    expect(fdCount() - fdsBefore).toBeLessThan(written);
    await cluster.close();

    // One set of checkpoints for the whole folder; none in the partition folders.
    expect(readdirSync(nodeDir)).toEqual(expect.arrayContaining(['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint', '.kafka_cleanshutdown']));
    for (let p = 0; p < partitions; p++) {
      const dir = join(nodeDir, `wide-${p}`);
      if (!existsSync(dir)) continue;
      expect(readdirSync(dir).filter((f) => f === 'recovery-point-offset-checkpoint' || f === 'log-start-offset-checkpoint' || f === '.kafka_cleanshutdown')).toEqual([]);
    }
    const marker = readFileSync(join(nodeDir, '.kafka_cleanshutdown'), 'utf8');
    for (let p = 0; p < written; p++) expect(marker).toContain(`wide ${p}\n`);

    // A clean restart scans nothing; every record is there, and the partitions take more.
    const seen = recoveries();
    try {
      cluster = await Cluster.start({ nodes: 1, dataDir, openStore });
      const again = cluster.producer({ lingerMs: 1 });
      await Promise.all(Array.from({ length: partitions }, (_, p) => again.send('wide', [{ partition: p, value: `second-${p}` }])));
      await again.close();
      expect(openFileCount()).toBeLessThanOrEqual(8);
      const read = await readAll(cluster, 'wide', partitions, written + partitions);
      for (let p = 0; p < partitions; p++) expect(read.get(p)).toEqual(p < written ? [`first-${p}`, `second-${p}`] : [`second-${p}`]);
      expect(seen.events).toEqual([]);
      await cluster.close();
    } finally {
      seen.stop();
    }
  });

  it('a follower moves its log start offset with its leader’s (DeleteRecords), into its checkpoint before a clean close', async () => {
    const dataDir = tempDir();
    let cluster = await Cluster.start({ nodes: 3, dataDir });
    await cluster.admin().createTopics([{ name: 'trim', partitions: 1, replicationFactor: 3 }]);
    const producer = cluster.producer({ acks: -1, lingerMs: 1 });
    await producer.send('trim', Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `v${i}` })));
    // One more acks=all send after the delete: its fetch responses carry the new log start to every follower.
    expect(await cluster.admin().deleteRecords('trim', { 0: 6 })).toEqual({ 0: 6 });
    await producer.send('trim', [{ partition: 0, value: 'v10' }]);
    await producer.send('trim', [{ partition: 0, value: 'v11' }]);
    await producer.close();
    await cluster.close();
    for (const node of [1, 2, 3]) {
      const text = readFileSync(join(dataDir, `node-${node}`, 'log-start-offset-checkpoint'), 'utf8');
      expect(text.split('\n')).toContain('trim 0 6');
    }
    // Every replica starts there after the restart, whichever leads.
    cluster = await Cluster.start({ nodes: 3, dataDir });
    try {
      const read = await readAll(cluster, 'trim', 1, 6);
      expect(read.get(0)).toEqual(['v6', 'v7', 'v8', 'v9', 'v10', 'v11']);
    } finally {
      await cluster.close();
    }
  });
});
