/**
 * The checks `run({ eachRecord })` and `for await` make between records
 * (src/client/group-delivery.ts): after a handler seeks, throws or returns a
 * rejected thenable, no record is handed out that should not be, and what is committed is
 * exactly the records whose handler finished. On simulated time (test/helpers/sim-clock.ts).
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { serdes } from '../../src/client/serde.js';
import { committedOffsets, groupRunSettings, produceValues } from '../helpers/group-run.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

const { clock } = useSimulatedClock();


describe('group delivery between records', () => {
  it('eachRecord: a synchronous throw rejects run with that error; the records before it are committed, not its own', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 10);
    const group = cluster.consumerGroup({ groupId: 'sync-throw', topics: ['work'], value: serdes.string, ...groupRunSettings });
    const boom = new Error('boom');
    const seen: number[] = [];
    const err = await group.run({ eachRecord: (r) => { seen.push(r.offset); if (r.offset === 3) throw boom; } }).catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(await committedOffsets(cluster, 'sync-throw')).toEqual([3]);
  }, 60_000);

  it('eachRecord: a thenable (not a Promise) that rejects rejects run with its reason; its record is not committed', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 10);
    const group = cluster.consumerGroup({ groupId: 'thenable', topics: ['work'], value: serdes.string, ...groupRunSettings });
    const reason = new Error('thenable refused');
    const seen: number[] = [];
    const rejected = { then: (_ok: unknown, fail: (e: unknown) => void) => fail(reason) };
    const err = await group.run({ eachRecord: (r) => { seen.push(r.offset); return (r.offset === 5 ? rejected : undefined) as never; } }).catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await committedOffsets(cluster, 'thenable')).toEqual([5]);
  }, 60_000);

  it('for await: a seek back inside the loop body re-reads from there, and no record of the old position follows', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'work', partitions: 1 }]);
    await produceValues(cluster, 'work', 10);
    const group = cluster.consumerGroup({ groupId: 'seek-loop', topics: ['work'], value: serdes.string, ...groupRunSettings });
    const seen: number[] = [];
    let sought = false;
    for await (const r of group) {
      seen.push(r.offset);
      if (r.offset === 6 && !sought) {
        sought = true;
        await group.seek({ topic: 'work', partition: 0 }, 2);
      }
      if (seen.length === 13) break;
    }
    await group.close();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 7]);
    expect(await committedOffsets(cluster, 'seek-loop')).toEqual([7]); // the body of offset 7 broke out: not processed
  }, 60_000);
});
