/**
 * A record without a timestamp of its own gets the producer clock's time at `send`: on a
 * simulated clock moved between two sends of one synchronous run, each gets its own time
 * (the producer shares one reading of the system clock across a run's sends, never of a
 * caller's clock).
 */
import { expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

const { clock } = useSimulatedClock();

it('each send of one synchronous run gets the simulated time it was sent at', async () => {
  await using cluster = await Cluster.start({ clock });
  await cluster.admin().createTopics([{ name: 'ts', partitions: 1 }]);
  const producer = cluster.producer({ lingerMs: 0 });
  const start = clock.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    sends.push(producer.send('ts', [{ value: `v${i}` }]));
    clock.advance(1_000);
  }
  await Promise.all(sends);
  await producer.close();
  const consumer = cluster.consumer();
  consumer.assign([{ topic: 'ts', partition: 0 }]);
  await consumer.seek({ topic: 'ts', partition: 0 }, 'earliest');
  const stamps: number[] = [];
  for await (const r of consumer) {
    stamps.push(r.timestamp - start);
    if (stamps.length === 20) break;
  }
  await consumer.close();
  expect(stamps).toEqual(Array.from({ length: 20 }, (_, i) => i * 1_000));
});
