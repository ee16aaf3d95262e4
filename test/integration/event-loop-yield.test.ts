/**
 * Yield points (issue 13, item 3): a producer driven flat out over the in-process
 * transport must let the event loop turn, so timers, I/O and `setImmediate` callbacks keep
 * running under full load. Nothing here is timed: a chain of `setImmediate` callbacks
 * counts how many sends were acknowledged between two consecutive turns of the loop, and
 * that count must stay bounded however fast or slow the machine is (a loaded machine
 * completes fewer sends a turn, never more). A 10 ms interval must tick at least once
 * during the flood (the flood of 50,000 sends takes far longer than 10 ms on any machine,
 * and a loop that turns runs due timers).
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import type { Producer } from '../../src/client/producer.js';

const floodRecords = 50_000;
/**
 * Batches of at most 2 KiB: about 20 records of 100 bytes a produce request, so the
 * sends one produce request acknowledges are few.
 */
const batchSize = 2_048;
/**
 * Sends acknowledged within one turn of the loop, at most: the transport carries at most
 * 64 requests a turn (plus those it deferred from the turn before, at most the producer's
 * 5 in flight), about 20 records each, so about 1,400; before the fix all 50,000 were
 * acknowledged in one turn.
 */
const perTurnMax = 2_500;

interface Observed {
  maxAcksPerTurn: number;
  turns: number;
  ticks: number;
}

/** Runs `flood` while a `setImmediate` chain and a 10 ms interval watch the loop. */
async function watchLoop(flood: (acked: () => void) => Promise<void>): Promise<Observed> {
  let acks = 0;
  let lastTurnAcks = 0;
  let maxAcksPerTurn = 0;
  let turns = 0;
  let ticks = 0;
  let running = true;
  const turn = (): void => {
    turns++;
    maxAcksPerTurn = Math.max(maxAcksPerTurn, acks - lastTurnAcks);
    lastTurnAcks = acks;
    if (running) setImmediate(turn);
  };
  const interval = setInterval(() => ticks++, 10);
  setImmediate(turn);
  try {
    await flood(() => acks++);
  } finally {
    running = false;
    clearInterval(interval);
  }
  // The sends acknowledged after the last turn, up to the end of the flood.
  maxAcksPerTurn = Math.max(maxAcksPerTurn, acks - lastTurnAcks);
  return { maxAcksPerTurn, turns, ticks };
}

async function withProducer(run: (producer: Producer) => Promise<Observed>): Promise<Observed> {
  await using cluster = await Cluster.start({ nodes: 1 });
  await cluster.admin().createTopics([{ name: 'flood', partitions: 1, replicationFactor: 1 }]);
  const producer = cluster.producer({ acks: 1, lingerMs: 0, batchSize });
  await producer.send('flood', [{ value: 'warm-up' }]);
  try {
    return await run(producer);
  } finally {
    await producer.close();
  }
}

describe('the event loop under a producer flat out (in-process transport)', () => {
  it('32 single-record sends in flight: the loop turns every few sends and a 10 ms interval ticks', async () => {
    const seen = await withProducer((producer) =>
      watchLoop(async (acked) => {
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < floodRecords) {
            next++;
            await producer.send('flood', [{ value: 'x'.repeat(100) }]);
            acked();
          }
        };
        await Promise.all(Array.from({ length: 32 }, worker));
      }),
    );
    expect(seen.maxAcksPerTurn, JSON.stringify(seen)).toBeLessThanOrEqual(perTurnMax);
    expect(seen.turns).toBeGreaterThan(floodRecords / perTurnMax);
    expect(seen.ticks).toBeGreaterThanOrEqual(1);
  });

  it('one call at a time with linger 0: the loop turns every few sends and a 10 ms interval ticks', async () => {
    const seen = await withProducer((producer) =>
      watchLoop(async (acked) => {
        for (let i = 0; i < floodRecords; i++) {
          await producer.send('flood', [{ value: 'x'.repeat(100) }]);
          acked();
        }
      }),
    );
    expect(seen.maxAcksPerTurn, JSON.stringify(seen)).toBeLessThanOrEqual(perTurnMax);
    expect(seen.turns).toBeGreaterThan(floodRecords / perTurnMax);
    expect(seen.ticks).toBeGreaterThanOrEqual(1);
  });
});
