/**
 * Scale smoke test: 100,000 partitions built through the controller, as a cluster would
 * build them, then snapshotted and restored. It reports bytes per partition and times
 * (printed, never asserted), and asserts only a generous bound on memory: the design
 * target is a million partitions in under 1 GiB, about 1,000 bytes a partition, and the
 * layout measures about 200 (docs/design/controller.md).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { controllerWithBrokers, createTopicsAtScale } from '../../test/helpers/metadata-scale.js';
import { restore, snapshot } from './image.js';

/** The garbage collector, exposed at run time so that heap measurements mean something. */
function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

describe('scale', () => {
  it('builds 100,000 partitions through the controller, reports bytes per partition, and snapshots them', () => {
    const gc = exposeGc();
    const heap = (): number => {
      gc?.();
      gc?.();
      return process.memoryUsage().heapUsed;
    };
    const topics = 10_000;
    const partitionsPerTopic = 10;
    const { controller, run, nextOffset } = controllerWithBrokers();
    const before = heap();
    let t0 = performance.now();
    createTopicsAtScale(controller, run, topics, partitionsPerTopic);
    const image = controller.image;
    const buildMs = performance.now() - t0;
    const after = heap();
    const partitions = topics * partitionsPerTopic;
    expect(image.partitionCount).toBe(partitions);
    const bytesPerPartition = (after - before) / partitions;

    t0 = performance.now();
    const chunks = snapshot(image);
    const snapshotMs = performance.now() - t0;
    const snapshotBytes = chunks.reduce((n, c) => n + c.length, 0);
    t0 = performance.now();
    const restored = restore(chunks, image.offset);
    const restoreMs = performance.now() - t0;
    expect(restored.equals(image)).toBe(true);

    // Fencing a broker scans every partition and moves a sixth of the leaderships.
    t0 = performance.now();
    const fence = controller.handle({ type: 'BrokerHeartbeat', brokerId: 0, brokerEpoch: image.broker(0)!.epoch, currentMetadataOffset: nextOffset(), wantFence: true }, 0);
    const fenceMs = performance.now() - t0;
    run(fence.records);

    console.log(
      `[metadata scale] ${partitions} partitions: built through the controller in ${buildMs.toFixed(0)} ms; ` +
        (gc ? `${bytesPerPartition.toFixed(0)} heap bytes/partition; ` : 'heap not measured (no gc); ') +
        `snapshot ${(snapshotBytes / 2 ** 20).toFixed(1)} MiB (${(snapshotBytes / partitions).toFixed(1)} B/partition) in ${snapshotMs.toFixed(0)} ms, ` +
        `restored in ${restoreMs.toFixed(0)} ms; fencing one of 6 brokers: ${fence.records.length} records in ${fenceMs.toFixed(0)} ms`,
    );
    if (gc) expect(bytesPerPartition).toBeLessThan(1000);
    expect(snapshotBytes / partitions).toBeLessThan(45);
  });
});
