/**
 * A produce request over many partitions costs one pass, not one per partition (issue 13
 * item 1): the broker resolves every partition's leader in one pass over the metadata,
 * settles what the appends did in one pass (one sweep for the fetches to wake), and under
 * flush always starts every partition's sync in one pass and settles them together.
 *
 * Counted, not timed: the broker's pass counters (before, a request over 60 partitions
 * made 60 lookups, 60 settles and 60 flushes, each with its own wake-up), and the syncs
 * through an injected store (each partition is its own file, so its fdatasync remains).
 */
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { FileStore, type Store, type StoreFile } from '../../src/storage/store.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-produce-one-pass-');

/** Counts each partition folder's file syncs. */
function countingStores(): { openStore: (dir: string) => Store; syncs: Map<string, number> } {
  const syncs = new Map<string, number>();
  const openStore = (dir: string): Store => {
    const inner = new FileStore(dir, { lock: false });
    const wrap = (f: StoreFile): StoreFile =>
      new Proxy(f, {
        get(target, prop, receiver) {
          if (prop === 'sync') syncs.set(basename(dir), (syncs.get(basename(dir)) ?? 0) + 1);
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'open') return (name: string, create: boolean) => wrap(target.open(name, create));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  return { openStore, syncs };
}

const partitions = 60;

describe('a produce request over many partitions', () => {
  it.each([1, -1] as const)('acks=%s, flush always: one lookup, one flush and two settle passes per request, every partition synced', async (acks) => {
    const { openStore, syncs } = countingStores();
    await using cluster = await Cluster.start({ nodes: 1, dataDir: tempDir(), openStore });
    await cluster.admin().createTopics([{ name: 'wide', partitions, configs: { 'flush.messages': '1' } }]);
    const broker = cluster.node(1)!.broker;
    // Twice: the first request opens every replica (their first record), the second finds them open.
    for (const round of [0, 1]) {
      const producer = cluster.producer({ acks, lingerMs: 0 });
      const before = { ...broker.producePasses };
      syncs.clear();
      // One call, one record per partition: the accumulator drains it as one request to the one node.
      const results = await producer.send(
        'wide',
        Array.from({ length: partitions }, (_, partition) => ({ partition, value: `r${round}-${partition}` })),
      );
      await producer.close();
      expect(results.map((r) => [r.partition, r.offset])).toEqual(Array.from({ length: partitions }, (_, p) => [p, round]));
      const after = broker.producePasses;
      expect({
        requests: after.requests - before.requests,
        lookup: after.lookup - before.lookup,
        flush: after.flush - before.flush,
      }).toEqual({ requests: 1, lookup: 1, flush: 1 });
      // Two settle passes: the appends', and the flush's once every sync completed. Under
      // load the broker's tick may sync and settle the partitions first (it flushes what no
      // produce flushed yet), and an acks=all answer then leaves before the flush's pass is
      // counted, and is counted in the next round's window instead (3 there): one to
      // three, never one a partition.
      const settles = after.settle - before.settle;
      expect(settles).toBeGreaterThanOrEqual(acks === 1 ? 2 : 1);
      expect(settles).toBeLessThanOrEqual(acks === 1 ? 2 : 3);
      // At most one sweep per settle pass (none when no fetch waits): under acks=all the
      // window may hold a third pass, and its sweep, from the round before.
      expect(after.wakeSweeps - before.wakeSweeps).toBeLessThanOrEqual(settles);
      // Every partition's files were synced before its answer (a sync is per file; the
      // pass that starts them is one). Its first record also syncs the epoch file, and the
      // broker's tick may sync a partition again meanwhile, so the count per folder varies.
      expect([...syncs.keys()].sort()).toEqual(Array.from({ length: partitions }, (_, p) => `wide-${p}`).sort());
    }
  });
});
