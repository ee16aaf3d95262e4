/**
 * The short run of the wire fuzzer (test/fuzz/wire.ts): a few thousand hostile frames and
 * a thousand connections into a live listener, with a fixed seed so a failure replays
 * (`npx tsx --expose-gc test/fuzz/wire.ts --seed 20261206 --frames 3000`). The long run
 * is `npx tsx --expose-gc test/fuzz/wire.ts --frames 1000000`.
 */
import { describe, expect, it } from 'vitest';
import { fuzzWire, seedFrames } from './wire.js';

describe('wire fuzzing, short run', () => {
  it('has seed frames from the captured fixtures', () => {
    expect(seedFrames().length).toBeGreaterThan(20);
    // The ACL and reassignment APIs are among them (test/wire/capture-admin.ts).
    const keys = new Set(seedFrames().map((m) => m.readInt16BE(0)));
    for (const k of [29, 30, 31, 35, 45, 46, 61, 65, 66]) expect(keys.has(k), `API ${k}`).toBe(true);
  });

  it(
    'the ACL, reassignment, log-dir and transaction admin APIs alone: their mutated frames get typed answers or a closed connection, never a crash or a hang',
    async () => {
      const report = await fuzzWire({ frames: 1_500, seed: 20261207, connections: 20, apiKeys: [29, 30, 31, 35, 45, 46, 61, 65, 66] });
      expect(report.failures).toEqual([]);
      expect(report.answers).toBeGreaterThan(0);
      expect(report.honestOperations).toBeGreaterThanOrEqual(10);
    },
    600_000,
  );

  it(
    'mutated frames, random bytes, lying sizes and a thousand connections: no crash, no hang, honest clients served, memory back to baseline, clean logs',
    async () => {
      const report = await fuzzWire({ frames: 3_000, seed: 20261206, connections: 1_000 });
      expect(report.failures).toEqual([]);
      // The run did reach the broker: it answered some frames and closed connections on others.
      expect(report.answers).toBeGreaterThan(0);
      expect(report.closedByBroker).toBeGreaterThan(0);
      expect(report.honestOperations).toBeGreaterThanOrEqual(50);
    },
    600_000,
  );
});
