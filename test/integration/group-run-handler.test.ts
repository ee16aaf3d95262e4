/**
 * What a `run` handler may do to its own member (docs/design/consumer-groups.md, "At least
 * once"; docs/design/clients.md, "Group delivery"): `close()` from inside a handler, before
 * or after its first `await`, does not wait for that handler (it is the one in flight, and
 * it awaits the close); a close of another member from inside a handler still waits for
 * that member's own handler; a handler that seeks its partition reads from there on; a
 * handler whose promise never settles is abandoned by a close after `rebalanceTimeoutMs`,
 * and `run` rejects with REQUEST_TIMED_OUT.
 *
 * On simulated time (test/helpers/sim-clock.ts). `rebalanceTimeoutMs` (how long a close
 * waits for the handler in flight) is ten minutes of the clock: a close that waited for
 * the handler awaiting it would take those ten minutes, so each close inside a handler
 * checks that it took less than one. No assertion depends on the machine's speed.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { serdes } from '../../src/client/serde.js';
import { committedOffsets, groupRunSettings, produceValues } from '../helpers/group-run.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

const { clock, until, sleep } = useSimulatedClock();


describe('close() from inside a run handler', () => {
  for (const where of ['before its first await', 'after an await'] as const) {
    it(`eachRecord, ${where}: close resolves while the handler is in flight; the records before it are committed, not its own`, async () => {
      await using cluster = await Cluster.start({ clock });
      await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
      await produceValues(cluster, 'work', 10);
      const group = cluster.consumerGroup({ groupId: 'inside', topics: ['work'], value: serdes.string, ...groupRunSettings });
      const steps: string[] = [];
      let closeMs = -1;
      const run = group.run({
        eachRecord: async (r) => {
          if (r.offset !== 4) return;
          if (where === 'after an await') await sleep(5);
          steps.push('closing');
          const t0 = clock.now();
          await group.close();
          closeMs = clock.now() - t0;
          steps.push('closed');
        },
      });
      await run;
      expect(steps).toEqual(['closing', 'closed']);
      expect(closeMs).toBeGreaterThanOrEqual(0);
      expect(closeMs).toBeLessThan(60_000); // it did not wait for rebalanceTimeoutMs (10 minutes)
      expect(await committedOffsets(cluster, 'inside')).toEqual([4]);
    }, 60_000);
  }

  it('eachBatch, after an await: close resolves while the handler is in flight', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 10);
    const group = cluster.consumerGroup({ groupId: 'inside-batch', topics: ['work'], value: serdes.string, ...groupRunSettings });
    let closeMs = -1;
    const run = group.run({
      eachBatch: async () => {
        await sleep(5);
        const t0 = clock.now();
        await group.close();
        closeMs = clock.now() - t0;
      },
    });
    await run;
    expect(closeMs).toBeGreaterThanOrEqual(0);
    expect(closeMs).toBeLessThan(60_000);
    // The batch in flight was not processed: the commit is where the member started.
    expect(await committedOffsets(cluster, 'inside-batch')).toEqual([0]);
  }, 60_000);

  it("a close of member A from inside member B's handler waits for A's own handler, then commits its record", async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([
      { name: 'work', partitions: 1 },
      { name: 'other', partitions: 1 },
    ]);
    await produceValues(cluster, 'work', 5);
    const a = cluster.consumerGroup({ groupId: 'a', topics: ['work'], value: serdes.string, ...groupRunSettings });
    const b = cluster.consumerGroup({ groupId: 'b', topics: ['other'], value: serdes.string, ...groupRunSettings });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let aStarted = false;
    let aFinished = false;
    const runA = a.run({
      eachRecord: async (r) => {
        if (r.offset < 2) return;
        aStarted = true;
        await gate; // the third record is slow
        aFinished = true;
      },
    });
    let finishedWhenClosed: boolean | undefined;
    const runB = b.run({
      eachRecord: async () => {
        await sleep(1);
        void sleep(300).then(release);
        await a.close();
        finishedWhenClosed = aFinished;
      },
    });
    await until('A handling its third record', () => aStarted);
    await produceValues(cluster, 'other', 1);
    await until("B's close of A", () => finishedWhenClosed !== undefined);
    expect(finishedWhenClosed).toBe(true);
    await runA;
    expect(await committedOffsets(cluster, 'a')).toEqual([3]);
    await b.close();
    await runB;
  }, 60_000);
});

describe('a handler whose promise never settles', () => {
  for (const mode of ['eachRecord', 'eachBatch'] as const) {
    it(`${mode}: close() goes on after rebalanceTimeoutMs, and run() rejects with REQUEST_TIMED_OUT; the abandoned record is not committed`, async () => {
      await using cluster = await Cluster.start({ clock });
      await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
      await produceValues(cluster, 'work', 3); // one batch: 0, 1, 2
      // A close stops heartbeats before it waits for the handler: a rebalance timeout within
      // the session (10 s) lets its commit through.
      const rebalanceTimeoutMs = 5_000;
      const group = cluster.consumerGroup({ groupId: `hung-${mode}`, topics: ['work'], value: serdes.string, ...groupRunSettings, rebalanceTimeoutMs });
      const seen: number[] = [];
      const never = new Promise<void>(() => undefined);
      const run =
        mode === 'eachRecord'
          ? group.run({
              eachRecord: (r) => {
                seen.push(r.offset);
                return r.offset === 4 ? never : undefined;
              },
            })
          : group.run({
              eachBatch: (b) => {
                seen.push(...b.records.map((r) => r.offset));
                return b.records[0]!.offset === 3 ? never : undefined;
              },
            });
      let outcome: unknown;
      run.catch((err: unknown) => (outcome = err));
      await until('the first batch', () => seen.length >= 3);
      await produceValues(cluster, 'work', 5); // another: 3 to 7
      await until('the hung handler', () => seen.length >= (mode === 'eachRecord' ? 5 : 8));
      const t0 = clock.now();
      await group.close();
      const closeMs = clock.now() - t0;
      expect(closeMs).toBeGreaterThanOrEqual(rebalanceTimeoutMs);
      await until('run to settle', () => outcome !== undefined);
      expect(outcome).toMatchObject({ name: 'TributaryError', code: 'REQUEST_TIMED_OUT', topic: 'work', partition: 0 });
      expect(String((outcome as Error).message)).toContain('abandoned');
      // eachRecord: 0 to 3 processed, 4 abandoned. eachBatch: the first batch processed, the second abandoned.
      expect(await committedOffsets(cluster, `hung-${mode}`)).toEqual([mode === 'eachRecord' ? 4 : 3]);
    }, 60_000);
  }
});

describe('eachRecord handlers', () => {
  it('synchronous and asynchronous handlers see every record once, in order; processed records are committed', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 300);
    for (const kind of ['sync', 'async'] as const) {
      const group = cluster.consumerGroup({ groupId: `each-${kind}`, topics: ['work'], value: serdes.string, ...groupRunSettings });
      const seen: string[] = [];
      const run = group.run({
        eachRecord:
          kind === 'sync'
            ? (r) => void seen.push(r.value!)
            : async (r) => {
                await null;
                seen.push(r.value!);
              },
      });
      await until('300 records', () => seen.length >= 300);
      await group.close();
      await run;
      expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => `v${i}`));
      expect(await committedOffsets(cluster, `each-${kind}`)).toEqual([300]);
    }
  }, 60_000);

  it('commit() from inside a synchronous handler commits every record processed before it in the same chunk', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 10);
    // No commit at close: what is committed is what the commit() inside the handler sent.
    const group = cluster.consumerGroup({ groupId: 'commit-inside', topics: ['work'], value: serdes.string, ...groupRunSettings, autoCommit: false });
    let commit: Promise<void> | undefined;
    const seen: number[] = [];
    const run = group.run({
      eachRecord: (r) => {
        seen.push(r.offset);
        if (r.offset < 6) return;
        // Records 0 to 5 are processed (their handlers returned); 6 is in flight and fails,
        // so nothing after it is processed before the commit is sent.
        commit = group.commit();
        throw new Error('stop at 6');
      },
    });
    await expect(run).rejects.toThrow('stop at 6');
    await commit;
    await group.close();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await committedOffsets(cluster, 'commit-inside')).toEqual([6]);
  }, 60_000);

  it('a synchronous handler that seeks its partition back reads from there on, and the rest of the batch is not handed out', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 10);
    const group = cluster.consumerGroup({ groupId: 'seeking', topics: ['work'], value: serdes.string, ...groupRunSettings });
    const offsets: number[] = [];
    let sought = false;
    const run = group.run({
      eachRecord: (r) => {
        offsets.push(r.offset);
        if (r.offset === 6 && !sought) {
          sought = true;
          void group.seek({ topic: 'work', partition: 0 }, 3);
        }
      },
    });
    await until('14 records', () => offsets.length >= 14);
    await group.close();
    await run;
    expect(offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8, 9]);
    expect(await committedOffsets(cluster, 'seeking')).toEqual([10]);
  }, 60_000);

  it('a handler that returns a plain value is not awaited (one chunk in one synchronous run); one that returns a thenable is', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 10); // one call: one record batch, one chunk
    // A microtask queued at the first record runs before the next record only if the loop
    // awaited between them: an await of `list.push(r)`'s number would let it run.
    const plain = cluster.consumerGroup({ groupId: 'plain-return', topics: ['work'], value: serdes.string, ...groupRunSettings });
    const seen: string[] = [];
    let turned = false;
    const seenTurned: boolean[] = [];
    const run = plain.run({
      eachRecord: (r) => {
        if (r.offset === 0) queueMicrotask(() => (turned = true));
        seenTurned.push(turned);
        return seen.push(r.value!) as unknown as void; // a number, as `(r) => list.push(r)` returns
      },
    });
    await until('10 records', () => seen.length >= 10);
    await plain.close();
    await run;
    expect(seenTurned).toEqual(Array.from({ length: 10 }, () => false));
    expect(await committedOffsets(cluster, 'plain-return')).toEqual([10]);

    // A thenable that is not a Promise is awaited: the next record waits for it.
    const thenable = cluster.consumerGroup({ groupId: 'thenable-return', topics: ['work'], value: serdes.string, ...groupRunSettings });
    const order: string[] = [];
    const run2 = thenable.run({
      eachRecord: (r) => {
        order.push(`start ${r.offset}`);
        return {
          then(resolve: () => void) {
            setImmediate(() => {
              order.push(`end ${r.offset}`);
              resolve();
            });
          },
        } as unknown as Promise<void>;
      },
    });
    await until('3 records done', () => order.includes('end 2'));
    await thenable.close();
    await run2;
    expect(order.slice(0, 6)).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  }, 60_000);

  it('a synchronous handler that throws: run rejects, the member leaves, and the failed record is not committed', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 10);
    const group = cluster.consumerGroup({ groupId: 'throwing', topics: ['work'], value: serdes.string, ...groupRunSettings });
    const boom = new Error('boom');
    await expect(
      group.run({
        eachRecord: (r) => {
          if (r.offset === 7) throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(await committedOffsets(cluster, 'throwing')).toEqual([7]);
  }, 60_000);
});

describe('record views', () => {
  it('a record keeps its key and value after later fetches (bare consumer and group): no buffer a record points into is reused', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    // Many fetches: batches of 20 records, fetches of about 1 KiB a partition (maxPartitionBytes).
    const t = cluster.topic('work', { key: serdes.string, value: serdes.string });
    for (let i = 0; i < 2000; i += 20) await t.send(Array.from({ length: 20 }, (_, j) => ({ key: `k${i + j}`, value: `value-${i + j}` })));
    const consumer = cluster.consumer({ maxWaitMs: 20, maxPartitionBytes: 1024 });
    consumer.assign([{ topic: 'work', partition: 0 }]);
    await consumer.seek({ topic: 'work', partition: 0 }, 'earliest');
    const kept: { key: Uint8Array | null; value: Uint8Array | null }[] = [];
    let fetches = 0;
    for await (const batch of consumer.batches()) {
      fetches++;
      kept.push(...batch.records);
      if (kept.length >= 2000) break;
    }
    await consumer.close();
    expect(fetches).toBeGreaterThan(10);
    expect(kept.map((r) => `${Buffer.from(r.key!).toString()}=${Buffer.from(r.value!).toString()}`)).toEqual(Array.from({ length: 2000 }, (_, i) => `k${i}=value-${i}`));

    const group = cluster.consumerGroup({ groupId: 'views', topics: ['work'], ...groupRunSettings, maxWaitMs: 20 });
    const fromGroup: { key: Uint8Array | null; value: Uint8Array | null }[] = [];
    const run = group.run({ eachRecord: (r) => void fromGroup.push(r) });
    await until('2,000 records', () => fromGroup.length >= 2000);
    await group.close();
    await run;
    expect(fromGroup.map((r) => `${Buffer.from(r.key!).toString()}=${Buffer.from(r.value!).toString()}`)).toEqual(Array.from({ length: 2000 }, (_, i) => `k${i}=value-${i}`));
  }, 60_000);
});
