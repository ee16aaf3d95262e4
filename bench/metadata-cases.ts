/**
 * Metadata benchmark cases, one per process, run with --expose-gc:
 * `node --expose-gc --import tsx bench/metadata-cases.ts scale <topics> <partitionsPerTopic>`.
 * Builds the partitions through the controller (as a cluster's CreateTopics would, 100
 * topics a request), then snapshots and restores the image.
 */
import { restore, snapshot } from '../src/metadata/image.js';
import { controllerWithBrokers, createTopicsAtScale } from '../test/helpers/metadata-scale.js';
import { peakRssMiB, report } from './lib.js';

const [, topicsText, perTopicText] = process.argv.slice(2);
const topics = Number(topicsText);
const perTopic = Number(perTopicText);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const { controller, run } = controllerWithBrokers();
const before = heap();
let t0 = performance.now();
createTopicsAtScale(controller, run, topics, perTopic);
const buildMs = performance.now() - t0;
const image = controller.image;
const partitions = topics * perTopic;
if (image.partitionCount !== partitions) throw new Error(`image has ${image.partitionCount} partitions`);
// The heap figure covers the controller's whole state (committed and speculative image,
// soft state), not the image alone: what a running controller costs.
const after = heap();
t0 = performance.now();
const chunks = snapshot(image);
const snapshotMs = performance.now() - t0;
const snapshotBytes = chunks.reduce((n, c) => n + c.length, 0);
t0 = performance.now();
const restored = restore(chunks, image.offset);
const restoreMs = performance.now() - t0;
if (!restored.equals(image)) throw new Error('restored image differs');
report({
  name: 'metadata-scale',
  partitions,
  buildMs,
  heapBytesPerPartition: (after - before) / partitions,
  heapMiB: (after - before) / 2 ** 20,
  snapshotMiB: snapshotBytes / 2 ** 20,
  snapshotMs,
  restoreMs,
  peakRssMiB: peakRssMiB(),
});
