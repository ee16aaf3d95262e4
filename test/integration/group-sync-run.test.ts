/**
 * `run({ eachRecord })` with a synchronous handler marks its partition in flight once for a
 * synchronous run of handlers, not a record (src/client/group-delivery.ts, `eachInTurn`;
 * docs/design/consumer-groups.md, "At least once"). What must not change with it:
 * - a rebalance that takes a partition while a member reads a backlog of it with a
 *   synchronous handler (now and then an asynchronous one, so a revoke also meets a record
 *   in flight): no record of it is handed to the member between its `revoked` and its next
 *   `assigned` of it, every record is read exactly once over the handovers (each commit
 *   covers only records whose handlers returned), and the committed offsets reach the end;
 * - `close()` called (not awaited) from inside a synchronous handler: that record counts,
 *   the rest of the chunk is not handed out, the commit is one past it;
 * - `pause` inside a synchronous handler: the batch in hand is still delivered, then
 *   nothing of the partition until `resume`.
 *
 * On simulated time (test/helpers/sim-clock.ts); every wait counts events.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import type { ConsumerGroup } from '../../src/client/consumer-group.js';
import { serdes } from '../../src/client/serde.js';
import { committedOffsets, groupRunSettings, produceValues } from '../helpers/group-run.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

const { clock, until, sleep } = useSimulatedClock();

describe('eachRecord: a synchronous run of handlers', () => {
  it('a rebalance in the middle of a backlog: nothing handed out after revoked, every record exactly once, commits reach the end', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 2 }]);
    const t = cluster.topic('work', { key: serdes.string, value: serdes.string });
    const total = 3000;
    // Calls of 50 records, spread over both partitions: many chunks a partition.
    for (let i = 0; i < total; i += 50) await t.send(Array.from({ length: 50 }, (_, j) => ({ key: `k${(i + j) % 7}`, value: `v${i + j}` })));
    const ends = (await cluster.admin().listOffsets('work', 'latest')).map((o) => o.offset);
    expect(ends.reduce((a, b) => a + b, 0)).toBe(total);

    const seen = new Map<string, number>();
    const violations: string[] = [];
    let firstRevokeSeen = 0;
    const settings = { ...groupRunSettings, autoCommitIntervalMs: 50 };
    const start = (name: string): { group: ConsumerGroup<string | null, string>; run: Promise<void>; count: () => number } => {
      const group = cluster.consumerGroup({ groupId: 'sync-run', topics: ['work'], key: serdes.string, value: serdes.string, clientId: name, ...settings });
      const owned = new Set<number>();
      group.on('assigned', (tps) => {
        for (const tp of tps) owned.add(tp.partition);
      });
      group.on('revoked', (tps) => {
        if (tps.length > 0) firstRevokeSeen ||= seen.size;
        for (const tp of tps) owned.delete(tp.partition);
      });
      group.on('lost', (tps) => {
        violations.push(`${name} lost ${tps.map((tp) => tp.partition).join(',')}`);
      });
      let count = 0;
      const run = group.run({
        eachRecord: (r) => {
          if (!owned.has(r.partition)) violations.push(`${name} was handed ${r.partition}:${r.offset} outside its assignment`);
          const k = `${r.partition}:${r.offset}`;
          seen.set(k, (seen.get(k) ?? 0) + 1);
          count++;
          // One record in 40 takes a while: a revoke then finds it in flight.
          if (r.offset % 40 === 39) return sleep(10).then(() => undefined);
          return undefined;
        },
      });
      return { group, run, count: () => count };
    };

    const a = start('a');
    await until('a member reading', () => a.count() >= 300);
    const b = start('b');
    await until('both members reading', () => b.count() > 0);
    const c = start('c');
    await until('every record', () => seen.size >= total);
    await c.group.close();
    await until('every record, after c left', () => seen.size >= total);
    await a.group.close();
    await b.group.close();
    await Promise.all([a.run, b.run, c.run]);

    // The first rebalance came in the middle of the backlog (not after it was read).
    expect(firstRevokeSeen).toBeGreaterThan(0);
    expect(firstRevokeSeen).toBeLessThan(total);
    expect(violations).toEqual([]);
    expect([...seen].filter(([, n]) => n !== 1)).toEqual([]);
    expect(seen.size).toBe(total);
    expect(a.count() + b.count() + c.count()).toBe(total);
    expect(await committedOffsets(cluster, 'sync-run')).toEqual(ends);
  }, 120_000);

  it('close() called from inside a synchronous handler: its record counts, the rest of the chunk is not handed out', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 10); // one call: one chunk
    const group = cluster.consumerGroup({ groupId: 'close-sync', topics: ['work'], value: serdes.string, ...groupRunSettings });
    const seen: number[] = [];
    let closing: Promise<void> | undefined;
    const run = group.run({
      eachRecord: (r) => {
        seen.push(r.offset);
        if (r.offset === 4) closing = group.close();
      },
    });
    await run;
    await closing;
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(await committedOffsets(cluster, 'close-sync')).toEqual([5]);
  }, 60_000);

  it('pause inside a synchronous handler: the chunk in hand is delivered, then nothing of the partition until resume', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 10);
    const group = cluster.consumerGroup({ groupId: 'pause-sync', topics: ['work'], value: serdes.string, ...groupRunSettings });
    const tp = { topic: 'work', partition: 0 };
    const seen: number[] = [];
    const run = group.run({
      eachRecord: (r) => {
        seen.push(r.offset);
        if (r.offset === 2) group.pause([tp]);
      },
    });
    await until('the first chunk', () => seen.length >= 10);
    await produceValues(cluster, 'work', 5);
    await sleep(500); // long polls of 20 ms: many fetch rounds in which nothing may come
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => i));
    group.resume([tp]);
    await until('the records after resume', () => seen.length >= 15);
    await group.close();
    await run;
    expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(await committedOffsets(cluster, 'pause-sync')).toEqual([15]);
  }, 60_000);
});
